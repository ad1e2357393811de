#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Guest tools the benchmark takes from other trees, built static for arm64
# into the initramfs root. Called by scripts/build-initramfs.sh (if this file
# exists) with the root's bin directory:
#
#   bench/build-guest-tools.sh BINDIR
#
# dma_map_benchmark: the kernel's user tool (tools/dma/dma_map_benchmark.c of
# the guest kernel's tree, not copied into this repository), against the
# guest kernel's uapi <linux/map_benchmark.h>.
. "$(dirname "$0")/../scripts/lib.sh"

BINDIR=${1:-$PV_CACHE/initramfs-root/bin}
GUEST_CC=${GUEST_CC:-${CROSS}gcc}
SRC=$LINUX_SRC/tools/dma/dma_map_benchmark.c
OUTBIN=$BINDIR/dma_map_benchmark

# Never fail the initramfs build for the benchmark's sake: without the kernel
# tree, keep what is there (bench/run-bench.py checks the initramfs).
if [ ! -e "$SRC" ] || [ ! -e "$PV_CACHE/linux-headers/include/linux/map_benchmark.h" ]; then
	echo "warning: $SRC or the kernel's uapi map_benchmark.h missing (make kernel):" \
		"dma_map_benchmark not rebuilt" >&2
	exit 0
fi
mkdir -p "$BINDIR"
if [ ! -e "$OUTBIN" ] || [ "$SRC" -nt "$OUTBIN" ] || [ "$0" -nt "$OUTBIN" ]; then
	echo "CC $SRC"
	"$GUEST_CC" -static -O2 -g0 -Wall -I"$PV_CACHE/linux-headers/include" \
		-o "$OUTBIN" "$SRC"
fi
