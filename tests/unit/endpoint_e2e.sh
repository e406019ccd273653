#!/usr/bin/env bash
# endpoint_e2e.sh - end-to-end test of theseusctl against the endpoint core
# without a kernel: build/tests/endpoint_udpd (endpoint_handle() + the
# fixture backend on 127.0.0.1) and build/theseusctl.  Covers ping, ls,
# push + swap, a retried swap, a stale compare-and-swap, wrong/missing key,
# read-only mode, and a push + swap through 20% loss, 10% duplication,
# reordering and lost replies.  Prints PASS/FAIL lines and a RESULT line.
#
# Usage: tests/unit/endpoint_e2e.sh [BUILD_DIR]   (default: build)
set -u
B=${1:-build}
CTL=$B/theseusctl
UDPD=$B/tests/endpoint_udpd
T=$(mktemp -d)
pids=()
pass=0 fail=0
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

start() {  # start NAME ARGS...: sets PORT
	local name=$1; shift
	"$UDPD" "$@" > "$T/$name.out" 2> "$T/$name.err" &
	pids+=($!)
	for _ in $(seq 50); do
		PORT=$(awk '/^READY/ {print $2}' "$T/$name.out" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	echo "udpd $name did not start"; cat "$T/$name.err"; exit 1
}

check() {  # check NAME WANT_RC CMD...
	local name=$1 want=$2; shift 2
	"$@" > "$T/last.out" 2> "$T/last.err"
	local rc=$?
	if [ "$rc" = "$want" ]; then
		echo "PASS $name"; pass=$((pass + 1))
	else
		echo "FAIL $name (exit $rc, want $want)"; sed 's/^/  /' "$T/last.out" "$T/last.err"
		fail=$((fail + 1))
	fi
}

expect_out() {  # expect_out NAME REGEX: the last command's stdout matches
	if grep -Eq "$2" "$T/last.out"; then echo "PASS $1"; pass=$((pass + 1))
	else echo "FAIL $1: output lacks /$2/"; sed 's/^/  /' "$T/last.out"; fail=$((fail + 1)); fi
}

"$CTL" -q keygen "$T/key"
"$CTL" -q keygen "$T/wrong"
{ printf 'VERSION=1.1\n'; head -c 150000 /dev/urandom; } > "$T/hello_v11"
{ printf 'VERSION=2.0\n'; head -c 600000 /dev/urandom; } > "$T/kv_v20"

start good --key-file "$T/key"
C=("$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300)
check ping 0 "${C[@]}" ping
check ls 0 "${C[@]}" ls
expect_out ls_lists_hello '^hello +1\.0 '
check swap 0 "${C[@]}" swap hello "$T/hello_v11"
expect_out swap_reports '^hello: 1\.0 -> 1\.1'
check ls_after_swap 0 "${C[@]}" ls
expect_out ls_shows_new_version '^hello +1\.1 '
check swap_retried 0 "${C[@]}" swap --expect 1.0 hello "$T/hello_v11"
expect_out swap_retried_already 'already running'
check swap_stale_cas 1 "${C[@]}" swap --expect 0.9 hello "$T/kv_v20"
check push 0 "${C[@]}" push "$T/kv_v20"
check wrong_key 4 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/wrong" --timeout 300 ping
check wrong_key_push 4 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/wrong" --timeout 300 push "$T/kv_v20"
check missing_key 4 "$CTL" -H "127.0.0.1:$PORT" --timeout 300 ping
check still_serving 0 "${C[@]}" ls
expect_out wrong_key_changed_nothing '^hello +1\.1 '

start lossy --key-file "$T/key" --drop 20 --dup 10 --reorder 10 --drop-reply 10 --seed 3
L=("$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 --retries 8)
check lossy_swap 0 "${L[@]}" swap kv "$T/kv_v20"
expect_out lossy_swap_reports '^kv: 2\.3 -> 2\.0'
check lossy_ls 0 "${L[@]}" ls
expect_out lossy_ls_new_version '^kv +2\.0 '

start nokey
N=("$CTL" -H "127.0.0.1:$PORT" --timeout 300)
check nokey_ping 0 "${N[@]}" ping
check nokey_ls 0 "${N[@]}" ls
check nokey_push_refused 4 "${N[@]}" push "$T/kv_v20"
grep -q 'no key configured' "$T/last.err" && { echo "PASS nokey_message"; pass=$((pass + 1)); } \
	|| { echo "FAIL nokey_message"; fail=$((fail + 1)); }

check unreachable 3 "$CTL" -H 127.0.0.1:1 --timeout 50 --retries 1 ping
check usage 2 "$CTL" swap onlyone

echo "RESULT endpoint_e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
