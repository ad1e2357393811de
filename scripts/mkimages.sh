#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make images: the deterministic test disks (tests/guest/blkcheck.c's
# pattern), with their SHA-256 next to them, in $PV_CACHE/images.
. "$(dirname "$0")/lib.sh"

IMAGES=$PV_CACHE/images
HOST_BLKCHECK=$PV_CACHE/host-tools/blkcheck
# name size_mib seed
DISKS=("disk64 64 1")

tools() {
	mkdir -p "$(dirname "$HOST_BLKCHECK")"
	gcc -O2 -Wall -Wextra -Werror -o "$HOST_BLKCHECK" "$TOP/tests/guest/blkcheck.c"
}

images() {
	local d name mib seed
	mkdir -p "$IMAGES"
	for d in "${DISKS[@]}"; do
		read -r name mib seed <<<"$d"
		if [ ! -f "$IMAGES/$name.img.sha256" ] ||
			[ "$HOST_BLKCHECK" -nt "$IMAGES/$name.img.sha256" ]; then
			"$HOST_BLKCHECK" gen "$IMAGES/$name.img" "$mib" "$seed"
			sha256sum "$IMAGES/$name.img" | cut -d' ' -f1 >"$IMAGES/$name.img.sha256"
			echo "$seed" >"$IMAGES/$name.img.seed"
		fi
	done
}

if [ ! -x "$HOST_BLKCHECK" ] || [ "$TOP/tests/guest/blkcheck.c" -nt "$HOST_BLKCHECK" ]; then
	step images-tools tools
fi
step images images
