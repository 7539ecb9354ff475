"""sPyNNaker's IF_curr_exp in its fixed-point arithmetic, as an ``arithmetic`` class of the torch
engine (:class:`neuromem.backends.torch_backend.FloatLIF` is the float one).

State is held as raw integers of the ``accum`` type, s16.15 (value = raw / 2^15), in int64
tensors, saturated to the 32-bit range after every operation. Decay factors are u0.32 (raw / 2^32)
and applied as ``(x * d) >> 32``; products of two s16.15 values as ``(a * b) >> 15``. Shifts
of negative numbers floor, as the ARM's arithmetic shift does. Per step, in sPyNNaker's order:

1. each receptor's ring-buffer slot (the sum of 16-bit weights, saturating at 0xFFFF, every
   saturation counted) becomes ``w << s`` (s: the ring-buffer shift of the mapping) and is added
   to the synaptic input as ``input * init``, init = (tau_syn/dt)(1 - exp(-dt/tau_syn));
2. outside the refractory period: ``alpha = I R + V_rest`` with I = exc - inh + i_offset,
   ``V <- alpha - exp_TC (alpha - V)``; inside it, the timer counts down and V is held;
3. ``V >= V_thresh`` spikes: V = V_reset, timer = ceil(tau_refrac/dt);
4. synaptic inputs decay: ``x <- x exp(-dt/tau_syn)``.
"""

from __future__ import annotations

import numpy as np
import torch

from neuromem.errors import UnsupportedError
from neuromem.plan import LIFPlan
from neuromem.semantics import synaptic_input_init

ONE = 1 << 15  # s16.15
ACCUM_MIN, ACCUM_MAX = -(1 << 31), (1 << 31) - 1
U032 = 1 << 32


def to_accum(x) -> np.ndarray:
    """Real values as s16.15 raw integers (round to nearest, saturated)."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float64) * ONE), ACCUM_MIN, ACCUM_MAX).astype(
        np.int64)


def to_u032(x) -> np.ndarray:
    """Factors in [0, 1) as u0.32 raw integers."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float64) * U032), 0, U032 - 1).astype(np.int64)


def sat(t: torch.Tensor) -> torch.Tensor:
    return t.clamp_(ACCUM_MIN, ACCUM_MAX)


class FixedLIF:
    """One LIF population in s16.15; made by the spinnaker backend with its mapping's shifts."""

    def __init__(self, plan: LIFPlan, trials: int, device: torch.device, dtype: torch.dtype,
                 kernels: str = "auto", *, shifts: tuple[int, int], params: dict) -> None:
        if plan.segments is not None:
            raise UnsupportedError(f"spinnaker backend: population '{plan.name}' has dendritic "
                                   "segments, which have no SpiNNaker model here")
        self.plan, self.size, self.segments = plan, plan.size, None
        n = plan.size

        def col(values, conv):
            return torch.as_tensor(conv(np.broadcast_to(values, (n,))), device=device)

        p = params
        dt = float(p["dt"])
        self.shifts = shifts
        self.v_rest = col(p["v_rest"], to_accum)
        self.r = col(p["tau_m"] / p["c_m"], to_accum)
        self.exp_tc = col(np.exp(-dt / p["tau_m"]), to_u032)
        self.i_offset = col(p["i_offset"], to_accum)
        self.v_thresh = col(p["v_thresh"], to_accum)
        self.v_reset = col(p["v_reset"], to_accum)
        self.t_refract = col(np.ceil(np.asarray(p["tau_refrac"], dtype=np.float64) / dt - 1e-9),
                             lambda x: x.astype(np.int64))
        self.decay = torch.stack([col(np.exp(-dt / p["tau_syn_e"]), to_u032),
                                  col(np.exp(-dt / p["tau_syn_i"]), to_u032)])
        self.init = torch.stack([col(synaptic_input_init(p["tau_syn_e"], dt), to_u032),
                                 col(synaptic_input_init(p["tau_syn_i"], dt), to_u032)])
        self.v = torch.as_tensor(to_accum(plan.v_init), device=device).clone()
        self.syn = torch.zeros((trials, 2, n), dtype=torch.int64, device=device)
        self.timer = torch.zeros((trials, n), dtype=torch.int64, device=device)
        self.pending = torch.zeros((trials, 2, n), dtype=torch.float64, device=device)
        self.saturations = 0
        self._float = dtype

    def state(self, var: str) -> torch.Tensor:
        if var == "v":
            return self.v.to(self._float) / ONE
        k = 0 if var == "i_e" else 1
        return self.syn[:, k].to(self._float) / ONE

    def deliver(self, receptor: int | None, arrivals: torch.Tensor) -> None:
        """Arrivals are sums of 16-bit weight integers (inh ones negative); they wait in this
        step's ring-buffer slot until :meth:`step`."""
        if receptor is None:
            self.pending.view(self.pending.shape[0], -1).add_(arrivals)
        else:
            self.pending[:, receptor].add_(arrivals)

    def fired(self, spikes: torch.Tensor) -> torch.Tensor:
        return spikes.reshape(-1).nonzero(as_tuple=True)[0]

    def step(self, step: int) -> torch.Tensor:
        # 1. ring buffer -> synaptic input, through the uint16 slot (saturating)
        slot = self.pending.abs().round_().to(torch.int64)
        over = slot > 0xFFFF
        if bool(over.any()):
            self.saturations += int(over.sum())
            slot = slot.clamp_(max=0xFFFF)
        self.pending.zero_()
        for k in (0, 1):
            inp = slot[:, k] << self.shifts[k]
            sat(self.syn[:, k].add_((inp * self.init[k]) >> 32))
        # 2. integrate outside the refractory period
        current = sat(self.syn[:, 0] - self.syn[:, 1] + self.i_offset)
        alpha = sat(((current * self.r) >> 15) + self.v_rest)
        v_new = sat(alpha - ((sat(alpha - self.v) * self.exp_tc) >> 32))
        free = self.timer <= 0
        self.v = torch.where(free, v_new, self.v)
        self.timer = torch.where(free, self.timer, self.timer - 1)
        # 3. threshold and reset
        spikes = (self.v >= self.v_thresh) & free
        self.v = torch.where(spikes, self.v_reset.expand_as(self.v), self.v)
        self.timer = torch.where(spikes, self.t_refract.expand_as(self.timer), self.timer)
        # 4. synaptic inputs decay
        self.syn = (self.syn * self.decay) >> 32
        return spikes


__all__ = ["FixedLIF", "to_accum", "to_u032"]
