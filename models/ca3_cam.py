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
import dataclasses
import numbers
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import neuromem as nm
from neuromem.errors import ValidationError
from neuromem.scalars import is_int

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


def _merge(base: dict, override: Mapping | None, argument: str) -> dict:
    """``base`` with the per-group overrides of ``override`` (argument ``argument`` of
    :func:`build`); unknown groups and parameters are refused, listing the known ones."""
    out = copy.deepcopy(base)
    if override is None:
        return out
    if not isinstance(override, Mapping):
        raise ValidationError(f"{argument} must be a mapping of group -> {{parameter: value}}, "
                              f"got {override!r}")
    for key, value in override.items():
        if key not in out:
            raise ValidationError(f"{argument}: unknown parameter group {key!r} (known: "
                                  f"{', '.join(out)})")
        if not isinstance(value, Mapping):
            raise ValidationError(f"{argument}[{key!r}] must be a mapping of parameter -> value, "
                                  f"got {value!r} (known parameters: {', '.join(out[key])})")
        unknown = [k for k in value if k not in out[key]]
        if unknown:
            raise ValidationError(f"{argument}[{key!r}]: unknown parameter(s) "
                                  f"{', '.join(map(repr, unknown))} (known: {', '.join(out[key])})")
        out[key].update(value)
    return out


def _size(name: str, value: Any) -> int:
    """A population size argument: a whole number (int, numpy integer, or an integral float),
    at least 1; bools and strings are refused rather than read as numbers."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not (isinstance(value, numbers.Integral) or float(value).is_integer())):
        raise ValidationError(f"{name} must be a whole number >= 1, got {value!r}")
    if int(value) < 1:
        raise ValidationError(f"{name} must be at least 1, got {int(value)}")
    return int(value)


#: the keyword arguments of the STDP rule that ``stdp_params`` may set
STDP_KEYS = tuple(f.name for f in dataclasses.fields(nm.SpiNNakerSTDP))


def _stdp(override: Mapping | None) -> dict:
    if override is None:
        return dict(STDP_PARAMS)
    if not isinstance(override, Mapping):
        raise ValidationError(f"stdp_params must be a mapping of parameter -> value, got {override!r}")
    unknown = [k for k in override if k not in STDP_KEYS]
    if unknown:
        raise ValidationError(f"stdp_params: unknown parameter(s) {', '.join(map(repr, unknown))} "
                              f"(known: {', '.join(STDP_KEYS)})")
    return {**STDP_PARAMS, **override}


def _check_preload(preload: Mapping | None) -> None:
    if preload is None:
        return
    if not isinstance(preload, Mapping):
        raise ValidationError(f"preload must be a mapping of plastic projection -> (pre, post) "
                              f"weight matrix, got {type(preload).__name__}")
    unknown = [k for k in preload if k not in PLASTIC]
    if unknown:
        raise ValidationError(f"preload: unknown projection(s) {', '.join(map(repr, unknown))} "
                              f"(the plastic projections are {', '.join(PLASTIC)})")


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
    c, m = _size("cue_size", cue_size), _size("content_size", content_size)
    neurons = _merge(NEURON_PARAMS, neuron_params, "neuron_params")
    synapses = _merge(SYNAPSE_PARAMS, synapse_params, "synapse_params")
    stdp = _stdp(stdp_params)
    _check_preload(preload)
    net = nm.Network(f"ca3_cam_{c}x{m}", dt=DT)
    trains = in_spikes if in_spikes is not None else [[] for _ in range(c + m)]
    if len(trains) != c + m:
        raise ValidationError(f"in_spikes: {len(trains)} spike trains for {c + m} input neurons "
                              f"(cue_size + content_size, cues first)")
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
                try:
                    matrix = np.asarray(preload[name], dtype=np.float64)
                except (TypeError, ValueError):
                    raise ValidationError(f"preload[{name!r}]: expected a {n_pre} x {n_post} "
                                          f"matrix of weights (nA), got {preload[name]!r}") from None
                if matrix.shape != (n_pre, n_post):
                    raise ValidationError(f"preload[{name!r}]: shape {matrix.shape}, expected "
                                          f"{(n_pre, n_post)} (pre x post)")
                weight = matrix[pairs[:, 0], pairs[:, 1]]
        net.connect(pre, post, nm.from_list([tuple(x) for x in pairs]), weight=weight,
                    delay=float(p["d"]), receptor="inh" if p.get("inh") else "exc", name=name,
                    plasticity=rule)
    return net


def internal_neurons(net: nm.Network) -> int:
    return sum(net.node(p).size for p in POPULATIONS)




# -- operations ---------------------------------------------------------------------------

#: the reference's timing (spec 1.6): a learn holds its input 3 steps; the next operation may
#: start 7 ms after a learn and 6 ms after a recall; outputs come in [t0 + 5, t0 + 7]
LEARN_HOLD = 3
SPACING = {"learn": 7.0, "recall_cue": 6.0, "recall_content": 6.0}
OUTPUT_WINDOW = (5.0, 7.0)


class OperationError(nm.NeuromemError, ValueError):
    """An operation the memory cannot take: a cue that is not one-hot, an index out of range,
    an empty operation, or a schedule that breaks the minimum spacing."""


@dataclass(frozen=True)
class Operation:
    """One memory operation at time ``t0`` (ms): ``kind`` is "learn", "recall_cue" or
    "recall_content"; ``cue`` the cue index (None for recall by content) and ``content`` the
    content bits (empty for recall by cue)."""

    kind: str
    t0: float
    cue: int | None = None
    content: frozenset[int] = frozenset()

    def input_spikes(self, c: int) -> list[tuple[float, int]]:
        """(time, input neuron) pairs: cue neurons first, content neurons from c on."""
        steps = LEARN_HOLD if self.kind == "learn" else 1
        neurons = ([self.cue] if self.cue is not None else []) + [c + b for b in sorted(self.content)]
        return [(self.t0 + k * DT, n) for k in range(steps) for n in neurons]


@dataclass(frozen=True)
class Result:
    """What the output population answered to an operation: the cue and content indices that
    fired in the window [t0 + 5, t0 + 7], and per time."""

    operation: Operation
    cues: frozenset[int]
    content: frozenset[int]
    by_time: dict[float, tuple[frozenset[int], frozenset[int]]]

    def row(self) -> str:
        op = self.operation
        what = {"learn": f"learn cue {op.cue} <- {sorted(op.content)}",
                "recall_cue": f"recall by cue {op.cue}",
                "recall_content": f"recall by content {sorted(op.content)}"}[op.kind]
        times = "; ".join(f"{t:g}: cue {sorted(cs)} / content {sorted(bs)}"
                          for t, (cs, bs) in sorted(self.by_time.items()))
        return f"{op.t0:7g}  {what:<34} {times or '(no output)'}"


def content_bits(kind: str, content: Any) -> frozenset[int]:
    """The content bit indices of an operation: an iterable (set, list, array, ...) of distinct
    ints; None is empty. A string, a number, a float or bool element, or a repeated index (a
    binary vector given where indices are expected) is refused. Ranges are checked by
    :func:`check_operation`."""
    if content is None:
        return frozenset()
    what = "content is a set of bit indices, not a binary vector (e.g. {0, 1, 8, 9})"
    try:
        if isinstance(content, (str, bytes, bytearray)) or not isinstance(content, Iterable):
            raise TypeError
        items = list(content)
    except TypeError:  # also a 0-d numpy array, which is Iterable but cannot be iterated
        raise OperationError(f"{kind}: content must be an iterable of content bit indices (ints), "
                             f"got {content!r}; {what}") from None
    bad = [b for b in items if not is_int(b)]
    if bad:
        raise OperationError(f"{kind}: content bit(s) {bad!r} are not int indices; {what}")
    counts = Counter(int(b) for b in items)
    repeated = sorted(b for b, n in counts.items() if n > 1)
    if repeated:
        raise OperationError(f"{kind}: content index(es) {repeated} given more than once in "
                             f"{content!r}; {what}")
    return frozenset(counts)


def check_operation(kind: str, cue: int | None, content, c: int, m: int) -> tuple[int | None,
                                                                                  frozenset[int]]:
    """Validate one operation's arguments; returns (cue, content bits). The cue is an int (not
    a bool, float or string) in [0, c); the content an iterable of distinct ints in [0, m)
    (:func:`content_bits`)."""
    if kind not in SPACING:
        raise OperationError(f"unknown operation '{kind}' (known: {', '.join(SPACING)})")
    bits = content_bits(kind, content)
    if kind in ("learn", "recall_cue"):
        if not is_int(cue):
            raise OperationError(f"{kind}: the cue must be one index (one-hot: an int in "
                                 f"0..{c - 1}), got {cue!r}")
        if not 0 <= int(cue) < c:
            raise OperationError(f"{kind}: cue {cue} out of range [0, {c})")
    if kind == "learn" and not bits:
        raise OperationError("learn: empty content (a memory needs at least one content bit)")
    if kind == "recall_content" and not bits:
        raise OperationError("recall_content: empty fragment (give at least one content bit)")
    if kind == "recall_cue" and bits:
        raise OperationError("recall_cue takes a cue only, no content")
    bad = sorted(b for b in bits if not 0 <= b < m)
    if bad:
        raise OperationError(f"{kind}: content bit(s) {bad} out of range [0, {m})")
    return (None if kind == "recall_content" else int(cue)), bits


def check_schedule(operations: Sequence[Operation]) -> None:
    """Refuse a schedule that breaks the reference timing: operations on the 1 ms grid, in
    time order, each starting at least 7 ms after a learn and 6 ms after a recall."""
    for prev, op in zip(operations, operations[1:]):
        gap = op.t0 - prev.t0
        if gap < SPACING[prev.kind]:
            raise OperationError(f"operation at {op.t0:g} ms starts {gap:g} ms after the "
                                 f"{prev.kind} at {prev.t0:g} ms; the minimum is "
                                 f"{SPACING[prev.kind]:g} ms")
    for op in operations:
        if op.t0 < 0 or abs(op.t0 - round(op.t0)) > 1e-9:
            raise OperationError(f"operation time {op.t0} ms is not a whole non-negative ms")


def run_length(t0: float) -> float:
    """The shortest run (ms) that decodes an operation at ``t0``: its output window
    [t0 + 5, t0 + 7] is recorded through its last step, t0 + 7."""
    return t0 + OUTPUT_WINDOW[1] + DT


def check_duration(operations: Sequence[Operation], duration: float) -> None:
    """Refuse a run of ``duration`` ms that ends before the output window of one of
    ``operations`` does (its answer would read as no output)."""
    late = [op for op in operations if run_length(op.t0) > duration + 1e-9]
    if late:
        first = min(late, key=lambda o: o.t0)
        raise OperationError(f"the {first.kind} at {first.t0:g} ms needs a run of at least "
                             f"{run_length(first.t0):g} ms (its output window ends at "
                             f"{first.t0 + OUTPUT_WINDOW[1]:g} ms), but the duration is "
                             f"{duration:g} ms ({len(late)} operation(s) would not be decoded)")


def input_trains(operations: Sequence[Operation], c: int, m: int) -> list[list[float]]:
    """The reference input format: one list of spike times per IN neuron, cues first."""
    trains: list[list[float]] = [[] for _ in range(c + m)]
    for op in operations:
        for t, n in op.input_spikes(c):
            trains[n].append(t)
    return [sorted(t) for t in trains]


def infer_operations(trains: Sequence[Sequence[float]], c: int) -> list[Operation]:
    """Read the operations back from IN spike trains: spikes in consecutive steps belong to one
    operation; cue and content together is a learn, cue alone a recall by cue, content alone a
    recall by content."""
    events: dict[float, set[int]] = {}
    for n, times in enumerate(trains):
        for t in times:
            events.setdefault(float(t), set()).add(n)
    for t, neurons in sorted(events.items()):
        together = sorted(n for n in neurons if n < c)
        if len(together) > 1:
            raise OperationError(f"input at {t:g} ms: cue neurons {together} spike together; a "
                                 "cue is one-hot (one cue neuron per operation)")
    ops: list[Operation] = []
    group: list[float] = []
    for t in sorted(events) + [None]:
        if group and (t is None or t - group[-1] > DT):
            first = events[group[0]]
            cues = sorted(n for n in first if n < c)
            bits = frozenset(n - c for n in first if n >= c)
            if cues and bits:
                kind = "learn"
            elif cues:
                kind = "recall_cue"
            else:
                kind = "recall_content"
            ops.append(Operation(kind, group[0], cues[0] if cues else None, bits))
            group = []
        if t is not None:
            group.append(t)
    return ops


def decode(out_times: np.ndarray, out_indices: np.ndarray, operations: Sequence[Operation],
           c: int) -> list[Result]:
    """Each operation's answer: OUT spikes in [t0 + 5, t0 + 7], split into cues and content."""
    results = []
    for op in operations:
        lo, hi = op.t0 + OUTPUT_WINDOW[0], op.t0 + OUTPUT_WINDOW[1]
        sel = (out_times >= lo - 1e-9) & (out_times <= hi + 1e-9)
        by_time: dict[float, tuple[frozenset[int], frozenset[int]]] = {}
        for t in np.unique(out_times[sel]):
            idx = out_indices[sel & (np.abs(out_times - t) < 1e-9)]
            by_time[float(t)] = (frozenset(int(i) for i in idx if i < c),
                                 frozenset(int(i) - c for i in idx if i >= c))
        cues = frozenset().union(*(v[0] for v in by_time.values())) if by_time else frozenset()
        bits = frozenset().union(*(v[1] for v in by_time.values())) if by_time else frozenset()
        results.append(Result(op, cues, bits, by_time))
    return results


def expected_answers(operations: Sequence[Operation]) -> list[frozenset[int] | None]:
    """What each operation must answer by the memory's definition, independent of any
    simulation: a recall by cue returns the content stored last under the cue (empty if none); a
    recall by content returns every cue whose last stored content shares a bit with the fragment
    (OR semantics). Learns answer None (their echo is the input itself)."""
    stored: dict[int, frozenset[int]] = {}
    answers: list[frozenset[int] | None] = []
    for op in sorted(operations, key=lambda o: o.t0):
        if op.kind == "learn":
            stored[op.cue] = op.content
            answers.append(None)
        elif op.kind == "recall_cue":
            answers.append(stored.get(op.cue, frozenset()))
        else:
            answers.append(frozenset(k for k, v in stored.items() if v & op.content))
    return answers


def answer_of(result: Result) -> frozenset[int]:
    """The part of a result a recall is judged on: the content for a recall by cue, the cues for
    a recall by content."""
    return result.content if result.operation.kind == "recall_cue" else result.cues


def schedule(kinds_cues_contents: Sequence[tuple[str, int | None, Any]], *, start: float = 0.0,
             learn_gap: float = SPACING["learn"], recall_gap: float = SPACING["recall_cue"]
             ) -> list[Operation]:
    """Operations one after another: ``learn_gap`` ms after a learn, ``recall_gap`` ms after a
    recall (the reference's minimum, 7 and 6 ms, by default; its testbenches use 14)."""
    ops, t = [], float(start)
    for kind, cue, content in kinds_cues_contents:
        ops.append(Operation(kind, t, cue, content_bits(kind, content)))
        t += learn_gap if kind == "learn" else recall_gap
    return ops


def memtest_workload(c: int, m: int) -> list[tuple[str, int | None, frozenset[int]]]:
    """A MemTest-like sweep in the spirit of the paper's testbench 2: learn binary(i + 1) under
    every cue i, recall every cue and every content bit; overwrite every cue with the
    complement, recall all again; restore the first contents, recall all again."""
    def binary(v: int) -> frozenset[int]:
        return frozenset(b for b in range(m) if (v >> b) & 1)

    first = [binary(i + 1) for i in range(c)]
    stages = [first, [frozenset(range(m)) - f for f in first], first]
    ops: list[tuple[str, int | None, frozenset[int]]] = []
    for contents in stages:
        ops += [("learn", i, contents[i]) for i in range(c)]
        ops += [("recall_cue", i, frozenset()) for i in range(c)]
        ops += [("recall_content", None, frozenset({b})) for b in range(m)]
    return ops


def fill_workload(c: int = 16, m: int = 6, seed: int = 0, density: float = 0.4
                  ) -> list[tuple[str, int | None, frozenset[int]]]:
    """Fill every cue with a random content (each bit on with probability ``density``, at least
    one bit), then recall every cue and every content bit."""
    rng = np.random.default_rng(seed)
    contents = [frozenset(int(b) for b in np.flatnonzero(rng.random(m) < density)) or frozenset({0})
                for _ in range(c)]
    return ([("learn", i, contents[i]) for i in range(c)]
            + [("recall_cue", i, frozenset()) for i in range(c)]
            + [("recall_content", None, frozenset({b})) for b in range(m)])


def load_input(path) -> tuple[int, int, float, list[list[float]]]:
    """The reference's spike-level input file: ``{"cue_size": c, "content_size": m,
    "duration": ms, "in_spikes": [[t, ...], ...]}`` (one list per IN neuron, cues first)."""
    import json

    from neuromem.errors import FileFormatError

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise FileFormatError(f"{path}: expected a JSON object with cue_size, content_size, "
                              "duration and in_spikes")
    missing = [k for k in ("cue_size", "content_size", "duration", "in_spikes") if k not in data]
    if missing:
        raise FileFormatError(f"{path}: missing field(s) {', '.join(missing)}")
    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    for key in ("cue_size", "content_size"):
        value = data[key]
        if not (number(value) and float(value).is_integer() and value >= 1):
            raise FileFormatError(f"{path}: {key} must be a whole number >= 1, got "
                                  f"{json.dumps(value)}")
    c, m = int(data["cue_size"]), int(data["content_size"])
    duration = data["duration"]
    if not (number(duration) and np.isfinite(duration) and duration > 0):
        raise FileFormatError(f"{path}: duration must be a positive number of ms, got "
                              f"{json.dumps(duration)}")
    duration = float(duration)
    spikes = data["in_spikes"]
    if not isinstance(spikes, list) or not all(isinstance(train, list) for train in spikes):
        raise FileFormatError(f"{path}: in_spikes must be a list of spike-time lists, one per "
                              "input neuron (cues first)")
    for n, train in enumerate(spikes):
        bad = [t for t in train if not number(t)]
        if bad:
            raise FileFormatError(f"{path}: in_spikes[{n}] holds {json.dumps(bad[0])}, not a "
                                  "spike time in ms")
    trains = [[float(t) for t in train] for train in spikes]
    if len(trains) != c + m:
        raise FileFormatError(f"{path}: in_spikes has {len(trains)} trains, expected "
                              f"cue_size + content_size = {c + m}")
    return c, m, duration, trains


#: experiment E1 of the paper (spec 1.7): the input of ``test_CA3_content_addressable.py``
E1_IN_SPIKES = ([[0, 1, 2, 30], [], [], [20, 21, 22, 60, 61, 62, 70], [10, 11, 12]]
                + [[0, 1, 2, 50], [0, 1, 2, 10, 11, 12, 60, 61, 62], [], [60, 61, 62],
                   [20, 21, 22, 50, 60, 61, 62], [10, 11, 12, 20, 21, 22],
                   [10, 11, 12, 20, 21, 22, 40, 80], [], [0, 1, 2, 60, 61, 62], [0, 1, 2]])
E1_DURATION = 90.0


class CA3Memory:
    """The memory as an object: learn and recall one operation at a time on a backend.

    >>> mem = CA3Memory(5, 10, backend="torch")
    >>> mem.learn(0, {0, 1, 8, 9}).content
    frozenset({0, 1, 8, 9})
    >>> mem.recall_by_cue(0).content
    frozenset({0, 1, 8, 9})

    Each call runs the simulation for ``period`` ms from the current time (at least through the
    operation's output window, 8 ms) and decodes the window; the next operation starts there.
    The default, 14 ms, is the paper's own testbench spacing. At the paper's 7/6 ms minimum
    consecutive learns cross-talk: a cue's next presynaptic spike pairs with the next memory's
    content spikes 6-8 ms after its own, 36 exp(-6/3) = 4.9 nA each, above the 3.3 nA a slow
    neuron needs (``experiments/ca3_cam.py stress``); :func:`run_operations` takes schedules at
    that spacing (:func:`schedule`) for those who want to see it.
    ``method`` is the membrane integration ("spinnaker", the reference platform's, by default);
    other keyword options go to :func:`neuromem.compile` (e.g. ``dtype``, ``target``).
    """

    def __init__(self, cue_size: int = 5, content_size: int = 10, backend: str = "torch", *,
                 method: str = "spinnaker", neuron_params: Mapping | None = None,
                 synapse_params: Mapping | None = None, stdp_params: Mapping | None = None,
                 preload: Mapping[str, np.ndarray] | None = None, period: float = 14.0,
                 **options: Any) -> None:
        self.c, self.m = _size("cue_size", cue_size), _size("content_size", content_size)
        if isinstance(period, bool) or not isinstance(period, numbers.Real):
            raise OperationError(f"period must be a number of ms (a whole number >= "
                                 f"{OUTPUT_WINDOW[1] + DT:g}), got {period!r}")
        if not (np.isfinite(period) and period >= OUTPUT_WINDOW[1] + DT and float(period).is_integer()):
            raise OperationError(f"period must be a whole number of ms >= {OUTPUT_WINDOW[1] + DT:g} "
                                 f"(the output window ends at t0 + {OUTPUT_WINDOW[1]:g}), got {period}")
        self.period = float(period)
        self.network = build(self.c, self.m, neuron_params=neuron_params,
                             synapse_params=synapse_params, stdp_params=stdp_params,
                             preload=preload)
        if backend == "brian2" and options.get("target") == "cpp_standalone":
            raise OperationError("CA3Memory runs operation by operation; cpp_standalone runs "
                                 "once: use target 'numpy' or 'cython', or run_operations()")
        self.sim = nm.compile(self.network, backend=backend, method=method, **options)
        self.log: list[Result] = []

    @property
    def t(self) -> float:
        return self.sim.t

    def _do(self, kind: str, cue: int | None, content) -> Result:
        cue, bits = check_operation(kind, cue, content, self.c, self.m)
        op = Operation(kind, self.sim.t, cue, bits)
        rec = self.sim.run(self.period, inputs={"in": input_trains([op], self.c, self.m)})
        result = decode(*rec.spikes("out"), [op], self.c)[0]
        self.log.append(result)
        return result

    def learn(self, cue: int, content) -> Result:
        """Store ``content`` (content bit indices) under the one-hot ``cue`` (overwriting)."""
        return self._do("learn", cue, content)

    def recall_by_cue(self, cue: int) -> Result:
        """The content stored under ``cue`` (``result.content``)."""
        return self._do("recall_cue", cue, ())

    def recall_by_content(self, bits) -> Result:
        """Every cue whose stored content shares at least one bit with ``bits``
        (``result.cues``; OR semantics, as the paper's memory answers)."""
        return self._do("recall_content", None, bits)

    def weights(self) -> dict[str, np.ndarray]:
        """The two learned matrices (:func:`weight_matrices`), trial 0, in nA."""
        return weight_matrices(self.network, {name: self.sim.weights(name)[0] for name in PLASTIC})


def weight_matrices(network: nm.Network, weights: Mapping[str, np.ndarray]
                    ) -> dict[str, np.ndarray]:
    """The two learned matrices from the per-synapse weights of the plastic projections (e.g. a
    weight snapshot): ``cue_content`` (c x m, S1Cue -> S1Cont) and ``content_cue`` (m x c,
    S2Cont -> S2Cue)."""
    out = {}
    for key, name in (("cue_content", PLASTIC[0]), ("content_cue", PLASTIC[1])):
        proj = network.projection(name)
        matrix = np.zeros((network.node(proj.pre).size, network.node(proj.post).size))
        matrix[proj.pre_idx, proj.post_idx] = weights[name]
        out[key] = matrix
    return out


def run_operations(operations: Sequence[Operation], cue_size: int, content_size: int,
                   backend: str = "torch", *, method: str = "spinnaker",
                   duration: float | None = None, neuron_params: Mapping | None = None,
                   synapse_params: Mapping | None = None, stdp_params: Mapping | None = None,
                   preload: Mapping[str, np.ndarray] | None = None,
                   **options: Any) -> tuple[list[Result], Any]:
    """Run a whole schedule in one simulation (checked first) and decode every operation;
    returns the results and the Recording, with both plastic weight matrices at the last step.
    The parameter overrides and ``preload`` are :func:`build`'s; other keyword options go to
    :func:`neuromem.compile`. Works on every target, cpp_standalone included."""
    ops = sorted(operations, key=lambda o: o.t0)
    for op in ops:
        check_operation(op.kind, op.cue, op.content, cue_size, content_size)
    check_schedule(ops)
    end = run_length(ops[-1].t0) if ops else DT
    if duration is not None:
        check_duration(ops, duration)
    net = build(cue_size, content_size, in_spikes=input_trains(ops, cue_size, content_size),
                neuron_params=neuron_params, synapse_params=synapse_params,
                stdp_params=stdp_params, preload=preload)
    sim = nm.compile(net, backend=backend, method=method, **options)
    rec = sim.run(duration if duration is not None else end,
                  weights={name: [(duration if duration is not None else end) - DT]
                           for name in PLASTIC})
    return decode(*rec.spikes("out"), ops, cue_size), rec


__all__ = ["CA3Memory", "E1_DURATION", "E1_IN_SPIKES", "NEURON_PARAMS", "Operation",
           "OperationError", "PLASTIC", "POPULATIONS", "Result", "STDP_KEYS", "STDP_PARAMS",
           "SYNAPSE_PARAMS", "answer_of", "build", "check_duration", "check_schedule",
           "content_bits", "decode", "expected_answers", "fill_workload", "infer_operations",
           "input_trains", "internal_neurons", "lif", "load_input", "memtest_workload",
           "run_length", "run_operations", "schedule", "weight_matrices"]
