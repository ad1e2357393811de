#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make setup: idempotent machine set-up.
#  * adds the Debian suites the project needs, pinned at priority 100 so
#    nothing is upgraded from them unless asked for by -t or =version;
#  * installs the host packages;
#  * downloads QEMU 10.2.2 and Linux 7.3.4 sources by exact version into
#    $PV_CACHE/downloads and verifies their SHA-256;
#  * extracts the arm64 userland pieces (busybox-static, liburing) into a
#    sysroot in the cache.
. "$(dirname "$0")/lib.sh"

need_root() {
	[ "$(id -u)" -eq 0 ] || die "make setup must run as root (apt); run it with sudo"
}

APT_SRC=/etc/apt/sources.list.d/pv-iommu.sources
APT_PIN=/etc/apt/preferences.d/pv-iommu.pref

write_if_changed() {
	local dst=$1 tmp
	tmp=$(mktemp)
	cat >"$tmp"
	if ! cmp -s "$tmp" "$dst" 2>/dev/null; then
		install -m 0644 "$tmp" "$dst"
		rm -f "$tmp"
		return 0
	fi
	rm -f "$tmp"
	return 1
}

apt_sources() {
	local changed=0
	# Only amd64 indexes for the newer suites: the arm64 userland comes
	# from bookworm itself.
	write_if_changed "$APT_SRC" <<-'EOF' && changed=1
	# Added by pv-iommu's make setup. Pinned low in pv-iommu.pref.
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports trixie trixie-backports
	Components: main
	Architectures: amd64
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb-src
	URIs: http://deb.debian.org/debian
	Suites: sid
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	write_if_changed "$APT_PIN" <<-'EOF' && changed=1
	# Added by pv-iommu's make setup: never upgrade from these by default.
	Package: *
	Pin: release n=bookworm-backports
	Pin-Priority: 100

	Package: *
	Pin: release n=trixie
	Pin-Priority: 100

	Package: *
	Pin: release n=trixie-backports
	Pin-Priority: 100

	Package: *
	Pin: release n=sid
	Pin-Priority: 100
	EOF
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		changed=1
	fi
	local stamp=$PV_CACHE/.apt-updated
	if [ "$changed" -eq 1 ] || [ ! -f "$stamp" ] ||
		[ -n "$(find "$stamp" -mmin +1440)" ]; then
		apt-get update
		touch "$stamp"
	fi
}

HOST_PKGS=(
	build-essential ccache ninja-build pkg-config git ca-certificates
	python3 python3-venv python3-setuptools
	libglib2.0-dev libpixman-1-dev libslirp-dev zlib1g-dev
	device-tree-compiler libfdt-dev bzip2 xz-utils zstd
	flex bison bc libssl-dev libelf-dev cpio kmod rsync
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	ipxe-qemu seabios
	clang libclang-rt-14-dev
	gnuplot-nox python3-ply
)

apt_packages() {
	local missing=()
	local p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	fi
	# meson >= 1.5 for QEMU 10.2: bookworm-backports.
	if ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' meson 2>/dev/null || echo 0)" ge 1.5; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			-t bookworm-backports meson
	fi
	# pycotap (QEMU's configure checks for it): arch-all, from trixie.
	if ! dpkg-query -W -f='${Status}' python3-pycotap 2>/dev/null | grep -q 'install ok installed'; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			-t trixie python3-pycotap
	fi
}

# fetch_verify FILE SHA256 PKG VERSION SUITE CMD...: download into $DL_DIR
# with CMD unless FILE is there with the right checksum.
fetch_verify() {
	local file=$1 sum=$2 pkg=$3 ver=$4 suite=$5; shift 5
	if [ -f "$DL_DIR/$file" ] &&
		echo "$sum  $DL_DIR/$file" | sha256sum -c --status; then
		say "$file: cached, checksum OK"
		return 0
	fi
	rm -f "$DL_DIR/$file"
	(cd "$DL_DIR" && "$@") ||
		die "could not download $pkg version $ver from Debian suite $suite (is the suite still serving it?)"
	[ -f "$DL_DIR/$file" ] ||
		die "download of $pkg $ver ($suite) did not produce $file"
	echo "$sum  $DL_DIR/$file" | sha256sum -c --status ||
		die "$file ($pkg $ver from $suite): SHA-256 mismatch, expected $sum"
	say "$file: downloaded, checksum OK"
}

sources() {
	fetch_verify "$QEMU_ORIG" "$QEMU_ORIG_SHA256" qemu "$QEMU_DEB_VERSION" "$QEMU_DEB_SUITE" \
		apt-get source --download-only "qemu=$QEMU_DEB_VERSION"
	fetch_verify "$LINUX_DEB" "$LINUX_DEB_SHA256" "$LINUX_DEB_PKG" "$LINUX_DEB_VERSION" "$LINUX_DEB_SUITE" \
		apt-get download "$LINUX_DEB_PKG=$LINUX_DEB_VERSION"
	# The Linux tarball inside the .deb, extracted once.
	if [ ! -f "$DL_DIR/linux-source-7.3.tar.xz" ]; then
		local tmp
		tmp=$(mktemp -d)
		dpkg-deb -x "$DL_DIR/$LINUX_DEB" "$tmp"
		mv "$tmp/usr/src/linux-source-7.3.tar.xz" "$DL_DIR/"
		rm -rf "$tmp"
	fi
}

ARM64_PKGS=(busybox-static liburing2 liburing-dev libcap2 libcap-dev
	# the project's QEMU built for an arm64 host (make fullstack), static
	libglib2.0-dev libglib2.0-0 libpcre2-dev libpcre2-8-0 zlib1g-dev zlib1g
	libpixman-1-dev libpixman-1-0 libfdt-dev libfdt1)

arm64_sysroot() {
	local stamp=$SYSROOT/.pkgs
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${ARM64_PKGS[*]}" ]; then
		say "arm64 sysroot: cached"
		return 0
	fi
	rm -rf "$SYSROOT" "$DL_DIR/arm64"
	mkdir -p "$SYSROOT" "$DL_DIR/arm64"
	local p
	for p in "${ARM64_PKGS[@]}"; do
		(cd "$DL_DIR/arm64" && apt-get download "$p:arm64") ||
			die "could not download $p:arm64 from Debian bookworm"
	done
	for f in "$DL_DIR"/arm64/*.deb; do
		dpkg-deb -x "$f" "$SYSROOT"
	done
	echo "${ARM64_PKGS[*]}" >"$stamp"
}

need_root
step setup-apt-sources apt_sources
step setup-apt-packages apt_packages
step setup-sources sources
step setup-arm64-sysroot arm64_sysroot
say "setup complete; cache in $PV_CACHE"
