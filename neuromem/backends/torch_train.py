"""Training with surrogate gradients: the plan as a differentiable PyTorch module.

The exact engine (:mod:`neuromem.backends.torch_backend`) propagates events sparsely and updates
its state in place, which autograd cannot follow. For training, :class:`SurrogateSimulation` runs
the same plan in the same step order (deliver, integrate, threshold, reset, schedule) written
functionally: every projection is a dense weight matrix (an ``nn.Parameter``, masked by the
projection's connectivity, one matrix per distinct delay), and the threshold is one of snnTorch's
surrogate spike functions (Heaviside forward, smooth derivative backward). As in snnTorch, the
reset is not differentiated through.

The forward pass computes the same propagator, so spikes agree with the exact engine up to the
order in which simultaneous arrivals are summed (identical when at most one synapse reaches a
neuron in a step). Trained weights go back into the graph with :meth:`updated_network`, and then
run on every backend.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import snntorch.surrogate as surrogate
import torch

from neuromem.backends.base import Progress, Simulation, assemble_spikes
from neuromem.errors import BackendError, UnsupportedError
from neuromem.ir.network import Network
from neuromem.plan import LIFPlan, Plan, ProjectionPlan
from neuromem.recording import Recording, StateTrace
from neuromem.units import times_of

#: snnTorch surrogate spike functions by name, with their default sharpness
SURROGATES = {"fast_sigmoid": surrogate.fast_sigmoid, "atan": surrogate.atan,
              "sigmoid": surrogate.sigmoid, "triangular": surrogate.triangular}


class _DenseProjection(torch.nn.Module):
    def __init__(self, plan: ProjectionPlan, device, dtype) -> None:
        super().__init__()
        self.plan = plan
        dense = np.zeros((plan.n_pre, plan.n_post))
        # multapses add up, as they do in the exact engine
        np.add.at(dense, (plan.pre_idx, plan.post_idx), plan.weight)
        self.weight = torch.nn.Parameter(torch.as_tensor(dense, device=device, dtype=dtype))
        self.delays = sorted(set(plan.delay_steps.tolist())) or [1]
        masks = []
        for d in self.delays:
            m = np.zeros((plan.n_pre, plan.n_post))
            sel = plan.delay_steps == d
            m[plan.pre_idx[sel], plan.post_idx[sel]] = 1.0
            masks.append(torch.as_tensor(m, device=device, dtype=dtype))
        self.register_buffer("masks", torch.stack(masks))

    def synapse_weights(self) -> np.ndarray:
        """The trained weight of every synapse, in the projection's synapse order (multapses
        share their pair's total equally)."""
        w = self.weight.detach().cpu().numpy()
        p = self.plan
        pairs = p.pre_idx * p.n_post + p.post_idx
        counts = np.bincount(pairs, minlength=p.n_pre * p.n_post)[pairs]
        return w[p.pre_idx, p.post_idx] / counts


class SurrogateSimulation(Simulation, torch.nn.Module):
    """A differentiable simulation; ``run`` returns a Recording and keeps the spike tensors of
    the run, with their graph, in :attr:`outputs` (population -> (steps, trials, size))."""

    backend_name = "torch-surrogate"

    def __init__(self, plan: Plan, device: str = "cpu", dtype: str = "float32",
                 surrogate: str = "fast_sigmoid", **surrogate_args: float) -> None:
        torch.nn.Module.__init__(self)
        Simulation.__init__(self, plan)
        if surrogate not in SURROGATES:
            raise BackendError(f"torch backend: surrogate must be one of {sorted(SURROGATES)}, "
                               f"got {surrogate!r}")
        for proj in plan.projections:
            if proj.kind != "static":
                what = (f"plasticity rule {type(proj.rule).__name__.removesuffix('Plan')}"
                        if proj.kind == "plastic" else "dendritic-segment synapses")
                raise UnsupportedError(f"torch backend (surrogate training) cannot run the "
                                       f"{what} of projection '{proj.name}': training learns "
                                       "static weights; compile without 'surrogate'")
        if plan.astrocytes:
            raise UnsupportedError("torch backend (surrogate training) cannot run astrocytes "
                                   f"({', '.join(plan.astrocytes)})")
        self.device = torch.device(device)
        self.dtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
        self.spike_fn = SURROGATES[surrogate](**surrogate_args)
        self.projs = torch.nn.ModuleList(_DenseProjection(p, self.device, self.dtype)
                                         for p in plan.projections)
        self.outputs: dict[str, torch.Tensor] = {}
        self._consts: dict[str, dict[str, torch.Tensor]] = {}
        self.reset_state()

    def _const(self, values) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values), device=self.device, dtype=self.dtype)

    def reset_state(self) -> None:
        """Back to the initial state at t = 0 (as after compile), keeping the weights."""
        self.step = 0
        self.state: dict[str, dict[str, torch.Tensor]] = {}
        for pop in self.plan.lifs:
            shape = (self.plan.trials, pop.size)
            self.state[pop.name] = {
                "v": self._const(pop.v_init), "i_e": torch.zeros(shape, device=self.device,
                                                                 dtype=self.dtype),
                "i_i": torch.zeros(shape, device=self.device, dtype=self.dtype),
                "until": torch.zeros(shape, device=self.device, dtype=torch.int64)}
        self.pending: dict[tuple[int, int], torch.Tensor] = {}

    def updated_network(self, net: Network) -> Network:
        """A copy of ``net`` (the graph this was compiled from) with the trained weights."""
        trained = {p.plan.name: p.synapse_weights() for p in self.projs}
        # the same projections, synapse for synapse: another graph's weights would not fit
        given = {p.name: p.n_synapses for p in net.projections}
        compiled = {name: w.size for name, w in trained.items()}
        if given != compiled:
            raise BackendError(f"updated_network takes the network this was compiled from "
                               f"(projections and synapse counts {compiled}), got {given}"[:500])
        out = Network.from_dict(net.to_dict())
        for proj in list(out.projections):
            new = dataclasses.replace(proj, weight=trained[proj.name])
            out.graph.edges[proj.pre, proj.post, proj.name]["projection"] = new
        return out

    def _meta(self) -> dict[str, Any]:
        return {"device": str(self.device), "dtype": str(self.dtype).replace("torch.", "")}

    def _constants(self, pop: LIFPlan) -> dict[str, torch.Tensor]:
        if pop.name not in self._consts:
            values = {**pop.coeffs.as_dict(), "v_thresh": pop.v_thresh, "v_reset": pop.v_reset,
                      "v_drop": pop.v_drop}
            consts = {k: self._const(v) for k, v in values.items()}
            consts["refrac"] = torch.as_tensor(pop.until_offset, device=self.device)
            self._consts[pop.name] = consts
        return self._consts[pop.name]

    def _step_lif(self, pop: LIFPlan, s: dict[str, torch.Tensor], step: int) -> torch.Tensor:
        c = self._constants(pop)
        active = s["until"] <= step
        v_new = ((c["a_vv"] * s["v"] + c["a_ve"] * s["i_e"]) + c["a_vi"] * s["i_i"]) + c["a_v0"]
        s["v"] = torch.where(active, v_new, s["v"])
        s["i_e"] = s["i_e"] * c["a_ee"]
        s["i_i"] = s["i_i"] * c["a_ii"]
        # snnTorch's spike functions return float32 whatever the input: keep the engine's dtype
        spikes = self.spike_fn(s["v"] - c["v_thresh"]).to(self.dtype) * active
        hit = spikes.detach() > 0  # the reset decision is not differentiated (as in snnTorch)
        dropped = c["v_reset"] if pop.reset == "value" else s["v"] - c["v_drop"]
        s["v"] = torch.where(hit, dropped, s["v"])
        s["until"] = torch.where(hit, c["refrac"] + step, s["until"])
        return spikes

    def _run(self, step0, n_steps, record, progress: Progress | None,
             weights=None) -> Recording:
        t_start = time.perf_counter()
        plan = self.plan
        src_trains = {}
        for src in plan.sources:
            dense = np.zeros((n_steps, plan.trials, src.size))
            for k in range(plan.trials):
                steps, idx = src.spikes(k, step0, n_steps)
                dense[steps - step0, k, idx] = 1.0
            src_trains[src.name] = self._const(dense)
        out: dict[str, list[torch.Tensor]] = {name: [] for name in plan.populations}
        traces: dict[tuple[str, str], list[torch.Tensor]] = {}
        for n in range(n_steps):
            step = step0 + n
            for pop in plan.lifs:  # 1. deliver, in projection order
                s = self.state[pop.name]
                for k in pop.inputs:
                    arrival = self.pending.pop((k, step), None)
                    if arrival is not None:
                        key = "i_e" if plan.projections[k].receptor == 0 else "i_i"
                        s[key] = s[key] + arrival
            spikes = {pop.name: self._step_lif(pop, self.state[pop.name], step)  # 2.-4.
                      for pop in plan.lifs}
            spikes.update({name: trains[n] for name, trains in src_trains.items()})
            for k, proj in enumerate(self.projs):  # 6. schedule
                pre = spikes[proj.plan.pre]
                for d, mask in zip(proj.delays, proj.masks):
                    arrival = pre @ (proj.weight * mask)
                    key = (k, step + d)
                    self.pending[key] = self.pending[key] + arrival if key in self.pending \
                        else arrival
            for name, spk in spikes.items():
                out[name].append(spk)
            for pop, spec in record.items():
                for var, idx in spec.items():
                    traces.setdefault((pop, var), []).append(self.state[pop][var][:, idx])
            if progress is not None:
                progress(n + 1, n_steps)
        self.outputs = {name: torch.stack(v) for name, v in out.items()}
        self.timings["run_s"] = time.perf_counter() - t_start
        chunks = {}
        for name, spk in self.outputs.items():
            s, k, i = np.nonzero(spk.detach().cpu().numpy() > 0)
            chunks[name] = [(s + step0, i, k)]
        steps = np.arange(step0, step0 + n_steps)
        states = {}
        for (pop, var), vals in traces.items():
            states.setdefault(pop, {})[var] = StateTrace(
                times_of(steps, self.dt), record[pop][var],
                torch.stack(vals).detach().cpu().numpy().astype(np.float64))
        return Recording(self.dt, step0 * self.dt, (step0 + n_steps) * self.dt,
                         {name: p.size for name, p in plan.populations.items()},
                         assemble_spikes(plan, chunks), states)
