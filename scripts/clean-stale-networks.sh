#!/usr/bin/env bash
# Removes what earlier test runs left in Podman's networking (run as root before the tests; scripts/test.sh does).
#  1. Test networks (label paude.test or paude.kubetest) that no container uses: a killed run leaks them, and each
#     holds a 10.89.x.0/24 subnet. Only networks made over 3 hours ago: a live test server's network has no
#     container until its first pod starts, and pruning it then (another run on the same machine) left that
#     server's pods Pending for 60 s (seen: five tests of a parallel run failed while this script ran).
#  2. netavark NAT rules for subnets that no network has any more. Measured here: a network torn down while others
#     were set up left its POSTROUTING jump and a bare MASQUERADE chain behind; the next network given that subnet
#     (an --internal one in ProxyImageTests) then had its containers' traffic to each other masqueraded to the
#     gateway's address, so replies never reached them (SYN-ACKs dropped; the proxy "did not listen" for 2 min).
# Only rules of the form "-A POSTROUTING -s SUBNET -j NETAVARK-<hex>" are touched, never other chains or tables.
set -uo pipefail
command -v podman >/dev/null || exit 0
for label in paude.test paude.kubetest; do
  podman network prune -f --filter "label=$label" --filter until=3h >/dev/null 2>&1 || true
done
command -v iptables >/dev/null || exit 0
list_subnets() { podman network ls -q | xargs -r podman network inspect --format '{{range .Subnets}}{{.Subnet}} {{end}}' 2>/dev/null | tr ' ' '\n' | sed '/^$/d'; }
subnets=$(list_subnets)
iptables -t nat -S POSTROUTING 2>/dev/null | while read -r _ _ s subnet j chain; do
  if [ "$s" != "-s" ] || [ "$j" != "-j" ]; then continue; fi
  [[ "$chain" =~ ^NETAVARK-[0-9A-F]+$ ]] || continue
  grep -qxF "$subnet" <<< "$subnets" && continue
  # Listed again: a network made since the first listing (another run on this machine) may own the rule now.
  grep -qxF "$subnet" <<< "$(list_subnets)" && continue
  echo "[clean] stale netavark NAT rule for $subnet ($chain): removed" >&2
  iptables -t nat -D POSTROUTING -s "$subnet" -j "$chain" 2>/dev/null || true
  if iptables -t nat -F "$chain" 2>/dev/null; then iptables -t nat -X "$chain" 2>/dev/null; fi
done
exit 0
