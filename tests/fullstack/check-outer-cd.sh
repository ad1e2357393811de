#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make fullstack, after the outer QEMU has exited (boot.py --check): the
# outer, emulated SMMUv3 fetched context descriptors at the S1ContextPtr
# values of L2's ATTACH_TABLE requests, which L1's QEMU put in the nested
# HWPTs it allocated (L1 prints them as "L2-S1ContextPtr 0x..." lines).
# The outer QEMU's smmuv3_get_cd trace event gives the address of each CD
# fetch as the STE holds it, before stage 2: for a nested STE that is L2's
# address, exactly as L2's driver wrote it in the request.
#
# Environment (from boot.py): PV_TRACE_FILE, PV_CONSOLE_LOG.
set -u

ptrs=$(tr -d '\r' <"$PV_CONSOLE_LOG" |
	sed -n 's/.*L2-S1ContextPtr \(0x[0-9a-f]*\).*/\1/p' | sort -u)
if [ -z "$ptrs" ]; then
	echo "L1 reported no S1ContextPtr of a nested HWPT"
	exit 1
fi
total=$(grep -c 'smmuv3_get_cd ' "$PV_TRACE_FILE")
bad=0
for p in $ptrs; do
	n=$(grep -Ec "smmuv3_get_cd CD addr: $p\$" "$PV_TRACE_FILE")
	echo "S1ContextPtr $p (L2's ATTACH_TABLE, L1's nested HWPT): the outer SMMUv3 fetched a CD there $n times"
	[ "$n" -gt 0 ] || bad=1
done
echo "outer SMMUv3 CD fetches in all: $total"
exit $bad
