#!/usr/bin/env bash
# Builds the wallet's container images with podman (rootful), from Debian packages only: no image registry is pulled
# from. Idempotent: what exists is kept, podman's layer cache does the rest.
#   1. localhost/wallet/debian:bookworm     debootstrap --variant=minbase from the Debian mirror apt uses
#   2. localhost/wallet/node:<v>-bookworm   + this machine's Node.js 20 binary (Debian's own nodejs is 18) and the
#      localhost/wallet/node-build:...      non-root user wallet (10001); the build image also gets this machine's pnpm
#   3. localhost/wallet/<target>:<git sha>  deploy/images/Dockerfile's targets (and :latest)
# Usage: bash deploy/images/build.sh [target...]   (default: gatesrv accountsrv transrv signsrv migrate walletctl)
# Environment: WALLET_IMAGES_DIR (work dir, default .stack/images), WALLET_REBUILD_BASE=1 (remake 1-2),
# DEBIAN_MIRROR (default: the first debian URI in apt's sources).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gatesrv accountsrv transrv signsrv migrate walletctl)
work=${WALLET_IMAGES_DIR:-$repo/.stack/images}
log() { printf '[images] %s\n' "$*" >&2; }

need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
[ "$(id -u)" = 0 ] || { log 'run as root: the images are built with rootful podman'; exit 1; }

node_bin=$(command -v node)
node_version=$(node -p 'process.versions.node')
case "$node_version" in 20.*) ;; *) log "node $node_version: the images need Node.js 20 (engines: >=20.19)"; exit 1 ;; esac
pnpm_dir=$(cd "$(dirname "$(readlink -f "$(command -v pnpm)")")/.." && pwd)
pnpm_version=$(node -p "require('$pnpm_dir/package.json').version")
debian=localhost/wallet/debian:bookworm
# This sandbox (and hosts like it) has cgroup v1 with a controller left on the cgroup2 hierarchy, which crun refuses
# ("cgroups in hybrid mode not supported"), and refuses raising RLIMIT_NOFILE/NPROC to podman's defaults: runc with
# limits at or below the host's works. WALLET_PODMAN_RUNTIME=crun on an ordinary host.
podman_opts=(--runtime "${WALLET_PODMAN_RUNTIME:-runc}")
run_opts=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
base=localhost/wallet/node:$node_version-bookworm
build_base=localhost/wallet/node-build:$node_version-bookworm

if [ "${WALLET_REBUILD_BASE:-0}" = 1 ]; then
  podman rmi -f "$build_base" "$base" "$debian" >/dev/null 2>&1 || true
  rm -rf "$work/rootfs"
fi

if ! podman image exists "$debian"; then
  mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
  mirror=${mirror:-http://deb.debian.org/debian}
  mkdir -p "$work"
  if [ ! -f "$work/rootfs/.complete" ]; then
    rm -rf "$work/rootfs"
    log "debootstrap bookworm from $mirror (a few minutes)"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    touch "$work/rootfs/.complete"
  fi
  # The image needs no package manager state: lists and downloaded .debs are dropped (the mirror has them).
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin "$work/rootfs/var/cache/apt/archives/"*.deb
  log "importing $debian"
  tar -C "$work/rootfs" --numeric-owner --exclude=./.complete --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . |
    podman import --change 'CMD ["/bin/bash"]' --message "debootstrap minbase bookworm from $mirror" - "$debian" >/dev/null
fi

if ! podman image exists "$base"; then
  log "making $base (node $node_version from $node_bin)"
  # Made on the rootfs itself rather than with RUN steps: nothing needs to execute inside for it.
  install -m 0755 "$node_bin" "$work/rootfs/usr/local/bin/node"
  # The user every service runs as: no login, no home to write.
  grep -q '^wallet:' "$work/rootfs/etc/group" || echo 'wallet:x:10001:' >>"$work/rootfs/etc/group"
  grep -q '^wallet:' "$work/rootfs/etc/passwd" ||
    echo 'wallet:x:10001:10001:wallet services:/nonexistent:/usr/sbin/nologin' >>"$work/rootfs/etc/passwd"
  tar -C "$work/rootfs" --numeric-owner --exclude=./.complete --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . |
    podman import --change 'USER 10001:10001' --change "ENV NODE_VERSION=$node_version" --change 'CMD ["node"]' \
      --message "debootstrap minbase bookworm + Node.js $node_version" - "$base" >/dev/null
  podman "${podman_opts[@]}" run --rm "${run_opts[@]}" "$base" node -e 'console.log("node", process.version, "as uid", process.getuid())' >&2
fi

if ! podman image exists "$build_base"; then
  log "making $build_base (+ pnpm $pnpm_version from $pnpm_dir)"
  printf 'FROM %s\nUSER 0:0\nCOPY . /usr/local/lib/node_modules/pnpm\nRUN ln -sf ../lib/node_modules/pnpm/bin/pnpm.cjs /usr/local/bin/pnpm && pnpm --version\n' "$base" |
    podman "${podman_opts[@]}" build "${run_opts[@]}" --quiet -t "$build_base" -f - "$pnpm_dir" >/dev/null
fi

# The Dockerfile's defaults, for a plain `podman build` of one target.
podman tag "$base" localhost/wallet/node:20-bookworm
podman tag "$build_base" localhost/wallet/node-build:20-bookworm

# The build stage fetches packages from the registry; where this machine trusts an extra CA for that (a TLS-inspecting
# proxy), the build trusts it too. The bundle is mounted, not copied: no layer keeps it.
ca_opts=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  ca_opts=(--volume "$NODE_EXTRA_CA_CERTS:/run/wallet-build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/wallet-build-ca.crt)
fi

# The build context is the commit (git archive HEAD), so an image is exactly its tag's source whatever the work tree
# holds; WALLET_IMAGES_CONTEXT=worktree builds the work tree as it is instead (tagged -dirty when it differs).
if [ "${WALLET_IMAGES_CONTEXT:-commit}" = worktree ]; then
  context=$repo
  tag=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo -dirty)
else
  context=$work/context
  tag=$(git rev-parse --short HEAD)
  rm -rf "$context" && mkdir -p "$context"
  git archive HEAD | tar -x -C "$context"
fi
for target in "${targets[@]}"; do
  log "building localhost/wallet/$target:$tag"
  podman "${podman_opts[@]}" build "${run_opts[@]}" "${ca_opts[@]}" --format docker --layers --ignorefile "$context/deploy/images/containerignore" -f "$context/deploy/images/Dockerfile" \
    --build-arg BASE_IMAGE="$base" --build-arg BUILD_IMAGE="$build_base" \
    --target "$target" -t "localhost/wallet/$target:$tag" -t "localhost/wallet/$target:latest" "$context"
done
podman images --filter reference='localhost/wallet/*' --format '{{.Repository}}:{{.Tag}} {{.Size}}' >&2
