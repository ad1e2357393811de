#!/bin/sh
# host-backend's iommufd backend against the kernel's iommufd mock
# (CONFIG_IOMMUFD_TEST): runs /bin/iommufd_mock (tests/guest/iommufd_mock.c)
# and its TAP becomes the scenario's. The kselftest harness writes
# "ok N name"; the result lines get the " - " the boot helper expects.
# The scenario fails if the program fails, dies, or prints no plan.
# Parameters (kernel command line): pv.timeout (seconds, default 300).
. /scenarios/tap.sh

out=/tmp/iommufd_mock.tap
timeout "${PV_TIMEOUT:-300}" iommufd_mock >"$out" 2>&1
rc=$?
sed -E 's/^(ok|not ok) ([0-9]+) ([^-])/\1 \2 - \3/' "$out"

plan=$(grep -E '^1\.\.[0-9]+' "$out" | head -n 1 | cut -c4-)
if [ -z "$plan" ]; then
	# No TAP from the program: report that as this scenario's only test
	echo "not ok 1 - iommufd_mock printed no TAP plan (exit status $rc)"
	echo "1..1"
	exit 1
fi
ran=$(grep -cE '^(ok|not ok) [0-9]+' "$out")
if [ "$rc" -ne 0 ] || [ "$ran" -ne "$plan" ]; then
	diag "iommufd_mock: exit status $rc, $ran of $plan tests reported"
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
