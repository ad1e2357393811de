#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The first-level guest's initramfs for `make fullstack`: the test
# initramfs (make initramfs) followed by a second archive with what L1
# needs to run L2 - /l2/qemu-system-aarch64 (the project's QEMU for an arm64
# host, make qemu-arm64), /l2/Image and /l2/initramfs.cpio.gz (the same
# kernel and test initramfs, booted one level down). The kernel unpacks
# concatenated archives in order.
. "$(dirname "$0")/lib.sh"

ROOT=$PV_CACHE/fullstack-root
IMG=$OUT/initramfs-l1.cpio.gz

exec 8>"$PV_CACHE/.initramfs.lock"
flock 8

pack() {
	local f
	for f in "$OUT/initramfs.cpio.gz" "$OUT/Image" "$OUT/qemu-system-aarch64-arm64"; do
		[ -e "$f" ] || { echo "missing $f"; return 1; }
	done
	rm -rf "$ROOT"
	mkdir -p "$ROOT/l2"
	cp -L "$OUT/qemu-system-aarch64-arm64" "$ROOT/l2/qemu-system-aarch64"
	cp -L "$OUT/Image" "$ROOT/l2/Image"
	cp -L "$OUT/initramfs.cpio.gz" "$ROOT/l2/initramfs.cpio.gz"
	chmod 755 "$ROOT/l2/qemu-system-aarch64"
	(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --owner 0:0 --quiet) | gzip -1 >"$IMG.extra"
	cat "$OUT/initramfs.cpio.gz" "$IMG.extra" >"$IMG.tmp"
	rm -f "$IMG.extra"
	mv "$IMG.tmp" "$IMG"
}

step fullstack-initramfs pack
say "L1 initramfs: $IMG ($(du -m "$IMG" | cut -f1) MiB)"
