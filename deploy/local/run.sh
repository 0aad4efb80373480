#!/usr/bin/env bash
# The one start command (README): installs what is missing, brings the local stack up, migrates, and
# runs the cluster (gatesrv, accountsrv, transrv t1 and t2, signsrv) in the foreground. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/bootstrap.sh
exec pnpm -s cluster
