#!/usr/bin/env bash
# deploy/local/stack.sh — idempotent local stack of REAL services for dev and CI.
#
#   stack.sh up             install what is missing, start what is not running, wait, prepare chains
#   stack.sh down [--wipe]  stop what this stack started (pid files); --wipe also drops etcd/litecoin data
#   stack.sh status         one line per service; exit 0 only if every service answers
#   stack.sh env            `export X=...` lines: eval "$(deploy/local/stack.sh env)"
#   stack.sh mine N         mine N litecoin regtest blocks to the `miner` wallet
#
# Services (all on loopback): MariaDB :3306, Redis :6379, etcd :2379 (peer :2380),
# anvil :8545 (chain id 31337), litecoind regtest RPC :19443 / P2P :19444.
# Data in <repo>/.stack (logs in .stack/logs, pid files in .stack/run, secrets in .stack/secrets).
# See deploy/local/README.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
LOG_DIR="$STACK_DIR/logs"
RUN_DIR="$STACK_DIR/run"
SECRETS_DIR="$STACK_DIR/secrets"
TOOLS_DIR="$STACK_DIR/tools"
ETCD_DATA="$STACK_DIR/etcd"
LTC_DATA="$STACK_DIR/litecoin"
REDIS_DIR="$STACK_DIR/redis"

HOST=127.0.0.1
MYSQL_PORT=3306
REDIS_PORT=6379
ETCD_PORT=2379
ETCD_PEER_PORT=2380
ANVIL_PORT=8545
ANVIL_CHAIN_ID=31337
LTC_RPC_PORT=19443
LTC_P2P_PORT=19444
LTC_RPC_USER=wallet
LTC_RPC_PASSWORD=wallet
LTC_WALLET=miner
# Litecoin Core 0.21 regtest: the MWEB deployment (BIP9 bit 4, period 144) is started at
# 144, locked in at 288 and ACTIVE from block 432. Block 432 must contain at least one
# peg-in (its HogEx tx has no inputs otherwise: "bad-txns-vin-empty"), and the mempool only
# accepts a peg-in while the NEXT block is MWEB-active, i.e. exactly when the tip is 431.
MWEB_HEIGHT=432
LTC_READY_HEIGHT=450
PEGIN_AMOUNT=10

SERVICES=(mysql redis etcd anvil litecoind)
WAIT_TIMEOUT="${STACK_WAIT_TIMEOUT:-120}"
STOP_TIMEOUT="${STACK_STOP_TIMEOUT:-60}"
# haproxy is not run by the stack: the rolling-gatesrv integration test starts its own, as the load balancer in front
# of several gateways. Installed here for the policy-rc.d guard below (its package would start a system daemon).
APT_PACKAGES=(mariadb-server redis-server etcd-server litecoind curl openssl haproxy)

# ---------------------------------------------------------------- helpers

say() { printf '%s\n' "$*"; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rel() { local p=$1; printf '%s' "${p#"$REPO_ROOT"/}"; }
is_root() { [ "$(id -u)" = 0 ]; }

port_open() { (: <"/dev/tcp/$HOST/$1") 2>/dev/null; }

svc_port() {
  case $1 in
    mysql) echo "$MYSQL_PORT" ;; redis) echo "$REDIS_PORT" ;; etcd) echo "$ETCD_PORT" ;;
    anvil) echo "$ANVIL_PORT" ;; litecoind) echo "$LTC_RPC_PORT" ;;
  esac
}
# pattern that the command line of a stack-started process must match (guards against pid reuse)
svc_exe_pattern() {
  case $1 in
    mysql) echo 'mariadbd|mysqld' ;; redis) echo 'redis-server' ;; etcd) echo 'etcd' ;;
    anvil) echo 'anvil' ;; litecoind) echo 'litecoind' ;;
  esac
}
svc_log() { echo "$LOG_DIR/$1.log"; }
pidfile() { echo "$RUN_DIR/$1.pid"; }

pid_alive() {
  local pid=$1 state
  [ -r "/proc/$pid/status" ] || return 1
  state=$(awk '/^State:/{print $2; exit}' "/proc/$pid/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Prints the pid of the stack-started process of a service; removes stale pid files.
stack_pid() {
  local f pid cmd
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && pid_alive "$pid"; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    if [[ $cmd =~ $(svc_exe_pattern "$1") ]]; then
      echo "$pid"
      return 0
    fi
  fi
  rm -f "$f"
  return 1
}

mysql_client() { if command -v mariadb >/dev/null 2>&1; then echo mariadb; else echo mysql; fi; }

ltc_cli() {
  litecoin-cli -regtest -rpcconnect="$HOST" -rpcport="$LTC_RPC_PORT" \
    -rpcuser="$LTC_RPC_USER" -rpcpassword="$LTC_RPC_PASSWORD" -rpcclienttimeout=120 "$@"
}
ltc_wcli() { ltc_cli -rpcwallet="$LTC_WALLET" "$@"; }

eth_rpc() { # method -> raw "result" string (hex quantities), empty on failure
  curl -fsS -m 3 -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":[]}" \
    "http://$HOST:$ANVIL_PORT" 2>/dev/null | sed -n 's/.*"result":"\([^"]*\)".*/\1/p'
}

# health checks: quick, quiet, 0 = answering
check_mysql() { # alive even if root may not log in yet (access denied / host not allowed)
  local out
  out=$(mysqladmin --protocol=tcp -h"$HOST" -P"$MYSQL_PORT" -uroot --connect-timeout=2 ping 2>&1) && return 0
  [[ $out == *"Access denied"* || $out == *"is not allowed to connect"* ]]
}
mysql_root_ok() { "$(mysql_client)" --protocol=tcp -h"$HOST" -P"$MYSQL_PORT" -uroot -e 'SELECT 1' >/dev/null 2>&1; }
check_redis() { [ "$(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
check_etcd() { curl -fsS -m 3 "http://$HOST:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; }
check_anvil() { [ "$(eth_rpc eth_chainId)" = "$(printf '0x%x' "$ANVIL_CHAIN_ID")" ]; }
check_litecoind() { ltc_cli getblockcount >/dev/null 2>&1; }
check() { "check_$1"; }

# Start a fully detached process: own session (setsid), stdin </dev/null, stdout+stderr appended
# to the log, every other inherited fd closed (so a CI runner / test harness / `$(...)` is never
# held open by it). The child writes its own pid before exec'ing the service binary.
launch() {
  local name=$1 log pf i
  shift
  log=$(svc_log "$name")
  pf=$(pidfile "$name")
  rm -f "$pf"
  printf '\n==== %s stack.sh starting %s: %s\n' "$(date -Is)" "$name" "$*" >>"$log"
  # shellcheck disable=SC2016  # $$ and $0 are expanded by the child shell
  setsid bash -c '
    for p in /proc/$$/fd/*; do
      fd=${p##*/}
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    echo $$ >"$0"
    exec "$@"' "$pf" "$@" </dev/null >>"$log" 2>&1 &
  for ((i = 0; i < 250; i++)); do
    [ -s "$pf" ] && return 0
    sleep 0.02
  done
  echo "$!" >"$pf"
}

# ---------------------------------------------------------------- install

ensure_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "missing packages (${missing[*]}); run as root or: apt-get install -y ${missing[*]}"
  say "installing apt packages: ${missing[*]} (log $(rel "$LOG_DIR/apt.log"))"
  # Keep the packages' init scripts from starting system-wide daemons (e.g. an etcd with its
  # data in /var/lib/etcd on :2379): this stack starts what it needs itself.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >>"$LOG_DIR/apt.log" 2>&1 || rc=$?
  [ "$made_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || die "apt-get install ${missing[*]} failed (exit $rc); see $LOG_DIR/apt.log"
}

anvil_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo amd64 ;; aarch64 | arm64) echo arm64 ;; *) echo unsupported ;;
  esac
}

# Print the path of a working anvil binary, preferring the native binary of the platform
# package (@foundry-rs/anvil-linux-<arch>, an optionalDependency of @foundry-rs/anvil that npm
# and pnpm install without running any install script) over the node wrapper bin.mjs.
find_anvil() {
  local arch c
  arch=$(anvil_arch)
  local candidates=()
  [ -n "${ANVIL_BIN:-}" ] && candidates+=("$ANVIL_BIN")
  candidates+=("$REPO_ROOT/node_modules/@foundry-rs/anvil-linux-$arch/bin/anvil")
  # pnpm virtual store (newest version last after sort -V)
  while IFS= read -r c; do candidates+=("$c"); done < <(
    compgen -G "$REPO_ROOT/node_modules/.pnpm/@foundry-rs+anvil-linux-$arch@*/node_modules/@foundry-rs/anvil-linux-$arch/bin/anvil" |
      sort -rV || true
  )
  candidates+=(
    "$TOOLS_DIR/node_modules/@foundry-rs/anvil-linux-$arch/bin/anvil"
    "$REPO_ROOT/node_modules/@foundry-rs/anvil/anvil" # postinstall fallback download location
    "$REPO_ROOT/node_modules/.bin/anvil"              # node wrapper (forwards SIGTERM)
    "$TOOLS_DIR/node_modules/.bin/anvil"
  )
  c=$(command -v anvil 2>/dev/null || true)
  [ -n "$c" ] && candidates+=("$c")
  for c in "${candidates[@]}"; do
    if [ -x "$c" ] && "$c" --version >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

ensure_anvil() {
  local bin spec=@foundry-rs/anvil ver=''
  if bin=$(find_anvil); then
    echo "$bin"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "anvil not found and npm is missing (install node/npm, then pnpm install)"
  # same version as the repo's devDependency when it is a plain semver range
  if [ -f "$REPO_ROOT/package.json" ] && command -v node >/dev/null 2>&1; then
    ver=$(node -e 'const p=require(process.argv[1]);const v=(p.devDependencies||{})["@foundry-rs/anvil"]||(p.dependencies||{})["@foundry-rs/anvil"]||"";if(/^[~^]?\d/.test(v))process.stdout.write(v)' \
      "$REPO_ROOT/package.json" 2>/dev/null || true)
  fi
  [ -n "$ver" ] && spec="$spec@$ver"
  say "anvil: not in node_modules; npm install --prefix $(rel "$TOOLS_DIR") $spec (log $(rel "$LOG_DIR/anvil-install.log"))" >&2
  mkdir -p "$TOOLS_DIR"
  [ -f "$TOOLS_DIR/package.json" ] || echo '{"name":"stack-tools","private":true}' >"$TOOLS_DIR/package.json"
  npm install --prefix "$TOOLS_DIR" --include=optional --no-audit --no-fund "$spec" \
    >>"$LOG_DIR/anvil-install.log" 2>&1 || die "npm install $spec failed; see $LOG_DIR/anvil-install.log"
  bin=$(find_anvil) || die "anvil still not found after npm install; see $LOG_DIR/anvil-install.log"
  echo "$bin"
}

# ---------------------------------------------------------------- secrets

gen_hex32() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

ensure_secret() { # file: 32 random bytes as hex, created once, never overwritten, never printed
  local f=$1 tmp
  if [ -s "$f" ]; then
    chmod 600 "$f"
    return 0
  fi
  tmp="$f.tmp.$$"
  (umask 077 && gen_hex32 >"$tmp" && echo >>"$tmp")
  [ "$(tr -d '\n' <"$tmp" | wc -c)" = 64 ] || { rm -f "$tmp"; die "could not generate $f"; }
  chmod 600 "$tmp"
  # no-clobber: a concurrent creator wins, ours is dropped
  if ln "$tmp" "$f" 2>/dev/null; then say "secrets: generated $(rel "$f")"; fi
  rm -f "$tmp"
}

ensure_secrets() {
  (umask 077 && mkdir -p "$SECRETS_DIR")
  chmod 700 "$SECRETS_DIR"
  ensure_secret "$SECRETS_DIR/dev-seed-entropy.hex"
  ensure_secret "$SECRETS_DIR/kek.hex"
  # the key-encryption keys of the secrets accountsrv and transrv store (API key and webhook secrets, issue 18)
  ensure_secret "$SECRETS_DIR/accountsrv-secrets-kek.hex"
  ensure_secret "$SECRETS_DIR/transrv-secrets-kek.hex"
  # each service's MySQL password (its user, wallet_<service>, is created by `pnpm db:grants` after migrating)
  local svc
  for svc in accountsrv transrv signsrv gatesrv; do ensure_secret "$SECRETS_DIR/mysql-$svc"; done
  # gRPC mTLS: a dev CA and one certificate per service and walletctl (docs/operations-tls.md); kept once made
  bash "$SCRIPT_DIR/dev-pki.sh" "$SECRETS_DIR/tls" | sed 's/^dev-pki: /secrets: /' || die "dev-pki.sh failed"
}

# ---------------------------------------------------------------- start

start_mysql() {
  is_root || die "starting MariaDB needs root (or start it yourself on $HOST:$MYSQL_PORT)"
  [ -x /usr/sbin/mariadbd ] || die "/usr/sbin/mariadbd not found (apt-get install mariadb-server)"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  local datadir
  datadir=$(/usr/sbin/mariadbd --verbose --help 2>/dev/null | awk '$1=="datadir"{print $2; exit}')
  datadir=${datadir:-/var/lib/mysql/}
  if [ ! -d "$datadir/mysql" ]; then
    say "  mysql: initialising $datadir" >&2
    mariadb-install-db --user=mysql --datadir="$datadir" >>"$(svc_log mysql)" 2>&1 ||
      die "mariadb-install-db failed; see $(svc_log mysql)"
  fi
  launch mysql /usr/sbin/mariadbd --user=mysql --bind-address="$HOST" --port="$MYSQL_PORT"
}

start_redis() {
  mkdir -p "$REDIS_DIR"
  launch redis redis-server --bind "$HOST" --port "$REDIS_PORT" --save "" --appendonly no \
    --daemonize no --protected-mode yes --dir "$REDIS_DIR"
}

start_etcd() {
  mkdir -p "$ETCD_DATA"
  chmod 700 "$ETCD_DATA"
  # strip ETCD_* variables from the caller (e.g. ETCD_ENDPOINTS after `eval $(stack.sh env)`):
  # etcd reads ETCD_<FLAG> from the environment and warns/conflicts on them
  local unset_env=() v
  while IFS= read -r v; do unset_env+=(-u "$v"); done < <(compgen -e | grep '^ETCD_' || true)
  launch etcd env "${unset_env[@]}" etcd --name stack --data-dir "$ETCD_DATA" \
    --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "stack=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state new \
    --initial-cluster-token stack-local --auto-compaction-mode periodic --auto-compaction-retention 1h \
    --logger zap --log-outputs stderr
}

start_anvil() {
  local bin
  bin=$(ensure_anvil)
  # shellcheck disable=SC2086  # STACK_ANVIL_ARGS is a word list on purpose
  launch anvil "$bin" --host "$HOST" --port "$ANVIL_PORT" --chain-id "$ANVIL_CHAIN_ID" ${STACK_ANVIL_ARGS:-}
}

# -mempoolreplacement=1: Litecoin Core's default refuses BIP125 replacements; exchanges' nodes and the wider network do
# relay them, so the stack accepts them and the double-spend tests can replace an unconfirmed deposit.
start_litecoind() {
  command -v litecoind >/dev/null 2>&1 || die "litecoind not found (apt-get install litecoind)"
  mkdir -p "$LTC_DATA"
  launch litecoind litecoind -regtest -datadir="$LTC_DATA" -server=1 -daemon=0 \
    -printtoconsole=0 -debuglogfile="$(svc_log litecoind)" \
    -rpcuser="$LTC_RPC_USER" -rpcpassword="$LTC_RPC_PASSWORD" \
    -rpcbind="$HOST" -rpcallowip="$HOST" -rpcport="$LTC_RPC_PORT" \
    -bind="$HOST" -port="$LTC_P2P_PORT" -dnsseed=0 -discover=0 -upnp=0 -listenonion=0 \
    -fallbackfee=0.0001 -txindex=1 -keypool=100 -mempoolreplacement=1
}

# Wait for a service to answer. $2 = pid if the stack started it (dies early if that exits).
wait_for() {
  local name=$1 pid=${2:-} start elapsed announced=0 log
  log=$(svc_log "$name")
  start=$(now_ms)
  while ! check "$name"; do
    elapsed=$((($(now_ms) - start) / 1000))
    if [ -n "$pid" ] && ! pid_alive "$pid"; then
      [ "$announced" = 1 ] && echo
      printf 'stack: error: %s (pid %s) exited during startup; last lines of %s:\n' "$name" "$pid" "$log" >&2
      tail -n 15 "$log" >&2 || true
      exit 1
    fi
    if [ "$elapsed" -ge "$WAIT_TIMEOUT" ]; then
      [ "$announced" = 1 ] && echo
      if [ -z "$pid" ]; then
        die "$name: $HOST:$(svc_port "$name") is in use but does not answer as $name after ${WAIT_TIMEOUT}s (not started by this stack)"
      fi
      die "$name did not answer on $HOST:$(svc_port "$name") within ${WAIT_TIMEOUT}s; see $log"
    fi
    if [ "$announced" = 0 ]; then
      printf '  waiting for %-9s on %s:%s ' "$name" "$HOST" "$(svc_port "$name")"
      announced=1
    fi
    printf '.'
    sleep 0.5
  done
  if [ "$announced" = 1 ]; then
    printf ' ok (%ss)\n' "$(awk -v ms=$(($(now_ms) - start)) 'BEGIN{printf "%.1f", ms/1000}')"
  fi
}

# ---------------------------------------------------------------- post-start preparation

mysql_ensure_root_tcp() {
  local cli
  cli=$(mysql_client)
  mysql_root_ok && return 0
  if is_root && "$cli" --protocol=socket -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    "$cli" --protocol=socket -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
FLUSH PRIVILEGES;
SQL
    if mysql_root_ok; then
      say "  mysql: enabled password-less root over TCP $HOST:$MYSQL_PORT (dev only)"
      return 0
    fi
  fi
  warn "MariaDB on $HOST:$MYSQL_PORT rejects root without password; MYSQL_URL will not work as printed"
}

ltc_ensure_wallet() {
  if ltc_cli listwallets 2>/dev/null | grep -q "\"$LTC_WALLET\""; then return 0; fi
  if ltc_cli loadwallet "$LTC_WALLET" >/dev/null 2>&1; then return 0; fi
  if ltc_cli listwallets 2>/dev/null | grep -q "\"$LTC_WALLET\""; then return 0; fi
  local out
  out=$(ltc_cli createwallet "$LTC_WALLET" 2>&1) || die "litecoind: cannot load or create wallet '$LTC_WALLET': $out"
  say "  litecoind: created wallet '$LTC_WALLET'"
}

ltc_height() { ltc_cli getblockcount; }

# Mine n blocks to the miner wallet. If the chain crosses the MWEB activation height, a peg-in
# (coins sent to an MWEB address) is put into the mempool exactly at tip = MWEB_HEIGHT-1 so that
# the activation block can be mined, then mining continues (checked: every call must succeed).
ltc_mine() {
  local n=$1 addr h target step out txid
  addr=$(ltc_wcli getnewaddress)
  h=$(ltc_height)
  target=$((h + n))
  while [ "$h" -lt "$target" ]; do
    if [ "$h" -lt $((MWEB_HEIGHT - 1)) ]; then
      step=$((target < MWEB_HEIGHT - 1 ? target - h : MWEB_HEIGHT - 1 - h))
    elif [ "$h" -eq $((MWEB_HEIGHT - 1)) ]; then
      ltc_pegin
      step=1
    else
      step=$((target - h))
    fi
    ltc_wcli generatetoaddress "$step" "$addr" >/dev/null 2>"$RUN_DIR/ltc-cli.err" ||
      die "litecoind: mining $step block(s) at height $h failed: $(tr '\n' ' ' <"$RUN_DIR/ltc-cli.err")"
    h=$(ltc_height)
  done
  if [ -n "${PEGIN_TXID:-}" ]; then
    txid=$PEGIN_TXID
    out=$(ltc_wcli gettransaction "$txid" 2>/dev/null | sed -n 's/.*"confirmations": \([0-9]*\).*/\1/p' | head -n1)
    [ "${out:-0}" -ge 1 ] || die "litecoind: MWEB peg-in $txid was not mined"
  fi
}

PEGIN_TXID=
ltc_pegin() {
  local maddr txid out
  maddr=$(ltc_wcli getnewaddress "" mweb)
  # stdout only: the txid (stderr goes to a file so that nothing else ends up in it)
  if ! txid=$(ltc_wcli sendtoaddress "$maddr" "$PEGIN_AMOUNT" 2>"$RUN_DIR/ltc-cli.err"); then
    out=$(tr '\n' ' ' <"$RUN_DIR/ltc-cli.err")
    die "litecoind: MWEB peg-in at height $((MWEB_HEIGHT - 1)) failed: $out (wallet '$LTC_WALLET' needs mature coins; try: $0 down --wipe && $0 up)"
  fi
  ltc_cli getmempoolentry "$txid" >/dev/null 2>&1 || die "litecoind: MWEB peg-in $txid not accepted into the mempool"
  PEGIN_TXID=$txid
}

ltc_prepare_chain() {
  ltc_ensure_wallet
  local h t0
  h=$(ltc_height)
  if [ "$h" -ge "$MWEB_HEIGHT" ]; then
    return 0
  fi
  t0=$(now_ms)
  printf '  litecoind: height %s < %s: mining to %s, MWEB peg-in at %s ...' \
    "$h" "$MWEB_HEIGHT" "$LTC_READY_HEIGHT" "$((MWEB_HEIGHT - 1))"
  ltc_mine $((LTC_READY_HEIGHT - h))
  ltc_cli getblockchaininfo | tr -d ' \n' | grep -q '"mweb":{[^}]*"status":"active"' ||
    die "litecoind: MWEB not active at height $(ltc_height)"
  printf ' ok: height %s, MWEB active since %s (peg-in %s) (%ss)\n' "$(ltc_height)" "$MWEB_HEIGHT" \
    "${PEGIN_TXID:0:16}…" "$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN{printf "%.1f", ms/1000}')"
}

# ---------------------------------------------------------------- commands

ensure_dirs() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
}

take_lock() {
  exec 9>"$RUN_DIR/stack.lock"
  flock -w 600 9 || die "another stack.sh is running (lock $RUN_DIR/stack.lock)"
}

cmd_up() {
  local t0 svc pid started=() line
  t0=$(now_ms)
  ensure_dirs
  take_lock
  ensure_packages
  ensure_secrets
  say "stack: $(rel "$STACK_DIR") (logs $(rel "$LOG_DIR"))"
  declare -A spid=()
  for svc in "${SERVICES[@]}"; do
    line="$(printf '  %-9s %%-8s %s:%-5s' "$svc" "$HOST" "$(svc_port "$svc")")"
    if pid=$(stack_pid "$svc"); then
      # ours and alive: reuse (it may still be starting)
      spid[$svc]=$pid
      # shellcheck disable=SC2059
      printf "$line (stack, pid %s)\n" reused "$pid"
    elif check "$svc"; then
      # shellcheck disable=SC2059
      printf "$line (external)\n" reused
    elif port_open "$(svc_port "$svc")"; then
      spid[$svc]=''
      # shellcheck disable=SC2059
      printf "$line (external, not answering yet)\n" waiting
    else
      "start_$svc"
      pid=$(cat "$(pidfile "$svc")")
      spid[$svc]=$pid
      started+=("$svc")
      # shellcheck disable=SC2059
      printf "$line (pid %s, log %s)\n" started "$pid" "$(rel "$(svc_log "$svc")")"
    fi
  done
  for svc in "${SERVICES[@]}"; do
    wait_for "$svc" "${spid[$svc]:-}"
  done
  mysql_ensure_root_tcp
  ltc_prepare_chain
  say "stack: up in $(awk -v ms=$(($(now_ms) - t0)) 'BEGIN{printf "%.1f", ms/1000}')s (started: ${started[*]:-none}); env: eval \"\$($(rel "$SCRIPT_DIR")/stack.sh env)\""
}

stop_pids() { # name=pid ... : TERM all, wait, KILL stragglers
  local item name pid deadline alive
  for item in "$@"; do
    kill -TERM "${item#*=}" 2>/dev/null || true
  done
  deadline=$(($(now_ms) + STOP_TIMEOUT * 1000))
  while :; do
    alive=()
    for item in "$@"; do pid_alive "${item#*=}" && alive+=("$item"); done
    [ ${#alive[@]} -eq 0 ] && break
    if [ "$(now_ms)" -ge "$deadline" ]; then
      for item in "${alive[@]}"; do
        name=${item%%=*}
        pid=${item#*=}
        warn "$name (pid $pid) did not exit within ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

cmd_down() {
  local wipe=0 arg svc pid targets=()
  for arg in "$@"; do
    case $arg in
      --wipe) wipe=1 ;;
      *) die "down: unknown argument '$arg' (usage: down [--wipe])" ;;
    esac
  done
  ensure_dirs
  take_lock
  for svc in litecoind anvil etcd redis mysql; do
    if pid=$(stack_pid "$svc"); then
      targets+=("$svc=$pid")
      say "  $(printf '%-9s' "$svc") stopping (pid $pid)"
    else
      say "  $(printf '%-9s' "$svc") not started by stack$(port_open "$(svc_port "$svc")" && echo ' (external, left running)')"
    fi
  done
  if [ ${#targets[@]} -gt 0 ]; then
    stop_pids "${targets[@]}"
    for svc in "${targets[@]}"; do rm -f "$(pidfile "${svc%%=*}")"; done
  fi
  say "stack: stopped ${#targets[@]} service(s)"
  if [ "$wipe" = 1 ]; then
    if stack_pid etcd >/dev/null || stack_pid litecoind >/dev/null; then die "wipe: services still running"; fi
    rm -rf "$ETCD_DATA" "$LTC_DATA" "$REDIS_DIR"
    say "stack: wiped $(rel "$ETCD_DATA") $(rel "$LTC_DATA") (kept secrets, tools, logs)"
  fi
}

cmd_status() {
  local svc pid owner state details port all_up=0 h bn cid
  printf '%-10s %-10s %-16s %-20s %s\n' SERVICE STATE ADDRESS OWNER DETAILS
  for svc in "${SERVICES[@]}"; do
    port=$(svc_port "$svc")
    details=''
    if pid=$(stack_pid "$svc"); then owner="stack (pid $pid)"; else owner=external; fi
    if check "$svc"; then
      state=up
      case $svc in
        anvil)
          cid=$(eth_rpc eth_chainId)
          bn=$(eth_rpc eth_blockNumber)
          details="chain id $((cid)), block $((bn))"
          ;;
        litecoind)
          h=$(ltc_height 2>/dev/null || echo '?')
          details="regtest height $h, p2p $HOST:$LTC_P2P_PORT"
          ;;
        etcd) details="peer $HOST:$ETCD_PEER_PORT" ;;
        mysql) if mysql_root_ok; then details="root login ok"; else details="root login REJECTED"; fi ;;
      esac
    elif port_open "$port"; then
      state=unhealthy
      all_up=1
    else
      state=down
      all_up=1
      [ "$owner" = external ] && owner='-'
    fi
    printf '%-10s %-10s %-16s %-20s %s\n' "$svc" "$state" "$HOST:$port" "$owner" "$details"
  done
  return "$all_up"
}

cmd_env() {
  local kv
  for kv in \
    "MYSQL_URL=mysql://root@$HOST:$MYSQL_PORT" \
    "REDIS_URL=redis://$HOST:$REDIS_PORT" \
    "ETCD_ENDPOINTS=http://$HOST:$ETCD_PORT" \
    "ETH_RPC_URL=http://$HOST:$ANVIL_PORT" \
    "ETH_CHAIN_ID=$ANVIL_CHAIN_ID" \
    "LTC_RPC_URL=http://$LTC_RPC_USER:$LTC_RPC_PASSWORD@$HOST:$LTC_RPC_PORT" \
    "LTC_RPC_HOST=$HOST" \
    "LTC_RPC_PORT=$LTC_RPC_PORT" \
    "LTC_RPC_USER=$LTC_RPC_USER" \
    "LTC_RPC_PASSWORD=$LTC_RPC_PASSWORD" \
    "LTC_NETWORK=regtest" \
    "LTC_MINER_WALLET=$LTC_WALLET" \
    "STACK_DIR=$STACK_DIR" \
    "DEV_SEED_ENTROPY_FILE=$SECRETS_DIR/dev-seed-entropy.hex" \
    "KEK_FILE=$SECRETS_DIR/kek.hex" \
    "ACCOUNTSRV_SECRETS_KEK_FILE=$SECRETS_DIR/accountsrv-secrets-kek.hex" \
    "TRANSRV_SECRETS_KEK_FILE=$SECRETS_DIR/transrv-secrets-kek.hex" \
    "MYSQL_ACCOUNTSRV_PASSWORD_FILE=$SECRETS_DIR/mysql-accountsrv" \
    "MYSQL_TRANSRV_PASSWORD_FILE=$SECRETS_DIR/mysql-transrv" \
    "MYSQL_SIGNSRV_PASSWORD_FILE=$SECRETS_DIR/mysql-signsrv" \
    "MYSQL_GATESRV_PASSWORD_FILE=$SECRETS_DIR/mysql-gatesrv"; do
    printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
  done
}

cmd_mine() {
  local n=${1:-}
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "usage: mine N (N >= 1)"
  check_litecoind || die "litecoind is not answering on $HOST:$LTC_RPC_PORT (run: $0 up)"
  ensure_dirs
  take_lock
  ltc_ensure_wallet
  ltc_mine "$n"
  say "mined $n block(s); height $(ltc_height)"
}

usage() {
  cat <<EOF
usage: $0 <command>
  up             install missing packages, start missing services, wait, prepare regtest chain
  down [--wipe]  stop services this stack started; --wipe also deletes etcd + litecoin data
  status         show each service (exit 1 if any is not answering)
  env            print export lines: eval "\$($0 env)"
  mine N         mine N litecoin regtest blocks to the '$LTC_WALLET' wallet
EOF
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    mine) cmd_mine "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

# allow `source stack.sh` (e.g. to call find_anvil) without running a command
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
