#!/usr/bin/env bash
# rollout_resume_e2e.sh - end-to-end tests of the rollout cases that need
# care beyond rollout_e2e.sh, against a few host endpoint daemons
# (build/tests/endpoint_udpd): --check-cmd's theseusctl gets the run's key,
# a rollout of a module not loaded yet is undone by unloading it (each
# outcome printed once), and the --state file pins the hosts and waves of a
# rollout and keeps a stopped one stopped.  Prints PASS/FAIL lines and a
# RESULT line.
#
# Usage: tests/unit/rollout_resume_e2e.sh [BUILD_DIR]   (default: build)
set -u
B=${1:-build}
export THESEUS_SESSION_CACHE=off   # never the user's session cache (README)
unset THESEUS_HOST THESEUS_PORT THESEUS_KEY_FILE
CTL=$(realpath "$B/theseusctl")
UDPD=$B/tests/endpoint_udpd
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
		"$UDPD" --key-file "$T/key" "$@" > "$T/$name.$i.out" 2>/dev/null &
		pids+=($!)
	done
	for i in $(seq "$n"); do
		local port=
		for _ in $(seq 200); do
			port=$(awk '/^READY/ {print $2}' "$T/$name.$i.out" 2>/dev/null)
			[ -n "$port" ] && break
			sleep 0.05
		done
		[ -n "$port" ] || { echo "FAIL udpd $name.$i did not start"; exit 1; }
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

echo "RESULT rollout_resume_e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
