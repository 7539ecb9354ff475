"""Run the CUBA benchmark network and save its recording and raster.

    python experiments/cuba.py --backend torch --duration 1000 --out out/cuba-torch

The same as ``neuromem run cuba``, whose implementation this calls, so that the script and the
command cannot drift apart; ``neuromem run cuba --help`` lists the backend options (dtype, device,
Brian2 target) this short form leaves at their defaults.
"""

from __future__ import annotations

import argparse
import sys

from neuromem.cli import main


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["torch", "brian2"], default="torch",
                        help="simulator backend (default: torch)")
    parser.add_argument("--duration", type=float, default=1000.0, help="simulated ms (default: 1000)")
    parser.add_argument("--seed", type=int, default=0, help="run seed (default: 0)")
    parser.add_argument("--out", default=None,
                        help="output folder (default: out/cuba-BACKEND)")
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = args.out or f"out/cuba-{args.backend}"
    return main(["run", "cuba", "--backend", args.backend, "--duration", repr(args.duration),
                 "--seed", str(args.seed), "--out", out])


if __name__ == "__main__":
    sys.exit(run())
