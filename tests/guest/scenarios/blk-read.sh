#!/bin/sh
# Read a whole virtio-blk disk through the IOMMU and check its data.
# Parameters (kernel command line): pv.iommu=none|virtio|smmuv3 (what the
# disk must be attached to), pv.sha256 (the host's checksum of the disk),
# pv.seed (the blkcheck pattern seed), pv.random (random reads, default 256).
. /scenarios/tap.sh

dev=vda
expect=${PV_IOMMU:-none}
case $expect in
none) want_drv=none ;;
virtio) want_drv=virtio_iommu ;;
smmuv3) want_drv=arm-smmu-v3 ;;
*) want_drv="unknown IOMMU '$expect'" ;;
esac

[ -b /dev/$dev ]
ok $? "disk /dev/$dev present"
pci=$(pci_of_block $dev)
vdev=$(virtio_of_block $dev)
drv=$(iommu_driver "$pci")
diag "disk $dev: virtio device $vdev, PCI function $(basename "$pci"), IOMMU driver $drv"
[ "$drv" = "$want_drv" ]
ok $? "disk is behind the expected IOMMU ($want_drv)"
if [ "$expect" != none ]; then
	access_platform "$vdev"
	ok $? "VIRTIO_F_ACCESS_PLATFORM negotiated: DMA goes through the IOMMU"
	type=$(cat "$pci/iommu_group/type" 2>/dev/null)
	diag "IOMMU group type: $type"
	case $type in DMA | DMA-FQ) true ;; *) false ;; esac
	ok $? "disk's IOMMU group translates DMA (type $type)"
fi
[ "$expect" = virtio ] && diag "iommu-mode: $(iommu_mode)"

sum=$(sha256sum /dev/$dev | cut -d' ' -f1)
diag "guest sha256 $sum, host sha256 ${PV_SHA256:-unset}"
[ -n "$PV_SHA256" ] && [ "$sum" = "$PV_SHA256" ]
ok $? "whole-disk checksum matches the host's"
blkcheck random /dev/$dev "${PV_SEED:-1}" "${PV_RANDOM:-256}" 4
ok $? "random O_DIRECT 4 KiB reads match the pattern"
blkcheck seq /dev/$dev "${PV_SEED:-1}" 256
ok $? "sequential O_DIRECT 256 KiB reads match the pattern"
done_testing
