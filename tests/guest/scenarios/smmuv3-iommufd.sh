#!/bin/sh
# host-backend's iommufd backend against the real arm-smmu-v3 driver and
# QEMU's emulated SMMUv3 in nested-stage mode: runs /bin/smmuv3_iommufd
# (tests/guest/smmuv3_iommufd.c, which binds the edu device to vfio-pci
# itself) and folds its TAP into this scenario's, then checks that the
# kernel logged no warning, oops or BUG meanwhile. The scenario fails if
# the program fails, dies, times out or prints an incomplete plan.
# Parameters (kernel command line): pv.expect_fwb=0|1 (default 1: SMMU
# with IDR3.FWB, the nesting tests; 0: the vIOMMU must be refused),
# pv.timeout (seconds for the program, default 240).
. /scenarios/tap.sh

OUT=/tmp/smmuv3_iommufd.tap
diag "expect_fwb=${PV_EXPECT_FWB:-1}"
diag "SMMUv3: $(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
dmesg -c >/dev/null # the run's messages only, below

# The SMMU events the kernel keeps are logged at KERN_ERR, some hundred
# lines: off the console during the run (it would interleave with the TAP),
# and looked at in dmesg below.
loglevel=$(cut -f1 /proc/sys/kernel/printk)
echo 1 >/proc/sys/kernel/printk
PV_EXPECT_FWB=${PV_EXPECT_FWB:-1} timeout "${PV_TIMEOUT:-240}" \
	smmuv3_iommufd >"$OUT" 2>&1
rc=$?
echo "$loglevel" >/proc/sys/kernel/printk
fold_tap "" "$OUT"
why="exit status $rc"
[ "$rc" -ne 124 ] || why="timed out after ${PV_TIMEOUT:-240}s"
fold_complete && [ "$rc" -eq 0 ]
ok $? "smmuv3_iommufd complete (plan ${FOLD_PLAN:-none}, $FOLD_RESULTS results, $why)"

# The kernel's log of the run: SMMU events it kept are expected (stage-2
# faults of the bad-CD test), a warning or an oops is not.
dmesg >/tmp/smmuv3_iommufd.dmesg
diag "dmesg: $(grep -c 'arm-smmu-v3.*event 0x' /tmp/smmuv3_iommufd.dmesg) SMMU event(s) kept by the kernel (stage-2 faults, faults of the MAP/UNMAP domain)"
! grep -qE 'WARNING:|Oops|BUG:|Unable to handle|Call trace:' /tmp/smmuv3_iommufd.dmesg
ok $? "no kernel warning, oops or BUG during the run"
grep -E -A12 'WARNING:|Oops|BUG:|Unable to handle' /tmp/smmuv3_iommufd.dmesg |
	head -n 40 | while IFS= read -r l; do diag "dmesg: $l"; done
done_testing
