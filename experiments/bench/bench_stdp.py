"""STDP benchmark: 1000 Poisson inputs onto LIF neurons through plastic synapses (the scenario of
Song, Miller & Abbott 2000, as in Brian2's ``examples/synapses/STDP.py``, current-based), on
hand-written Brian2 and on neuromem's brian2 and torch backends, in one table::

    python experiments/bench/bench_stdp.py [--duration MS] [--posts 10] [--batch 16]

Every row runs in a fresh Python process (Brian2's preferences are global) and prints one JSON
line after ``BENCH_RESULT``. The hand-written Brian2 row uses Brian2's idiomatic event-driven
traces; neuromem's rule (clock-driven traces, see ``neuromem/ir/plasticity.py``) does the same
pairings with per-step decays, so the rows do the same work but not bit-identical arithmetic:
compare the times, and the firing rates as a sanity check.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

MARKER = "BENCH_RESULT "
DT = 0.1
N_IN, RATE = 1000, 15.0
TAU_M, TAU_E, V_REST, V_THRESH, V_RESET = 10.0, 5.0, -74.0, -54.0, -60.0
C_M = 1.0
TAU_PRE = TAU_POST = 20.0
W_MAX = 0.05  # nA
A_PRE, A_POST = 0.01 * W_MAX, -0.0105 * W_MAX
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "neuromem", "brian2")


def network(n_post: int):
    import numpy as np

    import neuromem as nm

    net = nm.Network("stdp-bench", dt=DT)
    net.add("input", nm.PoissonSource(N_IN, rate=RATE))
    net.add("post", nm.LIF(n_post, tau_m=TAU_M, c_m=C_M, v_rest=V_REST, v_thresh=V_THRESH,
                           v_reset=V_RESET, tau_syn_e=TAU_E))
    rng = np.random.default_rng(1)
    net.connect("input", "post", nm.all_to_all(), weight=rng.uniform(0, W_MAX, N_IN * n_post),
                delay=DT, name="plastic",
                plasticity=nm.STDP(tau_plus=TAU_PRE, tau_minus=TAU_POST, a_plus=A_PRE,
                                   a_minus=-A_POST, w_min=0.0, w_max=W_MAX))
    return net


def row_brian2_hand(duration: float, n_post: int) -> dict:
    import brian2 as b2
    from brian2 import ms

    os.makedirs(CACHE, exist_ok=True)
    b2.prefs.codegen.target = "cython"
    b2.prefs.codegen.runtime.cython.cache_dir = CACHE
    b2.defaultclock.dt = DT * ms
    t0 = time.perf_counter()
    post = b2.NeuronGroup(n_post, "dv/dt = (v_rest - v)/tau_m + i_e/c_m : 1\n"
                                  "di_e/dt = -i_e/tau_e : 1",
                          threshold="v > v_thresh", reset="v = v_reset", method="exact",
                          namespace=dict(v_rest=V_REST, tau_m=TAU_M * ms, c_m=C_M * ms,
                                         tau_e=TAU_E * ms, v_thresh=V_THRESH, v_reset=V_RESET))
    post.v = V_REST
    inp = b2.PoissonGroup(N_IN, rates=RATE * b2.Hz)
    syn = b2.Synapses(inp, post, """w : 1
        dapre/dt = -apre/taupre : 1 (event-driven)
        dapost/dt = -apost/taupost : 1 (event-driven)""",
                      on_pre="i_e += w\napre += Apre\nw = clip(w + apost, 0, wmax)",
                      on_post="apost += Apost\nw = clip(w + apre, 0, wmax)",
                      namespace=dict(taupre=TAU_PRE * ms, taupost=TAU_POST * ms, Apre=A_PRE,
                                     Apost=A_POST, wmax=W_MAX))
    syn.connect()
    syn.w = "rand() * wmax"
    mon = b2.SpikeMonitor(post)
    net = b2.Network(post, inp, syn, mon)
    net.run(0 * ms)
    t1 = time.perf_counter()
    net.run(duration * ms)
    t2 = time.perf_counter()
    return {"sim_s": t2 - t1, "setup_s": t1 - t0,
            "rate_hz": mon.num_spikes / (n_post * duration / 1000.0)}


def row_neuromem(backend: str, duration: float, n_post: int, dtype: str, trials: int) -> dict:
    import neuromem as nm

    net = network(n_post)
    options = ({"target": "cython", "cache_dir": CACHE} if backend == "brian2"
               else {"dtype": dtype})
    t0 = time.perf_counter()
    sim = nm.compile(net, backend=backend, seed=1, trials=trials, **options)
    sim.run(DT)  # code generation and compilation happen here
    t1 = time.perf_counter()
    rec = sim.run(duration)
    t2 = time.perf_counter()
    return {"sim_s": (t2 - t1) / trials, "setup_s": t1 - t0,
            "rate_hz": rec.mean_rate("post")}


ROWS = {
    "brian2-hand": ("hand-written Brian2, cython", None),
    "nm-brian2": ("neuromem brian2, cython", ("brian2", "float64", 1)),
    "nm-torch-f64": ("neuromem torch cpu float64, 1 trial", ("torch", "float64", 1)),
    "nm-torch-f32": ("neuromem torch cpu float32, 1 trial", ("torch", "float32", 1)),
    "nm-torch-batch": ("neuromem torch cpu float32, B trials, per trial", ("torch", "float32", 0)),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=2000.0)
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--_row", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._row:
        label, spec = ROWS[args._row]
        if spec is None:
            res = row_brian2_hand(args.duration, args.posts)
        else:
            backend, dtype, trials = spec
            res = row_neuromem(backend, args.duration, args.posts, dtype, trials or args.batch)
        print(MARKER + json.dumps(res))
        return 0
    print(f"STDP benchmark: {N_IN} Poisson inputs at {RATE:g} Hz -> {args.posts} LIF neurons, "
          f"{N_IN * args.posts} plastic synapses, dt {DT} ms, {args.duration:g} ms simulated, "
          f"batch {args.batch}")
    results = {}
    for key in ROWS:
        out = subprocess.run([sys.executable, __file__, "--_row", key, "--duration",
                              str(args.duration), "--posts", str(args.posts), "--batch",
                              str(args.batch)], capture_output=True, text=True)
        line = next((x for x in out.stdout.splitlines() if x.startswith(MARKER)), None)
        if line is None:
            print(f"{key}: failed\n{out.stderr[-2000:]}")
            continue
        results[key] = json.loads(line[len(MARKER):])
    ref = results.get("brian2-hand", {}).get("sim_s")
    print(f"\n{'row':<48}{'sim s':>8}{'/b2 hand':>10}{'rate Hz':>9}{'setup s':>9}")
    for key, (label, _) in ROWS.items():
        if key not in results:
            continue
        r = results[key]
        ratio = f"{r['sim_s'] / ref:.2f}x" if ref else "-"
        print(f"{label:<48}{r['sim_s']:>8.3f}{ratio:>10}{r['rate_hz']:>9.2f}{r['setup_s']:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
