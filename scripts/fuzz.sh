#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser: scripts/fuzz.sh TARGET [SECONDS]   (scripts/fuzz.sh --list names the targets)
#
# Installs what it needs (Debian's afl++, the SharpFuzz instrumenter from the repo's dotnet tool manifest), builds
# tests/Paude.Fuzz, copies its output to .fuzz/bin, instruments the Paude product assemblies there with sharpfuzz and
# runs afl-fuzz for SECONDS (default 60) on the committed seeds tests/Paude.Fuzz/Corpus/TARGET/. Inputs that crash
# the target (an unexpected exception or a broken invariant, see tests/Paude.Fuzz/IFuzzTarget.cs) are copied to
# .fuzz/findings/TARGET/; turn each into a regression input under tests/Paude.Fuzz/Regressions/TARGET/ (replayed by
# tests/Paude.Fuzz.Tests) once the bug is fixed.
#
# Last line printed: "fuzz TARGET: N execs, N paths, N crashes, N hangs, S s". Exit 0 when there were no crashes,
# 1 when there were, 2 on a set-up failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS] (or --list)}"
seconds="${2:-60}"
work="${PAUDE_FUZZ_DIR:-$here/.fuzz}"
bin="$work/bin"

if ! command -v afl-fuzz >/dev/null; then
  echo "installing afl++ (Debian)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null; } || { echo "cannot install afl++" >&2; exit 2; }
fi
dotnet tool restore >/dev/null || { echo "cannot restore the sharpfuzz tool (.config/dotnet-tools.json)" >&2; exit 2; }

# One build and instrumentation serves every target; redo them only when the build output changed. A lock keeps
# parallel runs (several targets at once) from instrumenting the same copy twice.
mkdir -p "$work"
exec 9>"$work/.lock"
flock 9
# PAUDE_FUZZ_NO_BUILD=1: the caller built it already (the test suite's build does; saves ~20 s per target).
if [ "${PAUDE_FUZZ_NO_BUILD:-}" != "1" ]; then
  dotnet build tests/Paude.Fuzz -c Release -nologo -v q >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; exit 2; }
fi
out="tests/Paude.Fuzz/bin/Release/net10.0"
stamp="$(cd "$out" && sha256sum Paude.*.dll | sha256sum | cut -c1-16)"
if [ "$(cat "$bin/.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$bin"; cp -r "$out" "$bin"
  for dll in Paude.Abstractions Paude.Sync Paude.Credentials Paude.Backends.OpenShift Paude.Testing; do
    dotnet tool run sharpfuzz "$bin/$dll.dll" >>"$work/instrument.log" 2>&1 || { tail -20 "$work/instrument.log" >&2; exit 2; }
  done
  echo "$stamp" >"$bin/.stamp"
fi
flock -u 9
targets="$(dotnet "$bin/Paude.Fuzz.dll" --list)"
if [ "$target" = "--list" ]; then echo "$targets"; exit 0; fi
grep -qx "$target" <<<"$targets" || { echo "unknown target '$target'" >&2; exit 2; }

seeds="tests/Paude.Fuzz/Corpus/$target"
[ -d "$seeds" ] || { echo "no seed corpus $seeds" >&2; exit 2; }
run="$work/runs/$target"
rm -rf "$run"; mkdir -p "$run"
# This VM: no CPU frequency control, a shared core set and no core-dump handler of afl's liking.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
start=$(date +%s)
# -t: ms per input (the harness itself fails an input after 5 s); -m none: .NET reserves far more virtual memory than
# afl's default cap; -V: stop after SECONDS. nice: the suite runs other test assemblies beside it on 2 cores.
timeout --kill-after=30 $((seconds + 120)) nice -n 10 afl-fuzz -i "$seeds" -o "$run" -t 10000 -m none -V "$seconds" -- dotnet "$bin/Paude.Fuzz.dll" "$target" >"$run/afl.log" 2>&1 || {
  status=$?
  if [ ! -f "$run/default/fuzzer_stats" ]; then tail -30 "$run/afl.log" >&2; echo "afl-fuzz failed ($status)" >&2; exit 2; fi
}
elapsed=$(( $(date +%s) - start ))
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$run/default/fuzzer_stats"; }
findings="$work/findings/$target"
crashes=0
for f in "$run"/default/crashes/id:*; do
  [ -e "$f" ] || continue
  mkdir -p "$findings"; cp "$f" "$findings/$(sha256sum "$f" | cut -c1-16)"; crashes=$((crashes + 1))
done
echo "fuzz $target: $(stat execs_done) execs, $(stat corpus_count) paths, $crashes crashes, $(stat saved_hangs) hangs, ${elapsed} s"
[ "$crashes" -eq 0 ]
