#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot the test guest once and turn its TAP into an exit status.

One helper for `make run`, `make test` and `make bench`: it starts the
project's QEMU (aarch64 virt, TCG) with the project's kernel and initramfs,
puts the requested IOMMU in front of the requested devices
(iommu_platform=on), runs the scenario named on the kernel command line,
collects the serial console, and checks the TAP the guest printed between
its PV-BEGIN / PV-END markers. A guest that does not finish in time is
killed and reported with the last lines of its console.

Exit status: 0 when the TAP plan is complete and every test passed, 1 when a
test failed or the TAP is incomplete, 2 on a timeout or a QEMU error.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

CACHE = os.environ.get("PV_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pv-iommu")
OUT = os.path.join(CACHE, "out")
LOGS = os.path.join(CACHE, "logs")

TAP_RE = re.compile(r"^(ok|not ok) (\d+)( - .*)?$|^1\.\.(\d+)$|^# ")


def qemu_command(a):
    machine = "virt,gic-version=3"
    if a.iommu == "smmuv3":
        machine += ",iommu=smmuv3"
    cmd = [a.qemu, "-M", machine, "-cpu", "max,pauth-impdef=on",
           "-smp", str(a.smp), "-m", a.mem, "-nographic", "-nic", "none",
           "-no-reboot", "-kernel", a.kernel, "-initrd", a.initrd]
    append = ["console=ttyAMA0", "panic=-1", "pv.scenario=" + a.scenario,
              "pv.iommu=" + a.iommu]
    if not a.verbose:
        append.append("quiet")
    append += a.append
    cmd += ["-append", " ".join(append)]
    if a.iommu == "virtio":
        props = ",".join(["virtio-iommu-pci"] + a.iommu_prop)
        cmd += ["-device", props]
    behind = ",iommu_platform=on,disable-legacy=on" if a.iommu != "none" else ""
    for i, disk in enumerate(a.disk):
        cmd += ["-drive", "if=none,id=disk%d,format=raw,readonly=on,file=%s" % (i, disk),
                "-device", "virtio-blk-pci,drive=disk%d%s" % (i, behind)]
    for dev in a.device:
        cmd += ["-device", dev + behind]
    if a.trace:
        cmd += ["-D", a.trace_file]
        for ev in a.trace:
            cmd += ["-trace", "enable=" + ev]
    cmd += a.qemu_arg
    return cmd


def parse_tap(lines):
    """Return (tap_lines, plan, passed, failed, ended_ok)."""
    tap, plan, passed, failed = [], None, 0, 0
    inside, end_rc = False, None
    for line in lines:
        line = line.rstrip("\r\n")
        if line.startswith("PV-BEGIN"):
            inside = True
            continue
        if line.startswith("PV-END"):
            m = re.search(r"rc=(\d+)", line)
            end_rc = int(m.group(1)) if m else None
            break
        if not inside or not TAP_RE.match(line):
            continue
        tap.append(line)
        if line.startswith("1.."):
            plan = int(line[3:])
        elif line.startswith("ok "):
            passed += 1
        elif line.startswith("not ok "):
            failed += 1
    return tap, plan, passed, failed, end_rc


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", required=True, help="guest scenario (tests/guest/scenarios)")
    p.add_argument("--iommu", choices=["none", "smmuv3", "virtio"], default="none")
    p.add_argument("--iommu-prop", action="append", default=[],
                   help="extra virtio-iommu-pci property, e.g. nested=off")
    p.add_argument("--disk", action="append", default=[], help="raw disk image (virtio-blk-pci)")
    p.add_argument("--device", action="append", default=[],
                   help="extra -device put behind the IOMMU, e.g. edu")
    p.add_argument("--append", action="append", default=[], help="extra kernel parameter")
    p.add_argument("--qemu-arg", action="append", default=[], help="extra QEMU argument")
    p.add_argument("--trace", action="append", default=[],
                   help="QEMU trace event (pattern) to count")
    p.add_argument("--expect-trace", action="append", default=[], metavar="EVENT>=N",
                   help="fail unless the trace event count satisfies the condition "
                        "(EVENT>=N, EVENT<=N or EVENT==N)")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--mem", default="1G")
    p.add_argument("--name", help="log name (default: scenario-iommu)")
    p.add_argument("--qemu", default=os.path.join(OUT, "qemu-system-aarch64"))
    p.add_argument("--kernel", default=os.path.join(OUT, "Image"))
    p.add_argument("--initrd", default=os.path.join(OUT, "initramfs.cpio.gz"))
    p.add_argument("--verbose", action="store_true", help="kernel messages on the console")
    p.add_argument("--show-console", action="store_true", help="print the whole console")
    a = p.parse_args()

    expects = []
    for ev in a.expect_trace:
        m = re.match(r"^([\w*]+)(>=|<=|==)(\d+)$", ev)
        if not m:
            p.error("--expect-trace wants EVENT>=N, EVENT<=N or EVENT==N, not %r" % ev)
        expects.append((m.group(1), m.group(2), int(m.group(3))))
        if m.group(1) not in a.trace:
            a.trace.append(m.group(1))
    name = a.name or "%s-%s" % (a.scenario, a.iommu)
    os.makedirs(LOGS, exist_ok=True)
    console_log = os.path.join(LOGS, "boot-%s.log" % name)
    a.trace_file = os.path.join(LOGS, "boot-%s.trace" % name)
    for f in (a.qemu, a.kernel, a.initrd):
        if not os.path.exists(f):
            print("# boot: %s is missing (run make qemu / kernel / initramfs)" % f)
            return 2
    if os.path.exists(a.trace_file):
        os.unlink(a.trace_file)

    cmd = qemu_command(a)
    print("# boot %s: %s" % (name, " ".join(shlex.quote(c) for c in cmd)), flush=True)
    t0 = time.monotonic()
    timed_out = False
    with open(console_log, "w") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            qrc = proc.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            qrc = proc.wait()
    elapsed = time.monotonic() - t0
    with open(console_log, errors="replace") as f:
        lines = f.readlines()

    if a.show_console:
        sys.stdout.writelines(lines)
    tap, plan, passed, failed, end_rc = parse_tap(lines)
    for line in tap:
        print(line)

    status = 0
    problems = []
    if timed_out:
        problems.append("guest did not finish within %.0fs: killed" % a.timeout)
        status = 2
    elif qrc != 0:
        problems.append("QEMU exited with status %d" % qrc)
        status = 2
    if plan is None:
        problems.append("no TAP plan from the guest")
    elif passed + failed != plan:
        problems.append("TAP plan says %d tests, guest ran %d" % (plan, passed + failed))
    if failed:
        problems.append("%d guest test(s) failed" % failed)
    if end_rc is None:
        problems.append("guest did not reach PV-END")
    elif end_rc != 0:
        problems.append("scenario exited with status %d" % end_rc)

    counts = {}
    if a.trace:
        text = open(a.trace_file, errors="replace").read() if os.path.exists(a.trace_file) else ""
        for ev in a.trace:
            pat = re.compile(r"\b" + re.escape(ev).replace(r"\*", r"\w*") + r"\b")
            counts[ev] = len(pat.findall(text))
            print("# trace %s: %d" % (ev, counts[ev]))
    for evname, op, n in expects:
        c = counts.get(evname, 0)
        if not {">=": c >= n, "<=": c <= n, "==": c == n}[op]:
            problems.append("QEMU trace event %s fired %d times, expected %s %d"
                            % (evname, c, op, n))

    print("# boot %s: %.1fs wall" % (name, elapsed))
    if problems and status == 0:
        status = 1
    if problems:
        for pr in problems:
            print("# FAIL %s: %s" % (name, pr))
        print("# last console lines (%s):" % console_log)
        for line in lines[-25:]:
            print("#   " + line.rstrip())
    return status


if __name__ == "__main__":
    sys.exit(main())
