#!/usr/bin/env bash
# The README's main job, end to end on a fresh Debian machine (as root): set the machine up, build the sample
# `paude` host, create a real Podman session for a git workspace running the real Claude Code (its prompt is shown;
# no model API is reachable here), do work inside it as the agent would (a commit),
# bring the work back (Paude.Sync onto a local branch, and a checked download), show the session, delete it and
# check nothing is left behind.
# Exits 0 only if every step worked. Environment:
#   PAUDE_CLI=/path/paude.dll  use this build of the CLI instead of building one (the tests pass theirs)
#   PAUDE_DEMO_NAME=name       session name (default demo-<random>)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d /tmp/paude-demo.XXXXXX)"
name="${PAUDE_DEMO_NAME:-demo-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}"
step=0
created=0
say() { step=$((step + 1)); printf '\n==> [%d] (%ds) %s\n' "$step" "$SECONDS" "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  rc=$?
  if [ "$created" = 1 ] && [ -n "${paude_dll:-}" ]; then
    # Only reached when a step failed after create: never leave the session behind.
    dotnet "$paude_dll" delete "$name" --force >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

say "Machine set-up (idempotent): Podman, base image, agent and proxy images"
bash "$here/scripts/setup.sh"

if [ -n "${PAUDE_CLI:-}" ]; then
  say "Using the paude CLI at $PAUDE_CLI"
  paude_dll="$PAUDE_CLI"
else
  say "Building the sample paude host (Release, into $work/build)"
  dotnet build "$here/samples/Paude.Cli/Paude.Cli.csproj" -c Release --artifacts-path "$work/build" -nologo -v q
  paude_dll="$work/build/bin/Paude.Cli/release/paude.dll"
fi
[ -f "$paude_dll" ] || fail "no CLI at $paude_dll"
paude() { printf '    $ paude %s\n' "$*" >&2; dotnet "$paude_dll" "$@"; }

say "A git workspace with one commit"
ws="$work/workspace"
mkdir -p "$ws"
git -C "$ws" init -q -b main
printf '# Demo project\n' > "$ws/README.md"
git -C "$ws" add README.md
git -C "$ws" -c user.name="Demo User" -c user.email=demo@paude.invalid commit -q -m "Initial commit"
base_commit="$(git -C "$ws" rev-parse HEAD)"
git -C "$ws" log --oneline

say "Create session '$name' running the real Claude Code (pinned in the agent image; default allow-list)"
paude create "$name" --workspace "$ws" --allowed-domains default --agent claude
created=1

say "Claude Code is up in the session's tmux, configured for the sandbox (no model API is reachable in this demo,"
printf '    so it waits at its prompt; the work below is done in the session as the agent would do it)\n'
paude exec "$name" -- claude --version
screen=""
for _ in $(seq 1 90); do
  screen="$(dotnet "$paude_dll" exec "$name" -- tmux capture-pane -p -t paude 2>/dev/null || true)"
  case "$screen" in *"bypass permissions on"*) break ;; esac
  sleep 1
done
case "$screen" in *"bypass permissions on"*) ;; *) fail "Claude Code's prompt did not appear in the session's tmux" ;; esac
printf '%s\n' "$screen" | grep -v '^[[:space:]]*$' | sed 's/^/    | /'

say "Upload the workspace into the session (/pvc/workspace)"
paude upload "$name" "$ws"

say "Work inside the session as the agent would: a new file and a commit"
paude exec "$name" -- bash -c 'cd /pvc/workspace && printf "Written by the agent.\n" > AGENT.md && git add AGENT.md &&
  git -c user.name="Paude Agent" -c user.email=agent@paude.invalid commit -q -m "Agent: add AGENT.md" && git log --oneline'

say "Exit codes and streams pass through: a failing command in the session"
set +e
paude exec "$name" -- bash -c 'echo to-stdout; echo to-stderr >&2; exit 3' >"$work/out.txt" 2>"$work/err.txt"
code=$?
set -e
[ "$code" = 3 ] || fail "exec exit code: expected 3, got $code"
grep -qx to-stdout "$work/out.txt" && grep -qx to-stderr "$work/err.txt" || fail "exec streams were mixed up"
echo "    exit code 3, stdout and stderr kept apart: ok"

say "Egress is default-deny: a host that is not on the allow-list is refused by the proxy"
if paude exec "$name" -- curl -sS -o /dev/null -m 20 https://example.com; then
  fail "example.com was reachable although it is not allowed"
fi
paude blocked-domains "$name"
paude --output json blocked-domains "$name" | grep -q '"host": "example.com"' || fail "the refused request is not in the blocked log"

say "The agent has no network of its own: only loopback, no route, no DNS; its proxy is a unix socket"
[ "$(paude exec "$name" -- ls /sys/class/net)" = lo ] || fail "the agent container has a network interface"
if paude exec "$name" -- getent hosts example.com >/dev/null; then
  fail "a name resolved inside the agent container"
fi
echo "    loopback only, no name resolves: ok"

say "Bring the work back with Paude.Sync: the session's commits land on the local branch paude/$name"
paude sync "$name" --workspace "$ws" --direction from --strategy branch
[ "$(git -C "$ws" log -1 --format=%s "paude/$name")" = "Agent: add AGENT.md" ] || fail "the agent's commit did not come back"
[ "$(git -C "$ws" rev-parse "paude/$name~1")" = "$base_commit" ] || fail "the agent's commit is not on top of ours"
[ "$(git -C "$ws" rev-parse HEAD)" = "$base_commit" ] && [ -z "$(git -C "$ws" status --porcelain)" ] \
  || fail "the sync touched the local branch or working tree"
git -C "$ws" fsck --no-progress >/dev/null || fail "the local repository is damaged"
git -C "$ws" log --oneline main..."paude/$name"

say "Or copy the session's workspace out: download it into a new folder (untrusted content is checked)"
back="$work/back"
paude download "$name" "$back"
[ -f "$back/AGENT.md" ] && [ "$(git -C "$back" rev-parse HEAD)" = "$(git -C "$ws" rev-parse "paude/$name")" ] \
  || fail "the downloaded copy differs from the synced branch"
ls -la "$back"

say "Look at the session"
paude list
paude status "$name"
paude allowed-domains "$name"
paude allowed-domains "$name" --add .example.org >/dev/null
paude --output json allowed-domains "$name" | grep -q '".example.org"' || fail "the allow-list change did not stick"
echo "    .example.org added to the running session's allow-list: ok"

say "Stop and start: the work survives"
paude stop "$name" >/dev/null
paude start "$name" >/dev/null
[ "$(paude exec "$name" -- git -C /pvc/workspace log -1 --format=%s)" = "Agent: add AGENT.md" ] || fail "work lost across stop/start"
echo "    commit still there after stop/start: ok"

say "Delete the session and check nothing is left"
paude delete "$name"
created=0
left="$(podman ps -aq --filter "label=paude.io/session-name=$name"; podman volume ls -q --filter "label=paude.io/session-name=$name"; podman network ls -q --filter "name=^paude-$name\\.net\$")"
[ -z "$left" ] || fail "resources left behind: $left"
set +e
paude status "$name" >/dev/null 2>&1
code=$?
set -e
[ "$code" = 3 ] || fail "status after delete: expected exit code 3 (not found), got $code"
echo "    no containers, volumes or networks left; status says not found: ok"

printf '\nDEMO OK: session %s created, used, work brought back, deleted (%d s in all).\n' "$name" "$SECONDS"
