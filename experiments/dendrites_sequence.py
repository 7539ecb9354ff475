"""Sequence memory of active-dendrite neurons (Hawkins & Ahmad 2016): accuracy, order and capacity.

    python experiments/dendrites_sequence.py --out out/dendrites-sequence [--quick]

Three measurements of :mod:`neuromem.models.sequence_memory`, written as ``sequence_memory.png``, one
CSV per table and ``summary.md`` (the tables are also printed):

1. **training passes**: next-element accuracy (exactly the legal next symbols predicted) after each
   pass over a shuffled stream with resets, for the paper's A-B-C-D / X-B-C-Y and for three pairs of
   order-4 sequences; mean and range over seeds (default memory: 2048 columns x 32 cells).
2. **sequence order**: pairs of sequences sharing a middle of k symbols (after it, the next symbol
   depends on the first one, k + 1 steps back), k = 1..K: passes until >= 95% accuracy, and the
   accuracy at the disambiguating step.
3. **capacity**: a small memory (256 columns x 4 cells = 1024 cells, 20 active columns per symbol,
   12 synapses per new segment, theta = 5) stores more and more random sequences of 8 symbols (each
   block of new sequences trained for a few passes, old ones not rehearsed). Beside its accuracy, the
   false positives the theory predicts for its own n, a, s, theta and number of segments (Eq. 4, and
   Eq. 8 for the population), measured (a) on random inputs, the theory's own setting, and (b) during
   the replay of the stored sequences, for symbols shared between sequences (an alphabet of 2000) and
   for unique symbols. The last column is the theory at a burst (a x cells-per-column active cells).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
from neuromem.models import active_dendrites as ad
from neuromem.models import sequence_memory as sm

from neuromem.atomic import atomic_path

CAPACITY_MEMORY = dict(n_columns=256, cells_per_column=4, active_bits=20, theta=5, min_threshold=8,
                       max_new_synapses=12, max_synapses_per_segment=16)
SEQUENCE_LENGTH = 8
SHARED_ALPHABET = 2000
CAPACITY_PASSES = 6


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/dendrites-sequence",
                        help="output folder (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="fewer seeds, orders and stored sequences")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default: 0)")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------------
# 1. accuracy against training passes
# --------------------------------------------------------------------------------------------------

def accuracy_curve(sequences: Sequence[Sequence[str]], passes: int, seed: int) -> np.ndarray:
    """Accuracy after each of ``passes`` training passes (a fresh default memory)."""
    memory = sm.SequenceMemory(seed=seed)
    curve = []
    for p in range(passes):
        sm.train(memory, sequences, passes=1, rng=seed * 1000 + p)
        curve.append(sm.evaluate(memory, sequences).accuracy)
    return np.array(curve)


def training_passes(seeds: list[int], passes: int) -> dict[str, np.ndarray]:
    """Accuracy curves (seeds x passes) for the paper's example and three pairs of order-4 sequences."""
    sets = {"A-B-C-D / X-B-C-Y": sm.high_order_sequences(2),
            "3 pairs of order 4": sm.high_order_sequences(4, pairs=3)}
    return {name: np.stack([accuracy_curve(seqs, passes, s) for s in seeds]) for name, seqs in sets.items()}


# --------------------------------------------------------------------------------------------------
# 2. accuracy against sequence order
# --------------------------------------------------------------------------------------------------

def order_row(order: int, seeds: list[int], max_passes: int) -> dict[str, float]:
    """Passes to >= 95% accuracy (median, min, max over seeds; max_passes + 1 if never) and the accuracy
    at the disambiguating step (after the shared middle) once trained for max_passes."""
    sequences = sm.high_order_sequences(order)
    needed, last = [], []
    for seed in seeds:
        memory = sm.SequenceMemory(seed=seed)
        reached = max_passes + 1
        for p in range(max_passes):
            sm.train(memory, sequences, passes=1, rng=seed * 1000 + p)
            result = sm.evaluate(memory, sequences)
            if result.accuracy >= 0.95 and reached > max_passes:
                reached = p + 1
        needed.append(reached)
        last.append(result.by_position[-1])
    return {"order": order, "passes_median": float(np.median(needed)), "passes_min": min(needed),
            "passes_max": max(needed), "disambiguation_accuracy": float(np.mean(last)),
            "seeds": len(seeds)}


# --------------------------------------------------------------------------------------------------
# 3. capacity against the theory
# --------------------------------------------------------------------------------------------------

def random_sequences(count: int, alphabet: int | None, rng: np.random.Generator, start: int) -> list[tuple]:
    """``count`` sequences of SEQUENCE_LENGTH distinct symbols from ``alphabet`` symbols, or (None) every
    element a symbol of its own (numbered from ``start``)."""
    if alphabet is None:
        return [tuple(f"u{start + k * SEQUENCE_LENGTH + j}" for j in range(SEQUENCE_LENGTH))
                for k in range(count)]
    return [tuple(f"s{x}" for x in rng.choice(alphabet, size=SEQUENCE_LENGTH, replace=False))
            for _ in range(count)]


def burst_theory(memory: sm.SequenceMemory) -> float:
    """Expected segments that a burst (every cell of a symbol's columns active) matches at random:
    sum over the segments of P_FP(n, a x cells per column, s_i, theta) (Eq. 4)."""
    sizes = memory.connected_counts()
    a = memory.active_bits * memory.cells_per_column
    values, counts = np.unique(sizes, return_counts=True)
    return float(sum(c * ad.p_false_positive(memory.n_cells, a, int(s), memory.theta)
                     for s, c in zip(values, counts)))


def capacity_rows(alphabet: int | None, checkpoints: list[int], seed: int, probes: int) -> list[dict]:
    """Store sequences block by block up to each checkpoint and measure; one row per checkpoint."""
    rng = np.random.default_rng(seed)
    memory = sm.SequenceMemory(seed=seed, **CAPACITY_MEMORY)
    stored: list[tuple] = []
    rows = []
    for total in checkpoints:
        new = random_sequences(total - len(stored), alphabet, rng, len(stored) * SEQUENCE_LENGTH)
        stored += new
        sm.train(memory, new, passes=CAPACITY_PASSES, rng=rng)
        result = sm.evaluate(memory, stored)
        replay = sm.false_positive_probe(memory, stored)
        random = sm.random_input_probe(memory, probes, rng)
        rows.append({
            "alphabet": "unique" if alphabet is None else alphabet, "sequences": total,
            "segments": memory.n_segments, "mean_s": round(replay.connected, 2),
            "accuracy": result.accuracy, "symbol_fp": result.false_positive_rate,
            "burst_fraction": replay.burst_steps / max(replay.burst_steps + replay.steps, 1),
            "replay_segment_fp": replay.segment_rate, "replay_segment_eq4": replay.segment_theory,
            "replay_step_fp": replay.step_rate, "replay_step_eq8": replay.step_theory,
            "random_segment_fp": random.segment_rate, "random_segment_eq4": random.segment_theory,
            "random_any_fp": random.population_rate, "random_any_eq8": random.population_distinct,
            "random_any_eq9": random.population_bound, "burst_expected_matches": burst_theory(memory),
            "probes": random.trials, "predicted_steps": replay.steps,
        })
    return rows


def crossing_text(xs: Sequence[float], ys: Sequence[float], level: float) -> str:
    """:func:`crossing` in words: "<= x0" when already reached at the first point, "> x_last" if never."""
    if ys[0] >= level:
        return f"<= {xs[0]}"
    x = crossing(xs, ys, level)
    return f"> {xs[-1]}" if math.isnan(x) else f"{x:.0f}"


def crossing(xs: Sequence[float], ys: Sequence[float], level: float) -> float:
    """The x where ``ys`` first reaches ``level`` (log-linear interpolation), nan if never."""
    for k, y in enumerate(ys):
        if y >= level:
            if k == 0 or ys[k - 1] <= 0:
                return float(xs[k])
            f = (math.log(level) - math.log(ys[k - 1])) / (math.log(y) - math.log(ys[k - 1]))
            return float(xs[k - 1] + f * (xs[k] - xs[k - 1]))
    return float("nan")


# --------------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------------

def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(fmt(r[k]) for k in head) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_csv(path: Path, rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def plot(path: Path, curves: dict[str, np.ndarray], order: list[dict], capacity: list[dict]) -> None:
    fig = Figure(figsize=(13, 9.5))
    (ax1, ax2), (ax3, ax4) = fig.subplots(2, 2)
    for (name, curve), color in zip(curves.items(), ("C0", "C1")):
        passes = np.arange(1, curve.shape[1] + 1)
        ax1.plot(passes, curve.mean(axis=0), "o-", ms=3, color=color, label=f"{name} (mean)")
        ax1.fill_between(passes, curve.min(axis=0), curve.max(axis=0), color=color, alpha=0.2)
    ax1.axhline(0.95, color="gray", ls=":", lw=1, label="95%")
    ax1.set(xlabel="training passes", ylabel="next-element accuracy", title="Accuracy vs training passes")
    orders = [r["order"] for r in order]
    ax2.errorbar(orders, [r["passes_median"] for r in order],
                 yerr=[[r["passes_median"] - r["passes_min"] for r in order],
                       [r["passes_max"] - r["passes_median"] for r in order]], fmt="o-", capsize=3,
                 label="median, range over seeds")
    ax2.set(xlabel="order k (shared middle of k symbols)", ylabel="passes to >= 95% accuracy",
            title="Sequence order")
    for alphabet, color in zip(dict.fromkeys(r["alphabet"] for r in capacity), ("C0", "C1")):
        rows = [r for r in capacity if r["alphabet"] == alphabet]
        n = [r["sequences"] for r in rows]
        ax3.plot(n, [r["accuracy"] for r in rows], "o-", color=color, label=f"accuracy, alphabet {alphabet}")
        ax3.plot(n, [r["symbol_fp"] for r in rows], "s--", color=color,
                 label=f"symbol FP, alphabet {alphabet}")
        # zero counts drawn at 1e-4 (below every measurable rate here) to stay on the log axis
        ax4.plot(n, [max(r["replay_step_fp"], 1e-4) for r in rows], "o", color=color,
                 label=f"replay, alphabet {alphabet}: measured")
        ax4.plot(n, [r["replay_step_eq8"] for r in rows], "-", color=color,
                 label=f"replay, alphabet {alphabet}: Eq. 8")
        ax4.plot(n, [max(r["random_any_fp"], 1e-4) for r in rows], "^", color=color, mfc="none",
                 label=f"random inputs, alphabet {alphabet}: measured")
        ax4.plot(n, [r["random_any_eq8"] for r in rows], ":", color=color,
                 label=f"random inputs, alphabet {alphabet}: Eq. 8")
    ax3.set(xlabel="stored sequences", ylabel="rate", title="Capacity (1024 cells, a=20, s<=12, θ=5)")
    ax4.set(xlabel="stored sequences", ylabel="P(some segment fires falsely) per step",
            title="False positives: measured vs theory (none measured: drawn at 1e-4)", yscale="log")
    for ax in (ax1, ax2, ax3, ax4):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    checkpoints = sorted({r["sequences"] for r in capacity})
    for ax in (ax3, ax4):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(checkpoints, [str(c) for c in checkpoints])
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")


def run(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    seeds = list(range(args.seed, args.seed + (3 if args.quick else 10)))
    curves = training_passes(seeds, passes=32 if args.quick else 48)
    training = [{"pass": p + 1, **{f"{name} {stat}": float(f(c[:, p])) for name, c in curves.items()
                                   for stat, f in (("mean", np.mean), ("min", np.min))}}
                for p in range(next(iter(curves.values())).shape[1])]
    orders = range(1, 5 if args.quick else 9)
    order = [order_row(k, seeds, max_passes=8 * k + 16) for k in orders]
    checkpoints = [25, 50, 100] if args.quick else [25, 50, 100, 200, 400]
    probes = 2000 if args.quick else 20000
    capacity = (capacity_rows(SHARED_ALPHABET, checkpoints, args.seed, probes)
                + capacity_rows(None, checkpoints, args.seed, probes))
    summary = capacity_summary(capacity)

    write_csv(out / "training.csv", training)
    write_csv(out / "order.csv", order)
    write_csv(out / "capacity.csv", capacity)
    plot(out / "sequence_memory.png", curves, order, capacity)
    text = (f"# Sequence memory (seeds {seeds[0]}..{seeds[-1]}{', quick' if args.quick else ''})\n\n"
            "## Accuracy vs training passes\n\n" + markdown(training) +
            "\n## Sequence order\n\n" + markdown(order) +
            "\n## Capacity: measured vs theory\n\n" + markdown(capacity) + "\n" + summary)
    write_text(out / "summary.md", text)
    print(text)
    print(f"wrote {out}/sequence_memory.png, training.csv, order.csv, capacity.csv, summary.md "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


def capacity_summary(capacity: list[dict]) -> str:
    """Where accuracy falls below 95% and where the false-positive rates reach 1%, per alphabet."""
    lines = []
    for alphabet in dict.fromkeys(r["alphabet"] for r in capacity):
        rows = [r for r in capacity if r["alphabet"] == alphabet]
        n = [r["sequences"] for r in rows]
        below = next((r["sequences"] for r in rows if r["accuracy"] < 0.95), None)
        at = {key: crossing_text(n, [r[key] for r in rows], 0.01)
              for key in ("replay_step_fp", "replay_step_eq8", "random_any_fp", "random_any_eq8")}
        lines.append(
            f"- alphabet {alphabet}: accuracy < 95% first at {below or f'> {n[-1]}'} sequences; "
            f"P(some segment fires falsely) per step reaches 1% at {at['replay_step_fp']} sequences in the "
            f"replay vs {at['replay_step_eq8']} by Eq. 8; on random inputs at {at['random_any_fp']} vs "
            f"{at['random_any_eq8']} by Eq. 8")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(run())
