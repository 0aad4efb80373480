#!/usr/bin/env bash
# Shared first half of the two README commands: tools, dependencies, the local stack, the schema.
# Idempotent: on a machine that has everything it only checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf '[bootstrap] %s\n' "$*"; }

command -v node >/dev/null || { echo "node (>= 20.19) is required: install Node.js 20 first" >&2; exit 1; }
if ! command -v pnpm >/dev/null; then
  say "installing pnpm 10 (npm install -g pnpm@10)"
  npm install -g pnpm@10 >/dev/null
fi
say "installing dependencies (pnpm install --frozen-lockfile)"
pnpm install --frozen-lockfile --reporter=silent
say "starting the local stack"
bash deploy/local/stack.sh up
say "migrating the dev database"
pnpm -s migrate
say "granting each service its MySQL user (packages/db/src/ownership.ts)"
secrets="${STACK_DIR:-$PWD/.stack}/secrets"
MYSQL_ACCOUNTSRV_PASSWORD_FILE="$secrets/mysql-accountsrv" MYSQL_TRANSRV_PASSWORD_FILE="$secrets/mysql-transrv" \
  MYSQL_SIGNSRV_PASSWORD_FILE="$secrets/mysql-signsrv" MYSQL_GATESRV_PASSWORD_FILE="$secrets/mysql-gatesrv" \
  pnpm -s db:grants
