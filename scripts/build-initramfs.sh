#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make initramfs: busybox-static (arm64, from Debian) + the project's guest
# programs (tests/guest/*.c and bench/guest/*.c, cross-compiled static) +
# /init and the scenario scripts, packed as a gzip'd cpio in $PV_CACHE/out.
. "$(dirname "$0")/lib.sh"

ROOT=$PV_CACHE/initramfs-root
# One initramfs build at a time (make test, make bench and a developer's
# make may overlap): they share $ROOT and the image.
exec 8>"$PV_CACHE/.initramfs.lock"
flock 8
IMG=$OUT/initramfs.cpio.gz
GUEST_CC=${GUEST_CC:-${CROSS}gcc}
GUEST_CFLAGS=(-static -O2 -g0 -Wall -Wextra -Werror -I"$TOP/spec"
	-I"$PV_CACHE/linux-headers/include" -I"$SYSROOT/usr/include"
	-I"$SYSROOT/usr/include/aarch64-linux-gnu"
	-I"$LINUX_SRC/tools/testing/selftests")
GUEST_LDFLAGS=(-L"$SYSROOT/usr/lib/aarch64-linux-gnu")

APPLETS="sh ash mount umount cat ls echo printf test [ [[ grep egrep sed awk
cut tr head tail wc sort uniq readlink dirname basename sha256sum md5sum dd
od hexdump sleep mkdir rmdir ln rm cp mv poweroff reboot sync dmesg uname
find xargs expr seq true false env time timeout stat chmod date tee"

# directive SRC NAME: the words of the "// guest-NAME: ..." lines of SRC,
# with @TOP@, @PV_CACHE@ and @LINUX_SRC@ replaced. guest-ldlibs: libraries;
# guest-cflags: compiler flags; guest-sources: more .c files to compile in,
# guest-deps: files that trigger a rebuild, both as globs relative to $TOP.
directive() {
	sed -n "s|^// guest-$2: ||p" "$1" |
		sed -e "s|@TOP@|$TOP|g" -e "s|@PV_CACHE@|$PV_CACHE|g" -e "s|@LINUX_SRC@|$LINUX_SRC|g"
}

# directive_files SRC NAME: the files a guest-sources / guest-deps names
directive_files() {
	local g
	for g in $(directive "$1" "$2"); do
		(cd "$TOP" && ls -d $g 2>/dev/null || true) | sed "s|^\([^/]\)|$TOP/\1|"
	done
}

# stale OUT FILE...: OUT is missing or older than one of the FILEs
stale() {
	local out=$1 f
	shift
	[ -e "$out" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$out" ] && return 0
	done
	return 1
}

build_programs() {
	local src out extra deps
	mkdir -p "$ROOT/bin"
	for src in "$TOP"/tests/guest/*.c "$TOP"/bench/guest/*.c; do
		[ -e "$src" ] || continue
		out=$ROOT/bin/$(basename "$src" .c)
		mapfile -t extra < <(directive_files "$src" sources)
		mapfile -t deps < <(directive_files "$src" deps)
		if stale "$out" "$src" "$0" "${extra[@]}" "${deps[@]}"; then
			echo "CC $src ${extra[*]}"
			"$GUEST_CC" "${GUEST_CFLAGS[@]}" $(directive "$src" cflags) -o "$out" \
				"$src" "${extra[@]}" "${GUEST_LDFLAGS[@]}" $(directive "$src" ldlibs)
		fi
	done
	# bench/'s tools from other trees (dma_map_benchmark from the kernel's)
	[ ! -x "$TOP/bench/build-guest-tools.sh" ] || "$TOP/bench/build-guest-tools.sh" "$ROOT/bin"
}

populate() {
	local a
	[ -x "$SYSROOT/bin/busybox" ] || die "arm64 busybox missing: run 'make setup' first"
	mkdir -p "$ROOT"/{bin,sbin,proc,sys,dev,tmp,etc,scenarios}
	cp "$SYSROOT/bin/busybox" "$ROOT/bin/busybox"
	for a in $APPLETS; do
		ln -sf busybox "$ROOT/bin/$a"
	done
	cp "$TOP/tests/guest/init" "$ROOT/init"
	rm -rf "$ROOT/scenarios"
	mkdir -p "$ROOT/scenarios"
	cp "$TOP"/tests/guest/scenarios/* "$ROOT/scenarios/"
	if [ -d "$TOP/bench/guest/scenarios" ]; then
		cp "$TOP"/bench/guest/scenarios/* "$ROOT/scenarios/"
	fi
	chmod +x "$ROOT/init" "$ROOT"/scenarios/*.sh
}

pack() {
	(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner 0:0 --quiet) | gzip -1 >"$IMG.tmp"
	mv "$IMG.tmp" "$IMG"
}

step initramfs-programs build_programs
step initramfs-populate populate
step initramfs-pack pack
say "initramfs: $IMG ($(du -k "$IMG" | cut -f1) KiB)"
