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
