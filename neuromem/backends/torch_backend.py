"""The torch backend: the step engine of neuromem on PyTorch tensors (CPU or CUDA).

State tensors have a leading batch dimension, one row per independent trial of the same graph.
Spike propagation is event driven: at every step only the synapse rows of neurons that spiked are
gathered (CSR by presynaptic population, over all its projections) and scattered with
``index_add_`` into a ring buffer of arrivals indexed by arrival step, in which every projection
owns a range of columns. Summation order is spike order then synapse order, as in Brian2, so
float64 runs on the CPU match the brian2 backend bit for bit.

Two seams let device backends reuse this engine rather than copy its loop:

* ``weight_map(projection_plan) -> np.ndarray``: the effective weight of every synapse (identity
  here; quantised integers for SpiNNaker, conductance differences for a crossbar);
* ``arithmetic``: the class that owns a LIF population's state, takes its arrivals
  (``deliver``) and performs integrate / threshold / reset (``step``) (:class:`FloatLIF` here;
  fixed point for SpiNNaker).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from neuromem.backends.base import Backend, Progress, Simulation, assemble_spikes
from neuromem.backends.torch_synapses import (
    SegmentProjection,
    block_positions,
    build_event_synapses,
)
from neuromem.errors import BackendError
from neuromem.plan import LIFPlan, Plan, ProjectionPlan
from neuromem.recording import Recording, StateTrace
from neuromem.scalars import is_int
from neuromem.units import times_of

WeightMap = Callable[[ProjectionPlan], np.ndarray]

DTYPES = {"float32": torch.float32, "float64": torch.float64}
#: "auto": NumPy views for the LIF step on the CPU, torch kernels elsewhere; "torch": torch only
KERNELS = ("auto", "torch")


def torch_device(device: Any) -> torch.device:
    """``device`` ("cpu", "cuda", "cuda:N" or a torch.device) checked: BackendError unless it
    names the CPU or an available CUDA device."""
    accepted = "'cpu', 'cuda' or 'cuda:N' (or a torch.device of those)"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise BackendError(f"torch backend: device must be {accepted}, got {device!r}") from None
    if dev.type not in ("cpu", "cuda"):
        raise BackendError(f"torch backend: device must be {accepted}, got {device!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise BackendError("torch backend: device 'cuda' requested but CUDA is not available")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise BackendError(f"torch backend: device {device!r} requested but there are "
                               f"{torch.cuda.device_count()} CUDA device(s)")
    return dev


def identity_weights(proj: ProjectionPlan) -> np.ndarray:
    return proj.weight


class FloatLIF:
    """LIF population state and step arithmetic in the engine's floating-point dtype.

    ``currents`` is one (trials, 2, size) tensor, receptor 0 ("exc") then 1 ("inh"), so that both
    receptors are updated by one operation. The arithmetic is :data:`~neuromem.semantics.LIF_UPDATE`
    operation for operation (``t_ve`` and ``t_vi`` are computed together). Refractoriness is kept
    as the step ``until`` which ``v`` is held: held while ``step < until``.
    """

    def __init__(self, plan: LIFPlan, trials: int, device: torch.device, dtype: torch.dtype,
                 kernels: str = "auto") -> None:
        self.plan = plan
        self.size = plan.size
        c = plan.coeffs
        self.a_vv, self.a_v0 = _param(c.a_vv, device, dtype), _param(c.a_v0, device, dtype)
        self.a_syn = torch.as_tensor(np.stack([c.a_ve, c.a_vi]), device=device, dtype=dtype)
        self.decay = torch.as_tensor(np.stack([c.a_ee, c.a_ii]), device=device, dtype=dtype)
        self.v_thresh = _param(plan.v_thresh, device, dtype)
        self.v_reset = _param(plan.v_reset, device, dtype)
        self.v_drop = _param(plan.v_drop, device, dtype)
        # int32: comparing int64 is several times slower on the CPU; runs stop short of 2**31
        # steps (TorchSimulation checks)
        self.refrac = _param(plan.until_offset, device, torch.int32)
        self.v = torch.as_tensor(plan.v_init, device=device, dtype=dtype).clone()
        self.currents = torch.zeros((trials, 2, plan.size), device=device, dtype=dtype)
        self.until = torch.zeros((trials, plan.size), device=device, dtype=torch.int32)
        # Work buffers, allocated once: the step runs thousands of times on small tensors.
        self._t_syn = torch.empty_like(self.currents)
        self._t_ve, self._t_vi = self._t_syn[:, 0], self._t_syn[:, 1]
        self._v_new = torch.empty_like(self.v)
        self._v_next = torch.empty_like(self.v)  # double buffer: v and _v_next swap each write
        self._until_next = torch.empty_like(self.until)
        self._active = torch.empty(self.v.shape, device=device, dtype=torch.bool)
        self._spikes = torch.empty_like(self._active)
        self._currents_flat = self.currents.view(trials, -1)  # (trials, 2 * size): exc then inh
        # On the CPU the step's kernels run on NumPy views of these same tensors: measured here,
        # torch's CPU kernels for comparisons, masked fills and nonzero are 5-10x slower on
        # (trials x neurons) tensors, and its per-call overhead dominates a single trial. Both
        # compute the same IEEE operations; kernels="torch" keeps the torch ones (as on CUDA).
        self.numpy_kernels = device.type == "cpu" and kernels == "auto" and plan.segments is None
        self.segments = plan.segments
        if self.segments is not None:  # dendritic segments and the plateau they trigger
            seg = self.segments
            self.a_v0_plateau = torch.as_tensor(
                np.broadcast_to(seg.a_v0_plateau, (plan.size,)).copy(), device=device, dtype=dtype)
            self.a_v0_rest = torch.as_tensor(np.broadcast_to(c.a_v0, (plan.size,)).copy(),
                                             device=device, dtype=dtype)
            self.plateau_until = torch.zeros((trials, plan.size), device=device,
                                             dtype=torch.int64)
            self.segment_sums = torch.zeros((trials, plan.size * seg.per_cell), device=device,
                                            dtype=dtype)
            self.predictive = torch.zeros((trials, plan.size), device=device, dtype=dtype)
        if self.numpy_kernels:
            self._np = {name: getattr(self, name).numpy() for name in
                        ("v", "currents", "until", "a_syn", "decay", "_t_syn", "_v_new",
                         "_active", "_spikes")}
            for name in ("a_vv", "a_v0", "v_thresh", "v_reset", "v_drop", "refrac"):
                value = getattr(self, name)
                self._np[name] = value.numpy() if isinstance(value, torch.Tensor) else value
            self._np["_t_ve"], self._np["_t_vi"] = self._np["_t_syn"][:, 0], self._np["_t_syn"][:, 1]
            self._np["currents_flat"] = self._np["currents"].reshape(trials, -1)
            self._np["v_flat"] = self._np["v"].reshape(-1)
            self._np["until_flat"] = self._np["until"].reshape(-1)
            self._np["spikes_flat"] = self._np["_spikes"].reshape(-1)
            self._fired = np.empty(0, dtype=np.int64)

    def state(self, var: str) -> torch.Tensor:
        if var == "v":
            return self.v
        if var == "segment":
            return self.segment_sums
        if var == "predictive":
            return self.predictive
        return self.currents[:, 0 if var == "i_e" else 1]

    def deliver(self, receptor: int | None, arrivals: torch.Tensor) -> None:
        """Add arrivals to one receptor's current, or to both (``receptor=None``, arrivals laid
        out as (trials, 2 * size), exc first)."""
        if self.numpy_kernels:  # arrivals are NumPy views of the ring buffer's slot
            a = self._np
            target = a["currents_flat"] if receptor is None else a["currents"][:, receptor]
            np.add(target, arrivals, out=target)
        elif receptor is None:
            self._currents_flat.add_(arrivals)
        else:
            self.currents[:, receptor].add_(arrivals)

    def fired(self, spikes: torch.Tensor) -> torch.Tensor | np.ndarray:
        """Flat indices (trial * size + neuron) of the spikes, ascending (NumPy on the NumPy
        kernels, which found them while resetting)."""
        if self.numpy_kernels:
            return self._fired
        return spikes.view(-1).nonzero(as_tuple=True)[0]

    def step(self, step: int) -> torch.Tensor:
        """Steps 2 to 4 (integrate, threshold, reset); returns this step's spikes (bool)."""
        if self.numpy_kernels:
            return self._step_numpy(step)
        return self._step_torch(step)

    def _step_numpy(self, step: int) -> torch.Tensor:
        a = self._np
        active, spikes, v, v_new = a["_active"], a["_spikes"], a["v"], a["_v_new"]
        np.less_equal(a["until"], step, out=active)
        np.multiply(a["a_syn"], a["currents"], out=a["_t_syn"])
        # v_new = ((a_vv v + t_ve) + t_vi) + a_v0, in this order (LIF_UPDATE)
        np.multiply(v, a["a_vv"], out=v_new)
        np.add(v_new, a["_t_ve"], out=v_new)
        np.add(v_new, a["_t_vi"], out=v_new)
        np.add(v_new, a["a_v0"], out=v_new)
        np.copyto(v, v_new, where=active)
        np.multiply(a["currents"], a["decay"], out=a["currents"])
        np.greater(v, a["v_thresh"], out=spikes)
        np.logical_and(spikes, active, out=spikes)
        # Spikes are few: reset and refractory counters are written at their indices (the same
        # values as a masked write over the population, at a fraction of the cost).
        flat = self._fired = a["spikes_flat"].nonzero()[0]
        if flat.size:
            neuron = flat if v.shape[0] == 1 else flat % self.size
            reset, refrac = a["v_reset"], a["refrac"]
            if self.plan.reset == "value":
                a["v_flat"][flat] = reset[neuron] if isinstance(reset, np.ndarray) else reset
            else:
                drop = a["v_drop"]
                a["v_flat"][flat] -= drop[neuron] if isinstance(drop, np.ndarray) else drop
            a["until_flat"][flat] = (refrac[neuron] if isinstance(refrac, np.ndarray)
                                     else refrac) + step
        return self._spikes

    def _step_torch(self, step: int) -> torch.Tensor:
        """Steps 2 to 4 with torch kernels (any device).

        Writes go to preallocated buffers: a fresh state-sized tensor per step, interleaved with
        the small spike tensors kept for the recording, fragments the heap until memory grows by
        one state per step."""
        active = torch.le(self.until, step, out=self._active)
        torch.mul(self.a_syn, self.currents, out=self._t_syn)
        # v_new = ((a_vv v + t_ve) + t_vi) + a_v0, in this order (LIF_UPDATE)
        v_new = torch.mul(self.v, self.a_vv, out=self._v_new)
        a_v0 = self.a_v0
        if self.segments is not None:
            plateau = self.plateau_until > step
            self.predictive.copy_(plateau)
            a_v0 = torch.where(plateau, self.a_v0_plateau, self.a_v0_rest)
        v_new.add_(self._t_ve).add_(self._t_vi).add_(a_v0)
        self._select_v(active, v_new)
        self.currents.mul_(self.decay)
        spikes = torch.gt(self.v, self.v_thresh, out=self._spikes).logical_and_(active)
        if self.plan.reset == "value":
            if isinstance(self.v_reset, float):
                self.v.masked_fill_(spikes, self.v_reset)
            else:
                self._select_v(spikes, torch.broadcast_to(self.v_reset, self.v.shape))
        else:
            self._select_v(spikes, torch.sub(self.v, self.v_drop, out=self._v_new))
        if isinstance(self.refrac, int):
            self.until.masked_fill_(spikes, self.refrac + step)
        else:
            torch.where(spikes, self.refrac + step, self.until, out=self._until_next)
            self.until, self._until_next = self._until_next, self.until
        if self.segments is not None:
            # a segment at threshold makes its cell predictive from the next step on
            seg = self.segments
            event = (self.segment_sums >= seg.theta).view(self.v.shape[0], self.size,
                                                           seg.per_cell).any(-1)
            self.plateau_until.masked_fill_(event, step + 1 + seg.plateau_steps)
        return spikes

    def _select_v(self, mask: torch.Tensor, values: torch.Tensor) -> None:
        """v = where(mask, values, v), into the spare buffer, which becomes v."""
        torch.where(mask, values, self.v, out=self._v_next)
        self.v, self._v_next = self._v_next, self.v


def _param(values: np.ndarray, device: torch.device, dtype: torch.dtype) -> float | int | torch.Tensor:
    """A per-neuron parameter: a Python scalar when uniform (broadcasts for free), else a tensor."""
    values = np.asarray(values)
    if values.size and (values == values.flat[0]).all():
        return values.flat[0].item()
    return torch.as_tensor(values, device=device, dtype=dtype)


class _Fanout:
    """All outgoing synapses of one presynaptic population, over every projection it feeds.

    Synapses are held as CSR by presynaptic neuron (projections in order within a row); each
    synapse stores its column in the simulation's arrival buffer (projection offset + post index)
    and its weight. As torch tensors (CUDA, or ``kernels="torch"``): int32 columns, 8 bytes per
    synapse in float32. As NumPy arrays (the CPU path): int16 columns where the buffer is at most
    2**15 wide, 6 bytes per synapse in float32. Heterogeneous delays add 2 bytes (int16).
    """

    #: up to this many spikes in a step, rows are added one by one (fewer array operations);
    #: measured on CUBA (4000 neurons, ~2 spikes per step) on a 2-core CPU
    LOOP_MAX = 3
    LOOP_MAX_NUMPY = 16

    def __init__(self, projs: list[ProjectionPlan], offsets: list[int], weights: list[np.ndarray],
                 buffer: "_ArrivalBuffer", device: torch.device, dtype: torch.dtype,
                 numpy_path: bool = False) -> None:
        n_pre = projs[0].n_pre
        pre = np.concatenate([p.pre_idx for p in projs])
        col = np.concatenate([p.post_idx + off for p, off in zip(projs, offsets)])
        delay = np.concatenate([p.delay_steps for p in projs])
        weight = np.concatenate(weights)
        order = np.argsort(pre, kind="stable")  # rows by pre; projection order kept within a row
        pre, col, delay, weight = pre[order], col[order], delay[order], weight[order]
        indptr = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(np.bincount(pre, minlength=n_pre), out=indptr[1:])
        self.indptr_list = indptr.tolist()
        uniform = delay.size == 0 or (delay == delay[0]).all()
        self.uniform_delay = int(delay[0]) if delay.size else 1
        self.buffer = buffer
        self.n_synapses = int(col.size)
        self.numpy_path = numpy_path
        if numpy_path:
            # the same additions in NumPy (np.add.at adds in index order, as the row loop and
            # index_add_ do), without a torch call per spiking neuron
            narrow = buffer.width <= np.iinfo(np.int16).max + 1
            self.col = col.astype(np.int16 if narrow else np.int32)
            self.weight = weight.astype(torch.empty(0, dtype=dtype).numpy().dtype)
            self.indptr = indptr
            self.delay = None if uniform else delay.astype(np.int16)
        else:
            self.indptr = torch.as_tensor(indptr[:-1], device=device)
            self.row_len = torch.as_tensor(np.diff(indptr), device=device)
            self.col = torch.as_tensor(col, device=device, dtype=torch.int32)
            self.weight = torch.as_tensor(weight, device=device, dtype=dtype)
            self.delay = None if uniform else torch.as_tensor(delay, device=device,
                                                               dtype=torch.int16)

    def nbytes(self) -> int:
        if self.numpy_path:
            parts = [self.col, self.weight, self.indptr] + ([] if self.delay is None
                                                             else [self.delay])
            return sum(a.nbytes for a in parts)
        parts = [self.col, self.weight, self.indptr, self.row_len]
        if self.delay is not None:
            parts.append(self.delay)
        return sum(t.numel() * t.element_size() for t in parts)

    def push(self, step: int, trial: torch.Tensor | np.ndarray | None,
             neuron: torch.Tensor | np.ndarray) -> None:
        """Step 6: schedule the synapses of the spiking ``neuron``s (sorted by trial, index)."""
        if self.numpy_path:
            self._push_numpy(step, None if trial is None else np.asarray(trial), np.asarray(neuron))
        else:
            self._push_torch(step, trial, neuron)

    def _push_numpy(self, step: int, trial: np.ndarray | None, neuron: np.ndarray) -> None:
        buf = self.buffer
        if trial is None and self.delay is None and neuron.shape[0] <= self.LOOP_MAX_NUMPY:
            base = ((step + self.uniform_delay) % buf.length) * buf.width
            slot = buf.flat_np[base:base + buf.width]
            for i in neuron.tolist():
                lo, hi = self.indptr_list[i], self.indptr_list[i + 1]
                # add.at, not slot[cols] += w: a pair listed twice in a projection adds twice
                np.add.at(slot, self.col[lo:hi], self.weight[lo:hi])
            return
        syn, counts = block_positions(self.indptr, neuron)
        if syn.size == 0:
            return
        target = self.col[syn].astype(np.int64)  # narrow columns: widen before any offset
        if self.delay is None:
            target += ((step + self.uniform_delay) % buf.length) * buf.width
        else:
            target += (self.delay[syn].astype(np.int64) + step) % buf.length * buf.width
        if trial is not None:
            target += np.repeat(trial, counts) * (buf.length * buf.width)
        np.add.at(buf.flat_np, target, self.weight[syn])

    def _push_torch(self, step: int, trial: torch.Tensor | None, neuron: torch.Tensor) -> None:
        buf = self.buffer
        if trial is None and self.delay is None and neuron.shape[0] <= self.LOOP_MAX:
            # int32 columns index the buffer directly (the buffer is smaller than 2**31).
            base = ((step + self.uniform_delay) % buf.length) * buf.width
            for i in neuron.tolist():
                lo, hi = self.indptr_list[i], self.indptr_list[i + 1]
                if hi > lo:
                    cols = self.col[lo:hi] if base == 0 else self.col[lo:hi] + base
                    buf.flat.index_add_(0, cols, self.weight[lo:hi])
            return
        counts = self.row_len[neuron]
        total = int(counts.sum())
        if total == 0:
            return
        owner = torch.repeat_interleave(counts, output_size=total)
        first = self.indptr[neuron] - (counts.cumsum(0) - counts)
        syn = torch.arange(total, device=counts.device) + first[owner]
        target = self.col[syn].long()
        if self.delay is None:
            target += ((step + self.uniform_delay) % buf.length) * buf.width
        else:
            target += ((self.delay[syn].long() + step) % buf.length) * buf.width
        if trial is not None:
            target += trial[owner] * (buf.length * buf.width)
        buf.flat.index_add_(0, target, self.weight[syn])


class _ArrivalBuffer:
    """Ring buffer of arrivals: (trials, length, width); step t's arrivals sit in slot
    t % length. Each projection owns the columns [offset, offset + n_post) of every slot."""

    def __init__(self, trials: int, length: int, width: int, device: torch.device,
                 dtype: torch.dtype) -> None:
        self.length, self.width = length, width
        if length * width >= 2**31:
            raise BackendError(f"torch backend: arrival buffer of {length} x {width} entries per "
                               "trial exceeds 2**31; shorten the longest delay or split the network")
        self.data = torch.zeros((trials, length, width), device=device, dtype=dtype)
        self.flat = self.data.view(-1)
        self.flat_np = self.flat.numpy() if self.flat.device.type == "cpu" else None
        self.slots = [self.data[:, k] for k in range(length)]  # views, built once


class TorchSimulation(Simulation):
    backend_name = "torch"

    def __init__(self, plan: Plan, device: str | torch.device = "cpu", dtype: str = "float64",
                 weight_map: WeightMap = identity_weights, arithmetic: type = FloatLIF,
                 num_threads: int | None = 1, kernels: str = "auto",
                 rule_classes: dict | None = None) -> None:
        super().__init__(plan)
        # Each step's tensors are small (trials x neurons): intra-op threads gain little on them
        # and their spin-waits cost milliseconds per operation when the cores are busy, so the
        # CPU loop runs on one thread unless asked otherwise (None keeps torch's own setting).
        if num_threads is not None and not (is_int(num_threads) and num_threads >= 1):
            raise BackendError(f"torch backend: num_threads must be a positive int, or None to "
                               f"keep torch's setting, got {num_threads!r}")
        self.num_threads = None if num_threads is None else int(num_threads)
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise BackendError(f"torch backend: dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
        self.device = torch_device(device)
        self.dtype_name = dtype
        dtype_ = DTYPES[dtype]
        trials = plan.trials
        if not isinstance(kernels, str) or kernels not in KERNELS:
            raise BackendError(f"torch backend: kernels must be one of {KERNELS}, got {kernels!r}")
        self.lifs = {p.name: arithmetic(p, trials, self.device, dtype_, kernels=kernels)
                     for p in plan.lifs}
        # Buffer columns: per target population, its projections by (receptor, order), so that a
        # population fed by one exc and one inh projection receives both with one addition.
        offsets: dict[int, int] = {}
        self.deliveries: list = []  # (population, receptor or None, columns lo, hi)
        width = 0
        for lif in plan.lifs:
            pop = self.lifs[lif.name]
            incoming = sorted(lif.inputs, key=lambda k: (plan.projections[k].receptor, k))
            receptors = [plan.projections[k].receptor for k in incoming]
            if receptors == [0, 1]:
                self.deliveries.append((pop, None, width, width + 2 * lif.size))
            for k in incoming:
                offsets[k] = width
                if receptors != [0, 1]:
                    self.deliveries.append((pop, plan.projections[k].receptor, width,
                                            width + lif.size))
                width += lif.size
        length = max([p.max_delay for p in plan.projections], default=1)
        self.buffer = _ArrivalBuffer(trials, length, max(width, 1), self.device, dtype_)

        def slot_views(pop, lo: int, hi: int) -> list:
            # a population stepping in NumPy takes its arrivals as NumPy views of the same slots
            host = getattr(pop, "numpy_kernels", False)
            return [slot[:, lo:hi].numpy() if host else slot[:, lo:hi] for slot in self.buffer.slots]

        self.deliveries = [(pop, receptor, slot_views(pop, lo, hi))
                           for pop, receptor, lo, hi in self.deliveries]
        self.fanouts: dict[str, _Fanout] = {}
        # the CPU paths through NumPy (same operations): fan-out, plasticity (and the LIF step)
        numpy_paths = self.device.type == "cpu" and kernels == "auto"
        self.events, self.astrocytes, self.histories = build_event_synapses(
            plan, trials, self.device, dtype_, offsets, rule_classes, numpy_kernels=numpy_paths)
        self.event_by_name = {ev.name: ev for ev in self.events}
        self.segment_inputs = {name: [e for e in self.events if isinstance(e, SegmentProjection)
                                      and e.proj.post == name] for name in self.lifs}
        for name in plan.populations:
            ks = [k for k, p in enumerate(plan.projections) if p.pre == name
                  and p.kind == "static"]
            if ks:
                ps = [plan.projections[k] for k in ks]
                self.fanouts[name] = _Fanout(ps, [offsets[k] for k in ks],
                                             [weight_map(p) for p in ps], self.buffer,
                                             self.device, dtype_, numpy_path=numpy_paths)

    def _meta(self) -> dict[str, Any]:
        return {"device": str(self.device), "dtype": self.dtype_name}

    def synapse_bytes(self) -> int:
        """Bytes held for synapses (columns, weights, row pointers, delays)."""
        return sum(f.nbytes() for f in self.fanouts.values())

    def _source_schedule(self, step0: int, n_steps: int):
        """All source spikes of the run, per population: (steps, indices, trials), the
        boundaries of each step within them, and the trials and indices as tensors."""
        out = {}
        for src in self.plan.sources:
            parts = [(*src.spikes(k, step0, n_steps), k) for k in range(self.plan.trials)]
            s = np.concatenate([p[0] for p in parts])
            i = np.concatenate([p[1] for p in parts])
            k = np.concatenate([np.full(p[0].size, p[2]) for p in parts]).astype(np.int64)
            order = np.lexsort((i, k, s))
            s, i, k = s[order], i[order], k[order]
            bounds = np.searchsorted(s, np.arange(step0, step0 + n_steps + 1)).tolist()
            out[src.name] = (s, i, k, bounds, torch.as_tensor(k, device=self.device),
                             torch.as_tensor(i, device=self.device))
        return out

    def _run(self, step0, n_steps, record, progress: Progress | None,
             weights: dict[str, np.ndarray] | None = None) -> Recording:
        last = max([int(np.max(lif.until_offset)) for lif in self.plan.lifs], default=0)
        if step0 + n_steps + last >= 2**31:
            raise BackendError(f"torch backend: this run would end at step {step0 + n_steps}; "
                               f"refractory counters are int32, so runs end before step "
                               f"{2**31 - 1 - last}")
        previous = torch.get_num_threads()
        if self.num_threads is not None and self.device.type == "cpu":
            torch.set_num_threads(self.num_threads)
        try:
            return self._loop(step0, n_steps, record, progress, weights)
        finally:
            torch.set_num_threads(previous)

    def _loop(self, step0, n_steps, record, progress: Progress | None, weights) -> Recording:
        t_start = time.perf_counter()
        trials = self.plan.trials
        batched = trials > 1
        sources = self._source_schedule(step0, n_steps)
        traces = {(pop, var): torch.empty((n_steps, trials, idx.size),
                                          dtype=DTYPES[self.dtype_name], device=self.device)
                  for pop, spec in record.items() for var, idx in spec.items()}
        trace_idx = {key: torch.as_tensor(record[key[0]][key[1]], device=self.device)
                     for key in traces}
        fired_log: dict[str, list] = {name: [] for name in self.lifs}
        tick = max(1, n_steps // 100)
        lif_fanouts = [(name, pop, self.fanouts.get(name)) for name, pop in self.lifs.items()]
        # Source spikes per step as (trials or None, indices) slices of the arrays a consumer
        # takes: NumPy for the CPU paths, tensors otherwise.
        def src_arrays(sched, host: bool):
            _, i, k, bounds, k_t, i_t = sched
            trial, index = (k, i) if host else (k_t, i_t)
            return bounds, (trial if batched else None), index

        src_fanouts = [(src_arrays(sched, self.fanouts[name].numpy_path), self.fanouts[name])
                       for name, sched in sources.items() if name in self.fanouts]
        events = self.events
        histories = self.histories
        src_history = [(src_arrays(sched, histories[name].host is not None), histories[name])
                       for name, sched in sources.items() if name in histories]
        lif_history = {name: histories.get(name) for name in self.lifs}
        snap_at, snapshots = self._weight_schedule(weights, step0, n_steps)
        host_slots = self.buffer.flat_np is not None
        slots = [slot.numpy() for slot in self.buffer.slots] if host_slots else self.buffer.slots
        with torch.inference_mode():
            for n in range(n_steps):
                step = step0 + n
                # 1. deliver (event-level projections first write this step's arrivals)
                for ev in events:
                    ev.deliver(step, self.buffer)
                k = step % self.buffer.length
                for pop, receptor, views in self.deliveries:
                    pop.deliver(receptor, views[k])
                if host_slots:
                    slots[k].fill(0)
                else:
                    slots[k].zero_()
                for name, segs in self.segment_inputs.items():
                    if segs:
                        sums = self.lifs[name].segment_sums
                        sums.zero_()
                        for seg in segs:
                            seg.add_window_sums(step, sums)
                # 2.-4. integrate, threshold, reset
                fired = [(name, pop, pop.step(step), fan) for name, pop, fan in lif_fanouts]
                for name, _, spikes, _ in fired:
                    if lif_history[name] is not None:
                        lif_history[name].record(step, spikes)
                for (bounds, trial, index), hist in src_history:
                    lo, hi = bounds[n], bounds[n + 1]
                    hist.record_events(step, None if trial is None else trial[lo:hi],
                                       index[lo:hi])
                # 5. plasticity, then the astrocytes (rules read their state before the update)
                for ev in events:
                    ev.update(step)
                for astro in self.astrocytes.values():
                    astro.update(step)
                # 6. schedule
                for name, pop, spikes, fan in fired:
                    flat = pop.fired(spikes)
                    if flat.shape[0]:
                        fired_log[name].append((step, flat))
                        if fan is not None:
                            if batched:
                                size = spikes.shape[1]
                                fan.push(step, flat // size, flat % size)
                            else:
                                fan.push(step, None, flat)
                for (bounds, trial, index), fan in src_fanouts:
                    lo, hi = bounds[n], bounds[n + 1]
                    if hi > lo:
                        fan.push(step, None if trial is None else trial[lo:hi], index[lo:hi])
                for ev in events:
                    ev.schedule(step, self.buffer)
                for (pop, var), buf in traces.items():
                    buf[n] = self._state(pop, var)[:, trace_idx[(pop, var)]]
                for name in snap_at.get(step, ()):
                    snapshots[name][1].append(self.event_by_name[name].weights().clone())
                if progress is not None and (n + 1) % tick == 0:
                    progress(n + 1, n_steps)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.timings["run_s"] = time.perf_counter() - t_start
        chunks: dict[str, list] = {}
        for name, items in fired_log.items():
            size = self.lifs[name].size
            chunks[name] = []
            for step, flat in items:
                flat = flat if isinstance(flat, np.ndarray) else flat.cpu().numpy()
                chunks[name].append((np.full(flat.shape[0], step), flat % size, flat // size))
        for name, (s, i, k, _, _, _) in sources.items():
            chunks[name] = [(s, i, k)]
        steps = np.arange(step0, step0 + n_steps)
        states: dict[str, dict[str, StateTrace]] = {}
        for (pop, var), buf in traces.items():
            states.setdefault(pop, {})[var] = StateTrace(
                times_of(steps, self.dt), record[pop][var], buf.cpu().numpy().astype(np.float64))
        weight_snaps = {}
        for name, (times, vals) in snapshots.items():
            n_syn = self.event_by_name[name].w.shape[1]
            weight_snaps[name] = (times, torch.stack(vals).cpu().numpy().astype(np.float64)
                                  if vals else np.zeros((0, trials, n_syn)))
        return Recording(self.dt, step0 * self.dt, (step0 + n_steps) * self.dt,
                         {name: p.size for name, p in self.plan.populations.items()},
                         assemble_spikes(self.plan, chunks), states, weights=weight_snaps)

    def _state(self, pop: str, var: str) -> torch.Tensor:
        if pop in self.astrocytes:
            return self.astrocytes[pop].A[:, None]
        return self.lifs[pop].state(var)

    def _weight_schedule(self, weights, step0: int, n_steps: int):
        """Steps at which to copy which projections' weights, and the empty snapshot lists."""
        at: dict[int, list[str]] = {}
        snaps: dict[str, tuple[np.ndarray, list]] = {}
        for name, steps in (weights or {}).items():
            for s in steps:
                at.setdefault(int(s), []).append(name)
            snaps[name] = (times_of(np.asarray(steps, dtype=np.int64), self.dt), [])
        return at, snaps

    def weights(self, projection: str) -> np.ndarray:
        """The current weights of a projection, (trials, synapses), in float64."""
        ev = self.event_by_name.get(projection)
        if ev is None:
            proj = next((p for p in self.plan.projections if p.name == projection), None)
            if proj is None:
                raise BackendError(f"no projection named '{projection}'")
            return np.broadcast_to(proj.weight, (self.plan.trials, proj.weight.size)).copy()
        return ev.weights().cpu().numpy().astype(np.float64)


class TorchBackend(Backend):
    """Options: ``device`` ("cpu" or "cuda"), ``dtype`` ("float64" or "float32"),
    ``num_threads`` (CPU threads of the step loop, default 1; None keeps torch's setting),
    ``kernels`` ("auto": the LIF step through NumPy views on the CPU; "torch": torch kernels),
    ``surrogate`` (a snnTorch surrogate name, e.g. "fast_sigmoid": a differentiable simulation
    for training, see :mod:`neuromem.backends.torch_train`; extra options go to the surrogate)."""

    name = "torch"
    simulation_class = TorchSimulation

    def build(self, plan: Plan, device: str = "cpu", dtype: str = "float64",
              num_threads: int | None = 1, surrogate: str | None = None, kernels: str = "auto",
              **options: Any) -> Simulation:
        if surrogate is not None:  # training: a differentiable simulation of the same plan
            from neuromem.backends.torch_train import SurrogateSimulation

            torch_device(device)  # refused here, as TorchSimulation refuses it
            return SurrogateSimulation(plan, device=device, dtype=dtype, surrogate=surrogate,
                                       **options)
        if options:
            raise BackendError(f"torch backend: unknown option(s) {', '.join(sorted(options))}")
        return self.simulation_class(plan, device=device, dtype=dtype, num_threads=num_threads,
                                     kernels=kernels)
