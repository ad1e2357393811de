#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make patches: the QEMU and Linux changes as `git format-patch` series,
# as upstream would review them, in $PV_CACHE/patches/{qemu,linux}/.
#
# Each tree starts from the pristine release in a scratch git repository;
# every patch of qemu-device/patches (guest-driver/patches) is applied with
# `git am`, and the new files of the overlay, plus what the build links or
# copies in from this repository (the spec's header, host-backend, the
# conformance tests), are folded into the first patch whose diff names the
# file (its path or file name), or into the last patch if none does. The
# series is then checked with the tree's own checkpatch.pl (--strict for
# Linux); the exit status says whether both series are clean.
. "$(dirname "$0")/lib.sh"

EXPORT=$PV_CACHE/patches
WORK=$PV_CACHE/patches-work

# extra files per tree: "repo-path tree-path", directories allowed
# host-backend is not part of the QEMU series: like libvfio-user it is a
# library of its own, with its own style, that QEMU builds against (here
# through the hw/virtio/pvb link; upstream, a meson subproject wrap).
# The spec's header is kernel uapi style: like QEMU's linux-headers/ it is
# imported verbatim in a patch of its own, which checkpatch does not check.
QEMU_IMPORT=("spec/virtio_iommu_nested.h hw/virtio/pvb-spec/virtio_iommu_nested.h")
QEMU_EXTRA=("tests/conformance tests/qtest/conformance")
LINUX_EXTRA=("spec/virtio_iommu_nested.h include/uapi/linux/virtio_iommu_nested.h")

# new_files TREE_OVERLAY EXTRA...: "tree-path<TAB>repo-file" for every file
new_files() {
	local ovl=$1 f e src dst
	shift
	(cd "$TOP/$ovl" && find . -type f ! -name '*~' | sed 's|^\./||' | LC_ALL=C sort) |
		while read -r f; do printf '%s\t%s\n' "$f" "$TOP/$ovl/$f"; done
	for e in "$@"; do
		read -r src dst <<<"$e"
		if [ -d "$TOP/$src" ]; then
			(cd "$TOP/$src" && find . -type f \( -name '*.c' -o -name '*.h' \) |
				sed 's|^\./||' | LC_ALL=C sort) |
				while read -r f; do printf '%s\t%s\n' "$dst/$f" "$TOP/$src/$f"; done
		else
			printf '%s\t%s\n' "$dst" "$TOP/$src"
		fi
	done
}

# owner_patch FILE PATCH...: the patch that introduces FILE: the first whose
# added lines build it (meson.build, Makefile, Kconfig) or include it, else
# the first that names it, else the last.
owner_patch() {
	python3 - "$@" <<-'PY'
	import os, re, sys
	f, patches = sys.argv[1], sys.argv[2:]
	base = os.path.basename(f)
	stem = os.path.splitext(base)[0]
	build = ("meson.build", "Makefile", "Kbuild", "Kconfig")
	def added(p):
	    cur = None
	    for line in open(p, errors="replace"):
	        m = re.match(r"^diff --git a/(\S+) ", line)
	        if m:
	            cur = os.path.basename(m.group(1))
	        elif line.startswith("+") and not line.startswith("+++"):
	            yield cur, line
	def builds(p):
	    for cur, line in added(p):
	        if cur in build and (base in line or stem + ".o" in line or
	                             "'" + os.path.basename(os.path.dirname(f)) + "'" in line):
	            return True
	        if re.search(r"#\s*include\s*[<\"].*\b" + re.escape(base) + r"[>\"]", line):
	            return True
	    return False
	for test in (builds, lambda p: any(base in l for _, l in added(p))):
	    for p in patches:
	        if test(p):
	            print(p)
	            sys.exit(0)
	print(patches[-1])
	PY
}

export_tree() {
	local name=$1 tarball=$2 patches=$3 ovl=$4
	shift 4
	local repo=$WORK/$name out=$EXPORT/$name p f src n owner last
	rm -rf "$repo" "$out"
	mkdir -p "$repo" "$out"
	tar -xf "$tarball" -C "$repo" --strip-components=1
	git -C "$repo" init -q
	git -C "$repo" add -A -f
	git -C "$repo" -c user.name=pv-iommu -c user.email=pv-iommu@localhost \
		commit -qm "pristine $name"
	local base e
	base=$(git -C "$repo" rev-parse HEAD)
	if [ "$name" = qemu ]; then
		for e in "${QEMU_IMPORT[@]}"; do
			read -r src f <<<"$e"
			mkdir -p "$(dirname "$repo/$f")"
			cp "$TOP/$src" "$repo/$f"
			git -C "$repo" add -f "$f"
			git -C "$repo" -c user.name=pv-iommu -c user.email=pv-iommu@localhost \
				commit -qm "Import $(basename "$f") from the pv-iommu specification" \
				-m "Imported verbatim from spec/ of the pv-iommu project: the wire format of the virtio-iommu nested extension, in Linux uapi style (like linux-headers/, not reformatted)."
		done
	fi
	local list=()
	for p in "$TOP/$patches"/*.patch; do
		[ -e "$p" ] && list+=("$p")
	done
	[ ${#list[@]} -gt 0 ] || { echo "$name: no patches"; return 0; }
	# Which patch owns each new file.
	declare -A owner_of=()
	while IFS=$'\t' read -r f src; do
		owner=$(owner_patch "$f" "${list[@]}")
		owner_of[$f]=$owner
		echo "$f -> $(basename "$owner")"
	done < <(new_files "$ovl" "$@")
	for p in "${list[@]}"; do
		git -C "$repo" -c user.name=pv-iommu -c user.email=pv-iommu@localhost \
			am -q --keep-cr "$p" || { git -C "$repo" am --abort; die "$name: $(basename "$p") does not apply"; }
		n=0
		while IFS=$'\t' read -r f src; do
			[ "${owner_of[$f]}" = "$p" ] || continue
			mkdir -p "$(dirname "$repo/$f")"
			rm -f "$repo/$f"
			cp "$src" "$repo/$f"
			git -C "$repo" add -f "$f"
			n=$((n + 1))
		done < <(new_files "$ovl" "$@")
		[ "$n" -gt 0 ] && git -C "$repo" -c user.name=pv-iommu \
			-c user.email=pv-iommu@localhost commit -q --amend --no-edit
	done
	git -C "$repo" format-patch -q -o "$out" "$base"..HEAD
	echo "$name: $(ls "$out" | wc -l) patches in $out"
}

check_qemu() {
	local p rc=0
	for p in "$EXPORT"/qemu/*.patch; do
		grep -q '^Subject: \[PATCH[^]]*\] Import ' "$p" && continue
		(cd "$WORK/qemu" && ./scripts/checkpatch.pl -q "$p") || rc=1
	done
	return $rc
}

check_linux() {
	local p rc=0
	for p in "$EXPORT"/linux/*.patch; do
		# Debian's python3 (python3-ply, for spdxcheck.py), not one
		# that a version manager may have put first in PATH
		(cd "$WORK/linux" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q "$p") || rc=1
	done
	return $rc
}

step patches-qemu export_tree qemu "$DL_DIR/$QEMU_ORIG" qemu-device/patches \
	qemu-device/overlay "${QEMU_EXTRA[@]}"
step patches-linux export_tree linux "$DL_DIR/linux-source-7.3.tar.xz" guest-driver/patches \
	guest-driver/overlay "${LINUX_EXTRA[@]}"
rc=0
say "checkpatch (QEMU)"
check_qemu || rc=1
say "checkpatch --strict (Linux)"
check_linux || rc=1
ls "$EXPORT"/qemu "$EXPORT"/linux
[ "$rc" -eq 0 ] && say "both series are checkpatch-clean" || say "checkpatch found problems (above)"
exit $rc
