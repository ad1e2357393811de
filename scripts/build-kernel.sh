#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make kernel: Linux 7.3.4 + guest-driver/patches + guest-driver/overlay +
# the spec's wire header, arm64 tinyconfig + guest-driver/guest.config,
# cross-built with ccache into $PV_CACHE (out-of-tree, O=).
#
# The unpacked tree is keyed by the patch series; overlay files are
# synchronised file by file (sync_overlay in lib.sh) so the build is
# incremental. After olddefconfig every symbol the fragment sets to y or m
# is checked in the final .config.
. "$(dirname "$0")/lib.sh"

PATCHES=guest-driver/patches
OVERLAY=guest-driver/overlay
FRAGMENT=$TOP/guest-driver/guest.config
KMAKE=(make -C "$LINUX_SRC" O="$LINUX_BUILD" ARCH=arm64 CROSS_COMPILE="$CROSS"
	-j"$JOBS")


tree_key() {
	{
		echo "linux $LINUX_VERSION"
		hash_inputs "$PATCHES"
	} | sha256sum | cut -c1-16
}

unpack() {
	rm -rf "$LINUX_SRC" "$LINUX_BUILD"
	mkdir -p "$LINUX_SRC"
	tar -xf "$DL_DIR/linux-source-7.3.tar.xz" -C "$LINUX_SRC" --strip-components=1
	local p
	for p in "$TOP/$PATCHES"/*.patch; do
		[ -e "$p" ] || continue
		echo "applying $(basename "$p")"
		patch -d "$LINUX_SRC" -p1 --forward --batch <"$p" ||
			die "Linux patch $(basename "$p") does not apply to $LINUX_VERSION"
	done
}



configure() {
	mkdir -p "$LINUX_BUILD"
	"${KMAKE[@]}" tinyconfig
	"$LINUX_SRC/scripts/kconfig/merge_config.sh" -m -O "$LINUX_BUILD" \
		"$LINUX_BUILD/.config" "$FRAGMENT"
	"${KMAKE[@]}" olddefconfig
	check_config
	sha256sum "$FRAGMENT" | cut -c1-64 >"$LINUX_BUILD/.pv-fragment"
}

# Every CONFIG_X=y|m of the fragment must survive olddefconfig; every
# "# CONFIG_X is not set" must stay unset.
check_config() {
	local cfg=$LINUX_BUILD/.config bad=() sym val
	while IFS='=' read -r sym val; do
		grep -qx "$sym=$val" "$cfg" || bad+=("$sym=$val (got: $(grep -E "^(# )?$sym[= ]" "$cfg" || echo absent))")
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' "$FRAGMENT")
	while read -r sym; do
		grep -qE "^$sym=[ym]$" "$cfg" && bad+=("$sym should be unset")
	done < <(sed -nE 's/^# (CONFIG_[A-Z0-9_]+) is not set$/\1/p' "$FRAGMENT")
	if [ ${#bad[@]} -gt 0 ]; then
		printf 'kernel config: symbol dropped or changed by olddefconfig: %s\n' "${bad[@]}"
		return 1
	fi
	echo "kernel config: all fragment symbols present"
}

build() {
	"${KMAKE[@]}" Image
	"${KMAKE[@]}" headers_install INSTALL_HDR_PATH="$PV_CACHE/linux-headers"
}

heavy_lock
key=$(tree_key)
if [ "$(cat "$LINUX_SRC/.pv-key" 2>/dev/null)" != "$key" ]; then
	[ -f "$DL_DIR/linux-source-7.3.tar.xz" ] || die "Linux source missing: run 'make setup' first"
	step kernel-unpack unpack
	step kernel-overlay sync_overlay "$LINUX_SRC" "$OVERLAY" "$DL_DIR/linux-source-7.3.tar.xz" \
		spec/virtio_iommu_nested.h include/uapi/linux/virtio_iommu_nested.h
	echo "$key" >"$LINUX_SRC/.pv-key"
else
	step kernel-overlay sync_overlay "$LINUX_SRC" "$OVERLAY" "$DL_DIR/linux-source-7.3.tar.xz" \
		spec/virtio_iommu_nested.h include/uapi/linux/virtio_iommu_nested.h
fi
if [ "$(cat "$LINUX_BUILD/.pv-fragment" 2>/dev/null)" != "$(sha256sum "$FRAGMENT" | cut -c1-64)" ]; then
	step kernel-config configure
fi
step kernel-build build
ln -sf "$LINUX_BUILD/arch/arm64/boot/Image" "$OUT/Image"
say "kernel: $OUT/Image"
