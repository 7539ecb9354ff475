"""Graph validation: every problem found before any backend runs, each naming where it is."""

from __future__ import annotations

import numpy as np

from neuromem.errors import ValidationError
from neuromem.ir.nodes import LIF, Astrocyte, DendriticLIF, Node, PoissonSource, SpikeArray
from neuromem.ir.plasticity import AstroSTDP, Rule
from neuromem.ir.projection import RECEPTORS, Projection
from neuromem.ir.registry import registered_types
from neuromem.ir.values import DISTRIBUTIONS
from neuromem.scalars import is_int
from neuromem.units import is_on_grid, steps_of


def problems(net, dt: float) -> list[ValidationError]:
    """Every problem of ``net`` at time step ``dt`` (ms); empty when it can run."""
    found: list[ValidationError] = []
    if not (isinstance(dt, (int, float)) and np.isfinite(dt) and dt > 0):
        found.append(ValidationError(f"time step must be a positive finite number, got {dt!r}",
                                     field="dt"))
        return found
    known = set(registered_types().values())
    for name, node in net.graph.nodes(data="node"):
        if node is None and net.graph.degree(name) > 0:
            continue  # created by networkx for an edge's missing end: reported as a dangling edge
        if node is None or type(node) not in known or not isinstance(node, Node):
            found.append(ValidationError(f"unknown node type {type(node).__name__}", node=name,
                                         field="type"))
            continue
        found.extend(node_problems(name, node, dt))
        if isinstance(node, Astrocyte):
            found.extend(_astrocyte_input_problems(net, name, node))
    seen: set[str] = set()
    for _pre, _post, key, proj in net.graph.edges(keys=True, data="projection"):
        if key in seen:
            found.append(ValidationError("duplicate projection name", edge=key, field="name"))
        seen.add(key)
        found.extend(_edge_problems(net, key, proj, dt))
    return found


def validate(net, dt: float) -> None:
    """Raise the first problem (listing how many more there are), or return None."""
    found = problems(net, dt)
    if found:
        first = found[0]
        if len(found) > 1:
            rest = "; ".join(str(p) for p in found[1:6])
            more = f" (and {len(found) - 1} more: {rest}{' ...' if len(found) > 6 else ''})"
            err = ValidationError(str(first) + more)
            # still name the place of the first problem, as a single one would
            err.node, err.edge, err.field = first.node, first.edge, first.field
            raise err from None
        raise first


def node_problems(name: str, node: Node, dt: float) -> list[ValidationError]:
    out: list[ValidationError] = []

    def bad(msg: str, fld: str) -> None:
        out.append(ValidationError(msg, node=name, field=fld))

    if not is_int(node.size) or node.size <= 0:
        bad(f"size must be a positive integer, got {node.size!r}", "size")
        return out
    for fld in node.PARAMS:
        value = getattr(node, fld)
        if isinstance(value, DISTRIBUTIONS):
            if fld not in node.DISTRIBUTED:
                bad(f"cannot be a distribution (only {', '.join(node.DISTRIBUTED) or 'none'} "
                    f"of {type(node).__name__} can)", fld)
                continue
            problem = value.problem()
            if problem is not None:
                bad(problem, fld)
            continue
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape[0] != node.size):
            bad(f"shape mismatch: expected a scalar or {node.size} values, got shape {arr.shape}",
                fld)
            continue
        if not np.isfinite(arr).all():
            bad("NaN or infinite value", fld)
            continue
        if fld in node.POSITIVE and (arr <= 0).any():
            bad(f"must be > 0, got {arr.min()}", fld)
        if fld in node.NON_NEGATIVE and (arr < 0).any():
            bad(f"must be >= 0, got {arr.min()}", fld)
    if isinstance(node, LIF):
        if node.reset not in LIF.RESET_MODES:
            bad(f"reset must be one of {LIF.RESET_MODES}, got {node.reset!r}", "reset")
        ref = np.asarray(node.tau_refrac, dtype=np.float64)
        if np.isfinite(ref).all() and not is_on_grid(ref, dt).all():
            bad(f"refractory period must be a whole number of steps of {dt} ms", "tau_refrac")
        if isinstance(node, DendriticLIF):
            out.extend(_segment_problems(name, node, dt))
    elif isinstance(node, Astrocyte):
        if node.size != 1:
            bad(f"an astrocyte is one global integrator: size must be 1, got {node.size}", "size")
        for fld in ("tau", "bias", "init", "w_scale", "decay"):
            value = getattr(node, fld)
            if not (_finite_number(value)):
                bad(f"must be a finite number, got {value!r}", fld)
            elif fld in ("tau", "decay") and value <= 0:
                bad(f"must be > 0, got {value}", fld)
    elif isinstance(node, SpikeArray):
        if node.times.shape != node.indices.shape:
            bad(f"times {node.times.shape} and indices {node.indices.shape} differ in shape",
                "indices")
        elif node.indices.size:
            if node.indices.min() < 0 or node.indices.max() >= node.size:
                bad(f"index out of range [0, {node.size})", "indices")
            if not np.isfinite(node.times).all():
                bad("NaN or infinite spike time", "times")
            elif node.times.min() < 0:
                bad("negative spike time", "times")
            elif not is_on_grid(node.times, dt).all():
                bad(f"spike times must lie on the {dt} ms step grid", "times")
            else:
                keys = steps_of(node.times, dt) * node.size + node.indices
                if np.unique(keys).size != keys.size:
                    bad("a neuron spikes twice in one step", "times")
    elif isinstance(node, PoissonSource):
        rate = node.rate
        if not isinstance(rate, DISTRIBUTIONS) and np.isfinite(rate).all() \
                and (np.asarray(rate) * dt / 1000.0 > 1.0).any():
            bad(f"rate * dt exceeds one spike per step at dt={dt} ms", "rate")
        if not (np.isfinite(node.start) and node.start >= 0) or np.isnan(node.stop) \
                or node.stop < node.start:
            bad(f"need 0 <= start <= stop, got start={node.start}, stop={node.stop}", "start")
    return out


def _finite_number(value) -> bool:
    """A plain finite number (scalar fields of segments, astrocytes and rules)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and bool(np.isfinite(value))


def _segment_problems(name: str, node: DendriticLIF, dt: float) -> list[ValidationError]:
    out: list[ValidationError] = []

    def bad(msg: str, fld: str) -> None:
        out.append(ValidationError(msg, node=name, field=fld))

    if not isinstance(node.segments, (int, np.integer)) or node.segments < 1:
        bad(f"segments per cell must be a positive integer, got {node.segments!r}", "segments")
    for fld in ("theta", "window", "plateau", "v_plateau"):
        value = getattr(node, fld)
        if not (_finite_number(value)):
            bad(f"must be a finite number, got {value!r}", fld)
            continue
        if fld == "theta" and value <= 0:
            bad(f"segment threshold must be > 0, got {value}", fld)
        if fld == "window" and value < dt * (1 - 1e-9):
            bad(f"coincidence window {value} ms is shorter than one step ({dt} ms)", fld)
        if fld == "plateau" and value < 0:
            bad(f"must be >= 0, got {value}", fld)
        if fld in ("window", "plateau") and not is_on_grid(value, dt):
            bad(f"must be a whole number of steps of {dt} ms, got {value}", fld)
    return out


def _astrocyte_input_problems(net, name: str, node: Astrocyte) -> list[ValidationError]:
    out: list[ValidationError] = []
    nodes = net.nodes
    for pop, weight in node.inputs.items():
        target = nodes.get(pop)
        if target is None:
            out.append(ValidationError(f"input population '{pop}' does not exist", node=name,
                                       field="inputs"))
            continue
        if isinstance(target, Astrocyte):
            out.append(ValidationError(f"input '{pop}' is an astrocyte, not a population",
                                       node=name, field="inputs"))
            continue
        arr = np.asarray(weight, dtype=np.float64)
        if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape[0] != target.size):
            out.append(ValidationError(f"weights of input '{pop}': expected a scalar or "
                                       f"{target.size} values, got shape {arr.shape}",
                                       node=name, field="inputs"))
        elif not np.isfinite(arr).all():
            out.append(ValidationError(f"weights of input '{pop}': NaN or infinite value",
                                       node=name, field="inputs"))
    return out


def _rule_problems(net, key: str, proj: Projection) -> list[ValidationError]:
    rule = proj.plasticity
    out: list[ValidationError] = []

    def bad(msg: str, fld: str) -> None:
        out.append(ValidationError(f"{type(rule).__name__}: {msg}", edge=key,
                                   field=f"plasticity.{fld}"))

    if not isinstance(rule, Rule) or type(rule) not in set(registered_types().values()):
        out.append(ValidationError(f"unknown plasticity rule {type(rule).__name__}", edge=key,
                                   field="plasticity"))
        return out
    if proj.receptor == "dend":
        bad("dendritic-segment synapses are not plastic in this version", "type")
    for fld in rule.numeric_fields():
        value = getattr(rule, fld)
        if not (_finite_number(value)):
            bad(f"must be a finite number, got {value!r}", fld)
        elif fld in rule.POSITIVE and value <= 0:
            bad(f"must be > 0, got {value}", fld)
        elif fld in rule.NON_NEGATIVE and value < 0:
            bad(f"must be >= 0, got {value}", fld)
    for fld, allowed in rule.CHOICES.items():
        if getattr(rule, fld) not in allowed:
            bad(f"must be one of {allowed}, got {getattr(rule, fld)!r}", fld)
    if out:
        return out
    w_min, w_max = rule.w_min, rule.w_max
    if w_min > w_max:
        bad(f"w_min {w_min} exceeds w_max {w_max}", "w_min")
    elif proj.weight.size and ((proj.weight < w_min).any() or (proj.weight > w_max).any()):
        bad(f"initial weights span [{proj.weight.min()}, {proj.weight.max()}], outside the "
            f"bounds [{w_min}, {w_max}]", "w_min" if (proj.weight < w_min).any() else "w_max")
    if isinstance(rule, AstroSTDP):
        target = net.nodes.get(rule.astrocyte)
        if not isinstance(target, Astrocyte):
            bad(f"astrocyte '{rule.astrocyte}' is not an Astrocyte node of the network",
                "astrocyte")
    return out


def _edge_problems(net, key: str, proj: Projection | None, dt: float) -> list[ValidationError]:
    out: list[ValidationError] = []

    def bad(msg: str, fld: str) -> None:
        out.append(ValidationError(msg, edge=key, field=fld))

    if not isinstance(proj, Projection):
        bad(f"edge data is not a Projection ({type(proj).__name__})", "projection")
        return out
    nodes = net.graph.nodes
    for end in ("pre", "post"):
        ref = getattr(proj, end)
        if ref not in nodes or nodes[ref].get("node") is None:
            bad(f"dangling edge: no node named '{ref}'", end)
    if out:
        return out
    pre, post = nodes[proj.pre]["node"], nodes[proj.post]["node"]
    if post.is_source:
        bad(f"target '{proj.post}' is a source ({post.type_name}) and has no synapses", "post")
    for end, node in (("pre", pre), ("post", post)):
        if isinstance(node, Astrocyte):
            bad(f"'{getattr(proj, end)}' is an astrocyte: it takes populations in its 'inputs', "
                "not projections", end)
    if proj.receptor not in RECEPTORS:
        bad(f"receptor must be one of {RECEPTORS}, got {proj.receptor!r}", "receptor")
    elif proj.receptor == "dend" and not isinstance(post, DendriticLIF):
        bad(f"receptor 'dend' needs a DendriticLIF target, '{proj.post}' is "
            f"{type(post).__name__}", "receptor")
    n = proj.pre_idx.shape
    for fld in ("post_idx", "weight", "delay"):
        if getattr(proj, fld).shape != n:
            bad(f"shape mismatch: {getattr(proj, fld).shape} against pre_idx {n}", fld)
    if out:
        return out
    if n[0]:
        if proj.pre_idx.min() < 0 or proj.pre_idx.max() >= _size(pre):
            bad(f"index out of range [0, {_size(pre)}) of '{proj.pre}'", "pre_idx")
        n_post = post_size(post, proj.receptor)
        if proj.post_idx.min() < 0 or proj.post_idx.max() >= n_post:
            bad(f"index out of range [0, {n_post}) of '{proj.post}'", "post_idx")
        if not np.isfinite(proj.weight).all():
            bad("NaN or infinite weight", "weight")
        if not np.isfinite(proj.delay).all():
            bad("NaN or infinite delay", "delay")
        elif proj.delay.min() < dt * (1 - 1e-9):
            bad(f"delay {proj.delay.min()} ms is shorter than one step ({dt} ms)", "delay")
        elif not is_on_grid(proj.delay, dt).all():
            bad(f"delay is not a whole number of steps of {dt} ms", "delay")
    if proj.plasticity is not None and not out:
        out.extend(_rule_problems(net, key, proj))
    return out


def post_size(node, receptor: str) -> int:
    """Number of targets a projection onto ``node`` through ``receptor`` indexes."""
    if receptor == "dend" and isinstance(node, DendriticLIF):
        return node.n_segments
    return _size(node)


def _size(node) -> int:
    """A node's size for index checks; one that is not an integer counts as 0 (the node's own
    checks report it)."""
    size = getattr(node, "size", 0)
    return int(size) if is_int(size) else 0
