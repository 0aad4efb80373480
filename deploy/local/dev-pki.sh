#!/usr/bin/env bash
# deploy/local/dev-pki.sh DIR [NAME...] — a development PKI for gRPC mTLS (docs/operations-tls.md), with openssl.
#
# Creates in DIR, once:
#   ca.pem, ca-key.pem            a private CA (EC P-256, 10 years)
#   <name>.pem, <name>-key.pem    per name (default: gatesrv accountsrv transrv signsrv walletctl) a certificate for
#                                 DNS:<name>.wallet.internal, usable as server and as client (2 years)
# Idempotent: existing files are kept; a certificate that is missing, does not verify against ca.pem, or expires within
# 30 days is (re)issued. Every file is mode 600, DIR 700. Concurrent runs on one DIR take turns (flock DIR/.lock).
# Never use these for production: the CA key sits beside the certificates.
set -euo pipefail

dir=${1:?usage: dev-pki.sh DIR [NAME...]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gatesrv accountsrv transrv signsrv walletctl)
# Service names as they appear in certificates: <name>.wallet.internal (packages/rpc GrpcTls).
domain=wallet.internal
command -v openssl >/dev/null || { echo "dev-pki.sh: openssl is required" >&2; exit 1; }

umask 077
mkdir -p "$dir"
chmod 700 "$dir"
exec 8>"$dir/.lock"
flock -w 60 8 || { echo "dev-pki.sh: $dir is locked by another run" >&2; exit 1; }

# Writes go to a temporary name and are renamed into place, so a reader never sees half a file.
if [ ! -s "$dir/ca.pem" ] || [ ! -s "$dir/ca-key.pem" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca-key.pem.tmp" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca-key.pem.tmp" -sha256 -days 3650 -subj "/O=wallet dev/CN=wallet dev gRPC CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem.tmp"
  mv "$dir/ca-key.pem.tmp" "$dir/ca-key.pem"
  mv "$dir/ca.pem.tmp" "$dir/ca.pem"
  echo "dev-pki: created CA $dir/ca.pem"
fi

for name in "${names[@]}"; do
  [[ $name =~ ^[a-z][a-z0-9-]{0,30}$ ]] || { echo "dev-pki.sh: bad name $name" >&2; exit 1; }
  cert="$dir/$name.pem" key="$dir/$name-key.pem"
  if [ -s "$cert" ] && [ -s "$key" ] && openssl verify -CAfile "$dir/ca.pem" "$cert" >/dev/null 2>&1 &&
    openssl x509 -in "$cert" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
    continue
  fi
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key.tmp" 2>/dev/null
  openssl req -new -key "$key.tmp" -subj "/O=wallet dev/CN=$name.$domain" -out "$dir/$name.csr.tmp"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$name.$domain" >"$dir/$name.ext.tmp"
  openssl x509 -req -in "$dir/$name.csr.tmp" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -CAserial "$dir/ca.srl" -days 730 -sha256 -extfile "$dir/$name.ext.tmp" -out "$cert.tmp" 2>/dev/null
  rm -f "$dir/$name.csr.tmp" "$dir/$name.ext.tmp"
  mv "$key.tmp" "$key"
  mv "$cert.tmp" "$cert"
  echo "dev-pki: issued $cert ($name.$domain)"
done
chmod 600 "$dir"/*.pem "$dir/ca.srl" "$dir/.lock"
