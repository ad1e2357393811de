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

Live mode (--live, for the benchmark): QEMU gets a QMP socket and its stdin
(the serial console's input) stays open. A guest that prints
"PV-MARK start NAME" and then reads a line from its console is held until
the host has taken its snapshot: QOM properties (--mark-qom) are read over
QMP and the trace events of --mark-trace are enabled (each window into its
own log file, counted per event and per event+first field); the host then
writes an empty line, and does the same at "PV-MARK stop NAME" (events off,
second snapshot). Each window's figures go to --marks-json.
"""

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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
    for dev in a.plain_device:
        cmd += ["-device", dev]
    if a.trace:
        cmd += ["-D", a.trace_file]
        for ev in a.trace:
            cmd += ["-trace", "enable=" + ev]
    if a.live:
        cmd += ["-qmp", "unix:%s,server=on,wait=off" % a.qmp_path]
    cmd += a.qemu_arg
    return cmd


class QMP:
    """A minimal QMP client: one command at a time, events skipped."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.f = self.sock.makefile("rwb")
        self._read()                      # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, execute, **args):
        req = {"execute": execute}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req).encode() + b"\n")
        self.f.flush()
        msg = self._read()
        if "error" in msg:
            raise RuntimeError("QMP %s: %s" % (execute, msg["error"].get("desc", msg["error"])))
        return msg.get("return")

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


MARK_RE = re.compile(r"PV-MARK (start|stop) (\S+)")
FIELD_RE = re.compile(r"^(\w+)(?::\s*|=)(\S+)")


def count_trace(path, events):
    """Counts of the trace events in a log file: per event, and per event
    and first field ("smmuv3_write_mmio addr=0x98")."""
    counts = {}
    pats = [(ev, re.compile(r"^" + re.escape(ev).replace(r"\*", r"\w*") + r"\b")) for ev in events]
    if not os.path.exists(path):
        return counts
    with open(path, errors="replace") as f:
        for line in f:
            for ev, pat in pats:
                if pat.match(line):
                    name, _, rest = line.rstrip("\n").partition(" ")
                    counts[name] = counts.get(name, 0) + 1
                    m = FIELD_RE.match(rest)
                    if m:
                        key = "%s %s=%s" % (name, m.group(1), m.group(2))
                    else:   # "<--- CMD_SYNC": the first token with a letter in it
                        tok = [t for t in rest.split() if re.search(r"[A-Za-z0-9]", t)]
                        key = "%s %s" % (name, tok[0]) if tok else None
                    if key:
                        counts[key] = counts.get(key, 0) + 1
                    break
    return counts


class Live:
    """The host side of the PV-MARK handshake (see the module's text)."""

    def __init__(self, a, proc, log):
        self.a, self.proc, self.log = a, proc, log
        self.qmp = None
        self.marks = []
        self.open = {}
        self.errors = []
        self.segment = 0
        self.segments = []
        self.lines = []

    def qom(self):
        snap = {}
        for spec in self.a.mark_qom:
            path, _, prop = spec.rpartition(":")
            try:
                snap[spec] = self.qmp.cmd("qom-get", path=path, property=prop)
            except (RuntimeError, OSError, EOFError) as e:
                snap[spec] = None
                self.errors.append("qom-get %s: %s" % (spec, e))
        return snap

    def set_events(self, on):
        for ev in self.a.mark_trace:
            self.qmp.cmd("trace-event-set-state", name=ev, enable=on)

    def traced(self, name):
        return self.a.mark_trace and re.search(self.a.mark_trace_when, name)

    def next_segment(self):
        # QEMU opens a log file with "w": the boot's own trace continues in
        # numbered segments so that nothing is overwritten.
        self.segment += 1
        path = "%s.%d" % (self.a.trace_file, self.segment)
        self.segments.append(path)
        return path

    def on_mark(self, what, name):
        if self.qmp is None:
            self.qmp = QMP(self.a.qmp_path)
        now = time.monotonic()
        if what == "start":
            rec = {"name": name, "t_start": now}
            if self.a.mark_exec and re.search(self.a.mark_exec_when, name):
                env = dict(os.environ, PV_QEMU_PID=str(self.proc.pid), PV_MARK=name)
                # SIGINT back to its default: a shell started in the background
                # inherits it ignored and could then not trap it.
                rec["exec"] = subprocess.Popen(
                    self.a.mark_exec, shell=True, env=env, start_new_session=True,
                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
                time.sleep(0.5)     # let it start before the workload does
            if self.traced(name):
                rec["trace_file"] = os.path.join(self.a.mark_dir, "mark-%s-%s.trace"
                                                 % (self.a.log_name, name))
                self.qmp.hmp("logfile " + rec["trace_file"])
                self.set_events(True)
            rec["qom_start"] = self.qom()
            self.open[name] = rec
        else:
            rec = self.open.pop(name, None)
            if rec is None:
                self.errors.append("PV-MARK stop %s without a start" % name)
                rec = {"name": name, "t_start": now, "qom_start": {}}
            rec["qom_stop"] = self.qom()
            ex = rec.pop("exec", None)
            if ex:
                try:
                    os.killpg(ex.pid, signal.SIGINT)
                    rec["exec_status"] = ex.wait(timeout=60)
                except (OSError, subprocess.TimeoutExpired) as e:
                    ex.kill()
                    self.errors.append("--mark-exec for %s: %s" % (name, e))
            rec["t_stop"] = now
            rec["wall"] = now - rec["t_start"]
            if "trace_file" in rec:
                self.set_events(False)
                self.qmp.hmp("logfile " + (self.next_segment() if self.a.trace else os.devnull))
                rec["trace"] = count_trace(rec["trace_file"], self.a.mark_trace)
                if not self.a.keep_mark_trace:
                    os.unlink(rec["trace_file"])
            rec["qom_delta"] = {k: qom_delta(rec["qom_start"].get(k), v)
                                for k, v in rec["qom_stop"].items()}
            self.marks.append(rec)
            print("# mark %s: %.2fs%s" % (name, rec["wall"], "".join(
                " %s" % json.dumps(d, sort_keys=True) for d in rec["qom_delta"].values()
                if d)), flush=True)
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()

    def reader(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            self.log.write(line)
            self.log.flush()
            m = MARK_RE.search(line)
            if m:
                try:
                    self.on_mark(m.group(1), m.group(2))
                except (OSError, EOFError, RuntimeError, ValueError) as e:
                    self.errors.append("PV-MARK %s %s: %s" % (m.group(1), m.group(2), e))
                    try:
                        self.proc.stdin.write(b"\n")
                        self.proc.stdin.flush()
                    except OSError:
                        pass
        if self.qmp:
            self.qmp.close()


def qom_delta(a, b):
    """Numeric fields of b minus a (dicts of counters), else b."""
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: (v - a.get(k, 0) if isinstance(v, (int, float)) else v)
                for k, v in b.items()}
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return b - a
    return b


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
    p.add_argument("--plain-device", action="append", default=[],
                   help="extra -device taken as is, without the virtio properties "
                        "(iommu_platform, disable-legacy), e.g. pci-testdev; a PCI "
                        "device is behind the IOMMU anyway")
    p.add_argument("--append", action="append", default=[], help="extra kernel parameter")
    p.add_argument("--qemu-arg", action="append", default=[], help="extra QEMU argument")
    p.add_argument("--trace", action="append", default=[],
                   help="QEMU trace event (pattern) to count")
    p.add_argument("--expect-trace", action="append", default=[], metavar="EVENT>=N",
                   help="fail unless the trace event count satisfies the condition "
                        "(EVENT>=N, EVENT<=N or EVENT==N)")
    p.add_argument("--check", action="append", default=[], metavar="CMD",
                   help="shell command run after QEMU has exited, with PV_TRACE_FILE "
                        "(this boot's trace log) and PV_CONSOLE_LOG in its environment; "
                        "its output is printed as diagnostics and the boot fails if it "
                        "exits non-zero")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--mem", default="1G")
    p.add_argument("--name", help="log name (default: scenario-iommu)")
    p.add_argument("--qemu", default=os.path.join(OUT, "qemu-system-aarch64"))
    p.add_argument("--kernel", default=os.path.join(OUT, "Image"))
    p.add_argument("--initrd", default=os.path.join(OUT, "initramfs.cpio.gz"))
    p.add_argument("--verbose", action="store_true", help="kernel messages on the console")
    p.add_argument("--show-console", action="store_true", help="print the whole console")
    g = p.add_argument_group("live mode (PV-MARK windows, for the benchmark)")
    g.add_argument("--live", action="store_true",
                   help="QMP socket, console input open, PV-MARK handshake")
    g.add_argument("--mark-qom", action="append", default=[], metavar="PATH:PROP",
                   help="QOM property read at every PV-MARK, e.g. "
                        "/machine/peripheral/viommu/virtio-backend:stats")
    g.add_argument("--mark-trace", action="append", default=[], metavar="EVENT",
                   help="trace event (pattern) enabled only inside PV-MARK windows "
                        "and counted per window")
    g.add_argument("--mark-trace-when", default="", metavar="REGEX",
                   help="trace only the windows whose name matches (default: all)")
    g.add_argument("--keep-mark-trace", action="store_true",
                   help="keep each window's trace log (default: counted, then removed)")
    g.add_argument("--mark-exec", metavar="CMD",
                   help="shell command started at each window's start (environment: "
                        "PV_QEMU_PID, PV_MARK) and stopped with SIGINT at its end, "
                        "e.g. perf record -p $PV_QEMU_PID")
    g.add_argument("--mark-exec-when", default="", metavar="REGEX",
                   help="run --mark-exec only in the windows whose name matches")
    g.add_argument("--marks-json", help="write the windows' figures here (JSON)")
    a = p.parse_args()
    if (a.mark_qom or a.mark_trace or a.mark_exec or a.marks_json) and not a.live:
        p.error("--mark-qom, --mark-trace, --mark-exec and --marks-json need --live")

    expects = []
    for ev in a.expect_trace:
        m = re.match(r"^([\w*]+)(>=|<=|==)(\d+)$", ev)
        if not m:
            p.error("--expect-trace wants EVENT>=N, EVENT<=N or EVENT==N, not %r" % ev)
        expects.append((m.group(1), m.group(2), int(m.group(3))))
        if m.group(1) not in a.trace:
            a.trace.append(m.group(1))
    name = a.name or "%s-%s" % (a.scenario, a.iommu)
    a.log_name = name
    a.mark_dir = LOGS
    os.makedirs(LOGS, exist_ok=True)
    console_log = os.path.join(LOGS, "boot-%s.log" % name)
    a.trace_file = os.path.join(LOGS, "boot-%s.trace" % name)
    for f in (a.qemu, a.kernel, a.initrd):
        if not os.path.exists(f):
            print("# boot: %s is missing (run make qemu / kernel / initramfs)" % f)
            return 2
    if os.path.exists(a.trace_file):
        os.unlink(a.trace_file)

    live = None
    if a.live:
        qmp_dir = tempfile.mkdtemp(prefix="pv-boot-")
        a.qmp_path = os.path.join(qmp_dir, "qmp.sock")
        if a.trace:
            for old in [f for f in os.listdir(LOGS)
                        if f.startswith(os.path.basename(a.trace_file) + ".")]:
                os.unlink(os.path.join(LOGS, old))
    cmd = qemu_command(a)
    print("# boot %s: %s" % (name, " ".join(shlex.quote(c) for c in cmd)), flush=True)
    t0 = time.monotonic()
    timed_out = False
    with open(console_log, "w") as log:
        if a.live:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            live = Live(a, proc, log)
            reader = threading.Thread(target=live.reader, daemon=True)
            reader.start()
        else:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            qrc = proc.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            qrc = proc.wait()
        if live:
            reader.join(timeout=10)
    elapsed = time.monotonic() - t0
    if live:
        try:
            os.unlink(a.qmp_path)
            os.rmdir(os.path.dirname(a.qmp_path))
        except OSError:
            pass
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

    if live:
        for err in live.errors:
            problems.append("live mode: " + err)
        for mname in live.open:
            problems.append("PV-MARK window %s never stopped" % mname)
        if a.marks_json:
            with open(a.marks_json, "w") as f:
                json.dump({"name": name, "command": cmd, "elapsed": elapsed,
                           "marks": live.marks}, f, indent=1, sort_keys=True)

    counts = {}
    if a.trace:
        text = ""
        for tf in [a.trace_file] + (live.segments if live else []):
            if os.path.exists(tf):
                text += open(tf, errors="replace").read()
        for ev in a.trace:
            pat = re.compile(r"\b" + re.escape(ev).replace(r"\*", r"\w*") + r"\b")
            counts[ev] = len(pat.findall(text))
            print("# trace %s: %d" % (ev, counts[ev]))
    for evname, op, n in expects:
        c = counts.get(evname, 0)
        if not {">=": c >= n, "<=": c <= n, "==": c == n}[op]:
            problems.append("QEMU trace event %s fired %d times, expected %s %d"
                            % (evname, c, op, n))

    for check in a.check:
        env = dict(os.environ, PV_TRACE_FILE=a.trace_file, PV_CONSOLE_LOG=console_log)
        r = subprocess.run(check, shell=True, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           errors="replace")
        for line in r.stdout.splitlines():
            print("# check: " + line)
        if r.returncode != 0:
            problems.append("check %r exited with status %d" % (check, r.returncode))

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
