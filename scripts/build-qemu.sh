#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make qemu: QEMU 10.2.2 + qemu-device/patches + qemu-device/overlay, built
# for aarch64-softmmu with ccache, in $PV_CACHE.
#
# The unpacked tree is keyed by a hash of the patch series and the configure
# options: a change to either recreates the tree (ccache keeps that cheap).
# Overlay files are synchronised file by file (sync_overlay in lib.sh), so
# touching one rebuilds incrementally.
. "$(dirname "$0")/lib.sh"

PATCHES=qemu-device/patches
CONFIGURE_OPTS=(--python=/usr/bin/python3 --disable-download
	--target-list=aarch64-softmmu --disable-docs --disable-werror
	--disable-user --disable-tools --disable-guest-agent --disable-xen
	--disable-gtk --disable-sdl --disable-vnc --disable-opengl
	--disable-spice --disable-rust --enable-slirp --disable-install-blobs)
OVERLAY=qemu-device/overlay


tree_key() {
	{
		echo "qemu $QEMU_VERSION"
		echo "${CONFIGURE_OPTS[*]}"
		hash_inputs "$PATCHES"
	} | sha256sum | cut -c1-16
}

placeholders() {
	# The Debian +ds tarball strips firmware blobs that pc-bios/meson.build
	# lists. None is used by the virt machine booted with -kernel; give
	# meson empty files (or a valid empty .bz2) so it configures.
	local d=$QEMU_SRC/pc-bios f
	for f in $(grep -oE "'[^']+\.(fd|bin|rom|img|lid|bmp|ndrv|txt|e500|dtb)'" "$d/meson.build" |
		tr -d "'"); do
		case $f in
		edk2-*.fd)
			[ -e "$d/$f.bz2" ] || bzip2 -c </dev/null >"$d/$f.bz2" ;;
		*)
			[ -e "$d/$f" ] || : >"$d/$f" ;;
		esac
	done
	for f in $(sed -n "/^blobs = \[/,/^\]/p" "$d/meson.build" | grep -oE "'[^']+'" | tr -d "'"); do
		[ -e "$d/$f" ] || : >"$d/$f"
	done
}

unpack() {
	rm -rf "$QEMU_SRC" "$QEMU_BUILD"
	mkdir -p "$QEMU_SRC"
	tar -xf "$DL_DIR/$QEMU_ORIG" -C "$QEMU_SRC" --strip-components=1
	local p
	for p in "$TOP/$PATCHES"/*.patch; do
		[ -e "$p" ] || continue
		echo "applying $(basename "$p")"
		patch -d "$QEMU_SRC" -p1 --forward --batch <"$p" ||
			die "QEMU patch $(basename "$p") does not apply to $QEMU_VERSION"
	done
	placeholders
}


# The virtio-iommu nested extension compiles host-backend/ (libpvb), the
# spec's wire-format header and the conformance qtests from this repository,
# not copies: link them into the tree (qemu-device/patches make
# hw/virtio/meson.build and tests/qtest/meson.build use the links). meson
# lists host-backend/src/*.c when it configures: reconfigure when that set
# changes.
link_repo() {
	ln -sfn "$TOP/host-backend" "$QEMU_SRC/hw/virtio/pvb"
	ln -sfn "$TOP/spec" "$QEMU_SRC/hw/virtio/pvb-spec"
	ln -sfn "$TOP/tests/conformance" "$QEMU_SRC/tests/qtest/conformance"
	local srcs
	srcs=$(cd "$TOP/host-backend/src" && ls -- *.c | sha256sum)
	if [ "$(cat "$QEMU_SRC/.pv-pvb-srcs" 2>/dev/null)" != "$srcs" ]; then
		echo "$srcs" >"$QEMU_SRC/.pv-pvb-srcs"
		touch "$QEMU_SRC/hw/virtio/meson.build"
	fi
}

configure() {
	mkdir -p "$QEMU_BUILD"
	cd "$QEMU_BUILD" && "$QEMU_SRC/configure" "${CONFIGURE_OPTS[@]}"
}

build() {
	ninja -C "$QEMU_BUILD" -j"$JOBS" qemu-system-aarch64 tests/qtest/qos-test
}

heavy_lock
key=$(tree_key)
if [ "$(cat "$QEMU_SRC/.pv-key" 2>/dev/null)" != "$key" ]; then
	[ -f "$DL_DIR/$QEMU_ORIG" ] || die "QEMU source missing: run 'make setup' first"
	step qemu-unpack unpack
	step qemu-overlay sync_overlay "$QEMU_SRC" "$OVERLAY" "$DL_DIR/$QEMU_ORIG"
	link_repo
	step qemu-configure configure
	echo "$key" >"$QEMU_SRC/.pv-key"
else
	step qemu-overlay sync_overlay "$QEMU_SRC" "$OVERLAY" "$DL_DIR/$QEMU_ORIG"
	link_repo
fi
command -v ccache >/dev/null && ccache -z >/dev/null
step qemu-build build
command -v ccache >/dev/null && say "ccache: $(ccache -s | grep -iE 'hits|misses' | tr -s ' ' | paste -sd' ')"
# Option ROMs the +ds tarball lacks, from Debian's ipxe-qemu, where the
# uninstalled binary looks for its data (needed by virtio-pci devices that
# load a romfile, and by QEMU's own qtests).
bundle=$QEMU_BUILD/qemu-bundle/usr/local/share/qemu
mkdir -p "$bundle"
for rom in /usr/lib/ipxe/qemu/*.rom; do
	ln -sf "$rom" "$bundle/$(basename "$rom")"
done
ln -sf "$QEMU_BUILD/qemu-system-aarch64" "$OUT/qemu-system-aarch64"
say "QEMU: $OUT/qemu-system-aarch64"
