"""Lowering: a validated Network becomes a Plan of plain arrays that every backend consumes.

Everything a backend needs that could be computed two ways is computed here, once: the propagator
coefficients, refractory steps, delays in steps, synapse order (CSR by presynaptic neuron), initial
states per trial and the spikes of every source. Backends translate a Plan; they never re-derive
numbers from the graph, which is what lets them agree bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neuromem.errors import BackendError
from neuromem.ir.network import Network
from neuromem.ir.nodes import LIF, Astrocyte, DendriticLIF, PoissonSource, SpikeArray
from neuromem.ir.plasticity import STDP, AstroSTDP, Rule, SpiNNakerSTDP
from neuromem.ir.values import realise
from neuromem.scalars import is_int
from neuromem.semantics import (
    STREAM_INIT,
    STREAM_SOURCE,
    LIFCoefficients,
    bernoulli_probability,
    lif_coefficients,
    refractory_steps,
    stream_seed,
)
from neuromem.units import steps_of

RECEPTOR_INDEX = {"exc": 0, "inh": 1, "dend": 2}
DEND = RECEPTOR_INDEX["dend"]


def per_step(factor_per_ms: float, dt: float) -> float:
    """A factor given per ms, as applied once per step of ``dt`` ms."""
    return float(factor_per_ms) if dt == 1.0 else float(factor_per_ms) ** dt


@dataclass
class SegmentPlan:
    """Dendritic segments of a DendriticLIF population (see the node's docstring)."""

    per_cell: int
    theta: float
    window_steps: int
    plateau_steps: int
    #: the propagator's constant term while the cell is predictive (resting potential raised)
    a_v0_plateau: np.ndarray
    #: indices of the "dend" projections onto these segments
    inputs: list[int] = field(default_factory=list)


@dataclass
class STDPPlan:
    decay_plus: float
    decay_minus: float
    a_plus: float
    a_minus: float
    w_min: float
    w_max: float
    multiplicative: bool
    nearest: bool
    lr: float  # factor on a_plus and a_minus per step


@dataclass
class SpiNNakerSTDPPlan:
    decay_plus: float
    decay_minus: float
    a_plus: float  # A_plus * w_max
    a_minus: float
    w_min: float
    w_max: float
    nearest: bool = False


@dataclass
class AstroSTDPPlan:
    astrocyte: str
    inhibitory: bool
    a_plus: float
    increment: float
    trace_decay: float  # per step
    w_min: float
    w_max: float
    lr: float  # factor on a_plus per step


RulePlan = STDPPlan | SpiNNakerSTDPPlan | AstroSTDPPlan


def lower_rule(rule: Rule, dt: float) -> RulePlan:
    if isinstance(rule, STDP):
        return STDPPlan(float(np.exp(-dt / rule.tau_plus)), float(np.exp(-dt / rule.tau_minus)),
                        rule.a_plus, rule.a_minus, rule.w_min, rule.w_max,
                        rule.weight_dependence == "multiplicative", rule.pairing == "nearest",
                        per_step(rule.lr_decay, dt))
    if isinstance(rule, SpiNNakerSTDP):
        return SpiNNakerSTDPPlan(float(np.exp(-dt / rule.tau_plus)),
                                 float(np.exp(-dt / rule.tau_minus)), rule.a_plus, rule.a_minus,
                                 rule.w_min, rule.w_max, rule.pairing == "nearest")
    if isinstance(rule, AstroSTDP):
        return AstroSTDPPlan(rule.astrocyte, rule.pre_kind == "inh", rule.a_plus,
                             rule.trace_increment, per_step(rule.trace_decay, dt), rule.w_min,
                             rule.w_max, per_step(rule.lr_decay, dt))
    raise BackendError(f"no lowering for plasticity rule {type(rule).__name__}")


@dataclass
class AstrocytePlan:
    name: str
    k: float  # dt / tau
    bias: float
    init: float
    w_scale: float
    decay: float  # per step
    #: (population, weight per neuron), in the node's order: the order spikes are summed in
    inputs: list[tuple[str, np.ndarray]]


@dataclass
class LIFPlan:
    name: str
    size: int
    coeffs: LIFCoefficients
    v_thresh: np.ndarray
    v_reset: np.ndarray
    reset: str
    refrac_steps: np.ndarray
    v_init: np.ndarray  # (trials, size)
    #: indices of the projections that target this population's soma, in projection order
    inputs: list[int] = field(default_factory=list)
    segments: SegmentPlan | None = None

    @property
    def until_offset(self) -> np.ndarray:
        """A neuron that spikes at step t integrates again from step t + until_offset: ``v`` is
        held through the ``refrac_steps`` steps after the spike (as NEST and sPyNNaker count)."""
        return self.refrac_steps + 1

    @property
    def v_drop(self) -> np.ndarray:
        """What reset by subtraction takes off ``v``."""
        return self.v_thresh - self.v_reset


@dataclass
class SourcePlan:
    name: str
    size: int
    node: SpikeArray | PoissonSource
    dt: float
    seed: int
    trials: int
    _rngs: list[np.random.Generator] = field(default_factory=list, repr=False)
    _override: list[tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._rngs = [np.random.default_rng(stream_seed(self.seed, k, self.name, STREAM_SOURCE))
                      for k in range(self.trials)]

    def set_spikes(self, per_trial: list[tuple[np.ndarray, np.ndarray]] | None) -> None:
        """Replace a SpikeArray's spikes by (times_ms, indices) per trial; None restores them."""
        self._override = per_trial

    def spikes(self, trial: int, step0: int, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Spikes in steps [step0, step0 + n_steps) as (steps, indices), sorted by step then index.

        A Poisson source draws its steps in order, so consecutive calls continue one stream.
        """
        node = self.node
        if isinstance(node, PoissonSource):
            p = np.broadcast_to(bernoulli_probability(node.rate, self.dt), (node.size,))
            draws = self._rngs[trial].random((n_steps, node.size)) < p
            steps = np.arange(step0, step0 + n_steps)
            active = (steps * self.dt >= node.start) & (steps * self.dt < node.stop)
            draws &= active[:, None]
            s, i = np.nonzero(draws)
            return s.astype(np.int64) + step0, i.astype(np.int64)
        times, indices = (self._override[trial] if self._override is not None
                          else (node.times, node.indices))
        steps = steps_of(times, self.dt)
        keep = (steps >= step0) & (steps < step0 + n_steps)
        steps, indices = steps[keep], np.asarray(indices, dtype=np.int64)[keep]
        order = np.lexsort((indices, steps))
        return steps[order], indices[order]


@dataclass
class ProjectionPlan:
    name: str
    pre: str
    post: str
    receptor: int
    pre_idx: np.ndarray
    post_idx: np.ndarray
    weight: np.ndarray
    delay_steps: np.ndarray
    n_pre: int
    n_post: int
    rule: RulePlan | None = None

    @property
    def kind(self) -> str:
        """"static" (weights fixed: the engine's fast path), "plastic" or "dend"."""
        if self.receptor == DEND:
            return "dend"
        return "static" if self.rule is None else "plastic"

    @property
    def max_delay(self) -> int:
        return int(self.delay_steps.max()) if self.delay_steps.size else 1

    @property
    def uniform_delay(self) -> int | None:
        d = self.delay_steps
        if d.size == 0:
            return 1
        return int(d[0]) if (d == d[0]).all() else None


@dataclass
class Plan:
    dt: float
    method: str
    seed: int
    trials: int
    populations: dict[str, LIFPlan | SourcePlan]
    projections: list[ProjectionPlan]
    astrocytes: dict[str, AstrocytePlan] = field(default_factory=dict)

    @property
    def projections_by_name(self) -> dict[str, ProjectionPlan]:
        return {p.name: p for p in self.projections}

    @property
    def lifs(self) -> list[LIFPlan]:
        return [p for p in self.populations.values() if isinstance(p, LIFPlan)]

    @property
    def sources(self) -> list[SourcePlan]:
        return [p for p in self.populations.values() if isinstance(p, SourcePlan)]


def build_plan(net: Network, *, dt: float | None = None, method: str = "exact", seed: int = 0,
               trials: int = 1) -> Plan:
    """Validate ``net`` and lower it for a run of ``trials`` independent trials."""
    dt = net.dt if dt is None else float(dt)
    net.validate(dt)
    # the random streams take the seed as one 32-bit word (stream_seed): refuse what would wrap
    if not is_int(seed) or not 0 <= seed < 2**32:
        raise BackendError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r}")
    if trials < 1:
        raise BackendError(f"trials must be at least 1, got {trials}")
    pops: dict[str, LIFPlan | SourcePlan] = {}
    astros: dict[str, AstrocytePlan] = {}
    for name, node in net.nodes.items():
        if isinstance(node, LIF):
            pops[name] = _lower_lif(name, node, dt, method, seed, trials)
        elif isinstance(node, (SpikeArray, PoissonSource)):
            pops[name] = SourcePlan(name, node.size, node, dt, seed, trials)
        elif isinstance(node, Astrocyte):
            astros[name] = AstrocytePlan(
                name, dt / node.tau, node.bias, node.init, node.w_scale, per_step(node.decay, dt),
                [(p, np.broadcast_to(np.asarray(w, dtype=np.float64),
                                     (net.node(p).size,)).copy()) for p, w in node.inputs.items()])
        else:  # validation has accepted a type this version cannot lower
            raise BackendError(f"node '{name}': {type(node).__name__} cannot be simulated yet")
    projs = []
    for k, proj in enumerate(net.projections):
        target = pops[proj.post]
        assert isinstance(target, LIFPlan)
        receptor = RECEPTOR_INDEX[proj.receptor]
        n_post = target.segments.per_cell * target.size if receptor == DEND else target.size
        projs.append(ProjectionPlan(proj.name, proj.pre, proj.post, receptor,
                                    proj.pre_idx, proj.post_idx, proj.weight,
                                    steps_of(proj.delay, dt), pops[proj.pre].size, n_post,
                                    None if proj.plasticity is None
                                    else lower_rule(proj.plasticity, dt)))
        if receptor == DEND:
            target.segments.inputs.append(k)
        else:
            target.inputs.append(k)
    return Plan(dt, method, seed, trials, pops, projs, astros)


def _lower_lif(name: str, node: LIF, dt: float, method: str, seed: int, trials: int) -> LIFPlan:
    n = node.size
    coeffs = lif_coefficients(*(realise(getattr(node, f), n) for f in
                                ("tau_m", "c_m", "v_rest", "i_offset", "tau_syn_e", "tau_syn_i")),
                              dt=dt, method=method)
    v_init = np.stack([realise(node.v_init, n,
                               np.random.default_rng(stream_seed(seed, k, name, STREAM_INIT)))
                       for k in range(trials)])
    segments = None
    if isinstance(node, DendriticLIF):
        raised = lif_coefficients(*(realise(getattr(node, f), n) for f in
                                    ("tau_m", "c_m")),
                                  realise(node.v_rest, n) + node.v_plateau,
                                  *(realise(getattr(node, f), n) for f in
                                    ("i_offset", "tau_syn_e", "tau_syn_i")), dt=dt, method=method)
        segments = SegmentPlan(int(node.segments), float(node.theta),
                               int(steps_of(node.window, dt)), int(steps_of(node.plateau, dt)),
                               raised.a_v0)
    return LIFPlan(name, n, coeffs, realise(node.v_thresh, n), realise(node.v_reset, n),
                   node.reset, refractory_steps(realise(node.tau_refrac, n), dt), v_init,
                   segments=segments)
