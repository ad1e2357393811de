#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench: the same guest workloads under every IOMMU configuration.

Boots the project's guest (scripts/boot.py --live) once per configuration
and repetition, interleaved (rep 1 of every configuration, then rep 2, ...),
on one snapshot of QEMU, kernel and initramfs taken at the start. In each
boot the guest (bench/guest/scenarios/bench.sh) runs dma_map_benchmark on a
pci-testdev and io_uring random 4 KiB O_DIRECT reads on a virtio-blk disk,
each run inside a PV-MARK window in which the host counts the IOMMU's exits:
virtio-iommu requests and kicks from the device's `stats` QOM property
(free, so counted in the timed runs), emulated SMMUv3 MMIO accesses from
QEMU trace events (which slow TCG down, so counted in a separate 1-second
"count" run after each timed run).

Writes bench/results/<date>/report.md, plots (PNG, gnuplot), summary.json
and the raw data (raw/), and the headline table of README.md between
<!-- bench:start --> and <!-- bench:end -->.

  bench/run-bench.py [--quick] [--reps N] [--out DIR] [--only REGEX]
                     [--no-readme] [--smoke]

--quick: one repetition, fewer and shorter cells, results in
bench/results/<date>-quick, README untouched. --smoke: one short cell per
configuration, TAP output, nothing written (for make test).
"""

import argparse
import datetime
import glob
import gzip
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("PV_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pv-iommu")
OUT = os.path.join(CACHE, "out")
LOGS = os.path.join(CACHE, "logs")
IMAGES = os.path.join(CACHE, "images")
SNAP = os.path.join(CACHE, "bench-snapshot")
BOOT = os.path.join(TOP, "scripts", "boot.py")

# Published exit costs for the projection (../shared/notes/performance-anchors.md)
EXIT_US = 2.306        # arm64 MMIO exit to user space (QEMU), Kunpeng 920
EXIT_KERNEL_US = 0.638  # arm64 MMIO exit handled in the kernel (ioeventfd), same source

VIOMMU_STATS = "/machine/peripheral/viommu/virtio-backend:stats"
SMMU_TRACE = ["smmuv3_write_mmio", "smmuv3_read_mmio", "smmuv3_cmdq_opcode"]

# id, label, boot.py arguments, invalidation mode, IOMMU kind, expected
# virtio-iommu endpoint mode
CONFIGS = [
    ("none", "no IOMMU", ["--iommu", "none"], None, "none", None),
    ("smmuv3-strict", "emulated SMMUv3, strict",
     ["--iommu", "smmuv3"], "strict", "smmuv3", None),
    ("smmuv3-lazy", "emulated SMMUv3, lazy",
     ["--iommu", "smmuv3"], "lazy", "smmuv3", None),
    ("stock-strict", "stock virtio-iommu (MAP/UNMAP), strict",
     ["--iommu", "virtio", "--iommu-prop", "nested=off"], "strict", "virtio", "map-unmap"),
    ("stock-lazy", "stock virtio-iommu (MAP/UNMAP), lazy",
     ["--iommu", "virtio", "--iommu-prop", "nested=off"], "lazy", "virtio", "map-unmap"),
    ("nested-strict", "pv-iommu nested, strict",
     ["--iommu", "virtio"], "strict", "virtio", "nested"),
    ("nested-lazy", "pv-iommu nested, lazy",
     ["--iommu", "virtio"], "lazy", "virtio", "nested"),
    ("fallback-strict", "pv-iommu fallback (MAP/UNMAP), strict",
     ["--iommu", "virtio", "--append", "virtio_iommu.nested=0"], "strict", "virtio", "map-unmap"),
    ("fallback-lazy", "pv-iommu fallback (MAP/UNMAP), lazy",
     ["--iommu", "virtio", "--append", "virtio_iommu.nested=0"], "lazy", "virtio", "map-unmap"),
]
SHORT = {
    "none": "none", "smmuv3-strict": "SMMUv3 strict", "smmuv3-lazy": "SMMUv3 lazy",
    "stock-strict": "stock strict", "stock-lazy": "stock lazy",
    "nested-strict": "nested strict", "nested-lazy": "nested lazy",
    "fallback-strict": "fallback strict", "fallback-lazy": "fallback lazy",
}

PROFILES = {
    "full": dict(reps=3, dma="1x1,16x1,1x2,16x2", dma_secs=3, qd="1,8,32", io_secs=3,
                 count_secs=1, perf=True, split_smp=True),
    "quick": dict(reps=1, dma="1x1,16x2", dma_secs=2, qd="1,32", io_secs=2, count_secs=1,
                  perf=False, split_smp=True),
    # make test: every configuration once, timing unused; SMMUv3 traced in
    # the timed runs (no count runs), one vCPU
    "smoke": dict(reps=1, dma="1x1", dma_secs=1, qd="8", io_secs=0.3, io_warm_ms=100,
                  count_secs=0, perf=False, prefix="bench-smoke", smp=1),
}


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cpio_names(path):
    """File names in a gzip'd newc cpio archive."""
    names = set()
    with gzip.open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 110 <= len(data):
        hdr = data[off:off + 110]
        if hdr[:6] != b"070701":
            break
        fsize = int(hdr[54:62], 16)
        nsize = int(hdr[94:102], 16)
        name = data[off + 110:off + 110 + nsize - 1].decode(errors="replace")
        if name == "TRAILER!!!":
            break
        names.add(name.lstrip("./") if name != "." else ".")
        off = (off + 110 + nsize + 3) & ~3
        off = (off + fsize + 3) & ~3
    return names


def ensure_initramfs():
    img = os.path.join(OUT, "initramfs.cpio.gz")
    need = {"scenarios/bench.sh", "bin/uringbench", "bin/dma_map_benchmark"}
    if os.path.exists(img) and need <= cpio_names(img):
        return
    log("initramfs lacks the benchmark's programs: scripts/build-initramfs.sh")
    subprocess.run([os.path.join(TOP, "scripts", "build-initramfs.sh")], check=True)
    if not need <= cpio_names(img):
        sys.exit("initramfs still lacks %s" % ", ".join(sorted(need - cpio_names(img))))


def snapshot(reuse=False, copy=True):
    """Copy QEMU, kernel and initramfs so that a rebuild by someone else
    during the run can't mix versions. reuse: keep the previous copies;
    copy=False: use out/ as it is (--smoke, which must not touch a
    snapshot that a running make bench uses)."""
    os.makedirs(SNAP, exist_ok=True)
    files = {}
    for name in ("qemu-system-aarch64", "Image", "initramfs.cpio.gz"):
        if not copy:
            src = os.path.realpath(os.path.join(OUT, name))
            files[name] = {"path": src, "from": src, "sha256": sha256(src), "mtime": ""}
            continue
        if reuse:
            dst = os.path.join(SNAP, name)
            if not os.path.exists(dst):
                sys.exit("%s is missing: no snapshot to reuse" % dst)
            files[name] = {"path": dst, "from": dst + " (previous snapshot)",
                           "sha256": sha256(dst), "mtime": datetime.datetime.fromtimestamp(
                               os.path.getmtime(dst)).isoformat(" ", "seconds")}
            continue
        src = os.path.join(OUT, name)
        if not os.path.exists(src):
            sys.exit("%s is missing: run make qemu / kernel / initramfs" % src)
        dst = os.path.join(SNAP, name)
        shutil.copy2(os.path.realpath(src), dst + ".tmp")
        os.replace(dst + ".tmp", dst)
        if name == "Image":
            # System.map of the same build, for the guest profile
            smap = os.path.join(CACHE, "linux-build", "System.map")
            img_t = os.path.getmtime(os.path.realpath(src))
            if os.path.exists(smap) and abs(os.path.getmtime(smap) - img_t) < 900:
                shutil.copy2(smap, os.path.join(SNAP, "System.map"))
            elif os.path.exists(os.path.join(SNAP, "System.map")):
                os.unlink(os.path.join(SNAP, "System.map"))
        files[name] = {"path": dst, "from": os.path.realpath(src), "sha256": sha256(dst),
                       "mtime": datetime.datetime.fromtimestamp(
                           os.path.getmtime(os.path.realpath(src))).isoformat(" ", "seconds")}
    return files


def machine_info():
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        cpu = open("/proc/cpuinfo").read()
        m = re.search(r"^model name\s*:\s*(.*)$", cpu, re.M)
        info["cpu"] = m.group(1).strip() if m else platform.processor() or "unknown"
    except OSError:
        info["cpu"] = "unknown"
    try:
        mem = open("/proc/meminfo").read()
        m = re.search(r"^MemTotal:\s*(\d+) kB", mem, re.M)
        info["mem_gib"] = round(int(m.group(1)) / 1048576, 1)
    except (OSError, AttributeError):
        info["mem_gib"] = None
    return info


def git_info():
    def git(*args):
        return subprocess.run(["git", "-C", TOP] + list(args), capture_output=True,
                              text=True).stdout.rstrip("\n")
    return {"head": git("rev-parse", "--short", "HEAD"),
            "subject": git("log", "-1", "--format=%s"),
            "dirty": [l[3:] for l in git("status", "--porcelain").splitlines()]}


def boot_args(cfg, prof, files, name, raw_dir, count, smp=2):
    cid, _, iargs, mode, kind, expect_mode = cfg
    img = os.path.join(IMAGES, "disk64.img")
    args = [BOOT, "--scenario", "bench", "--name", name, "--disk", img,
            "--plain-device", "pci-testdev", "--smp", str(smp), "--live",
            "--qemu", files["qemu-system-aarch64"]["path"],
            "--kernel", files["Image"]["path"],
            "--initrd", files["initramfs.cpio.gz"]["path"],
            "--marks-json", os.path.join(raw_dir, name + ".json")] + iargs
    appends = ["pv.live=1", "pv.dma=" + prof["dma"], "pv.dma_secs=%d" % prof["dma_secs"],
               "pv.qd=" + prof["qd"], "pv.io_secs=%g" % prof["io_secs"]]
    if "io_warm_ms" in prof:
        appends.append("pv.io_warm_ms=%d" % prof["io_warm_ms"])
    if mode:
        appends.append("iommu.strict=%d" % (mode == "strict"))
        appends.append("pv.expect_type=" + ("DMA" if mode == "strict" else "DMA-FQ"))
    if expect_mode:
        appends.append("pv.expect_mode=" + expect_mode)
    if kind == "virtio":
        args += ["--iommu-prop", "id=viommu", "--mark-qom", VIOMMU_STATS]
    if kind == "smmuv3" and count:
        for ev in SMMU_TRACE:
            args += ["--mark-trace", ev]
        if prof["count_secs"]:
            appends.append("pv.count_secs=%d" % prof["count_secs"])
            args += ["--mark-trace-when", r"\.count$"]
    for ap in appends:
        args += ["--append", ap]
    ncells = len(prof["dma"].split(",")) if prof["dma"] != "none" else 0
    nqd = len(prof["qd"].split(",")) if prof["qd"] != "none" else 0
    work = ncells * prof["dma_secs"] + nqd * (prof["io_secs"] + 0.5)
    if kind == "smmuv3" and count:
        work += (ncells + nqd) * (prof["count_secs"] + 0.5)
    args += ["--timeout", "%d" % (90 + 3 * work)]
    return args


RESULT_RE = re.compile(r"PV-RESULT (dma|io) (.*)$")


def parse_console(path):
    results, kernel = {}, None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = RESULT_RE.search(line)
            if m:
                kv = dict(x.split("=", 1) for x in m.group(2).split() if "=" in x)
                for k, v in kv.items():
                    try:
                        kv[k] = float(v) if re.match(r"^-?[0-9.]+$", v) else v
                    except ValueError:
                        pass
                kv["kind"] = m.group(1)
                results[kv["name"]] = kv
            m = re.search(r"# kernel (\S+), (\d+) CPUs", line)
            if m:
                kernel = m.group(1)
    return results, kernel


def boot_parts(prof):
    """(name suffix, vCPUs, dma cells, queue depths) of the boots of one
    configuration and repetition: with split_smp, the one-thread
    dma_map_benchmark cells in a -smp 1 guest (less noise, comparable with
    the issue's baseline), the rest in a -smp 2 guest."""
    cells = [c for c in prof["dma"].split(",") if c != "none"]
    qds = prof["qd"]
    if not prof.get("split_smp"):
        return [("", prof.get("smp", 2), prof["dma"], qds)]
    t1 = [c for c in cells if c.endswith("x1")]
    t2 = [c for c in cells if not c.endswith("x1")]
    parts = []
    if t1:
        parts.append(("-smp1", 1, ",".join(t1), "none"))
    if t2 or qds != "none":
        parts.append(("-smp2", 2, ",".join(t2) or "none", qds))
    return parts


def run_boot(cfg, prof, files, rep, raw_dir, count, retries=1):
    """Every boot of one configuration and repetition, merged."""
    cid = cfg[0]
    rec = {"config": cid, "rep": rep, "ok": True, "status": 0, "wall": 0.0, "load": None,
           "results": {}, "marks": {}, "kernel": None, "fails": [], "commands": []}
    for sfx, smp, dma, qds in boot_parts(prof):
        name = "%s-%s-r%d%s" % (prof.get("prefix", "bench"), cid, rep, sfx)
        args = boot_args(cfg, dict(prof, dma=dma, qd=qds), files, name, raw_dir, count, smp)
        console = os.path.join(LOGS, "boot-%s.log" % name)
        for attempt in range(retries + 1):
            # A boot that fails before it starts leaves no console or marks:
            # never read an earlier boot's
            for stale in (console, os.path.join(raw_dir, name + ".json")):
                if os.path.exists(stale):
                    os.unlink(stale)
            t0 = time.monotonic()
            load = os.getloadavg()[0]
            proc = subprocess.run(args, capture_output=True, text=True, errors="replace")
            dt = time.monotonic() - t0
            if os.path.exists(console):
                shutil.copy(console, os.path.join(raw_dir, name + ".console.log"))
            with open(os.path.join(raw_dir, name + ".boot.txt"), "w") as f:
                f.write(proc.stdout)
            ok = proc.returncode == 0
            if ok or attempt == retries:
                break
            log("  %s failed (status %d), retrying in 20 s:\n%s" % (
                name, proc.returncode, "\n".join(
                    "    " + l for l in proc.stdout.splitlines()
                    if l.startswith("# FAIL") or l.startswith("not ok"))))
            time.sleep(20)
        results, kernel = parse_console(console) if os.path.exists(console) else ({}, None)
        mj = os.path.join(raw_dir, name + ".json")
        if os.path.exists(mj):
            for m in json.load(open(mj))["marks"]:
                rec["marks"][m["name"]] = m
        for r in results.values():
            r["smp"] = smp
        rec["results"].update(results)
        rec["kernel"] = rec["kernel"] or kernel
        rec["ok"] = rec["ok"] and ok
        rec["status"] = rec["status"] or proc.returncode
        rec["wall"] += dt
        rec["load"] = max(load, rec["load"] or 0)
        rec["fails"] += [l for l in proc.stdout.splitlines()
                         if l.startswith("# FAIL") or l.startswith("not ok")]
        rec["commands"].append([os.path.relpath(args[0], TOP)] + args[1:])
    return rec


def smoke_checks(cfg, b, prof):
    """(description, passed) for one boot of --smoke: the guest ran every
    window, each gave its numbers, and the IOMMU's exits counted in each look
    like the configuration's (bounds loose enough for a busy machine)."""
    cid, kind, mode = cfg[0], cfg[4], cfg[3]
    out = [("guest ran the benchmark scenario (%s)" % ("; ".join(b["fails"])[:150] or "ok"),
            b["ok"])]
    dmas = ["dma-g%s-t%s" % tuple(c.split("x")) for c in prof["dma"].split(",") if c != "none"]
    ios = ["io-qd%s" % q for q in prof["qd"].split(",") if q != "none"]

    def num(r, k):
        v = (r or {}).get(k)
        return v if isinstance(v, float) and v > 0 else None

    got, good = [], True
    for n in dmas + ios:
        r = b["results"].get(n)
        keys = ("map_us", "unmap_us") if n in dmas else ("iops", "ios")
        vals = [num(r, k) for k in keys]
        good = good and None not in vals
        if n in dmas:
            got.append("%s map %s unmap %s us" % ((n,) + tuple(
                "-" if v is None else "%g" % v for v in vals)))
        else:
            got.append("%s %s IOPS%s" % (n, "-" if vals[0] is None else "%.0f" % vals[0],
                                         "" if vals[1] else " (no read)"))
    out.append(("numbers: %s" % ", ".join(got), good))

    def pairs(n):
        """Upper bound of the map/unmap pairs of a dma window (the loop's
        own time is left out), None without numbers."""
        r = b["results"].get(n) or {}
        t = num(r, "map_us") and num(r, "unmap_us") and (r["map_us"] + r["unmap_us"])
        return t and r.get("threads", 1) * r.get("secs", 1) * 1e6 / t

    def per_pair(n, x):
        p = pairs(n)
        return x / p if p else None

    def rate(r, nd):
        return "-" if r is None else "%.*f" % (nd, r)

    if kind == "none":
        return out
    for n in dmas + ios:
        if kind == "virtio":
            st = stats_delta(b["marks"].get(n))
            if st is None:
                out.append(("%s: device stats counted" % n, False))
                continue
            c = {k: st.get(k, 0) for k in ("kicks", "req-map", "req-unmap", "req-invalidate",
                                            "req-attach-table")}
            desc = "%s: MAP %d, UNMAP %d, INVALIDATE %d, kicks %d" % (
                n, c["req-map"], c["req-unmap"], c["req-invalidate"], c["kicks"])
            if cid.startswith("nested"):
                good = c["req-map"] == 0 and c["req-unmap"] == 0 and \
                    c["kicks"] <= c["req-invalidate"]
                if mode == "strict":
                    good = good and c["req-invalidate"] > 0
                    if n in dmas:
                        # one INVALIDATE per unmap, one thread: exactly one per pair
                        r = per_pair(n, c["req-invalidate"])
                        desc += ", %s INVALIDATE per pair (0.3-1.3)" % rate(r, 2)
                        good = good and r is not None and 0.3 <= r <= 1.3
                elif n in dmas:
                    # the flush queue: a few ASID invalidations, not one per unmap
                    r = per_pair(n, c["req-invalidate"])
                    desc += ", %s INVALIDATE per pair (<= 0.05)" % rate(r, 4)
                    good = good and r is not None and r <= 0.05
            else:
                good = c["req-map"] > 0 and c["req-unmap"] > 0 and c["kicks"] > 0 and \
                    c["req-invalidate"] == 0 and c["req-attach-table"] == 0
                if n in dmas:
                    r = per_pair(n, c["req-map"])
                    desc += ", %s MAP per pair (0.3-1.3)" % rate(r, 2)
                    good = good and r is not None and 0.3 <= r <= 1.3
            out.append((desc, good))
        elif kind == "smmuv3":
            tr = smmu_traps((b["marks"].get(n) or {}).get("trace"))
            if tr is None:
                out.append(("%s: SMMUv3 MMIO traced" % n, False))
                continue
            prod, cons, allmmio, tlbi = tr
            desc = "%s: CMDQ_PROD writes %d, CMDQ_CONS reads %d, TLBI_NH_VA %d" % (
                n, prod, cons, tlbi)
            good = True
            if mode == "strict":
                good = prod > 0 and tlbi > 0
                if n in dmas:
                    r = per_pair(n, tlbi)
                    desc += ", %s TLBI_NH_VA per pair (0.3-1.3)" % rate(r, 2)
                    good = good and r is not None and 0.3 <= r <= 1.3
            elif n in dmas:
                r = per_pair(n, tlbi)
                desc += ", %s TLBI_NH_VA per pair (<= 0.05)" % rate(r, 4)
                good = r is not None and r <= 0.05
            out.append((desc, good))
    return out


PERF_CONFIGS = ("smmuv3-strict", "stock-strict", "nested-strict")
PERF_SECS = 4
PERF_GROUPS = [
    ("translated guest code (JIT)", lambda comm, dso, sym: dso.startswith("[JIT]")),
    ("virtio-iommu device and libpvb",
     lambda comm, dso, sym: re.match(r"(virtio_iommu|pvb_|viommu)", sym)),
    ("SMMUv3 model", lambda comm, dso, sym: re.match(r"smmu", sym)),
    ("virtio core (queues, notify)",
     lambda comm, dso, sym: re.match(r"(virtio_|virtqueue|vring)", sym)),
    ("memory API, MMIO dispatch", lambda comm, dso, sym: re.match(
        r"(address_space|flatview|memory_region|io_(read|write)x|int_(ld|st)_mmio|"
        r"do_(ld|st)\w*_mmio|prepare_mmio|subpage_)", sym)),
    ("host kernel", lambda comm, dso, sym: "kernel" in dso),
    ("TCG runtime, softmmu, helpers, libraries", lambda comm, dso, sym: True),
]
PERF_LINE = re.compile(r"^\s+([0-9.]+)%\s+(.+?)\s{2,}(\S.*?)\s+\[[.kH]\]\s+(.*)$")


def perf_profiles(cfgs, files, outdir):
    """Where QEMU's time goes during dma_map_benchmark (4 KiB, 1 thread,
    strict): perf record on the QEMU process inside the window, one boot per
    configuration (thread names with -name debug-threads=on)."""
    if not shutil.which("perf"):
        log("perf not installed: no profiles")
        return {}
    pdir = os.path.join(outdir, "perf")
    os.makedirs(pdir, exist_ok=True)
    prof = dict(PROFILES["full"], dma="1x1", dma_secs=PERF_SECS, qd="none", reps=1)
    out = {}
    for cfg in cfgs:
        if cfg[0] not in PERF_CONFIGS:
            continue
        data = os.path.join(pdir, "%s.data" % cfg[0])
        name = "bench-perf-%s" % cfg[0]
        args = boot_args(cfg, prof, files, name, pdir, count=False, smp=1)
        args += ["--qemu-arg=-name", "--qemu-arg=debug-threads=on",
                 "--mark-exec", "exec perf record -q -e cpu-clock -F 999 -g -p $PV_QEMU_PID "
                 "-o %s" % shlex.quote(data), "--mark-exec-when", "^dma-g1-t1$"]
        proc = subprocess.run(args, capture_output=True, text=True, errors="replace")
        if proc.returncode != 0 or not os.path.exists(data):
            log("  perf %s: boot failed (status %d)" % (cfg[0], proc.returncode))
            continue
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                              "--sort", "comm,dso,sym", "-g", "none"],
                             capture_output=True, text=True, errors="replace").stdout
        with open(os.path.join(pdir, "%s.txt" % cfg[0]), "w") as f:
            f.write("\n".join(l for l in rep.splitlines()
                              if not PERF_LINE.match(l) or float(PERF_LINE.match(l).group(1)) >= 0.05))
        groups = {g: 0.0 for g, _ in PERF_GROUPS}
        threads, syms = {}, {}
        for line in rep.splitlines():
            m = PERF_LINE.match(line)
            if not m:
                continue
            pct, comm, dso, sym = float(m.group(1)), m.group(2).strip(), m.group(3).strip(), \
                m.group(4).strip()
            thr = comm if comm.startswith("CPU") else "other QEMU threads"
            threads[thr] = threads.get(thr, 0) + pct
            key = "[JIT] translated guest code" if dso.startswith("[JIT]") else sym
            syms[key] = syms.get(key, 0) + pct
            for g, match in PERF_GROUPS:
                if match(comm, dso, sym):
                    groups[g] += pct
                    break
        results, _ = parse_console(os.path.join(LOGS, "boot-%s.log" % name))
        r = results.get("dma-g1-t1", {})
        out[cfg[0]] = {"groups": groups,
                       "threads": sorted(((p, c) for c, p in threads.items()), reverse=True),
                       "symbols": sorted(((p, s) for s, p in syms.items()), reverse=True)[:10],
                       "map_us": r.get("map_us"), "unmap_us": r.get("unmap_us")}
        os.unlink(data)
        log("  perf %s: %s" % (cfg[0], ", ".join("%s %.1f%%" % (g, p) for g, p in groups.items()
                                                   if p >= 1)))
    return out


GPROF_CONFIGS = ("smmuv3-strict", "stock-strict", "nested-strict", "smmuv3-lazy", "nested-lazy")
GPROF_SRC = os.path.join(TOP, "bench", "host", "guestprof.c")
GPROF_SO = os.path.join(CACHE, "bench-tools", "guestprof.so")
GPROF_CTL = r"""CTL=%(ctl)s
touch $CTL.start; while [ -e $CTL.start ]; do sleep 0.01; done
trap 'touch $CTL.stop; while [ -e $CTL.stop ]; do sleep 0.01; done; exit 0' INT
while :; do sleep 0.05; done
"""


def build_guestprof():
    """The TCG plugin (bench/host/guestprof.c), built against the QEMU
    tree's plugin header; None if it can't be built."""
    hdr = os.path.join(CACHE, "qemu-src", "include", "qemu")
    if not os.path.exists(os.path.join(hdr, "qemu-plugin.h")):
        return None
    if os.path.exists(GPROF_SO) and os.path.getmtime(GPROF_SO) >= os.path.getmtime(GPROF_SRC):
        return GPROF_SO
    os.makedirs(os.path.dirname(GPROF_SO), exist_ok=True)
    glib = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0"], capture_output=True,
                          text=True).stdout.split()
    p = subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-I", hdr, "-o", GPROF_SO,
                        GPROF_SRC] + glib, capture_output=True, text=True)
    if p.returncode:
        log("guestprof plugin: build failed: %s" % p.stderr.strip()[:300])
        return None
    return GPROF_SO


def load_system_map(path):
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                syms.append((int(parts[0], 16), parts[2]))
    syms.sort()
    return syms


def guest_profiles(cfgs, files, outdir):
    """Guest instructions per map/unmap pair, by kernel function, with the
    guestprof TCG plugin (one extra boot per configuration, -smp 1). The
    pair count is exact: executions of dma_single_map_benchmark_do_map()."""
    import bisect
    smap = os.path.join(SNAP, "System.map")
    so = build_guestprof()
    if not so or not os.path.exists(smap):
        log("guest profile skipped (%s)" % ("no plugin" if not so else
                                             "no System.map of the snapshot's kernel"))
        return {}
    syms = load_system_map(smap)
    addrs = [a for a, _ in syms]
    by_name = {n: a for a, n in syms}
    entry = by_name.get("dma_single_map_benchmark_do_map")
    gdir = os.path.join(outdir, "guestprof")
    os.makedirs(gdir, exist_ok=True)
    prof = dict(PROFILES["full"], dma="1x1", dma_secs=PERF_SECS, qd="none", reps=1)
    out = {}
    for cfg in cfgs:
        if cfg[0] not in GPROF_CONFIGS:
            continue
        ctl = os.path.join(gdir, "ctl-" + cfg[0])
        raw = os.path.join(gdir, "%s.blocks" % cfg[0])
        script = os.path.join(gdir, "ctl-%s.sh" % cfg[0])
        with open(script, "w") as f:
            f.write(GPROF_CTL % {"ctl": shlex.quote(ctl)})
        name = "bench-gprof-%s" % cfg[0]
        args = boot_args(cfg, prof, files, name, gdir, count=False, smp=1)
        args += ["--qemu-arg=-plugin", "--qemu-arg=%s,ctl=%s,out=%s" % (so, ctl, raw),
                 "--mark-exec", "exec sh %s" % shlex.quote(script),
                 "--mark-exec-when", "^dma-g1-t1$"]
        proc = subprocess.run(args, capture_output=True, text=True, errors="replace")
        os.unlink(script)
        if proc.returncode != 0 or not os.path.exists(raw):
            log("  guest profile %s: boot failed (status %d)" % (cfg[0], proc.returncode))
            continue
        funcs, tot, pairs = {}, [0, 0, 0, 0, 0], 0
        with open(raw) as f:
            for line in f:
                v, ins, msr, mrs, bar, e = line.split()
                v, ins, msr, mrs, bar, e = int(v, 16), int(ins), int(msr), int(mrs), int(bar), int(e)
                if v == entry:
                    pairs += e
                i = bisect.bisect_right(addrs, v) - 1
                fn = syms[i][1] if i >= 0 and v >= 0xffff000000000000 else "(user space)"
                a = funcs.setdefault(fn, [0, 0, 0, 0, 0])
                for k, x in enumerate((ins * e, e, msr * e, mrs * e, bar * e)):
                    a[k] += x
                    tot[k] += x
        os.unlink(raw)
        if not pairs:
            log("  guest profile %s: no dma_map_benchmark pair counted" % cfg[0])
            continue
        results, _ = parse_console(os.path.join(LOGS, "boot-%s.log" % name))
        r = results.get("dma-g1-t1", {})
        top = sorted(funcs.items(), key=lambda x: -x[1][0])[:60]
        out[cfg[0]] = {"pairs": pairs, "map_us": r.get("map_us"), "unmap_us": r.get("unmap_us"),
                       "per_pair": {k: tot[i] / pairs for i, k in
                                    enumerate(("insns", "blocks", "msr", "mrs", "barriers"))},
                       "top": [(fn, a[0] / pairs, a[1] / pairs, a[2] / pairs, a[3] / pairs)
                               for fn, a in top]}
        with open(os.path.join(gdir, "%s.txt" % cfg[0]), "w") as f:
            f.write("# %s: %d map/unmap pairs in the window; per pair:\n" % (cfg[0], pairs))
            f.write("# function insns blocks msr mrs barriers\n")
            for fn, a in sorted(funcs.items(), key=lambda x: -x[1][0]):
                if a[0] / pairs >= 0.5:
                    f.write("%s %.1f %.1f %.2f %.2f %.2f\n" % ((fn,) + tuple(x / pairs for x in a)))
        pp = out[cfg[0]]["per_pair"]
        log("  guest profile %s: %.0f instructions, %.0f blocks per pair" % (
            cfg[0], pp["insns"], pp["blocks"]))
    return out


# --- analysis ---------------------------------------------------------------

def stats_delta(mark):
    if not mark:
        return None
    d = (mark.get("qom_delta") or {}).get(VIOMMU_STATS)
    return d if isinstance(d, dict) else None


def smmu_traps(trace):
    """(PROD writes, CONS reads, all SMMU MMIO accesses, TLBI_NH_VA commands)"""
    if trace is None:
        return None
    prod = trace.get("smmuv3_write_mmio addr=0x98", 0)
    cons = trace.get("smmuv3_read_mmio addr=0x9c", 0)
    allmmio = trace.get("smmuv3_write_mmio", 0) + trace.get("smmuv3_read_mmio", 0)
    tlbi = trace.get("smmuv3_cmdq_opcode SMMU_CMD_TLBI_NH_VA", 0)
    return prod, cons, allmmio, tlbi


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def analyse(boots, prof):
    """Per configuration and cell: per-repetition figures, then medians."""
    cfg_kind = {c[0]: c[4] for c in CONFIGS}
    dma_cells = [c for c in prof["dma"].split(",") if c != "none"]
    qds = [q for q in prof["qd"].split(",") if q != "none"]

    # 1. dma_map_benchmark: map/unmap pairs per run. Exact where the device
    # sees one request or command per pair: MAP requests (stock, fallback);
    # SMMUv3 strict, one TLBI_NH_VA per unmap (count runs); nested strict
    # with one thread, one INVALIDATE entry per unmap (with two threads,
    # adjacent ranges of the two threads may merge into one entry).
    # Elsewhere estimated from the timing: pairs = threads * seconds /
    # (map + unmap + overhead), the per-pair overhead of the loop (memset of
    # the buffer, ktime_get, truncation to 100 ns) calibrated per granule on
    # the exact one-thread runs.
    def exact_pairs(cid, cell, st=None, tr=None):
        if st:
            if st.get("req-map", 0) > 0:
                return st["req-map"]
            if cid == "nested-strict" and cell.endswith("x1") and st.get("inv-entries", 0) > 0:
                return st["inv-entries"]
        if tr and cid.endswith("strict") and tr[3] > 0:
            return tr[3]
        return None

    calib = {}
    for b in boots:
        for cell in dma_cells:
            g, t = cell.split("x")
            name = "dma-g%s-t%s" % (g, t)
            r = b["results"].get(name)
            ex = exact_pairs(b["config"], cell, st=stats_delta(b["marks"].get(name)))
            if r and ex:
                calib.setdefault(cell, []).append(float(t) * r["secs"] * 1e6 / ex
                                                  - r["map_us"] - r["unmap_us"])
            rc = b["results"].get(name + ".count")
            ex = exact_pairs(b["config"], cell,
                             tr=smmu_traps((b["marks"].get(name + ".count") or {}).get("trace")))
            if rc and ex:
                calib.setdefault(cell + "/count", []).append(float(t) * rc["secs"] * 1e6 / ex
                                                             - rc["map_us"] - rc["unmap_us"])
    calib_med = {k: med(v) for k, v in calib.items()}

    def overhead_for(cell, count=False):
        g = cell.split("x")[0]
        sfx = "/count" if count else ""
        for key in (g + "x1" + sfx, g + "x1", cell + sfx, cell):
            if calib_med.get(key) is not None:
                return max(calib_med[key], 0.0)
        return 0.0
    overhead = {cell + sfx: overhead_for(cell, bool(sfx)) for cell in dma_cells
                for sfx in ("", "/count")}

    def loops_of(r, cell, exact=None, count=False):
        if exact:
            return exact, "exact"
        t = float(cell.split("x")[1])
        denom = r["map_us"] + r["unmap_us"] + overhead_for(cell, count)
        return (t * r["secs"] * 1e6 / denom if denom > 0 else None), "estimated"

    per = {}   # (config, cellkey) -> list of per-rep dicts
    for b in boots:
        cid = b["config"]
        kind = cfg_kind[cid]
        for cell in dma_cells:
            g, t = cell.split("x")
            name = "dma-g%s-t%s" % (g, t)
            r = b["results"].get(name)
            if not r:
                continue
            row = {"rep": b["rep"], "map": r["map_us"], "unmap": r["unmap_us"],
                   "pair": r["map_us"] + r["unmap_us"],
                   "map_sd": r.get("map_sd"), "unmap_sd": r.get("unmap_sd")}
            if kind == "virtio":
                st = stats_delta(b["marks"].get(name))
                if st:
                    loops, how = loops_of(r, cell, exact_pairs(cid, cell, st=st))
                    row.update(loops=loops, loops_how=how)
                    if loops:
                        nmap = st.get("req-map", 0)
                        kicks = st.get("kicks", 0)
                        row["req_map"] = nmap / loops
                        row["req_unmap"] = (st.get("req-unmap", 0) + st.get("req-invalidate", 0)) / loops
                        row["req_inv"] = st.get("req-invalidate", 0) / loops
                        row["inv_entries"] = st.get("inv-entries", 0) / loops
                        row["exits_pair"] = kicks / loops
                        row["exits_map"] = min(nmap, kicks) / loops
                        row["exits_unmap"] = (kicks - min(nmap, kicks)) / loops
            elif kind == "smmuv3":
                rc = b["results"].get(name + ".count")
                tr = smmu_traps((b["marks"].get(name + ".count") or {}).get("trace"))
                if rc and tr:
                    loops, how = loops_of(rc, cell, exact_pairs(cid, cell, tr=tr), count=True)
                    row.update(loops_count=loops, loops_how=how)
                    row["prod"] = tr[0] / loops
                    row["cons"] = tr[1] / loops
                    row["exits_pair"] = tr[2] / loops
                    row["exits_map"] = 0.0
                    row["exits_unmap"] = tr[2] / loops
                    row["tlbi"] = tr[3] / loops
            else:
                row.update(exits_pair=0.0, exits_map=0.0, exits_unmap=0.0)
            per.setdefault((cid, name), []).append(row)
        for qd in qds:
            name = "io-qd%s" % qd
            r = b["results"].get(name)
            if not r:
                continue
            row = {"rep": b["rep"], "iops": r["iops"], "p50": r["lat_us_p50"],
                   "p99": r["lat_us_p99"], "avg": r["lat_us_avg"]}
            if kind == "virtio":
                st = stats_delta(b["marks"].get(name))
                if st and r.get("ios_total"):
                    n = r["ios_total"]
                    row["exits_io"] = st.get("kicks", 0) / n
                    row["req_map_io"] = st.get("req-map", 0) / n
                    row["req_unmap_io"] = (st.get("req-unmap", 0) + st.get("req-invalidate", 0)) / n
                    row["walks_io"] = st.get("walks", 0) / n
            elif kind == "smmuv3":
                rc = b["results"].get(name + ".count")
                tr = smmu_traps((b["marks"].get(name + ".count") or {}).get("trace"))
                if rc and tr and rc.get("ios_total"):
                    row["exits_io"] = tr[2] / rc["ios_total"]
                    row["prod_io"] = tr[0] / rc["ios_total"]
                    row["cons_io"] = tr[1] / rc["ios_total"]
            else:
                row["exits_io"] = 0.0
            per.setdefault((cid, name), []).append(row)

    agg = {}
    for key, rows in per.items():
        a = {"n": len(rows), "rows": rows}
        for metric in sorted({k for r in rows for k in r if k not in ("rep", "loops_how")}):
            vals = [r.get(metric) for r in rows if isinstance(r.get(metric), (int, float))]
            if vals:
                a[metric] = {"med": med(vals), "min": min(vals), "max": max(vals)}
        a["loops_how"] = sorted({r.get("loops_how") for r in rows if r.get("loops_how")})
        agg[key] = a
    # Ratios to no IOMMU, same run, same cell (of the medians)
    for (cid, name), a in agg.items():
        base = agg.get(("none", name))
        if not base:
            continue
        for metric in ("map", "unmap", "pair", "iops", "p50", "p99"):
            if metric in a and metric in base and base[metric]["med"]:
                a.setdefault("ratio", {})[metric] = a[metric]["med"] / base[metric]["med"]
    # Calibration check: the estimate against the exact counts
    check = []
    for b in boots:
        for cell in dma_cells:
            g, t = cell.split("x")
            name = "dma-g%s-t%s" % (g, t)
            r = b["results"].get(name)
            ex = exact_pairs(b["config"], cell, st=stats_delta(b["marks"].get(name)))
            if r and ex:
                est, _ = loops_of(r, cell)
                check.append((cell, b["config"], est / ex - 1))
            rc = b["results"].get(name + ".count")
            ex = exact_pairs(b["config"], cell,
                             tr=smmu_traps((b["marks"].get(name + ".count") or {}).get("trace")))
            if rc and ex:
                est, _ = loops_of(rc, cell, count=True)
                check.append((cell + "/count", b["config"], est / ex - 1))
    return agg, overhead, calib, check


# --- report -----------------------------------------------------------------

def fmt(x, nd=1):
    if x is None:
        return "-"
    if isinstance(x, float) and abs(x) >= 1000:
        return "%.0f" % x
    if nd == 2 or (isinstance(x, float) and 0 < abs(x) < 0.1):
        return "%.3f" % x if abs(x) < 0.1 else "%.2f" % x
    return ("%%.%df" % nd) % x


def cellfmt(a, metric, nd=1):
    if not a or metric not in a:
        return "-"
    m = a[metric]
    if a["n"] > 1:
        return "%s [%s-%s]" % (fmt(m["med"], nd), fmt(m["min"], nd), fmt(m["max"], nd))
    return fmt(m["med"], nd)


def ratio(a, metric):
    r = (a or {}).get("ratio", {}).get(metric)
    return "%.2fx" % r if r is not None else "-"


def target_rows(agg, prof):
    """The issue's targets, each with its figure and whether it is met."""
    rows = []

    def g(cid, name, metric):
        a = agg.get((cid, name))
        return a[metric]["med"] if a and metric in a else None

    c1 = "dma-g1-t1"
    if "1x1" in prof["dma"].split(","):
        v = g("nested-strict", c1, "exits_map")
        rows.append(("nested: 0 exits per map (4K, 1 thread, strict)", fmt(v, 2),
                     v is not None and v == 0))
        v = g("nested-lazy", c1, "exits_map")
        rows.append(("nested: 0 exits per map (lazy)", fmt(v, 2), v is not None and v == 0))
        v = g("nested-strict", c1, "exits_unmap")
        s = g("smmuv3-strict", c1, "exits_unmap")
        rows.append(("nested strict: 1 request per unmap (SMMUv3 strict: %s traps)" % fmt(s, 2),
                     fmt(v, 2), v is not None and v <= 1.0 + 1e-9))
        v = g("nested-lazy", c1, "exits_unmap")
        rows.append(("nested lazy: <= 0.01 exits per unmap", fmt(v, 2),
                     v is not None and v <= 0.01))
        n, s, k = (g("nested-strict", c1, "pair"), g("smmuv3-strict", c1, "pair"),
                   g("stock-strict", c1, "pair"))
        if n and s:
            rows.append(("map+unmap 4K strict: nested <= 1.0x emulated SMMUv3",
                         "%.2fx (%s vs %s us)" % (n / s, fmt(n), fmt(s)), n / s <= 1.0))
        if n and k:
            rows.append(("map+unmap 4K strict: nested <= 0.35x stock virtio-iommu",
                         "%.2fx (%s vs %s us)" % (n / k, fmt(n), fmt(k)), n / k <= 0.35))
        n, s = g("nested-lazy", c1, "pair"), g("smmuv3-lazy", c1, "pair")
        if n and s:
            rows.append(("map+unmap 4K lazy: nested <= 1.0x emulated SMMUv3 lazy",
                         "%.2fx (%s vs %s us)" % (n / s, fmt(n), fmt(s)), n / s <= 1.0))
    if "32" in prof["qd"].split(","):
        for cid, lim in (("nested-lazy", 0.9), ("nested-strict", 0.7)):
            r = (agg.get((cid, "io-qd32")) or {}).get("ratio", {}).get("iops")
            rows.append(("QD32 IOPS: %s >= %.1fx no IOMMU" % (cid.replace("-", " "), lim),
                         "%.2fx" % r if r is not None else "-", r is not None and r >= lim))
    return rows


def plots(agg, prof, outdir, cfg_ids):
    """PNG plots with gnuplot; returns the file names written."""
    if not shutil.which("gnuplot"):
        return []
    made = []
    dma_cells = [c for c in prof["dma"].split(",") if c != "none"]
    qds = [q for q in prof["qd"].split(",") if q != "none"]
    pdir = os.path.join(outdir, "plots")
    os.makedirs(pdir, exist_ok=True)

    def q(s):
        return '"%s"' % s.replace('"', "'")

    def run(script, png):
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
        if p.returncode == 0 and os.path.exists(os.path.join(outdir, png)):
            made.append(png)
        else:
            log("gnuplot failed for %s: %s" % (png, p.stderr.strip()[:300]))

    common = ("set terminal pngcairo size 1000,520 font 'sans,10' noenhanced\n"
              "set style data histogram\nset style histogram errorbars gap 2 lw 1\n"
              "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
              "set xtics rotate by -30 scale 0\nset grid ytics\nset key top left\n"
              "set yrange [0:*]\nset offsets 0, 0, graph 0.08, 0\n")
    for cell in dma_cells:
        g, t = cell.split("x")
        name = "dma-g%s-t%s" % (g, t)
        dat = os.path.join(pdir, name + ".dat")
        with open(dat, "w") as f:
            f.write("# config map_med map_min map_max unmap_med unmap_min unmap_max\n")
            for cid in cfg_ids:
                a = agg.get((cid, name))
                if not a or "map" not in a:
                    continue
                f.write("%s %g %g %g %g %g %g\n" % (q(SHORT[cid]), a["map"]["med"], a["map"]["min"],
                                                   a["map"]["max"], a["unmap"]["med"],
                                                   a["unmap"]["min"], a["unmap"]["max"]))
        png = "plots/%s.png" % name
        run(common + "set output %s\nset ylabel 'microseconds (guest-measured, TCG)'\n"
            "set title %s\nplot %s using 2:3:4:xtic(1) title 'map', '' using 5:6:7 title 'unmap'\n"
            % (q(os.path.join(outdir, png)),
               q("dma_map_benchmark, %s KiB per map, %s thread(s): time per op, median [min-max]"
                 % (4 * int(g), t)), q(dat)), png)
    if qds:
        dat = os.path.join(pdir, "io-iops.dat")
        with open(dat, "w") as f:
            f.write("# config " + " ".join("qd%s_med qd%s_min qd%s_max" % (x, x, x) for x in qds) + "\n")
            for cid in cfg_ids:
                vals = []
                for qd in qds:
                    a = agg.get((cid, "io-qd%s" % qd))
                    vals += ([a["iops"]["med"], a["iops"]["min"], a["iops"]["max"]]
                             if a and "iops" in a else [0, 0, 0])
                f.write("%s %s\n" % (q(SHORT[cid]), " ".join("%g" % v for v in vals)))
        png = "plots/io-iops.png"
        cols = ", ".join("%s using %d:%d:%d%s title 'QD %s'" % (
            q(dat) if i == 0 else "''", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
            ":xtic(1)" if i == 0 else "", qd) for i, qd in enumerate(qds))
        run(common + "set output %s\nset ylabel 'IOPS (guest, TCG)'\nset title %s\nplot %s\n"
            % (q(os.path.join(outdir, png)),
               q("io_uring 4 KiB random O_DIRECT reads on virtio-blk: IOPS, median [min-max]"),
               cols), png)
        dat = os.path.join(pdir, "io-lat.dat")
        with open(dat, "w") as f:
            for cid in cfg_ids:
                vals = []
                for qd in qds:
                    a = agg.get((cid, "io-qd%s" % qd))
                    for m in ("p50", "p99"):
                        vals += [a[m]["med"], a[m]["min"], a[m]["max"]] if a and m in a else [0, 0, 0]
                f.write("%s %s\n" % (q(SHORT[cid]), " ".join("%g" % v for v in vals)))
        png = "plots/io-latency.png"
        parts = []
        for i, qd in enumerate(qds):
            for j, m in enumerate(("p50", "p99")):
                k = 2 + 6 * i + 3 * j
                parts.append("%s using %d:%d:%d%s title 'QD %s %s'" % (
                    q(dat) if not parts else "''", k, k + 1, k + 2,
                    ":xtic(1)" if not parts else "", qd, m))
        run(common + "set logscale y\nset yrange [*:*]\nset output %s\n"
            "set ylabel 'latency, microseconds (log scale)'\nset title %s\nplot %s\n"
            % (q(os.path.join(outdir, png)),
               q("io_uring 4 KiB random reads: latency percentiles, median [min-max]"),
               ", ".join(parts)), png)
    # Exits per operation
    dat = os.path.join(pdir, "exits.dat")
    cols = []
    if "1x1" in dma_cells:
        cols.append(("dma-g1-t1", "exits_map", "per 4K map"))
        cols.append(("dma-g1-t1", "exits_unmap", "per 4K unmap"))
    for qd in qds:
        cols.append(("io-qd%s" % qd, "exits_io", "per I/O, QD %s" % qd))
    with open(dat, "w") as f:
        for cid in cfg_ids:
            vals = []
            for name, m, _ in cols:
                a = agg.get((cid, name))
                vals.append(a[m]["med"] if a and m in a else 0)
            f.write("%s %s\n" % (q(SHORT[cid]), " ".join("%g" % v for v in vals)))
    png = "plots/exits.png"
    parts = ["%s using %d%s title %s" % (q(dat) if i == 0 else "''", 2 + i,
                                         ":xtic(1)" if i == 0 else "", q(label))
             for i, (_, _, label) in enumerate(cols)]
    run(common.replace("errorbars gap 2 lw 1", "clustered gap 2") +
        "set output %s\nset ylabel 'exits (kicks or MMIO traps) per operation'\n"
        "set title %s\nplot %s\n" % (q(os.path.join(outdir, png)),
                                     q("IOMMU exits per operation, counted in QEMU (median)"),
                                     ", ".join(parts)), png)
    return made


def write_report(outdir, meta, boots, agg, overhead, calib, check, prof, made, cfg_ids):
    L = []
    w = L.append
    tdone = meta["end"]
    w("# pv-iommu benchmark, %s" % meta["start"][:10])
    w("")
    w("Run %s to %s (%.1f min), profile `%s`: %d repetition(s) per cell, each a "
      "separate boot, configurations interleaved. Generated by `bench/run-bench.py`." % (
          meta["start"], tdone, meta["minutes"], meta["profile"], prof["reps"], ))
    w("")
    w("**TCG, not KVM.** Every guest runs under QEMU's TCG (multi-threaded, `-cpu max`), so "
      "times are emulated-CPU times, inflated by instruction translation and very different "
      "from KVM's: compare configurations with each other and with no IOMMU from the same run, "
      "not with hardware. The counts of exits (virtio-iommu kicks and requests, SMMUv3 MMIO "
      "register accesses) do not depend on the accelerator; the projection below turns them "
      "into KVM-like costs with published figures.")
    w("")
    w("## Machine and versions")
    w("")
    m = meta["machine"]
    w("| | |")
    w("|---|---|")
    w("| host | %s CPUs (`nproc`), %s, %s GiB RAM, Linux %s |" % (m["nproc"], m["cpu"],
                                                                m["mem_gib"], m["kernel"]))
    w("| load average | %.2f at the start, %.2f at the end, per boot %.2f-%.2f (other "
      "engineers' builds share the machine) |" % (
          meta["load_start"], meta["load_end"], min(b["load"] for b in boots),
          max(b["load"] for b in boots)))
    w("| QEMU | %s (`%s`, sha256 %s...) |" % (meta["qemu_version"],
                                            meta["files"]["qemu-system-aarch64"]["from"],
                                            meta["files"]["qemu-system-aarch64"]["sha256"][:16]))
    w("| guest kernel | Linux %s, arm64 tinyconfig + `guest-driver/guest.config` (`%s`, "
      "sha256 %s...) |" % (meta["guest_kernel"], meta["files"]["Image"]["from"],
                          meta["files"]["Image"]["sha256"][:16]))
    w("| initramfs | sha256 %s... (busybox, `uringbench`, `dma_map_benchmark` from "
      "tools/dma of the same kernel tree) |" % meta["files"]["initramfs.cpio.gz"]["sha256"][:16])
    w("| repository | %s %s%s |" % (meta["git"]["head"], meta["git"]["subject"],
                                     " (plus uncommitted changes in %s)" % ", ".join(
                                         sorted({p.split("/")[0] for p in meta["git"]["dirty"]}))
                                     if meta["git"]["dirty"] else ""))
    w("| guest | `virt,gic-version=3`, `-cpu max,pauth-impdef=on -m 1G`, TCG; %s; "
      "64 MiB raw disk (`readonly=on`, host page cache), `pci-testdev` for "
      "dma_map_benchmark |" % (
          "`-smp 1` for the one-thread dma_map_benchmark cells (less noise, as in the "
          "issue's baseline), `-smp 2` for the two-thread cells and io_uring (two boots "
          "per configuration and repetition)" if prof.get("split_smp") else "`-smp 2`"))
    w("")
    w("The three binaries were copied to `%s` before the first boot; every boot of the run "
      "used those copies.%s" % (SNAP.replace(os.path.expanduser("~"), "~"),
                                " (Rebuilt in `out/` during the run, not used: %s.)" % ", ".join(
                                    meta["changed_during_run"])
                                if meta.get("changed_during_run") else ""))
    w("")
    w("## Configurations")
    w("")
    w("| id | what | QEMU / kernel command line |")
    w("|---|---|---|")
    for c in CONFIGS:
        if c[0] not in cfg_ids:
            continue
        extra = "`boot.py %s`" % " ".join(c[2])
        if c[3]:
            extra += ", `iommu.strict=%d`" % (c[3] == "strict")
        w("| %s | %s | %s |" % (c[0], c[1], extra))
    w("")
    w("*stock* is this project's QEMU device with `nested=off` (the standard virtio-iommu "
      "plus the fixes of qemu-device patch 0001) and this project's driver, which then runs "
      "the stock MAP/UNMAP code. *fallback* is the nested-capable device with the driver "
      "forced to MAP/UNMAP (`virtio_iommu.nested=0`). The fallback's pin cache only applies "
      "to VFIO endpoints, which this setup does not have (pci-testdev and virtio-blk are "
      "emulated): for emulated endpoints fallback and stock do the same work, and the "
      "figures show the cost of the extension's presence in the device, nothing more.")
    w("")
    w("## Workloads")
    w("")
    w("* `dma_map_benchmark -t T -g G -s %d` (the kernel's tool, single-map mode, "
      "bidirectional, 32-bit mask) on a `pci-testdev` bound to the `dma_map_benchmark` "
      "driver through `driver_override`: cells %s (G pages of 4 KiB per map x T "
      "threads). The guest measures each map and unmap with ktime_get() (0.1 us "
      "resolution)." % (prof["dma_secs"], ", ".join(
          "%s KiB x %s" % (4 * int(c.split("x")[0]), c.split("x")[1])
          for c in prof["dma"].split(","))))
    w("* `uringbench /dev/vda QD %d` (bench/guest/uringbench.c, liburing, static): 4 KiB "
      "random O_DIRECT reads with QD reads in flight for %d s after a 0.3 s warm-up; "
      "IOPS and per-read latency percentiles (submission to completion), at QD %s." % (
          prof["io_secs"], prof["io_secs"], ", ".join(prof["qd"].split(","))))
    w("* Exits are counted by QEMU in a window that the guest opens and closes around each "
      "run (`PV-MARK`, `scripts/boot.py --live`): virtio-iommu kicks and requests from the "
      "device's `stats` QOM property (read over QMP before and after; free, so counted in "
      "the timed runs); SMMUv3 register accesses from the trace events `smmuv3_write_mmio` / "
      "`smmuv3_read_mmio` (by register offset: CMDQ_PROD 0x98, CMDQ_CONS 0x9c) and "
      "`smmuv3_cmdq_opcode`, enabled over QMP only during a separate %d s *count* run after "
      "each timed run, because tracing slows TCG down (the count run's own timing is "
      "discarded). No IOMMU: no exits by definition." % prof["count_secs"])
    w("")
    w("Exits per map and per unmap: a virtio-iommu kick is the exit; kicks are "
      "attributed to maps up to the number of MAP requests (a MAP is synchronous, so it "
      "needs its own kick), the rest to unmaps (UNMAP or INVALIDATE requests; in lazy mode "
      "stock UNMAPs ride on the next MAP's kick). SMMUv3: mapping only writes the page "
      "table, so every command-queue access is attributed to unmaps. The guest does not "
      "report how many map/unmap pairs dma_map_benchmark did; the count is exact where the "
      "device sees one request or command per pair (MAP requests; TLBI_NH_VA commands of "
      "SMMUv3 strict) and otherwise estimated as `threads x seconds / (map + unmap + "
      "overhead)`, the per-pair overhead of the benchmark loop (buffer memset, ktime_get, "
      "truncation to 100 ns) calibrated on the exact runs of the same cell (see "
      "*Loop-count calibration*).")
    w("")
    w("Medians over the repetitions, [min-max] in brackets; ratios are median over median "
      "of no IOMMU in the same run and cell.")
    w("")

    dma_cells = [c for c in prof["dma"].split(",") if c != "none"]
    qds = [q for q in prof["qd"].split(",") if q != "none"]
    w("## Targets (issue 7)")
    w("")
    w("| target | figure | met |")
    w("|---|---|---|")
    for t, v, ok in target_rows(agg, prof):
        w("| %s | %s | %s |" % (t, v, "not measured" if v == "-" else "yes" if ok else "**no**"))
    w("")
    w("## dma_map_benchmark")
    w("")
    for cell in dma_cells:
        g, t = cell.split("x")
        name = "dma-g%s-t%s" % (g, t)
        w("### %d KiB per map, %s thread%s" % (4 * int(g), t, "s" if t != "1" else ""))
        w("")
        w("| configuration | map us | unmap us | map+unmap us | x no IOMMU | exits per map | "
          "exits per unmap | detail per map+unmap |")
        w("|---|---|---|---|---|---|---|---|")
        for cid in cfg_ids:
            a = agg.get((cid, name))
            if not a:
                w("| %s | not run |||||||" % SHORT[cid])
                continue
            det = []
            if "req_map" in a:
                det.append("MAP %s, UNMAP/INV %s, kicks %s" % (
                    fmt(a["req_map"]["med"], 2), fmt(a["req_unmap"]["med"], 2),
                    fmt(a["exits_pair"]["med"], 2)))
            if "prod" in a:
                det.append("PROD writes %s, CONS reads %s, TLBI_NH_VA %s" % (
                    fmt(a["prod"]["med"], 2), fmt(a["cons"]["med"], 2), fmt(a["tlbi"]["med"], 2)))
            if a.get("loops_how"):
                det.append("pairs %s" % "/".join(a["loops_how"]))
            w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                SHORT[cid], cellfmt(a, "map"), cellfmt(a, "unmap"), cellfmt(a, "pair"),
                ratio(a, "pair"), cellfmt(a, "exits_map", 2), cellfmt(a, "exits_unmap", 2),
                "; ".join(det)))
        w("")
    if qds:
        w("## io_uring, 4 KiB random O_DIRECT reads")
        w("")
        for qd in qds:
            name = "io-qd%s" % qd
            w("### queue depth %s" % qd)
            w("")
            w("| configuration | IOPS | x no IOMMU | p50 us | p99 us | x no IOMMU (p50) | "
              "IOMMU exits per I/O | detail per I/O |")
            w("|---|---|---|---|---|---|---|---|")
            for cid in cfg_ids:
                a = agg.get((cid, name))
                if not a:
                    w("| %s | not run |||||||" % SHORT[cid])
                    continue
                det = ""
                if "req_map_io" in a:
                    det = "MAP %s, UNMAP/INV %s, table walks %s" % (
                        fmt(a["req_map_io"]["med"], 2), fmt(a["req_unmap_io"]["med"], 2),
                        fmt(a["walks_io"]["med"], 2))
                elif "prod_io" in a:
                    det = "PROD writes %s, CONS reads %s" % (fmt(a["prod_io"]["med"], 2),
                                                             fmt(a["cons_io"]["med"], 2))
                w("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    SHORT[cid], cellfmt(a, "iops", 0), ratio(a, "iops"), cellfmt(a, "p50"),
                    cellfmt(a, "p99"), ratio(a, "p50"), cellfmt(a, "exits_io", 2), det))
            w("")
        w("virtio-blk's own notifications (one or fewer per I/O in every configuration) are "
          "not counted: the exits above are the IOMMU's only.")
        w("")

    w("## Projection to KVM (a projection, not a measurement)")
    w("")
    w("Counted exits multiplied by a published cost: **%.1f us per exit**, an arm64 MMIO "
      "exit to user space (QEMU), kvm-unit-tests on Kunpeng 920 (kvm list, Nov 2023; "
      "`../shared/notes/performance-anchors.md`). A virtio kick is an MMIO write to the "
      "notification region, so the same figure is used; with ioeventfd the exit itself is "
      "handled in the kernel (%.3f us, same source) but the request is still processed "
      "by QEMU's thread, so 2.3 us is the figure to compare with SMMUv3's traps, whose "
      "emulation runs in QEMU too. The projection counts exits only: not the device's "
      "work per request (walks, IOTLB), not the guest's own page-table work, and not the "
      "emulated SMMUv3's CMD_SYNC wait." % (EXIT_US, EXIT_KERNEL_US))
    w("")
    heads = []
    if "1x1" in dma_cells:
        heads += [("dma-g1-t1", "exits_map", "4K map"), ("dma-g1-t1", "exits_unmap", "4K unmap")]
    if "16x1" in dma_cells:
        heads += [("dma-g16-t1", "exits_pair", "64K map+unmap")]
    for qd in qds:
        heads.append(("io-qd%s" % qd, "exits_io", "I/O at QD %s" % qd))
    w("| configuration | " + " | ".join("exits per %s -> us" % h[2] for h in heads) + " |")
    w("|---|" + "---|" * len(heads))
    for cid in cfg_ids:
        cells = []
        for name, metric, _ in heads:
            a = agg.get((cid, name))
            v = a[metric]["med"] if a and metric in a else None
            cells.append("%s -> **%s**" % (fmt(v, 2), fmt(v * EXIT_US, 2)) if v is not None else "-")
        w("| %s | %s |" % (SHORT[cid], " | ".join(cells)))
    w("")
    if made:
        w("## Plots")
        w("")
        for png in made:
            w("![%s](%s)" % (os.path.basename(png)[:-4], png))
            w("")
    if meta.get("perf"):
        pcfg = [c for c in PERF_CONFIGS if c in meta["perf"]]
        w("## Where QEMU's time goes (perf, 4 KiB map/unmap, 1 thread, strict)")
        w("")
        w("`perf record -e cpu-clock -F 999 -p <QEMU>` during a %d s dma_map_benchmark run "
          "(one extra boot per configuration; its timing is not used above). Under TCG the "
          "vCPU thread runs the guest and also handles its MMIO accesses and virtio kicks "
          "(there is no ioeventfd), so device emulation shows up in the vCPU threads. "
          "Self time, grouped; full listings in `perf/<config>.txt`." % PERF_SECS)
        w("")
        w("| share of QEMU's samples | " + " | ".join(SHORT[c] for c in pcfg) + " |")
        w("|---|" + "---|" * len(pcfg))
        w("| map / unmap us in that run | " + " | ".join(
            "%s / %s" % (fmt(meta["perf"][c].get("map_us")), fmt(meta["perf"][c].get("unmap_us")))
            for c in pcfg) + " |")
        for g, _ in PERF_GROUPS:
            w("| %s | %s |" % (g, " | ".join("%.1f%%" % meta["perf"][c]["groups"].get(g, 0)
                                             for c in pcfg)))
        for c in pcfg:
            pr = meta["perf"][c]
        w("| by thread | " + " | ".join(", ".join("%s %.0f%%" % (t, p) for p, t in
                                                   meta["perf"][c]["threads"][:3])
                                         for c in pcfg) + " |")
        w("")
        w("Top symbols (self):")
        w("")
        for c in pcfg:
            w("* %s: %s" % (SHORT[c], ", ".join("`%s` %.1f%%" % (sname, p) for p, sname in
                                               meta["perf"][c]["symbols"][:8])))
        w("")
    if meta.get("gprof"):
        gcfg = [c for c in GPROF_CONFIGS if c in meta["gprof"]]
        w("## Where the guest's time goes (guest instructions per map+unmap, TCG plugin)")
        w("")
        w("`bench/host/guestprof.c`, a TCG plugin, counts the executions of every "
          "translated block of guest code during a %d s dma_map_benchmark run (4 KiB, 1 "
          "thread, `-smp 1`, one extra boot per configuration; timing not used above); "
          "blocks are mapped to kernel functions with the kernel's System.map, and divided "
          "by the exact number of pairs (executions of `dma_single_map_benchmark_do_map`). "
          "Under TCG the cost of guest code grows with instructions and even more with "
          "block transitions (each needs a TB lookup unless chained: `helper_lookup_tb_ptr` "
          "tops the perf profile above). The window includes the benchmark loop itself "
          "(ktime_get, memset). Full lists: `guestprof/<config>.txt`." % PERF_SECS)
        w("")
        w("| per map+unmap pair | " + " | ".join(SHORT[c] for c in gcfg) + " |")
        w("|---|" + "---|" * len(gcfg))
        w("| map / unmap us in that run | " + " | ".join(
            "%s / %s" % (fmt(meta["gprof"][c].get("map_us")),
                         fmt(meta["gprof"][c].get("unmap_us"))) for c in gcfg) + " |")
        for k, label in (("insns", "guest instructions"), ("blocks", "translated blocks run"),
                         ("msr", "MSR (system register writes, DAIF masking)"),
                         ("mrs", "MRS (system register reads)"),
                         ("barriers", "DSB / DMB / ISB")):
            w("| %s | %s |" % (label, " | ".join(
                "%.0f" % meta["gprof"][c]["per_pair"][k] if k in ("insns", "blocks")
                else "%.1f" % meta["gprof"][c]["per_pair"][k] for c in gcfg)))
        w("")
        for c in gcfg:
            w("* %s, top functions (instructions / blocks per pair): %s" % (
                SHORT[c], ", ".join("`%s` %.0f/%.0f" % (fn, ins, blk)
                                    for fn, ins, blk, _, _ in meta["gprof"][c]["top"][:10])))
        w("")
        for a_, b_ in (("nested-strict", "smmuv3-strict"), ("nested-strict", "stock-strict"),
                       ("nested-lazy", "smmuv3-lazy")):
            if a_ not in meta["gprof"] or b_ not in meta["gprof"]:
                continue
            A, B = meta["gprof"][a_], meta["gprof"][b_]
            fa = {t[0]: t for t in A["top"]}
            fb = {t[0]: t for t in B["top"]}
            diff = []
            for fn in set(fa) | set(fb):
                ia = fa.get(fn, (fn, 0, 0, 0, 0))
                ib = fb.get(fn, (fn, 0, 0, 0, 0))
                diff.append((ia[1] - ib[1], ia[2] - ib[2], fn))
            diff.sort(reverse=True)
            pa, pb = A["per_pair"], B["per_pair"]
            w("%s against %s, per pair: %+.0f guest instructions, %+.0f blocks, %+.1f MSR, "
              "%+.1f MRS. Largest differences (instructions/blocks): %s; %s." % (
                  SHORT[a_], SHORT[b_], pa["insns"] - pb["insns"], pa["blocks"] - pb["blocks"],
                  pa["msr"] - pb["msr"], pa["mrs"] - pb["mrs"],
                  ", ".join("`%s` %+.0f/%+.0f" % (fn, di, db) for di, db, fn in diff[:8]
                            if di > 0),
                  ", ".join("`%s` %+.0f/%+.0f" % (fn, di, db) for di, db, fn in diff[::-1][:4]
                            if di < 0)))
            w("")
    w("## Loop-count calibration")
    w("")
    w("Per-pair overhead of the dma_map_benchmark loop outside map and unmap (cell GxT: G "
      "pages, T threads), from the runs whose pair count the device gives exactly (MAP "
      "requests of stock and fallback; INVALIDATE entries of nested strict, one thread; "
      "`/count`: TLBI_NH_VA commands of the SMMUv3 strict count runs). The estimate uses "
      "the one-thread figure of the same granule for both thread counts (the loop is the "
      "same code; with two threads the run also lasts a little longer than asked, since "
      "the threads are stopped one after the other, which shows as a negative overhead). "
      "Estimated pair counts enter the exits per map/unmap of SMMUv3 lazy, nested lazy, "
      "nested strict with two threads and no IOMMU (which has no exits).")
    w("")
    w("| cell | overhead us, median [min, max] | runs | error of the estimate on those runs, median [min, max] |")
    w("|---|---|---|---|")
    for cell in sorted(calib):
        v = calib[cell]
        errs = [100 * e for c, _, e in check if c == cell]
        w("| %s | %s [%s, %s] | %d | %s |" % (
            cell, fmt(med(v), 2), fmt(min(v), 2), fmt(max(v), 2), len(v),
            "%+.1f%% [%+.1f%%, %+.1f%%]" % (med(errs), min(errs), max(errs)) if errs else "-"))
    w("")
    bad = [b for b in boots if not b["ok"]]
    w("## Runs")
    w("")
    if prof["reps"] > 1:
        wide = []
        for cell in [c for c in dma_cells if c.endswith("x1")]:
            name = "dma-g%s-t%s" % tuple(cell.split("x"))
            for cid in cfg_ids:
                a = agg.get((cid, name))
                if a and "pair" in a and a["pair"]["med"]:
                    sp = (a["pair"]["max"] - a["pair"]["min"]) / a["pair"]["med"]
                    if sp > 0.3:
                        wide.append("%s %s (%.0f%%)" % (SHORT[cid], name, 100 * sp))
        for qd in qds:
            for cid in cfg_ids:
                a = agg.get((cid, "io-qd%s" % qd))
                if a and "iops" in a and a["iops"]["med"]:
                    sp = (a["iops"]["max"] - a["iops"]["min"]) / a["iops"]["med"]
                    if sp > 0.3:
                        wide.append("%s io-qd%s (%.0f%%)" % (SHORT[cid], qd, 100 * sp))
        w("The brackets are boot-to-boot spread on a 2-core host shared with other "
          "builds (load average per boot %.1f to %.1f). One-thread dma_map_benchmark and "
          "io_uring cells whose spread exceeds 30%% of the median (map+unmap time, or "
          "IOPS): %s. Medians of %d boots resist one disturbed boot; compare ratios with "
          "their brackets in mind. The two-thread cells run two busy vCPUs on a 2-core "
          "host next to QEMU's own threads and other work: a vCPU preempted while its "
          "guest holds a lock (the virtio request queue's, held until a request completes) stalls "
          "the other, which gives outliers of milliseconds; read those cells for their "
          "exits, and their times only as an order of magnitude." % (
              min(b["load"] for b in boots), max(b["load"] for b in boots),
              ", ".join(wide) if wide else "none", prof["reps"]))
        w("")
    w("%d boots, %d with a failure%s. Per boot: `raw/<name>.console.log` (guest console), "
      "`raw/<name>.json` (windows, QOM deltas, trace counts), `raw/<name>.boot.txt` "
      "(boot.py's output)." % (len(boots), len(bad), "" if not bad else ": " + ", ".join(
          "%s r%d (%s)" % (b["config"], b["rep"], "; ".join(b["fails"])[:200]) for b in bad)))
    w("")
    w("## Commands")
    w("")
    w("```")
    w(meta["command"])
    if meta.get("profiles_command"):
        w("# profiles redone afterwards, same binaries (sha256 checked):")
        w(meta["profiles_command"])
    w("```")
    w("")
    w("One boot per configuration (repetition 1), as run:")
    w("")
    w("```")
    seen = set()
    for b in boots:
        if b["config"] in seen:
            continue
        seen.add(b["config"])
        for c in b.get("commands") or [b["command"]]:
            w(" ".join(shlex.quote(x) for x in c))
    w("```")
    w("")
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write("\n".join(L))


def headline(agg, prof, meta, relout, cfg_ids):
    L = []
    w = L.append
    w("")
    w("Latest `make bench` (%s, TCG on a %s-CPU host, %d boot(s) per cell; full report: "
      "[`%s/report.md`](%s/report.md)). Medians; time is what the guest measures under "
      "TCG (not KVM), ratios are to no IOMMU in the same run; exits are counted in QEMU "
      "(kicks for virtio-iommu, MMIO traps for SMMUv3); the last column is a projection: "
      "exits x 2.3 us, a published arm64 MMIO exit to user space." % (
          meta["start"][:10], meta["machine"]["nproc"], prof["reps"], relout, relout))
    w("")
    w("| configuration | 4K map+unmap us | x none | exits per map | exits per unmap | "
      "QD32 IOPS x none | IOMMU exits per I/O (QD32) | projected exit cost per map+unmap / "
      "per I/O, us |")
    w("|---|---|---|---|---|---|---|---|")
    for cid in cfg_ids:
        a = agg.get((cid, "dma-g1-t1")) or {}
        b = agg.get((cid, "io-qd32")) or {}
        ep = a.get("exits_pair", {}).get("med")
        ei = b.get("exits_io", {}).get("med")
        w("| %s | %s | %s | %s | %s | %s | %s | %s / %s |" % (
            SHORT[cid], fmt(a.get("pair", {}).get("med")), ratio(a, "pair"),
            fmt(a.get("exits_map", {}).get("med"), 2),
            fmt(a.get("exits_unmap", {}).get("med"), 2), ratio(b, "iops"), fmt(ei, 2),
            fmt(ep * EXIT_US, 2) if ep is not None else "-",
            fmt(ei * EXIT_US, 2) if ei is not None else "-"))
    w("")
    return "\n".join(L)


def update_readme(text):
    path = os.path.join(TOP, "README.md")
    s = open(path).read()
    a, b = "<!-- bench:start -->", "<!-- bench:end -->"
    if a not in s or b not in s:
        log("README.md has no %s / %s markers: not updated" % (a, b))
        return False
    i, j = s.index(a) + len(a), s.index(b)
    with open(path, "w") as f:
        f.write(s[:i] + "\n" + text.strip("\n") + "\n" + s[j:])
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 repetition, fewer cells")
    ap.add_argument("--smoke", action="store_true", help="one short cell per configuration, TAP")
    ap.add_argument("--reps", type=int, help="repetitions per cell (boots)")
    ap.add_argument("--out", help="results directory (default bench/results/<date>[-quick])")
    ap.add_argument("--only", help="regex of configuration ids (no IOMMU always runs)")
    ap.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    ap.add_argument("--perf", action="store_true", help="perf profiles of QEMU (default in full)")
    ap.add_argument("--profiles", metavar="DIR",
                    help="add the perf and guest profiles to the run in DIR (same binaries)")
    ap.add_argument("--reuse-snapshot", action="store_true",
                    help="boot the binaries of the previous run's snapshot (out/ mid-rebuild)")
    ap.add_argument("--reanalyse", metavar="DIR", help="rebuild the report from DIR/summary.json's raw data")
    a = ap.parse_args()

    pname = "smoke" if a.smoke else "quick" if a.quick else "full"
    prof = dict(PROFILES[pname])
    if a.reps:
        prof["reps"] = a.reps
    cfgs = [c for c in CONFIGS if c[0] == "none" or not a.only or re.search(a.only, c[0])]
    cfg_ids = [c[0] for c in cfgs]

    if a.reanalyse or a.profiles:
        outdir = a.reanalyse or a.profiles
        saved = json.load(open(os.path.join(outdir, "summary.json")))
        meta, boots, prof = saved["meta"], saved["boots"], saved["profile"]
        cfg_ids = meta["configs"]
        pname = meta["profile"]
        if a.profiles:
            # Same binaries as the run, or nothing
            for n, f in meta["files"].items():
                if not os.path.exists(f["path"]) or sha256(f["path"]) != f["sha256"]:
                    sys.exit("%s is not the run's %s any more: can't add profiles" % (f["path"], n))
            cfgs = [c for c in CONFIGS if c[0] in cfg_ids]
            meta["perf"] = perf_profiles(cfgs, meta["files"], outdir)
            meta["gprof"] = guest_profiles(cfgs, meta["files"], outdir)
            meta["profiles_command"] = "%s (%s)" % (
                " ".join(shlex.quote(x) for x in [os.path.relpath(sys.argv[0], TOP)] +
                         sys.argv[1:]), datetime.datetime.now().isoformat(" ", "seconds"))
    else:
        for f in ("disk64.img",):
            if not os.path.exists(os.path.join(IMAGES, f)):
                sys.exit("%s missing: run make images" % os.path.join(IMAGES, f))
        if not a.reuse_snapshot:
            ensure_initramfs()
        meta = {"start": datetime.datetime.now().isoformat(" ", "seconds"),
                "profile": pname, "machine": machine_info(), "git": git_info(),
                "load_start": os.getloadavg()[0], "configs": cfg_ids,
                "command": " ".join(shlex.quote(x) for x in
                                    [os.path.relpath(sys.argv[0], TOP)] + sys.argv[1:])}
        meta["files"] = snapshot(a.reuse_snapshot, copy=not a.smoke)
        meta["qemu_version"] = subprocess.run(
            [meta["files"]["qemu-system-aarch64"]["path"], "--version"], capture_output=True,
            text=True).stdout.splitlines()[0].replace("QEMU emulator version ", "")
        if a.smoke:
            outdir = os.path.join(CACHE, "bench-smoke")
        else:
            outdir = a.out or os.path.join(TOP, "bench", "results", meta["start"][:10] +
                                           ("-quick" if a.quick else ""))
        raw = os.path.join(outdir, "raw")
        if os.path.isdir(raw):
            shutil.rmtree(raw)
        os.makedirs(raw)
        t0 = time.monotonic()
        boots = []
        total = prof["reps"] * len(cfgs)
        if not a.smoke:
            log("bench (%s): %d configurations x %d repetitions = %d boots -> %s" % (
                pname, len(cfgs), prof["reps"], total, os.path.relpath(outdir, TOP)))
        n = tap_n = tap_fail = 0
        for rep in range(1, prof["reps"] + 1):
            for cfg in cfgs:
                n += 1
                b = run_boot(cfg, prof, meta["files"], rep, raw, count=True)
                boots.append(b)
                if a.smoke:
                    for desc, good in smoke_checks(cfg, b, prof):
                        tap_n += 1
                        tap_fail += not good
                        print("%s %d - %s: %s" % ("ok" if good else "not ok", tap_n, cfg[0], desc))
                    for l in b["fails"]:
                        print("# " + l)
                    sys.stdout.flush()
                    continue
                r = b["results"]
                d = r.get("dma-g1-t1") or next((v for v in r.values() if v["kind"] == "dma"), {})
                q = r.get("io-qd32") or next((v for v in r.values() if v["kind"] == "io"), {})
                log("  [%d/%d] %-16s r%d %s %.0fs  dma %s: map %s unmap %s us   io %s: %s IOPS" % (
                    n, total, cfg[0], rep, "ok  " if b["ok"] else "FAIL", b["wall"],
                    d.get("name", "-"), d.get("map_us", "-"), d.get("unmap_us", "-"),
                    q.get("name", "-"), q.get("iops", "-")))
                for l in b["fails"]:
                    log("      " + l)
        meta["perf"] = {}
        if prof.get("perf") or a.perf:
            log("perf profiles of QEMU: %s" % ", ".join(c for c in PERF_CONFIGS if c in cfg_ids))
            meta["perf"] = perf_profiles(cfgs, meta["files"], outdir)
        meta["gprof"] = {}
        if prof.get("perf") or a.perf:
            log("guest profiles (TCG plugin): %s" % ", ".join(
                c for c in GPROF_CONFIGS if c in cfg_ids))
            meta["gprof"] = guest_profiles(cfgs, meta["files"], outdir)
        meta["end"] = datetime.datetime.now().isoformat(" ", "seconds")
        meta["minutes"] = (time.monotonic() - t0) / 60
        meta["load_end"] = os.getloadavg()[0]
        meta["guest_kernel"] = next((b["kernel"] for b in boots if b["kernel"]), "?")
        # Did anyone change the binaries in out/ during the run? (The run used copies.)
        meta["changed_during_run"] = [
            n for n, f in meta["files"].items()
            if os.path.exists(os.path.join(OUT, n)) and
            os.path.getmtime(os.path.realpath(os.path.join(OUT, n))) >
            datetime.datetime.fromisoformat(meta["start"]).timestamp()]
        if a.smoke:
            print("1..%d" % tap_n)
            return 0 if tap_fail == 0 else 1

    agg, overhead, calib, check = analyse(boots, prof)
    made = plots(agg, prof, outdir, cfg_ids)
    write_report(outdir, meta, boots, agg, overhead, calib, check, prof, made, cfg_ids)
    with open(os.path.join(outdir, "summary.json"), "w") as f:
        json.dump({"meta": meta, "profile": prof, "boots": boots,
                   "aggregate": {"%s %s" % k: v for k, v in agg.items()},
                   "overhead": overhead, "calibration_check": check}, f, indent=1,
                  sort_keys=True, default=str)
    relout = os.path.relpath(outdir, TOP)
    if pname == "full" and not a.no_readme and not a.only:
        if update_readme(headline(agg, prof, meta, relout, cfg_ids)):
            log("README.md: headline table updated")
    log("report: %s" % os.path.join(relout, "report.md"))
    for t, v, ok in target_rows(agg, prof):
        log("  target %-60s %-28s %s" % (t[:60], v, "not measured" if v == "-" else
                                         "met" if ok else "NOT MET"))
    return 0 if all(b["ok"] for b in boots) else 1


if __name__ == "__main__":
    sys.exit(main())
