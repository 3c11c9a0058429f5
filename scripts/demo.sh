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
R=(ip netns exec "$NS" "$ROOST")

bold "The configuration: $WORK/net.hcl"
cat "$WORK/net.hcl"

bold "roost validate: offline checks"
run "${R[@]}" validate "$WORK"

bold "roost plan: what differs between the files and this (empty) host"
run "${R[@]}" plan "$WORK"

bold "roost apply: make it so"
run "${R[@]}" apply -auto-approve "$WORK"

bold "The host side of the bridge can reach the unikernel"
run ip netns exec "$NS" ping -c 3 -i 0.2 -W 1 "$GUEST" || true

bold "roost status"
run "${R[@]}" status
run "${R[@]}" status web

bold "roost logs web"
run "${R[@]}" logs -n 15 web

bold "A second plan: nothing to do"
run "${R[@]}" plan -detailed-exitcode "$WORK"

bold "Change the memory from 32 to 64 MiB: the plan replaces the unikernel"
sed -i 's/memory = 32/memory = 64/' "$WORK/net.hcl"
rc=0; "${R[@]}" plan -detailed-exitcode "$WORK" || rc=$?
echo "(plan -detailed-exitcode exited with $rc: 2 means changes)"
run "${R[@]}" apply -auto-approve "$WORK"

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
run "${R[@]}" destroy -auto-approve "$WORK"
run "${R[@]}" status

bold "Done: the namespace $NS and $TMP are removed on exit."
