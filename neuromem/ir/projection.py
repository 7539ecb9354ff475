"""Projections: the edges of the graph, with their synapses realised as arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neuromem.ir.connectivity import Connector
from neuromem.ir.plasticity import Rule
from neuromem.ir.registry import from_dict as registry_from_dict

#: "dend" ends on the dendritic segments of a DendriticLIF population (post_idx = segment index)
RECEPTORS = ("exc", "inh", "dend")


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from population ``pre`` to population ``post`` onto one receptor.

    ``pre_idx[k] -> post_idx[k]`` with ``weight[k]`` (nA, signed, added to the receptor's current)
    and ``delay[k]`` (ms, a whole number of steps, at least one). Synapses are kept sorted by
    pre then post index. ``connector`` records how they were built (for reports and export).
    ``plasticity`` is the learning rule of the synapses (:mod:`neuromem.ir.plasticity`), or None:
    then ``weight`` is the initial weight of every synapse.
    """

    name: str
    pre: str
    post: str
    receptor: str
    pre_idx: np.ndarray
    post_idx: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    connector: Connector | None = None
    plasticity: Rule | None = None

    @property
    def n_synapses(self) -> int:
        return int(self.pre_idx.shape[0])

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "pre": self.pre, "post": self.post,
                             "receptor": self.receptor, "pre_idx": self.pre_idx,
                             "post_idx": self.post_idx, "weight": self.weight,
                             "delay": self.delay}
        if self.connector is not None:
            d["connector"] = self.connector.to_dict()
        if self.plasticity is not None:
            d["plasticity"] = self.plasticity.to_dict()
        return d

    @property
    def is_plastic(self) -> bool:
        return self.plasticity is not None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Projection":
        conn = d.get("connector")
        rule = d.get("plasticity")
        return cls(str(d["name"]), str(d["pre"]), str(d["post"]), str(d["receptor"]),
                   np.asarray(d["pre_idx"], dtype=np.int64),
                   np.asarray(d["post_idx"], dtype=np.int64),
                   np.asarray(d["weight"], dtype=np.float64),
                   np.asarray(d["delay"], dtype=np.float64),
                   registry_from_dict(conn, where=str(d["name"])) if conn is not None else None,
                   registry_from_dict(rule, where=str(d["name"])) if rule is not None else None)


def sort_synapses(pre: np.ndarray, post: np.ndarray, *arrays: np.ndarray):
    """Stable sort of synapses by (pre, post); returns the sorted pre, post and arrays."""
    order = np.lexsort((post, pre))
    return (pre[order], post[order]) + tuple(a[order] for a in arrays)
