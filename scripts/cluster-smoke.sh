#!/usr/bin/env bash
# Proves the openshift backend on a cluster with the sample host `paude`: create, exec, egress allowed/denied,
# credentials, sync back, delete, nothing left. One "PASS <step>" or "FAIL <step>: <why>" line per step; exits 1
# at the first failure (after deleting the session), 0 when every step passed.
#
# Usage: scripts/cluster-smoke.sh [--kubeconfig FILE] [--context NAME] [--namespace NS]
#   (without --kubeconfig: $KUBECONFIG, else ~/.kube/config, as kubectl finds it)
# Environment:
#   PAUDE_CLI              paude to run: a paude.dll, an executable, or unset for `dotnet run --project samples/Paude.Cli`
#   PAUDE_SMOKE_NAME       session name (default: smoke-<random>)
#   PAUDE_SMOKE_ALLOWED    an allowed domain and the URL fetched through it (default: github.com https://github.com/)
#   PAUDE_SMOKE_DENIED_URL a URL whose host is not allowed (default: http://example.com/)
#   PAUDE_IMAGE, PAUDE_PROXY_IMAGE  images the cluster can pull (default: the backend's defaults)
# Needs: bash, git, kubectl (for the "nothing left" check) and the paude host.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cluster=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kubeconfig|--context|--namespace|-n) [ $# -ge 2 ] || { echo "usage: $0 [--kubeconfig F] [--context C] [--namespace NS]" >&2; exit 2; }
      cluster+=("$1" "$2"); shift 2 ;;
    *) echo "usage: $0 [--kubeconfig F] [--context C] [--namespace NS]" >&2; exit 2 ;;
  esac
done

paude() {
  if [ -z "${PAUDE_CLI:-}" ]; then dotnet run -c Release --project "$here/samples/Paude.Cli" -- "$@"
  elif [[ "$PAUDE_CLI" == *.dll ]]; then dotnet "$PAUDE_CLI" "$@"
  else "$PAUDE_CLI" "$@"; fi
}
kube=()
for ((i = 0; i < ${#cluster[@]}; i += 2)); do kube+=("${cluster[i]}" "${cluster[i+1]}"); done
ocp() { paude --backend openshift "${cluster[@]}" "$@"; }

name="${PAUDE_SMOKE_NAME:-smoke-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
read -r allowed_domain allowed_url <<<"${PAUDE_SMOKE_ALLOWED:-github.com https://github.com/}"
denied_url="${PAUDE_SMOKE_DENIED_URL:-http://example.com/}"
work="$(mktemp -d)"
created=0
cleanup() { [ "$created" = 1 ] && ocp delete "$name" --force >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; echo "SMOKE FAILED (session $name)"; exit 1; }

# A workspace repository with one commit, and a git identity for the credentials step (this script's own,
# so the user's ~/.gitconfig is neither needed nor read).
{ git init -q -b main "$work/repo" && printf '# smoke\n' > "$work/repo/README.md" \
  && git -C "$work/repo" add README.md && git -C "$work/repo" -c user.name=Smoke -c user.email=smoke@paude.invalid commit -qm 'Initial commit'; } \
  || fail setup "git could not make the workspace repository"
printf '[user]\n\tname = Paude Smoke\n\temail = smoke@paude.invalid\n' > "$work/gitconfig"
export GIT_CONFIG_GLOBAL="$work/gitconfig"

images=()
[ -n "${PAUDE_IMAGE:-}" ] && images+=(--image "$PAUDE_IMAGE")
[ -n "${PAUDE_PROXY_IMAGE:-}" ] && images+=(--proxy-image "$PAUDE_PROXY_IMAGE")
out=$(ocp create "$name" --workspace "$work/repo" "${images[@]}" --allowed-domains "$allowed_domain" --credentials git \
  --agent-command "bash -c 'exec sleep infinity'" 2>&1) || fail create "$out"
created=1
pass "create $name"

out=$(ocp exec "$name" -- bash -c 'echo out; exit 7' 2>&1); code=$?
{ [ "$code" = 7 ] && [ "$out" = out ]; } || fail exec "expected exit 7 and 'out', got $code: $out"
pass exec

# Through the session's proxy (HTTP(S)_PROXY in the agent). Denied: the proxy refuses (403) or the request fails.
# Allowed: the proxy does not refuse by policy (any answer, or a connect/DNS error reported by the proxy itself).
# shellcheck disable=SC2016 # $1 is the inner bash's argument, expanded in the session, not here.
probe='curl -sS -o /dev/null -D - --max-time 30 "$1" 2>&1 | tr -d "\r"'
out=$(ocp exec "$name" -- bash -c "$probe" probe "$denied_url" 2>&1)
if grep -q 'ERR_ACCESS_DENIED\|^HTTP/[0-9.]* 403' <<<"$out"; then pass "egress denied ($denied_url)"
else fail "egress denied" "$denied_url was not refused by the proxy: $out"; fi
out=$(ocp exec "$name" -- bash -c "$probe" probe "$allowed_url" 2>&1)
if grep -q 'ERR_ACCESS_DENIED' <<<"$out" || ! grep -q '^HTTP/' <<<"$out"; then fail "egress allowed" "$allowed_url: $out"
else pass "egress allowed ($allowed_url: $(grep -m1 '^HTTP/' <<<"$out"))"; fi

out=$(ocp exec "$name" -- bash -c 'git config --includes --global user.email' 2>&1)
[ "$out" = smoke@paude.invalid ] || fail credentials "the session's git identity is '$out', not the delivered one"
pass "credentials (git identity delivered)"

out=$(ocp upload "$name" "$work/repo" 2>&1) || fail upload "$out"
out=$(ocp exec "$name" -w /pvc/workspace -- bash -c "printf 'by the agent\n' > AGENT.md && git add AGENT.md && git commit -qm 'Agent: add AGENT.md' && git rev-parse HEAD" 2>&1) \
  || fail "commit in session" "$out"
agent_commit="$out"
out=$(ocp sync "$name" --direction from --strategy branch 2>&1) || fail "sync back" "$out"
[ "$(git -C "$work/repo" rev-parse "paude/$name" 2>/dev/null)" = "$agent_commit" ] || fail "sync back" "branch paude/$name is not the agent's commit $agent_commit: $out"
pass "sync back (paude/$name = ${agent_commit:0:12})"

out=$(ocp delete "$name" 2>&1) || fail delete "$out"
created=0
pass delete

left=$(kubectl "${kube[@]}" get statefulset,deployment,pod,pvc,svc,networkpolicy,secret,configmap -l "paude.io/session-name=$name" -o name 2>&1) \
  || fail "nothing left" "kubectl failed: $left"
[ -z "$left" ] || fail "nothing left" "$left"
pass "nothing left"
echo "SMOKE PASSED (session $name)"
