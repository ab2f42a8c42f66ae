#!/usr/bin/env bash
# Runs every test against real Podman, real git and real tar. Installs and starts what the tests need first
# (scripts/setup.sh), so it works on a fresh Debian machine. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here" || exit 1
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# Networks and netavark NAT rules earlier (killed) runs left behind would break this run's networks (see the script).
bash scripts/clean-stale-networks.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="$here/.test-results"
rm -rf "$results"; mkdir -p "$results"
if ! dotnet build Paude.sln -c Release -nologo -v q 2>&1 | tee "$results/build.log" | grep -E 'error|Build succeeded' ; then :; fi
if ! grep -q 'Build succeeded' "$results/build.log"; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
# The CLI users get (samples/Paude.Cli/build.sh: NativeAOT plus the managed build it hands openshift commands to; cached
# by its inputs, ~0 s when unchanged, a few minutes on a fresh machine): the CLI process tests run it.
if [ -z "${PAUDE_CLI_BIN:-}" ]; then
  if ! PAUDE_CLI_BIN=$(bash samples/Paude.Cli/build.sh 2>"$results/cli-build.log"); then
    cat "$results/cli-build.log"; echo "CLI publish failed"; echo "0 passed, 1 failed"; exit 1
  fi
  export PAUDE_CLI_BIN
fi
dotnet test Paude.sln -c Release --no-build -nologo --logger "trx" --results-directory "$results" "$@" 2>&1 | tee "$results/test.log"
rc=${PIPESTATUS[0]}
# Count outcomes from the TRX files (one per test assembly).
read -r passed failed skipped < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("aborted", 0)) + int(c.get("timeout", 0))
    # xUnit skips show as total - executed (notExecuted stays 0 in the trx the VSTest logger writes).
    s += max(int(c.get("total", 0)) - int(c.get("executed", 0)), int(c.get("notExecuted", 0)))
print(p, f, s)
PY
)
if [ "$rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; echo "dotnet test exited $rc without a failed test: counting the run as failed"; fi
echo "${passed:-0} passed, ${failed:-1} failed, ${skipped:-0} skipped"
[ "$rc" -eq 0 ]
