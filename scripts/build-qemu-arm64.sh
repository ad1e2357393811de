#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make qemu-arm64: the project's QEMU (the same patched tree as `make qemu`,
# with the nested virtio-iommu device and host-backend) built for an arm64
# HOST, statically linked, so that it runs inside the first-level guest of
# `make fullstack` (tests/fullstack/) without any library in the initramfs.
#
# Cross-compiled with aarch64-linux-gnu-gcc against the arm64 -dev packages
# that `make setup` extracts into $SYSROOT (glib, pcre2, zlib, pixman,
# libfdt); pkg-config is pointed at that sysroot only, so nothing of the
# build machine's amd64 libraries can leak in. TCG only (the first-level
# guest has no KVM), aarch64-softmmu only, no user-interface, audio or
# network back ends: the second-level guest needs a serial console, a
# virtio-iommu and vfio-pci. Not a PIE: a static PIE this size overflows
# the small GOT of Debian's arm64 libc.a ("relocation truncated to fit:
# R_AARCH64_LD64_GOTPAGE_LO15 against __stack_chk_guard").
. "$(dirname "$0")/lib.sh"

QEMU_BUILD_ARM64=$PV_CACHE/qemu-build-arm64
CONFIGURE_OPTS=(--python=/usr/bin/python3 --disable-download
	--cross-prefix="$CROSS" --cc="$QEMU_BUILD_ARM64/cc-arm64" --static
	--disable-pie
	--target-list=aarch64-softmmu --disable-docs --disable-werror
	--disable-user --disable-tools --disable-guest-agent --disable-xen
	--disable-gtk --disable-sdl --disable-vnc --disable-opengl
	--disable-spice --disable-rust --disable-slirp --disable-install-blobs
	--disable-plugins --disable-linux-io-uring --disable-libudev
	--disable-seccomp --disable-curses --disable-libusb --disable-zstd
	--disable-bzip2 --disable-lzo --disable-snappy --disable-png
	--disable-gnutls --disable-nettle --disable-gcrypt --disable-curl
	--disable-cap-ng --disable-attr --disable-libssh --disable-kvm
	--audio-drv-list=
	--extra-cflags="-I$SYSROOT/usr/include -I$SYSROOT/usr/include/aarch64-linux-gnu"
	--extra-ldflags="-L$SYSROOT/usr/lib/aarch64-linux-gnu")

# pkg-config restricted to the arm64 sysroot, and a compiler that searches
# its libraries (meson's find_library asks the compiler for its search
# directories, and a cross gcc ignores LIBRARY_PATH; -B adds one).
wrappers() {
	mkdir -p "$QEMU_BUILD_ARM64"
	cat >"$QEMU_BUILD_ARM64/cc-arm64" <<-EOF
	#!/bin/sh
	exec ${CROSS}gcc -B$SYSROOT/usr/lib/aarch64-linux-gnu/ "\$@"
	EOF
	chmod +x "$QEMU_BUILD_ARM64/cc-arm64"
	cat >"$QEMU_BUILD_ARM64/pkg-config-arm64" <<-EOF
	#!/bin/sh
	export PKG_CONFIG_LIBDIR=$SYSROOT/usr/lib/aarch64-linux-gnu/pkgconfig:$SYSROOT/usr/share/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
	exec pkg-config "\$@"
	EOF
	chmod +x "$QEMU_BUILD_ARM64/pkg-config-arm64"
}

configure() {
	rm -rf "$QEMU_BUILD_ARM64"
	wrappers
	cd "$QEMU_BUILD_ARM64" &&
		PKG_CONFIG="$QEMU_BUILD_ARM64/pkg-config-arm64" \
			"$QEMU_SRC/configure" "${CONFIGURE_OPTS[@]}"
	echo "$1" >"$QEMU_BUILD_ARM64/.pv-key"
}

build() {
	ninja -C "$QEMU_BUILD_ARM64" -j"$JOBS" qemu-system-aarch64
	"${CROSS}strip" -o "$OUT/qemu-system-aarch64-arm64.tmp" "$QEMU_BUILD_ARM64/qemu-system-aarch64"
	mv "$OUT/qemu-system-aarch64-arm64.tmp" "$OUT/qemu-system-aarch64-arm64"
	file "$OUT/qemu-system-aarch64-arm64" | grep -q 'ARM aarch64.*statically linked' ||
		{ file "$OUT/qemu-system-aarch64-arm64"; echo "not a static arm64 executable"; return 1; }
}

[ -f "$SYSROOT/usr/lib/aarch64-linux-gnu/libglib-2.0.a" ] ||
	die "arm64 glib missing from $SYSROOT: run 'make setup'"
# The source tree (patches, overlay, links into this repository) is the one
# `make qemu` prepares and keys; prepare it, then build next to it.
"$TOP/scripts/build-qemu.sh"
heavy_lock
key=$({ cat "$QEMU_SRC/.pv-key"; echo "${CONFIGURE_OPTS[*]}"; } | sha256sum | cut -c1-16)
if [ "$(cat "$QEMU_BUILD_ARM64/.pv-key" 2>/dev/null)" != "$key" ]; then
	step qemu-arm64-configure configure "$key"
fi
command -v ccache >/dev/null && ccache -z >/dev/null
step qemu-arm64-build build
say "QEMU for an arm64 host: $OUT/qemu-system-aarch64-arm64 ($(du -m "$OUT/qemu-system-aarch64-arm64" | cut -f1) MiB)"
