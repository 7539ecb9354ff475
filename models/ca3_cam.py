"""CA3 spiking content-addressable memory (Casanueva-Morato et al., Neural Networks 2024).

A memory is a pair (cue, content): a one-hot cue over ``c`` neurons and a binary content over
``m`` neurons. Presenting cue and content for three steps learns them (overwriting what the cue
held), the cue alone for one step recalls its content, and a content fragment alone recalls every
cue whose content shares at least one bit with it. Learning is the SpiNNaker STDP of the paper's
platform (:class:`~neuromem.ir.plasticity.SpiNNakerSTDP`) on two all-to-all projections.

:func:`build` returns the memory as a neuromem graph at dt = 1 ms: an input population ``in``
(c + m spike sources, cues first), the eight internal populations and an output population
``out`` (c + m neurons), wired by the 18 projections of the reference configuration
(``config/network_config.json`` of the authors' code). Parameter tables are :data:`NEURON_PARAMS`
and :data:`SYNAPSE_PARAMS`; both can be overridden per key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import neuromem as nm

DT = 1.0

#: PyNN IF_curr_exp parameters per population kind (nF, ms, mV, nA); keys as in the paper's code
NEURON_PARAMS: dict[str, dict[str, float]] = {
    "slow": {"cm": 0.27, "tau_m": 3.0, "tau_syn_E": 0.3, "tau_syn_I": 0.3, "tau_refrac": 1.0,
             "v_rest": -60.0, "v_reset": -60.0, "v_thresh": -57.0, "i_offset": 0.0,
             "v_init": -60.0},
    "fast": {"cm": 0.14, "tau_m": 0.5, "tau_syn_E": 0.3, "tau_syn_I": 0.3, "tau_refrac": 1.0,
             "v_rest": -60.0, "v_reset": -60.0, "v_thresh": -57.0, "i_offset": 0.0,
             "v_init": -60.0},
    "out": {"cm": 0.27, "tau_m": 3.0, "tau_syn_E": 0.3, "tau_syn_I": 0.3, "tau_refrac": 1.0,
            "v_rest": -60.0, "v_reset": -60.0, "v_thresh": -57.5, "i_offset": 0.0,
            "v_init": -60.0},
}

#: population name -> (size as a function of (c, m), parameter kind); in build order
POPULATIONS: dict[str, tuple[Any, str]] = {
    "s1_cue": (lambda c, m: c, "slow"),
    "s1_cont": (lambda c, m: m, "slow"),
    "s2_int": (lambda c, m: 1, "fast"),
    "s2_cond": (lambda c, m: m, "fast"),
    "s2_cont": (lambda c, m: m, "slow"),
    "s2_cue": (lambda c, m: c, "fast"),
    "merge_cue": (lambda c, m: c, "slow"),
    "merge_cont": (lambda c, m: m, "slow"),
}

#: the STDP of rows 3 and 11 (PyNN SpikePairRule + AdditiveWeightDependence, sPyNNaker semantics)
STDP_PARAMS = {"tau_plus": 3.0, "tau_minus": 3.0, "A_plus": 6.0, "A_minus": 6.0, "w_min": 0.0,
               "w_max": 6.0}

#: the 18 projections: name -> (pre, post, connector, weight (nA, or "6m"), delay ms, receptor).
#: "in[cue]" etc. are slices of the input and output populations. Row numbers follow the spec.
SYNAPSE_PARAMS: dict[str, dict[str, Any]] = {
    "in_s1_cue": {"row": 1, "pre": "in[cue]", "post": "s1_cue", "conn": "one", "w": 6.0, "d": 1.0},
    "in_s1_cont": {"row": 2, "pre": "in[cont]", "post": "s1_cont", "conn": "one", "w": 6.0,
                   "d": 1.0},
    "s1_cue_s1_cont": {"row": 3, "pre": "s1_cue", "post": "s1_cont", "conn": "all", "w": 0.0,
                       "d": 1.0, "stdp": True},
    "s1_cue_s2_cue": {"row": 4, "pre": "s1_cue", "post": "s2_cue", "conn": "one", "w": 6.0,
                      "d": 2.0},
    "s1_cue_s2_cue_inh": {"row": 5, "pre": "s1_cue", "post": "s2_cue", "conn": "all_but_self",
                          "w": "6m", "d": 3.0, "inh": True},
    "s1_cue_s2_cond_inh": {"row": 6, "pre": "s1_cue", "post": "s2_cond", "conn": "all", "w": 6.0,
                           "d": 2.0, "inh": True},
    "s1_cont_s2_cond": {"row": 7, "pre": "s1_cont", "post": "s2_cond", "conn": "one", "w": 9.0,
                        "d": 1.0},
    "s1_cont_s2_int": {"row": 8, "pre": "s1_cont", "post": "s2_int", "conn": "all", "w": 6.0,
                       "d": 1.0},
    "s2_int_s2_cond": {"row": 9, "pre": "s2_int", "post": "s2_cond", "conn": "all", "w": 2.0,
                       "d": 1.0},
    "s2_cond_s2_cont": {"row": 10, "pre": "s2_cond", "post": "s2_cont", "conn": "one", "w": 6.0,
                        "d": 1.0},
    "s2_cont_s2_cue": {"row": 11, "pre": "s2_cont", "post": "s2_cue", "conn": "all", "w": 0.0,
                       "d": 1.0, "stdp": True},
    "s2_cue_s2_cue_inh": {"row": 12, "pre": "s2_cue", "post": "s2_cue", "conn": "all_but_self",
                          "w": "6m", "d": 2.0, "inh": True},
    "s1_cue_merge_cue": {"row": 13, "pre": "s1_cue", "post": "merge_cue", "conn": "one", "w": 6.0,
                         "d": 3.0},
    "s2_cue_merge_cue": {"row": 14, "pre": "s2_cue", "post": "merge_cue", "conn": "one", "w": 6.0,
                         "d": 1.0},
    "s1_cont_merge_cont": {"row": 15, "pre": "s1_cont", "post": "merge_cont", "conn": "one",
                           "w": 6.0, "d": 3.0},
    "s2_cont_merge_cont": {"row": 16, "pre": "s2_cont", "post": "merge_cont", "conn": "one",
                           "w": 6.0, "d": 1.0},
    "merge_cue_out": {"row": 17, "pre": "merge_cue", "post": "out[cue]", "conn": "one", "w": 6.0,
                      "d": 1.0},
    "merge_cont_out": {"row": 18, "pre": "merge_cont", "post": "out[cont]", "conn": "one",
                       "w": 6.0, "d": 1.0},
}

#: the two plastic projections: cue -> content (recall by cue) and content -> cue (by content)
PLASTIC = ("s1_cue_s1_cont", "s2_cont_s2_cue")


def lif(size: int, p: Mapping[str, float]) -> nm.LIF:
    """A PyNN IF_curr_exp population as a neuromem LIF (same units)."""
    return nm.LIF(size, tau_m=p["tau_m"], c_m=p["cm"], v_rest=p["v_rest"], v_thresh=p["v_thresh"],
                  v_reset=p["v_reset"], tau_syn_e=p["tau_syn_E"], tau_syn_i=p["tau_syn_I"],
                  tau_refrac=p["tau_refrac"], i_offset=p["i_offset"], v_init=p["v_init"])


def _merge(base: dict, override: Mapping | None) -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if key not in out:
            raise KeyError(f"unknown parameter group '{key}' (known: {', '.join(out)})")
        if isinstance(value, Mapping):
            unknown = set(value) - set(out[key])
            if unknown:
                raise KeyError(f"unknown parameter(s) {sorted(unknown)} of '{key}'")
            out[key].update(value)
        else:
            out[key] = value
    return out


def _ends(ref: str, c: int, m: int) -> tuple[str, np.ndarray]:
    """Population and index range of a projection end ("in[cue]" -> ("in", 0..c-1))."""
    if "[" not in ref:
        return ref, None
    pop, part = ref[:-1].split("[")
    return pop, np.arange(c) if part == "cue" else np.arange(c, c + m)


def _pairs(conn: str, n_pre: int, n_post: int) -> list[tuple[int, int]]:
    if conn == "one":
        return [(i, i) for i in range(n_pre)]
    return [(i, j) for i in range(n_pre) for j in range(n_post) if conn == "all" or i != j]


def build(cue_size: int = 5, content_size: int = 10, *, in_spikes: Sequence[Sequence[float]] | None
          = None, neuron_params: Mapping | None = None, synapse_params: Mapping | None = None,
          stdp_params: Mapping | None = None,
          preload: Mapping[str, np.ndarray] | None = None) -> nm.Network:
    """The memory for ``cue_size`` cues and ``content_size`` content bits, as a graph.

    ``in_spikes``: one list of spike times (ms) per input neuron, cues first (the reference's
    input format); none by default (give them at run time with ``inputs={"in": ...}``).
    ``neuron_params`` / ``synapse_params`` / ``stdp_params`` override entries of
    :data:`NEURON_PARAMS` / :data:`SYNAPSE_PARAMS` / :data:`STDP_PARAMS`. ``preload`` maps a
    plastic projection (:data:`PLASTIC`) to its initial weights as a (pre, post) matrix, as the
    reference's ``initCA3CueContW`` / ``initCA3ContCueW`` lists do.
    """
    c, m = int(cue_size), int(content_size)
    if c < 1 or m < 1:
        raise ValueError(f"cue and content sizes must be at least 1, got ({c}, {m})")
    neurons = _merge(NEURON_PARAMS, neuron_params)
    synapses = _merge(SYNAPSE_PARAMS, synapse_params)
    stdp = {**STDP_PARAMS, **(stdp_params or {})}
    net = nm.Network(f"ca3_cam_{c}x{m}", dt=DT)
    trains = in_spikes if in_spikes is not None else [[] for _ in range(c + m)]
    if len(trains) != c + m:
        raise ValueError(f"in_spikes: {len(trains)} spike trains for {c + m} input neurons")
    net.add("in", nm.SpikeArray.from_trains(trains))
    for name, (size, kind) in POPULATIONS.items():
        net.add(name, lif(size(c, m), neurons[kind]))
    net.add("out", lif(c + m, neurons["out"]))
    sizes = {name: net.node(name).size for name in net.nodes}
    for name, p in synapses.items():
        pre, pre_sel = _ends(p["pre"], c, m)
        post, post_sel = _ends(p["post"], c, m)
        n_pre = len(pre_sel) if pre_sel is not None else sizes[pre]
        n_post = len(post_sel) if post_sel is not None else sizes[post]
        pairs = np.array(_pairs(p["conn"], n_pre, n_post), dtype=np.int64).reshape(-1, 2)
        if pre_sel is not None:
            pairs[:, 0] = pre_sel[pairs[:, 0]]
        if post_sel is not None:
            pairs[:, 1] = post_sel[pairs[:, 1]]
        w = 6.0 * m if p["w"] == "6m" else float(p["w"])
        # PyNN gives inhibitory weights as magnitudes; neuromem's weights carry their sign
        weight: Any = -w if p.get("inh") else w
        rule = None
        if p.get("stdp"):
            rule = nm.SpiNNakerSTDP(**stdp)
            if preload is not None and name in preload:
                matrix = np.asarray(preload[name], dtype=np.float64)
                if matrix.shape != (n_pre, n_post):
                    raise ValueError(f"preload of '{name}': shape {matrix.shape}, expected "
                                     f"{(n_pre, n_post)}")
                weight = matrix[pairs[:, 0], pairs[:, 1]]
        net.connect(pre, post, nm.from_list([tuple(x) for x in pairs]), weight=weight,
                    delay=float(p["d"]), receptor="inh" if p.get("inh") else "exc", name=name,
                    plasticity=rule)
    return net


def internal_neurons(net: nm.Network) -> int:
    return sum(net.node(p).size for p in POPULATIONS)


__all__ = ["NEURON_PARAMS", "PLASTIC", "POPULATIONS", "STDP_PARAMS", "SYNAPSE_PARAMS", "build",
           "internal_neurons", "lif"]
