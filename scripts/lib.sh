# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the project's scripts: versions, cache paths, timed steps.
# Sourced, never executed.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Exact upstream versions the project builds against.
QEMU_VERSION=10.2.2
QEMU_DEB_VERSION=1:10.2.2+ds-1
QEMU_DEB_SUITE=sid
QEMU_ORIG=qemu_10.2.2+ds.orig.tar.xz
QEMU_ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb

LINUX_VERSION=7.3.4
LINUX_DEB_PKG=linux-source-7.3
LINUX_DEB_VERSION=7.3.4-1~bpo13+1
LINUX_DEB_SUITE=trixie-backports
LINUX_DEB=linux-source-7.3_7.3.4-1~bpo13+1_all.deb
LINUX_DEB_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3

# Everything built or downloaded lives here, outside the repository.
PV_CACHE=${PV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pv-iommu}
DL_DIR=$PV_CACHE/downloads
SYSROOT=$PV_CACHE/sysroot-arm64
QEMU_SRC=$PV_CACHE/qemu-src
QEMU_BUILD=$PV_CACHE/qemu-build
LINUX_SRC=$PV_CACHE/linux-src
LINUX_BUILD=$PV_CACHE/linux-build
OUT=$PV_CACHE/out
LOG_DIR=$PV_CACHE/logs

CROSS=aarch64-linux-gnu-
JOBS=${JOBS:-$(nproc)}

# ccache through its compiler symlinks, so meson and kbuild pick it up.
export PATH=/usr/lib/ccache:$PATH
export CCACHE_DIR=${CCACHE_DIR:-$PV_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

mkdir -p "$PV_CACHE" "$DL_DIR" "$LOG_DIR" "$OUT"

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: run CMD with its output in $LOG_DIR/NAME.log, print how
# long it took, and on failure name the step and show the log's tail.
step() {
	local name=$1; shift
	local log=$LOG_DIR/$name.log t0 t1 rc=0
	say "$name: started (log: $log)"
	t0=$(date +%s)
	# Not "cmd || rc=$?": that would turn off errexit inside the step's
	# functions, and a failing command in them would go unnoticed.
	set +e
	(set -e; "$@") >"$log" 2>&1
	rc=$?
	set -e
	t1=$(date +%s)
	if [ "$rc" -ne 0 ]; then
		printf 'ERROR: step "%s" failed (exit %d) after %ds; last lines of %s:\n' \
			"$name" "$rc" "$((t1 - t0))" "$log" >&2
		tail -n 40 "$log" | sed 's/^/    /' >&2
		exit "$rc"
	fi
	say "$name: done in $((t1 - t0))s"
}

# hash_inputs PATH...: one hash over the names and contents of the files
# under PATH (sorted), to key a cached tree.
hash_inputs() {
	(cd "$TOP" && find "$@" -type f ! -name '*~' -print0 2>/dev/null |
		LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum | cut -c1-16
}

# sync_overlay TREE OVERLAY_DIR TARBALL [EXTRA_SRC EXTRA_DST]...: copy every
# file of OVERLAY_DIR (relative to $TOP) into TREE when its content differs,
# so the build stays incremental; a file that left the overlay since the
# last sync is restored from TARBALL (or deleted if it is not in it). The
# pairs EXTRA_SRC EXTRA_DST copy single files (the spec's header) the same
# way.
sync_overlay() {
	local tree=$1 ovl=$TOP/$2 tarball=$3 f n=0 top
	shift 3
	local manifest=$tree/.pv-overlay-manifest new
	new=$(mktemp)
	[ -d "$ovl" ] && (cd "$ovl" && find . -type f ! -name '*~' | sed 's|^\./||' | LC_ALL=C sort) >"$new"
	while [ $# -ge 2 ]; do
		echo "$2" >>"$new"
		if ! cmp -s "$TOP/$1" "$tree/$2"; then
			mkdir -p "$(dirname "$tree/$2")"
			cp "$TOP/$1" "$tree/$2"
			n=$((n + 1))
		fi
		shift 2
	done
	while read -r f; do
		[ -f "$ovl/$f" ] || continue
		if ! cmp -s "$ovl/$f" "$tree/$f"; then
			mkdir -p "$(dirname "$tree/$f")"
			cp "$ovl/$f" "$tree/$f"
			n=$((n + 1))
		fi
	done <"$new"
	if [ -f "$manifest" ]; then
		while read -r f; do
			grep -qxF "$f" "$new" && continue
			echo "overlay: $f left the overlay, restoring it"
			# the tarball's top directory (tar dies of SIGPIPE here)
			[ -n "${top:-}" ] || top=$({ tar -tf "$tarball" 2>/dev/null || true; } |
				head -1 | cut -d/ -f1)
			rm -f "$tree/$f"
			tar -xf "$tarball" -C "$tree" --strip-components=1 "$top/$f" 2>/dev/null || true
			n=$((n + 1))
		done <"$manifest"
	fi
	mv "$new" "$manifest"
	echo "overlay: $n file(s) updated"
}

# heavy_lock: one heavy build (QEMU, kernel) at a time on this machine;
# a second one waits here until the first is done.
heavy_lock() {
	exec 9>"$PV_CACHE/.heavy-build.lock"
	if ! flock -n 9; then
		say "waiting for another QEMU/kernel build to finish"
		flock 9
	fi
}
