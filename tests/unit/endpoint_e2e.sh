#!/usr/bin/env bash
# endpoint_e2e.sh - end-to-end test of theseusctl against the endpoint core
# without a kernel: build/tests/endpoint_udpd (endpoint_handle() + the
# fixture backend on 127.0.0.1) and build/theseusctl.  Covers ping, ls,
# push + swap, a retried swap, a stale compare-and-swap, wrong/missing key,
# read-only mode, and a push + swap through 20% loss, 10% duplication,
# reordering and lost replies; the inspection commands (info, with and
# without a NIC's counters, history,
# rollback, state, log, invoke, graph, tasks, exports, lint and lint
# --target, profile), --json, and a fleet of
# three hosts of which one is down; the session cache with -j hosts in one
# process, and a directory in its place.  Prints PASS/FAIL lines and a RESULT line.
#
# Usage: tests/unit/endpoint_e2e.sh [BUILD_DIR]   (default: build)
set -u
B=${1:-build}
export THESEUS_SESSION_CACHE=off   # never the user's session cache (README)
CTL=$B/theseusctl
UDPD=$B/tests/endpoint_udpd
T=$(mktemp -d)
pids=()
pass=0 fail=0
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

start() {  # start NAME ARGS...: sets PORT once the server printed "READY <port>"
	local name=$1; shift
	"$UDPD" "$@" > "$T/$name.out" 2> "$T/$name.err" &
	local pid=$! deadline=$((SECONDS + 20)) why
	pids+=($pid)
	while :; do
		PORT=$(awk '/^READY/ {print $2}' "$T/$name.out" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			PORT=$(awk '/^READY/ {print $2}' "$T/$name.out" 2>/dev/null)
			why="exited"; break
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then why="printed no READY line within 20 s"; break; fi
		sleep 0.05
	done
	echo "FAIL start_$name: endpoint_udpd $* $why; its output:"
	sed 's/^/  /' "$T/$name.out" "$T/$name.err"
	exit 1
}

# wait_lines FILE REGEX N PID: wait until FILE (the output of process PID)
# has N lines matching REGEX; fails (status 1, with a reason) if PID exits
# first or after 20 s.
wait_lines() {
	local deadline=$((SECONDS + 20)) n
	while :; do
		n=$(grep -Ec "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		if ! kill -0 "$4" 2>/dev/null; then echo "  exited with ${n:-0} of $3 lines /$2/"; return 1; fi
		if [ "$SECONDS" -ge "$deadline" ]; then echo "  ${n:-0} of $3 lines /$2/ after 20 s"; return 1; fi
		sleep 0.05
	done
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

expect_err() {  # expect_err NAME REGEX: the last command's stderr matches
	if grep -Eq "$2" "$T/last.err"; then echo "PASS $1"; pass=$((pass + 1))
	else echo "FAIL $1: stderr lacks /$2/"; sed 's/^/  /' "$T/last.err"; fail=$((fail + 1)); fi
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
expect_err swap_stale_cas_conflict 'swap: ECONFLICT: hello runs version "1\.1", not the expected "0\.9"'
check ls_after_stale_cas 0 "${C[@]}" ls
expect_out stale_cas_changed_nothing '^hello +1\.1 '
check push 0 "${C[@]}" push "$T/kv_v20"
# On a terminal (script(1) gives it one) the push draws its progress bar
# on stderr, which theseusctl otherwise escapes (its CR would be \x0d);
# before, escaping stderr had turned the bar off.
{ printf 'VERSION=2.1\n'; head -c 300000 /dev/urandom; } > "$T/kv_v21"
# (a pseudo-terminal of Python's pty module, read to its end)
cat > "$T/ptyrun.py" <<'PTY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PTY
check push_tty 0 python3 "$T/ptyrun.py" "${C[@]}" push "$T/kv_v21"
# (the label is the file's path, 16 characters of a random mktemp name:
# any but CR; the pattern's [^\r] used to be "not backslash, not r", so a
# name with an r failed the test)
expect_out push_tty_progress_bar $'\r[^\r]{16} \\[#{30}\\] 100% '
if grep -q 'x0d' "$T/last.out"; then echo "FAIL push_tty_raw_cr: the bar's CR escaped"; fail=$((fail + 1))
else echo "PASS push_tty_raw_cr"; pass=$((pass + 1)); fi
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

# The largest object through a lossy link: more datagrams than the ring
# theseusctl matches replies through (push.c, CTL_PUSH_MATCH_RING), so the
# ring wraps, and more chunks than a scan of them all per reply would take.
start biglossy --key-file "$T/key" --drop 30 --dup 5 --reorder 10 --seed 11 --staging-bytes 70000000
head -c $((64 << 20)) /dev/urandom > "$T/big64"
check big_lossy_push 0 env THESEUSCTL_TRACE=1 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" \
	--timeout 300 --retries 8 push "$T/big64"
expect_out big_lossy_push_hash "^pushed .*big64 \(67108864 bytes\) sha256 $(sha256sum "$T/big64" | cut -c1-64)\$"
sent=$(grep -o ', [0-9]* sent' "$T/last.err" | grep -o '[0-9]*' | tail -1)
[ "${sent:-0}" -gt 65536 ] && { echo "PASS big_lossy_push_wrapped ($sent datagrams)"; pass=$((pass + 1)); } \
	|| { echo "FAIL big_lossy_push_wrapped: ${sent:-no} datagrams sent, want more than 65536"; fail=$((fail + 1)); }
rm -f "$T/big64"

start nokey
N=("$CTL" -H "127.0.0.1:$PORT" --timeout 300)
check nokey_ping 0 "${N[@]}" ping
check nokey_ls 0 "${N[@]}" ls
check nokey_push_refused 4 "${N[@]}" push "$T/kv_v20"
grep -q 'no key configured' "$T/last.err" && { echo "PASS nokey_message"; pass=$((pass + 1)); } \
	|| { echo "FAIL nokey_message"; fail=$((fail + 1)); }
# A key given to a kernel booted without one: its answers carry no seal, so
# none is believed (exit 4), and the hint says why, not "wrong key?".
check nokey_keyed_ping 4 "${N[@]}" --key-file "$T/key" ping
expect_err nokey_keyed_hint 'EAUTH: .*answers without a seal: was it booted without key=\?'

# The objects of one swap must fit the staging area together, else each push
# evicts the one before and the swap finds an object gone (ENOENT "push it
# first"): refused before anything is sent, naming both sizes.
start small --key-file "$T/key" --staging-bytes 200000
S=("$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300)
{ printf 'VERSION=1.2\n'; head -c 120000 /dev/urandom; } > "$T/hello_v12"
{ printf 'VERSION=2.2\n'; head -c 120000 /dev/urandom; } > "$T/kv_v22"
check swap_together_too_big 5 "${S[@]}" swap hello "$T/hello_v12" kv "$T/kv_v22"
expect_err swap_together_msg 'swap: the 2 objects take 240024 bytes together, more than the kernel.s staging area of 200000 bytes'
check swap_one_fits 0 "${S[@]}" swap hello "$T/hello_v12"

# ---- issue 9: inspection, rollback, invoke, JSON, fleet ----------------------
start insp --key-file "$T/key"
I=("$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300)
check info 0 "${I[@]}" info
expect_out info_kernel '^kernel +theseus-c host-fixture'
check info_json 0 "${I[@]}" --json info
expect_out info_json_fields '^\{"host":"127\.0\.0\.1:[0-9]+","command":"info","ok":true,"status":"OK","exit":0,"error":"",.*"counters":\{"requests":'
# No NIC (the fixture's default): no counters in the text or the JSON.
expect_out info_json_no_nic_counters '"nic":\{"pci_id":"","model":"","driver":"","driver_version":""\},"staging"'
check info_no_nic 0 "${I[@]}" info
expect_out info_nic_none '^nic +none$'
! grep -q '^nic rx' "$T/last.out" && { echo "PASS info_no_nic_counters_line"; pass=$((pass + 1)); } \
	|| { echo "FAIL info_no_nic_counters_line"; sed 's/^/  /' "$T/last.out"; fail=$((fail + 1)); }
# A NIC with counters (endpoint_udpd --nic: fixed values).
start nic --key-file "$T/key" --nic
NC=("$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300)
check info_nic 0 "${NC[@]}" info
expect_out info_nic_line '^nic +8086:100e 82540EM, driver module e1000 1\.0$'
expect_out info_nic_counters_line '^nic rx +12345 frames \(1\.2 MB\), 2 dropped, 1 errors; tx 678 frames \(90\.0 kB\), 3 dropped, 4 errors; 2345 interrupts$'
check info_nic_json 0 "${NC[@]}" --json info
expect_out info_nic_json_counters '"nic":\{"pci_id":"8086:100e","model":"82540EM","driver":"e1000","driver_version":"1\.0","counters":\{"rx_packets":12345,"rx_bytes":1234567,"rx_drops":2,"rx_errors":1,"tx_packets":678,"tx_bytes":90000,"tx_drops":3,"tx_errors":4,"irqs":2345\}\},"staging"'
check rollback_nothing 1 "${I[@]}" rollback hello
check swap_for_rollback 0 "${I[@]}" swap hello "$T/hello_v11"
check rollback 0 "${I[@]}" rollback hello
expect_out rollback_reports '^hello: 1\.1 -> 1\.0 \(rolled back\)'
check ls_after_rollback 0 "${I[@]}" ls
expect_out ls_rolled_back '^hello +1\.0 '
check history 0 "${I[@]}" history
expect_out history_swap '^ +1 .* swap +hello 1\.0->1\.1 +OK'
expect_out history_rollback '^ +2 .* rollback +hello 1\.1->1\.0 +OK'
check history_json 0 "${I[@]}" --json history
expect_out history_json_entries '"entries":\[\{"seq":1,.*"rollback":true'
check state 0 "${I[@]}" state
expect_out state_table '^kv\.table +named +0x6b762e74 +1 +6144'
check log 0 "${I[@]}" log
expect_out log_text 'INFO swap: rollback hello 1\.1 -> 1\.0 OK'
check log_json 0 "${I[@]}" --json log --from 10
expect_out log_json_fields '"text":".*","start":10,"next":[0-9]+,"lost":0\}$'
# log -f prints the ring so far, then streams what is logged after it caught
# up: a swap, then a rollback issued only once the swap's line arrived.
"${I[@]}" log -f --interval 100 > "$T/follow.out" 2> "$T/follow.err" &
fpid=$!
pids+=($fpid)
follow_ok() {
	wait_lines "$T/follow.out" 'INFO boot: theseus-c host fixture' 1 $fpid &&
	wait_lines "$T/follow.out" 'INFO swap: rollback hello 1\.1 -> 1\.0 OK' 1 $fpid &&
	"${I[@]}" swap hello "$T/hello_v11" > /dev/null &&
	wait_lines "$T/follow.out" 'INFO swap: hello 1\.0 -> 1\.1 OK' 2 $fpid &&
	"${I[@]}" rollback hello > /dev/null &&
	wait_lines "$T/follow.out" 'INFO swap: rollback hello 1\.1 -> 1\.0 OK' 2 $fpid &&
	kill -0 $fpid 2>/dev/null
}
if follow_ok; then echo "PASS log_follow"; pass=$((pass + 1))
else echo "FAIL log_follow"; sed 's/^/  /' "$T/follow.out" "$T/follow.err"; fail=$((fail + 1)); fi
kill $fpid 2>/dev/null
# A position beyond the end of the log (one from before a reboot): ERANGE,
# saying so, never an empty success.  log -f across a reboot (the server
# restarted on its port, with a new log shorter than the position reached)
# says so and follows the new log from its start.
check log_beyond_end 1 "${I[@]}" log --from 99999999
expect_err log_beyond_end_msg 'ERANGE: position 99999999 is beyond the end of the log'
start reboot --key-file "$T/key"
rpid=${pids[-1]}
R=("$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 2000)
"${R[@]}" swap hello "$T/hello_v11" > /dev/null
"${R[@]}" log -f --interval 50 > "$T/reboot.out" 2> "$T/reboot.err" &
rfpid=$!
pids+=($rfpid)
follow_reboot_ok() {
	wait_lines "$T/reboot.out" 'INFO swap: hello 1\.0 -> 1\.1 OK' 1 $rfpid &&
	kill $rpid && wait $rpid 2>/dev/null
	start reboot2 --key-file "$T/key" --port "$PORT" &&
	wait_lines "$T/reboot.out" 'INFO boot: theseus-c host fixture' 2 $rfpid &&
	grep -q 'log: the log ends at [0-9]*, before [0-9]* (the kernel rebooted?)' "$T/reboot.err"
}
if follow_reboot_ok; then echo "PASS log_follow_reboot"; pass=$((pass + 1))
else echo "FAIL log_follow_reboot"; sed 's/^/  /' "$T/reboot.out" "$T/reboot.err"; fail=$((fail + 1)); fi
kill $rfpid 2>/dev/null
check invoke_put 0 "${I[@]}" invoke kv kv_invoke_put color=blue
check invoke_get 0 "${I[@]}" invoke kv kv_invoke_get color
expect_out invoke_get_value '^blue$'
check invoke_stdin 0 sh -c "printf color | $(printf '%q ' "${I[@]}") invoke --hex kv kv_invoke_get -"
expect_out invoke_hex '^626c7565$'
check invoke_missing_key 1 "${I[@]}" invoke kv kv_invoke_get shape
check invoke_no_function 1 "${I[@]}" invoke kv nope
grep -q 'exports no function nope' "$T/last.err" && { echo "PASS invoke_no_function_msg"; pass=$((pass + 1)); } \
	|| { echo "FAIL invoke_no_function_msg"; fail=$((fail + 1)); }
check invoke_json 0 "${I[@]}" --json invoke hello hello_greet_invoke
expect_out invoke_json_fields '"module":"hello","function":"hello_greet_invoke","result":0,"result_name":"OK","output":"hello from 1\.0 \(call 1\)","output_hex":"68'
check invoke_wrong_key 4 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/wrong" --timeout 300 --retries 1 invoke kv kv_invoke_put color=red
check invoke_unchanged 0 "${I[@]}" invoke kv kv_invoke_get color
expect_out invoke_unchanged_value '^blue$'
check graph 0 "${I[@]}" graph
expect_out graph_edge '^  "kv" -> "hello" \[label="3"\];$'
check tasks 0 "${I[@]}" tasks
expect_out tasks_text '^ID NAME'
check quiet 0 "${I[@]}" -q ls
[ ! -s "$T/last.out" ] && { echo "PASS quiet_no_output"; pass=$((pass + 1)); } \
	|| { echo "FAIL quiet_no_output"; fail=$((fail + 1)); }
if [ -f "$B/modules/kv.o" ]; then
	# kv imports checksum's exports: linted together, as one batch.
	check lint_ok 0 "$CTL" lint "$B/modules/checksum.o" "$B/modules/kv.o"
	expect_out lint_ok_line 'kv\.o: ok$'
fi
head -c 100 /dev/urandom > "$T/garbage.o"
check lint_garbage 1 "$CTL" lint "$T/garbage.o"
check lint_json 1 "$CTL" --json lint "$T/garbage.o"
expect_out lint_json_fields '"host":"local","command":"lint","ok":false,"status":"EBADELF".*"files":\[\{"file":'
# The running kernel's export list, and lint against it (--target).
check exports 0 "${I[@]}" exports
expect_out exports_head '^module API [0-9]+, 7 symbols$'
expect_out exports_module_row '^kv_invoke_get +kv +weak$'
expect_out exports_kernel_row '^th_log +kernel +strong$'
check exports_json 0 "${I[@]}" exports --json
expect_out exports_json_fields '"module_api":[0-9]+,"total":7,"generation":0,"symbols":\[\{"name":"th_log","module":"","weak":false\}.*\{"name":"hello_greet","module":"hello","weak":false\}'
check exports_usage 2 "${I[@]}" exports extra
if [ -f "$B/modules/swapcaller.o" ]; then
	# swapcaller imports hello_greet: the fixture's loaded hello exports it.
	check lint_target_ok 0 "$CTL" --key-file "$T/key" lint --target "127.0.0.1:$PORT" "$B/modules/swapcaller.o"
	expect_out lint_target_ok_line 'swapcaller\.o: ok$'
	check lint_target_json 0 "$CTL" --key-file "$T/key" --json lint --target "127.0.0.1:$PORT" "$B/modules/swapcaller.o"
	expect_out lint_target_json_fields "\"host\":\"local\".*\"exports\":\"127\\.0\\.0\\.1:$PORT\",\"files\":\\[\\{\"file\":\"[^\"]*swapcaller\\.o\",\"findings\":.*\"ok\":true,\"status\":\"OK\"\\}\\]\\}$"
	# hello imports kernel symbols the fixture's kernel does not export.
	check lint_target_refused 1 "$CTL" --key-file "$T/key" lint --target "127.0.0.1:$PORT" "$B/modules/hello.o"
	expect_out lint_target_refused_names 'hello\.o: error: .*statedb_open'
	check lint_target_down 3 "$CTL" --timeout 50 --retries 1 lint --target 127.0.0.1:1 \
		"$B/modules/swapcaller.o"
	check lint_target_and_exports 2 "$CTL" --key-file "$T/key" lint --target "127.0.0.1:$PORT" --exports x \
		"$B/modules/swapcaller.o"
fi
# The profiler (the fixture's fake report: 4 entries, 1024 samples on 2 CPUs).
check profile_timed 0 "${I[@]}" profile 0.1
expect_out profile_summary '^profile of 127\.0\.0\.1:[0-9]+: 1024 samples in 3\.00 s at 1000 Hz, 2 CPUs \(0 lost\)$'
expect_out profile_cpu1 '^  cpu1 +250 samples, +80\.0% idle$'
expect_out profile_header '^SAMPLES +% +IDLE +FUNCTION +MODULE$'
expect_out profile_top_row '^    512  50\.0% +0  br_sha2small_round +kernel$'
expect_out profile_module_row '^ +12 +1\.2% +0  kv_invoke_put +kv$'
check profile_json 0 "${I[@]}" --json profile 0.05
expect_out profile_json_fields '^\{"host":"127\.0\.0\.1:[0-9]+","command":"profile","ok":true,"status":"OK","exit":0,"error":"","running":false,"elapsed_ms":3000,"hz":1000,"samples":1024,"lost":0,"entries_total":4,"cpus":\[\{"cpu":0,"samples":774,"idle":0\},\{"cpu":1,"samples":250,"idle":200\}\],"functions":\[\{"function":"br_sha2small_round","module":"kernel","samples":512,"idle":0\},.*\{"function":"kv_invoke_put","module":"kv","samples":12,"idle":0\}\]\}$'
check profile_start 0 "${I[@]}" profile start
expect_out profile_started '^profiling 127\.0\.0\.1:[0-9]+: started at 1000 Hz on 2 CPUs$'
check profile_report_running 0 "${I[@]}" --json profile report
expect_out profile_report_is_running '"running":true,"elapsed_ms":1500,'
check profile_stop 0 "${I[@]}" profile stop --top 2
expect_out profile_stop_summary '^profile of .*: 1024 samples in 3\.00 s'
expect_out profile_stop_more '^\(2 more functions, 212 samples, not shown: --top 4 for more, --top 0 for all\)$'
check profile_report_stopped 0 "${I[@]}" --json profile report
expect_out profile_report_stopped_same '"running":false,"elapsed_ms":3000,"hz":1000,"samples":1024,'
check profile_wrong_key 4 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/wrong" --timeout 300 --retries 1 profile start
check profile_bad_seconds 2 "${I[@]}" profile 3601
expect_err profile_bad_seconds_msg 'profile: 3601: want SECONDS \(more than 0, at most 3600'
check profile_bad_top 2 "${I[@]}" profile --top -1 report
check profile_usage 2 "${I[@]}" profile start stop
IP=$PORT
start prof --key-file "$T/key" --profile-extra 300
check profile_all_pages 0 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 --json profile --top 0 0.05
[ "$(grep -o '"function":' "$T/last.out" | wc -l)" = 304 ] && grep -q '"entries_total":304,' "$T/last.out" \
	&& { echo "PASS profile_all_pages_entries"; pass=$((pass + 1)); } \
	|| { echo "FAIL profile_all_pages_entries"; head -c 600 "$T/last.out"; fail=$((fail + 1)); }
check profile_fleet 0 "$CTL" -H "127.0.0.1:$IP,127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 --json profile report
[ "$(grep -c '^{"host":"127.0.0.1:[0-9]*","command":"profile","ok":true' "$T/last.out")" = 2 ] \
	&& { echo "PASS profile_fleet_two_hosts"; pass=$((pass + 1)); } \
	|| { echo "FAIL profile_fleet_two_hosts"; sed 's/^/  /' "$T/last.out"; fail=$((fail + 1)); }
# Another client recomputes the report while this one reads its pages: the
# reading starts again from the first page (twice here), and gives up past
# three rereads, saying why.
start churn --key-file "$T/key" --profile-extra 300 --profile-churn 2
check profile_reread 0 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 --json profile --top 0 0.05
[ "$(grep -o '"function":' "$T/last.out" | wc -l)" = 304 ] && grep -q '"samples":1326,' "$T/last.out" \
	&& { echo "PASS profile_reread_whole"; pass=$((pass + 1)); } \
	|| { echo "FAIL profile_reread_whole"; head -c 600 "$T/last.out"; fail=$((fail + 1)); }
start churn10 --key-file "$T/key" --profile-extra 300 --profile-churn 10
check profile_reread_gives_up 1 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 profile --top 0 0.05
expect_err profile_reread_gives_up_said 'profile: the report changed while it was read, 4 times'
# The task list shrinks between pages (tasks ending while it is read):
# read again from the first page, not ERANGE past its new end, and given up
# past three rereads, saying why.
start taskchurn --key-file "$T/key" --tasks-churn 40
check tasks_reread 0 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 tasks
expect_out tasks_reread_whole '^policy: rr$'
! grep -qv -E '^(ID NAME|policy: rr$| *[0-9]+ [a-z0-9]+ +[a-z]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$)' "$T/last.out" \
	&& { echo "PASS tasks_reread_lines"; pass=$((pass + 1)); } \
	|| { echo "FAIL tasks_reread_lines"; head -c 600 "$T/last.out"; fail=$((fail + 1)); }
start taskchurn2 --key-file "$T/key" --tasks-churn 10
check tasks_reread_gives_up 1 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 tasks
expect_err tasks_reread_gives_up_said 'tasks: the task list changed while it was read, 4 times'
start noprof --key-file "$T/key" --no-profile
check profile_older_kernel 1 "$CTL" -H "127.0.0.1:$PORT" --key-file "$T/key" --timeout 300 profile report
expect_err profile_older_kernel_said 'profile: this kernel has no profiler: ENOTSUP'
PORT=$IP
check usage_json 2 "${I[@]}" --json rollback
expect_out usage_json_status '"status":"EUSAGE"'

# A fleet: two servers and one port nobody listens on.
P1=$PORT
start fleet2 --key-file "$T/key"
P2=$PORT
printf '# lab\n127.0.0.1:%s\n\n127.0.0.1:%s   # second\n' "$P1" "$P2" > "$T/hosts"
F=("$CTL" --key-file "$T/key" --timeout 200 --retries 1)
check fleet_ok 0 "${F[@]}" --hosts "$T/hosts" ping
check fleet_down 3 "${F[@]}" -H "127.0.0.1:$P1,127.0.0.1:1" -H "127.0.0.1:$P2" --json ls
[ "$(grep -c '"ok":true' "$T/last.out")" = 2 ] && grep -q '"host":"127.0.0.1:1","command":"ls","ok":false,"status":"ETIMEDOUT"' "$T/last.out" \
	&& { echo "PASS fleet_down_json"; pass=$((pass + 1)); } || { echo "FAIL fleet_down_json"; sed 's/^/  /' "$T/last.out"; fail=$((fail + 1)); }
grep -q '2 of 3 hosts succeeded; failed: 127.0.0.1:1 (ETIMEDOUT)' "$T/last.err" \
	&& { echo "PASS fleet_summary"; pass=$((pass + 1)); } || { echo "FAIL fleet_summary"; cat "$T/last.err"; fail=$((fail + 1)); }
check fleet_swap 0 "${F[@]}" -j 2 --hosts "$T/hosts" swap kv "$T/kv_v20"
check fleet_swapped 0 "${F[@]}" --hosts "$T/hosts" --json ls
[ "$(grep -c '"name":"kv","version":"2.0"' "$T/last.out")" = 2 ] && { echo "PASS fleet_both_swapped"; pass=$((pass + 1)); } \
	|| { echo "FAIL fleet_both_swapped"; fail=$((fail + 1)); }
check fleet_rollback 0 "${F[@]}" --hosts "$T/hosts" rollback kv

# The session cache with -j hosts in one process: both hosts' epochs are
# written (neither thread's write loses the other's), and the next run
# starts in both (a hit each, one datagram per call).
check fleet_cache_fill 0 env THESEUS_SESSION_CACHE="$T/sc/sessions" "${F[@]}" -j 2 \
	--hosts "$T/hosts" ping
n=$(grep -Ec "^[0-9a-f]{16} 127\.0\.0\.1:($P1|$P2) [0-9a-f]{16} 3 [0-9]+$" "$T/sc/sessions" 2>/dev/null)
[ "$n" = 2 ] && { echo "PASS fleet_cache_both_hosts"; pass=$((pass + 1)); } \
	|| { echo "FAIL fleet_cache_both_hosts ($n entries)"; sed 's/^/  /' "$T/sc/sessions"; fail=$((fail + 1)); }
check fleet_cache_used 0 env THESEUS_SESSION_CACHE="$T/sc/sessions" THESEUSCTL_TRACE=1 "${F[@]}" \
	-j 2 --hosts "$T/hosts" ping
[ "$(grep -c 'session cache hit' "$T/last.err")" = 2 ] && [ "$(grep -c ': 1 sent,' "$T/last.err")" = 2 ] \
	&& { echo "PASS fleet_cache_hits"; pass=$((pass + 1)); } \
	|| { echo "FAIL fleet_cache_hits"; sed 's/^/  /' "$T/last.err"; fail=$((fail + 1)); }
[ "$(stat -c %a "$T/sc")" = 700 ] && [ "$(stat -c %a "$T/sc/sessions")" = 600 ] \
	&& { echo "PASS cache_modes"; pass=$((pass + 1)); } \
	|| { echo "FAIL cache_modes"; ls -la "$T/sc"; fail=$((fail + 1)); }
# a directory in the cache's place: commands work, one message says why
mkdir -p "$T/scdir/sessions"
check cache_is_dir 0 env THESEUS_SESSION_CACHE="$T/scdir/sessions" "${F[@]}" --hosts "$T/hosts" ping
expect_err cache_is_dir_said 'session cache .*scdir/sessions: cannot write it: not a regular file'

check unreachable 3 "$CTL" -H 127.0.0.1:1 --timeout 50 --retries 1 ping
check usage 2 "$CTL" swap onlyone

echo "RESULT endpoint_e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
