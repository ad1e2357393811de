#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Run each libFuzzer target for a bounded time and report TAP.
# usage: run-fuzz.sh <bin dir> <seconds> <max runs, -1 = no limit> <target>...
#
# The committed corpus in fuzz/corpus/<target> is read only; new inputs go
# to <bin dir>/work/<target>, crashes to <bin dir>/artifacts/.
set -u

bindir=$1 secs=$2 runs=$3
shift 3
here=$(dirname "$0")
n=0 failed=0

echo "1..$#"
for target in "$@"; do
	n=$((n + 1))
	work=$bindir/work/$target
	log=$bindir/$target.log
	mkdir -p "$work" "$bindir/artifacts"
	"$bindir/$target" -max_total_time="$secs" -runs="$runs" \
		-max_len=80000 -print_final_stats=1 \
		-artifact_prefix="$bindir/artifacts/$target-" \
		"$work" "$here/corpus/$target" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	crashes=$(ls "$bindir/artifacts" 2>/dev/null | grep -c "^$target-")
	if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
		echo "ok $n - $target: ${execs:-0} executions, 0 crashes"
	else
		failed=1
		echo "not ok $n - $target: ${execs:-?} executions," \
			"$crashes crash artifacts, exit $rc (see $log)"
	fi
done
exit $failed
