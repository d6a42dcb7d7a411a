#!/usr/bin/env bash
# Two network namespaces joined by a veth pair: the migration source lives in "<name>-a"
# (10.77.0.1), the destination in "<name>-b" (10.77.0.2). Only the source side's egress is
# shaped, with tbf, because migration data flows from source to destination.
#
#   netns.sh up   NAME RATE BURST LATENCY   e.g. up ofl-lab 37mbit 32kb 50ms
#   netns.sh down NAME                      removes both namespaces (and with them the veth pair)
set -euo pipefail

cmd=${1:?usage: netns.sh up NAME RATE BURST LATENCY | down NAME}
name=${2:?namespace name prefix missing}
a="$name-a"
b="$name-b"

down() {
  # Deleting a namespace deletes the veth end inside it, and with it its peer.
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}

case "$cmd" in
  up)
    rate=${3:?rate missing} burst=${4:?burst missing} latency=${5:?latency missing}
    down
    trap 'down' ERR
    ip netns add "$a"
    ip netns add "$b"
    ip link add "$name-va" netns "$a" type veth peer name "$name-vb" netns "$b"
    ip -n "$a" addr add 10.77.0.1/24 dev "$name-va"
    ip -n "$b" addr add 10.77.0.2/24 dev "$name-vb"
    for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
    ip -n "$a" link set "$name-va" up
    ip -n "$b" link set "$name-vb" up
    tc -n "$a" qdisc add dev "$name-va" root tbf rate "$rate" burst "$burst" latency "$latency" ||
      { echo "netns.sh: tc tbf failed (is the sch_tbf module available?)" >&2; exit 1; }
    ;;
  down) down ;;
  *) echo "netns.sh: unknown command $cmd" >&2; exit 2 ;;
esac
