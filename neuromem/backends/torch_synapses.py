"""Event-level synapses of the torch engine: plastic projections, dendritic segments, astrocytes.

Static projections take the engine's fast path (weights fixed in CSR rows, pushed into the
arrival buffer when their neuron spikes). Projections whose weights change, and projections onto
dendritic segments, are handled here with one state tensor per synapse, shape (trials, synapses),
updated every step in the order the rule's docstring (:mod:`neuromem.ir.plasticity`) states. On
the CPU, STDP and AstroSTDP on a projection with one delay take a sparse path (``_SparseEvents``)
that touches only the synapses a spike reaches, with the same arithmetic per synapse.
They read spikes from :class:`SpikeHistory`, a short ring of each population's recent spikes, so
that a spike emitted at step t is seen at t + d on a synapse of delay d.

Floating-point order: every update is written as the same binary operations, in the same order,
as the brian2 backend's statements, so float64 weights agree bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from neuromem.errors import BackendError
from neuromem.plan import (
    AstrocytePlan,
    AstroSTDPPlan,
    Plan,
    ProjectionPlan,
    SpiNNakerSTDPPlan,
    STDPPlan,
)


class SpikeHistory:
    """The spikes of one population over its last ``length`` steps: (trials, length, size) bool;
    step t sits in slot t % length."""

    def __init__(self, trials: int, length: int, size: int, device: torch.device) -> None:
        self.length, self.size = length, size
        self.data = torch.zeros((trials, length, size), dtype=torch.bool, device=device)
        self.flat = self.data.view(trials, length * size)
        # on the CPU, written through a NumPy view (a torch call costs more than the copy)
        self.host = self.data.numpy() if device.type == "cpu" else None
        self._spikes: tuple[torch.Tensor, np.ndarray] | None = None  # last tensor, its view

    def record(self, step: int, spikes: torch.Tensor) -> None:
        if self.host is not None:
            # a population hands over the same spike tensor every step: view it once
            if self._spikes is None or self._spikes[0] is not spikes:
                self._spikes = (spikes, spikes.numpy())
            np.copyto(self.host[:, step % self.length], self._spikes[1])
        else:
            self.data[:, step % self.length].copy_(spikes)

    def record_events(self, step: int, trial: torch.Tensor | np.ndarray | None,
                      index: torch.Tensor | np.ndarray) -> None:
        """Source spikes of this step: ``trial`` and ``index`` as NumPy arrays on the CPU."""
        slot = self.data[:, step % self.length] if self.host is None \
            else self.host[:, step % self.length]
        slot[...] = False
        if index.shape[0]:
            slot[0 if trial is None else trial, index] = True

    def now(self, step: int) -> torch.Tensor:
        return self.data[:, step % self.length]


class _Gather:
    """Which synapses see a spike of their ``side`` population emitted ``delay`` steps ago."""

    def __init__(self, history: SpikeHistory, idx: np.ndarray, delay: np.ndarray | None,
                 device: torch.device) -> None:
        self.history = history
        self.idx = torch.as_tensor(idx, dtype=torch.long, device=device)
        uniform = delay is None or delay.size == 0 or bool((delay == delay[0]).all())
        self.uniform = 0 if delay is None or delay.size == 0 else int(delay[0])
        self.delay = None if uniform else torch.as_tensor(delay, dtype=torch.long, device=device)
        # On the CPU the gather runs on NumPy views of the same memory: torch's index_select on
        # bool tensors measured about 10x slower here, and it runs every step.
        self._np = (history.data.numpy(), self.idx.numpy()) if device.type == "cpu" else None

    def at(self, step: int) -> torch.Tensor | None:
        """Per synapse (trials, synapses), whether its spike arrives now; None when none does
        (checked on the population's spikes first: far cheaper than gathering per synapse)."""
        h = self.history
        if self.delay is None:
            slot = (step - self.uniform) % h.length
            if self._np is not None:
                row = self._np[0][:, slot]
                return torch.from_numpy(row[:, self._np[1]]) if row.any() else None
            row = h.data[:, slot]
            if not bool(row.any()):
                return None
            return row.index_select(1, self.idx)
        flat = ((step - self.delay) % h.length) * h.size + self.idx
        hit = h.flat.index_select(1, flat)
        return hit if bool(hit.any()) else None


class EventProjection:
    """Common state: the weights (trials, synapses) and the columns of the arrival buffer."""

    def __init__(self, proj: ProjectionPlan, trials: int, device: torch.device,
                 dtype: torch.dtype) -> None:
        self.proj = proj
        self.name = proj.name
        self.device, self.dtype = device, dtype
        self.w = torch.as_tensor(np.broadcast_to(proj.weight, (trials, proj.weight.size)).copy(),
                                 device=device, dtype=dtype)
        self.post_idx = torch.as_tensor(proj.post_idx, dtype=torch.long, device=device)
        self._zero = torch.zeros((), device=device, dtype=dtype)

    def weights(self) -> torch.Tensor:
        return self.w

    # hooks of the step loop; each rule overrides those it needs
    def deliver(self, step: int, buffer) -> None:  # step 1
        pass

    def update(self, step: int) -> None:  # step 5
        pass

    def schedule(self, step: int, buffer) -> None:  # step 6
        pass


class DelayedPush:
    """Step 6 for rules whose presynaptic spike transmits the weight it has now: each synapse's
    contribution goes into the arrival buffer ``delay`` steps ahead, in synapse order."""

    def __init__(self, delay_steps: np.ndarray, cols: np.ndarray, device: torch.device) -> None:
        d = delay_steps
        self.uniform = int(d[0]) if d.size and (d == d[0]).all() else None
        self.delay = torch.as_tensor(d, dtype=torch.long, device=device)
        self.cols = torch.as_tensor(cols, dtype=torch.long, device=device)

    def __call__(self, step: int, buffer, contrib: torch.Tensor) -> None:
        if self.uniform is not None:
            buffer.slots[(step + self.uniform) % buffer.length].index_add_(1, self.cols, contrib)
        else:
            flat = ((step + self.delay) % buffer.length) * buffer.width + self.cols
            buffer.data.view(buffer.data.shape[0], -1).index_add_(1, flat, contrib)


class _ArrivalDelivery:
    """Step 1 for rules whose PSP carries the weight as it is at arrival: the arrivals of this
    step are added, weight by weight in synapse order, to the projection's buffer columns."""

    def __init__(self, owner: EventProjection, pre: _Gather, offset: int) -> None:
        self.owner, self.pre = owner, pre
        proj = owner.proj
        # Brian2 queues the synapses of earlier spikes first; with one delay, synapse order.
        order = np.lexsort((np.arange(proj.delay_steps.size), -proj.delay_steps))
        self.order = torch.as_tensor(order, dtype=torch.long, device=owner.device)
        self.cols = torch.as_tensor(proj.post_idx[order] + offset, dtype=torch.long,
                                    device=owner.device)
        self.in_order = bool((order == np.arange(order.size)).all())

    def __call__(self, step: int, buffer) -> torch.Tensor | None:
        arrived = self.pre.at(step)
        if arrived is None:
            return None
        w = self.owner.w
        contrib = torch.where(arrived, w, self.owner._zero)
        if not self.in_order:
            contrib = contrib.index_select(1, self.order)
        buffer.slots[step % buffer.length].index_add_(1, self.cols, contrib)
        return arrived


class STDPProjection(EventProjection):
    """:class:`~neuromem.ir.plasticity.STDP` (see there for the step order)."""

    def __init__(self, proj, trials, device, dtype, histories, offset) -> None:
        super().__init__(proj, trials, device, dtype)
        rule: STDPPlan = proj.rule
        self.rule = rule
        self.a_plus, self.a_minus = rule.a_plus, rule.a_minus
        self.x = torch.zeros_like(self.w)
        self.y = torch.zeros_like(self.w)
        self.post = _Gather(histories[proj.post], proj.post_idx, None, device)
        self._deliver = _ArrivalDelivery(self, _Gather(histories[proj.pre], proj.pre_idx,
                                                       proj.delay_steps, device), offset)
        self._arrived: torch.Tensor | None = None

    def deliver(self, step, buffer) -> None:
        self._arrived = self._deliver(step, buffer)

    def update(self, step: int) -> None:
        r = self.rule
        self.x.mul_(r.decay_plus)
        self.y.mul_(r.decay_minus)
        arrived = self._arrived
        if arrived is not None:
            if r.multiplicative:
                dep = (self.w - r.w_min) * self.a_minus * self.y
            else:
                dep = self.a_minus * self.y
            new = torch.clamp(self.w - dep, r.w_min, r.w_max)
            self.w = torch.where(arrived, new, self.w)
            self.x = torch.where(arrived, torch.ones_like(self.x) if r.nearest else self.x + 1,
                                 self.x)
        post = self.post.at(step)
        if post is not None:
            if r.multiplicative:
                pot = (r.w_max - self.w) * self.a_plus * self.x
            else:
                pot = self.a_plus * self.x
            new = torch.clamp(self.w + pot, r.w_min, r.w_max)
            self.w = torch.where(post, new, self.w)
            self.y = torch.where(post, torch.ones_like(self.y) if r.nearest else self.y + 1,
                                 self.y)
        self.a_plus *= r.lr
        self.a_minus *= r.lr


def block_positions(start: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions start[i]:start[i+1] of every i in ``items``, concatenated in that order,
    and how many each item has (CSR rows gathered without a Python loop)."""
    if items.size == 1:  # the common case of one spike: plain integers, no fancy indexing
        lo, hi = start[int(items[0])], start[int(items[0]) + 1]
        return np.arange(lo, hi), np.array([hi - lo])
    counts = start[items + 1] - start[items]
    first = np.repeat(start[items] - (np.cumsum(counts) - counts), counts)
    return np.arange(int(counts.sum())) + first, counts


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """min(max(x, lo), hi): np.clip's values for finite x (weights are), at half its call cost."""
    return np.minimum(np.maximum(x, lo), hi)


def _blocks(idx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Synapse numbers grouped by neuron: synapses of neuron i are order[start[i]:start[i+1]],
    in increasing synapse number."""
    order = np.argsort(idx, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(idx, minlength=n), out=start[1:])
    return order, start


class _SparseEvents(EventProjection):
    """The CPU paths of rules on a projection with one delay: each step touches only the
    synapses that see a spike, in NumPy on the tensors' memory (``self.w`` is updated in place,
    never rebound). Per synapse the operations are those of the dense class, in the same order,
    so the weights are the same; synapses no event reaches would only get ``+ 0``."""

    def __init__(self, proj, trials, device, dtype, histories, offset) -> None:
        super().__init__(proj, trials, device, dtype)
        self._w = self.w.numpy()
        self._wf = self._w.reshape(-1)
        self.n_syn = proj.weight.size
        self.pre_idx = proj.pre_idx.astype(np.int64)
        self.post_idx_np = proj.post_idx.astype(np.int64)
        self.by_pre = _blocks(self.pre_idx, proj.n_pre)
        self.by_post = _blocks(self.post_idx_np, proj.n_post)
        self.delay = proj.uniform_delay
        self.pre_hist = histories[proj.pre].data.numpy()
        self.post_hist = histories[proj.post].data.numpy()
        self.cols = self.post_idx_np + offset
        self._slots: list[np.ndarray] | None = None  # NumPy views of the arrival buffer's slots

    def _synapses(self, fired: np.ndarray, blocks) -> tuple[np.ndarray, np.ndarray]:
        """(trial, neuron) pairs of ``fired`` -> their synapses as (trial, synapse) pairs, in
        (trial, synapse) order."""
        trial, neuron = np.nonzero(fired)
        order, start = blocks
        positions, counts = block_positions(start, neuron)
        syn, tr = order[positions], np.repeat(trial, counts)
        if neuron.size == 1:  # one block: already in synapse order
            return tr, syn
        keep = np.lexsort((syn, tr))
        return tr[keep], syn[keep]

    def _arrivals(self, step: int, buffer) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Step 1: the synapses whose spike arrives now add their weights to the arrival buffer,
        in synapse order per column (the dense index_add_ adds zeros for the others). Returns
        the presynaptic neurons that arrived (trials, n_pre) and their (trial, synapse) pairs."""
        fired = self.pre_hist[:, (step - self.delay) % self.pre_hist.shape[1]]
        if not np.count_nonzero(fired):
            return None
        tr, syn = self._synapses(fired, self.by_pre)
        if self._slots is None:
            self._slots = [slot.numpy() for slot in buffer.slots]
        np.add.at(self._slots[step % buffer.length], (tr, self.cols[syn]), self._w[tr, syn])
        return fired, tr, syn


class SparseSTDPProjection(_SparseEvents):
    """:class:`STDPProjection` on the CPU for a projection with one delay. All synapses of one
    presynaptic neuron see the same arrivals, so their pre traces are equal and kept once per
    neuron (likewise the post traces per postsynaptic neuron)."""

    def __init__(self, proj, trials, device, dtype, histories, offset) -> None:
        super().__init__(proj, trials, device, dtype, histories, offset)
        self.rule = proj.rule
        self.a_plus, self.a_minus = self.rule.a_plus, self.rule.a_minus
        self.x = np.zeros((trials, proj.n_pre), dtype=self._w.dtype)
        self.y = np.zeros((trials, proj.n_post), dtype=self._w.dtype)
        self._arrived: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def deliver(self, step: int, buffer) -> None:
        self._arrived = self._arrivals(step, buffer)

    def update(self, step: int) -> None:
        r = self.rule
        self.x *= r.decay_plus
        self.y *= r.decay_minus
        if self._arrived is not None:
            fired, tr, syn = self._arrived
            flat = tr * self.n_syn + syn
            w = self._wf[flat]
            y = self.y[tr, self.post_idx_np[syn]]
            dep = (w - r.w_min) * self.a_minus * y if r.multiplicative else self.a_minus * y
            self._wf[flat] = _clip(w - dep, r.w_min, r.w_max)
            self.x[fired] = 1.0 if r.nearest else self.x[fired] + 1
        post = self.post_hist[:, step % self.post_hist.shape[1]]
        if np.count_nonzero(post):
            tr, syn = self._synapses(post, self.by_post)
            flat = tr * self.n_syn + syn
            w = self._wf[flat]
            x = self.x[tr, self.pre_idx[syn]]
            pot = (r.w_max - w) * self.a_plus * x if r.multiplicative else self.a_plus * x
            self._wf[flat] = _clip(w + pot, r.w_min, r.w_max)
            self.y[post] = 1.0 if r.nearest else self.y[post] + 1
        self.a_plus *= r.lr
        self.a_minus *= r.lr


class SpiNNakerSTDPProjection(EventProjection):
    """:class:`~neuromem.ir.plasticity.SpiNNakerSTDP`: deferred updates, dendritic delay,
    and the updated weight transmitted by the triggering spike (pushed at step 6)."""

    def __init__(self, proj, trials, device, dtype, histories, offset) -> None:
        super().__init__(proj, trials, device, dtype)
        self.rule: SpiNNakerSTDPPlan = proj.rule
        self.x = torch.zeros_like(self.w)
        self.y = torch.zeros_like(self.w)
        self.pending = torch.zeros_like(self.w)
        # a post spike at t counts at t + d: the post side is read with the synaptic delay
        self.post = _Gather(histories[proj.post], proj.post_idx, proj.delay_steps, device)
        self.pre = _Gather(histories[proj.pre], proj.pre_idx, None, device)
        self.push = DelayedPush(proj.delay_steps, proj.post_idx + offset, device)
        self._fired: torch.Tensor | None = None

    def update(self, step: int) -> None:
        r = self.rule
        self.x.mul_(r.decay_plus)
        self.y.mul_(r.decay_minus)
        post = self.post.at(step)
        if post is not None:
            self.pending = torch.where(post, self.pending + r.a_plus * self.x, self.pending)
            self.y = torch.where(post, torch.ones_like(self.y) if r.nearest else self.y + 1,
                                 self.y)
        fired = self.pre.at(step)
        self._fired = fired
        if fired is not None:
            new = torch.clamp((self.w + self.pending) - r.a_minus * self.y, r.w_min, r.w_max)
            self.w = torch.where(fired, new, self.w)
            self.pending = torch.where(fired, self._zero, self.pending)
            self.x = torch.where(fired, torch.ones_like(self.x) if r.nearest else self.x + 1,
                                 self.x)

    def schedule(self, step: int, buffer) -> None:
        if self._fired is None:
            return
        self.push(step, buffer, torch.where(self._fired, self.w, self._zero))


class AstroSTDPProjection(EventProjection):
    """:class:`~neuromem.ir.plasticity.AstroSTDP`: NALSM's rule, depression rate = astrocyte."""

    def __init__(self, proj, trials, device, dtype, histories, offset, astrocytes) -> None:
        super().__init__(proj, trials, device, dtype)
        self.rule: AstroSTDPPlan = proj.rule
        self.astro: AstrocyteState = astrocytes[self.rule.astrocyte]
        self.a_plus = self.rule.a_plus
        self.x_pre = torch.zeros((trials, proj.n_pre), device=device, dtype=dtype)
        self.x_post = torch.zeros((trials, proj.n_post), device=device, dtype=dtype)
        self.pre_idx = torch.as_tensor(proj.pre_idx, dtype=torch.long, device=device)
        self.pre_hist, self.post_hist = histories[proj.pre], histories[proj.post]
        self._deliver = _ArrivalDelivery(self, _Gather(histories[proj.pre], proj.pre_idx,
                                                       proj.delay_steps, device), offset)

    def deliver(self, step, buffer) -> None:
        self._deliver(step, buffer)

    def update(self, step: int) -> None:
        r = self.rule
        s_pre_n = self.pre_hist.now(step)
        s_post_n = self.post_hist.now(step)
        if bool(s_pre_n.any()) or bool(s_post_n.any()):
            self._update_weights(s_pre_n, s_post_n)
        # traces after the update: x <- decay * (x + increment * S)
        inc = self.x_pre.new_tensor(r.increment)
        self.x_pre = r.trace_decay * (self.x_pre + torch.where(s_pre_n, inc, self._zero))
        self.x_post = r.trace_decay * (self.x_post + torch.where(s_post_n, inc, self._zero))
        self.a_plus *= r.lr

    def _update_weights(self, s_pre_n: torch.Tensor, s_post_n: torch.Tensor) -> None:
        """dw from this step's spikes; with no spike at all dw is 0 and w (already within its
        bounds) stays as it is, so the step skips this."""
        r = self.rule
        s_pre = s_pre_n.index_select(1, self.pre_idx)
        s_post = s_post_n.index_select(1, self.post_idx)
        xj = self.x_pre.index_select(1, self.pre_idx)
        xi = self.x_post.index_select(1, self.post_idx)
        a = self.astro.A[:, None]
        if r.inhibitory:  # dw = a_plus x_i S_j - A x_j S_i
            dw = torch.where(s_pre, self.a_plus * xi, self._zero) - torch.where(s_post, a * xj,
                                                                               self._zero)
        else:  # dw = a_plus x_j S_i - A x_i S_j
            dw = torch.where(s_post, self.a_plus * xj, self._zero) - torch.where(s_pre, a * xi,
                                                                                self._zero)
        self.w = torch.clamp(self.w + dw, r.w_min, r.w_max)


class SparseAstroSTDPProjection(_SparseEvents):
    """:class:`AstroSTDPProjection` on the CPU for a projection with one delay whose weights
    start within their bounds: dw is zero on every synapse whose neurons are both silent, so only
    the rows of the presynaptic and the columns of the postsynaptic neurons that fired are
    updated."""

    def __init__(self, proj, trials, device, dtype, histories, offset, astrocytes) -> None:
        super().__init__(proj, trials, device, dtype, histories, offset)
        self.rule: AstroSTDPPlan = proj.rule
        self.astro: AstrocyteState = astrocytes[self.rule.astrocyte]
        self.a_plus = self.rule.a_plus
        self.x_pre = np.zeros((trials, proj.n_pre), dtype=self._w.dtype)
        self.x_post = np.zeros((trials, proj.n_post), dtype=self._w.dtype)
        self._inc = np.asarray(self.rule.increment, dtype=self._w.dtype)
        self._nil = np.zeros((), dtype=self._w.dtype)

    def deliver(self, step, buffer) -> None:
        self._arrivals(step, buffer)

    def update(self, step: int) -> None:
        r = self.rule
        s_pre = self.pre_hist[:, step % self.pre_hist.shape[1]]
        s_post = self.post_hist[:, step % self.post_hist.shape[1]]
        if s_pre.any() or s_post.any():
            self._update_weights(s_pre, s_post)
        self.x_pre = r.trace_decay * (self.x_pre + np.where(s_pre, self._inc, self._nil))
        self.x_post = r.trace_decay * (self.x_post + np.where(s_post, self._inc, self._nil))
        self.a_plus *= r.lr

    def _update_weights(self, s_pre_n: np.ndarray, s_post_n: np.ndarray) -> None:
        r = self.rule
        parts = [self._synapses(fired, blocks) for fired, blocks
                 in ((s_pre_n, self.by_pre), (s_post_n, self.by_post)) if fired.any()]
        flat = np.unique(np.concatenate([tr * self.n_syn + syn for tr, syn in parts]))
        tr, syn = np.divmod(flat, self.n_syn)
        pre, post = self.pre_idx[syn], self.post_idx_np[syn]
        s_pre, s_post = s_pre_n[tr, pre], s_post_n[tr, post]
        xj, xi = self.x_pre[tr, pre], self.x_post[tr, post]
        a = self.astro.A.numpy()[tr]
        if r.inhibitory:  # dw = a_plus x_i S_j - A x_j S_i
            dw = np.where(s_pre, self.a_plus * xi, self._nil) - np.where(s_post, a * xj, self._nil)
        else:  # dw = a_plus x_j S_i - A x_i S_j
            dw = np.where(s_post, self.a_plus * xj, self._nil) - np.where(s_pre, a * xi, self._nil)
        self._wf[flat] = _clip(self._wf[flat] + dw, r.w_min, r.w_max)


class SegmentProjection(EventProjection):
    """Synapses onto dendritic segments: each remembers the step of its last arrival; the
    segment's window sum (:meth:`add_window_sums`) adds the weights of those within the window."""

    def __init__(self, proj, trials, device, dtype, histories, window_steps: int) -> None:
        super().__init__(proj, trials, device, dtype)
        self.pre = _Gather(histories[proj.pre], proj.pre_idx, proj.delay_steps, device)
        self.window = window_steps
        self.last = torch.full(self.w.shape, -(2**40), dtype=torch.long, device=device)

    def deliver(self, step: int, buffer) -> None:
        arrived = self.pre.at(step)
        if arrived is not None:
            self.last.masked_fill_(arrived, step)

    def add_window_sums(self, step: int, sums: torch.Tensor) -> None:
        active = (step - self.last) < self.window
        part = torch.zeros_like(sums)
        part.index_add_(1, self.post_idx, torch.where(active, self.w, self._zero))
        sums.add_(part)


class AstrocyteState:
    """:class:`~neuromem.ir.nodes.Astrocyte`: A per trial; the spikes of its inputs summed in
    input order, neuron order (a running sum, as Brian2 accumulates them)."""

    def __init__(self, plan: AstrocytePlan, trials: int, device: torch.device,
                 dtype: torch.dtype, histories: dict[str, SpikeHistory]) -> None:
        self.plan = plan
        self.A = torch.full((trials,), plan.init, device=device, dtype=dtype)
        self.w_scale, self.bias = plan.w_scale, plan.bias
        self.inputs = [(histories[p], torch.as_tensor(m, device=device, dtype=dtype))
                       for p, m in plan.inputs]
        self._zero = torch.zeros((), device=device, dtype=dtype)

    def update(self, step: int) -> None:
        p = self.plan
        parts = [torch.where(h.now(step), m, self._zero) for h, m in self.inputs]
        count = torch.cat(parts, dim=1).cumsum(1)[:, -1] if parts else torch.zeros_like(self.A)
        # A <- A + k ((w_scale n + bias) - A), then the per-step decays
        self.A = self.A + p.k * ((self.w_scale * count + self.bias) - self.A)
        self.A = self.A * p.decay
        self.w_scale *= p.decay
        self.bias *= p.decay


def build_event_synapses(plan: Plan, trials: int, device: torch.device, dtype: torch.dtype,
                         offsets: dict[int, int], rule_classes: dict | None = None,
                         numpy_kernels: bool = False
                         ) -> tuple[list[EventProjection], dict[str, AstrocyteState],
                                    dict[str, SpikeHistory]]:
    """The event-level projections and astrocytes of ``plan``, with the spike histories they
    read (one per population they involve, long enough for their longest delay).
    ``numpy_kernels``: the CPU paths that update only the synapses an event reaches."""
    need: dict[str, int] = {}
    for proj in plan.projections:
        if proj.kind == "static":
            continue
        need[proj.pre] = max(need.get(proj.pre, 1), proj.max_delay + 1)
        if proj.kind == "plastic":
            need[proj.post] = max(need.get(proj.post, 1), proj.max_delay + 1)
    for astro in plan.astrocytes.values():
        for pop, _ in astro.inputs:
            need.setdefault(pop, 1)
    histories = {name: SpikeHistory(trials, length, plan.populations[name].size, device)
                 for name, length in need.items()}
    astrocytes = {name: AstrocyteState(a, trials, device, dtype, histories)
                  for name, a in plan.astrocytes.items()}
    out: list[EventProjection] = []
    for k, proj in enumerate(plan.projections):
        if proj.kind == "static":
            continue
        if proj.kind == "dend":
            window = plan.populations[proj.post].segments.window_steps
            out.append(SegmentProjection(proj, trials, device, dtype, histories, window))
        elif isinstance(proj.rule, STDPPlan):
            cls = (SparseSTDPProjection if numpy_kernels and proj.uniform_delay is not None
                   else STDPProjection)
            out.append(cls(proj, trials, device, dtype, histories, offsets[k]))
        elif rule_classes and type(proj.rule) in rule_classes:  # a device's own arithmetic
            out.append(rule_classes[type(proj.rule)](proj, trials, device, dtype, histories,
                                                     offsets[k]))
        elif isinstance(proj.rule, SpiNNakerSTDPPlan):
            out.append(SpiNNakerSTDPProjection(proj, trials, device, dtype, histories, offsets[k]))
        elif isinstance(proj.rule, AstroSTDPPlan):
            r = proj.rule
            sparse = (numpy_kernels and proj.uniform_delay is not None
                      and bool(((proj.weight >= r.w_min) & (proj.weight <= r.w_max)).all()))
            cls = SparseAstroSTDPProjection if sparse else AstroSTDPProjection
            out.append(cls(proj, trials, device, dtype, histories, offsets[k], astrocytes))
        else:
            raise BackendError(f"torch backend cannot run plasticity rule "
                               f"{type(proj.rule).__name__} (projection '{proj.name}')")
    return out, astrocytes, histories


__all__: list[Any] = ["AstrocyteState", "EventProjection", "SpikeHistory",
                      "build_event_synapses"]
