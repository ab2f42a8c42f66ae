#!/usr/bin/env bash
# Idempotent machine set-up for Paude development, tests and CI on Debian (run as root).
# Installs Podman (runc, netavark) and configures it for this kind of host, then builds or
# reloads the cached base image and builds the agent and proxy images from it.
# Fresh machine: about a minute. Same machine again: about a second.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${PAUDE_CACHE_DIR:-/var/cache/paude}"
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Packages. Without recommends, netavark/aardvark-dns/catatonit/iptables must be named, or podman
#    falls back to CNI and --init has no catatonit. shellcheck: the test run lints every shell script (ShellcheckTests).
#    iproute2: the Kubernetes test server pins its pod bridge's MAC with `ip link` (Runtime/BridgeAddress.cs).
pkgs=(podman runc conmon netavark aardvark-dns catatonit iptables iproute2 debootstrap uidmap git tar rsync ca-certificates curl jq shellcheck)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v kubectl >/dev/null || { log "kubectl missing: installing Debian's kubernetes-client"; apt-get install -y -qq kubernetes-client >/dev/null; }

# 2. containers.conf: crun cannot run on this hybrid-cgroup host, and podman's default root ulimits
#    exceed the host's hard limits (EPERM). Written only when it differs; an existing file is backed up.
conf=/etc/containers/containers.conf
want=$'[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n\n[engine]\nruntime = "runc"\n\n[network]\nnetwork_backend = "netavark"\n'
mkdir -p /etc/containers
if [ "$(cat "$conf" 2>/dev/null)" != "$(printf '%s' "$want")" ]; then
  [ -f "$conf" ] && cp "$conf" "$conf.paude-backup"
  printf '%s' "$want" > "$conf"
fi

# 3. Base image (no registry is reachable): debootstrap minbase, trimmed, imported, cached as an OCI archive.
base_pkgs="git,tmux,ca-certificates,bash,rsync,tar,curl,procps,busybox,squid,openssl,socat"
# Bump base_recipe when the debootstrap/trim steps below change; the tag (and cache) follow it.
base_recipe=2
recipe_hash=$(printf '%s|%s|%s' "$base_pkgs" "bookworm" "$base_recipe" | sha256sum | cut -c1-12)
tag="localhost/paude-base:bookworm-$recipe_hash"
alias_tag="localhost/paude-base:ci"
archive="$cache_dir/paude-base-bookworm-$recipe_hash.oci.tar"
if podman image exists "$tag"; then
  :
elif [ -f "$archive" ]; then
  log "loading cached base image $archive"
  podman load -q -i "$archive" >/dev/null
  podman image exists "$tag" || podman tag "$(podman images -q | head -1)" "$tag"
else
  log "building base image with debootstrap (about 40 s)"
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  work=$(mktemp -d /var/tmp/paude-rootfs.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase --include="$base_pkgs" bookworm "$work/rootfs" "$mirror" >/dev/null
  (cd "$work/rootfs"
   rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* usr/share/doc/* usr/share/man/* usr/share/info/*
   find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
   mkdir -p home/paude workspace pvc
   chown 0:0 home/paude workspace pvc; chmod 0775 home/paude workspace pvc)
  tar -C "$work/rootfs" -c . | podman import -q \
     --change 'ENV HOME=/home/paude' --change 'ENV LANG=C.UTF-8' --change 'WORKDIR /workspace' \
     --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
  mkdir -p "$cache_dir"
  podman save -q --format oci-archive -o "$archive.tmp" "$tag" && mv "$archive.tmp" "$archive"
  rm -rf "$work"; trap - EXIT
fi
podman tag "$tag" "$alias_tag"

# 3b. Coding agents for the agent image: pinned, integrity-checked, cached (images/agent/agents/fetch.sh).
bash "$here/images/agent/agents/fetch.sh"

# 3c. The session helper (helper/build.sh: NativeAOT, cached by its inputs), staged in the agent image's build context.
#     Without dotnet the image is built without it; the host then injects its own copy into each session.
if command -v dotnet >/dev/null; then
  helper_bin=$(bash "$here/helper/build.sh")
  cmp -s "$helper_bin" "$here/images/agent/helper/paude-session-helper" 2>/dev/null \
    || install -m 0755 "$helper_bin" "$here/images/agent/helper/paude-session-helper"
else
  log "dotnet not found: agent image without the session helper (the host injects it)"
fi

# 4. Agent and proxy images from the repository's Containerfiles (base image is a build argument), tagged
#    :latest (what the backends run) and :dev. Skipped when the image already is the build of the same inputs
#    (scripts/build-image.sh: a hash of the build context and the base image's ID in a label); a changed file, mode
#    or base rebuilds, and podman's layer cache then rebuilds exactly the layers that changed.
for img in agent proxy; do
  dir="$here/images/$img"
  [ -f "$dir/Containerfile" ] || { log "missing $dir/Containerfile"; exit 1; }
  outcome=$(bash "$here/scripts/build-image.sh" "$dir" "$alias_tag" "localhost/paude-$img:latest" "localhost/paude-$img:dev")
  log "localhost/paude-$img:latest ${outcome%% *}"
done

# 5. Smoke test as an OpenShift-style arbitrary UID.
podman run --rm --user 1000680000:0 "$alias_tag" bash -c 'git --version >/dev/null && tmux -V >/dev/null && touch "$HOME/.w"'
log "ready: $alias_tag"
