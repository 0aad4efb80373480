#!/usr/bin/env bash
# The one start command (README): installs what is missing, brings the local stack up, migrates, builds, and runs the
# cluster (gatesrv, accountsrv, transrv t1 and t2, signsrv) in the foreground, each service from its built entry point
# (node services/<name>/dist/main.js) through the launcher (packages/launcher). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/local/bootstrap.sh
echo "[cluster] building (tsc -b)"
pnpm -s build
exec node packages/launcher/dist/main.js
