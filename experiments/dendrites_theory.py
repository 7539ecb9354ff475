"""Reproduce the theory-and-simulation figures of Ahmad & Hawkins (2016) on active dendrites and SDRs.

    python experiments/dendrites_theory.py --out out/dendrites-theory [--quick]

Each figure draws the exact theory (``neuromem.models.active_dendrites``: Eq. 4, Eq. 5/6 and the union
formulas) as curves, with binary Monte Carlo points beside it (error bars: one binomial standard error;
points with no hits are left out, where the rate is below what the trials can measure):

* ``fp_vs_n.png``: false-positive rate against n for sparse (fixed a) and dense (a = n/4) inputs;
* ``fp_vs_s.png``: false-positive rate against the number of synapses s, for fixed n, a, theta;
* ``fn_vs_noise.png``: false-negative rate against the noise fraction, a=128, s=30, theta in {8, 12, 16};
* ``threshold_tradeoff.png``: FP and FN against theta, and the theta that minimises FP + FN over a grid;
* ``union_capacity.png``: false-positive rate of a union segment against the number of stored patterns M.

It also prints (and saves as ``worked_examples.txt``) the worked examples of the paper (spec §2.3).
``--quick`` uses few Monte Carlo trials and coarse grids, and finishes in well under a minute.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from neuromem.models import active_dendrites as ad  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/dendrites-theory", help="output folder (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="few trials, coarse grids (< 60 s)")
    parser.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default: 0)")
    return parser.parse_args(argv)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save(fig: plt.Figure, folder: str, name: str) -> str:
    """Write ``fig`` as ``folder/name`` atomically: a temporary file in the folder, then ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".png", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format="png", dpi=120, bbox_inches="tight")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        plt.close(fig)
    return os.path.join(folder, name)


def save_text(text: str, folder: str, name: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, os.path.join(folder, name))


def mc_points(ax: plt.Axes, xs, estimates, trials: int, color: str, label: str | None = None) -> None:
    """Monte Carlo rates with one-standard-error bars; zero-count points are not drawn (unmeasurable)."""
    xs = np.asarray(xs, dtype=float)
    rates = np.array([e.rate for e in estimates])
    keep = rates > 0
    if not keep.any():
        return
    sig = np.sqrt(rates * (1 - rates) / trials)
    lower = np.minimum(sig, rates * 0.999)  # keep the bar above 0 on log axes
    ax.errorbar(xs[keep], rates[keep], yerr=[lower[keep], sig[keep]], fmt="o", ms=4, color=color,
                mfc="none", capsize=2, label=label)


def measurable(p: float, trials: int, events: float = 3.0) -> bool:
    """Whether ``trials`` trials expect at least ``events`` hits of a rate ``p`` (worth simulating)."""
    return p * trials >= events


def finish(ax: plt.Axes, xlabel: str, ylabel: str, title: str, log: bool = True) -> None:
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)


# ------------------------------------------------------------------------------------------------
# figures
# ------------------------------------------------------------------------------------------------

def fig_fp_vs_n(out: str, quick: bool, rng: np.random.Generator) -> str:
    """(a) FP against n (s=24, theta=12): sparse inputs (fixed a) fall by orders of magnitude, dense
    inputs (a = n/4) do not (acceptance test 7; the paper's 'effect of n' figure)."""
    s, theta = 24, 12
    trials = 3000 if quick else 100_000
    ns = np.unique(np.geomspace(300, 30000, 40 if quick else 120).astype(int))
    ns_mc = [300, 500, 1000, 2000, 4000, 8000] + ([] if quick else [16000])
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    cases = [(f"a={a}", lambda n, a=a: a) for a in (64, 128, 256)] + [("a=n/4 (dense)", lambda n: n // 4)]
    for (label, a_of), color in zip(cases, COLORS):
        grid = [n for n in ns if a_of(n) <= n and a_of(n) >= s]
        ax.plot(grid, [ad.p_false_positive(n, a_of(n), s, theta) for n in grid], color=color,
                label=f"{label}: theory")
        pts = [n for n in ns_mc
               if a_of(n) >= s and measurable(ad.p_false_positive(n, a_of(n), s, theta), trials)]
        t = min(trials, 3000) if "dense" in label else trials  # the dense sampler touches all n cells
        est = [ad.simulate_false_positive(n, a_of(n), s, theta, t, rng) for n in pts]
        mc_points(ax, pts, est, t, color, f"{label}: simulation ({t} trials)")
    ax.set_xscale("log")
    finish(ax, "number of cells n", "P(false positive)", f"False matches vs n (s={s}, θ={theta}, Eq. 4)")
    ax.set_ylim(1e-30, 2)
    return save(fig, out, "fp_vs_n.png")


def fig_fp_vs_s(out: str, quick: bool, rng: np.random.Generator) -> str:
    """(b) FP against the number of synapses s, for fixed n, a and theta (Eq. 4)."""
    n, theta = 4000, 10
    trials = 3000 if quick else 100_000
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for a, color in zip((64, 128, 256), COLORS):
        grid = np.arange(theta, min(a, 120) + 1)
        ax.plot(grid, [ad.p_false_positive(n, a, int(s), theta) for s in grid], color=color,
                label=f"a={a}: theory")
        pts = [s for s in range(theta, min(a, 120) + 1, 10 if quick else 5)
               if measurable(ad.p_false_positive(n, a, s, theta), trials)]
        est = [ad.simulate_false_positive(n, a, s, theta, trials, rng) for s in pts]
        mc_points(ax, pts, est, trials, color, f"a={a}: simulation")
    finish(ax, "synapses on the segment s", "P(false positive)",
           f"False matches vs s (n={n}, θ={theta}, Eq. 4; {trials} trials per point)")
    return save(fig, out, "fp_vs_s.png")


def fig_fn_vs_noise(out: str, quick: bool, rng: np.random.Generator) -> str:
    """(c) FN against the noise fraction v/a for a=128, s=30, theta in {8, 12, 16} (Eq. 5/6; the
    reference noise experiment, run_noise_experiment.py, uses a=128, n=6000, s=30)."""
    a, s, n = 128, 30, 6000
    trials = 2000 if quick else 50_000
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    vs = np.arange(0, a + 1)
    vs_mc = np.unique(np.round(np.arange(0.15, 0.86, 0.1 if quick else 0.05) * a).astype(int))
    for theta, color in zip((8, 12, 16), COLORS):
        theory = [ad.p_false_negative(a, s, theta, int(v)) for v in vs]
        est = [ad.simulate_false_negative(a, s, theta, int(v), trials, rng, n=n) for v in vs_mc]
        for ax in axes:
            ax.plot(vs / a, theory, color=color, label=f"θ={theta}: theory")
            mc_points(ax, vs_mc / a, est, trials, color, f"θ={theta}: simulation")
    finish(axes[0], "noise: fraction v/a of active bits swapped", "P(false negative)",
           f"Robustness to noise (a={a}, s={s}, Eq. 5/6)", log=False)
    finish(axes[1], "noise: fraction v/a of active bits swapped", "P(false negative)",
           f"Same, log scale ({trials} trials per point)")
    axes[1].set_ylim(1e-12, 2)
    return save(fig, out, "fn_vs_noise.png")


def fig_threshold(out: str, quick: bool, rng: np.random.Generator) -> str:
    """(d) The FP / FN trade-off of the NMDA threshold theta, and the optimal theta over a grid."""
    n, a, s, noise = 2000, 100, 30, 0.4
    v = round(noise * a)
    trials = 2000 if quick else 50_000
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    ax = axes[0]
    thetas = np.arange(1, s + 1)
    fp = np.array([ad.p_false_positive(n, a, s, int(t)) for t in thetas])
    fn = np.array([ad.p_false_negative(a, s, int(t), v) for t in thetas])
    ax.plot(thetas, fp, color=COLORS[0], label="false positive: theory (Eq. 4)")
    ax.plot(thetas, fn, color=COLORS[1], label=f"false negative, {noise:.0%} noise: theory (Eq. 5/6)")
    ax.plot(thetas, fp + fn, color="k", ls="--", lw=1, label="sum")
    best = int(thetas[np.argmin(fp + fn)])
    ax.axvline(best, color="gray", lw=0.8, ls=":", label=f"optimal θ={best}")
    step = 3 if quick else 1
    th_fp = [int(t) for t in thetas[::step] if measurable(ad.p_false_positive(n, a, s, int(t)), trials)]
    th_fn = [int(t) for t in thetas[::step] if measurable(ad.p_false_negative(a, s, int(t), v), trials)]
    mc_points(ax, th_fp, [ad.simulate_false_positive(n, a, s, t, trials, rng) for t in th_fp], trials,
              COLORS[0], "false positive: simulation")
    mc_points(ax, th_fn, [ad.simulate_false_negative(a, s, t, v, trials, rng) for t in th_fn], trials,
              COLORS[1], "false negative: simulation")
    finish(ax, "NMDA threshold θ", "error probability", f"Trade-off (n={n}, a={a}, s={s}, v={v})")
    ax.set_ylim(1e-14, 2)

    ax = axes[1]
    n2, a2 = 10000, 300
    ss = np.arange(8, 61, 4 if quick else 2)
    for noise2, color in zip((0.1, 0.2, 0.3, 0.4, 0.5), COLORS):
        v2 = round(noise2 * a2)
        opt = []
        for s2 in ss:
            errs = [ad.p_false_positive(n2, a2, int(s2), t) + ad.p_false_negative(a2, int(s2), t, v2)
                    for t in range(1, int(s2) + 1)]
            opt.append(1 + int(np.argmin(errs)))
        ax.plot(ss, np.array(opt), "o-", ms=3, color=color, label=f"noise {noise2:.0%}")
    ax.plot(ss, ss / 2, color="gray", ls=":", lw=1, label="θ = s/2")
    finish(ax, "synapses on the segment s", "optimal θ (argmin FP + FN)",
           f"Optimal NMDA threshold (theory, n={n2}, a={a2})", log=False)
    return save(fig, out, "threshold_tradeoff.png")


def fig_union(out: str, quick: bool, rng: np.random.Generator) -> str:
    """(e) Union capacity: FP of one segment storing the union of M patterns (a=200, s=25, theta=15, as
    sdr_paper_unions.falseMatchvsM), and the §3.3 example n=20000, a=100, s=25, theta=15."""
    a, s, theta = 200, 25, 15
    trials = 1000 if quick else 20_000
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    ax = axes[0]
    ms = np.arange(1, 31 if quick else 41)
    for n, color in zip((1000, 2000, 4000, 8000), COLORS):
        ax.plot(ms, [ad.p_union_false_positive(n, a, s, theta, int(m)) for m in ms], color=color,
                label=f"n={n}: paper formula, s'=round(E|X|)")
        m_exact = ms[:: 3 if quick else 1]
        ax.plot(m_exact, [ad.p_union_false_positive_exact(n, a, s, theta, int(m)) for m in m_exact],
                color=color, ls="--", lw=1, label=f"n={n}: exact expectation")
        pts = [int(m) for m in ms[:: 3 if quick else 1]
               if measurable(ad.p_union_false_positive(n, a, s, theta, int(m)), trials)
               and ad.p_union_false_positive(n, a, s, theta, int(m)) < 0.999]
        est = [ad.simulate_union_false_positive(n, a, s, theta, m, trials, rng) for m in pts]
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
    pts = [int(m) for m in ms2[::10] if measurable(ad.p_union_false_positive(n, a, s, theta, int(m)), trials)]
    est = [ad.simulate_union_false_positive(n, a, s, theta, m, trials, rng) for m in pts]
    mc_points(ax, pts, est, trials, COLORS[0], "simulation")
    finish(ax, "patterns in the union M", "P(false positive)",
           f"§3.3 example (n={n}, a={a}, s={s}, θ={theta})")
    return save(fig, out, "union_capacity.png")


# ------------------------------------------------------------------------------------------------
# worked examples (spec §2.3)
# ------------------------------------------------------------------------------------------------

def worked_examples() -> str:
    """The table of the paper's worked examples: parameters, our exact value, the paper's statement."""
    p15 = ad.p_false_positive(10000, 300, 30, 15)
    rows = [
        ("§3.1 example", "n=10000, a=300, s=30, θ=12",
         f"P_FP = {ad.p_false_positive(10000, 300, 30, 12):.4g}", "about one in 10^10"),
        ("§3.1 noise", "a=300, s=30, θ=12, v=60 (20%)",
         f"P_FN = {ad.p_false_negative(300, 30, 12, 60):.6g}", "smaller than one in 10^7"),
        ("§3.2 capacity", "n=10000, a=300, s=30, θ=15, M=10^6",
         f"P_FP = {p15:.4g}; M·P = {ad.population_bound(10**6, p15):.4g}; "
         f"1-(1-P)^M = {ad.p_population(10**6, p15):.4g}", "better than 1 in a billion"),
        ("§3.3 union", "n=20000, a=100, s=25, θ=15, M=10",
         f"E|X| = {ad.union_size(20000, 25, 10):.3f}; "
         f"zero fraction = {ad.union_zero_fraction(20000, 25, 10):.5f}",
         "<250 synapses; 98.75% zero"),
        ("§3.3 union", "s' = round(E|X|) = 249 (s' = 248)",
         f"P_FP = {ad.p_union_false_positive(20000, 100, 25, 15, 10):.3g} "
         f"({ad.p_false_positive(20000, 100, 248, 15):.3g}); "
         f"exact expectation {ad.p_union_false_positive_exact(20000, 100, 25, 15, 10):.3g}",
         "less than one in 10^11"),
        ("spec §2.2", "union n=1000, a=200, s=25, θ=15, M=2",
         f"formula {ad.p_union_false_positive(1000, 200, 25, 15, 2):.4f}; "
         f"exact {ad.p_union_false_positive_exact(1000, 200, 25, 15, 2):.4f}", "0.0474 vs 0.0508"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("where", "parameters", "computed", "paper statement")
    widths = [max(w, len(h)) for w, h in zip(widths, head)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def run(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    table = worked_examples()
    print(table)
    save_text(table, args.out, "worked_examples.txt")
    for make in (fig_fp_vs_n, fig_fp_vs_s, fig_fn_vs_noise, fig_threshold, fig_union):
        t0 = time.perf_counter()
        path = make(args.out, args.quick, rng)
        print(f"{path}  ({time.perf_counter() - t0:.1f} s)")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run())

