#!/usr/bin/env bash
# Regenerates the public API baselines (PublicAPI.Unshipped.txt) of every package under src/ from the code, and checks
# that the package then builds without a baseline error. Per package:
#   1. the RS0016 code fix of Microsoft.CodeAnalysis.PublicApiAnalyzers adds every public symbol missing from the
#      baseline. Measured: it also drops lines it did not add — the members the compiler generates for a record
#      (Equals, GetHashCode, <Clone>$, EqualityContract, PrintMembers, operator ==/!= ...) — so its output is only
#      ever added to what the file had (union), never taken as the whole file;
#   2. the package is built: each RS0017 (a baseline line whose symbol is gone: removed or renamed) names the exact
#      line, which is removed from Unshipped (a Shipped line is kept and marked *REMOVED* in Unshipped, the analyzer's
#      convention for a shipped symbol taken away);
#   3. the package is built again: any RS0016/RS0017 left fails the script loudly, naming them.
# An unchanged tree leaves the files byte-identical (a changed Unshipped file is written sorted). Run it after a deliberate public API change (or after merging
# branches that each added API), review the diff of the PublicAPI.*.txt files and commit them. `--ship` moves every
# Unshipped entry into Shipped (do that when a version is released). Usage: scripts/public-api.sh [--ship] [project-folder ...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
ship=0
if [ "${1:-}" = "--ship" ]; then ship=1; shift; fi
if [ $# -eq 0 ]; then set -- src/*/; fi

# Rewrites a baseline file: one #nullable header, the lines of the given files, without blanks, sorted and unique.
normalize() {
  local out=$1; shift
  { echo '#nullable enable'; cat "$@" | grep -v '^#nullable' | sed '/^$/d' | LC_ALL=C sort -u; } > "$out.tmp"
  mv "$out.tmp" "$out"
}

# Builds the project; prints its baseline diagnostics, one "RSnnnn<TAB>symbol" a line, unique.
api_diagnostics() {
  local proj=$1 log
  log=$(mktemp)
  # -p:TreatWarningsAsErrors=false: the diagnostics are read, not fatal here; --no-incremental: every file analysed.
  dotnet build "$proj" -c Release --no-incremental -nologo -clp:NoSummary -p:TreatWarningsAsErrors=false > "$log" 2>&1 || true
  if grep -q ': error ' "$log" && ! grep -Eq ': error RS00(16|17):' "$log"; then
    echo "public-api.sh: $proj does not build:" >&2
    grep ': error ' "$log" | LC_ALL=C sort -u >&2
    rm -f "$log"
    return 2
  fi
  grep -Eo "(warning|error) RS00(16|17): Symbol '.*' is (not part of the declared public API|part of the declared API, but is either not public or could not be found)" "$log" \
    | sed -E "s/^(warning|error) (RS00(16|17)): Symbol '(.*)' is (not part|part) .*/\2\t\4/" | LC_ALL=C sort -u || true
  rm -f "$log"
}

for dir in "$@"; do
  dir="${dir%/}"
  projs=("$dir"/*.csproj)
  proj=${projs[0]}
  [ -f "$proj" ] || { echo "no project in $dir" >&2; exit 2; }
  shipped="$dir/PublicAPI.Shipped.txt"
  unshipped="$dir/PublicAPI.Unshipped.txt"
  for f in "$shipped" "$unshipped"; do
    [ -f "$f" ] || printf '#nullable enable\n' > "$f"
  done
  if [ "$ship" -eq 1 ]; then
    # Merge Unshipped into Shipped (sorted, one #nullable header), leave Unshipped empty.
    normalize "$shipped" "$shipped" "$unshipped"
    printf '#nullable enable\n' > "$unshipped"
    echo "shipped: $dir"
    continue
  fi

  original=$(mktemp)
  before=$(mktemp)
  cp "$unshipped" "$original"
  cp "$unshipped" "$before"
  # 1. Add what is missing. The fixer only edits the PublicAPI files (others are reported "formatted", left unchanged).
  dotnet format analyzers "$proj" --diagnostics RS0016 --severity info >/dev/null
  normalize "$unshipped" "$before" "$unshipped"
  rm -f "$before"

  # 2. Remove what is gone, by the exact lines the build names.
  diagnostics=$(api_diagnostics "$proj")
  gone=$(printf '%s\n' "$diagnostics" | awk -F'\t' '$1 == "RS0017" { print $2 }')
  if [ -n "$gone" ]; then
    removed=$(mktemp)
    printf '%s\n' "$gone" > "$removed"
    grep -vxF -f "$removed" "$unshipped" > "$unshipped.kept" || true
    grep -xF -f "$removed" "$shipped" | sed 's/^/*REMOVED*/' >> "$unshipped.kept" || true
    normalize "$unshipped" "$unshipped.kept"
    rm -f "$removed" "$unshipped.kept"
    diagnostics=$(api_diagnostics "$proj")
  fi

  # The same lines as before: the file as it was, byte for byte (a committed baseline need not be in sort order).
  if cmp -s <(grep -v '^#nullable' "$original" | sed '/^$/d' | LC_ALL=C sort -u) <(grep -v '^#nullable' "$unshipped" | LC_ALL=C sort -u); then
    cp "$original" "$unshipped"
  fi
  rm -f "$original"

  # 3. Nothing may be left: the next build would fail on it.
  if [ -n "$diagnostics" ]; then
    echo "public-api.sh: $dir still has baseline errors after the fix; edit $unshipped by hand:" >&2
    printf '%s\n' "$diagnostics" >&2
    exit 1
  fi
  echo "$dir: $(grep -vc '^#' "$shipped" || true) shipped, $(grep -vc '^#' "$unshipped" || true) unshipped"
done
