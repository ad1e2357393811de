#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make test: run every test suite and print one TAP stream.

Suites are commands that print TAP. Each result line becomes one line of
the combined stream, named "<suite>: <test>". A suite that exits non-zero
without reporting a failure, or that reports no test at all, counts as a
failure of its own: nothing is passed by default. The stream ends with
"N passed, N failed" and the exit status is 0 only when nothing failed.

  scripts/run-tests.py [--only unit|qtest|guest|REGEX] [--list]
"""

import argparse
import glob
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("PV_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pv-iommu")
OUT = os.path.join(CACHE, "out")
QEMU_BUILD = os.path.join(CACHE, "qemu-build")
IMAGES = os.path.join(CACHE, "images")
TESTS_LIST = os.path.join(CACHE, "tests-list.txt")

RESULT_RE = re.compile(r"^(ok|not ok)\s+(\d+)\s*(?:-\s*)?(.*)$")
QOS_PREFIX = "/aarch64/virt/generic-pcihost/pci-bus-generic/pci-bus/virtio-iommu-pci/virtio-iommu"


def boot(scenario, iommu, name, *extra, disk="disk64"):
    img = os.path.join(IMAGES, disk + ".img")
    sha = open(img + ".sha256").read().strip() if os.path.exists(img + ".sha256") else "missing"
    seed = open(img + ".seed").read().strip() if os.path.exists(img + ".seed") else "0"
    return [os.path.join(TOP, "scripts/boot.py"), "--scenario", scenario, "--iommu", iommu,
            "--name", name, "--disk", img, "--append", "pv.sha256=" + sha,
            "--append", "pv.seed=" + seed] + list(extra)


def qos_test(paths):
    cmd = [os.path.join(QEMU_BUILD, "tests/qtest/qos-test"), "--tap", "-k"]
    for p in paths:
        cmd += ["-p", p]
    return cmd


def expect(*conditions):
    """boot.py arguments: each condition on a QEMU trace count must hold."""
    args = []
    for c in conditions:
        args += ["--expect-trace", c]
    return args


# What a conforming driver never makes the device do (spec/conformance.tsv
# cites these suites for the driver statements they back): in every mode...
CLEAN = ("virtio_iommu_unknown_request==0", "virtio_iommu_set_config==0")
# ... in nested mode: no MAP/UNMAP/ATTACH, PROBE first, nothing rejected
CLEAN_NESTED = CLEAN + ("virtio_iommu_map==0", "virtio_iommu_unmap==0",
                        "virtio_iommu_attach==0", "virtio_iommu_nested_probe>=2",
                        "virtio_iommu_nested_attach_table_reject==0",
                        "virtio_iommu_nested_invalidate_reject==0")
# ... in MAP/UNMAP mode, with a workload that neither faults nor leaks
CLEAN_MAPUNMAP = CLEAN + ("virtio_iommu_map>=1", "virtio_iommu_unmap>=1",
                          "virtio_iommu_report_fault==0")


def suites():
    """(name, group, command, env) in the order they run."""
    s = []
    s.append(("spec-layout", "unit",
              ["bash", "-c", "gcc -std=gnu11 -Wall -Wextra -Werror -I spec "
               "-o \"$PV_CACHE/test_spec_layout\" tests/unit/test_spec_layout.c && "
               "\"$PV_CACHE/test_spec_layout\""], None))
    if os.path.exists(os.path.join(TOP, "host-backend/Makefile")):
        s.append(("host-backend", "unit", ["make", "-s", "-C", "host-backend", "test"], None))
        s.append(("host-backend-fuzz", "unit",
                  ["make", "-s", "-C", "host-backend", "fuzz-short", "FUZZ_SHORT_TIME=5"], None))
    qenv = {"QTEST_QEMU_BINARY": os.path.join(QEMU_BUILD, "qemu-system-aarch64")}
    s.append(("qemu-virtio-iommu", "qtest",
              qos_test([QOS_PREFIX + "/virtio-iommu-tests/" + t
                        for t in ("config", "attach_detach", "map_unmap")]), qenv))
    s.append(("conformance", "qtest",
              qos_test([QOS_PREFIX + "/virtio-iommu-tests/nested",
                        QOS_PREFIX + "/virtio-iommu-tests/std"]), qenv))
    s.append(("blk-read-none", "guest", boot("blk-read", "none", "blk-read-none"), None))
    s.append(("blk-read-smmuv3", "guest",
              boot("blk-read", "smmuv3", "blk-read-smmuv3",
                   "--expect-trace", "smmuv3_translate_success>=1"), None))
    # The device with the nested feature off behaves as the stock device:
    # the driver falls back to MAP/UNMAP.
    s.append(("blk-read-virtio-stock", "guest",
              boot("blk-read", "virtio", "blk-read-virtio-stock", "--iommu-prop", "nested=off",
                   "--expect-trace", "virtio_iommu_attach>=1",
                   "--expect-trace", "virtio_iommu_map>=1",
                   "--expect-trace", "virtio_iommu_nested_attach_table==0",
                   "--expect-trace", "virtio_iommu_unknown_request==0",
                   "--expect-trace", "virtio_iommu_set_config==0",
                   "--expect-trace", "virtio_iommu_report_fault==0"), None))
    # The interop matrix: {driver, driver with nested forced off} x
    # {device, device with nested off}; only ours + ours may nest, and there
    # ATTACH_TABLE replaces every MAP request.
    s.append(("nested-drv-nested-dev", "guest",
              boot("nested-mode", "virtio", "nested-drv-nested-dev",
                   "--append", "pv.expect_mode=nested",
                   "--expect-trace", "virtio_iommu_nested_attach_table>=1",
                   "--expect-trace", "virtio_iommu_nested_translate>=1",
                   *expect(*CLEAN_NESTED, "virtio_iommu_nested_fault==0")), None))
    s.append(("nested-drv-stock-dev", "guest",
              boot("nested-mode", "virtio", "nested-drv-stock-dev", "--iommu-prop", "nested=off",
                   "--append", "pv.expect_mode=map-unmap",
                   *expect(*CLEAN_MAPUNMAP)), None))
    s.append(("mapunmap-drv-nested-dev", "guest",
              boot("nested-mode", "virtio", "mapunmap-drv-nested-dev",
                   "--append", "virtio_iommu.nested=0", "--append", "pv.expect_mode=map-unmap",
                   *expect(*CLEAN_MAPUNMAP, "virtio_iommu_nested_attach_table==0")), None))
    s.append(("mapunmap-drv-stock-dev", "guest",
              boot("nested-mode", "virtio", "mapunmap-drv-stock-dev", "--iommu-prop", "nested=off",
                   "--append", "virtio_iommu.nested=0", "--append", "pv.expect_mode=map-unmap",
                   *expect(*CLEAN_MAPUNMAP)), None))
    s.append(("nested-lazy", "guest",
              boot("nested-mode", "virtio", "nested-lazy", "--append", "iommu.strict=0",
                   "--append", "pv.expect_mode=nested",
                   *expect(*CLEAN_NESTED, "virtio_iommu_nested_fault==0")), None))
    # The edu device's DMA engine through the DMA API (tests/guest/edu_dma.c):
    # data, faults after unmap, read-only faults, lazy mode, many cycles.
    edu = [os.path.join(TOP, "scripts/boot.py"), "--scenario", "edu-dma", "--iommu", "virtio",
           "--plain-device", "edu", "--timeout", "300"]
    s.append(("edu-dma-nested", "guest",
              edu + ["--name", "edu-dma-nested", "--append", "pv.expect_mode=nested",
                     "--append", "pv.expect_type=DMA",
                     "--expect-trace", "virtio_iommu_nested_attach_table>=1",
                     "--expect-trace", "virtio_iommu_nested_fault>=1",
                     "--expect-trace", "virtio_iommu_nested_invalidate>=1",
                     *expect(*CLEAN_NESTED)], None))
    s.append(("edu-dma-lazy", "guest",
              edu + ["--name", "edu-dma-lazy", "--append", "iommu.strict=0",
                     "--append", "pv.expect_mode=nested", "--append", "pv.expect_type=DMA-FQ",
                     "--expect-trace", "virtio_iommu_nested_attach_table>=1",
                     "--expect-trace", "virtio_iommu_nested_invalidate>=1",
                     *expect(*CLEAN_NESTED)], None))
    s.append(("edu-dma-mapunmap", "guest",
              edu + ["--name", "edu-dma-mapunmap", "--append", "virtio_iommu.nested=0",
                     "--append", "pv.expect_mode=map-unmap", "--append", "pv.expect_type=DMA",
                     "--expect-trace", "virtio_iommu_map>=1",
                     "--expect-trace", "virtio_iommu_unmap>=1",
                     *expect(*CLEAN, "virtio_iommu_nested_attach_table==0")], None))
    # The group switched to identity and back right after DMA API unmaps
    # (lazy: pending in the flush queue), on the stock identity-attach path.
    s.append(("group-type-switch", "guest",
              [os.path.join(TOP, "scripts/boot.py"), "--scenario", "group-type-switch",
               "--iommu", "virtio", "--plain-device", "edu", "--timeout", "300",
               "--name", "group-type-switch", "--append", "iommu.strict=0",
               "--append", "pv.expect_mode=nested",
               *expect(*CLEAN, "virtio_iommu_attach>=16",
                       "virtio_iommu_nested_attach_table>=17",
                       "virtio_iommu_nested_attach_table_reject==0",
                       "virtio_iommu_nested_invalidate_reject==0")], None))
    # Driver statements: the device's x-driver-quirks (testing only) sends
    # what a driver must tolerate (qemu-device/README.md). A TABLE_FORMAT
    # property of an unknown format, or a short Arm SMMUv3 one, is ignored:
    # MAP/UNMAP mode. Reserved fields and undefined bits in the property,
    # noise in fault reports and reports with reserved bits: still nested,
    # faults exactly as without them (edu_dma checks address and direction).
    quirk = ["--qemu-arg=-global", "--qemu-arg=virtio-iommu-device.x-driver-quirks=%d"]
    s.append(("drv-quirk-unknown-format", "guest",
              boot("nested-mode", "virtio", "drv-quirk-unknown-format",
                   quirk[0], quirk[1] % 1, "--append", "pv.expect_mode=map-unmap",
                   "--append", "pv.expect_reason=no.Arm.SMMUv3.TABLE_FORMAT.property",
                   *expect(*CLEAN_MAPUNMAP, "virtio_iommu_nested_probe>=1",
                           "virtio_iommu_nested_attach_table==0")), None))
    s.append(("drv-quirk-short-property", "guest",
              boot("nested-mode", "virtio", "drv-quirk-short-property",
                   quirk[0], quirk[1] % 2, "--append", "pv.expect_mode=map-unmap",
                   "--append", "pv.expect_reason=no.Arm.SMMUv3.TABLE_FORMAT.property",
                   "--append", "pv.expect_log=ignoring.short.Arm.SMMUv3.TABLE_FORMAT.property",
                   *expect(*CLEAN_MAPUNMAP, "virtio_iommu_nested_probe>=1",
                           "virtio_iommu_nested_attach_table==0")), None))
    s.append(("drv-quirk-noise", "guest",
              edu + ["--name", "drv-quirk-noise", quirk[0], quirk[1] % 12,
                     # the device says when it applied each quirk
                     "--check", "grep -q 'x-driver-quirks: altered TABLE_FORMAT' "
                                "\"$PV_CONSOLE_LOG\" && grep -q 'x-driver-quirks: noisy "
                                "fault report' \"$PV_CONSOLE_LOG\"",
                     "--append", "pv.expect_mode=nested", "--append", "pv.expect_type=DMA",
                     "--expect-trace", "virtio_iommu_nested_attach_table>=1",
                     "--expect-trace", "virtio_iommu_nested_fault>=1",
                     *expect(*CLEAN_NESTED)], None))
    # host-backend's iommufd code against the kernel's iommufd mock
    # (CONFIG_IOMMUFD_TEST), in the guest.
    s.append(("iommufd-mock", "guest",
              [os.path.join(TOP, "scripts/boot.py"), "--scenario", "iommufd-mock",
               "--iommu", "none", "--name", "iommufd-mock", "--timeout", "300"], None))
    # host-backend's iommufd code against the real arm-smmu-v3 driver, in a
    # guest whose SMMUv3 is QEMU's emulated one in nested-stage mode (with
    # IDR3.FWB, qemu-device/patches/0005); and with fwb=off (stock QEMU
    # 10.2.2's registers) vIOMMU allocation must fail, naming the reason.
    smmu = [os.path.join(TOP, "scripts/boot.py"), "--scenario", "smmuv3-iommufd",
            "--iommu", "smmuv3", "--qemu-arg=-global", "--qemu-arg=arm-smmuv3.stage=nested",
            "--plain-device", "edu", "--timeout", "300"]
    s.append(("smmuv3-iommufd", "guest", smmu + ["--name", "smmuv3-iommufd"], None))
    s.append(("smmuv3-iommufd-nofwb", "guest",
              smmu + ["--name", "smmuv3-iommufd-nofwb", "--qemu-arg=-global",
                      "--qemu-arg=arm-smmuv3.fwb=off", "--append", "pv.expect_fwb=0"], None))
    # The full stack, three levels (tests/fullstack/README.md): about 5 min;
    # and its first level on an SMMUv3 without IDR3.FWB, which must stop at
    # once with a message naming the missing capability.
    s.append(("fullstack", "guest", [os.path.join(TOP, "scripts/fullstack.sh")],
              {"FULLSTACK_NOBUILD": "1"}))
    # The same with L2's driver in MAP/UNMAP mode: VFIO endpoints mapped
    # through libpvb's pin cache (qemu-device patch 0006), about 6 min.
    s.append(("fullstack-mapunmap", "guest",
              [os.path.join(TOP, "scripts/fullstack.sh"), "--mapunmap"],
              {"FULLSTACK_NOBUILD": "1"}))
    s.append(("fullstack-nofwb", "guest",
              [os.path.join(TOP, "scripts/fullstack.sh"), "--nofwb"],
              {"FULLSTACK_NOBUILD": "1"}))
    s.append(("harness-negative", "guest", [os.path.join(TOP, "tests/guest/harness-negative.sh")],
              None))
    # The benchmark, one short cell per IOMMU configuration: numbers and
    # exit counts checked, so that make bench can't rot (bench/README.md).
    s.append(("bench-smoke", "guest", [os.path.join(TOP, "bench/run-bench.py"), "--smoke"],
              None))
    # Runs last: checks the conformance index against the tests that exist.
    s.append(("conformance-index", "unit",
              ["python3", "spec/check-conformance.py", "--tests", TESTS_LIST], None))
    return s


def existing_tests(results):
    """Names the conformance index may refer to."""
    names = set()
    for suite, test in results:
        names.add("unit:%s:%s" % (suite, test))
    for f in glob.glob(os.path.join(TOP, "tests/guest/scenarios/*.sh")):
        names.add("guest:" + os.path.basename(f)[:-3])
    # and the guest suites by name, for a scenario run with particular options
    names.update("guest:" + name for name, group, _, _ in suites() if group == "guest")
    for binary in glob.glob(os.path.join(QEMU_BUILD, "tests/qtest/*-test")):
        try:
            out = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=60,
                                 env=dict(os.environ, QTEST_QEMU_BINARY=os.path.join(
                                     QEMU_BUILD, "qemu-system-aarch64"))).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        names.update("qtest:" + line.strip() for line in out.splitlines()
                     if line.startswith("/"))
    os.makedirs(CACHE, exist_ok=True)
    with open(TESTS_LIST, "w") as f:
        f.write("\n".join(sorted(names)) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="group (unit, qtest, guest) or regex of suite names")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    only = a.only or os.environ.get("TESTS")
    chosen = [x for x in suites() if not only or only == x[1] or
              (only not in ("unit", "qtest", "guest") and re.search(only, x[0]))]
    if a.list:
        for name, group, cmd, _ in chosen:
            print("%-20s %-6s %s" % (name, group, " ".join(cmd)))
        return 0

    n = passed = failed = 0
    results = []
    summary = []
    for name, group, cmd, env in chosen:
        if name == "conformance-index":
            existing_tests(results)
        print("# suite %s (%s): %s" % (name, group, " ".join(cmd)), flush=True)
        t0 = time.monotonic()
        e = dict(os.environ, PV_CACHE=CACHE, **(env or {}))
        proc = subprocess.run(cmd, cwd=TOP, env=e, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace")
        dt = time.monotonic() - t0
        s_pass = s_fail = 0
        for line in proc.stdout.splitlines():
            m = RESULT_RE.match(line)
            if not m:
                if line.startswith("#"):
                    print("    " + line)
                continue
            n += 1
            ok = m.group(1) == "ok"
            skip = re.search(r"#\s*SKIP", line, re.I)
            desc = m.group(3)
            results.append((name, re.sub(r"\s*#.*$", "", desc).strip()))
            print("%s %d - %s: %s" % ("ok" if ok else "not ok", n, name, desc))
            if ok and not skip:
                s_pass += 1
            elif ok and skip:
                # A skipped check is not a pass: it is reported, not counted.
                pass
            else:
                s_fail += 1
        if s_fail == 0 and (proc.returncode != 0 or s_pass == 0):
            n += 1
            s_fail += 1
            why = ("exited with status %d" % proc.returncode if proc.returncode
                   else "reported no passing test")
            print("not ok %d - %s: suite %s" % (n, name, why))
            for line in proc.stdout.splitlines()[-30:]:
                print("#   " + line)
        elif s_fail:
            for line in proc.stdout.splitlines():
                if line.startswith("# FAIL") or line.startswith("#   "):
                    print("    " + line)
        passed += s_pass
        failed += s_fail
        summary.append("# %-20s %3d passed %3d failed %6.1fs" % (name, s_pass, s_fail, dt))
        sys.stdout.flush()
    print("1..%d" % n)
    print("\n".join(summary))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
