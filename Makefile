# SPDX-License-Identifier: GPL-2.0-or-later
#
# pv-iommu: a paravirtual nested IOMMU on virtio-iommu.
#
#   make run     boot a guest with the PV IOMMU in front of a virtio-blk
#                disk and check the data it reads through it (main job)
#   make test    every test: host unit tests, spec checks, QEMU qtests,
#                guest scenarios; ends with "N passed, N failed"
#
# Both do their own set-up (apt suites, packages, sources, builds). Builds
# and downloads are cached in $(PV_CACHE) (default ~/.cache/pv-iommu).

SHELL := /bin/bash
PV_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pv-iommu
export PV_CACHE

.PHONY: all setup qemu kernel initramfs images build run test unit qtest \
	guest-tests host-backend patches clean distclean help qemu-arm64 \
	fullstack fullstack-mapunmap

all: build

help:
	@sed -n '3,12p' Makefile

setup:
	@scripts/setup.sh

qemu: setup
	@scripts/build-qemu.sh

kernel: setup
	@scripts/build-kernel.sh

# The initramfs's programs compile against the kernel's uapi headers.
initramfs: kernel
	@scripts/build-initramfs.sh

images: setup
	@scripts/mkimages.sh

build: qemu kernel initramfs images

# The project's QEMU built for an arm64 host (static), for make fullstack.
qemu-arm64: setup
	@scripts/build-qemu-arm64.sh

# Full-stack nesting, three levels: the outer QEMU's emulated SMMUv3 (with
# IDR3.FWB) driven by arm-smmu-v3 in L1, which runs this project's QEMU with
# iommufd and vfio-pci for L2 (tests/fullstack/README.md). TCG in TCG: slow.
fullstack: build qemu-arm64
	@FULLSTACK_NOBUILD=1 scripts/fullstack.sh

fullstack-mapunmap: build qemu-arm64
	@FULLSTACK_NOBUILD=1 scripts/fullstack.sh --mapunmap

run: build
	@scripts/run.sh

test: build qemu-arm64
	@scripts/run-tests.py

# Subsets, for development. TESTS=regex limits make test to matching suites.
unit:
	@scripts/run-tests.py --only unit

qtest: qemu
	@scripts/run-tests.py --only qtest

guest-tests: build
	@scripts/run-tests.py --only guest

# Benchmark: every IOMMU configuration, same kernel and QEMU (bench/README.md).
# Writes bench/results/<date>/ and README.md's headline table. bench-quick:
# one repetition of fewer cells. BENCH_NOBUILD=1 uses $(PV_CACHE)/out as is.
.PHONY: bench bench-quick
bench: $(if $(BENCH_NOBUILD),,build)
	@bench/run-bench.py

bench-quick: $(if $(BENCH_NOBUILD),,build)
	@bench/run-bench.py --quick

# The QEMU and Linux changes as git format-patch series, checkpatch-checked.
patches: setup
	@scripts/make-patches.sh

clean:
	$(MAKE) -C host-backend clean

distclean: clean
	rm -rf $(PV_CACHE)
