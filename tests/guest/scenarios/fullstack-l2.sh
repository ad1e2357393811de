#!/bin/sh
# The second-level guest of `make fullstack` (tests/fullstack/README.md).
# Its two PCI functions are passed through by the first-level guest's QEMU
# (vfio-pci on iommufd) behind that QEMU's virtio-iommu with nesting on; the
# first level's devices sit behind the outer QEMU's emulated SMMUv3. This
# guest's driver puts its own stage-1 tables in front of both; their DMA is
# translated by the outer emulated SMMUv3 through those tables (nested HWPT)
# and the first level's stage 2.
#  * blk-read: the passed-through virtio-blk disk, whole-disk checksum and
#    pattern reads (tests/guest/scenarios/blk-read.sh);
#  * edu-dma: the passed-through edu device, data, faults after unmap in
#    strict mode (the fault travels outer SMMUv3 -> first-level arm-smmu-v3
#    -> vEVENTQ -> the first level's QEMU -> virtio event queue -> here),
#    read-only faults, map/unmap cycles (tests/guest/scenarios/edu-dma.sh).
# Both endpoints must be in the mode of pv.expect_mode (default nested;
# make fullstack-mapunmap: map-unmap).
. /scenarios/tap.sh

DBG=/sys/kernel/debug/virtio-iommu

# endpoint_mode PCIDEV: the endpoint's mode in the driver's debugfs
endpoint_mode() {
	grep " $(basename "$1") " "$DBG/mode" 2>/dev/null | cut -d' ' -f3
}

diag "iommu-mode: $(iommu_mode)"
sed 's/^/#   /' "$DBG/mode" 2>/dev/null
blk=$(pci_of_block vda 2>/dev/null)
edu=$(readlink -f "$(ls -d /sys/bus/pci/drivers/edu_dma_test/0000:* 2>/dev/null | head -n 1)" 2>/dev/null)
mode=${PV_EXPECT_MODE:-nested}
[ -n "$blk" ] && [ "$(endpoint_mode "$blk")" = "$mode" ]
ok $? "passed-through disk ${blk##*/} is in $mode mode"
[ -n "$edu" ] && [ "$(endpoint_mode "$edu")" = "$mode" ]
ok $? "passed-through edu ${edu##*/} is in $mode mode"

if grep -qw pci=nomsi /proc/cmdline; then
	diag "pci=nomsi: the passed-through functions use INTx"
else
	# MSI-X through this guest's stage 1 to the host's MSI window: the
	# device presents it as an MSI region, which the driver maps to itself
	diag "disk's reserved regions: $(tr '\n' ' ' <"$blk/iommu_group/reserved_regions" 2>/dev/null)"
	[ -n "$(ls "$blk/msi_irqs" 2>/dev/null)" ]
	ok $? "the passed-through disk uses MSI-X ($(ls "$blk/msi_irqs" 2>/dev/null | wc -l) vectors)"
	MSI_CHECK=1
fi
sub_tap blk-read /scenarios/blk-read.sh
sub_tap edu-dma /scenarios/edu-dma.sh
if [ -n "${MSI_CHECK:-}" ]; then
	# The disk's MSI-X interrupts arrived (the blk-read I/O completed on them)
	n=$(msi_interrupts "$blk")
	diag "MSI-X interrupts of the disk: ${n:-none}"
	[ -n "$n" ] && [ "$n" -gt 0 ]
	ok $? "the disk's MSI-X interrupts reached this guest ($n)"
fi
diag "counters: $(tr '\n' ' ' <"$DBG/counters" 2>/dev/null)"
done_testing
