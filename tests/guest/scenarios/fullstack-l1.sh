#!/bin/sh
# The first-level guest ("L1") of `make fullstack` (tests/fullstack/README.md).
#
# L1 runs on the outer QEMU's emulated SMMUv3 in nested-stage mode, which the
# real arm-smmu-v3 driver here drives like hardware. It passes its virtio-blk
# disk and its edu device to vfio-pci and runs the project's QEMU (built for
# an arm64 host, /l2/qemu-system-aarch64) with iommufd, both devices behind
# that QEMU's virtio-iommu with nesting on, booting the second-level guest
# ("L2", tests/guest/scenarios/fullstack-l2.sh). L2's results become results
# of this scenario ("L2: ..."), and L1 checks from its QEMU's trace that the
# way was the nested one: a nested HWPT allocated for each endpoint from the
# S1ContextPtr of L2's ATTACH_TABLE, no MAP request at all, invalidations
# forwarded to the vIOMMU, L2's faults read from the vEVENTQ.
#
# Parameters (kernel command line): pv.sha256, pv.seed (the disk's checksum
# and pattern seed, passed on to L2), pv.l2_timeout (seconds, default 2400),
# pv.l2_mem (default 256M), pv.l2_nomsi=1 (L2 with pci=nomsi), pv.l2_nested=0 (L2's driver falls back to
# MAP/UNMAP: virtio_iommu.nested=0; then MAP requests are expected instead,
# applied by libpvb's pin cache rather than QEMU's vfio notifier).
. /scenarios/tap.sh

L2=/l2
TRACE=/tmp/l2-trace.log
L2OUT=/tmp/l2-console.log
FEAT_S2FWB=$((1 << 23)) # ARM_SMMU_FEAT_S2FWB, drivers/iommu/arm/arm-smmu-v3
nested=${PV_L2_NESTED:-1}

# pci_find VENDOR DEVICE: the first PCI function with these IDs
pci_find() {
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ]; then
			basename "$d"
			return 0
		fi
	done
	return 1
}

# bind_vfio BDF: hand the function to vfio-pci
bind_vfio() {
	d=/sys/bus/pci/devices/$1
	echo vfio-pci >"$d/driver_override" || return 1
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink -f "$d/driver")")" = vfio-pci ] && [ -d "$d/vfio-dev" ]
}

# count EVENT: lines of EVENT in L1's QEMU trace
count() {
	grep -c "[:@ ]$1 \|^$1 " "$TRACE" 2>/dev/null
}

# 1. The stand-in hardware: an SMMUv3 with the capabilities nesting needs
smmu=$(dmesg | grep 'arm-smmu-v3.*features 0x' | head -n 1)
diag "host SMMU: ${smmu:-none}"
features=$(echo "$smmu" | sed -n 's/.*features \(0x[0-9a-f]*\).*/\1/p')
[ -n "$features" ]
ok $? "an SMMUv3 is driven by arm-smmu-v3 (the outer QEMU's emulated one)"
if [ -z "$features" ] || [ $((features & FEAT_S2FWB)) -eq 0 ]; then
	diag "MISSING CAPABILITY: the SMMUv3 does not advertise stage-2 forced"
	diag "write-back (SMMU_IDR3.FWB, Linux ARM_SMMU_FEAT_S2FWB). Without it"
	diag "(or CANWBS masters, which only ACPI IORT describes) Linux refuses"
	diag "IOMMU_VIOMMU_ALLOC for ARM_SMMUV3 with EOPNOTSUPP, so no nested HWPT"
	diag "can be created. QEMU 10.2.2's emulated SMMUv3 lacks it: the outer"
	diag "QEMU needs qemu-device/patches/0005 (arm-smmuv3.fwb=on, the default)."
	ok 1 "the SMMUv3 advertises SMMU_IDR3.FWB (S2FWB), needed for iommufd nesting"
	done_testing
fi
ok 0 "the SMMUv3 advertises SMMU_IDR3.FWB (S2FWB), needed for iommufd nesting"

# 2. The devices to pass through
blk=$(pci_find 0x1af4 0x1042)
edu=$(pci_find 0x1234 0x11e8)
diag "virtio-blk: ${blk:-none}, edu: ${edu:-none}"
[ -n "$blk" ] && [ -n "$edu" ]
ok $? "a virtio-blk disk and an edu device to pass through"
for f in $blk $edu; do
	[ "$(basename "$(readlink -f /sys/bus/pci/devices/$f/iommu/device/driver)")" = arm-smmu-v3 ]
	ok $? "$f is behind arm-smmu-v3"
	bind_vfio "$f"
	ok $? "$f bound to vfio-pci, cdev $(ls /sys/bus/pci/devices/$f/vfio-dev 2>/dev/null)"
done
[ -c /dev/iommu ]
ok $? "/dev/iommu exists"
if [ "$TAP_FAIL" -ne 0 ]; then
	diag "not starting L2"
	done_testing
fi

# 3. L2
append="console=ttyAMA0 panic=-1 quiet pv.scenario=fullstack-l2"
# MSIs go through L2's stage 1 to the host's software MSI window, which the
# device presents as an MSI region (NEST-DEV-50) and L2's driver maps to
# itself (NEST-DRV-22); pv.l2_nomsi=1 falls back to INTx.
[ "${PV_L2_NOMSI:-0}" = 1 ] && append="$append pci=nomsi"
append="$append pv.iommu=virtio pv.sha256=${PV_SHA256:-unset} pv.seed=${PV_SEED:-1}"
append="$append pv.expect_type=DMA pv.cycles=${PV_L2_CYCLES:-8} pv.switches=${PV_L2_SWITCHES:-16} pv.random=64"
if [ "$nested" = 1 ]; then
	append="$append pv.expect_mode=nested"
else
	# The host reports no fault of a paging (MAP/UNMAP) domain to QEMU:
	# L2 checks that faulting DMA is blocked, not that it is reported.
	append="$append pv.expect_mode=map-unmap virtio_iommu.nested=0 pv.expect_faults=0"
fi
diag "L2 command line: $append"
t0=$(date +%s)
{
	timeout "${PV_L2_TIMEOUT:-2400}" "$L2/qemu-system-aarch64" \
		-M virt -cpu max,pauth-impdef=on -smp 1 -m "${PV_L2_MEM:-256M}" \
		-display none -serial stdio -monitor none -nic none -no-reboot \
		-kernel "$L2/Image" -initrd "$L2/initramfs.cpio.gz" -append "$append" \
		-object iommufd,id=iofd \
		-device virtio-iommu-pci,nested=on \
		-device vfio-pci,host="$blk",iommufd=iofd \
		-device vfio-pci,host="$edu",iommufd=iofd \
		-D "$TRACE" -trace 'virtio_iommu_nested_host_*' \
		-trace virtio_iommu_map -trace virtio_iommu_unmap \
		-trace virtio_iommu_nested_attach_table \
		-trace virtio_iommu_nested_invalidate \
		-trace vfio_iommu_map_notify </dev/null 2>&1
	echo $? >/tmp/l2.rc
} | while IFS= read -r line; do
	echo "$line" >>"$L2OUT"
	echo "L2| $line"
done
t1=$(date +%s)
rc=$(cat /tmp/l2.rc 2>/dev/null)
diag "L2 ran for $((t1 - t0)) s, its QEMU exited with status ${rc:-unknown}"
[ "$rc" = 0 ]
ok $? "L2's QEMU exited normally (status ${rc:-unknown}; 124 = timeout)"

# L2's results, from between its markers
sed -n '/^PV-BEGIN fullstack-l2/,/^PV-END/p' "$L2OUT" | tr -d '\r' >/tmp/l2.tap
fold_tap "L2: " /tmp/l2.tap --quiet
grep -q '^PV-END fullstack-l2 rc=0' /tmp/l2.tap && fold_complete
ok $? "L2 finished its scenario: plan ${FOLD_PLAN:-none}, $FOLD_RESULTS results, $(grep '^PV-END' /tmp/l2.tap)"

# 4. Which way the DMA went, from L1's QEMU
maps=$(count virtio_iommu_map)
attach=$(count virtio_iommu_nested_attach_table)
hattach=$(count virtio_iommu_nested_host_attach)
hinv=$(count virtio_iommu_nested_host_invalidate)
hev=$(count virtio_iommu_nested_host_event)
diag "L1 QEMU trace: MAP $maps, ATTACH_TABLE $attach, nested HWPT attach $hattach, vIOMMU invalidations $hinv, vEVENTQ events $hev"
grep 'virtio_iommu_nested_host_attach\|virtio_iommu_nested_attach_table' "$TRACE" | head -n 8 | sed 's/^/#   /'
grep 'virtio_iommu_nested_host_event' "$TRACE" | head -n 4 | sed 's/^/#   /'
if [ "$nested" = 1 ]; then
	[ "${maps:-1}" -eq 0 ]
	ok $? "the virtio-iommu device received no MAP request from L2 ($maps)"
	[ "${attach:-0}" -ge 2 ] && [ "${hattach:-0}" -ge 2 ]
	ok $? "both endpoints were attached to nested HWPTs ($attach ATTACH_TABLE, $hattach nested HWPT attachments)"
	# Every nested HWPT was requested (libpvb's vSTE) for the S1ContextPtr
	# of an ATTACH_TABLE of its endpoint, and has an ID. That the host SMMU
	# then fetches L2's CDs there is checked at the outer level
	# (tests/fullstack/check-outer-cd.sh); that it walks L2's tables is
	# what L2's data and fault checks show.
	bad=0
	for l in $(grep 'virtio_iommu_nested_host_attach' "$TRACE" | sed -n 's/.*endpoint=\([0-9]*\) .*hwpt=\([0-9]*\) S1ContextPtr=\(0x[0-9a-f]*\).*/\1,\2,\3/p'); do
		ep=${l%%,*}; rest=${l#*,}; hwpt=${rest%%,*}; ptr=${rest#*,}
		[ "$hwpt" -gt 0 ] || bad=$((bad + 1))
		grep 'virtio_iommu_nested_attach_table' "$TRACE" | grep -q "endpoint=$ep .*$ptr" || bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ] && [ "${hattach:-0}" -gt 0 ]
	ok $? "each nested HWPT was requested for L2's S1ContextPtr of that endpoint"
	# For the outer level: its SMMUv3 must fetch CDs at these addresses
	grep 'virtio_iommu_nested_host_attach' "$TRACE" |
		sed -n 's/.*S1ContextPtr=\(0x[0-9a-f]*\).*/\1/p' | sort -u |
		while read -r p; do diag "L2-S1ContextPtr $p"; done
	[ "${hinv:-0}" -ge 1 ] && ! grep 'virtio_iommu_nested_host_invalidate' "$TRACE" | grep -qv 'ret=0'
	ok $? "L2's INVALIDATE requests reached the vIOMMU, all accepted ($hinv)"
	[ "${hev:-0}" -ge 1 ]
	ok $? "L2's stage-1 faults came back through the vEVENTQ ($hev events)"
	! grep 'virtio_iommu_nested_host_ram' "$TRACE" | grep -qv 'ret=0'
	ok $? "stage 2 (L2's RAM in the nest parent's IOAS) mapped without error"
	msiw=$(count virtio_iommu_nested_host_msi_window)
	grep 'virtio_iommu_nested_host_msi_window' "$TRACE" | head -n 2 | sed 's/^/#   /'
	[ "${msiw:-0}" -ge 2 ]
	ok $? "the host's MSI window was presented to L2 as an MSI region ($msiw PROBEs)"
else
	mattach=$(grep -c 'virtio_iommu_nested_host_map_attach' "$TRACE")
	mfail=$(grep 'virtio_iommu_nested_host_map_attach' "$TRACE" | grep -vc 'ret=0')
	notify=$(count vfio_iommu_map_notify)
	grep 'virtio_iommu_nested_host_map_attach' "$TRACE" | head -n 4 | sed 's/^/#   /'
	[ "${maps:-0}" -ge 1 ] && [ "${hattach:-0}" -eq 0 ]
	ok $? "MAP/UNMAP fallback: $maps MAP requests, no nested HWPT"
	[ "$mattach" -ge 2 ] && [ "$mfail" -eq 0 ]
	ok $? "both endpoints mapped through libpvb's pin cache ($mattach attachments, $mfail failed)"
	[ "${notify:-1}" -eq 0 ]
	ok $? "QEMU's vfio IOMMU notifier mapped nothing ($notify notifications)"
	# Pins kept after UNMAP served later MAPs (figures at domain release)
	pins=$(grep 'virtio_iommu_nested_host_pin_stats' "$TRACE" | tail -n 1)
	diag "pin cache: ${pins#*freed; }"
	hits=$(echo "$pins" | sed -n 's/.* hits=\([0-9]*\) .*/\1/p')
	[ "${hits:-0}" -gt 0 ]
	ok $? "libpvb's pin cache served MAPs from pins kept after UNMAP (${hits:-no} hits)"
fi
done_testing
