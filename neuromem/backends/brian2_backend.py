"""The brian2 backend: a Plan rendered as Brian2 NeuronGroups, Synapses and monitors.

How neuromem's step order (:mod:`neuromem.semantics`) maps onto Brian2's schedule
(start, groups, thresholds, synapses, resets, end):

* steps 1 and 2 (deliver, integrate) run as one ``run_regularly`` operation in the ``groups``
  slot: each projection k accumulates its arrivals in a variable ``in_k`` of the target group,
  which is added to the receptor's current (in projection order) and cleared, then the state is
  advanced with the statements of :data:`~neuromem.semantics.LIF_UPDATE`, one binary operation per
  statement, with the propagator coefficients computed by neuromem (not by Brian2/sympy);
* steps 3 and 4 are Brian2's threshold and reset;
* step 6: Brian2 delivers a spike in the ``synapses`` slot of the step in which its delay expires,
  after that step's integration, while neuromem delivers before it. A neuromem delay of d steps is
  therefore a Brian2 delay of d - 1 steps: the arrival lands in ``in_k`` at the end of step
  t + d - 1 and reaches the current at the start of step t + d, exactly as in neuromem.

All variables are dimensionless and hold neuromem's units (mV, nA); only time is converted to
seconds, here. Compiled targets are built with ``-ffp-contract=off`` and without ``-ffast-math``
so that the C++ compiler neither fuses multiply-adds nor reorders sums: float64 results then
match the torch backend bit for bit.

Options: ``target`` = "numpy" (no compiler), "cython" (compiled runtime; cached in
``cache_dir``) or "cpp_standalone" (one C++ program; built in ``build_dir``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from neuromem.backends.base import Backend, Progress, Simulation, assemble_spikes
from neuromem.backends.brian2_plasticity import (
    astrocyte_objects,
    check_supported,
    plastic_synapses,
    plateau_synapses,
    segment_group,
    segment_synapses,
)
from neuromem.errors import BackendError
from neuromem.plan import LIFPlan, Plan
from neuromem.recording import Recording, StateTrace
from neuromem.semantics import CURRENT_UPDATE, LIF_UPDATE
from neuromem.units import times_of

TARGETS = ("numpy", "cython", "cpp_standalone")
#: weight samples (synapses x steps) up to which snapshots come from a per-step monitor
MONITOR_LIMIT = 20_000_000
#: Compiler flags that keep IEEE semantics (no FMA contraction, no reassociation).
EXACT_FLAGS = ["-w", "-O3", "-ffp-contract=off", "-fno-fast-math", "-std=c++11"]
RECEPTOR_VAR = ("i_e", "i_i")


def _ident(prefix: str, index: int, name: str) -> str:
    return f"{prefix}{index}_" + re.sub(r"[^0-9a-zA-Z]", "_", name)[:40]


def _update_code(lif: LIFPlan, plan: Plan) -> str:
    """Abstract code of steps 1 and 2 for one LIF population."""
    lines = []
    for k in sorted(lif.inputs, key=lambda k: (plan.projections[k].receptor, k)):
        current = RECEPTOR_VAR[plan.projections[k].receptor]
        lines += [f"{current} = {current} + in_{k}", f"in_{k} = 0"]
    update = list(LIF_UPDATE)
    if lif.segments is not None:
        # while predictive (a segment's plateau), the constant term is the raised one; the
        # selection multiplies by exactly 1 and 0, so the value is one of the two, unchanged
        lines += ["predictive = int(t_in_timesteps < plateau_until)",
                  "a_v0_eff = a_v0_plateau * predictive + a_v0 * (1 - predictive)"]
        update = [(t, op, left, "a_v0_eff" if right == "a_v0" else right)
                  for t, op, left, right in update]
    lines += [f"{target} = {left} {op} {right}" for target, op, left, right in update]
    lines.append("v = v_new * int(t_in_timesteps >= until) + v * int(t_in_timesteps < until)")
    lines += [f"{target} = {left} {op} {right}" for target, op, left, right in CURRENT_UPDATE]
    return "\n".join(lines)


class Brian2Simulation(Simulation):
    backend_name = "brian2"

    def __init__(self, plan: Plan, target: str = "cython", cache_dir: str | None = None,
                 build_dir: str | None = None) -> None:
        super().__init__(plan)
        if target not in TARGETS:
            raise BackendError(f"brian2 backend: target must be one of {TARGETS}, got {target!r}")
        if target == "cpp_standalone" and plan.trials != 1:
            raise BackendError("brian2 backend: cpp_standalone runs one trial per compile; "
                               "compile with trials=1 (or use the torch backend for batches)")
        check_supported(plan)
        self.target = target
        self.cache_dir = cache_dir
        self.build_dir = build_dir
        self._nets: list[Any] = []  # one Brian2 network per trial (runtime targets)
        self._standalone_done = False

    def _meta(self) -> dict[str, Any]:
        return {"target": self.target}

    # -- construction ---------------------------------------------------------------------
    def _configure(self):
        import brian2 as b2

        b2.prefs.codegen.loop_invariant_optimisations = False  # keep our order of operations
        b2.prefs.codegen.cpp.extra_compile_args_gcc = list(EXACT_FLAGS)
        b2.prefs.codegen.cpp.extra_compile_args = list(EXACT_FLAGS)
        if self.target == "cpp_standalone":
            b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
            return b2
        b2.set_device("runtime")
        b2.prefs.codegen.target = self.target
        if self.cache_dir is not None:
            Path(self.cache_dir).mkdir(parents=True, exist_ok=True)
            b2.prefs.codegen.runtime.cython.cache_dir = str(self.cache_dir)
        return b2

    def _build_network(self, b2, trial: int):
        plan = self.plan
        clock = b2.Clock(dt=plan.dt * b2.ms)
        groups: dict[str, Any] = {}
        objects: list[Any] = []
        for index, (name, pop) in enumerate(plan.populations.items()):
            if isinstance(pop, LIFPlan):
                groups[name] = self._lif_group(b2, pop, index, clock, trial)
            else:
                # spikes are set before each run (_set_source_spikes)
                groups[name] = b2.SpikeGeneratorGroup(pop.size, np.zeros(0, dtype=int),
                                                      np.zeros(0) * b2.second, clock=clock,
                                                      name=_ident("nm_src", index, name))
            objects.append(groups[name])
        astro_groups: dict[str, Any] = {}
        for index, astro in enumerate(plan.astrocytes.values()):
            astro_groups[astro.name], objs = astrocyte_objects(b2, index, astro, groups, clock)
            objects += objs
        segment_groups: dict[str, Any] = {}
        for index, (name, pop) in enumerate(plan.populations.items()):
            if isinstance(pop, LIFPlan) and pop.segments is not None:
                segment_groups[name] = segment_group(b2, index, pop, plan, clock)
                objects += [segment_groups[name],
                            plateau_synapses(b2, index, pop, segment_groups[name], groups[name],
                                             clock)]
        synapses: dict[str, Any] = {}
        for k, proj in enumerate(plan.projections):
            if proj.kind == "plastic":
                syn = plastic_synapses(b2, k, proj, groups, clock, astro_groups, plan.dt)
            elif proj.kind == "dend":
                syn = segment_synapses(b2, k, proj, groups, segment_groups[proj.post], clock,
                                       plan.populations[proj.post].segments.window_steps,
                                       plan.dt)
            else:
                syn = self._static_synapses(b2, k, proj, groups, clock)
            synapses[proj.name] = syn
            objects.append(syn)
        monitors = {name: b2.SpikeMonitor(groups[name], name=_ident("nm_spk", i, name))
                    for i, (name, pop) in enumerate(plan.populations.items())
                    if isinstance(pop, LIFPlan)}
        objects += list(monitors.values())
        net = b2.Network(*objects)
        return {"net": net, "groups": groups, "monitors": monitors, "clock": clock,
                "synapses": synapses, "astrocytes": astro_groups, "segments": segment_groups}

    def _static_synapses(self, b2, k: int, proj, groups, clock):
        plan = self.plan
        delays = proj.delay_steps - 1  # neuromem delay d == Brian2 delay d - 1 (see above)
        uniform = proj.uniform_delay
        # One weight for all synapses is a shared scalar, read once per step, not per synapse
        shared_w = proj.weight.size > 0 and bool((proj.weight == proj.weight[0]).all())
        syn = b2.Synapses(groups[proj.pre], groups[proj.post],
                          "w : 1 (constant, shared)" if shared_w else "w : 1 (constant)",
                          on_pre=f"in_{k}_post += w", clock=clock,
                          delay=None if uniform is None else (uniform - 1) * plan.dt * b2.ms,
                          name=_ident("nm_syn", k, proj.name))
        syn.connect(i=proj.pre_idx, j=proj.post_idx)
        if proj.pre_idx.size:
            if shared_w:
                syn.w = proj.weight[0]
            else:
                syn.w[:] = proj.weight
            if uniform is None:
                syn.delay[:] = delays * plan.dt * b2.ms
        return syn

    def _lif_group(self, b2, pop: LIFPlan, index: int, clock, trial: int):
        params = {**pop.coeffs.as_dict(), "v_thresh": pop.v_thresh, "v_reset": pop.v_reset,
                  "v_drop": pop.v_drop, "refrac": pop.until_offset}
        if pop.segments is not None:
            params["a_v0_plateau"] = np.broadcast_to(pop.segments.a_v0_plateau, (pop.size,))
        lines = ["v : 1", "i_e : 1", "i_i : 1", "until : integer"]
        if pop.segments is not None:
            lines += ["plateau_until : integer", "predictive : 1"]
        uniform = {}
        for key, values in params.items():
            kind = "integer" if key == "refrac" else "1"
            shared = bool((values == values.flat[0]).all())
            uniform[key] = shared
            lines.append(f"{key} : {kind} (constant{', shared' if shared else ''})")
        lines += [f"in_{k} : 1" for k in pop.inputs]
        reset = "v = v_reset" if pop.reset == "value" else "v = v - v_drop"
        group = b2.NeuronGroup(pop.size, "\n".join(lines),
                               threshold="v > v_thresh and t_in_timesteps >= until",
                               reset=f"{reset}\nuntil = t_in_timesteps + refrac",
                               clock=clock, name=_ident("nm_lif", index, pop.name))
        for key, values in params.items():
            value = values.flat[0] if uniform[key] else values
            setattr(group, key, int(value) if key == "refrac" and uniform[key] else value)
        group.v = pop.v_init[trial]
        group.run_regularly(_update_code(pop, self.plan), when="groups", order=0,
                            name=_ident("nm_update", index, pop.name))
        # The group has no differential equations (the run_regularly above integrates it):
        # its state updater would be an empty call every step.
        group.state_updater.active = False
        return group

    # -- running --------------------------------------------------------------------------
    def _run(self, step0, n_steps, record, progress: Progress | None,
             weights: dict[str, np.ndarray] | None = None) -> Recording:
        b2 = self._configure()
        weights = weights or {}
        if self.target == "cpp_standalone":
            return self._run_standalone(b2, step0, n_steps, record, weights)
        # Weights are sampled by a monitor every step when that fits in memory (each cut of a
        # Brian2 run costs a few hundred ms); otherwise the run is cut at the ends of the steps
        # whose weights are to be copied.
        sizes = self.plan.projections_by_name
        monitored = sum(sizes[n].weight.size for n in weights) * n_steps <= MONITOR_LIMIT
        cuts = [step0 + n_steps] if monitored else sorted(
            {int(s) + 1 for steps in weights.values() for s in steps} | {step0 + n_steps})
        snaps: dict[str, list[list[np.ndarray]]] = {name: [] for name in weights}
        build_s = compile_s = run_s = 0.0
        chunks: dict[str, list] = {name: [] for name in self.plan.populations}
        traces: dict[tuple[str, str], list[np.ndarray]] = {}
        for trial in range(self.plan.trials):
            t0 = time.perf_counter()
            if len(self._nets) <= trial:
                self._nets.append(self._build_network(b2, trial))
            built = self._nets[trial]
            self._set_source_spikes(b2, built, trial, step0, n_steps, chunks)
            counts = {name: mon.num_spikes for name, mon in built["monitors"].items()}
            state_mons = self._state_monitors(b2, built, record)
            w_mons = {name: b2.StateMonitor(built["synapses"][name], "w", record=True,
                                            when="end", clock=built["clock"])
                      for name in weights} if monitored else {}
            built["net"].add(*state_mons.values(), *w_mons.values())
            t1 = time.perf_counter()
            built["net"].run(0 * b2.ms, namespace={})  # generates and compiles the code
            t2 = time.perf_counter()
            report = None
            if progress is not None and trial == self.plan.trials - 1:
                def report(elapsed, completed, start, duration):
                    progress(int(round(completed * n_steps)), n_steps)
            at = step0
            per_trial: dict[str, list[np.ndarray]] = {name: [] for name in weights}
            for cut in cuts:
                if cut > at:
                    built["net"].run((cut - at) * self.plan.dt * b2.ms, namespace={},
                                     report=report, report_period=1 * b2.second)
                at = cut
                for name, steps in weights.items():
                    if monitored:
                        sampled = np.asarray(w_mons[name].w, dtype=np.float64).T
                        per_trial[name] = list(sampled[np.asarray(steps) - step0])
                    elif cut - 1 in steps:
                        per_trial[name].append(np.array(built["synapses"][name].w[:],
                                                        dtype=np.float64))
            for name in weights:
                snaps[name].append(per_trial[name])
            t3 = time.perf_counter()
            build_s, compile_s, run_s = build_s + t1 - t0, compile_s + t2 - t1, run_s + t3 - t2
            for name, mon in built["monitors"].items():
                i = np.asarray(mon.i[counts[name]:], dtype=np.int64)
                s = np.rint(np.asarray(mon.t_[counts[name]:]) / (self.plan.dt * 1e-3))
                chunks[name].append((s.astype(np.int64), i, np.full(i.size, trial)))
            for key, mon in state_mons.items():
                traces.setdefault(key, []).append(np.asarray(getattr(mon, key[1])).T)
            built["net"].remove(*state_mons.values(), *w_mons.values())
        self.timings.update(build_s=self.timings.get("build_s", 0.0) + build_s,
                            compile_s=compile_s, run_s=run_s)
        snapshots = {name: (times_of(weights[name], self.plan.dt),
                            np.stack([np.stack(t) for t in per], axis=1) if len(weights[name])
                            else np.zeros((0, self.plan.trials, sizes[name].weight.size)))
                     for name, per in snaps.items()}
        return self._recording(step0, n_steps, record, chunks, traces, snapshots)

    def weights(self, projection: str) -> np.ndarray:
        """The current weights of a projection, (trials, synapses)."""
        if not self._nets:
            proj = next((p for p in self.plan.projections if p.name == projection), None)
            if proj is None:
                raise BackendError(f"no projection named '{projection}'")
            return np.broadcast_to(proj.weight, (self.plan.trials, proj.weight.size)).copy()
        if projection not in self._nets[0]["synapses"]:
            raise BackendError(f"no projection named '{projection}'")
        return np.stack([np.broadcast_to(np.asarray(n["synapses"][projection].w[:],
                                                    dtype=np.float64),
                                         (self.plan.projections_by_name[projection]
                                          .weight.size,)) for n in self._nets])

    def _set_source_spikes(self, b2, built, trial, step0, n_steps, chunks) -> None:
        for src in self.plan.sources:
            steps, idx = src.spikes(trial, step0, n_steps)
            built["groups"][src.name].set_spikes(idx, steps * self.plan.dt * b2.ms)
            chunks[src.name].append((steps, idx, np.full(idx.size, trial)))

    def _state_monitors(self, b2, built, record) -> dict[tuple[str, str], Any]:
        mons = {}
        for pop, spec in record.items():
            for var, idx in spec.items():
                if pop in built["astrocytes"]:
                    group = built["astrocytes"][pop]
                elif var == "segment":
                    group = built["segments"][pop]
                else:
                    group = built["groups"][pop]
                mons[(pop, var)] = b2.StateMonitor(group, var, record=idx, when="end",
                                                   clock=built["clock"])
        return mons

    def _recording(self, step0, n_steps, record, chunks, traces, snapshots=None) -> Recording:
        steps = np.arange(step0, step0 + n_steps)
        states: dict[str, dict[str, StateTrace]] = {}
        for (pop, var), per_trial in traces.items():
            values = np.stack(per_trial, axis=1)[:n_steps]  # (steps, trials, neurons)
            states.setdefault(pop, {})[var] = StateTrace(times_of(steps, self.plan.dt),
                                                         record[pop][var], values)
        return Recording(self.plan.dt, step0 * self.plan.dt, (step0 + n_steps) * self.plan.dt,
                         {name: p.size for name, p in self.plan.populations.items()},
                         assemble_spikes(self.plan, chunks), states, weights=snapshots or {})

    def _run_standalone(self, b2, step0, n_steps, record, weights) -> Recording:
        if self._standalone_done:
            raise BackendError("brian2 backend: a cpp_standalone simulation runs once; "
                               "compile again (or use target='cython') to run further")
        directory = self.build_dir or tempfile.mkdtemp(prefix="neuromem_b2_")
        os.makedirs(directory, exist_ok=True)
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        try:
            t0 = time.perf_counter()
            built = self._build_network(b2, 0)
            chunks: dict[str, list] = {name: [] for name in self.plan.populations}
            self._set_source_spikes(b2, built, 0, step0, n_steps, chunks)
            state_mons = self._state_monitors(b2, built, record)
            built["net"].add(*state_mons.values())
            # one program, one run: weights are sampled every step and the chosen ones kept
            w_mons = {name: b2.StateMonitor(built["synapses"][name], "w", record=True,
                                            when="end", clock=built["clock"])
                      for name in weights}
            built["net"].add(*w_mons.values())
            built["net"].run(n_steps * self.plan.dt * b2.ms, namespace={})
            t1 = time.perf_counter()
            b2.device.build(directory=directory, compile=True, run=True, debug=False)
            t2 = time.perf_counter()
            timers = getattr(b2.device, "timers", {})
            compile_s = sum(float(v or 0.0) for v in timers.get("compile", {}).values())
            run_s = float(timers.get("run_binary", 0.0) or 0.0)
            if not run_s:  # older Brian2: no timers; report the build call as a whole
                compile_s, run_s = t2 - t1, 0.0
            for name, mon in built["monitors"].items():
                i = np.asarray(mon.i[:], dtype=np.int64)
                s = np.rint(np.asarray(mon.t_[:]) / (self.plan.dt * 1e-3)).astype(np.int64)
                chunks[name].append((s, i, np.zeros(i.size, dtype=np.int64)))
            traces = {key: [np.asarray(getattr(mon, key[1])).T] for key, mon in state_mons.items()}
            self.timings.update(build_s=self.timings.get("build_s", 0.0) + t1 - t0,
                                compile_s=compile_s, run_s=run_s)
            self._standalone_done = True
            snapshots = {name: (times_of(steps, self.plan.dt),
                                np.asarray(w_mons[name].w).T[steps - step0][:, None, :]
                                .astype(np.float64))
                         for name, steps in weights.items()}
            return self._recording(step0, n_steps, record, chunks, traces, snapshots)
        finally:
            b2.device.reinit()
            b2.device.activate()
            b2.set_device("runtime")
            if self.build_dir is None:
                shutil.rmtree(directory, ignore_errors=True)


class Brian2Backend(Backend):
    """Options: ``target`` ("numpy", "cython", "cpp_standalone"), ``cache_dir`` (cython cache),
    ``build_dir`` (standalone project folder, kept for reuse when given)."""

    name = "brian2"

    def build(self, plan: Plan, target: str = "cython", cache_dir: str | None = None,
              build_dir: str | None = None, **options: Any) -> Brian2Simulation:
        if options:
            raise BackendError(f"brian2 backend: unknown option(s) {', '.join(sorted(options))}")
        return Brian2Simulation(plan, target=target, cache_dir=cache_dir, build_dir=build_dir)
