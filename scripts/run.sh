#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make run: boot the guest with virtio-iommu in front of a 64 MiB virtio-blk
# disk, read the whole disk through the IOMMU, compare its checksum with the
# host's and say which IOMMU mode the guest driver ended up in.
. "$(dirname "$0")/lib.sh"

disk=$PV_CACHE/images/disk64.img
sum=$(cat "$disk.sha256")
seed=$(cat "$disk.seed")
say "host: $disk sha256 $sum"
rc=0
"$TOP/scripts/boot.py" --scenario blk-read --iommu virtio --disk "$disk" \
	--append "pv.sha256=$sum" --append "pv.seed=$seed" --name run \
	--trace virtio_iommu_attach --trace virtio_iommu_map \
	--trace virtio_iommu_unmap --trace virtio_iommu_nested_attach_table \
	--trace virtio_iommu_nested_invalidate --trace virtio_iommu_nested_translate \
	"$@" | tee "$LOG_DIR/run.out" || rc=$?
mode=$(sed -n 's/^# iommu-mode: //p' "$LOG_DIR/run.out")
count() { sed -n "s/^# trace $1: //p" "$LOG_DIR/run.out"; }
echo
if [ "$rc" -eq 0 ]; then
	say "run: PASS: the guest read the disk through virtio-iommu; checksum matches the host's"
else
	say "run: FAIL (status $rc); console: $LOG_DIR/boot-run.log"
fi
say "run: guest IOMMU mode: ${mode:-unknown}"
say "run: device saw $(count virtio_iommu_nested_attach_table) ATTACH_TABLE, $(count virtio_iommu_nested_invalidate) INVALIDATE, $(count virtio_iommu_map) MAP, $(count virtio_iommu_unmap) UNMAP requests and $(count virtio_iommu_nested_translate) stage-1 translations"
exit "$rc"
