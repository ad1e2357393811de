# TAP helpers for scenario scripts (sourced).
TAP_N=0
TAP_FAIL=0

# ok STATUS DESCRIPTION: STATUS is an exit status (0 = pass).
ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
}

diag() { echo "# $*"; }

# done_testing: print the plan and exit with the scenario's status.
done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAIL" -eq 0 ]
	exit $?
}

# pci_of_block DEV: the PCI function behind a virtio block device.
pci_of_block() {
	dirname "$(readlink -f "/sys/block/$1/device")"
}

# virtio_of_block DEV: the virtio device (virtioN) behind a block device.
virtio_of_block() {
	basename "$(readlink -f "/sys/block/$1/device")"
}

# iommu_driver PCIDEV: name of the driver of the IOMMU the function is
# attached to, or "none".
iommu_driver() {
	if [ ! -e "$1/iommu" ]; then
		echo none
		return
	fi
	basename "$(readlink -f "$1/iommu/device/driver")"
}

# access_platform VIRTIODEV: 0 if VIRTIO_F_ACCESS_PLATFORM (bit 33) was
# negotiated, so that DMA really goes through the IOMMU.
access_platform() {
	[ "$(cut -c34 "/sys/bus/virtio/devices/$1/features")" = 1 ]
}

# iommu_mode: the mode the virtio-iommu driver ended up in, as it reports it
# in debugfs; the stock driver has no such file and only does MAP/UNMAP.
iommu_mode() {
	if [ -r /sys/kernel/debug/virtio-iommu/mode ]; then
		head -n 1 /sys/kernel/debug/virtio-iommu/mode
	else
		echo "map-unmap (stock driver)"
	fi
}

# fold_tap PREFIX FILE [--quiet]: fold the TAP results of FILE into this
# scenario's, named "PREFIX<description>"; its diagnostics are passed on
# (not with --quiet) and other lines become diagnostics. Sets FOLD_PLAN and
# FOLD_RESULTS; fold_complete says whether the plan was there and complete.
fold_tap() {
	_prefix=$1
	FOLD_PLAN=
	FOLD_RESULTS=0
	while IFS= read -r _line; do
		case $_line in
		"ok "* | "not ok "*)
			_st=0
			case $_line in "not ok "*) _st=1 ;; esac
			ok $_st "$_prefix$(echo "$_line" | sed -E 's/^(not )?ok [0-9]+ (- )?//')"
			FOLD_RESULTS=$((FOLD_RESULTS + 1))
			;;
		1..*) FOLD_PLAN=${_line#1..} ;;
		"TAP version"*) ;;
		*)
			[ "${3:-}" = --quiet ] && continue
			case $_line in "#"*) echo "$_line" ;; *) echo "# $_line" ;; esac
			;;
		esac
	done <"$2"
}

fold_complete() {
	[ -n "$FOLD_PLAN" ] && [ "$FOLD_PLAN" -gt 0 ] && [ "$FOLD_RESULTS" -eq "$FOLD_PLAN" ]
}

# sub_tap NAME CMD...: run CMD (a scenario or program printing TAP) and
# fold its results into this scenario's, named "NAME: ...". One more result
# says whether CMD printed a complete plan and exited with status 0, so a
# crash or an early exit fails too.
sub_tap() {
	_name=$1
	shift
	_out=/tmp/sub_tap.$$.$_name
	"$@" >"$_out" 2>&1
	_rc=$?
	fold_tap "$_name: " "$_out"
	fold_complete && [ "$_rc" -eq 0 ]
	ok $? "$_name: complete (plan ${FOLD_PLAN:-none}, $FOLD_RESULTS results, exit status $_rc)"
}

# msi_interrupts PCIDEV: interrupts delivered so far on the function's
# MSI/MSI-X vectors (empty if it uses none)
msi_interrupts() {
	[ -n "$(ls "$1/msi_irqs" 2>/dev/null)" ] || return 0
	_n=0
	for _irq in $(ls "$1/msi_irqs"); do
		_c=$(awk -v i="$_irq:" '$1 == i { s = 0; for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k; print s }' /proc/interrupts)
		_n=$((_n + ${_c:-0}))
	done
	echo "$_n"
}
