#!/usr/bin/env bash
# `pnpm walletctl ...` on the local stack: the built walletctl, dialling the local cluster's gRPC over mTLS with the
# stack's walletctl certificate (.stack/secrets/tls, made by stack.sh up) unless GRPC_TLS_* are set already. On other
# clusters run `node packages/walletctl/dist/main.js` with that cluster's GRPC_TLS_* (docs/operations-tls.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tls="$root/.stack/secrets/tls"
if [ -z "${GRPC_TLS_CA_FILE:-}${GRPC_TLS_CERT_FILE:-}${GRPC_TLS_KEY_FILE:-}" ] && [ -f "$tls/walletctl.pem" ]; then
  export GRPC_TLS_CA_FILE="$tls/ca.pem" GRPC_TLS_CERT_FILE="$tls/walletctl.pem" GRPC_TLS_KEY_FILE="$tls/walletctl-key.pem"
fi
exec node "$root/packages/walletctl/dist/main.js" "$@"
