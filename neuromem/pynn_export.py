"""A neuromem network as a standalone PyNN 0.13 script.

    text = to_pynn_script(net, simulator="spiNNaker", duration_ms=500.0)
    files = write_pynn_script(net, "out/network.py", simulator="spiNNaker")

The script imports ``pyNN.<simulator>`` with the simulator given on its command line (default
the one it was written for), so the same file runs on SpiNNaker hardware (``pyNN.spiNNaker``,
i.e. sPyNNaker), on NEST (``pyNN.nest``) and on Brian2 (``pyNN.brian2``)::

    python network.py --simulator brian2 --duration 200 --counts counts.json --spikes spikes.npz

It records the spikes of the chosen populations (default: all) and writes their spike counts as
JSON (and, with ``--spikes``, the spikes as an ``.npz``). Arrays too large to sit in the source
(many synapses or spike times) are written to an ``.npz`` file next to the script, which the
script loads from its own folder.

Translation (PyNN's units are neuromem's: ms, mV, nA, nF):

* :class:`~neuromem.ir.nodes.LIF` -> ``IF_curr_exp`` (``c_m`` -> ``cm``, ``tau_syn_e`` ->
  ``tau_syn_E``, ``tau_syn_i`` -> ``tau_syn_I``), per-neuron arrays kept, ``v_init`` through
  ``initialize(v=...)`` (a Uniform or Normal ``v_init`` becomes a ``RandomDistribution`` drawn
  from the script's ``--seed``); only ``reset="value"`` exists in PyNN;
* :class:`~neuromem.ir.nodes.SpikeArray` -> ``SpikeSourceArray`` (one spike train per neuron);
* :class:`~neuromem.ir.nodes.PoissonSource` -> ``SpikeSourcePoisson`` (rate, start, duration);
* a projection -> ``FromListConnector`` of (pre, post, weight, delay) with receptor
  ``"excitatory"`` or ``"inhibitory"``. neuromem weights carry their sign; the script holds
  magnitudes and gives inhibitory weights the sign the simulator wants (see the script);
* :class:`~neuromem.ir.plasticity.SpiNNakerSTDP` -> ``STDPMechanism(SpikePairRule,
  AdditiveWeightDependence)``, nearest pairing -> sPyNNaker's ``SpikeNearestPairRule``.

Anything else (other plasticity rules, DendriticLIF, Astrocyte, reset by subtraction, weights
whose sign contradicts their receptor) raises :class:`~neuromem.errors.UnsupportedError` naming
the node or projection.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuromem.curr_exp import curr_exp_problem
from neuromem.errors import BackendError, UnsupportedError
from neuromem.ir.network import Network
from neuromem.ir.nodes import LIF, Astrocyte, DendriticLIF, PoissonSource, SpikeArray
from neuromem.ir.plasticity import SpiNNakerSTDP
from neuromem.ir.values import Normal, Uniform, realise

#: PyNN simulator modules a script may be written for (``pyNN.<name>``)
SIMULATORS = ("spiNNaker", "brian2", "nest", "neuron")
#: PyNN modules known to provide ``SpikeNearestPairRule`` (sPyNNaker, in ``extra_models``);
#: PyNN 0.13's own brian2, nest and neuron modules have only ``SpikePairRule``
NEAREST_PAIR_SIMULATORS = ("spiNNaker",)
#: arrays with more elements than this go to the data file instead of the source
INLINE_LIMIT = 1024
DATA_SUFFIX = "_data.npz"

#: neuromem LIF field -> IF_curr_exp parameter
LIF_PARAMS = {"tau_m": "tau_m", "c_m": "cm", "v_rest": "v_rest", "v_thresh": "v_thresh",
              "v_reset": "v_reset", "tau_syn_e": "tau_syn_E", "tau_syn_i": "tau_syn_I",
              "tau_refrac": "tau_refrac", "i_offset": "i_offset"}
RECEPTOR_TYPES = {"exc": "excitatory", "inh": "inhibitory"}


@dataclass
class _Writer:
    """Collects the script's array literals: small ones inline, the rest in the data file."""

    inline_limit: int | None
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def array(self, key: str, values: np.ndarray, dtype: str = "float") -> str:
        values = np.asarray(values)
        if self.inline_limit is not None and values.size > self.inline_limit:
            self.data[key] = values
            return f"DATA[{key!r}]"
        if dtype == "int":
            items = ", ".join(str(int(v)) for v in values.reshape(-1))
            return f"np.array([{items}], dtype=np.int64)"
        # repr() of a Python float is the shortest string that reads back as the same float
        items = ", ".join(repr(float(v)) for v in values.reshape(-1))
        shape = "" if values.ndim <= 1 else f".reshape{tuple(values.shape)}"
        return f"np.array([{items}], dtype=float){shape}"

    def param(self, key: str, value, size: int) -> str:
        """A parameter: a scalar literal if all neurons share it, else an array."""
        arr = realise(value, size)
        if arr.size and (arr == arr[0]).all():
            return repr(float(arr[0]))
        return self.array(key, arr)


def _check(net: Network, simulator: str) -> None:
    if simulator not in SIMULATORS:
        raise BackendError(f"unknown PyNN simulator {simulator!r} (known: {', '.join(SIMULATORS)})")
    net.validate()
    for name, node in net.nodes.items():
        # DendriticLIF is a LIF subclass: test it first
        if isinstance(node, (DendriticLIF, Astrocyte)):
            raise UnsupportedError(f"node '{name}': {type(node).__name__} has no PyNN standard "
                                   "model (PyNN export takes LIF, SpikeArray, PoissonSource)")
        if not isinstance(node, (LIF, SpikeArray, PoissonSource)):
            raise UnsupportedError(f"node '{name}': {type(node).__name__} has no PyNN model")
    for proj in net.projections:
        if proj.receptor not in RECEPTOR_TYPES:
            raise UnsupportedError(f"projection '{proj.name}': receptor '{proj.receptor}' has no "
                                   "PyNN receptor type")
    problem = curr_exp_problem(net, "PyNN's IF_curr_exp")
    if problem:
        raise UnsupportedError(problem)
    for proj in net.projections:
        rule = proj.plasticity
        if rule is None:
            continue
        if not isinstance(rule, SpiNNakerSTDP):
            raise UnsupportedError(f"projection '{proj.name}': plasticity rule "
                                   f"{type(rule).__name__} has no PyNN counterpart (PyNN export "
                                   "takes SpiNNakerSTDP)")
        if proj.receptor != "exc" or rule.w_min < 0:
            # neuromem's inhibitory weights are negative and potentiation moves them towards 0;
            # PyNN's plastic weights are magnitudes that potentiation makes larger
            raise UnsupportedError(f"projection '{proj.name}': SpiNNakerSTDP exports on "
                                   "excitatory projections with w_min >= 0 only")
        if rule.pairing == "nearest" and simulator not in NEAREST_PAIR_SIMULATORS:
            raise UnsupportedError(f"projection '{proj.name}': nearest-spike pairing needs "
                                   f"SpikeNearestPairRule, which pyNN.{simulator} does not "
                                   f"provide (it is sPyNNaker's: export for 'spiNNaker')")


def _node_code(w: _Writer, k: int, name: str, node, seed_note: list[str]) -> list[str]:
    var = f"pops[{name!r}]"
    if isinstance(node, LIF):
        params = ", ".join(f"{pynn}={w.param(f'pop{k}_{field}', getattr(node, field), node.size)}"
                           for field, pynn in LIF_PARAMS.items())
        v = node.v_init
        random = isinstance(v, (Uniform, Normal))
        seeding = ", **population_seed(rng)" if random else ""
        lines = [f"{var} = sim.Population({node.size}, sim.IF_curr_exp({params}), "
                 f"label={name!r}{seeding})"]
        if isinstance(v, Uniform):
            init = (f"RandomDistribution('uniform', low={float(v.low)!r}, high={float(v.high)!r}, "
                    "**distribution_rng(rng))")
        elif isinstance(v, Normal):
            if np.isinf(v.low) and np.isinf(v.high):
                init = (f"RandomDistribution('normal', mu={float(v.mean)!r}, "
                        f"sigma={float(v.std)!r}, **distribution_rng(rng))")
            else:
                # neuromem clips a Normal draw to its bounds (np.clip), as this PyNN one does
                init = (f"RandomDistribution('normal_clipped_to_boundary', mu={float(v.mean)!r}, "
                        f"sigma={float(v.std)!r}, low={float(v.low)!r}, high={float(v.high)!r}, "
                        "**distribution_rng(rng))")
        else:
            init = w.param(f"pop{k}_v_init", v, node.size)
        if random:
            seed_note.append(name)
        lines.append(f"{var}.initialize(v={init})")
        return lines
    if isinstance(node, SpikeArray):
        times = w.array(f"pop{k}_times", node.times)
        indices = w.array(f"pop{k}_indices", node.indices, "int")
        return [f"{var} = sim.Population({node.size}, sim.SpikeSourceArray(spike_times="
                f"spike_trains({times}, {indices}, {node.size})), label={name!r})"]
    if isinstance(node, PoissonSource):
        args = [f"rate={w.param(f'pop{k}_rate', node.rate, node.size)}",
                f"start={float(node.start)!r}"]
        if np.isfinite(node.stop):
            args.append(f"duration={float(node.stop - node.start)!r}")
        return [f"{var} = sim.Population({node.size}, sim.SpikeSourcePoisson({', '.join(args)}), "
                f"label={name!r})"]
    raise UnsupportedError(f"node '{name}': {type(node).__name__} has no PyNN model")


def _projection_code(w: _Writer, k: int, proj) -> list[str]:
    if not proj.n_synapses:
        return [f"# projection {proj.name!r}: no synapses, nothing to create"]
    # magnitudes in the table; connections() gives inhibitory ones the simulator's sign
    # delays as the graph holds them (validated on the step grid): recomputing them as
    # steps * dt could turn 3.0 into 3.0000000000000004 at dt = 0.1
    table = np.column_stack([proj.pre_idx, proj.post_idx, np.abs(proj.weight), proj.delay])
    receptor = RECEPTOR_TYPES[proj.receptor]
    rule = proj.plasticity
    if rule is None:
        synapse = "sim.StaticSynapse()"
    else:
        timing = "nearest_pair_rule" if rule.pairing == "nearest" else "sim.SpikePairRule"
        synapse = (f"sim.STDPMechanism(timing_dependence={timing}(tau_plus={float(rule.tau_plus)!r}, "
                   f"tau_minus={float(rule.tau_minus)!r}, A_plus={float(rule.A_plus)!r}, "
                   f"A_minus={float(rule.A_minus)!r}), weight_dependence=sim.AdditiveWeightDependence("
                   f"w_min={float(rule.w_min)!r}, w_max={float(rule.w_max)!r}), "
                   "dendritic_delay_fraction=dendritic_delay_fraction())")
    return [f"projections[{proj.name!r}] = sim.Projection(",
            f"    pops[{proj.pre!r}], pops[{proj.post!r}],",
            f"    sim.FromListConnector(connections({w.array(f'proj{k}_table', table)}, "
            f"{receptor!r}), column_names=['weight', 'delay']),",
            f"    synapse_type={synapse}, receptor_type={receptor!r}, label={proj.name!r})"]


def _render(net: Network, simulator: str, duration_ms: float, record: Sequence[str] | None,
            data_file: str, inline_limit: int | None) -> tuple[str, dict[str, np.ndarray]]:
    _check(net, simulator)
    recorded = list(net.nodes) if record is None else [str(p) for p in record]
    unknown = [p for p in recorded if p not in net.nodes]
    if unknown:
        raise BackendError(f"record: no population named {', '.join(map(repr, unknown))} "
                           f"(populations: {', '.join(net.nodes)})")
    if not duration_ms > 0:
        raise BackendError(f"duration_ms must be positive, got {duration_ms}")
    w = _Writer(inline_limit)
    seeded: list[str] = []
    body: list[str] = []
    for k, (name, node) in enumerate(net.nodes.items()):
        body += _node_code(w, k, name, node, seeded)
    body.append("projections = {}")
    for k, proj in enumerate(net.projections):
        body += _projection_code(w, k, proj)
    plastic = any(p.plasticity is not None for p in net.projections)
    nearest = any(p.plasticity is not None and p.plasticity.pairing == "nearest"
                  for p in net.projections)
    data_line = f"DATA_FILE = {data_file!r}" if w.data else "DATA_FILE = None"
    text = _TEMPLATE.format(
        name=net.name, summary="\n".join("#   " + line for line in net.summary().splitlines()),
        simulator=simulator, dt=repr(float(net.dt)), duration=repr(float(duration_ms)),
        data_line=data_line, recorded=repr(recorded),
        body="\n".join("    " + line for line in body),
        stdp_note=_STDP_NOTE if plastic else "",
        nearest=_NEAREST if nearest else "",
        seeded=(f"\n    # initial potentials of {', '.join(seeded)} are drawn from --seed"
                if seeded else ""))
    return text, w.data


def render_pynn(net: Network, *, simulator: str = "brian2", duration_ms: float = 1000.0,
                record: Sequence[str] | None = None, data_file: str = "network_data.npz",
                inline_limit: int | None = INLINE_LIMIT) -> tuple[str, dict[str, np.ndarray]]:
    """The script's text and the arrays it loads from ``data_file`` (empty when all are
    inline), in one pass; see :func:`to_pynn_script`."""
    return _render(net, simulator, duration_ms, record, data_file, inline_limit)


def to_pynn_script(net: Network, *, simulator: str = "brian2", duration_ms: float = 1000.0,
                   record: Sequence[str] | None = None, data_file: str = "network_data.npz",
                   inline_limit: int | None = INLINE_LIMIT) -> str:
    """The text of a PyNN 0.13 script that builds and runs ``net``.

    ``simulator`` is the script's default ``pyNN`` module (its ``--simulator`` option picks
    another); ``duration_ms`` its default run time; ``record`` the populations whose spikes it
    records (default: all). Arrays of more than ``inline_limit`` elements are read from
    ``data_file`` next to the script: write those with :func:`pynn_data` (or use
    :func:`write_pynn_script`, which writes both); ``inline_limit=None`` inlines everything.
    Raises :class:`~neuromem.errors.UnsupportedError` for what PyNN cannot express.
    """
    return _render(net, simulator, duration_ms, record, data_file, inline_limit)[0]


def pynn_data(net: Network, *, simulator: str = "brian2",
              inline_limit: int | None = INLINE_LIMIT) -> dict[str, np.ndarray]:
    """The arrays :func:`to_pynn_script` leaves to its data file (empty when all are inline)."""
    return _render(net, simulator, 1.0, None, "", inline_limit)[1]


def write_pynn_script(net: Network, path: str | os.PathLike, *, simulator: str = "brian2",
                      duration_ms: float = 1000.0, record: Sequence[str] | None = None,
                      inline_limit: int | None = INLINE_LIMIT) -> dict[str, Path]:
    """Write the script to ``path`` and, when needed, its data beside it as
    ``<stem>_data.npz``, each atomically; returns ``{"pynn_script": path[, "pynn_data": npz]}``."""
    path = Path(path)
    data_path = data_path_for(path)
    text, data = _render(net, simulator, duration_ms, record, data_path.name, inline_limit)
    return save_pynn(path, text, data)


def data_path_for(script: str | os.PathLike) -> Path:
    """Where the data of the script ``script`` go: ``<stem>_data.npz`` beside it."""
    script = Path(script)
    return script.with_name(script.stem + DATA_SUFFIX)


def save_pynn(path: str | os.PathLike, text: str, data: dict[str, np.ndarray]) -> dict[str, Path]:
    """Write a rendered script (:func:`render_pynn` with ``data_file`` from
    :func:`data_path_for`) and its data, each atomically, the data first: a script is never on
    disk without the file it loads."""
    from neuromem.atomic import atomic_path

    path = Path(path)
    out = {"pynn_script": path}
    if data:
        data_path = data_path_for(path)
        with atomic_path(data_path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **data)
        out["pynn_data"] = data_path
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


_STDP_NOTE = """
# Plastic projections follow sPyNNaker's STDP (SpikePairRule / AdditiveWeightDependence, all of
# the delay dendritic, updates deferred to the next presynaptic spike); neuromem's SpiNNakerSTDP
# reproduces that. Other simulators implement the same PyNN rule with their own timing, so
# plastic runs agree with neuromem on pyNN.spiNNaker only.


def dendritic_delay_fraction():
    \"\"\"All of a plastic synapse's delay is dendritic, as in sPyNNaker and neuromem; pyNN.brian2
    implements axonal delays only (it refuses any other fraction), so there it is 0.\"\"\"
    return 0.0 if SIMULATOR == "brian2" else 1.0
"""

_NEAREST = '''

def nearest_pair_rule(**parameters):
    """sPyNNaker's nearest-spike pair rule (in pyNN.spiNNaker's extra_models)."""
    rule = getattr(sim, "SpikeNearestPairRule", None) or getattr(
        getattr(sim, "extra_models", None), "SpikeNearestPairRule", None)
    if rule is None:
        sys.exit(f"error: {sim.__name__} has no SpikeNearestPairRule, which this network's "
                 "nearest-pairing STDP needs (run it with --simulator spiNNaker)")
    return rule(**parameters)
'''

_TEMPLATE = '''#!/usr/bin/env python
"""A PyNN 0.13 script of a neuromem network, written by neuromem's PyNN export.

    python <this script> [--simulator spiNNaker|brian2|nest] [--duration MS] [--counts JSON]
                         [--spikes NPZ] [--seed N]

Builds and runs the network on pyNN.<simulator>, records the spikes of the populations in
RECORDED and writes their spike counts as JSON (and with --spikes the spikes as an .npz:
"<population>.times" in ms and "<population>.indices").
"""

import argparse
import importlib
import json
import os
import sys

import numpy as np
from pyNN.random import NumpyRNG, RandomDistribution

# The network:
{summary}
NETWORK = {name!r}
DEFAULT_SIMULATOR = {simulator!r}
DT = {dt}  # ms
DURATION_MS = {duration}
RECORDED = {recorded}
{data_line}
HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATOR = DEFAULT_SIMULATOR
sim = None  # the pyNN.<simulator> module, imported by main()
{stdp_note}

def load_data():
    if DATA_FILE is None:
        return {{}}
    with np.load(os.path.join(HERE, DATA_FILE)) as f:
        return {{key: f[key] for key in f.files}}


def spike_trains(times, indices, size):
    """One sorted spike train (ms) per neuron: PyNN's standard simulators take a list of
    pyNN.parameters.Sequence (a plain list of lists reads as one ragged value); sPyNNaker's
    documented form is a list of lists."""
    trains = [sorted(float(t) for t in times[indices == i]) for i in range(size)]
    if SIMULATOR != "spiNNaker":
        from pyNN.parameters import Sequence

        trains = [Sequence(t) for t in trains]
    # one neuron: its train alone (every simulator reads a single train as the train of every
    # neuron, and pyNN.brian2 fails on a one-element list)
    return trains[0] if size == 1 else trains


def population_seed(rng):
    """sPyNNaker draws random initial values on the machine, from a seed given to the
    Population (it refuses a seeded rng); PyNN's Population has no such argument."""
    return {{"additional_parameters": {{"seed": rng.seed}}}} if SIMULATOR == "spiNNaker" else {{}}


def distribution_rng(rng):
    """The seeded rng for a RandomDistribution, except on sPyNNaker (see population_seed)."""
    return {{}} if SIMULATOR == "spiNNaker" else {{"rng": rng}}


def connections(table, receptor_type):
    """(pre, post, weight, delay) rows; the table holds weight magnitudes. PyNN's standard
    simulators want current-based inhibitory weights negative (pyNN.standardmodels'
    check_weights); sPyNNaker stores magnitudes and takes the magnitude of what it is given."""
    table = np.array(table, dtype=float, copy=True)
    if receptor_type == "inhibitory" and SIMULATOR != "spiNNaker":
        table[:, 2] = -table[:, 2]
    return table
{nearest}

def write_atomic(path, write):
    """Write beside the target, then rename over it: never a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, "." + os.path.basename(path) + ".%d.tmp" % os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def build(DATA, rng):
    pops = {{}}{seeded}
{body}
    return pops, projections


def main(argv=None):
    global SIMULATOR, sim
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", default=DEFAULT_SIMULATOR,
                        help="PyNN backend module, pyNN.<simulator> (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=DURATION_MS,
                        help="simulated time in ms (default: %(default)s)")
    parser.add_argument("--counts", default="spike_counts.json",
                        help="JSON file for the spike counts (default: %(default)s)")
    parser.add_argument("--spikes", default=None, help="optional .npz file for the spikes")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random initial values (default: %(default)s)")
    args = parser.parse_args(argv)
    SIMULATOR = args.simulator
    sim = importlib.import_module("pyNN." + args.simulator)
    sim.setup(timestep=DT)
    pops, _ = build(load_data(), NumpyRNG(seed=args.seed))
    for name in RECORDED:
        pops[name].record("spikes")
    sim.run(args.duration)
    counts, spikes = {{}}, {{}}
    for name in RECORDED:
        trains = pops[name].get_data("spikes").segments[0].spiketrains
        times = [np.asarray(st.rescale("ms").magnitude, dtype=float) for st in trains]
        index = [np.full(len(t), st.annotations.get("source_index", k), dtype=np.int64)
                 for k, (st, t) in enumerate(zip(trains, times))]
        counts[name] = int(sum(len(t) for t in times))
        spikes[name + ".times"] = np.concatenate(times) if times else np.zeros(0)
        spikes[name + ".indices"] = np.concatenate(index) if index else np.zeros(0, np.int64)
    sim.end()
    report = {{"network": NETWORK, "simulator": args.simulator, "dt": DT,
              "duration_ms": args.duration, "spike_counts": counts}}

    def write_counts(tmp):
        with open(tmp, "w") as f:
            json.dump(report, f, indent=1)

    def write_spikes(tmp):
        with open(tmp, "wb") as f:
            np.savez(f, **spikes)

    write_atomic(args.counts, write_counts)
    if args.spikes:
        write_atomic(args.spikes, write_spikes)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''

__all__ = ["SIMULATORS", "data_path_for", "pynn_data", "render_pynn", "save_pynn",
           "to_pynn_script", "write_pynn_script"]
