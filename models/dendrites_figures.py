"""The figures of Ahmad & Hawkins (2016) on active dendrites and SDRs: exact theory beside Monte Carlo.

    from neuromem.models.dendrites_figures import make_figures
    paths = make_figures("out/dendrites", quick=True, backend="torch")

Each figure draws the exact theory (:mod:`neuromem.models.active_dendrites`: Eq. 4, Eq. 5/6 and the
union formulas) as curves, with binary Monte Carlo points beside it (error bars: one binomial standard
error; points with no hits are left out, where the rate is below what the trials can measure). With a
``backend``, the false-positive-against-theta and the noise figures also get Monte Carlo points whose
decisions come from the spiking segment network
(:func:`~neuromem.models.active_dendrites.spiking_segment_network`) run on that backend.

* ``fp_vs_n``: false-positive rate against n, sparse (fixed a) and dense (a = n/4) inputs;
* ``fp_vs_a``: false-positive rate against the number of active cells a, for several n;
* ``fp_vs_s``: false-positive rate against the number of synapses s;
* ``fp_vs_theta``: false-positive rate against the NMDA threshold theta, for several s;
* ``fn_vs_noise``: false-negative rate against the noise fraction, a=128, s=30, theta in {8, 12, 16};
* ``optimal_threshold``: the FP / FN trade-off of theta, and the theta minimising FP + FN over a grid;
* ``union_capacity``: false-positive rate of a segment storing the union of M patterns;
* ``worked_examples`` (``.csv`` and ``.md``): the paper's worked examples (spec §2.3).

Every file is written atomically (a temporary file in the same folder, then ``os.replace``).
``quick=True`` uses few trials and coarse grids (well under a minute on two cores).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from neuromem.models import active_dendrites as ad

from neuromem.atomic import atomic_path

__all__ = ["FIGURES", "make_figures", "worked_examples", "worked_examples_markdown"]

# matplotlib's default colour cycle, fixed here so that curves and points of one case match
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


@dataclass
class Context:
    """What every figure needs: where to write, how much to simulate, and with what."""

    out: Path
    quick: bool
    rng: np.random.Generator
    backend: str | None = None
    options: dict = field(default_factory=dict)

    def trials(self, quick: int, full: int) -> int:
        return quick if self.quick else full


# --------------------------------------------------------------------------------------------------
# drawing helpers
# --------------------------------------------------------------------------------------------------

def _save(fig: Figure, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return path


def _write_text(text: str, path: Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def mc_points(ax: Axes, xs: Sequence[float], estimates: Sequence[ad.MCEstimate], trials: int, color: str,
              label: str | None = None, marker: str = "o") -> None:
    """Monte Carlo rates with one-standard-error bars; zero-count points are not drawn (unmeasurable)."""
    xs = np.asarray(xs, dtype=float)
    rates = np.array([e.rate for e in estimates])
    keep = rates > 0
    if not keep.any():
        return
    sig = np.sqrt(rates * (1 - rates) / trials)
    lower = np.minimum(sig, rates * 0.999)  # keep the bar above 0 on log axes
    filled = "none" if marker == "o" else color
    ax.errorbar(xs[keep], rates[keep], yerr=[lower[keep], sig[keep]], fmt=marker, ms=4, color=color,
                mfc=filled, capsize=2, label=label)


def measurable(p: float, trials: int, events: float = 3.0) -> bool:
    """Whether ``trials`` trials expect at least ``events`` hits of a rate ``p`` (worth simulating)."""
    return p * trials >= events


def finish(ax: Axes, xlabel: str, ylabel: str, title: str, log: bool = True) -> None:
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)


def _spiking_label(ctx: Context) -> str:
    target = ctx.options.get("target", "numpy" if ctx.backend == "brian2" else None)
    return f"spiking, {ctx.backend}" + (f" {target}" if target else "")


# --------------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------------

def fig_fp_vs_n(ctx: Context) -> Path:
    """FP against n (s=24, theta=12): sparse inputs (fixed a) fall by orders of magnitude, dense inputs
    (a = n/4) do not (acceptance test 7; the paper's 'effect of n' figure)."""
    s, theta = 24, 12
    trials = ctx.trials(3000, 100_000)
    ns = np.unique(np.geomspace(300, 30000, 40 if ctx.quick else 120).astype(int))
    ns_mc = [300, 500, 1000, 2000, 4000, 8000] + ([] if ctx.quick else [16000])
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    cases = [(f"a={a}", lambda n, a=a: a) for a in (64, 128, 256)] + [("a=n/4 (dense)", lambda n: n // 4)]
    for (label, a_of), color in zip(cases, COLORS):
        grid = [n for n in ns if s <= a_of(n) <= n]
        ax.plot(grid, [ad.p_false_positive(n, a_of(n), s, theta) for n in grid], color=color,
                label=f"{label}: theory")
        pts = [n for n in ns_mc
               if a_of(n) >= s and measurable(ad.p_false_positive(n, a_of(n), s, theta), trials)]
        t = min(trials, 3000) if "dense" in label else trials  # the dense sampler touches all n cells
        est = [ad.simulate_false_positive(n, a_of(n), s, theta, t, ctx.rng) for n in pts]
        mc_points(ax, pts, est, t, color, f"{label}: simulation ({t} trials)")
    ax.set_xscale("log")
    finish(ax, "number of cells n", "P(false positive)", f"False matches vs n (s={s}, θ={theta}, Eq. 4)")
    ax.set_ylim(1e-30, 2)
    return _save(fig, ctx.out / "fp_vs_n.png")


def fig_fp_vs_a(ctx: Context) -> Path:
    """FP against the number of active cells a (s=24, theta=12), for several n: the rate climbs by
    orders of magnitude as the input gets denser (Eq. 4)."""
    s, theta = 24, 12
    trials = ctx.trials(1000, 20_000)
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    for n, color in zip((1000, 4000, 16000), COLORS):
        grid = np.unique(np.geomspace(s, n // 2, 30 if ctx.quick else 60).astype(int))
        ax.plot(grid, [ad.p_false_positive(n, int(a), s, theta) for a in grid], color=color,
                label=f"n={n}: theory")
        candidates = np.unique(np.geomspace(s, n // 2, 8 if ctx.quick else 16).astype(int))
        # only dense inputs match often enough to be measured; their sampler draws n keys per trial
        pts = [int(a) for a in candidates if measurable(ad.p_false_positive(n, int(a), s, theta), trials)]
        est = [ad.simulate_false_positive(n, a, s, theta, trials, ctx.rng) for a in pts]
        mc_points(ax, pts, est, trials, color, f"n={n}: simulation ({trials} trials)")
    ax.set_xscale("log")
    finish(ax, "active cells in the input a", "P(false positive)",
           f"False matches vs a (s={s}, θ={theta}, Eq. 4)")
    ax.set_ylim(1e-30, 2)
    return _save(fig, ctx.out / "fp_vs_a.png")


def fig_fp_vs_s(ctx: Context) -> Path:
    """FP against the number of synapses s, for fixed n, a and theta (Eq. 4)."""
    n, theta = 4000, 10
    trials = ctx.trials(3000, 100_000)
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    for a, color in zip((64, 128, 256), COLORS):
        grid = np.arange(theta, min(a, 120) + 1)
        ax.plot(grid, [ad.p_false_positive(n, a, int(s), theta) for s in grid], color=color,
                label=f"a={a}: theory")
        pts = [s for s in range(theta, min(a, 120) + 1, 10 if ctx.quick else 5)
               if measurable(ad.p_false_positive(n, a, s, theta), trials)]
        est = [ad.simulate_false_positive(n, a, s, theta, trials, ctx.rng) for s in pts]
        mc_points(ax, pts, est, trials, color, f"a={a}: simulation")
    finish(ax, "synapses on the segment s", "P(false positive)",
           f"False matches vs s (n={n}, θ={theta}, Eq. 4; {trials} trials per point)")
    return _save(fig, ctx.out / "fp_vs_s.png")


def fig_fp_vs_theta(ctx: Context) -> Path:
    """FP against the NMDA threshold theta (n=2000, a=100), for several s; binary and, with a backend,
    spiking Monte Carlo points (the segment network's own dendritic events)."""
    n, a = 2000, 100
    trials = ctx.trials(4000, 100_000)
    spiking_trials = ctx.trials(4000, 40_000)
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.subplots()
    for s, color in zip((20, 30, 40), COLORS):
        thetas = np.arange(1, s + 1)
        ax.plot(thetas, [ad.p_false_positive(n, a, s, int(t)) for t in thetas], color=color,
                label=f"s={s}: theory")
        pts = [int(t) for t in thetas[:: 2 if ctx.quick else 1]
               if measurable(ad.p_false_positive(n, a, s, int(t)), trials)]
        mc_points(ax, pts, [ad.simulate_false_positive(n, a, s, t, trials, ctx.rng) for t in pts], trials,
                  color, f"s={s}: binary simulation")
        if ctx.backend and (s == 30 or not ctx.quick):
            pts = [t for t in pts if measurable(ad.p_false_positive(n, a, s, t), spiking_trials, 10)]
            est = [ad.simulate_false_positive_spiking(n, a, s, t, spiking_trials, ctx.rng,
                                                      backend=ctx.backend, **ctx.options) for t in pts]
            mc_points(ax, np.asarray(pts) + 0.25, est, spiking_trials, color,
                      f"s={s}: {_spiking_label(ctx)}", marker="s")
    finish(ax, "NMDA threshold θ", "P(false positive)", f"False matches vs θ (n={n}, a={a}, Eq. 4)")
    ax.set_ylim(1e-25, 2)
    return _save(fig, ctx.out / "fp_vs_theta.png")


def fig_fn_vs_noise(ctx: Context) -> Path:
    """FN against the noise fraction v/a for a=128, s=30, theta in {8, 12, 16} (Eq. 5/6; the reference
    noise experiment, run_noise_experiment.py, uses a=128, n=6000, s=30); spiking points with a backend."""
    a, s, n = 128, 30, 6000
    trials = ctx.trials(2000, 50_000)
    spiking_trials = ctx.trials(1000, 20_000)
    fig = Figure(figsize=(11, 4.4))
    axes = fig.subplots(1, 2)
    vs = np.arange(0, a + 1)
    vs_mc = np.unique(np.round(np.arange(0.15, 0.86, 0.1 if ctx.quick else 0.05) * a).astype(int))
    vs_spiking = vs_mc[2::3] if ctx.quick else vs_mc
    for theta, color in zip((8, 12, 16), COLORS):
        theory = [ad.p_false_negative(a, s, theta, int(v)) for v in vs]
        est = [ad.simulate_false_negative(a, s, theta, int(v), trials, ctx.rng, n=n) for v in vs_mc]
        spiking = []
        if ctx.backend:
            spiking = [ad.simulate_false_negative_spiking(a, s, theta, int(v), spiking_trials, ctx.rng,
                                                          backend=ctx.backend, **ctx.options)
                       for v in vs_spiking]
        for ax in axes:
            ax.plot(vs / a, theory, color=color, label=f"θ={theta}: theory")
            mc_points(ax, vs_mc / a, est, trials, color, f"θ={theta}: binary simulation")
            if spiking:
                mc_points(ax, vs_spiking / a + 0.01, spiking, spiking_trials, color,
                          f"θ={theta}: {_spiking_label(ctx)}", marker="s")
    finish(axes[0], "noise: fraction v/a of active bits swapped", "P(false negative)",
           f"Robustness to noise (a={a}, s={s}, Eq. 5/6)", log=False)
    finish(axes[1], "noise: fraction v/a of active bits swapped", "P(false negative)",
           f"Same, log scale ({trials} trials per point)")
    axes[1].set_ylim(1e-12, 2)
    return _save(fig, ctx.out / "fn_vs_noise.png")


def optimal_theta(n: int, a: int, s: int, v: int) -> int:
    """The theta in 1..s that minimises P_FP + P_FN (Eq. 4 + Eq. 5/6; the smallest on ties)."""
    errors = [ad.p_false_positive(n, a, s, t) + ad.p_false_negative(a, s, t, v) for t in range(1, s + 1)]
    return 1 + int(np.argmin(errors))


def fig_optimal_threshold(ctx: Context) -> Path:
    """The FP / FN trade-off of the NMDA threshold theta, and the optimal theta over a grid of s and noise."""
    n, a, s, noise = 2000, 100, 30, 0.4
    v = round(noise * a)
    trials = ctx.trials(2000, 50_000)
    fig = Figure(figsize=(11, 4.4))
    axes = fig.subplots(1, 2)
    ax = axes[0]
    thetas = np.arange(1, s + 1)
    fp = np.array([ad.p_false_positive(n, a, s, int(t)) for t in thetas])
    fn = np.array([ad.p_false_negative(a, s, int(t), v) for t in thetas])
    ax.plot(thetas, fp, color=COLORS[0], label="false positive: theory (Eq. 4)")
    ax.plot(thetas, fn, color=COLORS[1], label=f"false negative, {noise:.0%} noise: theory (Eq. 5/6)")
    ax.plot(thetas, fp + fn, color="k", ls="--", lw=1, label="sum")
    best = optimal_theta(n, a, s, v)
    ax.axvline(best, color="gray", lw=0.8, ls=":", label=f"optimal θ={best}")
    step = 3 if ctx.quick else 1
    th_fp = [int(t) for t in thetas[::step] if measurable(ad.p_false_positive(n, a, s, int(t)), trials)]
    th_fn = [int(t) for t in thetas[::step] if measurable(ad.p_false_negative(a, s, int(t), v), trials)]
    mc_points(ax, th_fp, [ad.simulate_false_positive(n, a, s, t, trials, ctx.rng) for t in th_fp], trials,
              COLORS[0], "false positive: simulation")
    mc_points(ax, th_fn, [ad.simulate_false_negative(a, s, t, v, trials, ctx.rng) for t in th_fn], trials,
              COLORS[1], "false negative: simulation")
    finish(ax, "NMDA threshold θ", "error probability", f"Trade-off (n={n}, a={a}, s={s}, v={v})")
    ax.set_ylim(1e-14, 2)

    ax = axes[1]
    n2, a2 = 10000, 300
    ss = np.arange(8, 61, 4 if ctx.quick else 2)
    for noise2, color in zip((0.1, 0.2, 0.3, 0.4, 0.5), COLORS):
        opt = [optimal_theta(n2, a2, int(s2), round(noise2 * a2)) for s2 in ss]
        ax.plot(ss, opt, "o-", ms=3, color=color, label=f"noise {noise2:.0%}")
    ax.plot(ss, ss / 2, color="gray", ls=":", lw=1, label="θ = s/2")
    finish(ax, "synapses on the segment s", "optimal θ (argmin FP + FN)",
           f"Optimal NMDA threshold (theory, n={n2}, a={a2})", log=False)
    return _save(fig, ctx.out / "optimal_threshold.png")


def fig_union_capacity(ctx: Context) -> Path:
    """Union capacity: FP of one segment storing the union of M patterns (a=200, s=25, theta=15, as
    sdr_paper_unions.falseMatchvsM), and the §3.3 example n=20000, a=100, s=25, theta=15."""
    a, s, theta = 200, 25, 15
    trials = ctx.trials(1000, 20_000)
    fig = Figure(figsize=(11, 4.4))
    axes = fig.subplots(1, 2)
    ax = axes[0]
    ms = np.arange(1, 31 if ctx.quick else 41)
    every = 14 if ctx.quick else 1  # the exact expectation sums Eq. 4 over every union size: slow
    for n, color in zip((1000, 2000, 4000, 8000), COLORS):
        approx = {int(m): ad.p_union_false_positive(n, a, s, theta, int(m)) for m in ms}
        ax.plot(ms, list(approx.values()), color=color, label=f"n={n}: paper formula, s'=round(E|X|)")
        m_exact = ms[::every]
        ax.plot(m_exact, [ad.p_union_false_positive_exact(n, a, s, theta, int(m)) for m in m_exact],
                color=color, ls="--", lw=1, label=f"n={n}: exact expectation")
        pts = [int(m) for m in m_exact if measurable(approx[int(m)], trials) and approx[int(m)] < 0.999]
        est = [ad.simulate_union_false_positive(n, a, s, theta, m, trials, ctx.rng) for m in pts]
        mc_points(ax, pts, est, trials, color, f"n={n}: simulation")
    finish(ax, "patterns in the union M", "P(false positive)",
           f"Union capacity (a={a}, s={s}, θ={theta}; {trials} trials per point)")
    ax.set_ylim(1e-30, 2)
    ax.legend(fontsize=6, ncol=2)

    ax = axes[1]
    n, a, ms2 = 20000, 100, np.arange(1, 121)
    ax.plot(ms2, [ad.p_union_false_positive(n, a, s, theta, int(m)) for m in ms2], color=COLORS[0],
            label="paper formula, s'=round(E|X|)")
    ax.axvline(10, color="gray", ls=":", lw=0.8)
    p10 = ad.p_union_false_positive(n, a, s, theta, 10)
    ax.plot([10], [p10], "s", color="k", label=f"M=10: E|X|={ad.union_size(n, s, 10):.1f}, P={p10:.3g}")
    pts = [int(m) for m in ms2[::20 if ctx.quick else 5]
           if measurable(ad.p_union_false_positive(n, a, s, theta, int(m)), trials)]
    est = [ad.simulate_union_false_positive(n, a, s, theta, m, trials, ctx.rng) for m in pts]
    mc_points(ax, pts, est, trials, COLORS[0], "simulation")
    finish(ax, "patterns in the union M", "P(false positive)",
           f"§3.3 example (n={n}, a={a}, s={s}, θ={theta})")
    return _save(fig, ctx.out / "union_capacity.png")


#: figure name -> function of a Context, in the order make_figures draws them
FIGURES: dict[str, Callable[[Context], Path]] = {
    "fp_vs_n": fig_fp_vs_n,
    "fp_vs_a": fig_fp_vs_a,
    "fp_vs_s": fig_fp_vs_s,
    "fp_vs_theta": fig_fp_vs_theta,
    "fn_vs_noise": fig_fn_vs_noise,
    "optimal_threshold": fig_optimal_threshold,
    "union_capacity": fig_union_capacity,
}


# --------------------------------------------------------------------------------------------------
# worked examples (spec §2.3)
# --------------------------------------------------------------------------------------------------

WORKED_HEADER = ("where", "parameters", "computed", "paper statement")


def worked_examples() -> list[tuple[str, str, str, str]]:
    """The paper's worked examples: (where, parameters, our exact values, the paper's statement)."""
    p15 = ad.p_false_positive(10000, 300, 30, 15)
    return [
        ("§3.1 example", "n=10000, a=300, s=30, θ=12",
         f"P_FP = {ad.p_false_positive(10000, 300, 30, 12):.4g}", "about one in 10^10"),
        ("§3.1 noise", "a=300, s=30, θ=12, v=60 (20%)",
         f"P_FN = {ad.p_false_negative(300, 30, 12, 60):.6g}", "smaller than one in 10^7"),
        ("§3.2 capacity", "n=10000, a=300, s=30, θ=15, M=10^6",
         f"P_FP = {p15:.4g}; M·P = {ad.population_bound(10**6, p15):.4g}; "
         f"1-(1-P)^M = {ad.p_population(10**6, p15):.4g}", "better than 1 in a billion"),
        ("§3.3 union", "n=20000, a=100, s=25, θ=15, M=10",
         f"E|X| = {ad.union_size(20000, 25, 10):.3f}; "
         f"zero fraction = {ad.union_zero_fraction(20000, 25, 10):.5f}", "<250 synapses; 98.75% zero"),
        ("§3.3 union", "s' = round(E|X|) = 249 (s' = 248)",
         f"P_FP = {ad.p_union_false_positive(20000, 100, 25, 15, 10):.3g} "
         f"({ad.p_false_positive(20000, 100, 248, 15):.3g}); "
         f"exact expectation {ad.p_union_false_positive_exact(20000, 100, 25, 15, 10):.3g}",
         "less than one in 10^11"),
        ("spec §2.2", "union n=1000, a=200, s=25, θ=15, M=2",
         f"formula {ad.p_union_false_positive(1000, 200, 25, 15, 2):.4f}; "
         f"exact {ad.p_union_false_positive_exact(1000, 200, 25, 15, 2):.4f}", "0.0474 vs 0.0508"),
    ]


def worked_examples_markdown(rows: Sequence[Sequence[str]] | None = None) -> str:
    """The worked examples as a markdown table."""
    rows = worked_examples() if rows is None else rows
    lines = ["| " + " | ".join(WORKED_HEADER) + " |", "|" + "---|" * len(WORKED_HEADER)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------------

def _check_backend(backend: str, options: dict) -> None:
    """Fail before any work when ``backend`` is unknown or cannot run dendritic segments: one segment,
    one pattern (a backend without a DendriticLIF model raises its own error here)."""
    import neuromem as nm

    if backend not in nm.available_backends():
        raise ValueError(f"backend must be one of {nm.available_backends()} or None, got {backend!r}")
    one = ad.spiking_decisions(np.array([[0]]), np.array([[0]]), 1, 1, backend, **options)
    if not one.decisions.all():
        raise RuntimeError(f"backend {backend!r} missed a segment that matches its input")

def make_figures(out_dir: str | os.PathLike, quick: bool = True, backend: str | None = None, *,
                 seed: int = 0, options: dict | None = None,
                 only: Sequence[str] | None = None) -> dict[str, Path]:
    """Write the paper's figures and the worked-examples table into ``out_dir`` (created if needed).

    ``quick``: few Monte Carlo trials and coarse grids (well under a minute on two cores).
    ``backend``: "torch" or "brian2" (``target`` "numpy" unless ``options`` say otherwise): add Monte
    Carlo points from the spiking segment network to the ``fp_vs_theta`` and ``fn_vs_noise`` figures;
    ``options`` go to :func:`neuromem.compile`. A backend without dendritic segments (spinnaker)
    raises its own error before anything is drawn. ``seed``: the Monte Carlo seed. ``only``: names of
    :data:`FIGURES` to draw (default: all). Returns name -> path of every file written: the figures
    (PNG) and ``worked_examples_csv`` / ``worked_examples_md``.
    """
    names = list(FIGURES) if only is None else list(only)
    unknown = [name for name in names if name not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {unknown}; known: {', '.join(FIGURES)}")
    if backend is not None:
        _check_backend(backend, dict(options or {}))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(out, quick, np.random.default_rng(seed), backend, dict(options or {}))
    rows = worked_examples()
    paths = {"worked_examples_csv": _write_text(_csv_text(WORKED_HEADER, rows), out / "worked_examples.csv"),
             "worked_examples_md": _write_text(worked_examples_markdown(rows), out / "worked_examples.md")}
    for name in names:
        paths[name] = FIGURES[name](ctx)
    return paths
