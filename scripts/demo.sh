#!/usr/bin/env bash
# roost's main job, end to end, on a throwaway network namespace and data
# directory: validate, plan, apply, ping, status, logs, a change and its
# plan, destroy. Needs root (network namespaces) and `make examples`.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOST=$PWD/bin/roost
SIM=$PWD/bin/roost-simtender
[ -x "$ROOST" ] && [ -x "$SIM" ] || { echo "demo: run 'make demo' (it builds roost first)" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root to make a network namespace (ip netns add)" >&2
  exit 1
fi

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

NS=roost-demo-$$
TMP=$(mktemp -d /tmp/roost-demo.XXXXXX)
DB=$TMP/dbdir
WORK=$TMP/config
TENDERS=$TMP/tenders
mkdir -p "$WORK" "$TENDERS"
# The tenders run as unprivileged uids of their own: they must reach their
# binaries.
chmod 0755 "$TMP" "$TENDERS"
cp -r examples/net/. "$WORK/"

cleanup() {
  set +e
  # Shims are stopped by destroy; if the demo failed half-way, stop the
  # ones it started, by the pids in their status files, and nothing else.
  for st in "$DB"/unikernels/*/status.json; do
    [ -f "$st" ] || continue
    pid=$(sed -n 's/.*"shim_pid": \([0-9]*\).*/\1/p' "$st")
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  sleep 0.5
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# Real Solo5 when it is there and a real image is given; the simulator
# otherwise, and say so.
GUEST=192.0.2.2
if command -v solo5-hvt >/dev/null && [ -n "${ROOST_DEMO_NET_IMAGE:-}" ]; then
  # Solo5's tests/test_net serves ping on 10.0.0.2/24 on device service0.
  echo "demo: using the real $(command -v solo5-hvt) and $ROOST_DEMO_NET_IMAGE"
  cp "$ROOST_DEMO_NET_IMAGE" "$WORK/images/web.hvt"
  DEV=$("$ROOST" inspect -json "$WORK/images/web.hvt" | sed -n 's/.*"name": "\(.*\)",/\1/p' | head -1)
  sed -i "s/net \"service\" {}/net \"$DEV\" { bridge = \"service\" }/" "$WORK/net.hcl"
  sed -i 's|argv   = .*|argv   = ["verbose"]|; s|192.0.2.0/24|10.0.0.0/24|' "$WORK/net.hcl"
  GUEST=10.0.0.2
else
  ln -s "$SIM" "$TENDERS/solo5-hvt"
  ln -s "$SIM" "$TENDERS/solo5-spt"
  cat <<'BANNER'
+--------------------------------------------------------------------------+
| SIMULATED TENDER. No usable Solo5 here, so this demo runs the unikernel  |
| under roost-simtender, a test double that speaks solo5-hvt's command     |
| line and answers ARP and ping, but runs no guest code. To use real       |
| Solo5: put solo5-hvt on PATH and set ROOST_DEMO_NET_IMAGE to an hvt      |
| image with one net device (Solo5's tests/test_net/test_net.hvt).         |
+--------------------------------------------------------------------------+
BANNER
fi

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
export ROOST_DBDIR=$DB PATH=$TENDERS:$PATH NO_COLOR=${NO_COLOR:-}
# Each tender runs as its own unprivileged uid: it opens /dev/kvm through
# its group and /dev/net/tun as anyone. Where this host keeps them closed
# (mode 0600, as on some build machines), the demo's processes get nodes of
# their own, made on a tmpfs in a private mount namespace and bind-mounted
# over /dev/kvm and /dev/net/tun there. The host's /dev is never changed.
NODES=()
if [ -e /dev/kvm ] && { [ "$(stat -c %a /dev/net/tun)" != 666 ] || [ "$(stat -c %a /dev/kvm)" != 660 ] || [ "$(stat -c %g /dev/kvm)" = 0 ]; }; then
  echo "demo: this host's /dev/kvm or /dev/net/tun is closed to unprivileged tenders;"
  echo "demo: roost runs here with its own nodes (kvm 0660 group 999999, tun 0666) in a private mount namespace"
  mkdir -p "$TMP/dev"
  KVM="$((0x$(stat -c %t /dev/kvm))) $((0x$(stat -c %T /dev/kvm)))"
  TUN="$((0x$(stat -c %t /dev/net/tun))) $((0x$(stat -c %T /dev/net/tun)))"
  NODES=(unshare --mount --propagation private sh -c '
    mount -t tmpfs -o mode=0755 tmpfs "$0" &&
    mknod -m 0660 "$0/kvm" c '"$KVM"' && chgrp 999999 "$0/kvm" &&
    mknod -m 0666 "$0/tun" c '"$TUN"' &&
    mount --bind "$0/kvm" /dev/kvm && mount --bind "$0/tun" /dev/net/tun &&
    exec "$@"' "$TMP/dev")
fi
R=(ip netns exec "$NS" "${NODES[@]}" "$ROOST")
# How the commands are shown: the namespace plumbing is the demo's, not roost's.
roost() { printf '\033[2m$ ip netns exec %s roost %s\033[0m\n' "$NS" "$*"; "${R[@]}" "$@"; }

bold "The configuration: $WORK/net.hcl"
cat "$WORK/net.hcl"

bold "roost validate: offline checks"
roost validate "$WORK"

bold "roost plan: what differs between the files and this (empty) host"
roost plan "$WORK"

bold "roost apply: make it so"
roost apply -auto-approve "$WORK"

bold "The host side of the bridge can reach the unikernel"
run ip netns exec "$NS" ping -c 3 -i 0.2 -W 1 "$GUEST" || true

bold "roost status"
roost status
roost status web

bold "roost logs web"
roost logs -n 15 web

bold "A second plan: nothing to do"
roost plan -detailed-exitcode "$WORK"

bold "Change the memory from 32 to 64 MiB: the plan replaces the unikernel"
sed -i 's/memory = 32/memory = 64/' "$WORK/net.hcl"
rc=0; "${R[@]}" plan -detailed-exitcode "$WORK" || rc=$?
echo "(plan -detailed-exitcode exited with $rc: 2 means changes)"
roost apply -auto-approve "$WORK"

bold "roost watch: edit the file, and watch applies it (stopped after 3 s)"
"${R[@]}" watch "$WORK" > "$TMP/watch.log" 2>&1 &
WATCH=$!
sleep 1
sed -i 's/memory = 64/memory = 48/' "$WORK/net.hcl"
sleep 2
kill -TERM "$WATCH"
wait "$WATCH" || true
cat "$TMP/watch.log"

bold "roost destroy: everything roost runs goes (blocks would stay)"
roost destroy -auto-approve "$WORK"
roost status

bold "Done: the namespace $NS and $TMP are removed on exit."
