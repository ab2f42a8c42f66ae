#!/usr/bin/env bash
# fetch.sh [AGENT ...]   (default: $PAUDE_AGENTS, else "claude")
#
# Stages the pinned agent binaries (agents.lock) into images/agent/agents/staged/ for the agent image's build
# (the Containerfile COPYs that folder). Offline-first: each npm tarball is fetched once into
# $PAUDE_CACHE_DIR/agents (default /var/cache/paude/agents) with `npm pack --ignore-scripts` and its SHA-512 is
# checked against the integrity pinned in agents.lock on every run, cached or not; a mismatch is an error and the
# file is discarded. No package script runs (nothing is installed with npm; the binary is taken out of the
# tarball). Agents not named are removed from staged/, so the image holds exactly the selection.
# Exit 0 = staged; 1 = an agent is unknown, npm or the registry is missing, or a tarball fails its check.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${PAUDE_CACHE_DIR:-/var/cache/paude}/agents"
staged="${PAUDE_AGENTS_STAGED:-$here/staged}"   # overridable for tests only
log() { printf '[agents] %s\n' "$*" >&2; }
die() { printf '[agents] ERROR: %s\n' "$*" >&2; exit 1; }

read -r -a want <<< "${*:-${PAUDE_AGENTS:-claude}}"
[ ${#want[@]} -gt 0 ] || die "no agent selected"

# sri FILE -> the file's integrity in npm's form (sha512-<base64>)
sri() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# Every name first, so a typo fails before anything is fetched.
for agent in "${want[@]}"; do
  awk -v a="$agent" '$1 == a && $1 !~ /^#/ {found = 1} END {exit !found}' "$here/agents.lock" \
    || die "unknown agent '$agent' (known: $(awk '!/^#/ && NF {printf "%s ", $1}' "$here/agents.lock"))"
done

mkdir -p "$cache" "$staged"
declare -A keep=()
for agent in "${want[@]}"; do
  line=$(awk -v a="$agent" '$1 == a && $1 !~ /^#/' "$here/agents.lock")
  [ -n "$line" ] || die "unknown agent '$agent' (known: $(awk '!/^#/ && NF {printf "%s ", $1}' "$here/agents.lock"))"
  read -r _ spec integrity member <<< "$line"
  keep[$agent]=1
  stamp="$staged/$agent.integrity"
  if [ -x "$staged/$agent" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$integrity" ]; then
    continue
  fi
  file="$cache/$(printf '%s' "$spec" | tr '@/' '_-').tgz"
  if [ -f "$file" ] && [ "$(sri "$file")" != "$integrity" ]; then
    log "cached $file does not match the pinned integrity: fetching it again"
    rm -f -- "$file"
  fi
  if [ ! -f "$file" ]; then
    command -v npm >/dev/null || die "npm is needed to fetch $spec once (install Debian's npm or nodejs), or put the tarball at $file"
    registry=$(npm config get registry 2>/dev/null || echo '?')
    log "fetching $spec from $registry (once; about 180 MB)"
    tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
    if ! out=$(cd "$tmp" && timeout 900 npm pack --ignore-scripts --loglevel=error --fetch-retries=1 --fetch-retry-maxtimeout=10000 "$spec" 2>&1); then
      rm -rf -- "$tmp"
      die "the npm registry ($registry) did not serve $spec: $(printf '%s' "$out" | grep -m 3 . | tr '\n' ' ')"
    fi
    got=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)
    [ -n "$got" ] || { rm -rf -- "$tmp"; die "npm pack of $spec produced no tarball"; }
    if [ "$(sri "$got")" != "$integrity" ]; then
      rm -rf -- "$tmp"
      die "$spec from $registry does not match the integrity pinned in agents.lock (refusing it)"
    fi
    mv -- "$got" "$file"
    rm -rf -- "$tmp"
  fi
  log "staging $agent from $(basename "$file")"
  rm -f -- "$staged/$agent" "$stamp"
  tar -xzf "$file" -O -- "$member" > "$staged/$agent.tmp" || die "$file has no $member"
  chmod 0755 "$staged/$agent.tmp"
  mv -- "$staged/$agent.tmp" "$staged/$agent"
  printf '%s' "$integrity" > "$stamp"
done
# Drop what is no longer selected, so the image carries only the chosen agents.
for f in "$staged"/*; do
  [ -e "$f" ] || continue
  n=$(basename "$f"); n=${n%.integrity}
  [ -n "${keep[$n]:-}" ] || rm -f -- "$f"
done
log "staged: ${want[*]}"
