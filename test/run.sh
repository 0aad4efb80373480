#!/usr/bin/env bash
# The one test command (README): on a fresh machine from a clean clone it installs what is missing,
# brings the local stack up, then runs lint, format check, type check, unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/local/bootstrap.sh
# The console's browser tests drive Debian's Chromium through playwright-core (which downloads no browser). Only the
# tests need it, not the cluster: installed here, once.
if [ ! -x /usr/bin/chromium ]; then
  echo "[test] installing chromium for the browser tests (apt-get install chromium)"
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
step() { printf '\n=== %s\n' "$*"; }
results=$(mktemp -d)
step "lint (eslint, type-aware)"; pnpm -s lint
step "format (prettier)";         pnpm -s format:check
step "type check (tsc -b)";       pnpm -s typecheck
step "unit tests"
pnpm -s exec vitest run --project unit --reporter=default --reporter=json --outputFile.json="$results/unit.json"
step "integration tests (real MariaDB, Redis, etcd, anvil, litecoind; real processes)"
pnpm -s exec vitest run --project integration --reporter=default --reporter=json --outputFile.json="$results/integration.json"
# One plain closing line over both runs, for humans and CI alike.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exit(failed ? 1 : 0);
' "$results/unit.json" "$results/integration.json"
