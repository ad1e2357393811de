#!/bin/sh
# The benchmark's guest side (bench/README.md): dma_map_benchmark on a
# pci-testdev bound to the kernel's dma_map_benchmark driver, and random
# 4 KiB O_DIRECT reads of the virtio-blk disk through io_uring (uringbench).
# Every measured run is a window between "PV-MARK start NAME" and
# "PV-MARK stop NAME"; with pv.live=1 the guest waits after each marker for
# the host (scripts/boot.py --live) to take its snapshot and answer with a
# line on the console. Results are "PV-RESULT ..." lines; TAP as usual.
#
# Parameters (kernel command line):
#   pv.iommu=none|virtio|smmuv3  the IOMMU both devices must be behind
#   pv.expect_mode=nested|map-unmap  virtio: the endpoints' mode (debugfs)
#   pv.expect_type=DMA|DMA-FQ     the IOMMU groups' type (strict / lazy)
#   pv.dma=GxT,...     dma_map_benchmark cells: G pages per map, T threads
#                      (default 1x1,16x1,1x2,16x2; "none" to skip)
#   pv.dma_secs=N      seconds per dma_map_benchmark run (default 3)
#   pv.qd=N,...        io_uring queue depths (default 1,8,32; "none" to skip)
#   pv.io_secs=N       seconds per queue depth (default 3; a fraction is allowed)
#   pv.io_warm_ms=N    io_uring warm-up before each measured run (default 300)
#   pv.count_secs=N    after each run, a second run of N seconds named
#                      NAME.count (for counting with trace events, which
#                      slow the timed run down); 0 (default): none
#   pv.live=1          PV-MARK handshake with the host
. /scenarios/tap.sh

DBG=/sys/kernel/debug/virtio-iommu
cells=${PV_DMA:-1x1,16x1,1x2,16x2}
qds=${PV_QD:-1,8,32}
dma_secs=${PV_DMA_SECS:-3}
io_secs=${PV_IO_SECS:-3}
io_warm_ms=${PV_IO_WARM_MS:-300}
count_secs=${PV_COUNT_SECS:-0}
expect=${PV_IOMMU:-none}

# mark start|stop NAME: a window boundary; with pv.live=1, wait for the host.
mark() {
	echo "PV-MARK $1 $2"
	if [ "${PV_LIVE:-0}" = 1 ]; then
		read -r _ack
	fi
}

# drv_reset / drv_counters: the nested driver's request counters (debugfs),
# as " drv_NAME=VALUE" fields; nothing with another driver.
drv_reset() {
	[ -w "$DBG/counters" ] && echo 0 >"$DBG/counters"
}
drv_counters() {
	[ -r "$DBG/counters" ] && awk '{ printf " drv_%s=%s", $1, $2 }' "$DBG/counters"
}

case $expect in
none) want_drv=none ;;
virtio) want_drv=virtio_iommu ;;
smmuv3) want_drv=arm-smmu-v3 ;;
*) want_drv="unknown IOMMU '$expect'" ;;
esac

# check_endpoint PCIDIR LABEL: behind the expected IOMMU, group type, mode
check_endpoint() {
	local drv type epmode
	drv=$(iommu_driver "$1")
	[ "$drv" = "$want_drv" ]
	ok $? "$2 $(basename "$1") is behind the expected IOMMU ($want_drv)"
	[ "$expect" = none ] && return
	type=$(cat "$1/iommu_group/type" 2>/dev/null)
	if [ -n "$PV_EXPECT_TYPE" ]; then
		[ "$type" = "$PV_EXPECT_TYPE" ]
		ok $? "$2 IOMMU group type is $PV_EXPECT_TYPE (got $type)"
	else
		diag "$2 IOMMU group type: $type"
	fi
	if [ "$expect" = virtio ]; then
		epmode=$(grep " $(basename "$1") " "$DBG/mode" 2>/dev/null | cut -d' ' -f3)
		diag "$2 endpoint mode: ${epmode:-unknown (stock driver?)}"
		if [ -n "$PV_EXPECT_MODE" ]; then
			[ "$epmode" = "$PV_EXPECT_MODE" ]
			ok $? "$2 endpoint is in mode $PV_EXPECT_MODE"
		fi
	fi
}

diag "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, cmdline: $(cat /proc/cmdline)"
[ "$expect" = virtio ] && diag "iommu-mode: $(iommu_mode | head -n 1)"

# dma_map_benchmark on the pci-testdev (1b36:0005)
if [ "$cells" != none ]; then
	tdev=
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0005 ]; then
			tdev=$d
			break
		fi
	done
	[ -n "$tdev" ]
	ok $? "pci-testdev present (${tdev##*/})"
	if [ -n "$tdev" ]; then
		check_endpoint "$tdev" pci-testdev
		bdf=${tdev##*/}
		echo dma_map_benchmark >"$tdev/driver_override"
		echo "$bdf" >/sys/bus/pci/drivers/dma_map_benchmark/bind 2>/dev/null
		[ -e /sys/kernel/debug/dma_map_benchmark ]
		ok $? "pci-testdev bound to dma_map_benchmark"
	fi
	for cell in $(echo "$cells" | tr ',' ' '); do
		g=${cell%x*}
		t=${cell#*x}
		name=dma-g$g-t$t
		passes="$name:$dma_secs"
		[ "$count_secs" -gt 0 ] && passes="$passes $name.count:$count_secs"
		for pass in $passes; do
			pname=${pass%:*}
			secs=${pass#*:}
			drv_reset
			mark start "$pname"
			out=$(dma_map_benchmark -t "$t" -g "$g" -s "$secs" 2>&1)
			rc=$?
			mark stop "$pname"
			extra=$(drv_counters)
			map=$(echo "$out" | sed -n 's/^average map latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)$/\1 \2/p')
			unmap=$(echo "$out" | sed -n 's/^average unmap latency(us):\([0-9.]*\) standard deviation:\([0-9.]*\)$/\1 \2/p')
			[ "$rc" = 0 ] && [ -n "$map" ] && [ -n "$unmap" ]
			ok $? "dma_map_benchmark $pname: ${secs}s"
			if [ -n "$map" ] && [ -n "$unmap" ]; then
				set -- $map $unmap
				echo "PV-RESULT dma name=$pname granule=$g threads=$t secs=$secs map_us=$1 map_sd=$2 unmap_us=$3 unmap_sd=$4$extra"
			else
				echo "$out" | sed 's/^/# /'
			fi
		done
	done
fi

# io_uring random reads on the virtio-blk disk
if [ "$qds" != none ]; then
	[ -b /dev/vda ]
	ok $? "disk /dev/vda present"
	check_endpoint "$(pci_of_block vda)" virtio-blk
	for qd in $(echo "$qds" | tr ',' ' '); do
		name=io-qd$qd
		passes="$name:$io_secs"
		[ "$count_secs" -gt 0 ] && passes="$passes $name.count:$count_secs"
		for pass in $passes; do
			pname=${pass%:*}
			secs=${pass#*:}
			drv_reset
			mark start "$pname"
			out=$(uringbench /dev/vda "$qd" "$secs" 4096 "$io_warm_ms" "$qd" 2>&1)
			rc=$?
			mark stop "$pname"
			extra=$(drv_counters)
			res=$(echo "$out" | sed -n 's/^uringbench //p')
			[ "$rc" = 0 ] && [ -n "$res" ]
			ok $? "uringbench $pname: ${secs}s"
			if [ -n "$res" ]; then
				echo "PV-RESULT io name=$pname $res$extra"
			else
				echo "$out" | sed 's/^/# /'
			fi
		done
	done
fi
done_testing
