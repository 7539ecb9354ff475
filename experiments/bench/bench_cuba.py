"""CUBA benchmark: hand-written Brian2 against neuromem's brian2 and torch backends.

One invocation runs every row in its own subprocess, one after the other on this machine, and
prints one table (see README.md next to this file)::

    python experiments/bench/bench_cuba.py [--duration MS] [--batch 32] [--skip-standalone]
                                           [--out results.json]

Every row is a fresh Python process (Brian2's device and preferences are global, and neuromem's
brian2 backend changes the compiler flags), started as ``python bench_cuba.py --_row KEY ...``;
it prints its result as one JSON line on stdout, after the marker ``BENCH_RESULT``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

MARKER = "BENCH_RESULT "
DT_MS = 0.1
N_NEURONS = 4000
DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "neuromem", "brian2")
TARGET_BRIAN2_SLACK = 1.05  # neuromem's brian2 backend: at most 5 % slower than hand-written Brian2
TARGET_BATCH_FRACTION = 0.5  # torch batch time per trial: at most half of Brian2 cpp_standalone
TARGET_BYTES_PER_SYNAPSE = 8.0  # torch float32

#: Runs a standalone binary in place of ``./main`` and records its own wall time and peak RSS
#: (``os.wait4``), so that the binary's memory is measured apart from the compiler's and from the
#: Python process that generated the code. Started with ``python -S -E``: a few ms, which Brian2's
#: ``timers['run_binary']`` (and so neuromem's ``run_s``) includes, but the wall time written here
#: and the network's own loop time do not.
_BINARY_WRAPPER = """\
import json, os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, "w") as f:
    json.dump({"wall_s": wall, "maxrss_kb": usage.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


# ------------------------------------------------------------------------------------------
# rows: what runs in each subprocess
# ------------------------------------------------------------------------------------------

def _rows(batch: int, cuda: bool) -> list[tuple[str, str]]:
    """(key, label) of every row, in the order they run."""
    rows = [("b2-cython", "Brian2 hand-written, cython"),
            ("b2-standalone", "Brian2 hand-written, cpp_standalone"),
            ("nm-b2-cython", "neuromem brian2, cython"),
            ("nm-b2-standalone", "neuromem brian2, cpp_standalone")]
    for device in ["cpu"] + (["cuda"] if cuda else []):
        for dtype in ("float32", "float64"):
            rows.append((f"torch-{device}-{dtype}-1", f"neuromem torch {device} {dtype}, 1 trial"))
        for dtype in ("float32", "float64"):
            rows.append((f"torch-{device}-{dtype}-{batch}",
                         f"neuromem torch {device} {dtype}, B={batch}, per trial"))
    return rows


def _set_binary_wrapper(b2, build_dir: str, enabled: bool) -> str:
    """Make Brian2 run the standalone binary through :data:`_BINARY_WRAPPER` (if ``enabled``);
    returns the file the wrapper writes its measurement to."""
    out = os.path.join(build_dir, "bench_binary.json")
    if not enabled:
        return out
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-S", "-E", "-c",
                                                    _BINARY_WRAPPER, out, "./main"]
    return out


def _standalone_measurements(build_dir: str, wrapper_out: str) -> dict[str, Any]:
    """What the standalone run left behind: the network's loop time (Brian2's
    ``_last_run_time``, measured in C++ with ``std::clock``, i.e. CPU time of the loop only),
    the binary's wall time and peak RSS (from the wrapper) and Brian2's timers."""
    from brian2.devices.device import all_devices

    dev = all_devices["cpp_standalone"]
    out: dict[str, Any] = {}
    loop = getattr(dev, "_last_run_time", None)
    info = os.path.join(build_dir, "results", "last_run_info.txt")
    if loop is None and os.path.isfile(info):
        with open(info) as f:
            loop = float(f.read().split()[0])
    out["loop_s"] = None if loop is None else float(loop)
    if os.path.isfile(wrapper_out):
        with open(wrapper_out) as f:
            measured = json.load(f)
        out["binary_wall_s"] = measured["wall_s"]
        out["binary_rss_mb"] = measured["maxrss_kb"] / 1024.0
    timers = getattr(dev, "timers", {}) or {}
    out["brian2_timers"] = {"run_binary": timers.get("run_binary"),
                            "compile": dict(timers.get("compile", {}) or {})}
    out["compile_s"] = sum(float(v or 0.0) for v in out["brian2_timers"]["compile"].values())
    return out


def row_brian2_hand(target: str, duration_ms: float, cache_dir: str, seed: int,
                    binary_rss: bool = True) -> dict[str, Any]:
    """Brian2's examples/CUBA.py, as written there, with Brian2's default compiler flags."""
    import brian2 as b2
    from brian2 import ms, mV

    build_dir = wrapper_out = None
    if target == "cpp_standalone":
        build_dir = tempfile.mkdtemp(prefix="bench_cuba_b2_")
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]  # as neuromem's backend
        wrapper_out = _set_binary_wrapper(b2, build_dir, binary_rss)
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    else:
        os.makedirs(cache_dir, exist_ok=True)
        b2.prefs.codegen.target = "cython"
        b2.prefs.codegen.runtime.cython.cache_dir = cache_dir
    try:
        t0 = time.perf_counter()
        b2.seed(seed)
        b2.defaultclock.dt = DT_MS * ms
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
        Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV  # noqa: N806 (Brian2's names)
        eqs = """
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """
        P = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr",  # noqa: N806
                           refractory=5 * ms, method="exact")
        P.v = "Vr + rand() * (Vt - Vr)"
        P.ge = 0 * mV
        P.gi = 0 * mV
        we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
        wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
        Ce = b2.Synapses(P, P, on_pre="ge += we")  # noqa: N806
        Ci = b2.Synapses(P, P, on_pre="gi += wi")  # noqa: N806
        Ce.connect("i<3200", p=0.02)
        Ci.connect("i>=3200", p=0.02)
        s_mon = b2.SpikeMonitor(P)
        net = b2.Network(P, Ce, Ci, s_mon)
        namespace = dict(taum=taum, taue=taue, taui=taui, Vt=Vt, Vr=Vr, El=El, we=we, wi=wi)
        if target == "cpp_standalone":
            net.run(duration_ms * ms, namespace=namespace)
            t1 = time.perf_counter()
            b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
            t2 = time.perf_counter()
            sa = _standalone_measurements(build_dir, wrapper_out)
            res = {"sim_s": sa["loop_s"], "sim_what": "network loop, std::clock CPU time",
                   "setup_s": (t1 - t0) + sa["compile_s"], "compile_s": sa["compile_s"],
                   "build_call_s": t2 - t1, **sa}
            if res["sim_s"] is None:  # no loop timer: fall back on the binary's wall time
                res["sim_s"] = sa.get("binary_wall_s") or sa["brian2_timers"]["run_binary"]
                res["sim_what"] = "binary wall time (no loop timer found)"
        else:
            t1 = time.perf_counter()
            net.run(0 * ms, namespace=namespace)  # generates, compiles (or loads) all code
            t2 = time.perf_counter()
            net.run(duration_ms * ms, namespace=namespace)
            t3 = time.perf_counter()
            net.run(0 * ms, namespace=namespace)  # the fixed cost of a run() call, for reference
            t4 = time.perf_counter()
            res = {"sim_s": t3 - t2, "sim_what": "second run() call, after a 0 ms run",
                   "setup_s": t2 - t0, "compile_s": t2 - t1, "build_s": t1 - t0,
                   "zero_run_s": t4 - t3}
        spikes = int(s_mon.num_spikes)
        res.update(spikes=spikes, synapses=int(len(Ce) + len(Ci)),
                   rate_hz=spikes / (N_NEURONS * duration_ms / 1000.0))
        return res
    finally:
        if build_dir is not None:
            shutil.rmtree(build_dir, ignore_errors=True)


def row_neuromem_brian2(target: str, duration_ms: float, cache_dir: str, seed: int,
                        binary_rss: bool = True) -> dict[str, Any]:
    import brian2 as b2
    from neuromem.models import cuba

    import neuromem as nm

    net = cuba.build()
    options: dict[str, Any] = {"target": target}
    build_dir = wrapper_out = None
    if target == "cpp_standalone":
        build_dir = tempfile.mkdtemp(prefix="bench_cuba_nm_")
        wrapper_out = _set_binary_wrapper(b2, build_dir, binary_rss)
        options["build_dir"] = build_dir
    else:
        options["cache_dir"] = cache_dir
    try:
        sim = nm.compile(net, backend="brian2", seed=seed, **options)
        rec = sim.run(duration_ms)
        meta = rec.meta
        res: dict[str, Any] = {"setup_s": meta.get("build_s", 0.0) + meta.get("compile_s", 0.0),
                               "compile_s": meta.get("compile_s"), "build_s": meta.get("build_s"),
                               "run_s": meta.get("run_s")}
        if target == "cpp_standalone":
            sa = _standalone_measurements(build_dir, wrapper_out)
            sa.pop("compile_s")
            res.update(sa)
            res["sim_s"] = sa["loop_s"]
            res["sim_what"] = "network loop, std::clock CPU time"
            if res["sim_s"] is None:
                res["sim_s"] = sa.get("binary_wall_s") or meta.get("run_s")
                res["sim_what"] = "binary wall time (no loop timer found)"
        else:
            res["sim_s"] = meta["run_s"]
            res["sim_what"] = "rec.meta['run_s'] (run after a 0 ms compiling run)"
        res.update(spikes=rec.spike_count("P"), rate_hz=rec.mean_rate("P"),
                   synapses=int(sum(p.pre_idx.size for p in sim.plan.projections)))
        return res
    finally:
        if build_dir is not None:
            shutil.rmtree(build_dir, ignore_errors=True)


def row_torch(device: str, dtype: str, trials: int, duration_ms: float, seed: int,
              threads: int | None) -> dict[str, Any]:
    import torch
    from neuromem.models import cuba

    import neuromem as nm

    net = cuba.build()
    t0 = time.perf_counter()
    # the engine runs its CPU loop on num_threads threads (1 unless asked otherwise)
    sim = nm.compile(net, backend="torch", device=device, dtype=dtype, trials=trials, seed=seed,
                     num_threads=threads or 1)
    setup_s = time.perf_counter() - t0
    res: dict[str, Any] = {"torch_threads": torch.get_num_threads()}
    if device == "cuda":
        # kernels are loaded on first use: a 1 ms run first, then the timed run continues from it
        warm = sim.run(1.0)
        res["warmup_s"] = warm.meta["run_s"]
        torch.cuda.reset_peak_memory_stats()
    rec = sim.run(duration_ms)
    run_s = rec.meta["run_s"]
    n_syn = int(sum(p.pre_idx.size for p in sim.plan.projections))
    res.update(sim_s=run_s / trials, run_s=run_s, trials=trials, setup_s=setup_s,
               sim_what="rec.meta['run_s'] / trials", spikes=rec.spike_count("P"),
               rate_hz=rec.mean_rate("P"), synapses=n_syn, synapse_bytes=sim.synapse_bytes(),
               bytes_per_synapse=sim.synapse_bytes() / n_syn)
    if device == "cuda":
        res["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
        res["gpu"] = torch.cuda.get_device_name()
    return res


def probe() -> dict[str, Any]:
    """Machine and library versions (run in a subprocess, like the rows)."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cxx = subprocess.run(["c++", "--version"], capture_output=True, text=True,
                             timeout=30).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        cxx = "?"
    info = {"cpu": cpu, "cores": os.cpu_count(),
            "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "python": platform.python_version(), "platform": platform.platform(),
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.is_available(), "cxx": cxx}
    for pkg in ("brian2", "numpy", "cython", "neuromem"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = None
    if info["cuda"]:
        info["gpu"] = torch.cuda.get_device_name()
    return info


def run_row(key: str, args: argparse.Namespace) -> dict[str, Any]:
    """Runs in the child process."""
    if key == "probe":
        return probe()
    if key.startswith("b2-"):
        target = "cython" if key == "b2-cython" else "cpp_standalone"
        res = row_brian2_hand(target, args.duration, args.cache_dir, args.seed,
                              not args.no_binary_rss)
    elif key.startswith("nm-b2-"):
        target = "cython" if key == "nm-b2-cython" else "cpp_standalone"
        res = row_neuromem_brian2(target, args.duration, args.cache_dir, args.seed,
                                  not args.no_binary_rss)
    elif key.startswith("torch-"):
        _, device, dtype, trials = key.split("-")
        res = row_torch(device, dtype, int(trials), args.duration, args.seed, args.threads)
    else:
        raise ValueError(f"unknown row {key!r}")
    # Linux reports ru_maxrss in KiB
    res["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return res


# ------------------------------------------------------------------------------------------
# the parent: run the rows, compare, print
# ------------------------------------------------------------------------------------------

def _child(key: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--_row", key, "--duration", repr(args.duration),
           "--batch", str(args.batch), "--seed", str(args.seed), "--cache-dir", args.cache_dir]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.no_binary_rss:
        cmd.append("--no-binary-rss")
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=None if args.verbose else subprocess.PIPE, text=True,
                              timeout=args.row_timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.row_timeout} s", "wall_total_s": args.row_timeout}
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            res = json.loads(line[len(MARKER):])
            res["wall_total_s"] = wall
            return res
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
    return {"error": f"exit status {proc.returncode}", "stderr_tail": tail, "wall_total_s": wall}


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(value: float | None, ref: float | None) -> str:
    return "-" if not value or not ref else f"{value / ref:.2f}x"


def _targets(results: dict[str, dict[str, Any]], batch: int, cuda: bool) -> list[dict[str, Any]]:
    def sim(key: str) -> float | None:
        return results.get(key, {}).get("sim_s")

    out = []

    def add(text: str, value: float | None, limit: float | None, unit: str = "") -> None:
        met = None if value is None or limit is None else value <= limit
        shown = "-" if value is None else f"{value:.3g}{unit}"
        bound = "-" if limit is None else f"{limit:.3g}{unit}"
        out.append({"target": text, "value": value, "limit": limit, "met": met,
                    "shown": f"{shown} <= {bound}"})

    hand_cy, hand_sa = sim("b2-cython"), sim("b2-standalone")
    for key, ref, name in (("nm-b2-cython", hand_cy, "cython"),
                           ("nm-b2-standalone", hand_sa, "cpp_standalone")):
        ratio = sim(key) / ref if sim(key) and ref else None
        add(f"neuromem brian2 {name} within 5% of hand-written Brian2 {name} (time ratio)",
            ratio, TARGET_BRIAN2_SLACK, "x")
    for device in ["cpu"] + (["cuda"] if cuda else []):
        for dtype in ("float32", "float64"):
            add(f"torch {device} {dtype} 1 trial no slower than Brian2 cython run (s)",
                sim(f"torch-{device}-{dtype}-1"), hand_cy, " s")
        for dtype in ("float32", "float64"):
            add(f"torch {device} {dtype} B={batch} per trial <= half of Brian2 cpp_standalone (s)",
                sim(f"torch-{device}-{dtype}-{batch}"),
                None if hand_sa is None else TARGET_BATCH_FRACTION * hand_sa, " s")
    bps = results.get("torch-cpu-float32-1", {}).get("bytes_per_synapse")
    add("torch float32 bytes per synapse", bps, TARGET_BYTES_PER_SYNAPSE, " B")
    return out


def _table(rows: list[tuple[str, str]], results: dict[str, dict[str, Any]], duration: float
           ) -> str:
    hand_cy = results.get("b2-cython", {}).get("sim_s")
    hand_sa = results.get("b2-standalone", {}).get("sim_s")
    header = ("row", "sim ms", "sim s", "/b2 cython", "/b2 standalone", "rate Hz", "RSS MB",
              "binary RSS MB", "B/synapse", "setup s", "notes")
    lines: list[tuple[str, ...]] = []
    for key, label in rows:
        r = results.get(key)
        if r is None:
            continue
        if "error" in r:
            lines.append((label, _fmt(duration, "g")) + ("-",) * 8 + (f"FAILED: {r['error']}",))
            continue
        notes = []
        if "loop_s" in r:
            notes.append("sim = loop CPU time")
            if r.get("binary_wall_s") is not None:
                notes.append(f"binary wall {r['binary_wall_s']:.3f} s")
            if key.startswith("nm-") and r.get("run_s") is not None:
                wrapped = " incl. wrapper start" if r.get("binary_wall_s") is not None else ""
                notes.append(f"meta run_s {r['run_s']:.3f} s{wrapped}")
            notes.append(f"compile {r['compile_s']:.1f} s")
        elif key.endswith("cython"):
            notes.append(f"compile {r['compile_s']:.1f} s")
            if r.get("zero_run_s") is not None:
                notes.append(f"0 ms run() {r['zero_run_s']:.3f} s")
        if r.get("trials", 1) > 1:
            notes.append(f"batch run {r['run_s']:.3f} s")
        if "cuda_peak_mb" in r:
            notes.append(f"GPU peak {r['cuda_peak_mb']:.0f} MB")
        lines.append((label, _fmt(duration, "g"), _fmt(r.get("sim_s"), ".3f"),
                      _ratio(r.get("sim_s"), hand_cy), _ratio(r.get("sim_s"), hand_sa),
                      _fmt(r.get("rate_hz"), ".2f"), _fmt(r.get("rss_mb"), ".0f"),
                      _fmt(r.get("binary_rss_mb"), ".0f"), _fmt(r.get("bytes_per_synapse"), ".2f"),
                      _fmt(r.get("setup_s"), ".2f"), "; ".join(notes)))
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header))]

    def render(cells: tuple[str, ...]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1])]
        parts.append(cells[-1])
        return "  ".join(parts).rstrip()

    rule = "-" * len(render(tuple("-" * w for w in widths)))
    return "\n".join([render(header), rule, *map(render, lines)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated ms (default 1000)")
    ap.add_argument("--batch", type=int, default=32, help="trials of the torch batch rows (32)")
    ap.add_argument("--skip-standalone", action="store_true",
                    help="leave out the two cpp_standalone rows (they build a C++ project each)")
    ap.add_argument("--out", help="also write the results as JSON to this file")
    ap.add_argument("--cache-dir", default=DEFAULT_CACHE, help=f"Brian2 cython cache ({DEFAULT_CACHE})")
    ap.add_argument("--seed", type=int, default=1, help="seed of the initial potentials (1)")
    ap.add_argument("--threads", type=int, default=None,
                    help="CPU threads of the torch engine's loop (default: 1, the engine's default; "
                         "Brian2 runs on one)")
    ap.add_argument("--no-binary-rss", action="store_true",
                    help="run standalone binaries directly, not through the RSS-measuring wrapper")
    ap.add_argument("--rows", help="comma-separated row keys to run (default: all; see --list)")
    ap.add_argument("--list", action="store_true", help="list the row keys and exit")
    ap.add_argument("--row-timeout", type=float, default=3600.0, help="seconds per row (3600)")
    ap.add_argument("--verbose", action="store_true", help="show the rows' stderr as they run")
    ap.add_argument("--_row", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.cache_dir = os.path.expanduser(args.cache_dir)

    steps = args.duration / DT_MS
    if not (args.duration > 0 and abs(steps - round(steps)) < 1e-9):
        ap.error(f"--duration must be a positive multiple of {DT_MS} ms")
    if args.batch < 2:
        ap.error("--batch must be at least 2")

    if args._row:
        res = run_row(args._row, args)
        sys.stdout.flush()
        print(MARKER + json.dumps(res), flush=True)
        return 0

    machine = _child("probe", args)
    if "error" in machine:
        print("machine probe failed:", machine, file=sys.stderr)
        return 1
    cuda = bool(machine.get("cuda"))
    rows = _rows(args.batch, cuda)
    if args.list:
        print("\n".join(f"{k:28s} {label}" for k, label in rows))
        return 0
    if args.skip_standalone:
        rows = [r for r in rows if "standalone" not in r[0]]
    if args.rows:
        wanted = [k.strip() for k in args.rows.split(",") if k.strip()]
        unknown = set(wanted) - {k for k, _ in rows}
        if unknown:
            ap.error(f"unknown row(s) {', '.join(sorted(unknown))}; see --list")
        rows = [r for r in rows if r[0] in wanted]

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    results: dict[str, dict[str, Any]] = {}
    for key, label in rows:
        print(f"[bench] {label} ...", end=" ", flush=True, file=sys.stderr)
        results[key] = _child(key, args)
        r = results[key]
        status = (f"FAILED ({r['error']})" if "error" in r
                  else f"sim {r['sim_s']:.3f} s, {r['rate_hz']:.2f} Hz")
        print(f"{status} [{r['wall_total_s']:.0f} s]", file=sys.stderr, flush=True)
        for line in r.get("stderr_tail", []):
            print("    " + line, file=sys.stderr)
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    targets = _targets(results, args.batch, cuda)

    print()
    print(f"CUBA benchmark: 4000 neurons (3200 exc / 800 inh), p = 0.02, dt = {DT_MS} ms, "
          f"{args.duration:g} ms simulated, seed {args.seed}")
    print(f"machine: {machine['cpu']}, {machine['cores']} cores ({machine['cores_usable']} usable), "
          f"{machine['platform']}")
    print(f"versions: python {machine['python']}, torch {machine['torch']} "
          f"(engine loop on {args.threads or 1} CPU thread(s)), brian2 {machine['brian2']}, "
          f"numpy {machine['numpy']}, cython {machine['cython']}, neuromem {machine['neuromem']}; "
          f"{machine['cxx']}" + (f"; GPU {machine['gpu']}" if cuda else "; no CUDA"))
    if load_before is not None:
        print(f"load average (1 min) before / after: {load_before[0]:.2f} / {load_after[0]:.2f}")
    print()
    print(_table(rows, results, args.duration))
    print()
    print("sim s: seconds of simulation only (no build or compile); batch rows: per trial. "
          "/b2 ...: sim s divided by the hand-written Brian2 row's (below 1 = faster).")
    print("cpp_standalone rows: sim s is the network loop as timed inside the binary "
          "(Brian2's _last_run_time, std::clock CPU time); RSS MB is the Python process, "
          "binary RSS MB the compiled program.")
    print()
    print("targets:")
    width = max(len(t["target"]) for t in targets)
    for t in targets:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        print(f"  {t['target'].ljust(width)}  {t['shown']:>22}  {verdict}")

    if args.out:
        payload = {"benchmark": "cuba", "duration_ms": args.duration, "batch": args.batch,
                   "seed": args.seed, "threads": args.threads, "machine": machine,
                   "load_average": {"before": load_before, "after": load_after},
                   "rows": [{"key": k, "label": label, **results[k]} for k, label in rows],
                   "targets": targets}
        Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"\nresults written to {args.out}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
