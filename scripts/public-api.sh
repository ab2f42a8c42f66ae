#!/usr/bin/env bash
# Regenerates the public API baselines (PublicAPI.Unshipped.txt) of every package under src/ from the code, with the
# code fixes that ship in Microsoft.CodeAnalysis.PublicApiAnalyzers:
#   RS0016  a public symbol not in the baseline  -> added to PublicAPI.Unshipped.txt
# RS0017 (a baseline entry whose symbol is gone) is reported by the build but not fixed here: measured, the fixer also
# removed the members the compiler generates for a record (SyncOptions' Equals/Clone...), which the next build then
# reported as RS0016. Remove such lines by hand, as the build error names them.
# Run it after a deliberate public API change (or after merging branches that each added API), then review the
# diff of the PublicAPI.*.txt files and commit them. `--ship` afterwards moves every Unshipped entry into Shipped
# (do that when a version is released). Usage: scripts/public-api.sh [--ship] [project-folder ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
ship=0
if [ "${1:-}" = "--ship" ]; then ship=1; shift; fi
if [ $# -eq 0 ]; then set -- src/*/; fi
for dir in "$@"; do
  dir="${dir%/}"
  projs=("$dir"/*.csproj)
  proj=${projs[0]}
  [ -f "$proj" ] || { echo "no project in $dir" >&2; exit 2; }
  for f in Shipped Unshipped; do
    [ -f "$dir/PublicAPI.$f.txt" ] || printf '#nullable enable\n' > "$dir/PublicAPI.$f.txt"
  done
  if [ "$ship" -eq 1 ]; then
    # Merge Unshipped into Shipped (sorted, one #nullable header), leave Unshipped empty.
    { echo '#nullable enable'; grep -hv '^#nullable' "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt" | sed '/^$/d' | LC_ALL=C sort -u; } > "$dir/PublicAPI.Shipped.tmp"
    mv "$dir/PublicAPI.Shipped.tmp" "$dir/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
    echo "shipped: $dir"
    continue
  fi
  # The fixer only edits the PublicAPI files (other files are reported as "formatted" but left unchanged).
  dotnet format analyzers "$proj" --diagnostics RS0016 --severity info >/dev/null
  # Keep the files in a stable order so that merges and reviews see only real changes.
  { echo '#nullable enable'; grep -v '^#nullable' "$dir/PublicAPI.Unshipped.txt" | sed '/^$/d' | LC_ALL=C sort -u; } > "$dir/PublicAPI.Unshipped.tmp"
  mv "$dir/PublicAPI.Unshipped.tmp" "$dir/PublicAPI.Unshipped.txt"
  echo "$dir: $(grep -vc '^#' "$dir/PublicAPI.Shipped.txt" || true) shipped, $(grep -vc '^#' "$dir/PublicAPI.Unshipped.txt" || true) unshipped"
done
