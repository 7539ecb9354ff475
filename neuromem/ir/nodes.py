"""Node primitives of the graph IR: one small frozen dataclass per primitive.

Each node has a ``size`` (number of elements), parameters in the units of :mod:`neuromem.units`
(scalars, one value per element, or a distribution realised with the run's seed), its equations
in the docstring, ``to_dict``/``from_dict``, and a registered type name. Nodes hold data only: how
they evolve in time is written once, in :mod:`neuromem.semantics`, and every backend follows it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from neuromem.ir.registry import register
from neuromem.ir.values import Value, as_param, value_from_dict, value_to_dict


class Node:
    """Behaviour shared by all node dataclasses (serialisation and parameter metadata)."""

    type_name: ClassVar[str]
    #: parameter fields (scalar, per-element array or distribution), checked by validation
    PARAMS: ClassVar[tuple[str, ...]] = ()
    #: parameters that must be > 0
    POSITIVE: ClassVar[tuple[str, ...]] = ()
    #: parameters that must be >= 0
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ()
    #: state variables a backend can record for this node
    STATE: ClassVar[tuple[str, ...]] = ()
    #: parameters that may be given as a distribution (drawn per trial from the run's seed)
    DISTRIBUTED: ClassVar[tuple[str, ...]] = ()

    size: int

    def __post_init__(self) -> None:
        for name in self.PARAMS:
            object.__setattr__(self, name, as_param(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):
            out[f.name] = value_to_dict(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Node":
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                raw = data[f.name]
                kwargs[f.name] = value_from_dict(raw) if f.name in cls.PARAMS else raw
        return cls(**kwargs)

    @property
    def is_source(self) -> bool:
        return False

    def state_size(self, var: str) -> int:
        """How many values state variable ``var`` has (one per element unless stated)."""
        return int(self.size)


@register("LIF")
@dataclass(frozen=True, eq=False)
class LIF(Node):
    """Leaky integrate-and-fire neurons with exponential current-based exc and inh synapses.

    Between spikes (PyNN's ``IF_curr_exp``)::

        dv/dt   = (v_rest - v) / tau_m + (i_e + i_i + i_offset) / c_m
        di_e/dt = -i_e / tau_syn_e
        di_i/dt = -i_i / tau_syn_i

    A spike arriving on a synapse of weight w (nA, signed) adds w to ``i_e`` (receptor "exc") or to
    ``i_i`` (receptor "inh"). When ``v > v_thresh`` and the neuron is not refractory it spikes, and
    ``v`` is reset to ``v_reset`` (``reset="value"``) or lowered by ``v_thresh - v_reset``
    (``reset="subtract"``); ``v`` is then held for ``tau_refrac`` (a whole number of steps) while the
    currents keep decaying. Units: ms, mV, nA, nF. ``v_init`` may be a distribution, drawn per trial
    from the run's seed.
    """

    size: int
    tau_m: Value = 20.0
    c_m: Value = 1.0
    v_rest: Value = -65.0
    v_thresh: Value = -50.0
    v_reset: Value = -65.0
    tau_syn_e: Value = 5.0
    tau_syn_i: Value = 5.0
    tau_refrac: Value = 0.0
    i_offset: Value = 0.0
    v_init: Value | None = None
    reset: str = "value"

    PARAMS: ClassVar[tuple[str, ...]] = ("tau_m", "c_m", "v_rest", "v_thresh", "v_reset",
                                         "tau_syn_e", "tau_syn_i", "tau_refrac", "i_offset",
                                         "v_init")
    POSITIVE: ClassVar[tuple[str, ...]] = ("tau_m", "c_m", "tau_syn_e", "tau_syn_i")
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ("tau_refrac",)
    STATE: ClassVar[tuple[str, ...]] = ("v", "i_e", "i_i")
    DISTRIBUTED: ClassVar[tuple[str, ...]] = ("v_init",)
    RESET_MODES: ClassVar[tuple[str, ...]] = ("value", "subtract")

    def __post_init__(self) -> None:
        if self.v_init is None:
            object.__setattr__(self, "v_init", self.v_rest)
        super().__post_init__()


@register("SpikeArray")
@dataclass(frozen=True, eq=False)
class SpikeArray(Node):
    """A source that emits given spikes: neuron ``indices[k]`` spikes at ``times[k]`` (ms).

    Build it from one list of times per neuron with :meth:`from_trains`. Times must lie on the
    step grid; a spike at step s reaches a target over a delay of d steps at step s + d.
    """

    size: int
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        indices = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        if times.shape == indices.shape:
            # Spikes in time order, then index order: the order every backend emits them in.
            order = np.lexsort((indices, times))
            times, indices = times[order], indices[order]
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "indices", indices)

    @classmethod
    def from_trains(cls, trains: list[list[float]] | list[np.ndarray]) -> "SpikeArray":
        """One list of spike times (ms) per neuron, neuron 0 first."""
        times = [np.asarray(t, dtype=np.float64).reshape(-1) for t in trains]
        indices = [np.full(len(t), i, dtype=np.int64) for i, t in enumerate(times)]
        return cls(len(trains), np.concatenate(times) if times else np.zeros(0),
                   np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64))

    @property
    def is_source(self) -> bool:
        return True


@register("PoissonSource")
@dataclass(frozen=True, eq=False)
class PoissonSource(Node):
    """Independent Bernoulli spikes per step: P(spike in a step) = rate * dt (rate in Hz, dt in s).

    Active for ``start <= t < stop`` (ms). Draws come from the run's seed, the trial number and
    the node's name, so every backend, given the same seed, sees the same spikes.
    """

    size: int
    rate: Value = 10.0
    start: float = 0.0
    stop: float = float("inf")

    PARAMS: ClassVar[tuple[str, ...]] = ("rate",)
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ("rate",)

    @property
    def is_source(self) -> bool:
        return True


@register("DendriticLIF")
@dataclass(frozen=True, eq=False)
class DendriticLIF(LIF):
    """LIF cells that own ``segments`` dendritic segments each (active dendrites, Hawkins & Ahmad).

    Projections onto receptor ``"dend"`` end on segments, not cells: ``post_idx`` is the segment
    index ``cell * segments + j``. A segment sums the weights of its synapses that received a spike
    within the last ``window`` ms (each synapse counts once, however many spikes it got; with
    unit weights this is the number of coincidently active synapses, D.A). When the sum reaches
    ``theta`` in a step (threshold phase), the segment emits a dendritic event and its cell
    becomes *predictive* for the next ``plateau`` ms: its resting potential is raised by
    ``v_plateau`` mV (a sustained NMDA plateau), so it fires earlier or on less input. Other
    receptors ("exc", "inh") reach the soma as for :class:`LIF`.

    Recordable besides the LIF state: ``segment`` (the window sum per segment, indexed by segment)
    and ``predictive`` (1 while the plateau lasts).
    """

    segments: int = 1
    theta: float = 1.0
    window: float = 1.0
    plateau: float = 1.0
    v_plateau: float = 0.0

    STATE: ClassVar[tuple[str, ...]] = ("v", "i_e", "i_i", "segment", "predictive")
    #: state variables indexed by segment rather than by cell
    SEGMENT_STATE: ClassVar[tuple[str, ...]] = ("segment",)

    @property
    def n_segments(self) -> int:
        return int(self.size) * int(self.segments)

    def state_size(self, var: str) -> int:
        return self.n_segments if var in self.SEGMENT_STATE else int(self.size)


@register("Astrocyte")
@dataclass(frozen=True, eq=False)
class Astrocyte(Node):
    """A global leaky integrator of the spikes of chosen populations (NALSM's astrocyte).

    Euler, every step::

        A <- A + (dt / tau) * ((w_scale * n + bias) - A)
        A, w_scale, bias <- decay * (A, w_scale, bias)       (decay per ms, 1 = none)

    where ``n = sum over populations p in inputs, neurons k of m_pk S_pk`` counts this step's spikes
    with weights ``m`` (``inputs`` maps a population to one weight or one per neuron; NALSM uses
    +1 for the liquid and -1 for the inputs). ``A`` starts at ``init``. Plasticity rules read
    ``A`` (see :class:`~neuromem.ir.plasticity.AstroSTDP`). ``size`` is 1.
    """

    size: int = 1
    tau: float = 100.0
    bias: float = 0.15
    init: float = 0.15
    w_scale: float = 0.015
    decay: float = 1.0
    inputs: dict = field(default_factory=dict)

    STATE: ClassVar[tuple[str, ...]] = ("A",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", {str(k): as_param(v) for k, v in
                                            dict(self.inputs).items()})
        for name in ("tau", "bias", "init", "w_scale", "decay"):
            value = getattr(self, name)
            if np.ndim(value) == 0 and isinstance(value, (int, float, np.number, np.ndarray)):
                object.__setattr__(self, name, float(value))

    def to_dict(self) -> dict[str, Any]:
        out = {"type": self.type_name, "size": self.size}
        for name in ("tau", "bias", "init", "w_scale", "decay"):
            out[name] = float(getattr(self, name))
        out["input_names"] = np.array(list(self.inputs), dtype=object).astype(str)
        out["input_weights"] = {f"w{k}": np.asarray(v, dtype=np.float64)
                                for k, v in enumerate(self.inputs.values())}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Astrocyte":
        names = [s.decode() if isinstance(s, bytes) else str(s)
                 for s in np.atleast_1d(data.get("input_names", []))]
        weights = data.get("input_weights", {}) or {}
        inputs = {n: weights[f"w{k}"] for k, n in enumerate(names)}
        kwargs = {k: float(data[k]) for k in ("tau", "bias", "init", "w_scale", "decay")
                  if k in data}
        return cls(int(data.get("size", 1)), inputs=inputs, **kwargs)
