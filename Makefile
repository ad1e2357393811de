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
	guest-tests host-backend patches clean distclean help

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

run: build
	@scripts/run.sh

test: build
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
