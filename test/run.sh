#!/usr/bin/env bash
# The one test command (README): on a fresh machine from a clean clone it installs what is missing,
# brings the local stack up, then runs lint, format check, type check, unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/local/bootstrap.sh
step() { printf '\n=== %s\n' "$*"; }
step "lint (eslint, type-aware)"; pnpm -s lint
step "format (prettier)";         pnpm -s format:check
step "type check (tsc -b)";       pnpm -s typecheck
step "unit tests";                pnpm -s exec vitest run --project unit
step "integration tests (real MariaDB, Redis, etcd, anvil, litecoind; real processes)"
pnpm -s exec vitest run --project integration
