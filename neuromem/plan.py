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
from neuromem.ir.nodes import LIF, PoissonSource, SpikeArray
from neuromem.ir.values import realise
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

RECEPTOR_INDEX = {"exc": 0, "inh": 1}


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
    #: indices of the projections that target this population, in projection order
    inputs: list[int] = field(default_factory=list)

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
    if trials < 1:
        raise BackendError(f"trials must be at least 1, got {trials}")
    pops: dict[str, LIFPlan | SourcePlan] = {}
    for name, node in net.nodes.items():
        if isinstance(node, LIF):
            pops[name] = _lower_lif(name, node, dt, method, seed, trials)
        elif isinstance(node, (SpikeArray, PoissonSource)):
            pops[name] = SourcePlan(name, node.size, node, dt, seed, trials)
        else:  # validation has accepted a type this version cannot lower
            raise BackendError(f"node '{name}': {type(node).__name__} cannot be simulated yet")
    projs = []
    for k, proj in enumerate(net.projections):
        n_pre, n_post = pops[proj.pre].size, pops[proj.post].size
        projs.append(ProjectionPlan(proj.name, proj.pre, proj.post, RECEPTOR_INDEX[proj.receptor],
                                    proj.pre_idx, proj.post_idx, proj.weight,
                                    steps_of(proj.delay, dt), n_pre, n_post))
        target = pops[proj.post]
        assert isinstance(target, LIFPlan)
        target.inputs.append(k)
    return Plan(dt, method, seed, trials, pops, projs)


def _lower_lif(name: str, node: LIF, dt: float, method: str, seed: int, trials: int) -> LIFPlan:
    n = node.size
    coeffs = lif_coefficients(*(realise(getattr(node, f), n) for f in
                                ("tau_m", "c_m", "v_rest", "i_offset", "tau_syn_e", "tau_syn_i")),
                              dt=dt, method=method)
    v_init = np.stack([realise(node.v_init, n,
                               np.random.default_rng(stream_seed(seed, k, name, STREAM_INIT)))
                       for k in range(trials)])
    return LIFPlan(name, n, coeffs, realise(node.v_thresh, n), realise(node.v_reset, n),
                   node.reset, refractory_steps(realise(node.tau_refrac, n), dt), v_init)
