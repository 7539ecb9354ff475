"""Plasticity rules: data attached to a projection, compiled by every backend (or refused).

Each rule is a small frozen dataclass of scalar parameters with a registered type name, like the
nodes. What a rule does at each step is written once, in :mod:`neuromem.semantics_plasticity`;
the docstrings here state it in equations. Units: ms for time constants, the projection's weight
unit (nA) for amplitudes and bounds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from neuromem.ir.registry import register


class Rule:
    """Behaviour shared by the rule dataclasses: serialisation and parameter metadata."""

    type_name: ClassVar[str]
    #: numeric parameters that must be > 0
    POSITIVE: ClassVar[tuple[str, ...]] = ()
    #: numeric parameters that must be >= 0
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ()
    #: string parameters and their allowed values
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        # numbers are stored as floats, so that a rule reads back from a file as it was written
        for name in self.numeric_fields():
            value = getattr(self, name)
            if isinstance(value, (int, float, np.integer, np.floating)) or (
                    isinstance(value, np.ndarray) and value.ndim == 0):
                object.__setattr__(self, name, float(value))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        for f in dataclasses.fields(self):
            out[f.name] = getattr(self, f.name)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Rule":
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                raw = data[f.name]
                if f.type == "float":
                    kwargs[f.name] = float(raw)
                else:
                    kwargs[f.name] = raw.decode() if isinstance(raw, bytes) else str(raw)
        return cls(**kwargs)

    def numeric_fields(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self) if f.type == "float"]


@register("STDP")
@dataclass(frozen=True)
class STDP(Rule):
    """Pair-based STDP with traces, applied at spike time (as Brian2's classic STDP example).

    Every synapse keeps a presynaptic trace ``x`` and a postsynaptic trace ``y``; each step both
    decay by ``exp(-dt/tau_plus)`` and ``exp(-dt/tau_minus)``. The synapse sees a presynaptic
    spike when it *arrives* (after the projection's delay) and a postsynaptic spike when the
    neuron fires. In step 5 of step t, in this order:

    1. traces decay;
    2. each arrival: ``w <- clip(w - dep)``, then ``x <- x + 1`` (``all_to_all``) or ``x <- 1``
       (``nearest``);
    3. each post spike: ``w <- clip(w + pot)``, then ``y <- y + 1`` or ``y <- 1``;

    with ``pot = a_plus * x`` and ``dep = a_minus * y`` (``additive``) or
    ``pot = a_plus * (w_max - w) * x`` and ``dep = a_minus * (w - w_min) * y``
    (``multiplicative``); ``clip`` keeps ``w`` in ``[w_min, w_max]``. So a pairing with the
    arrival at ``t_a`` and the post spike at ``t_p`` changes ``w`` by ``a_plus exp(-(t_p-t_a)/tau_plus)``
    when ``t_p >= t_a`` and by ``-a_minus exp(-(t_a-t_p)/tau_minus)`` when ``t_p < t_a``.
    The PSP of an arrival uses the weight before the arrival's own update. ``lr_decay``
    multiplies ``a_plus`` and ``a_minus`` every ms (1: no decay).

    Amplitudes are absolute weight changes; PyNN's ``A_plus`` with an additive dependence is
    ``a_plus = A_plus * w_max``.
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    a_plus: float = 0.01
    a_minus: float = 0.012
    w_min: float = 0.0
    w_max: float = 1.0
    weight_dependence: str = "additive"
    pairing: str = "all_to_all"
    lr_decay: float = 1.0

    POSITIVE: ClassVar[tuple[str, ...]] = ("tau_plus", "tau_minus", "lr_decay")
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ("a_plus", "a_minus")
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "weight_dependence": ("additive", "multiplicative"),
        "pairing": ("all_to_all", "nearest")}


@register("SpiNNakerSTDP")
@dataclass(frozen=True)
class SpiNNakerSTDP(Rule):
    """Additive pair STDP as sPyNNaker runs it (``SpikePairRule`` + ``AdditiveWeightDependence``).

    PyNN-convention amplitudes: the change per pairing is ``A_plus * w_max * exp(-dt/tau_plus)``
    (sPyNNaker pre-multiplies A+- by w_max). Three sPyNNaker details, which the CA3 memory's
    learning and forgetting rely on:

    * the axonal delay is 0 and the whole synaptic delay d is dendritic: a post spike at
      ``t_post`` counts at ``t_post + d``, a presynaptic spike at its emission time;
    * updates are deferred: a synapse's weight changes only when its presynaptic neuron next
      spikes. At that spike (time t) it adds the potentiation of every delayed post spike in
      ``(t_last_pre, t]``, each against the presynaptic trace at ``t_last_pre``, and subtracts
      the depression of the latest delayed post spike at or before t (a delayed post spike at
      exactly t depresses fully); the weight is clipped once, to ``[w_min, w_max]``;
    * the updated weight is the one this presynaptic spike transmits.

    ``pairing="all_to_all"`` is sPyNNaker's ``SpikePairRule`` (each spike adds 1 to its trace),
    ``"nearest"`` its ``SpikeNearestPairRule`` (each spike resets its trace to 1). Clock-driven
    form, in step 5 of step t: traces decay; each synapse whose post neuron fired at ``t - d``
    adds ``A_plus * w_max * x`` to its pending potentiation, then ``y <- y + 1`` (or 1); each
    synapse whose pre neuron fires at t sets ``w <- clip(w + pending - A_minus * w_max * y)``,
    clears the pending sum, then ``x <- x + 1`` (or 1).
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    A_plus: float = 0.01
    A_minus: float = 0.012
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: str = "all_to_all"

    POSITIVE: ClassVar[tuple[str, ...]] = ("tau_plus", "tau_minus")
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ("A_plus", "A_minus")
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"pairing": ("all_to_all", "nearest")}

    @property
    def a_plus(self) -> float:
        return self.A_plus * self.w_max

    @property
    def a_minus(self) -> float:
        return self.A_minus * self.w_max


@register("AstroSTDP")
@dataclass(frozen=True)
class AstroSTDP(Rule):
    """Astrocyte-modulated STDP of NALSM (Ivanov & Michmizos 2021): the depression rate is the
    state ``A`` of the :class:`~neuromem.ir.nodes.Astrocyte` named ``astrocyte``.

    Every neuron keeps one trace, ``x <- trace_decay * (x + trace_increment * S)`` each step
    (S = 1 when it spiked). With the traces *before* this step's update and this step's spikes
    (emission times; delays play no part), for a synapse j -> i::

        pre_kind "exc" or "input":  dw = a_plus * x_j * S_i - A * x_i * S_j
        pre_kind "inh":             dw = -A * x_j * S_i + a_plus * x_i * S_j

    then ``w <- clip(w + dw, w_min, w_max)``. ``a_plus`` is multiplied by ``lr_decay`` every ms.
    """

    astrocyte: str = ""
    pre_kind: str = "exc"
    a_plus: float = 0.15
    trace_increment: float = 0.1
    trace_decay: float = 0.90477
    w_min: float = 0.0
    w_max: float = 3.0
    lr_decay: float = 1.0

    POSITIVE: ClassVar[tuple[str, ...]] = ("trace_decay", "lr_decay")
    NON_NEGATIVE: ClassVar[tuple[str, ...]] = ("a_plus", "trace_increment")
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"pre_kind": ("exc", "inh", "input")}


RULES = (STDP, SpiNNakerSTDP, AstroSTDP)

__all__ = ["RULES", "AstroSTDP", "Rule", "STDP", "SpiNNakerSTDP"]
