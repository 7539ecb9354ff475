"""Reproduce the theory-and-simulation figures of Ahmad & Hawkins (2016) on active dendrites and SDRs.

    python experiments/dendrites_theory.py --out out/dendrites-theory [--quick] [--backend torch]

A command-line wrapper around :func:`neuromem.models.dendrites_figures.make_figures` (the figures and
what they show are described there). Prints the worked examples of the paper (spec §2.3) and the files
written. ``--backend`` adds Monte Carlo points from the spiking segment network run on that backend.
"""

from __future__ import annotations

import argparse
import sys
import time

from neuromem.models import dendrites_figures as figures


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/dendrites-theory", help="output folder (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="few trials, coarse grids (< 60 s)")
    parser.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default: 0)")
    parser.add_argument("--backend", choices=["torch", "brian2"], default=None,
                        help="also measure with the spiking segment network on this backend")
    parser.add_argument("--target", choices=["numpy", "cython"], default=None,
                        help="Brian2 code generation target (default: numpy)")
    parser.add_argument("--only", nargs="+", choices=list(figures.FIGURES), default=None,
                        help="draw only these figures")
    args = parser.parse_args(argv)
    if args.target and args.backend != "brian2":
        parser.error("--target applies to --backend brian2 only")
    return args


def run(argv: list[str] | None = None) -> int:
    args = parse(argv)
    start = time.perf_counter()
    print(figures.worked_examples_markdown())
    options = {"target": args.target} if args.target else {}
    paths = figures.make_figures(args.out, quick=args.quick, backend=args.backend, seed=args.seed,
                                 options=options, only=args.only)
    for path in paths.values():
        print(path)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run())
