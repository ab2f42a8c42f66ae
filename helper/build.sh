#!/usr/bin/env bash
# Builds the session helper with NativeAOT for linux-x64 and prints the binary's path. Cached: the output is reused
# while the helper's sources (and the SDK version) are unchanged, so an unchanged machine pays ~0 s instead of ~1 min.
# Usage: helper/build.sh [output-dir]   (default: $PAUDE_CACHE_DIR/helper or /var/cache/paude/helper)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-${PAUDE_CACHE_DIR:-/var/cache/paude}/helper}"
log() { printf '[helper] %s\n' "$*" >&2; }

# The key covers every input of the binary: sources, project, shared build props, pinned package versions, SDK.
key=$( (cd "$root" && find helper/Paude.SessionHelper -type f \( -name '*.cs' -o -name '*.csproj' \) -not -path '*/obj/*' -not -path '*/bin/*' | LC_ALL=C sort \
        | xargs sha256sum; sha256sum Directory.Build.props Directory.Packages.props global.json; dotnet --version) | sha256sum | cut -c1-16)
bin="$out/$key/paude-session-helper"
if [ -x "$bin" ]; then
  echo "$bin"; exit 0
fi
log "publishing with NativeAOT (about a minute)"
tmp="$out/$key.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
dotnet publish "$here/Paude.SessionHelper/Paude.SessionHelper.csproj" -c Release -r linux-x64 -o "$tmp" -nologo -v q >&2
"$tmp/paude-session-helper" --version >/dev/null
mkdir -p "$out/$key"
mv "$tmp/paude-session-helper" "$bin"
rm -rf "$tmp"
# Old builds (2 MB each) go after 30 days unused; other worktrees may still use a recent one.
find "$out" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -atime +30 -exec rm -rf {} + 2>/dev/null || true
echo "$bin"
