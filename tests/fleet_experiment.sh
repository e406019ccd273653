#!/usr/bin/env bash
# fleet_experiment.sh - an evolution experiment over a fleet, as in the
# README: measure every host (invoke a function), roll a new version of a
# module out in waves with health checks (theseusctl rollout: a failing host
# stops it and puts the fleet back), measure again, roll back, measure
# again.  Results are JSON lines ready for plotting, one per host and phase:
#
#   {"phase":"baseline","t_ms":12,"host":"127.0.0.1:7701","ok":true,
#    "status":"OK","result":0,"output":"hello from v1 ...","rtt_ms":1.9}
#   {"phase":"rollout","t_ms":80,"host":...,"wave":1,"status":"done",
#    "old_version":"1.0","new_version":"2.0","check":"ok","update_ms":14,
#    "check_ms":2,"rollback_ms":0,"rolled_back":false,"rollback_failed":false}
#
#   {"phase":"rollback","t_ms":300,"host":...,"ok":true,"status":"OK",
#    "old_version":"2.0","new_version":"1.0"}
#
# phases: baseline, rollout, after_rollout, rollback (only the hosts the
# rollout updated: status "done"), after_rollback
# (t_ms: since the experiment started; rtt_ms: the whole fleet invoke's
# wall time divided by the hosts, a coarse per-host cost).
#
#   THESEUS_KEY_FILE=lab.key tests/fleet_experiment.sh HOSTS_FILE [MODULE_OBJECT]
#
# HOSTS_FILE: one host[:port] per line (# comments), e.g. build/lab/hosts of
# tools/lab.  MODULE_OBJECT: the new version (default build/modules/hello_v2.o).
# Environment: EXPERIMENT_OUT=FILE writes the JSON lines there (progress on
# stdout), else they go to stdout (progress on stderr); MODULE (hello),
# MEASURE (the invoked function, hello_greet_invoke), WAVES (1,50%,100%),
# MAX_FAIL (0), THESEUSCTL (build/theseusctl).  Exits non-zero when the
# rollout did not complete (the fleet is then back on its old objects).
set -uo pipefail
hosts=${1:?usage: fleet_experiment.sh HOSTS_FILE [MODULE_OBJECT]}
new=${2:-${HELLO_V2:-build/modules/hello_v2.o}}
ctl=${THESEUSCTL:-build/theseusctl}
module=${MODULE:-hello}
measure=${MEASURE:-hello_greet_invoke}
waves=${WAVES:-1,50%,100%}
max_fail=${MAX_FAIL:-0}
out=${EXPERIMENT_OUT:-/dev/stdout}
if [ -n "${EXPERIMENT_OUT:-}" ]; then
	: > "$EXPERIMENT_OUT" || exit 5
	say() { echo "$*"; }
else
	say() { echo "$*" >&2; }
fi
tmp=$(mktemp) || exit 5
updated=$(mktemp) || exit 5
trap 'rm -f "$tmp" "$updated"' EXIT
t0=$(date +%s%N)
nhosts=$(grep -cvE '^[[:space:]]*(#|$)' "$hosts")

# to_lines PHASE T_MS [WALL_MS]: theseusctl --json lines on stdin -> result lines
to_lines() {
	python3 -c '
import json, sys
phase, t_ms = sys.argv[1], int(sys.argv[2])
wall = float(sys.argv[3]) if len(sys.argv) > 3 else None
n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    r = {"phase": phase, "t_ms": t_ms, "host": o["host"]}
    if o.get("command") == "rollout":
        for k in ("wave", "status", "old_version", "new_version", "check"):
            r[k] = o[k]
        r.update(o["timings"])
        r["rolled_back"] = o["rolled_back"]
        r["rollback_failed"] = o.get("rollback_failed", False)
    elif o.get("command") == "rollback":
        r.update(ok=o["ok"], status=o["status"], old_version=o.get("old_version", ""),
                 new_version=o.get("new_version", ""))
    else:
        r.update(ok=o["ok"], status=o["status"], result=o.get("result"),
                 output=o.get("output", ""), rtt_ms=round(wall / max(n, 1), 3))
    print(json.dumps(r, separators=(",", ":")))
' "$@"
}

now_ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

measure_phase() {  # measure_phase PHASE
	local t s e
	t=$(now_ms)
	s=$(date +%s%N)
	"$ctl" --hosts "$hosts" -j 16 --json invoke "$module" "$measure" > "$tmp" 2>/dev/null
	e=$(date +%s%N)
	to_lines "$1" "$t" "$(( (e - s) / 1000 ))e-3" "$nhosts" < "$tmp" >> "$out"
	say "== $1: measured $nhosts host(s) with $module.$measure"
}
# Check it before it leaves: its imports resolve against the kernel's
# exports and the module objects beside it (what the hosts may run).
with=()
for f in "$(dirname "$new")"/*.o; do
	[ "$f" -ef "$new" ] || with+=(--with "$f")
done
"$ctl" lint "${with[@]}" "$new" >&2 || exit 1
measure_phase baseline
t=$(now_ms)
"$ctl" --hosts "$hosts" -j 16 --json rollout --waves "$waves" --max-fail "$max_fail" \
	--check "$measure" "$module" "$new" > "$tmp"
rc=$?
to_lines rollout "$t" < "$tmp" >> "$out"
# The hosts this rollout updated: the only ones whose last swap is its own.
# A host that ran the object already, or failed within --max-fail (put back
# on its old object), is not rolled back: that would undo an older swap.
python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("{"):
        o = json.loads(line)
        if o.get("status") == "done":
            print(o["host"])
' < "$tmp" > "$updated"
say "== rollout of $new: exit $rc"
measure_phase after_rollout
if [ $rc -ne 0 ]; then
	say "rollout did not complete: the fleet is back on its old objects"
	exit $rc
fi
t=$(now_ms)
if [ -s "$updated" ]; then
	"$ctl" --hosts "$updated" -j 16 --json rollback "$module" > "$tmp"
	rc=$?
	to_lines rollback "$t" < "$tmp" >> "$out"
	say "== rollback of the $(wc -l < "$updated") updated host(s): exit $rc"
else
	say "== rollback: no host was updated by the rollout, nothing to roll back"
fi
measure_phase after_rollback
say "experiment done"
exit $rc
