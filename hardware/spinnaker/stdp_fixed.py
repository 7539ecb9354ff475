"""SpiNNakerSTDP in sPyNNaker's integer arithmetic, event by event, for the spinnaker backend.

What sPyNNaker computes (``synapse_dynamics_stdp_mad_impl.c``, ``timing_pair_impl.h``,
``weight_additive_one_term_impl.h``; the sPyNNaker 4-6 generation the CA3 paper's sPyNNaker8 ran
on), and so what this class computes:

* traces are integers in s4.11 (2048 is one); a spike sets ``trace <- (trace * LUT[dt]) >> 11 +
  2048``, LUT[k] = floor(2048 exp(-k/tau)) for k < ln(2048) tau (rounded up to an even length;
  0 beyond), as sPyNNaker 6 writes it;
* each post spike is stored with its trace; each presynaptic spike at t processes its row: the
  post spikes with ``t_last_pre - d < t_post <= t - d`` add ``(pre_trace * LUT+[t_post + d -
  t_last_pre]) >> 11`` to a potentiation sum; the latest post spike at or before t - d adds
  ``(post_trace * LUT-[t - t_prev]) >> 11`` to a depression sum, where t_prev is the delayed time
  of the last post spike processed, or, when the window held none, the stored (undelayed) time
  of the post spike before it (sPyNNaker's ``post_events_next_delayed`` quirk), a lag of 0
  included (as in the later ``timing_pair_impl.h``; older ones skip it with ``> 0``, and others
  measure depression from the stored time plus d). Those versions differ on CA3's E1: measured
  against the paper's table, this combination matches 18 of 19 output times (as does the oldest
  form, depression from the stored time), the others 13-17 (session notes of issue 4);
* the new weight is ``w + (a2+ * A2+) >> 11 - (a2- * A2-) >> 11``, clamped to [w_min, w_max], all
  in the projection's 16-bit weight units (A2+- = round(A+- w_max 2^(15-s))); the products take
  the low 16 bits of their operands, as the ARM's ``smulbb`` does (``smulbb=False`` multiplies
  the whole operands instead; with sPyNNaker's ring-buffer shifts A2+- fits 16 bits whenever
  w_max is the largest input a slot expects, as in the CA3 memory, and both agree);
* the new weight goes into the ring buffer for t + d (the triggering spike's own PSP).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from neuromem.backends.torch_synapses import DelayedPush, EventProjection
from neuromem.plan import SpiNNakerSTDPPlan

STDP_FIXED_POINT = 11
STDP_ONE = 1 << STDP_FIXED_POINT


def exp_lut(tau_steps: float) -> np.ndarray:
    """sPyNNaker's decay table (``plasticity_helpers.get_exp_lut_array``): floor(2048 exp(-k/tau))
    for k below ln(2048) tau, that length rounded up to an even number of entries; a lag past
    the table decays to 0."""
    length = math.log(STDP_ONE) * tau_steps
    n = 2 * (int(length // 2) + (length % 2 > 0))
    return np.floor(STDP_ONE * np.exp(-np.arange(n) / tau_steps)).astype(np.int64)


def _lookup(lut: np.ndarray, dt: int) -> int:
    return int(lut[dt]) if 0 <= dt < lut.size else 0


def _low16(x: int) -> int:
    x &= 0xFFFF
    return x - 0x10000 if x & 0x8000 else x


def mul16(a: int, b: int, smulbb: bool) -> int:
    """(a * b) >> 11, of the low 16 bits of each (signed) when ``smulbb``."""
    if smulbb:
        a, b = _low16(a), _low16(b)
    return (a * b) >> STDP_FIXED_POINT


def fixed_stdp_class(mapping, taus: dict[str, tuple[float, float]], smulbb: bool = True):
    """The event class the spinnaker backend gives the torch engine for SpiNNakerSTDP, bound to
    the mapping's weight formats; ``taus``: projection -> (tau_plus, tau_minus) in steps."""

    class FixedSpiNNakerSTDP(EventProjection):
        def __init__(self, proj, trials, device, dtype, histories, offset) -> None:
            super().__init__(proj, trials, device, dtype)
            rule: SpiNNakerSTDPPlan = proj.rule
            rb = mapping.ring_buffers[(proj.post, "exc" if proj.receptor == 0 else "inh")]
            scale = rb.scale
            self.sign = 1 if proj.receptor == 0 else -1
            self.w_int = np.abs(mapping.weights_int[proj.name]).astype(np.int64)
            self.w_int = np.broadcast_to(self.w_int, (trials, self.w_int.size)).copy()
            self.w_min = int(round(rule.w_min * scale))
            self.w_max = int(round(rule.w_max * scale))
            self.a2_plus = int(round(rule.a_plus * scale))
            self.a2_minus = int(round(rule.a_minus * scale))
            tau_plus, tau_minus = taus[proj.name]
            self.lut_plus, self.lut_minus = exp_lut(tau_plus), exp_lut(tau_minus)
            self.nearest = rule.nearest
            self.pre_idx, self.post_idx_np = proj.pre_idx, proj.post_idx
            self.delay = proj.delay_steps
            self.rows = [np.flatnonzero(proj.pre_idx == i) for i in range(proj.n_pre)]
            self.pre_time = np.zeros((trials, proj.n_pre), dtype=np.int64)
            self.pre_trace = np.zeros((trials, proj.n_pre), dtype=np.int64)
            # per trial, per post neuron: [(time, trace)], a placeholder at time 0 first
            self.post_events = [[[(0, 0)] for _ in range(proj.n_post)] for _ in range(trials)]
            self.pre_hist, self.post_hist = histories[proj.pre], histories[proj.post]
            self.push = DelayedPush(proj.delay_steps, proj.post_idx + offset, device)
            self._fired: np.ndarray | None = None
            self.w = torch.as_tensor(self.w_int * self.sign / scale, device=device, dtype=dtype)
            self._scale = scale

        def _trace(self, lut, last_trace: int, dt: int) -> int:
            if self.nearest:
                return STDP_ONE
            return mul16(last_trace, _lookup(lut, dt), False) + STDP_ONE

        def update(self, step: int) -> None:
            post_now = self.post_hist.now(step).cpu().numpy()
            pre_now = self.pre_hist.now(step).cpu().numpy()
            fired_any = False
            for k in range(post_now.shape[0]):
                for j in np.flatnonzero(post_now[k]):
                    events = self.post_events[k][j]
                    t_last, tr_last = events[-1]
                    events.append((step, self._trace(self.lut_minus, tr_last, step - t_last)))
                for i in np.flatnonzero(pre_now[k]):
                    fired_any = True
                    self._pre_spike(k, int(i), step)
            self._fired = pre_now if fired_any else None
            if fired_any:
                self.w = torch.as_tensor(self.w_int * self.sign / self._scale,
                                         device=self.device, dtype=self.dtype)

        def _pre_spike(self, k: int, i: int, t: int) -> None:
            last_pre, last_trace = int(self.pre_time[k, i]), int(self.pre_trace[k, i])
            for syn in self.rows[i]:
                d = int(self.delay[syn])
                events = self.post_events[k][int(self.post_idx_np[syn])]
                begin, end = max(last_pre - d, 0), max(t - d, 0)
                a2_plus = a2_minus = 0
                prev_time, prev_trace, valid = 0, 0, False
                for e_time, e_trace in events[1:]:
                    if e_time <= begin:
                        prev_time, prev_trace, valid = e_time, e_trace, True
                    elif e_time <= end:
                        delayed = e_time + d
                        if delayed - last_pre > 0:
                            a2_plus += mul16(last_trace,
                                             _lookup(self.lut_plus, delayed - last_pre), False)
                        prev_time, prev_trace, valid = delayed, e_trace, True
                if valid:
                    since = t - prev_time  # delayed if processed here, else the stored time
                    if since >= 0:
                        a2_minus += mul16(prev_trace, _lookup(self.lut_minus, since), False)
                w = int(self.w_int[k, syn]) + mul16(a2_plus, self.a2_plus, smulbb) \
                    - mul16(a2_minus, self.a2_minus, smulbb)
                self.w_int[k, syn] = min(max(w, self.w_min), self.w_max)
            self.pre_trace[k, i] = self._trace(self.lut_plus, last_trace, t - last_pre)
            self.pre_time[k, i] = t

        def schedule(self, step: int, buffer) -> None:
            if self._fired is None:
                return
            fired = torch.as_tensor(self._fired[:, self.pre_idx], device=self.device)
            weights = torch.as_tensor(self.w_int * self.sign, device=self.device, dtype=self.dtype)
            self.push(step, buffer, torch.where(fired, weights, self._zero))

        def weights(self) -> torch.Tensor:
            return self.w

    return FixedSpiNNakerSTDP


__all__ = ["exp_lut", "fixed_stdp_class", "mul16"]
