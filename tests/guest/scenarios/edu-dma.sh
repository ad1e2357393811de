#!/bin/sh
# DMA through the IOMMU with QEMU's edu device (-device edu): the guest
# kernel's edu_dma_test driver and the edu_dma kselftest-harness program
# (tests/guest/edu_dma.c), whose TAP results become this scenario's. The
# scenario fails if the program fails, exits non-zero, or prints no plan.
# Parameters (kernel command line): pv.expect_mode=nested|map-unmap (the edu
# endpoint's mode in virtio-iommu/mode; unset: only report it),
# pv.expect_type=DMA|DMA-FQ (its IOMMU group type: strict or lazy; unset:
# only report it), pv.cycles (map/unmap cycles, default 48), pv.fq_wait_ms
# (how long lazy mode waits for the flush queue's timeout, default 2500),
# pv.expect_faults=0 (faulting DMA is blocked but not reported: a passed-
# through device in a MAP/UNMAP domain).
. /scenarios/tap.sh

DBG=/sys/kernel/debug/virtio-iommu
OUT=/tmp/edu_dma.out

show_counters() {
	diag "counters ($1): $(tr '\n' ' ' <"$DBG/counters" 2>/dev/null)"
}

pci=$(ls -d /sys/bus/pci/drivers/edu_dma_test/0000:* 2>/dev/null | head -n 1)
[ -n "$pci" ]
ok $? "an edu device is bound to edu_dma_test"
pci=$(readlink -f "$pci" 2>/dev/null)
name=$(basename "$pci")
[ -c /dev/edu_dma_test0 ]
ok $? "/dev/edu_dma_test0 exists"
[ "$(iommu_driver "$pci")" = virtio_iommu ]
ok $? "edu $name is behind virtio-iommu"

type=$(cat "$pci/iommu_group/type" 2>/dev/null)
diag "IOMMU group type: $type"
if [ -n "${PV_EXPECT_TYPE:-}" ]; then
	[ "$type" = "$PV_EXPECT_TYPE" ]
	ok $? "IOMMU group type is $PV_EXPECT_TYPE"
fi
diag "iommu-mode: $(iommu_mode)"
epline=$(grep " $name " "$DBG/mode" 2>/dev/null)
diag "endpoint: $epline"
ep_mode=$(echo "$epline" | cut -d' ' -f3)
if [ -n "${PV_EXPECT_MODE:-}" ]; then
	[ "$ep_mode" = "$PV_EXPECT_MODE" ]
	ok $? "edu endpoint is in mode $PV_EXPECT_MODE"
fi
show_counters boot
boot_faults=$(sed -n 's/^faults //p' "$DBG/counters" 2>/dev/null)

# The program's TAP, renumbered into this scenario's
[ "${PV_EXPECT_FAULTS:-1}" = 0 ] && export EDU_DMA_NO_FAULT_REPORTS=1
EDU_DMA_CYCLES=${PV_CYCLES:-48} EDU_DMA_FQ_WAIT_MS=${PV_FQ_WAIT_MS:-2500} \
	EDU_DMA_SWITCHES=${PV_SWITCHES:-96} \
	edu_dma >"$OUT" 2>&1
rc=$?
fold_tap "edu_dma: " "$OUT"
fold_complete
ok $? "edu_dma printed a plan (${FOLD_PLAN:-none}) and as many results ($FOLD_RESULTS)"
[ "$rc" -eq 0 ]
ok $? "edu_dma exited with status 0 ($rc)"

show_counters "after edu_dma"
faults=$(sed -n 's/^faults //p' "$DBG/counters" 2>/dev/null)
if [ "${PV_EXPECT_FAULTS:-1}" = 0 ]; then
	diag "pv.expect_faults=0: faulting DMA must be blocked, fault reports are not expected"
elif [ -n "$faults" ]; then
	[ "$faults" -gt "${boot_faults:-0}" ]
	ok $? "the driver counted the test's faults (${boot_faults:-0} -> $faults)"
	dmesg | grep 'fault from EP' | tail -n 4 | sed 's/^/#   /'
	dmesg | grep -q 'fault from EP'
	ok $? "the kernel log reports the faults"
fi
# NEST-DRV-04: a nested endpoint's domains are table domains, never a MAP or
# UNMAP request for them (the driver's count, since boot)
if [ "${PV_EXPECT_MODE:-}" = nested ] && [ -r "$DBG/counters" ]; then
	maps=$(sed -n 's/^map //p' "$DBG/counters")
	unmaps=$(sed -n 's/^unmap //p' "$DBG/counters")
	[ "$maps" = 0 ] && [ "$unmaps" = 0 ]
	ok $? "nested mode: no MAP or UNMAP request since boot (map $maps, unmap $unmaps)"
fi
done_testing
