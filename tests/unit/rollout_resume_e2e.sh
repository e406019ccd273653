#!/usr/bin/env bash
# rollout_resume_e2e.sh - end-to-end tests of the rollout cases that need
# care beyond rollout_e2e.sh, against a few host endpoint daemons
# (build/tests/endpoint_udpd): --check-cmd's theseusctl gets the run's key,
# a rollout of a module not loaded yet is undone by unloading it (each
# outcome printed once), and the --state file pins the hosts and waves of a
# rollout and keeps a stopped one stopped (and is used by one run at a time),
# a host swapped away by another client during its checks fails them, and
# bad module or --check names are refused before any host is asked.  Prints PASS/FAIL lines and a
# RESULT line.
#
# Usage: tests/unit/rollout_resume_e2e.sh [BUILD_DIR]   (default: build)
set -u
B=${1:-build}
export THESEUS_SESSION_CACHE=off   # never the user's session cache (README)
unset THESEUS_HOST THESEUS_PORT THESEUS_KEY_FILE
CTL=$(realpath "$B/theseusctl")
UDPD=$(realpath "$B/tests/endpoint_udpd")
T=$(mktemp -d)
pids=()
pass=0 fail=0
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; shift; for f in "$@"; do sed 's/^/  /' "$f" | tail -n 30; done; fail=$((fail + 1)); }

# start_fleet NAME N: N daemons; their 127.0.0.1:PORT lines in $T/NAME
start_fleet() {
	local name=$1 n=$2 i; shift 2
	: > "$T/$name"
	for i in $(seq "$n"); do
		"$UDPD" --key-file "$T/key" "$@" > "$T/$name.$i.out" 2> "$T/$name.$i.err" &
		pids+=($!)
	done
	for i in $(seq "$n"); do
		local port=
		for _ in $(seq 200); do
			port=$(awk '/^READY/ {print $2}' "$T/$name.$i.out" 2>/dev/null)
			[ -n "$port" ] && break
			sleep 0.05
		done
		[ -n "$port" ] || { echo "FAIL udpd $name.$i did not start"; cat "$T/$name.$i.err"; exit 1; }
		echo "127.0.0.1:$port" >> "$T/$name"
	done
}

run() {  # run NAME WANT_RC CMD...: stdout/stderr in $T/last.{out,err}
	local name=$1 want=$2; shift 2
	"$@" > "$T/last.out" 2> "$T/last.err"
	local rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else
		echo "  (exit $rc, want $want)"; bad "$name" "$T/last.out" "$T/last.err"; fi
}
out_has() { grep -Eq -e "$2" "$T/last.out" && ok "$1" || bad "$1: stdout lacks /$2/" "$T/last.out"; }
err_has() { grep -Eq -e "$2" "$T/last.err" && ok "$1" || bad "$1: stderr lacks /$2/" "$T/last.err"; }

mkdir "$T/keys"
"$CTL" -q keygen "$T/key"
cp "$T/key" "$T/keys/k"
mkobj() { { printf 'VERSION=%s\n' "$2"; head -c 3000 /dev/urandom; } > "$T/$1"; }
mkobj hello_1.1 1.1; mkobj hello_1.2 1.2; mkobj hello_1.3 1.3; mkobj brandnew brandnew-1

start_fleet f 4
# a key given with --key-file (relative, from another directory) and nothing
# in the environment: the check's theseusctl must still talk to the host
cd "$T/keys"
run check_cmd_key 0 "$CTL" --key-file k --hosts "$T/f" --timeout 200 rollout \
	--check-cmd "cd / && $CTL invoke hello hello_greet_invoke" hello "$T/hello_1.1"
err_has check_cmd_key_complete 'complete: 4 of 4 hosts run it'
cd "$T"

# ---- a rollout of a module not loaded yet is undone by unloading it ----------
R=("$CTL" --key-file "$T/key" --timeout 200 --retries 4)
run first_load_stopped 1 "${R[@]}" --hosts "$T/f" rollout --check nosuchfn brandnew "$T/brandnew"
h1=$(sed -n 1p "$T/f")
out_has first_load_undone "^rollback  $h1  brandnew -> \(not loaded\) \(-\) verified"
[ "$(grep -c "$h1" "$T/last.out")" = 2 ] && ok first_load_each_line_once || bad first_load_each_line_once "$T/last.out"
err_has first_load_summary 'STOPPED in wave 1 of 2: 1 host failed \(budget 0\); 1 rolled back \(verified\)'
"${R[@]}" --hosts "$T/f" --json ls > "$T/ls.json" 2>/dev/null
! grep -q '"name":"brandnew"' "$T/ls.json" && ok first_load_gone || bad first_load_gone "$T/ls.json"
# a rollback that fails (the host runs a third object) is tried and said once
run rollback_fails_once 1 "${R[@]}" --hosts "$T/f" rollout \
	--check-cmd "$CTL swap hello $T/hello_1.3 >/dev/null; exit 1" hello "$T/hello_1.2"
[ "$(grep -c "^rollback  $h1  FAILED" "$T/last.out")" = 1 ] && ok rollback_failed_said_once \
	|| bad rollback_failed_said_once "$T/last.out"

# ---- a host that no longer runs the object at the end of its checks fails -----
# (another client swaps it back meanwhile; the same as a host that rebooted onto
# its boot modules): never counted as running the object.  It runs a third
# object, which the rollout leaves alone and says so (exit 1).
start_fleet v 3
h2=$(sed -n 2p "$T/v")
run swapped_away 1 "${R[@]}" --hosts "$T/v" --json rollout --waves 1,100% --max-fail 1 \
	--check-cmd "if [ \"\$THESEUS_HOST\" = $h2 ]; then $CTL swap hello $T/hello_1.3 >/dev/null; fi" \
	hello "$T/hello_1.2"
grep "\"host\":\"$h2\"" "$T/last.out" | grep -q '"status":"failed".*"check":"failed: hello runs 1.3 ([0-9a-f]\{12\}) now, not the new object' \
	&& ok swapped_away_failed || bad swapped_away_failed "$T/last.out"
grep "\"host\":\"$h2\"" "$T/last.out" | grep -q '"rolled_back":false,"rollback_failed":true' \
	&& ok swapped_away_rollback_failed_field || bad swapped_away_rollback_failed_field "$T/last.out"
# its error keeps why it failed, then why it could not be put back
grep "\"host\":\"$h2\"" "$T/last.out" | grep -q '"error":"failed: hello runs 1.3 ([0-9a-f]*) now, not the new object[^"]*; rollback: hello runs [0-9a-f]*, neither the old' \
	&& ok swapped_away_error_keeps_cause || bad swapped_away_error_keeps_cause "$T/last.out"
[ "$(grep -c '"status":"done".*"rollback_failed":false' "$T/last.out")" = 2 ] && ok swapped_away_others_done \
	|| bad swapped_away_others_done "$T/last.out"
err_has swapped_away_summary "complete: 2 of 3 hosts run it \(2 updated, 0 already\) in 2 waves, 1 failed \(budget 1\).*failed: $h2; ROLLBACK FAILED on 1 host: $h2"

# ---- the state file pins hosts and waves --------------------------------------
start_fleet g 4
head -n 2 "$T/g" > "$T/g2"
{ sed -n 2p "$T/g"; sed -n 1p "$T/g"; sed -n '3,4p' "$T/g"; } > "$T/g_reordered"
# a run killed after its first wave (slow soak) leaves hosts swapped and pending
"${R[@]}" --hosts "$T/g" rollout --waves 1,100% --soak 3 --state "$T/st" hello "$T/hello_1.2" \
	> /dev/null 2>&1 &
rpid=$!
for _ in $(seq 100); do grep -q ' swapping ' "$T/st" 2>/dev/null && break; sleep 0.05; done
kill -9 $rpid 2>/dev/null; wait $rpid 2>/dev/null
[ "$(grep -c ' pending ' "$T/st")" = 3 ] && grep -q '^waves 1,100%$' "$T/st" \
	&& ok state_lists_every_host || bad state_lists_every_host "$T/st"
run resume_fewer_hosts 2 "${R[@]}" --hosts "$T/g2" rollout --state "$T/st" --resume hello "$T/hello_1.2"
err_has resume_fewer_hosts_named "records a rollout over other hosts: not given now: $(sed -n 3p "$T/g"), $(sed -n 4p "$T/g")"
run resume_reordered 2 "${R[@]}" --hosts "$T/g_reordered" rollout --state "$T/st" --resume hello "$T/hello_1.2"
err_has resume_reordered_said 'same hosts in another order'
run resume_other_waves 2 "${R[@]}" --hosts "$T/g" rollout --waves 2,100% --state "$T/st" --resume hello "$T/hello_1.2"
err_has resume_other_waves_said 'records a rollout with --waves 1,100%, not 2,100%'
run resume_json 2 "${R[@]}" --hosts "$T/g2" --json rollout --state "$T/st" --resume hello "$T/hello_1.2"
out_has resume_json_object '^\{"host":"local","command":"rollout","ok":false,"status":"EUSAGE"'
run resume_same 0 "${R[@]}" --hosts "$T/g" rollout --state "$T/st" --resume hello "$T/hello_1.2"
err_has resume_same_complete 'complete: 4 of 4 hosts run it \([0-9] updated, [0-9] already\) in 2 waves'
[ "$(grep -c ' done ' "$T/st")" = 4 ] && ok resume_state_all_done || bad resume_state_all_done "$T/st"

# ---- one run at a time per state file ------------------------------------------
# A second rollout given the same FILE while the first runs would rewrite it
# from its own view (the first one's hosts as "already", their old hashes
# lost): it is refused, and the first one's record stays whole.
start_fleet l 3
"${R[@]}" --hosts "$T/l" rollout --waves 1,100% --soak 2 --state "$T/st3" hello "$T/hello_1.2" \
	> "$T/first.out" 2> "$T/first.err" &
rpid=$!
for _ in $(seq 100); do grep -q ' swapping ' "$T/st3" 2>/dev/null && break; sleep 0.05; done
run state_in_use 5 "${R[@]}" --hosts "$T/l" rollout --waves 1,100% --state "$T/st3" hello "$T/hello_1.2"
err_has state_in_use_said "rollout: $T/st3 is in use by another rollout \(theseusctl pid $rpid holds $T/st3.lock\)"
wait $rpid && ok state_in_use_first_completes || bad state_in_use_first_completes "$T/first.err"
[ "$(grep -c ' done 1\.0 [0-9a-f]\{64\}$' "$T/st3")" = 3 ] && ok state_in_use_record_whole \
	|| bad state_in_use_record_whole "$T/st3"
run state_free_again 0 "${R[@]}" --hosts "$T/l" rollout --waves 1,100% --state "$T/st3" hello "$T/hello_1.2"

# ---- a stopped rollout stays stopped on resume, unless --retry --------------------
bad_host=$(sed -n 2p "$T/g")
run stopped 1 "${R[@]}" --hosts "$T/g" rollout --waves 2,100% --state "$T/st2" \
	--check-cmd "test \"\$THESEUS_HOST\" != $bad_host" hello "$T/hello_1.3"
grep -q '^stopped 1$' "$T/st2" && ok stopped_recorded || bad stopped_recorded "$T/st2"
hist() { "${R[@]}" -H "$bad_host" --json history | grep -o '"new_version":"1\.3"' | wc -l; }
n0=$(hist)
run stopped_resume_refused 2 "${R[@]}" --hosts "$T/g" rollout --state "$T/st2" --resume hello "$T/hello_1.3"
err_has stopped_resume_said 'records a rollout that STOPPED in wave 1 .*not resumed; --retry starts it again'
run stopped_rerun_refused 2 "${R[@]}" --hosts "$T/g" rollout --state "$T/st2" \
	--check-cmd true hello "$T/hello_1.3"
[ "$(hist)" = "$n0" ] && ok stopped_bad_host_not_swapped_again || bad stopped_bad_host_not_swapped_again
run stopped_retry 0 "${R[@]}" --hosts "$T/g" rollout --state "$T/st2" --retry --check-cmd true \
	hello "$T/hello_1.3"
err_has stopped_retry_complete 'complete: 4 of 4 hosts run it'
! grep -q '^stopped' "$T/st2" && ok retry_clears_stopped || bad retry_clears_stopped "$T/st2"
run retry_needs_state 2 "${R[@]}" --hosts "$T/g" rollout --retry hello "$T/hello_1.3"

# ---- a host that ran the object already is never the rollout's to undo ------------
# Run 1 finds a0 on the object already (swapped by hand) and updates a1; run
# 2 with the same FILE stops on a1's check: a1 goes back, a0 keeps what it
# ran before either run (the record must not make it look like a first load
# of this rollout, whose undo would roll back or unload what was there).
start_fleet a 2
a0=$(sed -n 1p "$T/a"); a1=$(sed -n 2p "$T/a")
"${R[@]}" -H "$a0" -q swap hello "$T/hello_1.2"
run already_first 0 "${R[@]}" --hosts "$T/a" rollout --state "$T/st4" hello "$T/hello_1.2"
err_has already_first_summary '\(1 updated, 1 already\)'
run already_resume_stops 1 "${R[@]}" --hosts "$T/a" --json rollout --state "$T/st4" \
	--check-cmd "test \"\$THESEUS_HOST\" != $a1" hello "$T/hello_1.2"
grep "\"host\":\"$a0\"" "$T/last.out" | grep -q '"status":"already".*"rolled_back":false,"rollback_failed":false' \
	&& ok already_not_undone || bad already_not_undone "$T/last.out" "$T/last.err"
! grep -q "ROLLBACK FAILED" "$T/last.err" && ok already_no_rollback_failure || bad already_no_rollback_failure "$T/last.err"
"${R[@]}" -H "$a0" --json ls > "$T/ls.json" 2>/dev/null
grep -q '"name":"hello","version":"1.2"' "$T/ls.json" && ok already_keeps_object || bad already_keeps_object "$T/ls.json"

# ---- a host that cannot be put back is not recorded as done ----------------------
# Wave 1 updates k0; wave 2's check fails on k1 and kills k0's daemon: the
# stop cannot put k0 back, and the state file must not say "done" for it.
start_fleet k 2
k0=$(sed -n 1p "$T/k"); k1=$(sed -n 2p "$T/k"); k0pid=${pids[-2]}
run unreachable_at_stop 1 "${R[@]}" --hosts "$T/k" rollout --state "$T/st5" \
	--check-cmd "if [ \"\$THESEUS_HOST\" = $k1 ]; then kill $k0pid; exit 1; fi" hello "$T/hello_1.2"
err_has unreachable_at_stop_said "ROLLBACK FAILED on 1 host: $k0"
grep -q "^$k0 failed 1\.0 [0-9a-f]\{64\}$" "$T/st5" && ok unreachable_at_stop_recorded_failed \
	|| bad unreachable_at_stop_recorded_failed "$T/st5"

# ---- names every kernel refuses are refused before any host is asked -------------
h1g=$(sed -n 1p "$T/g")
n0=$("${R[@]}" -H "$h1g" --json history | grep -o '"seq"' | wc -l)
run bad_module_name 2 "${R[@]}" --hosts "$T/g" rollout 'he"llo' "$T/hello_1.3"
err_has bad_module_name_said 'rollout: module name "he"llo" is not 1-63 characters of \[A-Za-z0-9_.-\]'
run bad_check_name 2 "${R[@]}" --hosts "$T/g" --json rollout --check 'a b' hello "$T/hello_1.3"
out_has bad_check_name_said '"status":"EUSAGE".*--check function name \\"a b\\" is not 1-63 characters'
[ "$("${R[@]}" -H "$h1g" --json history | grep -o '"seq"' | wc -l)" = "$n0" ] \
	&& ok bad_names_touch_no_host || bad bad_names_touch_no_host

echo "RESULT rollout_resume_e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
