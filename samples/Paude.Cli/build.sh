#!/usr/bin/env bash
# Publishes the sample CLI with NativeAOT for linux-x64 and prints the path of the `paude` binary. Cached: the output
# is reused while its inputs (the CLI and the libraries it compiles in, build props, pinned packages, SDK) are
# unchanged, so an unchanged machine pays ~0 s instead of several minutes (measured 20-55 min on a loaded 2-core
# machine). Podman only for now: the openshift backend fails under NativeAOT (see Paude.Cli.csproj). The CLI process
# tests run the binary it prints when PAUDE_CLI_BIN is set; the benchmarks with PAUDE_BENCH_CLI.
# Usage: samples/Paude.Cli/build.sh [output-dir]   (default: $PAUDE_CACHE_DIR/cli or /var/cache/paude/cli)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-${PAUDE_CACHE_DIR:-/var/cache/paude}/cli}"
log() { printf '[cli] %s\n' "$*" >&2; }

key=$( (cd "$root" && find samples/Paude.Cli src -type f -not -name '*.md' -not -path '*/obj/*' -not -path '*/bin/*' | LC_ALL=C sort | xargs sha256sum
        sha256sum Directory.Build.props Directory.Build.targets Directory.Packages.props global.json; dotnet --version) | sha256sum | cut -c1-16)
bin="$out/$key/paude"
if [ -x "$bin" ]; then
  echo "$bin"; exit 0
fi
log "publishing with NativeAOT (a few minutes)"
tmp="$out/$key.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
# A RID publish writes its own obj/bin folders (…/linux-x64), beside the JIT build the in-process tests reference.
dotnet publish "$here/Paude.Cli.csproj" -c Release -r linux-x64 -p:PaudeNativeAot=true -o "$tmp/out" -nologo -v q >&2
"$tmp/out/paude" --help >/dev/null
mkdir -p "$out/$key"
mv "$tmp/out/paude" "$bin"
rm -rf "$tmp"
# Old builds go after 30 days unused; other worktrees may still use a recent one.
find "$out" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -atime +30 -exec rm -rf {} + 2>/dev/null || true
echo "$bin"
