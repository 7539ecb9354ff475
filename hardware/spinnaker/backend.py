"""The ``spinnaker`` backend: the torch step engine with the mapping's 16-bit weights
(``weight_map``) and sPyNNaker's fixed-point LIF (``arithmetic``), counting packets and
ring-buffer saturations, with an energy estimate in sPyNNaker's decomposition.

    sim = neuromem.compile(net, backend="spinnaker", machine=spinnaker1())
    rec = sim.run(1000.0)
    rec.meta["packets"], rec.meta["energy_estimate_j"]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from neuromem.hardware.spinnaker.fixed import FixedLIF
from neuromem.hardware.spinnaker.machine import Machine, default_machine
from neuromem.hardware.spinnaker.mapping import Mapping, map_network
from neuromem.hardware.spinnaker.stdp_fixed import fixed_stdp_class

from neuromem.backends.base import Backend, Simulation, check_compile_args
from neuromem.backends.torch_backend import TorchSimulation
from neuromem.errors import BackendError
from neuromem.ir.nodes import LIF
from neuromem.ir.values import realise
from neuromem.plan import Plan, SpiNNakerSTDPPlan, build_plan


def energy_estimate(mapping: Mapping, packets: int, duration_ms: float) -> dict[str, float]:
    """sPyNNaker's energy decomposition (an estimate): packets x 0.8 nJ, plus idle power of the
    chips used and active power of the cores used, over the run's wall time on the machine."""
    m = mapping.machine
    seconds = duration_ms / 1000.0 * m.time_scale_factor
    packets_j = packets * m.packet_energy_j
    idle_j = len(mapping.chips_used) * m.idle_chip_w * seconds
    active_j = mapping.cores * m.active_core_w * seconds
    return {"packets_j": packets_j, "idle_chips_j": idle_j, "active_cores_j": active_j,
            "total_j": packets_j + idle_j + active_j}


class SpiNNakerSimulation(TorchSimulation):
    backend_name = "spinnaker"

    def __init__(self, plan: Plan, mapping: Mapping, params: dict[str, dict], device: str = "cpu",
                 num_threads: int | None = 1, stdp_taus: dict | None = None,
                 smulbb: bool = True) -> None:
        self.mapping = mapping
        shifts = {name: tuple(mapping.ring_buffers[(name, r)].shift
                              if (name, r) in mapping.ring_buffers else 0
                              for r in ("exc", "inh")) for name in params}

        def arithmetic(p, trials, device, dtype, kernels="auto"):
            return FixedLIF(p, trials, device, dtype, kernels, shifts=shifts[p.name],
                            params=params[p.name])

        # weights leave the mapping as 16-bit integers; float64 sums of them are exact
        super().__init__(plan, device=device, dtype="float64",
                         weight_map=lambda proj: mapping.weights_int[proj.name].astype(np.float64),
                         arithmetic=arithmetic, num_threads=num_threads, kernels="torch",
                         rule_classes={SpiNNakerSTDPPlan: fixed_stdp_class(mapping, stdp_taus or {},
                                                                           smulbb)})
        self.sources_with_targets = {p.pre for p in plan.projections}

    def _meta(self) -> dict[str, Any]:
        m = self.mapping.machine
        return {"machine": m.name, "cores": self.mapping.cores,
                "chips": len(self.mapping.chips_used), "arithmetic": "s16.15 fixed point"}

    def _run(self, step0, n_steps, record, progress, weights=None):
        rec = super()._run(step0, n_steps, record, progress, weights)
        # one multicast packet per spike of a population that has targets
        packets = sum(rec.spike_count(p) for p in self.sources_with_targets)
        saturations = sum(pop.saturations for pop in self.lifs.values())
        energy = energy_estimate(self.mapping, packets, n_steps * self.dt)
        rec.meta.update(packets=packets, ring_buffer_saturations=saturations,
                        energy_estimate_j=energy["total_j"],
                        energy_estimate=dict(energy, label="estimate (sPyNNaker model)"))
        return rec


class SpiNNakerBackend(Backend):
    """Options: ``machine`` (a :class:`~neuromem.hardware.spinnaker.machine.Machine`; default one
    SpiNN-5 board), ``device`` (torch device the model runs on), ``num_threads``."""

    name = "spinnaker"

    def compile(self, net, *, dt: float | None = None, method: str = "spinnaker", seed: int = 0,
                trials: int = 1, machine: Machine | None = None, **options: Any) -> Simulation:
        check_compile_args(dt=dt, method=method, trials=trials)
        machine = machine or default_machine(net.dt if dt is None else dt)
        if dt is not None and abs(dt - machine.dt) > 1e-12:
            raise BackendError(f"spinnaker backend: the machine steps {machine.dt} ms, not {dt}")
        if method != "spinnaker":
            raise BackendError("spinnaker backend: the arithmetic is sPyNNaker's; method must be "
                               f"'spinnaker', got {method!r}")
        mapping = map_network(net, machine)  # refuses rules other than SpiNNakerSTDP
        taus = {p.name: (p.plasticity.tau_plus / machine.dt, p.plasticity.tau_minus / machine.dt)
                for p in net.projections if p.plasticity is not None}
        options.setdefault("stdp_taus", taus)
        plan = build_plan(net, dt=machine.dt, method="spinnaker", seed=seed, trials=trials)
        params = {}
        for name, node in net.nodes.items():
            if isinstance(node, LIF):
                params[name] = {f: realise(getattr(node, f), node.size) for f in
                                ("tau_m", "c_m", "v_rest", "v_thresh", "v_reset", "tau_syn_e",
                                 "tau_syn_i", "tau_refrac", "i_offset")}
                params[name]["dt"] = machine.dt
        return self.build(plan, mapping=mapping, params=params, **options)

    def build(self, plan: Plan, mapping: Mapping | None = None, params=None, device: str = "cpu",
              num_threads: int | None = 1, stdp_taus: dict | None = None, smulbb: bool = True,
              **options: Any) -> Simulation:
        if options:
            raise BackendError(f"spinnaker backend: unknown option(s) {', '.join(sorted(options))}")
        if mapping is None:
            raise BackendError("spinnaker backend: compile through neuromem.compile(net, "
                               "backend='spinnaker'), which maps the network first")
        return SpiNNakerSimulation(plan, mapping, params, device=device, num_threads=num_threads,
                                   stdp_taus=stdp_taus, smulbb=smulbb)


__all__ = ["SpiNNakerBackend", "SpiNNakerSimulation", "energy_estimate"]
