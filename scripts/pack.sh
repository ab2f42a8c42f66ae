#!/usr/bin/env bash
# Packs every shipped package (everything under src/) into one local folder, as a user gets them: .nupkg + .snupkg,
# version from git (MinVer: latest v* tag + height; no tag -> 0.1.0-alpha.0.<height>), deterministic CI build with
# SourceLink, package validation and the public API baseline checked. Usage: scripts/pack.sh [output-folder]
# (default artifacts/packages; the folder is emptied first so it holds one version of each package).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out="$(realpath -m "${1:-artifacts/packages}")"
rm -rf "$out"; mkdir -p "$out"
# Every project under src/ is a package unless its project file says <IsPackable>false</IsPackable>.
projects=()
for proj in src/*/*.csproj; do
  grep -q '<IsPackable>false</IsPackable>' "$proj" || projects+=("$proj")
done
# One MSBuild run for all packages (a solution filter of src/): shared evaluation and parallel builds; one `dotnet
# pack` per project took a minute even with nothing to compile.
mkdir -p artifacts
filter="artifacts/packages.slnf"
python3 - "$filter" "${projects[@]}" <<'PY'
import json, sys
json.dump({"solution": {"path": "../Paude.sln", "projects": [p.replace("/", "\\") for p in sys.argv[2:]]}}, open(sys.argv[1], "w"), indent=2)
PY
# ContinuousIntegrationBuild: source paths in the PDBs become /_/… (deterministic; SourceLink maps them to the repo).
dotnet pack "$filter" -c Release -o "$out" -nologo -v q -p:ContinuousIntegrationBuild=true
count=$(find "$out" -maxdepth 1 -name '*.nupkg' | wc -l)
[ "$count" -eq "${#projects[@]}" ] || { echo "expected ${#projects[@]} packages in $out, found $count" >&2; exit 1; }
find "$out" -maxdepth 1 -type f -printf '%9s  %f\n' | sort -k2
