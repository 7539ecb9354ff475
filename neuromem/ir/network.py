"""``neuromem.Network``: the graph every model is written as and every backend compiles."""

from __future__ import annotations

import os
from typing import Any

import networkx as nx
import numpy as np

from neuromem.errors import FileFormatError, ValidationError
from neuromem.ir.connectivity import Connector
from neuromem.ir.nodes import Node
from neuromem.ir.plasticity import Rule
from neuromem.ir.projection import Projection, sort_synapses
from neuromem.ir.registry import from_dict as registry_from_dict
from neuromem.ir.validate import post_size
from neuromem.ir.validate import validate as _validate
from neuromem.ir.values import DISTRIBUTIONS, Value, realise
from neuromem.scalars import is_positive_number

NETWORK_FORMAT_VERSION = 1


def _check_storable(name: str, **where: str) -> None:
    """Node and projection names are HDF5 group names in saved networks and recordings, where
    '/' nests and '.' is the group itself."""
    if not isinstance(name, str) or not name:
        raise ValidationError("a name must be a non-empty string", field="name", **where)
    if "/" in name or "\x00" in name or name == ".":
        kind = "node" if "node" in where else "projection"
        raise ValidationError(f"a {kind} name may not contain '/' or NUL, nor be '.'",
                              field="name", **where)


class Network:
    """Populations (nodes) and projections (named edges) over a ``networkx.MultiDiGraph``.

    >>> net = Network(dt=0.1)
    >>> net.add("src", SpikeArray.from_trains([[1.0], [2.0]]))
    >>> net.add("cells", LIF(2, tau_refrac=2.0))
    >>> net.connect("src", "cells", one_to_one(), weight=5.0, delay=1.0)

    Node order and projection order are the insertion order, and they fix the order in which
    backends process populations and projections (and therefore floating-point summation order).
    """

    def __init__(self, name: str = "network", dt: float = 0.1) -> None:
        self.name = name
        if not is_positive_number(dt):
            raise ValidationError(f"dt must be a positive number of ms, got {dt!r}", field="dt")
        self.dt = float(dt)
        self.graph = nx.MultiDiGraph(name=name)

    # -- building -------------------------------------------------------------------------
    def add(self, name: str, node: Node) -> str:
        """Add population ``name``; returns the name, the handle used by ``connect``."""
        _check_storable(name, node=str(name))
        if name in self.graph:
            raise ValidationError("duplicate node name", node=name, field="name")
        self.graph.add_node(name, node=node)
        return name

    def connect(self, pre: str, post: str, connector: Connector, weight: Value = 1.0,
                delay: Value | None = None, receptor: str = "exc", name: str | None = None,
                seed: int = 0, plasticity: Rule | None = None) -> Projection:
        """Add a projection realised from ``connector``; weights and delays may be scalars,
        per-synapse arrays, (n_pre, n_post) matrices, or distributions drawn from ``seed``.
        ``delay`` defaults to one step. ``plasticity`` attaches a learning rule (the weights
        are then the initial weights). With ``receptor="dend"`` the post side is the segments
        of a DendriticLIF population (``cells * segments`` of them)."""
        name = name or f"{pre}->{post}#{self.graph.number_of_edges()}"
        _check_storable(name, edge=name)
        for end, ref in (("pre", pre), ("post", post)):
            if ref not in self.graph:
                raise ValidationError(f"dangling edge: no node named '{ref}'", edge=name,
                                      field=end)
        if any(k == name for _, _, k in self.graph.edges(keys=True)):
            raise ValidationError("duplicate projection name", edge=name, field="name")
        if not isinstance(connector, Connector):
            raise ValidationError(f"the connector must be one of neuromem's (one_to_one(), "
                                  f"all_to_all(), fixed_probability(p), from_list(pairs), ...), "
                                  f"got {connector!r}", edge=name, field="connector")
        n_pre, n_post = self.node(pre).size, post_size(self.node(post), receptor)
        try:
            pre_idx, post_idx = connector.build(n_pre, n_post, pre == post)
        except ValueError as exc:
            raise ValidationError(str(exc), edge=name, field="connector") from None
        for fld, idx, n in (("pre_idx", pre_idx, n_pre), ("post_idx", post_idx, n_post)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise ValidationError(f"index out of range [0, {n})", edge=name, field=fld)
        rng = np.random.default_rng(seed)
        weights = self._per_synapse(weight, pre_idx, post_idx, n_pre, n_post, rng, name, "weight")
        delays = self._per_synapse(self.dt if delay is None else delay, pre_idx, post_idx,
                                   n_pre, n_post, rng, name, "delay")
        pre_idx, post_idx, weights, delays = sort_synapses(pre_idx, post_idx, weights, delays)
        proj = Projection(name, pre, post, receptor, pre_idx, post_idx, weights, delays,
                          connector, plasticity)
        self.add_projection(proj)
        return proj

    def add_projection(self, proj: Projection) -> Projection:
        """Add an already realised projection (as loaders do)."""
        # networkx would silently create a missing end node, or replace an edge of the same key
        for end in ("pre", "post"):
            if getattr(proj, end) not in self.graph:
                raise ValidationError(f"dangling edge: no node named '{getattr(proj, end)}'",
                                      edge=proj.name, field=end)
        if any(k == proj.name for _, _, k in self.graph.edges(keys=True)):
            raise ValidationError("duplicate projection name", edge=proj.name, field="name")
        self.graph.add_edge(proj.pre, proj.post, key=proj.name, projection=proj,
                            order=self.graph.number_of_edges())
        return proj

    @staticmethod
    def _per_synapse(value: Value, pre_idx: np.ndarray, post_idx: np.ndarray, n_pre: int,
                     n_post: int, rng: np.random.Generator, edge: str, fld: str) -> np.ndarray:
        n = pre_idx.shape[0]
        if isinstance(value, DISTRIBUTIONS):
            problem = value.problem()
            if problem is not None:
                raise ValidationError(problem, edge=edge, field=fld)
            return realise(value, n, rng)
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 2:
            if arr.shape != (n_pre, n_post):
                raise ValidationError(f"matrix of shape {arr.shape}, expected {(n_pre, n_post)}",
                                      edge=edge, field=fld)
            return arr[pre_idx, post_idx]
        try:
            return realise(arr, n)
        except ValueError as exc:
            raise ValidationError(f"shape mismatch: {exc}", edge=edge, field=fld) from None

    # -- access ---------------------------------------------------------------------------
    def node(self, name: str) -> Node:
        try:
            return self.graph.nodes[name]["node"]
        except KeyError:
            raise KeyError(f"no node named '{name}'") from None

    @property
    def nodes(self) -> dict[str, Node]:
        """Populations by name, in insertion order."""
        return {n: d.get("node") for n, d in self.graph.nodes(data=True)}

    @property
    def projections(self) -> list[Projection]:
        """Projections in insertion order."""
        # networkx lists edges grouped by source node; the insertion order is kept on each edge
        edges = sorted(self.graph.edges(data=True), key=lambda e: e[2].get("order", 0))
        return [d["projection"] for _, _, d in edges]

    def projection(self, name: str) -> Projection:
        for p in self.projections:
            if p.name == name:
                return p
        raise KeyError(f"no projection named '{name}'")

    # -- checks ---------------------------------------------------------------------------
    def validate(self, dt: float | None = None) -> None:
        """Raise a ValidationError naming the node or edge and field at fault, if any."""
        _validate(self, self.dt if dt is None else dt)

    def summary(self) -> str:
        lines = [f"Network '{self.name}' (dt = {self.dt} ms)"]
        for name, node in self.nodes.items():
            lines.append(f"  node {name}: {type(node).__name__} x {getattr(node, 'size', '?')}")
        for p in self.projections:
            rule = f", {p.plasticity.type_name}" if p.plasticity is not None else ""
            lines.append(f"  edge {p.name}: {p.pre} -> {p.post} ({p.receptor}{rule}), "
                         f"{p.n_synapses} synapses")
        return "\n".join(lines)

    __str__ = summary

    def __repr__(self) -> str:
        return (f"Network(name={self.name!r}, nodes={len(self.graph)}, "
                f"projections={self.graph.number_of_edges()}, dt={self.dt})")

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dt": self.dt,
                "nodes": {n: node.to_dict() for n, node in self.nodes.items()},
                "node_order": np.array(list(self.nodes), dtype=object).astype(str),
                "projections": [p.to_dict() for p in self.projections]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Network":
        net = cls(str(d["name"]), float(d["dt"]))
        order = [s.decode() if isinstance(s, bytes) else str(s)
                 for s in np.atleast_1d(d.get("node_order", list(d["nodes"])))]
        for name in order:
            net.add(name, registry_from_dict(d["nodes"][name], where=name))
        for pd in d.get("projections", []) or []:
            net.add_projection(Projection.from_dict(pd))
        return net

    def save(self, path: str | os.PathLike) -> None:
        """Write the network to HDF5 (atomically; format version in the file)."""
        from neuromem.h5io import atomic_write, write_dict

        atomic_write(path, "network", NETWORK_FORMAT_VERSION,
                     lambda f: write_dict(f, self.to_dict()))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Network":
        """Read a network written by :meth:`save`; FileFormatError if the file is not one."""
        from neuromem.h5io import open_checked, read_dict

        with open_checked(path, "network", NETWORK_FORMAT_VERSION) as f:
            data = read_dict(f)
            try:
                net = cls.from_dict(data)
            except ValidationError as exc:
                raise FileFormatError(f"{path}: invalid network ({exc})") from None
            # save() writes every entry: one that from_dict had to default is a damaged file
            missing = _missing_entries(net.to_dict(), data)
            if missing:
                raise FileFormatError(f"{path}: corrupt or incomplete network file (missing "
                                      f"{', '.join(missing[:5])})")
            return net


def _missing_entries(expected: Any, found: Any, where: str = "") -> list[str]:
    """Paths of the entries of ``expected`` (a dict or list tree) that ``found`` lacks."""
    if isinstance(expected, dict) and isinstance(found, dict):
        out = [f"{where}/{k}" for k in expected if k not in found]
        for k in expected:
            if k in found:
                out += _missing_entries(expected[k], found[k], f"{where}/{k}")
        return out
    if isinstance(expected, list) and isinstance(found, list):
        return [m for k, (e, f) in enumerate(zip(expected, found))
                for m in _missing_entries(e, f, f"{where}/{k}")]
    return []
