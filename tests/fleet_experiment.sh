#!/usr/bin/env bash
# fleet_experiment.sh - an evolution experiment over a fleet, as in the
# README: swap a module on every host at once, take a measurement through
# invoke, roll back, measure again.  Any host failing stops the experiment
# (theseusctl exits non-zero and names it).
#
#   THESEUS_KEY_FILE=lab.key tests/fleet_experiment.sh HOSTS_FILE [MODULE_OBJECT]
#
# HOSTS_FILE: one host[:port] per line (# comments).  MODULE_OBJECT: the new
# hello (default build/modules/hello_v2.o).  THESEUSCTL overrides the tool.
set -euo pipefail
hosts=${1:?usage: fleet_experiment.sh HOSTS_FILE [MODULE_OBJECT]}
new=${2:-${HELLO_V2:-build/modules/hello_v2.o}}
ctl=${THESEUSCTL:-build/theseusctl}

"$ctl" lint "$new"                                   # check it before it leaves
"$ctl" --hosts "$hosts" -j 16 swap hello "$new"      # all hosts, concurrently
echo "== measurement with the new version"
"$ctl" --hosts "$hosts" --json invoke hello hello_greet_invoke |
	sed -E 's/.*"host":"([^"]*)".*"output":"([^"]*)".*/\1 \2/'
"$ctl" --hosts "$hosts" rollback hello
echo "== measurement after rollback"
"$ctl" --hosts "$hosts" --json invoke hello hello_greet_invoke |
	sed -E 's/.*"host":"([^"]*)".*"output":"([^"]*)".*/\1 \2/'
"$ctl" --hosts "$hosts" -q history
echo "experiment done"
