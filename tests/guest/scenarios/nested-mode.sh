#!/bin/sh
# Check which mode the virtio-iommu driver chose (nested: guest-owned
# stage-1 tables; map-unmap: the standard MAP/UNMAP requests) and that it
# did the work that mode implies, counted by the driver in debugfs, while a
# virtio-blk disk behind the IOMMU is read and checked.
# Parameters (kernel command line): pv.expect_mode=nested|map-unmap|mixed
# (the first line of virtio-iommu/mode; unset: only report it), pv.sha256,
# pv.seed and pv.random as for blk-read.
. /scenarios/tap.sh

DBG=/sys/kernel/debug/virtio-iommu
dev=vda

# counter NAME: a value of virtio-iommu/counters
counter() {
	sed -n "s/^$1 //p" "$DBG/counters"
}

show_counters() {
	diag "counters ($1): $(tr '\n' ' ' <"$DBG/counters")"
}

[ -r "$DBG/mode" ] && [ -r "$DBG/counters" ]
ok $? "debugfs virtio-iommu/mode and counters exist"
mode=$(head -n 1 "$DBG/mode" 2>/dev/null)
diag "iommu-mode: $mode"
sed 's/^/#   /' "$DBG/mode" 2>/dev/null
expect=${PV_EXPECT_MODE:-}
if [ -n "$expect" ]; then
	[ "$mode" = "$expect" ]
	ok $? "IOMMU mode is '$expect'"
fi

# The virtio-iommu device and its negotiated features
viommu=$(ls /sys/bus/virtio/drivers/virtio_iommu 2>/dev/null | grep '^virtio' | head -n 1)
if [ -n "$viommu" ]; then
	nested_bit=$(cut -c11 "/sys/bus/virtio/devices/$viommu/features")
	probe_bit=$(cut -c5 "/sys/bus/virtio/devices/$viommu/features")
	diag "virtio-iommu $viommu: VIRTIO_IOMMU_F_NESTED (bit 10) negotiated: $nested_bit, VIRTIO_IOMMU_F_PROBE (bit 4): $probe_bit"
	# NEST-DRV-01: the device offers both, the driver takes NESTED only with PROBE
	[ "$nested_bit" != 1 ] || [ "$probe_bit" = 1 ]
	ok $? "VIRTIO_IOMMU_F_NESTED is negotiated only with VIRTIO_IOMMU_F_PROBE"
	if [ "$mode" = nested ]; then
		[ "$nested_bit" = 1 ]
		ok $? "VIRTIO_IOMMU_F_NESTED negotiated"
	fi
fi

# The disk's endpoint: its line in the mode file and its log line
[ -b /dev/$dev ]
ok $? "disk /dev/$dev present"
pci=$(pci_of_block $dev)
name=$(basename "$pci")
vdev=$(virtio_of_block $dev)
[ "$(iommu_driver "$pci")" = virtio_iommu ] && access_platform "$vdev"
ok $? "disk $name is behind virtio-iommu with VIRTIO_F_ACCESS_PLATFORM"
epline=$(grep " $name " "$DBG/mode" 2>/dev/null)
eplog=$(dmesg | grep "$name: virtio-iommu: " | tail -n 1)
diag "endpoint: $epline"
diag "log: $eplog"
ep_mode=$(echo "$epline" | cut -d' ' -f3)
case $mode in
nested | map-unmap)
	[ "$ep_mode" = "$mode" ]
	ok $? "disk endpoint is in mode $mode"
	case $mode in
	nested) echo "$eplog" | grep -q 'virtio-iommu: nested (Arm SMMUv3 stage-1 tables' ;;
	*) echo "$eplog" | grep -q 'virtio-iommu: map/unmap (' ;;
	esac
	ok $? "kernel log names the endpoint's mode"
	;;
esac
# pv.expect_reason= / pv.expect_log=: grep patterns (no spaces on the
# kernel command line: '.' for a space) for the endpoint's line in the mode
# file and for the kernel log
if [ -n "${PV_EXPECT_REASON:-}" ]; then
	echo "$epline" | grep -q -- "$PV_EXPECT_REASON"
	ok $? "the endpoint's mode line gives the reason /$PV_EXPECT_REASON/"
fi
if [ -n "${PV_EXPECT_LOG:-}" ]; then
	dmesg | grep -q -- "$PV_EXPECT_LOG"
	ok $? "the kernel log has /$PV_EXPECT_LOG/"
fi
type=$(cat "$pci/iommu_group/type" 2>/dev/null)
diag "IOMMU group type: $type"

# Requests made while booting, then reset and count those of the I/O alone
show_counters boot
boot_attach_table=$(counter attach_table)
boot_map=$(counter map)
boot_unmap=$(counter unmap)
boot_fallbacks=$(counter attach_table_fallbacks)
echo 0 >"$DBG/counters"

sum=$(sha256sum /dev/$dev | cut -d' ' -f1)
diag "guest sha256 $sum, host sha256 ${PV_SHA256:-unset}"
[ -n "$PV_SHA256" ] && [ "$sum" = "$PV_SHA256" ]
ok $? "whole-disk checksum matches the host's"
blkcheck random /dev/$dev "${PV_SEED:-1}" "${PV_RANDOM:-256}" 4
ok $? "random O_DIRECT 4 KiB reads match the pattern"
show_counters "disk reads"

map=$(counter map)
unmap=$(counter unmap)
inv=$(counter invalidate)
case $mode in
nested)
	[ "${boot_attach_table:-0}" -ge 1 ]
	ok $? "ATTACH_TABLE sent at boot ($boot_attach_table)"
	[ "$map" = 0 ] && [ "$unmap" = 0 ] && [ "$boot_map" = 0 ] && [ "$boot_unmap" = 0 ]
	ok $? "no MAP or UNMAP request, at boot or for DMA (map $boot_map + $map, unmap $boot_unmap + $unmap)"
	if [ "$type" = DMA ]; then
		[ "${inv:-0}" -ge 1 ]
		ok $? "strict mode: unmaps sent INVALIDATE requests ($inv, $(counter inv_entries) entries)"
	else
		diag "lazy mode: $inv INVALIDATE requests"
	fi
	;;
map-unmap)
	[ "${map:-0}" -ge 1 ] && [ "${unmap:-0}" -ge 1 ]
	ok $? "DMA used MAP and UNMAP requests (map $map, unmap $unmap)"
	# An ATTACH_TABLE may only have been sent to be refused
	[ "${boot_attach_table:-0}" = "${boot_fallbacks:-0}" ] && [ "$inv" = 0 ]
	ok $? "no INVALIDATE, no ATTACH_TABLE but refused ones ($boot_fallbacks)"
	;;
esac
[ "$(counter faults)" = 0 ]
ok $? "no fault reported"
# The disk's MSI-X writes go through the IOMMU like its DMA: in nested mode
# the driver maps its interrupt controller's doorbell in its stage-1 table
# (no MSI region here), so they arrive only if the device translates them
# through stage 1 (NEST-DEV-49); in MAP/UNMAP mode through a MAP.
msi=$(msi_interrupts "$pci")
[ -n "$msi" ] && [ "$msi" -gt 0 ]
ok $? "the disk's MSI-X interrupts arrived (${msi:-no MSI} on $(ls "$pci/msi_irqs" 2>/dev/null | wc -l) vectors)"
done_testing
