"""Connectivity builders: each realises (pre, post) index arrays for a projection.

A builder is data (registered, serialisable) and is realised once, when the projection is added to
the network, so that every backend and every file sees the very same synapses. Random builders take
a seed. The realised synapses are sorted by presynaptic then postsynaptic index (stable), the order
in which every backend delivers a spike's synapses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuromem.errors import ValidationError
from neuromem.ir.registry import register


class Connector:
    """Base: ``build(n_pre, n_post, same_population) -> (pre, post)`` int64 arrays."""

    type_name: str

    def build(self, n_pre: int, n_post: int, same_population: bool) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, **self.__dict__}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Connector":
        return cls(**{k: v for k, v in d.items() if k != "type"})


@register("OneToOne")
@dataclass(frozen=True)
class OneToOne(Connector):
    """Neuron i to neuron i; the populations must have the same size."""

    def build(self, n_pre, n_post, same_population):
        if n_pre != n_post:
            raise ValueError(f"one-to-one needs equal sizes, got {n_pre} and {n_post}")
        idx = np.arange(n_pre, dtype=np.int64)
        return idx, idx.copy()


@register("AllToAll")
@dataclass(frozen=True)
class AllToAll(Connector):
    """Every pre to every post; ``allow_self=False`` drops i->i when pre and post are one population."""

    allow_self: bool = True

    def build(self, n_pre, n_post, same_population):
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        if same_population and not self.allow_self:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post


@register("FixedProbability")
@dataclass(frozen=True)
class FixedProbability(Connector):
    """Each (pre, post) pair independently with probability ``p``, drawn from ``seed``.

    Optional ``pre_range``/``post_range`` ([start, stop)) restrict the candidate pairs, as Brian2's
    ``connect('i<3200', p=...)`` does.
    """

    p: float
    seed: int = 0
    allow_self: bool = True
    pre_range: tuple[int, int] | None = None
    post_range: tuple[int, int] | None = None

    def build(self, n_pre, n_post, same_population):
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.p}")
        pre_lo, pre_hi = self.pre_range if self.pre_range is not None else (0, n_pre)
        post_lo, post_hi = self.post_range if self.post_range is not None else (0, n_post)
        if not (0 <= pre_lo <= pre_hi <= n_pre and 0 <= post_lo <= post_hi <= n_post):
            raise ValueError(f"ranges {self.pre_range}, {self.post_range} outside sizes "
                             f"{n_pre}, {n_post}")
        rows, cols = pre_hi - pre_lo, post_hi - post_lo
        total = rows * cols
        rng = np.random.default_rng(self.seed)
        if total == 0 or self.p == 0.0:
            flat = np.zeros(0, dtype=np.int64)
        elif self.p == 1.0:
            flat = np.arange(total, dtype=np.int64)
        else:
            # A Bernoulli process over the flattened pairs, by geometric gaps: memory in the
            # number of synapses, not in n_pre * n_post.
            chunks, pos = [], -1
            expected = int(total * self.p) + 16
            while True:
                # A gap beyond the end ends the process: clipping it changes no synapse, and keeps
                # cumsum from overflowing int64 (tiny p draws gaps near 2**63, which wrapped round
                # to negative positions and looped forever).
                gaps = np.minimum(rng.geometric(self.p, size=max(expected, 1024)), total + 1)
                positions = pos + np.cumsum(gaps)
                chunks.append(positions[positions < total])
                if positions[-1] >= total:
                    break
                pos = int(positions[-1])
            flat = np.concatenate(chunks).astype(np.int64)
        pre = flat // cols + pre_lo if cols else flat
        post = flat % cols + post_lo if cols else flat
        if same_population and not self.allow_self:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post

    def to_dict(self) -> dict[str, Any]:
        d = {"type": self.type_name, "p": float(self.p), "seed": int(self.seed),
             "allow_self": bool(self.allow_self)}
        if self.pre_range is not None:
            d["pre_range"] = np.asarray(self.pre_range, dtype=np.int64)
        if self.post_range is not None:
            d["post_range"] = np.asarray(self.post_range, dtype=np.int64)
        return d

    @classmethod
    def from_dict(cls, d):
        rng = {k: tuple(int(x) for x in d[k]) for k in ("pre_range", "post_range") if k in d}
        return cls(float(d["p"]), int(d["seed"]), bool(d["allow_self"]), **rng)


@register("FromList")
@dataclass(frozen=True, eq=False)
class FromList(Connector):
    """Explicit synapses: ``pre[k] -> post[k]``. Multapses (repeated pairs) are allowed."""

    pre: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    post: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def build(self, n_pre, n_post, same_population):
        return (np.asarray(self.pre, dtype=np.int64).reshape(-1),
                np.asarray(self.post, dtype=np.int64).reshape(-1))

    @classmethod
    def from_pairs(cls, pairs) -> "FromList":
        """(pre, post) index pairs: an (n, 2) array-like of whole numbers. PyNN-style rows with
        a weight and a delay are refused (give those to ``connect``), never read as pairs."""
        arr = np.asarray(pairs)
        if arr.size == 0:
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValidationError(f"from_list takes (pre, post) pairs, an (n, 2) array; got shape "
                                  f"{arr.shape} (weights and delays go to connect(weight=..., "
                                  "delay=...))", field="pairs")
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) \
                or not np.array_equal(arr, np.rint(arr)):
            raise ValidationError("from_list pairs must be whole-number neuron indices, got "
                                  f"{arr.dtype} values such as {arr.reshape(-1)[0]!r}",
                                  field="pairs")
        arr = arr.astype(np.int64)
        return cls(arr[:, 0].copy(), arr[:, 1].copy())


def from_matrix(matrix) -> tuple[FromList, np.ndarray]:
    """A connector and per-synapse weights from a dense or scipy.sparse (n_pre, n_post) matrix.

    Every stored (non-zero, for dense input) entry becomes a synapse with that weight.
    """
    import scipy.sparse as sp

    coo = sp.coo_array(matrix) if sp.issparse(matrix) else sp.coo_array(np.asarray(matrix))
    return FromList(coo.row.astype(np.int64), coo.col.astype(np.int64)), coo.data.astype(np.float64)


# Short builder names, as users of PyNN and Brian2 expect to write them.
def one_to_one() -> OneToOne:
    return OneToOne()


def all_to_all(allow_self: bool = True) -> AllToAll:
    return AllToAll(allow_self)


def fixed_probability(p: float, seed: int = 0, allow_self: bool = True,
                      pre_range: tuple[int, int] | None = None,
                      post_range: tuple[int, int] | None = None) -> FixedProbability:
    return FixedProbability(p, seed, allow_self, pre_range, post_range)


def from_list(pairs) -> FromList:
    return FromList.from_pairs(pairs)
