#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guest checks must be able to fail: boot blk-read with a wrong
# expectation and check that the boot helper reports a failure (exit 1)
# naming the failed test. Prints TAP.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PV_CACHE=${PV_CACHE:-$HOME/.cache/pv-iommu}
img=$PV_CACHE/images/disk64.img
n=0
fail=0

expect_failure() {
	local desc=$1 pattern=$2 out rc
	shift 2
	n=$((n + 1))
	out=$("$TOP/scripts/boot.py" --scenario blk-read --disk "$img" \
		--append pv.seed="$(cat "$img.seed")" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "^not ok .*$pattern" <<<"$out"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (boot helper exit $rc)"
		sed 's/^/# /' <<<"$out" | tail -15
		fail=$((fail + 1))
	fi
}

expect_failure "a disk not behind the IOMMU the scenario expects is detected" \
	"behind the expected IOMMU" --iommu none --name negative-iommu \
	--append pv.sha256="$(cat "$img.sha256")" --append pv.iommu=virtio
expect_failure "a checksum that differs from the host's is detected" \
	"checksum matches" --iommu virtio --name negative-sum \
	--append pv.sha256=0000000000000000000000000000000000000000000000000000000000000000
expect_failure "data that does not match the disk pattern is detected" \
	"random O_DIRECT" --iommu virtio --name negative-pattern \
	--append pv.sha256="$(cat "$img.sha256")" --append pv.seed=2
echo "1..$n"
[ "$fail" -eq 0 ]
