"""``map_network(net, machine) -> Mapping``: where a neuromem graph goes on a SpiNNaker machine.

A pure function of the graph and the machine, as sPyNNaker maps a PyNN network:

1. populations are split into core slices (256 neurons, 500 Poisson sources per core);
2. cores are placed onto chips in order;
3. every (target population, receptor) gets a ring-buffer left shift from the fan-in statistics
   as sPyNNaker computes it (:func:`expected_max_input`), and weights become unsigned 16-bit
   integers ``round(|w| 2^(15 - s))``;
4. delays are checked against the on-core maximum (a delay-extension core per source slice
   beyond it) and the total maximum;
5. each source slice gets a routing key and mask; router entries are made on every chip a
   packet passes, routed X then Y on the chip mesh, where a straight pass-through needs no
   entry (default routing); entries with the same route are merged where their keys differ in
   one bit, and each chip is checked against the router's size;
6. synaptic rows (one per presynaptic neuron and target slice) are checked against 256 words,
   and SDRAM and DTCM are counted per core.

Anything that does not fit raises :class:`MappingError` saying what, where and by how much.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from neuromem.hardware.spinnaker.machine import Machine, default_machine

from neuromem.curr_exp import curr_exp_problem
from neuromem.errors import UnsupportedError
from neuromem.ir.network import Network
from neuromem.ir.nodes import LIF, Astrocyte, DendriticLIF, PoissonSource, SpikeArray
from neuromem.ir.plasticity import SpiNNakerSTDP

RECEPTORS = ("exc", "inh")
#: sPyNNaker's Poisson upper bound of the input one ring-buffer slot receives
RING_BUFFER_SIGMA = 5.0
SPIKES_PER_SECOND = 30.0
#: bits of a routing key below the slice number (the neuron index, up to 512 sources)
KEY_NEURON_BITS = 9
#: bytes: a synaptic row's header, a word, a neuron's state and parameters (LIF curr_exp)
ROW_HEADER_WORDS = 3
NEURON_DTCM_BYTES = 64
PLASTIC_ROW_EXTRA_BYTES = 8  # the pre-event history of a plastic row


class MappingError(UnsupportedError):
    """The network does not fit the machine (or uses what SpiNNaker cannot run)."""


@dataclass(frozen=True)
class CoreSlice:
    """Neurons ``lo:hi`` of ``population`` on core ``core`` of chip ``chip``; ``kind`` is
    "neurons", "poisson", "spike_array" or "delay_extension"."""

    population: str
    lo: int
    hi: int
    kind: str
    chip: tuple[int, int] = (0, 0)
    core: int = 1

    @property
    def size(self) -> int:
        return self.hi - self.lo


@dataclass(frozen=True)
class RingBuffer:
    """Weight format of one (target population, receptor): left shift s, 2^(15-s) per nA."""

    shift: int
    scale: float
    expected_max_input: float
    max_quantisation_error: float  # nA, over all weights onto this receptor
    clipped_weights: int


@dataclass
class Mapping:
    machine: Machine
    slices: list[CoreSlice]
    ring_buffers: dict[tuple[str, str], RingBuffer]
    #: projection -> quantised weight per synapse (signed: negative for "inh")
    weights_int: dict[str, np.ndarray]
    #: projection -> the weights the hardware computes with, w_int / scale, signed (nA)
    weights_effective: dict[str, np.ndarray]
    keys: dict[int, tuple[int, int]]  # slice index -> (key, mask)
    routing: dict[tuple[int, int], list[tuple[int, int, frozenset[str]]]]
    routing_uncompressed: dict[tuple[int, int], int]
    max_row_length: dict[str, int]
    on_core_max_delay: dict[str, int]
    delay_extensions: list[str]
    sdram_bytes: dict[int, int]  # slice index -> bytes
    dtcm_bytes: dict[int, int]
    notes: list[str] = field(default_factory=list)

    # -- summaries ----------------------------------------------------------------------
    @property
    def cores(self) -> int:
        return len(self.slices)

    @property
    def chips_used(self) -> list[tuple[int, int]]:
        return sorted({s.chip for s in self.slices})

    def cores_per_population(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.slices:
            if s.kind != "delay_extension":
                out[s.population] = out.get(s.population, 0) + 1
        return out

    def slices_of(self, population: str) -> list[int]:
        return [k for k, s in enumerate(self.slices) if s.population == population
                and s.kind != "delay_extension"]

    def report(self) -> str:
        m = self.machine
        lines = [f"SpiNNaker mapping on {m.name} ({m.width} x {m.height} chips, "
                 f"{m.app_cores_per_chip} application cores each"
                 + (f", {m.app_cores_per_chip - m.ethernet_reserved_cores} on (0, 0)"
                    if m.ethernet_reserved_cores else "")
                 + f", dt {m.dt:g} ms, time scale "
                 f"x{m.time_scale_factor:g})",
                 f"  cores: {self.cores} on {len(self.chips_used)} chip(s)"]
        for pop, n in self.cores_per_population().items():
            lines.append(f"    {pop}: {n} core(s)")
        if self.delay_extensions:
            lines.append(f"    delay extensions for: {', '.join(self.delay_extensions)}")
        lines.append("  ring buffers (target, receptor): shift, weight resolution, max "
                     "quantisation error")
        for (pop, rec), rb in self.ring_buffers.items():
            lines.append(f"    {pop}/{rec}: s={rb.shift}, {1 / rb.scale:.3g} nA, error "
                         f"{rb.max_quantisation_error:.3g} nA"
                         + (f", {rb.clipped_weights} weight(s) clipped" if rb.clipped_weights
                            else ""))
        lines.append(f"  routing entries per chip (after compression / before; limit "
                     f"{m.router_entries}):")
        for chip in sorted(self.routing):
            lines.append(f"    chip {chip}: {len(self.routing[chip])} / "
                         f"{self.routing_uncompressed.get(chip, 0)}")
        lines.append("  longest synaptic row per projection (limit "
                     f"{m.max_row_length}): " + ", ".join(f"{p} {n}" for p, n in
                                                        self.max_row_length.items()))
        lines.append(f"  SDRAM: {sum(self.sdram_bytes.values()) / 1024:.1f} KiB in all; DTCM "
                     f"per core up to {max(self.dtcm_bytes.values(), default=0) / 1024:.1f} KiB "
                     f"of {m.dtcm_bytes / 1024:.0f} KiB")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    __str__ = report

    def to_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine.to_dict(),
            "cores": self.cores, "chips_used": [list(c) for c in self.chips_used],
            "slices": [{"population": s.population, "lo": s.lo, "hi": s.hi, "kind": s.kind,
                        "chip": list(s.chip), "core": s.core} for s in self.slices],
            "ring_buffers": [{"population": p, "receptor": r, "shift": rb.shift,
                              "scale": rb.scale, "expected_max_input": rb.expected_max_input,
                              "max_quantisation_error": rb.max_quantisation_error,
                              "clipped_weights": rb.clipped_weights}
                             for (p, r), rb in self.ring_buffers.items()],
            "keys": [{"slice": k, "key": key, "mask": mask}
                     for k, (key, mask) in self.keys.items()],
            "routing": [{"chip": list(chip), "entries": [
                {"key": key, "mask": mask, "route": sorted(route)} for key, mask, route in e]}
                for chip, e in sorted(self.routing.items())],
            "routing_uncompressed": {f"{x},{y}": n for (x, y), n in
                                     self.routing_uncompressed.items()},
            "max_row_length": self.max_row_length,
            "on_core_max_delay": self.on_core_max_delay,
            "delay_extensions": self.delay_extensions,
            "sdram_bytes": {str(k): v for k, v in self.sdram_bytes.items()},
            "dtcm_bytes": {str(k): v for k, v in self.dtcm_bytes.items()},
            "notes": self.notes,
        }

    def save(self, path: str | os.PathLike) -> None:
        """The report as JSON, written atomically."""
        from neuromem.atomic import atomic_path

        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.to_dict(), f, indent=1)


# -- the mapping --------------------------------------------------------------------------


def map_network(net: Network, machine: Machine | None = None) -> Mapping:
    """Map ``net`` onto ``machine`` (default: one SpiNN-5 board of SpiNNaker1 chips, stepping at
    the network's dt, as ``sim.setup(timestep=dt)`` sets sPyNNaker's). An explicit machine must
    step at the network's dt."""
    if not isinstance(net, Network):
        raise MappingError(f"map_network takes a neuromem Network, got {type(net).__name__}")
    if machine is not None and not isinstance(machine, Machine):
        raise MappingError(f"machine must be a Machine (spinnaker1(), spinn3(), ...), got "
                           f"{type(machine).__name__}")
    machine = machine or default_machine(net.dt)
    if abs(net.dt - machine.dt) > 1e-12:
        raise MappingError(f"network '{net.name}' has dt = {net.dt} ms; the machine steps "
                           f"{machine.dt} ms (build the network at dt = {machine.dt})")
    net.validate(machine.dt)
    _check_supported(net)
    slices = _partition(net, machine)
    ring_buffers, weights_int, weights_eff = _quantise(net, machine)
    on_core, extensions = _delays(net, machine, slices)
    for pop in extensions:
        for k in _slice_ids(slices, pop):
            s = slices[k]
            slices.append(CoreSlice(pop, s.lo, s.hi, "delay_extension"))
    slices = _place(slices, machine)
    keys = {k: (k << KEY_NEURON_BITS, (0xFFFFFFFF << KEY_NEURON_BITS) & 0xFFFFFFFF)
            for k, s in enumerate(slices) if s.kind != "delay_extension"}
    rows, sdram, dtcm = _rows_and_memory(net, machine, slices)
    routing, before = _routing(net, machine, slices, keys)
    return Mapping(machine, slices, ring_buffers, weights_int, weights_eff, keys, routing,
                   before, rows, on_core, extensions, sdram, dtcm,
                   notes=["energy figures of a run are estimates (sPyNNaker's model)"]
                   + _sub_millisecond(machine, slices) + _stdp_wraps(net, ring_buffers))


def _sub_millisecond(machine: Machine, slices: list[CoreSlice]) -> list[str]:
    """Below 1 ms, sPyNNaker 7 gives each LIF slice a neuron core and separate synapse core(s)
    (seen on a virtual board: CUBA at 0.1 ms took 32 cores where this mapping counts 16)."""
    if machine.dt >= 1.0:
        return []
    lif = sum(s.kind == "neurons" for s in slices)
    return [f"dt = {machine.dt:g} ms: one combined core per slice is counted here, as sPyNNaker "
            f"maps at 1 ms; sPyNNaker 7 below 1 ms adds synapse cores to each of the {lif} LIF "
            f"slice(s), so it needs at least {lif} cores more"]


def _stdp_wraps(net: Network, ring_buffers: dict[tuple[str, str], RingBuffer]) -> list[str]:
    """sPyNNaker multiplies the STDP amplitudes A+- w_max, in the target's 16-bit weight units, as
    signed 16-bit halves (``smulbb``): past 32767 they wrap. Say where, and what they become."""
    notes = []
    for proj in net.projections:
        rule = proj.plasticity
        if not isinstance(rule, SpiNNakerSTDP):
            continue
        scale = ring_buffers[(proj.post, proj.receptor)].scale
        for name, amp in (("A_plus", rule.a_plus), ("A_minus", rule.a_minus)):
            units = int(round(amp * scale))
            if units > 0x7FFF:
                low = units & 0xFFFF
                wrapped = low - 0x10000 if low & 0x8000 else low
                notes.append(f"projection '{proj.name}': {name} x w_max = {amp:g} nA is {units} in "
                             f"the 16-bit weight units of ({proj.post}, {proj.receptor}); the "
                             f"hardware's 16 x 16 multiply wraps it to {wrapped} "
                             f"({wrapped / scale:g} nA), so that STDP runs with the wrong "
                             "amplitude (raise the expected input of the target, e.g. w_max, to "
                             "fit)")
    return notes


def _check_supported(net: Network) -> None:
    for name, node in net.nodes.items():
        if isinstance(node, (DendriticLIF, Astrocyte)):
            raise MappingError(f"node '{name}': {type(node).__name__} has no SpiNNaker model in "
                               "this backend")
    for proj in net.projections:
        if proj.plasticity is not None and not isinstance(proj.plasticity, SpiNNakerSTDP):
            raise MappingError(f"projection '{proj.name}': the spinnaker backend runs "
                               f"SpiNNakerSTDP only, not {type(proj.plasticity).__name__}")
    # stored as 16-bit magnitudes per receptor, reset to v_reset (sPyNNaker's IF_curr_exp)
    problem = curr_exp_problem(net, "sPyNNaker's IF_curr_exp")
    if problem:
        raise MappingError(problem)


def _per_core(node, machine: Machine) -> tuple[int, str]:
    if isinstance(node, PoissonSource):
        return machine.poisson_per_core, "poisson"
    if isinstance(node, SpikeArray):
        return machine.neurons_per_core, "spike_array"
    if isinstance(node, LIF):
        return machine.neurons_per_core, "neurons"
    raise MappingError(f"{type(node).__name__} has no SpiNNaker model in this backend")


def _partition(net: Network, machine: Machine) -> list[CoreSlice]:
    out = []
    for name, node in net.nodes.items():
        per, kind = _per_core(node, machine)
        for lo in range(0, node.size, per):
            out.append(CoreSlice(name, lo, min(lo + per, node.size), kind))
    return out


def _slice_ids(slices: list[CoreSlice], pop: str) -> list[int]:
    return [k for k, s in enumerate(slices) if s.population == pop and s.kind != "delay_extension"]


def _place(slices: list[CoreSlice], machine: Machine) -> list[CoreSlice]:
    if len(slices) > machine.cores:
        reserved = (f" less {machine.ethernet_reserved_cores} on the Ethernet chip"
                    if machine.ethernet_reserved_cores else "")
        raise MappingError(f"the network needs {len(slices)} cores; {machine.name} has "
                           f"{machine.cores} ({machine.chips} chips x {machine.app_cores_per_chip}"
                           f" cores{reserved}): {len(slices) - machine.cores} too many")
    # chips in order, each filled from its first application core
    cores = ((chip, core) for chip in range(machine.chips) for core in machine.chip_cores(chip))
    placed = []
    for s, (chip, core) in zip(slices, cores):
        placed.append(CoreSlice(s.population, s.lo, s.hi, s.kind,
                                (chip % machine.width, chip // machine.width), core))
    return placed


@dataclass(frozen=True)
class FanIn:
    """What sPyNNaker's shift rule reads of one projection into a (population, receptor):
    the most synapses onto one target neuron, the weights' mean, variance and maximum (nA; a
    plastic projection counts at its rule's largest weight, with no variance, since learning
    may take every weight there), the variance of its delays, and the rate (Hz) and most
    spikes per step assumed for its sources (30 Hz and one spike unless Poisson)."""

    n_connections: int
    weight_mean: float
    weight_var: float
    weight_max: float
    delay_var: float
    rate: float
    spikes_per_step: float


def _combine(items: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """(mean, sample variance, count) of pooled groups given as (mean, variance, count)."""
    n = sum(k for _, _, k in items)
    if n == 0:
        return 0.0, 0.0, 0
    mean = sum(m * k for m, _, k in items) / n
    m2 = sum(v * (k - 1) + k * (m - mean) ** 2 for m, v, k in items if k > 0)
    return mean, (m2 / (n - 1) if n > 1 else 0.0), n


def poisson_upper_bound(mean: float, std: float, rate: float, n: int, dt: float,
                        sigma: float = RING_BUFFER_SIGMA) -> float:
    """sPyNNaker's estimate of one slot's input when ``n`` synapses of weight ``mean`` +- ``std``
    see Poisson spikes at ``rate`` Hz: the mean plus ``sigma`` standard deviations, the weights'
    spread weighted by the Poisson probabilities (a closed form with incomplete gamma functions)."""
    from scipy import special

    lam = n * rate * dt / 1000.0
    if lam <= 0.0:
        return 0.0
    poisson_var = lam * mean ** 2
    top = int(round(lam + 3.0 * math.sqrt(lam)))
    spread = 0.0
    if std > 0:
        log_ratio = math.log(lam) * top - special.gammaln(1 + top)
        if -701.0 < log_ratio < 701.0 and log_ratio != 0.0:
            tail = math.exp(lam) * special.gammaincc(1 + top, lam) - math.exp(log_ratio)
            if tail > 0:
                spread = math.exp(-lam + math.log(lam) + 2.0 * math.log(std) + math.log(tail))
    return lam * mean + sigma * math.sqrt(poisson_var + spread)


def expected_max_input(fan_in: list[FanIn], dt: float) -> float:
    """sPyNNaker's bound (``get_ring_buffer_shifts``, sPyNNaker 5 to 7) on what one ring-buffer
    slot of a (population, receptor) receives. When every projection onto it has a single delay,
    all sources may fire into the same slot: the bound is the sum over projections of
    spikes per step x largest weight x most synapses per target. Otherwise it is the Poisson
    estimate of the pooled weights at the mean rate, no more than that sum. Never below the
    largest single weight."""
    if not fan_in:
        return 0.0
    total = sum(f.spikes_per_step * f.weight_max * f.n_connections for f in fan_in)
    biggest = max(f.weight_max for f in fan_in)
    _, delay_var, _ = _combine([(0.0, f.delay_var, f.n_connections) for f in fan_in])
    if delay_var == 0.0:
        return max(total, biggest)
    mean, var, n = _combine([(f.weight_mean, f.weight_var, f.n_connections) for f in fan_in])
    rate, _, _ = _combine([(f.rate, 0.0, f.n_connections) for f in fan_in])
    bound = min(poisson_upper_bound(mean, math.sqrt(var), rate, n, dt), total)
    return max(bound, biggest)


def fan_in_of(net: Network, proj, dt: float) -> FanIn:
    """The :class:`FanIn` of a projection, from its realised synapses (sPyNNaker estimates the
    most synapses per target of a random connector; here the realised count is known)."""
    from scipy import stats

    w = np.abs(proj.weight)
    if proj.plasticity is not None:  # learning may move every weight to the rule's bound
        top = max(abs(proj.plasticity.w_max), abs(proj.plasticity.w_min))
        mean, var, wmax = top, 0.0, top
    else:
        mean = float(w.mean()) if w.size else 0.0
        var = float(w.var()) if w.size else 0.0
        wmax = float(w.max()) if w.size else 0.0
    per_target = np.bincount(proj.post_idx, minlength=net.node(proj.post).size)
    delays = np.asarray(proj.delay, dtype=float)
    pre = net.node(proj.pre)
    steps_per_second = 1000.0 / dt
    rate, per_step = SPIKES_PER_SECOND, max(1.0, SPIKES_PER_SECOND / steps_per_second)
    if isinstance(pre, PoissonSource):  # a rate is a scalar or one per source (validated)
        rate = float(np.max(pre.rate))
        # sPyNNaker's most spikes in a step: the 1 - 1% / n quantile of the Poisson count
        per_step = float(stats.poisson.ppf(1.0 - 0.01 / pre.size, rate / steps_per_second))
    return FanIn(int(per_target.max()) if per_target.size else 0, mean, var, wmax,
                 float(delays.var()) if delays.size else 0.0, rate, per_step)


def ring_buffer_shift(bound: float) -> int:
    """ceil(log2(bound)), one more for an exact power of two, within [0, 16]."""
    if bound <= 0:
        return 0
    s = math.ceil(math.log2(bound))
    if 2.0 ** s == bound:
        s += 1
    return int(min(max(s, 0), 16))


def _quantise(net: Network, machine: Machine):
    groups: dict[tuple[str, str], list] = {}
    for proj in net.projections:
        if proj.receptor not in RECEPTORS:
            raise MappingError(f"projection '{proj.name}': receptor '{proj.receptor}' has no "
                               "SpiNNaker synapse type")
        groups.setdefault((proj.post, proj.receptor), []).append(
            (proj, fan_in_of(net, proj, machine.dt)))
    ring_buffers, w_int, w_eff = {}, {}, {}
    for (pop, receptor), items in groups.items():
        bound = expected_max_input([f for _, f in items], machine.dt)
        s = ring_buffer_shift(bound)
        if s > 15:
            # a slot of up to 65535 shifted left by 16 or more no longer fits the s16.15 input
            raise MappingError(f"the input onto ('{pop}', '{receptor}') may reach {bound:g} nA "
                               "in one step; sPyNNaker's s16.15 synaptic input holds less than "
                               "32768 nA per ring-buffer slot")
        scale = 2.0 ** (15 - s)
        clipped, error = 0, 0.0
        for proj, _ in items:
            q = np.rint(np.abs(proj.weight) * scale)
            clipped += int((q > 0xFFFF).sum())
            q = np.minimum(q, 0xFFFF)
            sign = -1.0 if receptor == "inh" else 1.0
            w_int[proj.name] = (sign * q).astype(np.int64)
            w_eff[proj.name] = sign * q / scale
            if proj.weight.size:
                error = max(error, float(np.abs(np.abs(proj.weight) - q / scale).max()))
        ring_buffers[(pop, receptor)] = RingBuffer(s, scale, bound, error, clipped)
    return ring_buffers, w_int, w_eff


def _delays(net: Network, machine: Machine, slices: list[CoreSlice]):
    on_core: dict[str, int] = {}
    extensions: list[str] = []
    for name in net.nodes:
        ids = _slice_ids(slices, name)
        atoms = max(slices[k].size for k in ids)
        bits = machine.ring_buffer_bits - max(1, math.ceil(math.log2(max(atoms, 2)))) - 1
        on_core[name] = 2 ** max(bits, 0)
    for proj in net.projections:
        steps = np.rint(proj.delay / machine.dt).astype(np.int64)
        if not steps.size:
            continue
        longest = int(steps.max())
        limit = on_core[proj.post]
        total = limit * (1 + machine.delay_extension_slots)
        if longest > total:
            raise MappingError(
                f"projection '{proj.name}': a delay of {longest} steps exceeds the maximum of "
                f"{total} ({limit} on core + {machine.delay_extension_slots} x {limit} in a "
                f"delay extension) for target '{proj.post}', by {longest - total} steps")
        if longest > limit and proj.pre not in extensions:
            extensions.append(proj.pre)
    return on_core, extensions


def _rows_and_memory(net: Network, machine: Machine, slices: list[CoreSlice]):
    rows: dict[str, int] = {}
    sdram: dict[int, int] = {k: 0 for k in range(len(slices))}
    dtcm: dict[int, int] = {}
    for proj in net.projections:
        longest_row = 0
        for k in _slice_ids(slices, proj.post):
            s = slices[k]
            inside = (proj.post_idx >= s.lo) & (proj.post_idx < s.hi)
            if not inside.any():
                continue
            lengths = np.bincount(proj.pre_idx[inside], minlength=net.node(proj.pre).size)
            row = int(lengths.max())
            if row > machine.max_row_length:
                pre = int(lengths.argmax())
                raise MappingError(
                    f"projection '{proj.name}': neuron {pre} of '{proj.pre}' has a synaptic row "
                    f"of {row} synapses onto the slice {s.lo}:{s.hi} of '{proj.post}'; a row holds "
                    f"at most {machine.max_row_length} ({row - machine.max_row_length} too many)")
            longest_row = max(longest_row, row)
            n_rows = int((lengths > 0).sum())
            per_row = (ROW_HEADER_WORDS + row) * 4
            if proj.plasticity is not None:
                per_row += PLASTIC_ROW_EXTRA_BYTES
            sdram[k] += n_rows * per_row
        rows[proj.name] = longest_row
    for k, s in enumerate(slices):
        ring = (1 << machine.ring_buffer_bits) * 2 if s.kind == "neurons" else 0
        dtcm[k] = ring + s.size * NEURON_DTCM_BYTES
        if dtcm[k] > machine.dtcm_bytes:
            raise MappingError(f"core {s.core} of chip {s.chip} ({s.population} {s.lo}:{s.hi}) "
                               f"needs {dtcm[k]} B of DTCM; the core has {machine.dtcm_bytes} B")
    for chip in {s.chip for s in slices}:
        used = sum(sdram[k] for k, s in enumerate(slices) if s.chip == chip)
        if used > machine.sdram_bytes_per_chip:
            raise MappingError(f"chip {chip} needs {used} B of SDRAM for synaptic matrices; it "
                               f"has {machine.sdram_bytes_per_chip} B")
    return rows, sdram, dtcm


_LINKS = {(1, 0): "E", (-1, 0): "W", (0, 1): "N", (0, -1): "S"}


def _path(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[tuple[int, int], str]]:
    """(chip, outgoing link) along the X-then-Y route from a to b (b itself excluded)."""
    out = []
    x, y = a
    while x != b[0]:
        step = 1 if b[0] > x else -1
        out.append(((x, y), _LINKS[(step, 0)]))
        x += step
    while y != b[1]:
        step = 1 if b[1] > y else -1
        out.append(((x, y), _LINKS[(0, step)]))
        y += step
    return out


_OPPOSITE = {"E": "W", "W": "E", "N": "S", "S": "N"}


def _routing(net: Network, machine: Machine, slices: list[CoreSlice],
             keys: dict[int, tuple[int, int]]):
    tables: dict[tuple[int, int], list[tuple[int, int, frozenset[str]]]] = {}
    for k, (key, mask) in keys.items():
        src = slices[k]
        routes: dict[tuple[int, int], set[str]] = {}
        arrive: dict[tuple[int, int], str] = {}
        for proj in net.projections:
            if proj.pre != src.population:
                continue
            mine = (proj.pre_idx >= src.lo) & (proj.pre_idx < src.hi)
            if not mine.any():
                continue
            posts = proj.post_idx[mine]
            for t in _slice_ids(slices, proj.post):
                dst = slices[t]
                if not ((posts >= dst.lo) & (posts < dst.hi)).any():
                    continue
                for chip, link in _path(src.chip, dst.chip):
                    routes.setdefault(chip, set()).add(link)
                    nxt = (chip[0] + (link == "E") - (link == "W"),
                           chip[1] + (link == "N") - (link == "S"))
                    arrive.setdefault(nxt, _OPPOSITE[link])
                routes.setdefault(dst.chip, set()).add(f"core{dst.core}")
        for chip, route in routes.items():
            straight = (chip != src.chip and len(route) == 1 and chip in arrive
                        and next(iter(route)) == _OPPOSITE[arrive[chip]])
            if not straight:  # a straight pass-through is routed by default, without an entry
                tables.setdefault(chip, []).append((key, mask, frozenset(route)))
    before = {chip: len(e) for chip, e in tables.items()}
    compressed = {chip: compress(e) for chip, e in tables.items()}
    for chip, entries in compressed.items():
        if len(entries) > machine.router_entries:
            raise MappingError(f"chip {chip} needs {len(entries)} router entries after "
                               f"compression ({before[chip]} before); its router holds "
                               f"{machine.router_entries} ({len(entries) - machine.router_entries}"
                               " too many)")
    return compressed, before


def compress(entries: list[tuple[int, int, frozenset[str]]]) -> list[tuple[int, int, frozenset[str]]]:
    """Merge entries with the same route whose keys differ in one bit under the same mask (the
    merged entry matches exactly the keys of the two), until none merge."""
    by_route: dict[frozenset[str], set[tuple[int, int]]] = {}
    for key, mask, route in entries:
        by_route.setdefault(route, set()).add((key, mask))
    out = []
    for route, group in by_route.items():
        merged = True
        while merged:
            merged = False
            items = sorted(group)
            seen = set()
            for i, (k1, m1) in enumerate(items):
                for k2, m2 in items[i + 1:]:
                    diff = k1 ^ k2
                    if m1 == m2 and diff and diff & (diff - 1) == 0 and diff & m1 \
                            and (k1, m1) not in seen and (k2, m2) not in seen:
                        seen |= {(k1, m1), (k2, m2)}
                        group -= {(k1, m1), (k2, m2)}
                        group.add((k1 & ~diff, m1 & ~diff))
                        merged = True
                        break
        out += [(k, m, route) for k, m in sorted(group)]
    return out


__all__ = ["CoreSlice", "Mapping", "MappingError", "RingBuffer", "compress",
           "expected_max_input", "map_network", "ring_buffer_shift"]
