"""The one interface of all backends: ``Backend.compile(net) -> Simulation``,
``Simulation.run(duration_ms, inputs) -> Recording``."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from neuromem.errors import BackendError, NeuromemError
from neuromem.ir.nodes import LIF, Astrocyte, DendriticLIF, SpikeArray
from neuromem.ir.validate import node_problems
from neuromem.plan import LIFPlan, Plan, SourcePlan, build_plan
from neuromem.recording import Recording
from neuromem.scalars import is_int
from neuromem.semantics import INTEGRATION_METHODS
from neuromem.units import is_on_grid, steps_of

#: What to record: population -> state variables, or -> {variable: neuron indices}.
RecordSpec = dict[str, list[str] | dict[str, Any]]
#: A progress callback, called with (steps done, steps in the run).
Progress = Callable[[int, int], None]


class Backend(ABC):
    name: str = "?"

    def compile(self, net, *, dt: float | None = None, method: str = "exact", seed: int = 0,
                trials: int = 1, **options: Any) -> "Simulation":
        t0 = time.perf_counter()
        check_compile_args(dt=dt, method=method, trials=trials)  # (build_plan checks the seed)
        plan = build_plan(net, dt=dt, method=method, seed=seed, trials=int(trials))
        sim = self.build(plan, **options)
        sim.timings["build_s"] = sim.timings.get("build_s", 0.0) + time.perf_counter() - t0
        return sim

    @abstractmethod
    def build(self, plan: Plan, **options: Any) -> "Simulation":
        """Turn a plan into a ready-to-run simulation."""


class Simulation(ABC):
    """A compiled network; ``run`` continues from where the last run stopped."""

    backend_name = "?"

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.step = 0  # absolute step of the next run's first step
        self.timings: dict[str, float] = {}

    @property
    def dt(self) -> float:
        return self.plan.dt

    @property
    def t(self) -> float:
        """Current time in ms."""
        return self.step * self.plan.dt

    def run(self, duration_ms: float, inputs: dict[str, Any] | None = None,
            record: RecordSpec | None = None, progress: Progress | None = None,
            weights: dict[str, Any] | None = None) -> Recording:
        """Simulate ``duration_ms`` (a whole number of steps) and return what was recorded.

        ``inputs`` maps a SpikeArray population to new spikes for this run (absolute times in
        ms, within this run: ``[t, t + duration_ms)``, else refused): a list of spike-time lists
        per neuron, or ``(times, indices)``; wrap one such spec per trial in :class:`PerTrial` to
        give the trials different inputs. ``record`` maps populations to state variables to sample
        after every step (a variable name, a list of them, or ``{var: indices}`` with integer
        neuron indices; all neurons otherwise); astrocytes record ``"A"``. ``progress`` is called
        with (steps done, steps in the run). Spikes of every population are always
        recorded. ``weights`` maps plastic projections to times (ms, on the step grid, within this
        run) at which to snapshot their weights (the weights at the end of that step).
        """
        if not _is_real(duration_ms):
            raise BackendError(f"duration must be a real number of ms (a positive whole number of "
                               f"{self.dt} ms steps), got {type(duration_ms).__name__} "
                               f"{duration_ms!r}"[:300])
        if not (np.isfinite(duration_ms) and duration_ms > 0 and is_on_grid(duration_ms, self.dt)):
            raise BackendError(f"duration must be a positive whole number of {self.dt} ms steps, "
                               f"got {duration_ms}")
        if progress is not None and not callable(progress):
            raise BackendError(f"progress must be a callable, called with (steps done, steps in "
                               f"the run), or None, got {progress!r}")
        n_steps = int(round(float(duration_ms) / self.dt))
        record = self._normalise_record(_mapping("record", record, "{population: variables or "
                                                 "{variable: neuron indices}}"))
        step0 = self.step
        snap_steps = self._normalise_weights(_mapping("weights", weights, "{projection: times}"),
                                             step0, n_steps)
        self._apply_inputs(_mapping("inputs", inputs, "{SpikeArray population: spikes}"),
                           step0, n_steps)
        try:
            rec = self._run(step0, n_steps, record, progress, snap_steps)
        finally:
            for src in self.plan.sources:
                src.set_spikes(None)
        self.step = step0 + n_steps
        rec.meta.update({"backend": self.backend_name, "dt": self.dt, "seed": self.plan.seed,
                         "method": self.plan.method, "trials": self.plan.trials,
                         **self._meta(), **self.timings})
        return rec

    @abstractmethod
    def _run(self, step0: int, n_steps: int, record: dict[str, dict[str, np.ndarray]],
             progress: Progress | None, weights: dict[str, np.ndarray]) -> Recording:
        """``weights``: projection -> absolute steps at whose end to snapshot its weights."""

    def _meta(self) -> dict[str, Any]:
        return {}

    # -- shared argument handling -------------------------------------------------------
    def _normalise_record(self, record: RecordSpec) -> dict[str, dict[str, np.ndarray]]:
        out: dict[str, dict[str, np.ndarray]] = {}
        for pop, spec in record.items():
            plan = self.plan.populations.get(pop)
            if pop in self.plan.astrocytes:
                kind, allowed, sizes = "Astrocyte", Astrocyte.STATE, {"A": 1}
            elif plan is None:
                known = [p.name for p in self.plan.lifs] + list(self.plan.astrocytes)
                raise BackendError(f"cannot record '{pop}': no such population (recordable: "
                                   f"{', '.join(known) or 'none'})")
            elif not isinstance(plan, LIFPlan):
                raise BackendError(f"cannot record states of '{pop}': it is a source")
            elif plan.segments is not None:
                kind, allowed = "DendriticLIF", DendriticLIF.STATE
                sizes = {v: plan.size * plan.segments.per_cell if v in DendriticLIF.SEGMENT_STATE
                         else plan.size for v in allowed}
            else:
                kind, allowed, sizes = "LIF", LIF.STATE, {v: plan.size for v in LIF.STATE}
            spec = _record_spec(pop, spec)
            out[pop] = {}
            for var, idx in spec.items():
                if var not in allowed:
                    raise BackendError(f"cannot record '{var}' of '{pop}': {kind} records "
                                       f"{', '.join(allowed)}")
                n = sizes[var]
                idx = np.arange(n) if idx is None else _indices(f"record indices of '{var}' of "
                                                                f"'{pop}'", idx)
                if idx.size and (idx.min() < 0 or idx.max() >= n):
                    raise BackendError(f"record indices of '{var}' of '{pop}' out of range "
                                       f"[0, {n})")
                out[pop][var] = idx
        return out

    def _normalise_weights(self, weights: dict[str, Any], step0: int,
                           n_steps: int) -> dict[str, np.ndarray]:
        out = {}
        plastic = {p.name: p for p in self.plan.projections}
        for name, times in weights.items():
            proj = plastic.get(name)
            if proj is None:
                raise BackendError(f"cannot record weights of '{name}': no such projection")
            if proj.kind != "plastic":
                raise BackendError(f"cannot record weights of '{name}': it has no plasticity "
                                   "rule (its weights are the graph's)")
            try:
                t = np.atleast_1d(np.asarray(times, dtype=np.float64))
            except (TypeError, ValueError):
                raise BackendError(f"weight snapshot times of '{name}' must be numbers (ms), got "
                                   f"{times!r}"[:300]) from None
            if not (np.isfinite(t).all() and is_on_grid(t, self.dt).all()):
                raise BackendError(f"weight snapshot times of '{name}' must lie on the "
                                   f"{self.dt} ms step grid")
            steps = np.rint(t / self.dt).astype(np.int64)
            if steps.size and (steps.min() < step0 or steps.max() >= step0 + n_steps):
                raise BackendError(f"weight snapshot times of '{name}' must lie in this run, "
                                   f"[{step0 * self.dt:g}, {(step0 + n_steps) * self.dt:g}) ms")
            out[name] = np.unique(steps)
        return out

    def _apply_inputs(self, inputs: dict[str, Any], step0: int, n_steps: int) -> None:
        start, stop = step0 * self.dt, (step0 + n_steps) * self.dt
        for pop, spec in inputs.items():
            src = self.plan.populations.get(pop)
            if not isinstance(src, SourcePlan) or not isinstance(src.node, SpikeArray):
                arrays = [p.name for p in self.plan.sources if isinstance(p.node, SpikeArray)]
                raise BackendError(f"inputs: '{pop}' is not a SpikeArray population (SpikeArray "
                                   f"populations: {', '.join(arrays) or 'none'})")
            per_trial = spec if isinstance(spec, PerTrial) else [spec] * self.plan.trials
            if len(per_trial) != self.plan.trials:
                raise BackendError(f"inputs for '{pop}': {len(per_trial)} trials given, "
                                   f"{self.plan.trials} compiled")
            checked = []
            for trial, one in enumerate(per_trial):
                node = _spike_array(pop, src.size, one)
                if node.size != src.size:
                    raise BackendError(f"inputs for '{pop}': {node.size} spike trains for "
                                       f"{src.size} neurons")
                found = node_problems(pop, node, self.dt)
                if found:
                    raise found[0]
                # times are absolute: a spike outside this run would never be delivered
                steps = steps_of(node.times, self.dt)
                outside = (steps < step0) | (steps >= step0 + n_steps)
                if outside.any():
                    which = f" (trial {trial})" if isinstance(spec, PerTrial) else ""
                    raise BackendError(
                        f"inputs for '{pop}'{which}: spike at {node.times[outside].min():g} ms lies "
                        f"outside this run, [{start:g}, {stop:g}) ms (input times are absolute "
                        f"and must fall within the run they are given to)")
                checked.append((node.times, node.indices))
            src.set_spikes(checked)


def check_compile_args(*, dt: Any, method: Any, trials: Any) -> None:
    """BackendError for a ``compile`` argument of the wrong type or value."""
    if dt is not None and not _is_real(dt):
        raise BackendError(f"dt must be a number of ms (or None for the network's), got {dt!r}")
    if not (isinstance(method, str) and method in INTEGRATION_METHODS):
        raise BackendError(f"method must be one of {', '.join(INTEGRATION_METHODS)}, got {method!r}")
    if not (is_int(trials) and trials >= 1):
        raise BackendError(f"trials must be a positive int, got {trials!r}")


def _is_real(value: Any) -> bool:
    """A real number (int or float, Python or NumPy, or a 0-d array of one), not a bool."""
    return np.ndim(value) == 0 and not isinstance(value, (bool, np.bool_, str, bytes)) \
        and np.asarray(value).dtype.kind in "iuf"


def _mapping(name: str, value: Any, accepted: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BackendError(f"{name} must be a dict {accepted}, got {type(value).__name__} "
                           f"{value!r}"[:300])
    return value


def _record_spec(pop: str, spec: Any) -> Mapping:
    """A population's record spec as {variable: indices or None}: one variable name, a list of
    names, or a dict of names to neuron indices."""
    if isinstance(spec, str):
        return {spec: None}
    if isinstance(spec, Mapping):
        return spec
    if hasattr(spec, "__iter__") and not isinstance(spec, bytes):
        names = list(spec)
        if all(isinstance(v, str) for v in names):
            return {v: None for v in names}
    raise BackendError(f"record['{pop}'] must be a variable name, a list of variable names or a "
                       f"dict {{variable: neuron indices}}, got {spec!r}"[:300])


def _indices(what: str, idx: Any) -> np.ndarray:
    """Neuron indices as int64; integers (or integral floats) only."""
    arr = np.asarray(idx)
    if arr.size and (arr.dtype.kind not in "iuf"
                     or (arr.dtype.kind == "f" and not (np.isfinite(arr).all()
                                                        and (arr == np.rint(arr)).all()))):
        raise BackendError(f"{what} must be integers, got {idx!r}"[:300])
    return arr.astype(np.int64)


_INPUT_FORMS = ("a list of spike-time lists, one per neuron, or a (times, indices) pair of "
                "arrays (absolute times in ms); PerTrial([...]) of those for per-trial inputs")


def _spike_array(pop: str, size: int, one: Any) -> SpikeArray:
    """One trial's input spec as a SpikeArray of ``size`` neurons."""
    if isinstance(one, tuple):
        if len(one) != 2:
            raise BackendError(f"inputs for '{pop}': a tuple must be (times, indices), got "
                               f"{len(one)} items; accepted: {_INPUT_FORMS}")
        _indices(f"inputs for '{pop}': spike indices", one[1])
    elif isinstance(one, (str, bytes, Mapping)) or not hasattr(one, "__len__"):
        raise BackendError(f"inputs for '{pop}' must be {_INPUT_FORMS}; got "
                           f"{type(one).__name__} {one!r}"[:400])
    try:
        return SpikeArray(size, *one) if isinstance(one, tuple) else SpikeArray.from_trains(one)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, NeuromemError):
            raise
        raise BackendError(f"inputs for '{pop}' must be {_INPUT_FORMS} ({exc})") from None


class PerTrial(list):
    """Inputs that differ between trials: one input spec per trial, trial 0 first."""


def assemble_spikes(plan: Plan, chunks: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]
                    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(steps, indices, trials) chunks per population -> sorted (times_ms, indices, trials)."""
    from neuromem.units import times_of

    out = {}
    for pop in plan.populations:
        parts = chunks.get(pop, [])
        if parts:
            s = np.concatenate([p[0] for p in parts]).astype(np.int64)
            i = np.concatenate([p[1] for p in parts]).astype(np.int64)
            k = np.concatenate([p[2] for p in parts]).astype(np.int64)
        else:
            s = i = k = np.zeros(0, dtype=np.int64)
        order = np.lexsort((i, s, k))
        out[pop] = (times_of(s[order], plan.dt), i[order], k[order])
    return out
