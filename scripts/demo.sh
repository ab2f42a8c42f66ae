#!/usr/bin/env bash
# The README's main job, end to end on a fresh Debian machine (as root): set the machine up, build the sample `paude`
# host (NativeAOT, samples/Paude.Cli/build.sh) and the scripted Messages API stand-in (tests/Paude.StandIn, the one
# the end-to-end tests use), create a real Podman session for a git workspace running the real Claude Code (pinned in
# the agent image) against that stand-in, let the agent do the work (the scripted model makes it write hello.txt and
# `git commit` it), bring the work back (Paude.Sync onto a local branch, and a checked download), show the session,
# delete it and check nothing is left behind. Everything stays on this machine: the stand-in listens on its own Podman
# network's gateway only and the agent reaches it only through the session's proxy, by a name on the allow-list
# (api.paude.test).
# Exits 0 only if every step worked. Environment:
#   PAUDE_CLI=/path/paude[.dll]             use this build of the CLI (a paude.dll or the native binary) instead of building one
#   PAUDE_STANDIN=/path/paude-standin.dll   likewise for the stand-in
#   PAUDE_DEMO_NAME=name                    session name (default demo-<random>)
#   PAUDE_DEMO_SKIP_SETUP=1                 skip scripts/setup.sh (the machine is set up already)
#   PAUDE_AGENT_IMAGE / PAUDE_PROXY_IMAGE   images the CLI uses (default localhost/paude-{agent,proxy}:latest)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d /tmp/paude-demo.XXXXXX)"
name="${PAUDE_DEMO_NAME:-demo-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}"
api_net="paude-$name.demo-api"     # the stand-in's own network; the session's proxy joins it
demo_label="paude.demo=$name"      # on the stand-in's network and containers
step=0
created=0
standin_pid=""
say() { step=$((step + 1)); printf '\n==> [%d] (%ds) %s\n' "$step" "$SECONDS" "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

# Stops the stand-in (it removes its own containers and prints its request log) and removes its network.
stop_standin() {
  if [ -n "$standin_pid" ]; then
    kill -TERM "$standin_pid" 2>/dev/null || true
    wait "$standin_pid" 2>/dev/null || true
    standin_pid=""
  fi
  podman ps -aq --filter "label=$demo_label" | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  podman network rm -f "$api_net" >/dev/null 2>&1 || true
}

cleanup() {
  rc=$?
  if [ "$created" = 1 ] && [ -n "${paude_dll:-}" ]; then
    # Only reached when a step failed after create: never leave the session behind.
    run_paude delete "$name" --force >/dev/null 2>&1 || true
  fi
  stop_standin
  if [ "$rc" != 0 ] && [ -f "$work/standin.log" ]; then
    printf '\nstand-in log:\n' >&2
    sed 's/^/    | /' "$work/standin.log" >&2
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

if [ "${PAUDE_DEMO_SKIP_SETUP:-}" = 1 ]; then
  say "Machine set-up skipped (PAUDE_DEMO_SKIP_SETUP=1)"
else
  say "Machine set-up (idempotent): Podman, base image, agent and proxy images"
  bash "$here/scripts/setup.sh"
fi

if [ -n "${PAUDE_CLI:-}" ]; then
  say "Using the paude CLI at $PAUDE_CLI and the stand-in at ${PAUDE_STANDIN:-?}"
  paude_dll="$PAUDE_CLI"
  standin_dll="${PAUDE_STANDIN:-}"
else
  say "Building the paude users get (samples/Paude.Cli/build.sh: NativeAOT, minutes the first time, then cached)"
  paude_dll="$(bash "$here/samples/Paude.Cli/build.sh")"
  say "Building the stand-in Messages API (Release, into $work/build)"
  dotnet build "$here/tests/Paude.StandIn/Paude.StandIn.csproj" -c Release --artifacts-path "$work/build" -nologo -v q
  standin_dll="$work/build/bin/Paude.StandIn/release/paude-standin.dll"
fi
[ -f "$paude_dll" ] || fail "no CLI at $paude_dll"
[ -f "$standin_dll" ] || fail "no stand-in at '$standin_dll' (set PAUDE_STANDIN with PAUDE_CLI)"
run_paude() { if [[ "$paude_dll" == *.dll ]]; then dotnet "$paude_dll" "$@"; else "$paude_dll" "$@"; fi; }
paude() { printf '    $ paude %s\n' "$*" >&2; run_paude "$@"; }

say "Start the scripted Messages API stand-in on its own Podman network ($api_net), answering as api.paude.test"
# The key the agent will use: only in the host's Claude settings, delivered by the 'claude' credential source.
api_key="sk-ant-paude-demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/claude"
printf '{ "env": { "ANTHROPIC_API_KEY": "%s" } }\n' "$api_key" > "$work/claude/settings.json"
export CLAUDE_CONFIG_DIR="$work/claude"        # the CLI packages credentials from here, not from ~/.claude
export PAUDE_PROXY_NETWORKS="$api_net"         # the session's proxy reaches the stand-in by name on this network
podman network create --label "$demo_label" "$api_net" >/dev/null
PAUDE_STANDIN_API_KEY="$api_key" dotnet "$standin_dll" "$api_net" "paude-$name.demo" "$demo_label" /pvc/workspace \
  >"$work/standin.log" 2>&1 </dev/null &
standin_pid=$!
for _ in $(seq 1 60); do
  grep -q '^READY ' "$work/standin.log" && break
  kill -0 "$standin_pid" 2>/dev/null || fail "the stand-in did not start: $(cat "$work/standin.log")"
  sleep 0.5
done
grep -q '^READY api.paude.test' "$work/standin.log" || fail "the stand-in is not ready"
echo "    stand-in ready (its script: write hello.txt, then git commit it, then stop)"

say "A git workspace with one commit"
ws="$work/workspace"
mkdir -p "$ws"
git -C "$ws" init -q -b main
printf '# Demo project\n' > "$ws/README.md"
git -C "$ws" add README.md
git -C "$ws" -c user.name="Demo User" -c user.email=demo@paude.invalid commit -q -m "Initial commit"
base_commit="$(git -C "$ws" rev-parse HEAD)"
git -C "$ws" log --oneline

say "Create session '$name' running the real Claude Code against the stand-in (allow-list: api.paude.test only)"
paude create "$name" --workspace "$ws" --allowed-domains api.paude.test --agent claude \
  --agent-args="-p 'Write hello.txt and commit it.'" --no-headless --credentials claude \
  -e ANTHROPIC_BASE_URL=http://api.paude.test \
  -e GIT_AUTHOR_NAME="Claude Code" -e GIT_AUTHOR_EMAIL=agent@paude.invalid \
  -e GIT_COMMITTER_NAME="Claude Code" -e GIT_COMMITTER_EMAIL=agent@paude.invalid
created=1
paude exec "$name" -- claude --version

say "Upload the workspace into the session (/pvc/workspace)"
paude upload "$name" "$ws"

say "Start the agent: the real Claude Code does the work (it writes hello.txt and runs git commit, as the stand-in's model tells it)"
paude exec "$name" -- paude-start-session
screen=""
for _ in $(seq 1 240); do
  screen="$(run_paude exec "$name" -- tmux capture-pane -p -J -S -300 -t paude 2>/dev/null || true)"
  case "$screen" in *"exited with code"*) break ;; esac
  sleep 1
done
printf '%s\n' "$screen" | grep -v '^[[:space:]]*$' | sed 's/^/    | /'
case "$screen" in *"exited with code 0"*) ;; *) fail "Claude Code did not finish its work in the session" ;; esac
paude exec "$name" -- git -C /pvc/workspace log --oneline

say "Exit codes and streams pass through: a failing command in the session"
set +e
paude exec "$name" -- bash -c 'echo to-stdout; echo to-stderr >&2; exit 3' >"$work/out.txt" 2>"$work/err.txt"
code=$?
set -e
[ "$code" = 3 ] || fail "exec exit code: expected 3, got $code"
{ grep -qx to-stdout "$work/out.txt" && grep -qx to-stderr "$work/err.txt"; } || fail "exec streams were mixed up"
echo "    exit code 3, stdout and stderr kept apart: ok"

say "Egress is default-deny: a host that is not on the allow-list is refused by the proxy"
if paude exec "$name" -- curl -sS -o /dev/null -m 20 https://example.com; then
  fail "example.com was reachable although it is not allowed"
fi
# shellcheck disable=SC2016 # $HTTP_PROXY is the session's variable, expanded by the bash in the session.
[ "$(paude exec "$name" -- bash -c 'curl -s -o /dev/null -w "%{http_code}" -m 20 -x "$HTTP_PROXY" http://denied.paude.test/v1/messages')" = 403 ] \
  || fail "denied.paude.test (the stand-in's other name, not allowed) was not refused"
paude blocked-domains "$name"
paude --output json blocked-domains "$name" | grep -q '"host": "example.com"' || fail "the refused request is not in the blocked log"
echo "    example.com and denied.paude.test (the same stand-in, by a name not allowed) refused: ok"

say "The agent has no network of its own: only loopback, no route, no DNS; its proxy is a unix socket"
[ "$(paude exec "$name" -- ls /sys/class/net)" = lo ] || fail "the agent container has a network interface"
if paude exec "$name" -- getent hosts example.com >/dev/null; then
  fail "a name resolved inside the agent container"
fi
echo "    loopback only, no name resolves: ok"

say "Bring the work back with Paude.Sync: the session's commits land on the local branch paude/$name"
paude sync "$name" --workspace "$ws" --direction from --strategy branch
[ "$(git -C "$ws" log -1 --format=%s "paude/$name")" = "Add hello.txt (written by Claude Code)" ] || fail "the agent's commit did not come back"
[ "$(git -C "$ws" rev-parse "paude/$name~1")" = "$base_commit" ] || fail "the agent's commit is not on top of ours"
{ [ "$(git -C "$ws" rev-parse HEAD)" = "$base_commit" ] && [ -z "$(git -C "$ws" status --porcelain)" ]; } \
  || fail "the sync touched the local branch or working tree"
git -C "$ws" fsck --no-progress >/dev/null || fail "the local repository is damaged"
git -C "$ws" log --oneline main..."paude/$name"

say "Or copy the session's files out: download them into a new folder (untrusted content is checked; the session's git metadata is left out)"
back="$work/back"
paude download "$name" "$back"
{ [ -f "$back/hello.txt" ] && [ "$(cat "$back/hello.txt")" = "$(git -C "$ws" show "paude/$name:hello.txt")" ]; } \
  || fail "the downloaded copy differs from the synced branch"
[ ! -e "$back/.git" ] || fail "the download brought the session's .git onto the host"
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
[ "$(paude exec "$name" -- git -C /pvc/workspace log -1 --format=%s)" = "Add hello.txt (written by Claude Code)" ] || fail "work lost across stop/start"
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

say "Stop the stand-in: its request log (every call came through the proxy by the allowed name; keys never shown)"
stop_standin
sed 's/^/    | /' "$work/standin.log"
summary="$(grep '^STAND-IN: ' "$work/standin.log" || true)"
case "$summary" in *"all with the delivered key: yes"*) ;; *) fail "not every model call carried the key delivered by the 'claude' credential source" ;; esac
grep -q 'host=api.paude.test' "$work/standin.log" || fail "the stand-in saw no request by its allowed name"
if grep -v '^STAND-IN: \|^READY ' "$work/standin.log" | grep -qv 'host=api.paude.test'; then
  fail "a request reached the stand-in by another name"
fi
left="$(podman ps -aq --filter "label=$demo_label"; podman network ls -q --filter "label=$demo_label")"
[ -z "$left" ] || fail "stand-in resources left behind: $left"
echo "    stand-in containers and network removed: ok"

say "The commit Claude Code made, brought back on paude/$name (your branch main is untouched)"
git -C "$ws" log --format='%h %an: %s' main.."paude/$name"
git -C "$ws" show --stat --format='%H%n%an <%ae>%n%s' "paude/$name" | sed 's/^/    /'

printf '\nDEMO OK: session %s created, the real Claude Code did the work against the stand-in, work brought back, deleted (%d s in all).\n' "$name" "$SECONDS"
