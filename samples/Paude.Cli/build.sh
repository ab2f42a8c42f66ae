#!/usr/bin/env bash
# Publishes the sample CLI the way users run it and prints the path of the `paude` binary: NativeAOT for linux-x64
# (the podman commands, ~1.2-2x the podman command they wrap instead of 3-7x for a JIT build), plus a managed build
# in managed/ beside it that the native binary execs for --backend openshift (KubernetesClient does not
# run under NativeAOT; see Paude.Cli.csproj and Hosting/CliFeatures.cs). Cached: the output is reused while its inputs
# (the CLI and the libraries it compiles in, build props, pinned packages, SDK) are unchanged, so an unchanged machine
# pays ~0 s instead of minutes. scripts/test.sh runs it and points the CLI process tests at the binary (PAUDE_CLI_BIN);
# the benchmarks take it as PAUDE_BENCH_CLI.
# Usage: samples/Paude.Cli/build.sh [output-dir]   (default: $PAUDE_CACHE_DIR/cli or /var/cache/paude/cli)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-${PAUDE_CACHE_DIR:-/var/cache/paude}/cli}"
log() { printf '[cli] %s\n' "$*" >&2; }

key=$( (cd "$root" && find samples/Paude.Cli src -type f -not -name '*.md' -not -path '*/obj/*' -not -path '*/bin/*' | LC_ALL=C sort | xargs sha256sum
        sha256sum Directory.Build.props Directory.Build.targets Directory.Packages.props global.json; dotnet --version) | sha256sum | cut -c1-16)
bin="$out/$key/paude"
if [ -x "$bin" ] && [ -x "$out/$key/managed/paude" ]; then
  echo "$bin"; exit 0
fi
tmp="$out/$key.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
started=$SECONDS
# The native build gets obj/bin folders of its own (relative, so per project): its feature switch (openshift off) must
# never reach the managed build's runtimeconfig through an incremental build, nor the JIT build the tests reference.
log "publishing with NativeAOT (a few minutes)"
dotnet publish "$here/Paude.Cli.csproj" -c Release -r linux-x64 -p:PaudeNativeAot=true \
  -p:IntermediateOutputPath=obj/aot/ -p:OutputPath=bin/aot/ -o "$tmp/native" -nologo -v q >&2
# Not ReadyToRun: crossgen of KubernetesClient alone costs minutes of CPU on every changed tree (CI), and an openshift
# command waits on the cluster anyway; it starts as the JIT build did before.
log "publishing the managed build for --backend openshift"
dotnet publish "$here/Paude.Cli.csproj" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=false -o "$tmp/managed" -nologo -v q >&2
if grep -q 'Paude.Cli.OpenShiftBackend' "$tmp/managed/paude.runtimeconfig.json"; then
  log "the managed build has the openshift backend switched off: refusing it"; exit 1
fi
"$tmp/native/paude" --help >/dev/null
"$tmp/managed/paude" --help >/dev/null
mkdir -p "$tmp/final"
# The binary and the native libraries it loads from its own folder (libgit2 for LibGit2Sharp: sync).
mv "$tmp/native/paude" "$tmp/native/"*.so "$tmp/final/"
mv "$tmp/managed" "$tmp/final/managed"
rm -rf "$out/$key"
mv "$tmp/final" "$out/$key"
log "published in $((SECONDS - started)) s"
# Old builds go after 30 days unused; other worktrees may still use a recent one.
find "$out" -mindepth 1 -maxdepth 1 -type d ! -name "$key" ! -name '*.tmp.*' -atime +30 -exec rm -rf {} + 2>/dev/null || true
echo "$bin"
