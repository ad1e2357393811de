# TAP helpers for scenario scripts (sourced).
TAP_N=0
TAP_FAIL=0

# ok STATUS DESCRIPTION: STATUS is an exit status (0 = pass).
ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
}

diag() { echo "# $*"; }

# done_testing: print the plan and exit with the scenario's status.
done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAIL" -eq 0 ]
	exit $?
}

# pci_of_block DEV: the PCI function behind a virtio block device.
pci_of_block() {
	dirname "$(readlink -f "/sys/block/$1/device")"
}

# virtio_of_block DEV: the virtio device (virtioN) behind a block device.
virtio_of_block() {
	basename "$(readlink -f "/sys/block/$1/device")"
}

# iommu_driver PCIDEV: name of the driver of the IOMMU the function is
# attached to, or "none".
iommu_driver() {
	if [ ! -e "$1/iommu" ]; then
		echo none
		return
	fi
	basename "$(readlink -f "$1/iommu/device/driver")"
}

# access_platform VIRTIODEV: 0 if VIRTIO_F_ACCESS_PLATFORM (bit 33) was
# negotiated, so that DMA really goes through the IOMMU.
access_platform() {
	[ "$(cut -c34 "/sys/bus/virtio/devices/$1/features")" = 1 ]
}

# iommu_mode: the mode the virtio-iommu driver ended up in, as it reports it
# in debugfs; the stock driver has no such file and only does MAP/UNMAP.
iommu_mode() {
	if [ -r /sys/kernel/debug/virtio-iommu/mode ]; then
		head -n 1 /sys/kernel/debug/virtio-iommu/mode
	else
		echo "map-unmap (stock driver)"
	fi
}
