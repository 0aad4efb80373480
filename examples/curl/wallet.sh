#!/usr/bin/env bash
# Signs and sends one request to the wallet cluster's client API with nothing but bash, openssl and curl (and printf,
# date, od): the signing of docs/api.md ("Authentication: every request is signed") without the SDK, to call the API
# from a shell or to check a signer written in another language.
#
#   export WALLET_URL=http://127.0.0.1:8080 WALLET_KEY_ID=key_... WALLET_SECRET=...   # from `walletctl clients create`
#   examples/curl/wallet.sh GET /v1/assets
#   examples/curl/wallet.sh GET '/v1/accounts/acc_.../ledger?asset=ETH&limit=2'
#   examples/curl/wallet.sh POST /v1/accounts '{"externalId":"user-42"}' [idempotency-key]
#
# Prints the answer's body on stdout and `HTTP <status> <X-Request-Id>` on stderr; exits 0 on a 2xx answer, 1 on an
# error answer, 2 on a usage error (curl's own code when there was no answer). A POST gets a random Idempotency-Key
# unless one is given: after an unknown outcome (a 503, a 504, a lost connection) send it again with the SAME key.
#
# WALLET_DRY_RUN=1 prints the string signed and the headers instead of sending; WALLET_TIMESTAMP and WALLET_NONCE fix
# what is otherwise the clock and a random nonce. packages/client/src/curlExample.test.ts runs it so against
# docs/api.md's worked example, and test/integration/sdk.test.ts against a live gateway.
set -euo pipefail
export LC_ALL=C # ${#s} counts bytes, and printf writes bytes

usage() {
  echo "usage: $0 GET <path?query> | POST <path> <json-body> [idempotency-key]" >&2
  exit 2
}

# HMAC-SHA256(key, message) written out by its definition (RFC 2104), so that the secret never appears on a command
# line, where `openssl dgst -sha256 -hmac "$WALLET_SECRET"` would show it to every user of the machine (ps):
#   HMAC(K, m) = SHA256((K0 xor opad) || SHA256((K0 xor ipad) || m))
# K0 is the key's bytes (its SHA256 when longer than 64 bytes) zero-padded to 64; ipad is 0x36, opad 0x5c repeated.
# The key is the secret as text (its UTF-8 bytes), never base64-decoded. Prints the MAC in lower-case hex.
hmac_sha256() {
  local key=$1 message=$2 bytes b x n=0 ipad='' opad='' inner='' out
  if ((${#key} > 64)); then
    bytes=$(printf '%s' "$key" | openssl dgst -sha256 -binary | od -An -v -tu1)
  else
    bytes=$(printf '%s' "$key" | od -An -v -tu1)
  fi
  for b in $bytes; do
    printf -v x '\\x%02x' $((b ^ 0x36))
    ipad+=$x
    printf -v x '\\x%02x' $((b ^ 0x5c))
    opad+=$x
    n=$((n + 1))
  done
  for (( ; n < 64; n++)); do
    ipad+='\x36'
    opad+='\x5c'
  done
  for b in $({ printf '%b' "$ipad" && printf '%s' "$message"; } | openssl dgst -sha256 -binary | od -An -v -tx1); do
    inner+="\\x$b"
  done
  out=$({ printf '%b' "$opad" && printf '%b' "$inner"; } | openssl dgst -sha256 -r)
  printf '%s' "${out%% *}"
}

sha256_hex() {
  local out
  out=$(printf '%s' "$1" | openssl dgst -sha256 -r)
  printf '%s' "${out%% *}"
}

method=${1:-}
target=${2:-}
case "$method" in
  GET) (($# == 2)) || usage ;;
  POST) (($# == 3 || $# == 4)) || usage ;;
  *) usage ;;
esac
# The target is signed and sent byte for byte: the gateway verifies what it received and never re-encodes it.
[[ "$target" == /* && "$target" != *[[:space:]]* && "$target" != *'?' ]] || {
  echo "the target must start with / and have no spaces and no trailing '?': $target" >&2
  exit 2
}
: "${WALLET_KEY_ID:?set WALLET_KEY_ID}" "${WALLET_SECRET:?set WALLET_SECRET}"
body=${3:-}

# X-Timestamp: epoch milliseconds (GNU date; elsewhere whole seconds, well within the gateway's 30 s window).
timestamp=${WALLET_TIMESTAMP:-$(date +%s%3N)}
[[ "$timestamp" =~ ^[0-9]+$ ]] || timestamp="$(date +%s)000"
# X-Nonce: single use, 16-64 of [A-Za-z0-9_-]; 24 random hex characters.
nonce=${WALLET_NONCE:-$(openssl rand -hex 12)}

# The string signed: five fields joined by line feeds, no line feed after the last.
string_to_sign=$(printf '%s\n%s\n%s\n%s\n%s' "$timestamp" "$nonce" "$method" "$target" "$(sha256_hex "$body")")
signature=$(hmac_sha256 "$WALLET_SECRET" "$string_to_sign")

headers=(-H "X-Api-Key: $WALLET_KEY_ID" -H "X-Timestamp: $timestamp" -H "X-Nonce: $nonce" -H "X-Signature: $signature")
if [[ "$method" == POST ]]; then
  # Idempotency-Key: 1-64 printable ASCII characters without spaces, the same for every retry of this request.
  headers+=(-H "Content-Type: application/json" -H "Idempotency-Key: ${4:-$(openssl rand -hex 16)}")
fi

if [[ "${WALLET_DRY_RUN:-}" == 1 ]]; then
  printf '%s\n' "--- string signed (${#string_to_sign} bytes)" "$string_to_sign" '--- headers'
  for ((i = 1; i < ${#headers[@]}; i += 2)); do printf '%s\n' "${headers[i]}"; done
  exit 0
fi
: "${WALLET_URL:?set WALLET_URL (e.g. http://127.0.0.1:8080)}"

# --path-as-is: curl must not squash dot segments of what was signed; "Expect:" keeps a larger body in one request;
# --data-binary sends the body's bytes untouched (no newline added, nothing stripped).
args=(--silent --show-error --path-as-is -X "$method" "${headers[@]}" -H 'Expect:')
if [[ "$method" == POST ]]; then args+=(--data-binary "$body"); fi
response=$(curl "${args[@]}" --write-out '\n%{http_code} %header{x-request-id}' "${WALLET_URL%/}$target") || exit $?
last=${response##*$'\n'}
printf '%s\n' "${response%$'\n'*}"
echo "HTTP ${last%% *} ${last#* }" >&2
status=${last%% *}
exit $((status >= 200 && status < 300 ? 0 : 1))
