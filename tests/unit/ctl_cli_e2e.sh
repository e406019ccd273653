#!/usr/bin/env bash
# ctl_cli_e2e.sh - end-to-end tests of theseusctl's command line and error
# paths against host endpoint daemons (build/tests/endpoint_udpd): what a
# failure says (once, naming the right thing, with a hint only where it
# fits), that every run with --json prints one object, host lists and their
# errors, key files, subcommand --help and "--", rollback in a fleet (and of
# several modules at their first objects).
# Prints PASS/FAIL lines and a RESULT line.
#
# Usage: tests/unit/ctl_cli_e2e.sh [BUILD_DIR]   (default: build)
set -u
B=${1:-build}
export THESEUS_SESSION_CACHE=off   # never the user's session cache (README)
unset THESEUS_HOST THESEUS_PORT THESEUS_KEY_FILE
CTL=$B/theseusctl
UDPD=$B/tests/endpoint_udpd
T=$(mktemp -d)
pids=()
pass=0 fail=0
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; shift; for f in "$@"; do sed 's/^/  /' "$f" | tail -n 30; done; fail=$((fail + 1)); }

nstarted=0
start() {  # start ARGS...: one daemon; sets PORT
	local f="$T/udpd.$((nstarted += 1))"
	"$UDPD" --key-file "$T/key" "$@" > "$f" 2>/dev/null &
	pids+=($!)
	for _ in $(seq 200); do
		PORT=$(awk '/^READY/ {print $2}' "$f" 2>/dev/null)
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	echo "FAIL start: endpoint_udpd $* printed no READY line"; exit 1
}

check() {  # check NAME WANT_RC CMD...: stdout/stderr in $T/last.{out,err}
	local name=$1 want=$2; shift 2
	"$@" > "$T/last.out" 2> "$T/last.err"
	local rc=$?
	if [ "$rc" = "$want" ]; then ok "$name"; else
		echo "  (exit $rc, want $want)"; bad "$name" "$T/last.out" "$T/last.err"; fi
}
out_has() { grep -Eq -e "$2" "$T/last.out" && ok "$1" || bad "$1: stdout lacks /$2/" "$T/last.out"; }
err_has() { grep -Eq -e "$2" "$T/last.err" && ok "$1" || bad "$1: stderr lacks /$2/" "$T/last.err"; }
err_lacks() { ! grep -Eq -e "$2" "$T/last.err" && ok "$1" || bad "$1: stderr has /$2/" "$T/last.err"; }
# json_one NAME STATUS EXIT: stdout is exactly one JSON object with the common
# fields first, this status and exit code
json_one() {
	python3 - "$T/last.out" "$2" "$3" <<'PY' && ok "$1" || bad "$1" "$T/last.out" "$T/last.err"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "%d lines" % len(lines)
o = json.loads(lines[0])
assert list(o)[:6] == ["host", "command", "ok", "status", "exit", "error"], list(o)
assert o["status"] == sys.argv[2], o["status"]
assert o["exit"] == int(sys.argv[3]), o["exit"]
assert o["ok"] == (o["exit"] == 0)
assert o["ok"] or o["error"], "no error text"
PY
}

"$CTL" -q keygen "$T/key"
{ printf 'VERSION=1.1\n'; head -c 5000 /dev/urandom; } > "$T/hello_v11"
mkdir "$T/dir"

start
H=127.0.0.1:$PORT
C=("$CTL" -H "$H" --key-file "$T/key" --timeout 300)

# ---- messages ---------------------------------------------------------------
check rollback_not_loaded 1 "${C[@]}" rollback nosuch
err_has rollback_not_loaded_once "rollback: ENOENT: module nosuch is not loaded$"
err_lacks rollback_not_loaded_no_history_hint 'nothing to roll back to\?'
check swap_expect_conflict 1 "${C[@]}" swap --expect 0.9 hello "$T/hello_v11"
err_has swap_expect_conflict_once 'swap: ECONFLICT: hello runs version "1\.0", not the expected "0\.9"'
err_has swap_expect_conflict_hint 'does not run the version --expect names'
err_lacks swap_expect_conflict_not_changed 'changed since it was read'
check push_dev_zero 5 "${C[@]}" push /dev/zero
err_has push_dev_zero_msg '/dev/zero: more than [0-9]+ bytes, the most one object may have'
err_lacks push_dev_zero_no_0_bytes ' 0 bytes exceeds'
check push_directory 5 "${C[@]}" push "$T/dir"
err_has push_directory_msg 'is a directory'
check key_directory 4 "$CTL" -H "$H" --key-file "$T/dir" ping
err_has key_directory_msg 'key file .*dir: is a directory'
# log -f in a fleet: a host that does not answer is named once per line
"$CTL" -H "127.0.0.1:1,$H" --key-file "$T/key" --timeout 50 --retries 1 log -f --interval 50 > "$T/lf.out" 2> "$T/lf.err" &
lpid=$!
for _ in $(seq 100); do grep -q '127.0.0.1:1' "$T/lf.err" && break; sleep 0.05; done
kill $lpid 2>/dev/null; wait $lpid 2>/dev/null
grep -q '^theseusctl: 127\.0\.0\.1:1: log: ETIMEDOUT' "$T/lf.err" && ! grep -q '^127\.0\.0\.1:1: theseusctl' "$T/lf.err" \
	&& ok log_follow_fleet_prefix_once || bad log_follow_fleet_prefix_once "$T/lf.err"

# ---- --json: one object for every run, local errors EUSAGE / ELOCAL --------
check json_missing_key_file 4 "$CTL" -H "$H" --key-file "$T/nokey" --json ping
json_one json_missing_key_file_object EAUTH 4
printf 'not a key\n' > "$T/badkey"
check json_bad_key_file 4 "$CTL" -H "$H" --key-file "$T/badkey" --json ping
json_one json_bad_key_file_object EAUTH 4
check json_unknown_command 2 "$CTL" --json frobnicate
json_one json_unknown_command_object EUSAGE 2
check json_bad_option 2 "$CTL" --bogus --json ping
json_one json_bad_option_object EUSAGE 2
check json_quiet_success 0 "${C[@]}" -q --json ping
json_one json_quiet_success_object OK 0
check json_push_missing 5 "${C[@]}" --json push "$T/nofile"
json_one json_push_missing_object ELOCAL 5
out_has json_push_missing_detail '"error":"ENOENT: '
check json_push_too_big 5 "${C[@]}" --json push /dev/zero
json_one json_push_too_big_object ELOCAL 5
check json_profile_bad_top 2 "${C[@]}" --json profile --top -1 report
json_one json_profile_bad_top_object EUSAGE 2
# log: a bad --from or --interval is named, with the range, not only usage
check log_bad_from 2 "${C[@]}" log --from 18446744073709551616
err_has log_bad_from_msg 'log: --from 18446744073709551616: want a byte position, 0-18446744073709551615'
check log_bad_interval 2 "${C[@]}" log -f --interval 5
err_has log_bad_interval_msg 'log: --interval 5: want milliseconds, 10-60000'
check json_log_bad_from 2 "${C[@]}" --json log --from -1
json_one json_log_bad_from_object EUSAGE 2
check json_lint_missing 5 "$CTL" --json lint "$T/nofile"
json_one json_lint_missing_object ELOCAL 5
out_has json_lint_missing_file_status '"files":\[\{"file":"[^"]*nofile","ok":false,"status":"ELOCAL"'
# An export list with a line longer than lint reads: refused naming the line
# (its tail was taken as another symbol before).
{ echo "module-api 2"; echo th_log; head -c 300 /dev/zero | tr '\0' a; echo; } > "$T/long.exports"
check lint_exports_long_line 5 "$CTL" lint --exports "$T/long.exports" "$B/modules/hello.o"
err_has lint_exports_long_line_named 'long.exports:3: line longer than 254 bytes'
# An object --with cannot take: its reason whole (it was formatted into
# itself, which garbled it: "...: -Za-z0-9_.-], byte 4 is 0x1b").
check lint_with_refused 5 "$CTL" lint --with "$B/tests/objs/t_badver.o" "$B/modules/hello.o"
err_has lint_with_refused_reason 'with [^ ]*t_badver\.o: t_badver: module version: only \[A-Za-z0-9_\.-\], byte 4 is 0x1b$'

# ---- host lists ---------------------------------------------------------------
printf '# nobody yet\n\n' > "$T/empty.hosts"
# what the default host has seen: its pushes and swaps (a request count would
# also count retransmissions, which a loaded machine makes)
seen() { "${C[@]}" --json info | python3 -c 'import json,sys; c = json.load(sys.stdin)["counters"]; print(c["chunks"], c["swaps"])'; }
s0=$(seen)
check hosts_empty 2 env THESEUS_HOST="$H" "$CTL" --key-file "$T/key" --hosts "$T/empty.hosts" swap hello "$T/hello_v11"
err_has hosts_empty_msg 'empty\.hosts lists no hosts'
s1=$(seen)
[ "$s0" = "$s1" ] && ok hosts_empty_nothing_sent || { echo "  chunks, swaps: $s0 -> $s1"; bad hosts_empty_nothing_sent; }
check hosts_missing 5 "$CTL" --hosts "$T/nohosts" ping
json_missing() { "$CTL" --hosts "$T/nohosts" --json ping; }
check json_missing_hosts_file 5 json_missing
json_one json_missing_hosts_file_object ELOCAL 5
printf '%s %s\n' "$H" "$H" > "$T/two.hosts"
check hosts_two_on_a_line 2 "$CTL" --hosts "$T/two.hosts" ping
err_has hosts_two_on_a_line_msg "two\.hosts:1: bad host"
check host_ipv6 2 "$CTL" -H '[::1]:7700' ping
err_has host_ipv6_msg 'IPv6 addresses are not supported'
check host_two_colons 2 "$CTL" -H 127.0.0.1:P:5 ping
check env_host_bad_port 2 env THESEUS_HOST=127.0.0.1:abc "$CTL" ping
err_has env_host_bad_port_msg 'bad THESEUS_HOST=127\.0\.0\.1:abc: the port must be a number'
check env_port_bad 2 env THESEUS_PORT=abc "$CTL" ping
err_has env_port_bad_msg 'bad THESEUS_PORT=abc'
# a host given twice (or by another name) is asked once, and counted once
check dup_hosts 0 "${C[@]}" -H "$H" -H "localhost:$PORT" --json ping
[ "$(grep -c '"command":"ping"' "$T/last.out")" = 1 ] && ok dup_hosts_once || bad dup_hosts_once "$T/last.out"
err_has dup_hosts_note "note: localhost:$PORT is $H again: asked once"
{ printf 'VERSION=1.3\n'; head -c 3000 /dev/urandom; } > "$T/hello_v13"
check dup_rollout 0 "${C[@]}" -H "$H" rollout hello "$T/hello_v13"
err_has dup_rollout_one_host 'complete: 1 of 1 hosts run it'

# ---- key files ------------------------------------------------------------------
cp "$T/key" "$T/key644"; chmod 644 "$T/key644"
check key_world_readable 0 "$CTL" -H "$H" --key-file "$T/key644" ping
err_has key_world_readable_warning 'warning: key file .*key644 can be read by others \(mode 0644\): chmod 600'
check key_0600_quiet 0 "$CTL" -H "$H" --key-file "$T/key" ping
err_lacks key_0600_no_warning 'warning'
check key_file_empty_name 2 "$CTL" -H "$H" --key-file "" ping
err_has key_file_empty_name_msg 'key-file "": want a FILE'

# ---- COMMAND --help, and "--" ending the options --------------------------------
mkdir "$T/cwd"
for c in ping ls push swap rollback log invoke profile rollout lint keygen; do
	check "help_$c" 0 sh -c "cd '$T/cwd' && '$(realpath "$CTL")' -H 127.0.0.1:1 --timeout 10 --retries 0 $c --help"
	out_has "help_${c}_usage" "^usage: theseusctl \\[options\\] $c"
done
[ -z "$(ls -A "$T/cwd")" ] && ok help_keygen_wrote_nothing || { ls -la "$T/cwd"; bad help_keygen_wrote_nothing; }
check help_log_options 0 "$CTL" log --help
out_has help_log_interval '--interval MS'
check help_lint_options 0 "$CTL" lint --help
out_has help_lint_exports '--exports FILE'
out_has help_lint_with '--with OBJ'
# theseusctl --help lists every command's whole usage (a long one on a line of
# its own), never cut at its column.
check help_all 0 "$CTL" --help
out_has help_all_lint_whole '^  lint \[--spill=warn\|reject\] \[--exports FILE\|--no-exports\|--target HOST\[:PORT\]\] \[--with OBJ\]\.\.\. FILE\.\.\.$'
out_has help_all_ping '^  ping +check that the kernel answers'
check dashdash_push 5 "${C[@]}" push -- --help
err_has dashdash_push_names_file -- '--help: No such file or directory'
check push_unknown_option 2 "${C[@]}" push -x
check dashdash_keygen 0 sh -c "cd '$T/cwd' && '$(realpath "$CTL")' -q keygen -- -k"
[ -s "$T/cwd/-k" ] && ok dashdash_keygen_file || bad dashdash_keygen_file
check keygen_unknown_option 2 sh -c "cd '$T/cwd' && '$(realpath "$CTL")' keygen -k"
cp "$T/hello_v11" "$T/cwd/-v11"
check dashdash_swap 0 sh -c "cd '$T/cwd' && '$(realpath "$CTL")' -H $H --key-file '$T/key' swap -- hello -v11"
out_has dashdash_swap_done '^hello: .* -> 1\.1'
check dashdash_invoke 0 "${C[@]}" invoke -- kv kv_invoke_put --help=1
check dashdash_invoke_stored 0 "${C[@]}" invoke kv kv_invoke_get -- --help
out_has dashdash_invoke_value '^1$'

# ---- ls on a host that does not answer waits one timeout, like info -------------
ms() { date +%s%3N; }
t0=$(ms); "$CTL" -H 127.0.0.1:1 --timeout 200 --retries 1 info > /dev/null 2>&1; t1=$(ms)
check ls_dead_host 3 "$CTL" -H 127.0.0.1:1 --timeout 200 --retries 1 ls; t2=$(ms)
[ $((t2 - t1)) -lt $(( (t1 - t0) * 3 / 2 )) ] && ok ls_dead_host_one_wait \
	|| { echo "  info $((t1 - t0)) ms, ls $((t2 - t1)) ms"; bad ls_dead_host_one_wait; }
err_has ls_dead_host_msg '127\.0\.0\.1:1: ls: ETIMEDOUT'
"$CTL" -q keygen "$T/wrongkey"
t0=$(ms); "$CTL" -H "$H" --key-file "$T/wrongkey" --timeout 200 --retries 1 info > /dev/null 2>&1; t1=$(ms)
check ls_wrong_key 4 "$CTL" -H "$H" --key-file "$T/wrongkey" --timeout 200 --retries 1 ls; t2=$(ms)
[ $((t2 - t1)) -lt $(( (t1 - t0) * 3 / 2 )) ] && ok ls_wrong_key_one_wait \
	|| { echo "  info $((t1 - t0)) ms, ls $((t2 - t1)) ms"; bad ls_wrong_key_one_wait; }

# ---- rollback in a fleet: hosts with nothing to undo keep their module --------------
start; G1=127.0.0.1:$PORT
start; G2=127.0.0.1:$PORT
GC=("$CTL" --key-file "$T/key" --timeout 300)
check fleet_rb_swap_one 0 "${GC[@]}" -H "$G1" swap hello "$T/hello_v11"
check fleet_rb 1 "${GC[@]}" -H "$G1,$G2" --json rollback hello
python3 - "$T/last.out" "$G1" "$G2" <<'PY' && ok fleet_rb_json || bad fleet_rb_json "$T/last.out"
import json, sys
o = {j["host"]: j for j in map(json.loads, open(sys.argv[1]))}
assert o[sys.argv[2]]["ok"] and o[sys.argv[2]]["new_version"] == "1.0", o
assert o[sys.argv[3]]["status"] == "ENOENT" and "nothing to roll back" in o[sys.argv[3]]["error"], o
PY
check fleet_rb_kept 0 "${GC[@]}" -H "$G2" ls
out_has fleet_rb_hello_still_loaded '^hello +1\.0 '
# a first load is unloaded only when asked (--unload)
{ printf 'VERSION=0.1\n'; head -c 2000 /dev/urandom; } > "$T/newmod"
check first_load 0 "${GC[@]}" -H "$G2" swap newmod "$T/newmod"
check rb_first_load_refused 1 "${GC[@]}" -H "$G2" rollback newmod
err_has rb_first_load_msg 'rollback: ENOENT: newmod: nothing to roll back'
err_has rb_first_load_hint 'rollback --unload newmod` unloads it'
check rb_first_load_still 0 "${GC[@]}" -H "$G2" ls
out_has rb_first_load_still_loaded '^newmod +0\.1 '
check rb_unload 0 "${GC[@]}" -H "$G2" rollback --unload newmod
out_has rb_unload_said '^newmod: 0\.1 -> \(not loaded\)'
check rb_unload_gone 0 "${GC[@]}" -H "$G2" ls
! grep -q '^newmod ' "$T/last.out" && ok rb_unload_not_listed || bad rb_unload_not_listed "$T/last.out"
# several at their first objects (kv depends on hello) roll back as one
# transaction: refused without --unload, naming both; unloaded with it
check rbset_first_load_refused 1 "${GC[@]}" -H "$G2" rollback kv hello
err_has rbset_first_load_msg 'rollback: ENOENT: kv, hello: nothing to roll back'
err_has rbset_first_load_hint 'rollback --unload kv hello` unloads them'
check rbset_first_load_still 0 "${GC[@]}" -H "$G2" ls
out_has rbset_first_load_kv_loaded '^kv +2\.3 '
out_has rbset_first_load_hello_loaded '^hello +1\.0 '
check rbset_unload 0 "${GC[@]}" -H "$G2" rollback --unload kv hello
out_has rbset_unload_said_kv '^kv: 2\.3 -> \(not loaded\)'
out_has rbset_unload_said_hello '^hello: 1\.0 -> \(not loaded\)'
check rbset_unload_gone 0 "${GC[@]}" -H "$G2" ls
! grep -Eq '^(kv|hello) ' "$T/last.out" && ok rbset_unload_not_listed \
	|| bad rbset_unload_not_listed "$T/last.out"
check rbset_too_many 2 "${GC[@]}" -H "$G2" rollback a b c d e f g h i

# ---- the man page names every field ls --json gives --------------------------
check ls_json_fields 0 "${C[@]}" --json ls
TOP=$(cd "$(dirname "$0")/../.." && pwd)
python3 - "$T/last.out" "$TOP/ctl/theseusctl.1" <<'PY' && ok man_ls_fields || bad man_ls_fields "$T/last.out"
import json, re, sys
o = json.loads(open(sys.argv[1]).read())
man = open(sys.argv[2]).read()
m = re.search(r"^ls\n(modules\[\{[^}]*\}\])", man, re.M)
assert m, "no ls entry in the man page"
listed = set(re.findall(r"[a-z_0-9]+", m.group(1).split("{", 1)[1]))
missing = set(o["modules"][0]) - listed
assert not missing, "man page ls lacks %s" % missing
PY

echo "RESULT ctl_cli_e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
