"""The ``neuromem`` command: run a registered experiment, describe a file, plot a recording,
export a network (SpiNNaker mapping files, PyNN script).

    neuromem run cuba --backend torch --out out/cuba --duration 1000
    neuromem info out/cuba/recording.h5
    neuromem plot out/cuba/recording.h5 -o out/cuba/panels.png --mode panels
    neuromem export net.h5 --target spinnaker -o out/spinnaker --machine spinn3

Every error neuromem raises on purpose (:class:`~neuromem.errors.NeuromemError`) ends the command
with ``error: <message>`` on stderr and exit status 2, without a traceback: those messages already
say what is wrong and where, and a traceback would bury them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuromem.errors import FileFormatError, NeuromemError

# -- experiments --------------------------------------------------------------------------


@dataclass
class Experiment:
    """What ``neuromem run`` needs from an experiment: the network, how to split its populations
    into raster bands, and which states to record (spikes are always recorded)."""

    network: Any
    bands: dict[str, tuple[str, int, int]] | None = None
    record: dict[str, Any] | None = None
    extra_meta: dict[str, Any] = field(default_factory=dict)
    #: simulated time when ``--duration`` is not given (default 1000 ms)
    duration_ms: float | None = None
    #: integration method when ``--method`` is not given (default: the backend's own)
    method: str | None = None
    #: text printed after the run's summary (e.g. a decoded table)
    report: Callable[[Any], str] | None = None
    #: called with the simulated time before anything runs; raises (a NeuromemError) when the
    #: experiment cannot use that duration (e.g. its input goes on past the end)
    check_duration: Callable[[float], None] | None = None


@dataclass
class Task:
    """An experiment that is not one simulation (a set of figures): ``run(out, backend, options,
    seed)`` writes its files into ``out`` and returns a text to print. It takes ``--seed`` and the
    backend options; ``--duration`` and ``--method`` are refused (there is no one run to set)."""

    run: Callable[[Path, str, dict[str, Any], int], str]
    #: backend options the task defaults otherwise than ``neuromem run`` does (when not given)
    option_defaults: dict[str, Any] = field(default_factory=dict)


def _no_input(name: str, input_path: str | None) -> None:
    if input_path is not None:
        raise UsageError(f"experiment '{name}' takes no --input")


def _cuba(input_path: str | None = None) -> Experiment:
    """CUBA benchmark (Brette et al. 2007): 4000 LIF neurons, 3200 excitatory then 800 inhibitory."""
    from neuromem.models import cuba

    _no_input("cuba", input_path)
    n_exc, n_inh = cuba.PARAMS["n_exc"], cuba.PARAMS["n_inh"]
    return Experiment(cuba.build(n_exc, n_inh),
                      bands={"exc": ("P", 0, n_exc), "inh": ("P", n_exc, n_exc + n_inh)})


def _ca3_cam(input_path: str | None = None) -> Experiment:
    """CA3 content-addressable memory; --input FILE (reference JSON), or experiment E1 of the paper."""
    from neuromem.models import ca3_cam as ca

    if input_path is None:
        c, m, duration, trains = 5, 10, ca.E1_DURATION, ca.E1_IN_SPIKES
    else:
        c, m, duration, trains = ca.load_input(input_path)
    ops = ca.infer_operations(trains, c)  # refuses a non-one-hot cue before anything runs
    net = ca.build(c, m, in_spikes=trains)
    bands = {"in: cue": ("in", 0, c), "in: content": ("in", c, c + m)}
    bands.update({name: (name, 0, net.node(name).size) for name in ca.POPULATIONS})
    bands.update({"out: cue": ("out", 0, c), "out: content": ("out", c, c + m)})

    def report(rec) -> str:
        results = ca.decode(*rec.spikes("out"), ops, c)
        head = f"{'t0 (ms)':>7}  {'operation':<34} output (ms: cue / content)"
        return "\n".join([head] + [r.row() for r in results])

    def check_duration(duration_ms: float) -> None:  # an operation after the end has no answer
        ca.check_duration(ops, duration_ms)

    return Experiment(net, bands=bands, duration_ms=duration, method="spinnaker", report=report,
                      extra_meta={"cue_size": c, "content_size": m}, check_duration=check_duration)


def _dendrites(input_path: str | None = None) -> Task:
    """Active dendrites (Ahmad & Hawkins 2016): theory and Monte Carlo figures, short version."""
    _no_input("dendrites", input_path)

    def run(out: Path, backend: str, options: dict[str, Any], seed: int) -> str:
        from neuromem.models import dendrites_figures

        written = dendrites_figures.make_figures(out, quick=True, backend=backend, seed=seed,
                                                 options=options)
        return "\n".join(f"  wrote {path}" for path in written.values())

    # the segment networks are small and run once each: Brian2's numpy target, which needs no
    # compiler, unless --target says otherwise
    return Task(run, option_defaults={"target": "numpy"})


#: Experiment name -> factory(input_path). Add an entry to make ``neuromem run NAME`` know a new
#: experiment; the first docstring line of the factory is its description in ``--help``.
EXPERIMENTS: dict[str, Callable[..., Experiment | Task]] = {
    "cuba": _cuba, "ca3-cam": _ca3_cam, "dendrites": _dendrites}


class UsageError(NeuromemError, ValueError):
    """A command line that asks for something that makes no sense (unknown experiment, an
    option of another backend)."""


def get_experiment(name: str) -> Callable[..., Experiment | Task]:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise UsageError(f"unknown experiment '{name}' (known: {', '.join(sorted(EXPERIMENTS))})") from None


def _describe(factory: Callable[..., Any]) -> str:
    return (factory.__doc__ or "").strip().splitlines()[0] if factory.__doc__ else ""


# -- backend options ----------------------------------------------------------------------

#: Backend-specific command-line options: name -> (backend, default). Given with another
#: backend, a non-default value is refused rather than silently ignored: a user who typed
#: ``--dtype float32`` for brian2 believes the run is in float32.
BACKEND_OPTIONS: dict[str, tuple[str, Any]] = {
    "dtype": ("torch", "float64"),
    "device": ("torch", "cpu"),
    "target": ("brian2", "cython"),
    "cache_dir": ("brian2", None),
}


def default_cache_dir() -> Path:
    """Where Brian2's compiled Cython code is kept between runs (compiling takes minutes)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "neuromem" / "brian2"


def backend_options(backend: str, given: dict[str, Any]) -> dict[str, Any]:
    """Options to pass to ``neuromem.compile`` for ``backend``, from the command-line values
    (``None`` where not given); refuses non-default values of other backends' options."""
    options: dict[str, Any] = {}
    for name, (owner, default) in BACKEND_OPTIONS.items():
        value = given.get(name)
        flag = "--" + name.replace("_", "-")
        if owner != backend:
            if value is not None and value != default:
                raise UsageError(f"{flag} {value} applies to the {owner} backend only, not {backend}")
            continue
        options[name] = default if value is None else value
    if backend == "brian2":
        if options["target"] != "cython":
            if options["cache_dir"] is not None:
                raise UsageError(f"--cache-dir applies to --target cython only, not {options['target']}")
            del options["cache_dir"]
        elif options["cache_dir"] is None:
            options["cache_dir"] = str(default_cache_dir())
    return options


# -- running ------------------------------------------------------------------------------


class TqdmProgress:
    """A ``Simulation.run`` progress callback drawing a tqdm bar on stderr; the bar opens at the
    first report, when the number of steps is known."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="step", file=sys.stderr,
                            dynamic_ncols=True, leave=True)
        self.bar.update(max(0, done - self.bar.n))

    def close(self, complete: bool) -> None:
        if self.bar is None:
            return
        if complete:  # backends report every 1 %, so the last few steps may go unreported
            self.bar.update(self.bar.total - self.bar.n)
        self.bar.close()


@dataclass
class RunResult:
    recording: Any
    recording_path: Path
    raster_path: Path
    bands: dict[str, tuple[str, int, int]] | None
    report: str | None = None


def run_experiment(name: str, *, backend: str = "torch", out: str | os.PathLike = "out",
                   duration_ms: float | None = None, seed: int = 0, method: str | None = None,
                   options: dict[str, Any] | None = None, progress: bool = True,
                   input_path: str | None = None) -> RunResult:
    """Build experiment ``name``, run it on ``backend``, and write ``recording.h5`` and
    ``raster.png`` into ``out``. The one implementation behind ``neuromem run`` and the scripts
    in ``experiments/``. ``duration_ms`` and ``method`` default to the experiment's own (else
    1000 ms, and the backend's own integration: exact, or sPyNNaker's on the spinnaker
    backend)."""
    import neuromem
    from neuromem import plot

    factory = get_experiment(name)
    t0 = time.perf_counter()
    exp = factory(input_path)
    if isinstance(exp, Task):
        raise UsageError(f"experiment '{name}' writes figures, not a recording: use "
                         f"'neuromem run {name}'")
    duration_ms = duration_ms if duration_ms is not None else (exp.duration_ms or 1000.0)
    if exp.check_duration is not None:
        exp.check_duration(duration_ms)
    out = Path(out)
    rec_path, raster_path = out / "recording.h5", out / "raster.png"
    check_output_targets(out, [rec_path, raster_path])
    method = method if method is not None else exp.method
    if method is not None:
        options = {**(options or {}), "method": method}
    sim = neuromem.compile(exp.network, backend=backend, seed=seed, **(options or {}))
    bar = TqdmProgress(f"{name} on {backend}") if progress else None
    done = False
    try:
        rec = sim.run(duration_ms, record=exp.record, progress=bar)
        done = True
    finally:
        if bar is not None:
            bar.close(done)
    rec.meta.update(experiment=name, neuromem_version=neuromem.__version__, wall_s=time.perf_counter() - t0,
                    **exp.extra_meta)
    if exp.bands:
        rec.meta["bands"] = bands_to_meta(exp.bands)
    rec.save(rec_path)
    fig = plot.overview(rec, bands=exp.bands, title=f"{name}: {_run_title(rec)}")
    try:
        png_path = plot.save_figure(fig, raster_path)
    finally:
        plot.close(fig)
    return RunResult(rec, rec_path, png_path, exp.bands, exp.report(rec) if exp.report else None)


def check_output_targets(folder: Path, files: Sequence[Path] = ()) -> None:
    """Refuse, before anything runs, an output folder that is a file and an output file that is
    a folder (the atomic write would otherwise fail at the end, naming its temporary file)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder (the output folder)")
    for path in files:
        if path.is_dir():
            raise UsageError(f"{path}: is a folder, not a file (it is an output file; remove or "
                             "rename the folder)")


def _run_title(rec) -> str:
    m = rec.meta
    extra = ", ".join(str(m[k]) for k in ("target", "device", "dtype") if k in m)
    return (f"{m.get('backend', '?')} backend ({extra}), seed {m.get('seed', '?')}, "
            f"{rec.t_stop - rec.t_start:g} ms")


def bands_to_meta(bands: dict[str, tuple[str, int, int]]) -> dict[str, dict[str, Any]]:
    """Bands in a form recording metadata can hold (nested dicts of scalars), so that ``neuromem
    plot`` draws a saved run the way ``run`` did."""
    return {label: {"population": pop, "start": int(a), "stop": int(b)}
            for label, (pop, a, b) in bands.items()}


def bands_from_meta(meta: dict[str, Any]) -> dict[str, tuple[str, int, int]] | None:
    stored = meta.get("bands")
    if not isinstance(stored, dict):
        return None
    try:
        return {label: (str(d["population"]), int(d["start"]), int(d["stop"])) for label, d in stored.items()}
    except (KeyError, TypeError, ValueError):
        return None  # metadata from elsewhere: fall back to one band per population


def band_rates(rec, bands: dict[str, tuple[str, int, int]], trial: int | None = None) -> dict[str, float]:
    """Mean rate (Hz) per band over the run and trials: CUBA's exc and inh rates are the numbers
    to compare with the literature, and the whole-population mean hides them."""
    import numpy as np

    duration_s = (rec.t_stop - rec.t_start) / 1000.0
    trials = rec.trials if trial is None else 1
    rates = {}
    for label, (pop, start, stop) in bands.items():
        if pop not in rec.spike_data:
            continue
        _, i, k = rec.spike_data[pop]
        sel = (i >= start) & (i < stop) & (True if trial is None else k == trial)
        n = int(np.count_nonzero(sel))
        rates[label] = n / ((stop - start) * duration_s * trials) if stop > start and duration_s > 0 else 0.0
    return rates


def _cmd_run(args: argparse.Namespace) -> int:
    given = {k: getattr(args, k) for k in BACKEND_OPTIONS}
    options = backend_options(args.backend, given)
    exp = get_experiment(args.experiment)(args.input)
    if isinstance(exp, Task):
        for flag, value in (("--duration", args.duration), ("--method", args.method)):
            if value is not None:
                shown = f"{value:g}" if isinstance(value, float) else str(value)
                raise UsageError(f"{flag} {shown} does not apply to experiment '{args.experiment}' "
                                 "(it draws figures from many small runs; it takes --seed and the "
                                 "backend options)")
        for name, default in exp.option_defaults.items():
            if given.get(name) is None and BACKEND_OPTIONS[name][0] == args.backend:
                given[name] = default
        options = backend_options(args.backend, given)
        out = Path(args.out)
        check_output_targets(out)
        print(exp.run(out, args.backend, options, args.seed))
        return 0
    result = run_experiment(args.experiment, backend=args.backend, out=args.out,
                            duration_ms=args.duration, seed=args.seed, method=args.method,
                            options=options, progress=not args.no_progress,
                            input_path=args.input)
    rec = result.recording
    print(rec.summary())
    if result.bands:
        rates = band_rates(rec, result.bands)
        print("  bands: " + ", ".join(f"{label} {rate:.2f} Hz" for label, rate in rates.items()))
    print(f"  recording: {result.recording_path}")
    print(f"  raster:    {result.raster_path}")
    if result.report:
        print(result.report)
    return 0


# -- info ---------------------------------------------------------------------------------


def sniff_kind(path: str | os.PathLike) -> str | None:
    """The ``neuromem_format`` root attribute of ``path``, or None where it cannot be read; the
    loaders then give the precise reason (missing, not HDF5, not neuromem's)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            kind = f.attrs.get("neuromem_format")
    except Exception:  # any failure is reported, precisely, by the loader
        return None
    return kind.decode() if isinstance(kind, bytes) else (None if kind is None else str(kind))


def check_not_folder(path: str | os.PathLike) -> None:
    """The first check of every command that reads a file: a folder is named as one (h5py would
    call it "not an HDF5 file")."""
    if Path(path).is_dir():
        raise FileFormatError(f"{path}: is a folder, not a file")


def load_any(path: str | os.PathLike):
    """A network or a recording, whichever ``path`` holds; FileFormatError otherwise."""
    from neuromem import Network, Recording

    check_not_folder(path)
    kind = sniff_kind(path)
    if kind == "network":
        return Network.load(path)
    if kind in (None, "recording"):
        return Recording.load(path)
    raise FileFormatError(f"{path}: holds a neuromem {kind}, which this command cannot show "
                          "(it shows networks and recordings)")


def _format_meta(meta: dict[str, Any], indent: str = "  ") -> list[str]:
    lines = []
    for key, value in meta.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines += _format_meta(value, indent + "  ")
        elif isinstance(value, float):
            lines.append(f"{indent}{key}: {value:.6g}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def _cmd_info(args: argparse.Namespace) -> int:
    from neuromem import Network

    obj = load_any(args.file)
    print(f"{args.file}: neuromem {'network' if isinstance(obj, Network) else 'recording'}")
    print(obj.summary())
    if not isinstance(obj, Network):
        print("metadata:")
        print("\n".join(_format_meta(obj.meta)))
        bands = bands_from_meta(obj.meta)
        if bands:
            rates = band_rates(obj, bands)
            print("band rates: " + ", ".join(f"{label} {rate:.2f} Hz" for label, rate in rates.items()))
    return 0


# -- plot ---------------------------------------------------------------------------------


def _check_image_path(path: Path) -> None:
    from matplotlib.figure import Figure

    supported = Figure().canvas.get_supported_filetypes()
    if path.suffix[1:].lower() not in supported:
        raise UsageError(f"cannot tell the image format of '{path}': give it one of the extensions "
                         f"{', '.join('.' + s for s in sorted(supported))}")


#: the ``--dpi`` range of ``neuromem plot``: at 1200 a 10 x 7 inch figure is 12000 x 8400 pixels
DPI_RANGE = (10.0, 1200.0)
#: ``--bin-ms`` when not given
DEFAULT_BIN_MS = 5.0


def _check_plot_options(args: argparse.Namespace) -> None:
    """The options of ``neuromem plot`` that need no recording: refused before it is read."""
    out = Path(args.output)
    _check_image_path(out)
    if out.is_dir():
        raise UsageError(f"{out}: is a folder, not a file (-o names the image to write)")
    lo, hi = DPI_RANGE
    if not lo <= args.dpi <= hi:  # also refuses inf
        raise UsageError(f"--dpi {args.dpi:g}: expected a resolution from {lo:g} to {hi:g} dots "
                         "per inch")
    if args.rate and args.mode != "bands":
        raise UsageError(f"--rate draws a rate panel under the raster of --mode bands only, not "
                         f"--mode {args.mode} (leave out --rate, or use --mode bands)")
    if args.bin_ms is not None and not args.rate:
        raise UsageError(f"--bin-ms {args.bin_ms:g} applies to --rate only (the rate panel's bins)")


def _check_bin_ms(bin_ms: float, rec) -> None:
    """A rate bin no narrower than the recording's time step and no wider than its duration."""
    duration = rec.t_stop - rec.t_start
    if bin_ms < rec.dt * (1 - 1e-9) or (duration > 0 and bin_ms > duration * (1 + 1e-9)):
        raise UsageError(f"--bin-ms {bin_ms:g}: a rate bin must be at least the recording's time "
                         f"step ({rec.dt:g} ms) and at most its duration ({duration:g} ms)")


def _cmd_plot(args: argparse.Namespace) -> int:
    from neuromem import Recording, plot

    _check_plot_options(args)
    out = Path(args.output)
    check_not_folder(args.file)
    rec = Recording.load(args.file)
    bands = None if args.populations else bands_from_meta(rec.meta)
    if args.rate:
        bin_ms = DEFAULT_BIN_MS
        if args.bin_ms is not None:
            _check_bin_ms(args.bin_ms, rec)
            bin_ms = args.bin_ms
        fig = plot.overview(rec, args.populations, trial=args.trial, bands=bands, bin_ms=bin_ms)
    else:
        fig = plot.raster(rec, args.populations, trial=args.trial, mode=args.mode, bands=bands)
    try:
        plot.save_figure(fig, out, dpi=args.dpi)
    finally:
        plot.close(fig)
    print(f"wrote {out}")
    return 0


# -- export -------------------------------------------------------------------------------

#: ``--machine`` choices of ``neuromem export --target spinnaker``
MACHINES = ("spinnaker1", "spinn3", "spinnaker2")


def _machine(name: str, dt: float):
    """The named machine, stepping at ``dt`` (the network's: sPyNNaker's time step is a setting
    of the run, ``sim.setup(timestep=dt)``)."""
    from dataclasses import replace

    from neuromem.hardware.spinnaker import machine

    if name not in MACHINES:
        raise UsageError(f"unknown machine '{name}' (known: {', '.join(MACHINES)})")
    return replace(getattr(machine, name)(), dt=dt)


def _cmd_export(args: argparse.Namespace) -> int:
    from neuromem import Network

    if args.target == "pynn" and args.machine is not None:
        raise UsageError("--machine applies to --target spinnaker only, not pynn")
    if args.target == "spinnaker" and args.simulator not in (None, "spiNNaker"):
        raise UsageError(f"--simulator {args.simulator} applies to --target pynn only (the "
                         "spinnaker target writes a script for pyNN.spiNNaker)")
    net = load_any(args.file)
    if not isinstance(net, Network):
        raise UsageError(f"{args.file}: holds a recording; export takes a network (a file "
                         "written by Network.save)")
    out = Path(args.output)
    if args.target == "spinnaker":
        from neuromem.hardware.spinnaker.export import export_spinnaker

        files = export_spinnaker(net, out, _machine(args.machine or "spinnaker1", net.dt),
                                 duration_ms=args.duration)
        print(files["report"].read_text(encoding="utf-8").rstrip("\n"))
    else:
        from neuromem.pynn_export import write_pynn_script

        simulator = args.simulator or "brian2"
        files = write_pynn_script(net, out / "network.py", simulator=simulator,
                                  duration_ms=args.duration)
        print(f"PyNN script of '{net.name}' for pyNN.{simulator} (--simulator picks another "
              "when it runs)")
    print("wrote:")
    for key, path in files.items():
        print(f"  {key:<18} {path}")
    return 0


# -- parser -------------------------------------------------------------------------------


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from neuromem import __version__
    from neuromem.backends import available_backends

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="neuromem", formatter_class=fmt,
        description="Run neuromem experiments and inspect the files they write.",
        epilog="Run 'neuromem COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"neuromem {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    known = "\n".join(f"  {name:<12} {_describe(f)}" for name, f in sorted(EXPERIMENTS.items()))
    run = sub.add_parser(
        "run", formatter_class=fmt, help="run an experiment and save its recording and raster",
        description="Build a registered experiment, compile it for a backend, simulate it with a "
                    "progress bar,\nand write OUT/recording.h5 (all spikes and metadata) and "
                    "OUT/raster.png\n(raster over a population-rate panel). Prints spike counts, "
                    "mean rates and timings.",
        epilog=f"experiments:\n{known}\n\nexamples:\n"
               "  neuromem run cuba --backend torch --out out/cuba-torch\n"
               "  neuromem run cuba --backend torch --device cuda --dtype float32 --out out/gpu\n"
               "  neuromem run cuba --backend brian2 --target numpy --duration 200 --out out/b2\n"
               "  neuromem run ca3-cam --input ops.json --backend brian2 --out out/ca3\n"
               "  neuromem run dendrites --backend torch --out out/dendrites\n\n"
               "Options of one backend given with the other are refused unless they hold the default.")
    run.add_argument("experiment", metavar="EXPERIMENT", help="experiment name (see below)")
    run.add_argument("--backend", required=True, choices=available_backends(), help="simulator backend")
    run.add_argument("--out", required=True, metavar="DIR",
                     help="output folder (created; recording.h5 and raster.png are replaced)")
    run.add_argument("--input", default=None, metavar="FILE",
                     help="experiment input (ca3-cam: the reference JSON of IN spike trains)")
    run.add_argument("--duration", type=_positive_float, default=None, metavar="MS",
                     help="simulated time in ms, a whole number of steps (default: the "
                          "experiment's, else 1000)")
    run.add_argument("--seed", type=int, default=0,
                     help="run seed: initial states, Poisson sources (default: 0)")
    run.add_argument("--method", choices=["exact", "euler", "spinnaker"], default=None,
                     help="integration of the LIF equations (default: the experiment's, else "
                          "the backend's: exact, or spinnaker on the spinnaker backend; ca3-cam: "
                          "spinnaker)")
    torch_opts = run.add_argument_group("torch backend")
    torch_opts.add_argument("--dtype", choices=["float32", "float64"], default=None,
                            help="floating-point type of the state (default: float64)")
    torch_opts.add_argument("--device", choices=["cpu", "cuda"], default=None,
                            help="torch device (default: cpu)")
    b2_opts = run.add_argument_group("brian2 backend")
    b2_opts.add_argument("--target", choices=["numpy", "cython", "cpp_standalone"], default=None,
                         help="Brian2 code generation target (default: cython)")
    b2_opts.add_argument("--cache-dir", default=None, metavar="DIR",
                         help=f"Cython cache of --target cython (default: {default_cache_dir()})")
    run.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")
    run.set_defaults(handler=_cmd_run)

    info = sub.add_parser(
        "info", formatter_class=fmt, help="describe a saved network or recording",
        description="Print the summary of a neuromem HDF5 file: populations and projections of a "
                    "network;\nspike counts, rates, timings and metadata of a recording. The kind "
                    "is read from the file.",
        epilog="example:\n  neuromem info out/cuba/recording.h5")
    info.add_argument("file", metavar="FILE", help="a .h5 file written by Network.save or Recording.save")
    info.set_defaults(handler=_cmd_info)

    plot = sub.add_parser(
        "plot", formatter_class=fmt, help="draw the spike raster of a saved recording",
        description="Draw the spike raster of a recording written by 'neuromem run' or "
                    "Recording.save.\nBands (e.g. CUBA's exc and inh) stored by 'neuromem run' are "
                    "used unless --populations is given.",
        epilog="examples:\n  neuromem plot out/cuba/recording.h5 -o raster.png\n"
               "  neuromem plot out/cuba/recording.h5 -o panels.pdf --mode panels")
    plot.add_argument("file", metavar="FILE", help="recording .h5 file")
    plot.add_argument("-o", "--output", required=True, metavar="IMAGE",
                      help="image to write; the format follows the extension (.png, .pdf, .svg, ...)")
    plot.add_argument("--mode", choices=["bands", "panels"], default="bands",
                      help="bands: one axis, populations stacked; panels: one subplot each (default: bands)")
    plot.add_argument("--trial", type=int, default=0, help="trial to draw (default: 0)")
    plot.add_argument("--populations", nargs="+", metavar="POP", default=None,
                      help="populations to draw, in this order (default: all, or the stored bands)")
    plot.add_argument("--rate", action="store_true", help="add a population-rate panel (bands mode)")
    plot.add_argument("--bin-ms", type=_positive_float, default=None, metavar="MS",
                      help=f"rate bin width in ms, from the recording's time step to its duration "
                           f"(with --rate; default: {DEFAULT_BIN_MS:g})")
    plot.add_argument("--dpi", type=_positive_float, default=150.0,
                      help=f"resolution in dots per inch, {DPI_RANGE[0]:g} to {DPI_RANGE[1]:g} "
                           "(default: 150)")
    plot.set_defaults(handler=_cmd_plot)

    export = sub.add_parser(
        "export", formatter_class=fmt, help="write a network for SpiNNaker or as a PyNN script",
        description="Export a network written by Network.save.\n"
                    "--target spinnaker: map it onto a SpiNNaker machine and write the mapping "
                    "report\n  (mapping.json, report.txt), the routing tables per chip "
                    "(routing_tables.json),\n  the 16-bit synaptic matrices "
                    "(synaptic_matrices.npz) and a PyNN script for\n  pyNN.spiNNaker "
                    "(network.py); prints the report. A network that does not fit\n  fails "
                    "with what, where and by how much, and writes nothing.\n"
                    "--target pynn: write only the PyNN script (network.py, with "
                    "network_data.npz when\n  its arrays are large), which runs on "
                    "pyNN.spiNNaker, pyNN.nest or pyNN.brian2.",
        epilog="examples:\n  neuromem export net.h5 --target spinnaker -o out/spinnaker\n"
               "  neuromem export net.h5 --target spinnaker --machine spinn3 -o out/spinn3\n"
               "  neuromem export net.h5 --target pynn --simulator nest -o out/pynn\n"
               "  python out/pynn/network.py --simulator brian2 --counts counts.json")
    export.add_argument("file", metavar="NET.h5", help="a network file written by Network.save")
    export.add_argument("--target", required=True, choices=["spinnaker", "pynn"],
                        help="what to write")
    export.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="output folder (created; the files named above are replaced)")
    export.add_argument("--machine", choices=MACHINES, default=None,
                        help="SpiNNaker machine of --target spinnaker: one SpiNN-5 board of "
                             "SpiNNaker1 chips, a 4-chip SpiNN-3 board, or one SpiNNaker2 "
                             "chip (default: spinnaker1)")
    export.add_argument("--simulator", choices=["spiNNaker", "brian2", "nest", "neuron"],
                        default=None,
                        help="default PyNN module of the script of --target pynn (default: "
                             "brian2; spinnaker's script defaults to spiNNaker)")
    export.add_argument("--duration", type=_positive_float, default=1000.0, metavar="MS",
                        help="the script's default simulated time in ms (default: 1000)")
    export.set_defaults(handler=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neuromem`` console script; returns the exit status (0 success,
    1 an operating-system failure such as an unwritable folder, 2 a usage or neuromem error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except NeuromemError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
