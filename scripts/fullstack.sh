#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make fullstack: the guest's stage-1 table reaching a real arm-smmu-v3
# driver through iommufd, three levels deep (tests/fullstack/README.md):
#
#   outer QEMU (this project's, x86-64 host, TCG): -M virt,iommu=smmuv3,
#     gic-version=3, arm-smmuv3.stage=nested (+ IDR3.FWB, patch 0005),
#     a virtio-blk disk and an edu device behind the emulated SMMUv3
#   L1: the project's kernel; arm-smmu-v3 drives the emulated SMMUv3; both
#     devices on vfio-pci; runs the project's QEMU built for arm64
#     (-object iommufd, virtio-iommu-pci,nested=on, vfio-pci x 2)
#   L2: the project's kernel with the nested virtio-iommu driver; reads the
#     disk, DMAs with edu, takes faults (tests/guest/scenarios/fullstack-l2.sh)
#
#   scripts/fullstack.sh [--nofwb] [--mapunmap]
#     --nofwb     the outer SMMUv3 without IDR3.FWB (arm-smmuv3.fwb=off,
#                 QEMU 10.2.2's registers): the run must fail quickly, with
#                 a message naming the missing capability. Needs no L2
#                 payload; succeeds (exit 0) only if it failed that way.
#     --mapunmap  L2's driver with virtio_iommu.nested=0: MAP/UNMAP instead
#                 of nesting, through the same passed-through devices.
# Environment: FULLSTACK_NOBUILD=1 skips the make steps (L1's initramfs is
# always repacked); L2_TIMEOUT (s).
. "$(dirname "$0")/lib.sh"

mode=nested
for a in "$@"; do
	case $a in
	--nofwb) mode=nofwb ;;
	--mapunmap) mode=mapunmap ;;
	*) die "unknown option $a" ;;
	esac
done

IMG=$PV_CACHE/images/disk64.img
L2_TIMEOUT=${L2_TIMEOUT:-2400}
if [ -z "${FULLSTACK_NOBUILD:-}" ]; then
	if [ "$mode" = nofwb ]; then
		make -s -C "$TOP" qemu kernel initramfs images
	else
		make -s -C "$TOP" qemu qemu-arm64 kernel initramfs images
	fi
fi
# L1's initramfs from the current pieces (a second, seconds)
[ "$mode" = nofwb ] || "$TOP/scripts/build-fullstack-initramfs.sh" >/dev/null
initrd=$OUT/initramfs-l1.cpio.gz
[ "$mode" = nofwb ] && initrd=$OUT/initramfs.cpio.gz

args=(--scenario fullstack-l1 --iommu smmuv3 --disk "$IMG" --plain-device edu
	--qemu-arg=-global --qemu-arg=arm-smmuv3.stage=nested
	--initrd "$initrd" --mem 3G --smp 2
	--append "pv.sha256=$(cat "$IMG.sha256")" --append "pv.seed=$(cat "$IMG.seed")"
	--append "pv.l2_timeout=$L2_TIMEOUT" --timeout $((L2_TIMEOUT + 600)))
case $mode in
nested)
	# and the outer SMMUv3 fetched L2's CDs (tests/fullstack/check-outer-cd.sh)
	exec "$TOP/scripts/boot.py" "${args[@]}" --name fullstack \
		--trace smmuv3_get_cd --check "$TOP/tests/fullstack/check-outer-cd.sh" ;;
mapunmap)
	exec "$TOP/scripts/boot.py" "${args[@]}" --name fullstack-mapunmap \
		--append pv.l2_nested=0 ;;
nofwb)
	log=$LOG_DIR/fullstack-nofwb.out
	t0=$(date +%s)
	set +e
	"$TOP/scripts/boot.py" "${args[@]}" --name fullstack-nofwb \
		--qemu-arg=-global --qemu-arg=arm-smmuv3.fwb=off --timeout 300 >"$log" 2>&1
	rc=$?
	set -e
	t1=$(date +%s)
	sed 's/^/# /' "$log"
	echo "1..2"
	if [ "$rc" -eq 1 ]; then
		echo "ok 1 - without SMMU_IDR3.FWB the full stack fails (exit 1, not a timeout) in $((t1 - t0)) s"
	else
		echo "not ok 1 - without SMMU_IDR3.FWB the full stack fails (exit 1, not a timeout): got exit $rc"
	fi
	if grep -q 'MISSING CAPABILITY' "$log" && grep -q 'SMMU_IDR3.FWB' "$log"; then
		echo "ok 2 - the failure names the missing capability (SMMU_IDR3.FWB)"
	else
		echo "not ok 2 - the failure names the missing capability (SMMU_IDR3.FWB)"
	fi
	[ "$rc" -eq 1 ] && grep -q 'MISSING CAPABILITY' "$log" ;;
esac
