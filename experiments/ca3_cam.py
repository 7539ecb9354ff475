"""CA3 content-addressable memory: experiment E1 of the paper against its table, and stress
workloads whose expected answers follow from the memory's definition.

    python experiments/ca3_cam.py e1 --out out/ca3 [--backend torch|brian2] [--pairing nearest]
    python experiments/ca3_cam.py stress --out out/ca3 [--learn-gap 7 --recall-gap 6] [--backend ...]

``e1`` writes the raster (every population, input and output bands), the two learned weight
matrices, and a table of the 9 operations with the paper's expected output and ours, and prints
how many (time, index set) pairs match. ``stress`` runs, in one simulation each, a MemTest-like
sweep on a 5 x 10 memory in the spirit of the paper's testbench 2 (learn binary(i+1) under
every cue, recall all by cue and by content, overwrite every cue with the complement, recall all,
restore, recall all: 60 operations) and fills a 16-cue memory (38 operations), at the paper's
testbench spacing (14 ms) and at the minimum (7 ms after a learn, 6 after a recall). It writes
``stress.md``: the recalls answered as the definition says (a recall by cue returns what was
stored last under the cue; a recall by content every cue whose last stored content shares a bit
with the fragment), each wrong answer with what was extra and missing, and the weight wear of
the stored memories.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from neuromem.models import ca3_cam as ca

import neuromem as nm

E1_EXPECTED = {5: ({0}, {0, 1, 8, 9}), 7: ({0}, {0, 1, 8, 9}), 15: ({4}, {1, 5, 6}),
               17: ({4}, {1, 5, 6}), 25: ({3}, {4, 5, 6}), 27: ({3}, {4, 5, 6}), 35: ({0}, set()),
               36: (set(), {0, 1, 8, 9}), 45: (set(), {6}), 46: ({3, 4}, set()),
               55: (set(), {0, 4}), 56: ({0, 3}, set()), 65: ({3}, {1, 3, 4, 8}),
               66: (set(), {5, 6}), 67: ({3}, {1, 3, 4, 8}), 75: ({3}, set()),
               76: (set(), {1, 3, 4, 8}), 85: (set(), {6}), 86: ({4}, set())}


def _options(args) -> dict:
    return {"target": "numpy"} if args.backend == "brian2" else {}


def e1(args) -> int:
    from neuromem import plot
    from neuromem.cli import run_experiment

    out = Path(args.out)
    result = run_experiment("ca3-cam", backend=args.backend, out=out, options=_options(args),
                            progress=False)
    # the CLI run uses the reference rule; --pairing reruns with the chosen one for the table
    net = ca.build(5, 10, in_spikes=ca.E1_IN_SPIKES, stdp_params={"pairing": args.pairing})
    sim = nm.compile(net, backend=args.backend, method="spinnaker", **_options(args))
    rec = sim.run(ca.E1_DURATION, weights={name: [ca.E1_DURATION - 1] for name in ca.PLASTIC})
    t, i = rec.spikes("out")
    got = {int(s): ({int(k) for k in i[t == s] if k < 5}, {int(k) - 5 for k in i[t == s] if k >= 5})
           for s in np.unique(t)}
    lines = ["| time (ms) | paper: cue / content | neuromem: cue / content | match |",
             "|---|---|---|---|"]
    matches = 0
    for step in sorted(set(E1_EXPECTED) | set(got)):
        want, have = E1_EXPECTED.get(step, (set(), set())), got.get(step, (set(), set()))
        ok = want == have
        matches += ok
        lines.append(f"| {step} | {sorted(want[0])} / {sorted(want[1])} | {sorted(have[0])} / "
                     f"{sorted(have[1])} | {'yes' if ok else '**no**'} |")
    table = "\n".join(lines)
    total = len(set(E1_EXPECTED) | set(got))
    summary = (f"E1 on {args.backend}, SpiNNakerSTDP pairing {args.pairing}: {matches} of {total} "
               f"output times match the paper's table")
    (out / "e1_table.md").write_text(f"# {summary}\n\n{table}\n", encoding="utf-8")
    for name in ca.PLASTIC:
        fig = plot.weight_matrix(net.projection(name), rec.weight_snapshots(name)[1][-1])
        plot.save_figure(fig, out / f"weights_{name}.png")
        plot.close(fig)
    print(result.report)
    print(table)
    print(summary)
    return 0


WORKLOADS = {"memtest 5x10": (lambda: ca.memtest_workload(5, 10), 5, 10),
             "fill 16x6": (lambda: ca.fill_workload(16, 6), 16, 6)}


def run_workload(ops, c: int, m: int, backend: str, pairing: str, options: dict):
    """One simulation of the whole schedule; returns (results, expected answers, the final
    learned matrices)."""
    results, rec = ca.run_operations(ops, c, m, backend=backend, stdp_params={"pairing": pairing},
                                     **options)
    weights = ca.weight_matrices(ca.build(c, m), {name: rec.weight_snapshots(name)[1][-1]
                                                  for name in ca.PLASTIC})
    return results, ca.expected_answers(ops), weights


def score(results, expected) -> tuple[int, int, list[str]]:
    right, total, errors = 0, 0, []
    for res, want in zip(results, expected):
        if want is None:
            continue
        total += 1
        have = ca.answer_of(res)
        if have == want:
            right += 1
            continue
        op = res.operation
        what = op.cue if op.kind == "recall_cue" else sorted(op.content)
        errors.append(f"t0={op.t0:g} {op.kind} {what}: expected {sorted(want)}, got "
                      f"{sorted(have)} (extra {sorted(have - want)}, missing {sorted(want - have)})")
    return right, total, errors


def stored_weights_report(ops, weights, threshold: float = 3.29) -> str:
    """Weight wear (spec risk 4): S1 weights of the contents stored last under each cue against
    the slow neurons' single-input firing level (3.29 nA under sPyNNaker's integration)."""
    stored: dict[int, frozenset[int]] = {}
    for op in ops:
        if op.kind == "learn":
            stored[op.cue] = op.content
    w = weights["cue_content"]
    kept = [w[i, b] for i, bits in stored.items() for b in bits]
    stale = [w[i, b] for i, bits in stored.items() for b in range(w.shape[1]) if b not in bits]
    return (f"S1 weights of stored bits: {sum(x >= threshold for x in kept)}/{len(kept)} above "
            f"{threshold} nA (min {min(kept):.2f}); of other bits: "
            f"{sum(x >= threshold for x in stale)}/{len(stale)} above it (max {max(stale):.2f})")


def stress(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spacings = [(14.0, 14.0), (7.0, 6.0)] if args.learn_gap is None else \
        [(args.learn_gap, args.recall_gap if args.recall_gap is not None else args.learn_gap)]
    report = [f"# CA3 memory stress workloads ({args.backend}, pairing {args.pairing})", "",
              "| workload | spacing after learn / recall (ms) | recalls as defined |",
              "|---|---|---|"]
    details = []
    for name, (make, c, m) in WORKLOADS.items():
        for learn_gap, recall_gap in spacings:
            ops = ca.schedule(make(), learn_gap=learn_gap, recall_gap=recall_gap)
            results, expected, weights = run_workload(ops, c, m, args.backend, args.pairing,
                                                      _options(args))
            right, total, errors = score(results, expected)
            report.append(f"| {name} ({len(ops)} operations) | {learn_gap:g} / {recall_gap:g} | "
                          f"{right}/{total} |")
            details += [f"## {name}, {learn_gap:g} / {recall_gap:g} ms", "",
                        stored_weights_report(ops, weights), ""] + \
                [f"- {e}" for e in errors] + [""]
    text = "\n".join(report + [""] + details)
    (out / "stress.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    for name in ("e1", "stress"):
        p = sub.add_parser(name)
        p.add_argument("--out", required=True)
        p.add_argument("--backend", choices=["torch", "brian2", "spinnaker"], default="torch")
        p.add_argument("--pairing", choices=["all_to_all", "nearest"], default="all_to_all")
        if name == "stress":
            p.add_argument("--learn-gap", type=float, default=None,
                           help="ms from a learn to the next operation (default: run both the "
                                "paper's testbench spacing, 14, and the minimum, 7)")
            p.add_argument("--recall-gap", type=float, default=None,
                           help="ms from a recall to the next operation (with --learn-gap; the "
                                "minimum is 6)")
    args = parser.parse_args(argv)
    return e1(args) if args.what == "e1" else stress(args)


if __name__ == "__main__":
    sys.exit(main())
