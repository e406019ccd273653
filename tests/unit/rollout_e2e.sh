#!/usr/bin/env bash
# rollout_e2e.sh - end-to-end tests of `theseusctl rollout` against a fleet
# of 64 host endpoint daemons (build/tests/endpoint_udpd, one per port on
# 127.0.0.1, the fixture backend: hello 1.0 = sha256("hello")), plus dead
# ports and two hosts behind a lossy UDP relay (endpoint_util.UdpProxy: 15%
# loss, duplication, reordering, both directions).  Covers: a good rollout in
# waves 1,10%,100% reaching every host (JSON fields, hashes by ls), a repeat
# that swaps nothing, failing --check / --check-cmd / fault entries stopping
# the rollout and rolling back exactly the updated hosts to their old hash
# (hosts not reached untouched), dead hosts within and beyond --max-fail,
# --resume after a killed run (no host swapped twice), bad --waves refused.
# Prints PASS/FAIL lines and a RESULT line.
#
# Usage: tests/unit/rollout_e2e.sh [BUILD_DIR]   (default: build)
set -u
B=${1:-build}
export THESEUS_SESSION_CACHE=off   # never the user's session cache (README)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CTL=$B/theseusctl
UDPD=$B/tests/endpoint_udpd
T=$(mktemp -d)
pids=()
pass=0 fail=0
NHOSTS=64
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; shift; for f in "$@"; do sed 's/^/  /' "$f" | tail -n 40; done; fail=$((fail + 1)); }

# start_fleet NAME N [udpd args...]: N daemons; appends 127.0.0.1:PORT lines to $T/NAME
start_fleet() {
	local name=$1 n=$2 i; shift 2
	: > "$T/$name"
	for i in $(seq "$n"); do
		"$UDPD" --key-file "$T/key" "$@" > "$T/$name.$i.out" 2>/dev/null &
		pids+=($!)
	done
	for i in $(seq "$n"); do
		local port=
		for _ in $(seq 100); do
			port=$(awk '/^READY/ {print $2}' "$T/$name.$i.out" 2>/dev/null)
			[ -n "$port" ] && break
			sleep 0.05
		done
		[ -n "$port" ] || { echo "udpd $name.$i did not start"; exit 1; }
		echo "127.0.0.1:$port" >> "$T/$name"
	done
}

# run NAME WANT_RC CMD...: runs, keeps stdout/stderr in $T/last.{out,err}
run() {
	local name=$1 want=$2; shift 2
	"$@" > "$T/last.out" 2> "$T/last.err"
	local rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else
		echo "  (exit $rc, want $want)"; bad "$name" "$T/last.out" "$T/last.err"; fi
}
err_has() { grep -Eq -e "$2" "$T/last.err" && ok "$1" || bad "$1: stderr lacks /$2/" "$T/last.err"; }

# hashes HOSTS_FILE > lines "host sha256-of-hello" (or "host DOWN"); retries: enough
# for the relay, HRETRIES=1 for lists with dead hosts
hashes() {
	"$CTL" --key-file "$T/key" --hosts "$1" --timeout 200 --retries "${HRETRIES:-8}" -j 16 --json ls 2>/dev/null |
		python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    h = [m["sha256"] for m in o.get("modules", []) if m["name"] == "hello"]
    print(o["host"], h[0] if (o["ok"] and h) else "DOWN")' | sort
}
# swaps HOSTS_FILE VERSION > lines "host N": successful swaps of hello to VERSION
swaps() {
	"$CTL" --key-file "$T/key" --hosts "$1" --timeout 200 --retries 8 -j 16 --json history 2>/dev/null |
		python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    n = sum(1 for e in o.get("entries", []) if not e["rollback"] and e["status"] == "OK"
            and e["items"] and e["items"][0]["module"] == "hello" and e["items"][0]["new_version"] == sys.argv[1])
    print(o["host"], n)' "$2" | sort
}
sha() { sha256sum "$1" | cut -c1-64; }

"$CTL" -q keygen "$T/key"
H10=$(printf hello | sha256sum | cut -c1-64)
mkobj() { { printf 'VERSION=%s\n' "$1"; head -c 3000 /dev/urandom; } > "$T/hello_$1"; }
for v in 1.1 1.2 1.3 1.4 1.5 1.6; do mkobj $v; done
R=("$CTL" --key-file "$T/key" --timeout 200 --retries 6 -j 16)

# ---- the fleet: 64 daemons, 2 of them behind a lossy relay ------------------
start_fleet fleet $NHOSTS
python3 - "$T/fleet" "$T/relay.ports" "$TOP" > /dev/null 2>&1 <<'EOF' &
import sys, time
sys.path.insert(0, sys.argv[3] + "/tests/qemu")
import endpoint_util as eu
hosts = open(sys.argv[1]).read().split()
proxies = [eu.UdpProxy(int(h.split(":")[1]), drop=0.15, dup=0.1, reorder=0.1, seed=7 + i)
           for i, h in enumerate(hosts[40:42])]
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("\n".join("127.0.0.1:%d" % p.port for p in proxies) + "\n")
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    time.sleep(3600)
EOF
pids+=($!)
for _ in $(seq 100); do [ -s "$T/relay.ports" ] && break; sleep 0.05; done
# hosts 41 and 42 are reached through their relays instead of directly
{ sed -n '1,40p' "$T/fleet"; cat "$T/relay.ports"; sed -n '43,$p' "$T/fleet"; } > "$T/hosts"
[ "$(wc -l < "$T/hosts")" = $NHOSTS ] && ok fleet_of_64 || bad "fleet_of_64" "$T/hosts"

# ---- a good rollout reaches every host ------------------------------------------
run good_rollout 0 "${R[@]}" --hosts "$T/hosts" --json rollout --waves 1,10%,100% \
	--check hello_greet_invoke --check-cmd 'test -n "$THESEUS_HOST"' hello "$T/hello_1.1"
err_has good_summary "rollout hello $(sha "$T/hello_1.1" | cut -c1-12): complete: 64 of 64 hosts run it \(64 updated, 0 already\) in 3 waves, 0 failed"
python3 - "$T/last.out" "$H10" "$(sha "$T/hello_1.1")" <<'EOF' && ok good_json || bad good_json "$T/last.out"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 64, len(objs)
waves = [o["wave"] for o in objs]
assert waves == [1] + [2] * 6 + [3] * 57, waves
for o in objs:
    assert o["status"] == "done" and o["check"] == "ok" and not o["rolled_back"], o
    assert o["old_version"] == "1.0" and o["old_hash"] == sys.argv[2], o
    assert o["new_version"] == "1.1" and o["new_hash"] == sys.argv[3], o
    assert set(o["timings"]) == {"update_ms", "check_ms", "rollback_ms"}, o
EOF
hashes "$T/hosts" > "$T/h.after"
[ "$(grep -c " $(sha "$T/hello_1.1")\$" "$T/h.after")" = 64 ] && ok good_all_hashes || bad good_all_hashes "$T/h.after"

# ---- the same rollout again: harmless, nothing swapped ----------------------------
run repeat_rollout 0 "${R[@]}" --hosts "$T/hosts" rollout --waves 1,10%,100% hello "$T/hello_1.1"
err_has repeat_all_already 'complete: 64 of 64 hosts run it \(0 updated, 64 already\)'
swaps "$T/hosts" 1.1 > "$T/s"
[ "$(grep -c ' 1$' "$T/s")" = 64 ] && ok repeat_no_second_swap || bad repeat_no_second_swap "$T/s"

# ---- a failing --check in wave 3 of 4: stop, roll back exactly the updated hosts --
start_fleet sick 2 --fail-check 1.2
# 64 hosts: waves 1, 7, 32, 64; the sick pair sits at positions 20 and 21
{ sed -n '1,19p' "$T/hosts"; cat "$T/sick"; sed -n '22,64p' "$T/hosts"; } > "$T/hosts.sick"
hashes "$T/hosts.sick" > "$T/h.before"
run check_fails_stops 1 "${R[@]}" --hosts "$T/hosts.sick" --json rollout --waves 1,10%,50%,100% \
	--check hello_greet_invoke hello "$T/hello_1.2"
err_has check_fails_summary 'STOPPED in wave 3 of 4: 2 hosts failed \(budget 0\); 32 rolled back \(verified\), 32 not reached'
err_has check_fails_names "failed: $(sed -n 1p "$T/sick"), $(sed -n 2p "$T/sick")"
hashes "$T/hosts.sick" > "$T/h.after"
diff "$T/h.before" "$T/h.after" > /dev/null && ok check_fails_fleet_unchanged || bad check_fails_fleet_unchanged "$T/h.before" "$T/h.after"
python3 - "$T/last.out" <<'EOF' && ok check_fails_json || bad check_fails_json "$T/last.out"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 64
for i, o in enumerate(objs):
    if i < 32:
        assert o["rolled_back"] and o["status"] == "rolled_back", o
    else:
        assert o["status"] == "not_reached" and not o["rolled_back"] and o["wave"] == 0, o
assert objs[19]["check"].startswith("failed: --check hello_greet_invoke returned EFAULT"), objs[19]
assert objs[0]["check"] == "ok"
EOF
# hosts not reached never saw 1.2; updated ones saw exactly one swap and a rollback
swaps "$T/hosts.sick" 1.2 > "$T/s"
[ "$(grep -c ' 1$' "$T/s")" = 32 ] && [ "$(grep -c ' 0$' "$T/s")" = 32 ] \
	&& ok check_fails_not_reached_untouched || bad check_fails_not_reached_untouched "$T/s"

# ---- the same with --max-fail 2: the sick hosts go back, the rest completes -------
run check_fails_within_budget 0 "${R[@]}" --hosts "$T/hosts.sick" rollout --waves 1,10%,50%,100% \
	--max-fail 2 --check hello_greet_invoke hello "$T/hello_1.2"
err_has within_budget_summary 'complete: 62 of 64 hosts run it .* 2 failed \(budget 2\)'
grep -q "^rollback  $(sed -n 1p "$T/sick")  hello -> 1.0 ($(echo "$H10" | cut -c1-12)) verified" "$T/last.out" \
	&& ok within_budget_sick_rolled_back || bad within_budget_sick_rolled_back "$T/last.out"
hashes "$T/sick" | grep -c " $H10\$" | grep -qx 2 && ok sick_on_old_hash || bad sick_on_old_hash "$T/last.out"

# ---- a failing --check-cmd for one host, and a fault entry ------------------------
victim=$(sed -n 5p "$T/hosts")
run check_cmd_fails 1 "${R[@]}" --hosts "$T/hosts" rollout --waves 1,10%,100% \
	--check-cmd "test \"\$THESEUS_HOST\" != $victim" hello "$T/hello_1.3"
err_has check_cmd_summary "STOPPED in wave 2 of 3: 1 host failed \(budget 0\); 7 rolled back \(verified\), 57 not reached, [0-9]+ ms; failed: $victim"
grep -q "check failed: --check-cmd exited 1" "$T/last.out" && ok check_cmd_reason || bad check_cmd_reason "$T/last.out"
hashes "$T/hosts" > "$T/h.after"
[ "$(grep -c " $(sha "$T/hello_1.2")\$" "$T/h.after")" = 62 ] && ok check_cmd_fleet_unchanged || bad check_cmd_fleet_unchanged "$T/h.after"
start_fleet faulty 1 --fault-on 1.3
{ sed -n 1p "$T/faulty"; sed -n '2,8p' "$T/hosts"; } > "$T/hosts.faulty"
run fault_entry_stops 1 "${R[@]}" --hosts "$T/hosts.faulty" rollout hello "$T/hello_1.3"
err_has fault_entry_summary 'STOPPED in wave 1 of 2: 1 host failed \(budget 0\); 1 rolled back \(verified\), 7 not reached'
grep -q 'check failed: fault recorded (history seq [0-9]*: fault: page fault' "$T/last.out" \
	&& ok fault_entry_reason || bad fault_entry_reason "$T/last.out"
run no_fault_check 0 "${R[@]}" --hosts "$T/hosts.faulty" rollout --no-fault-check hello "$T/hello_1.3"

# ---- dead hosts: within the budget it completes, beyond it stops --------------------
{ sed -n '1,3p' "$T/hosts"; echo 127.0.0.1:1; sed -n '4,20p' "$T/hosts"; echo 127.0.0.1:9; } > "$T/hosts.dead"
HRETRIES=1 hashes "$T/hosts.dead" > "$T/h.before"
D=("$CTL" --key-file "$T/key" --timeout 100 --retries 1 -j 16)
run dead_beyond_budget 1 "${D[@]}" --hosts "$T/hosts.dead" rollout --waves 2,10%,100% --max-fail 1 \
	hello "$T/hello_1.4"
err_has dead_beyond_summary 'STOPPED in wave 3 of 3: 2 hosts failed \(budget 1\); 20 rolled back \(verified\), 0 not reached, [0-9]+ ms; failed: 127.0.0.1:1, 127.0.0.1:9'
grep -q '^wave 3  127.0.0.1:1  FAILED  ls: ' "$T/last.out" && ok dead_reported || bad dead_reported "$T/last.out"
HRETRIES=1 hashes "$T/hosts.dead" > "$T/h.after"
diff "$T/h.before" "$T/h.after" > /dev/null && ok dead_fleet_unchanged || bad dead_fleet_unchanged "$T/h.before" "$T/h.after"
run dead_within_budget 0 "${D[@]}" --hosts "$T/hosts.dead" rollout --waves 2,10%,100% --max-fail 10% \
	hello "$T/hello_1.4"
err_has dead_within_summary 'complete: 20 of 22 hosts run it \(20 updated, 0 already\) in 3 waves, 2 failed \(budget 2\), [0-9]+ ms; failed: 127.0.0.1:1, 127.0.0.1:9'

# ---- --resume after a killed run: nobody swapped twice -------------------------------
"${R[@]}" --hosts "$T/hosts" rollout --waves 1,50%,100% --soak 2 --state "$T/state" \
	hello "$T/hello_1.5" > "$T/killed.out" 2>&1 &
rpid=$!
for _ in $(seq 200); do
	[ "$(grep -c ' swapping ' "$T/state" 2>/dev/null)" -ge 31 ] && break
	sleep 0.05
done
kill -9 $rpid 2>/dev/null; wait $rpid 2>/dev/null
grep -q ' done ' "$T/state" && [ "$(grep -c ' swapping ' "$T/state")" -ge 31 ] \
	&& ok killed_mid_rollout || bad killed_mid_rollout "$T/state" "$T/killed.out"
run resume_without_state 2 "${R[@]}" --hosts "$T/hosts" rollout --resume hello "$T/hello_1.5"
run resume_other_object 2 "${R[@]}" --hosts "$T/hosts" rollout --state "$T/state" --resume \
	hello "$T/hello_1.6"
err_has resume_other_msg 'records the rollout of hello .*not of hello'
run resume 0 "${R[@]}" --hosts "$T/hosts" --json rollout --waves 1,50%,100% --state "$T/state" \
	--resume hello "$T/hello_1.5"
err_has resume_summary 'complete: 64 of 64 hosts run it \(64 updated, 0 already\)'
swaps "$T/hosts" 1.5 > "$T/s"
[ "$(grep -c ' 1$' "$T/s")" = 64 ] && ok resume_no_second_swap || bad resume_no_second_swap "$T/s"
[ "$(grep -c ' done ' "$T/state")" = 64 ] && ok resume_state_done || bad resume_state_done "$T/state"
# a stop puts every host back on the object of the rollout before, and says so in the state
run stop_with_state 1 "${R[@]}" --hosts "$T/hosts" rollout --state "$T/state2" --waves 1,10%,100% \
	--check-cmd "test \"\$THESEUS_HOST\" != $(sed -n 30p "$T/hosts")" hello "$T/hello_1.6"
hashes "$T/hosts" | grep -vc " $(sha "$T/hello_1.5")\$" | grep -qx 0 && ok stop_restored_previous \
	|| bad stop_restored_previous "$T/last.out"
[ "$(grep -c ' rolled_back ' "$T/state2")" = 64 ] && ok state_records_rollback || bad state_records_rollback "$T/state2"

# ---- bad specs ---------------------------------------------------------------------
run bad_waves 2 "${R[@]}" --hosts "$T/hosts" rollout --waves 1,,100% hello "$T/hello_1.1"
err_has bad_waves_msg '--waves: item 2 is empty'
run bad_waves_json 2 "${R[@]}" --hosts "$T/hosts" --json rollout --waves 0,100% hello "$T/hello_1.1"
grep -q '^{"host":"local","command":"rollout","ok":false,"status":"EUSAGE","exit":2,"error":"EINVAL: rollout: --waves: item 1 (0) is zero' "$T/last.out" \
	&& ok bad_waves_json_object || bad bad_waves_json_object "$T/last.out"
run bad_waves_order 2 "${R[@]}" --hosts "$T/hosts" rollout --waves 50%,10% hello "$T/hello_1.1"
err_has bad_waves_order_msg 'item 2 \(10%\) is below item 1'
run bad_max_fail 2 "${R[@]}" --hosts "$T/hosts" rollout --max-fail lots hello "$T/hello_1.1"
err_has bad_max_fail_msg '--max-fail: value \(lots\) is not a count or a percentage'
run bad_soak 2 "${R[@]}" --hosts "$T/hosts" rollout --soak -3 hello "$T/hello_1.1"
run bad_usage 2 "${R[@]}" --hosts "$T/hosts" rollout hello
run missing_file 5 "${R[@]}" --hosts "$T/hosts" rollout hello "$T/nonexistent"
printf 'rollout 1 hello zz\n' > "$T/badstate"
run bad_state 5 "${R[@]}" --hosts "$T/hosts" rollout --state "$T/badstate" hello "$T/hello_1.1"
err_has bad_state_msg 'badstate:1: object hash is not 64 hex digits'

# ---- a wrong key: the host's record says what to check (it did not) -----------
"$CTL" -q keygen "$T/wrongkey"
run wrong_key 1 "$CTL" --key-file "$T/wrongkey" --timeout 100 --retries 1 \
	-H "$(sed -n 1p "$T/hosts")" rollout hello "$T/hello_1.1"
cat "$T/last.out" "$T/last.err" | grep -q 'unauthenticated.*(wrong key? check --key-file' \
	&& ok wrong_key_hint || bad wrong_key_hint "$T/last.out" "$T/last.err"

echo "RESULT rollout_e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
