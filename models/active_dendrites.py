"""Active dendrites on sparse distributed representations: exact theory and binary simulation.

S. Ahmad and J. Hawkins (2016), "How do neurons operate on sparse distributed representations? A
mathematical theory of sparsity, neurons and active dendrites", arXiv:1601.00720. The formulas follow
the spec (``shared/specs/active_dendrites.md`` §2.2), which takes them from Numenta's
``sdr_math_neuron_paper.ipynb`` and ``sdr_paper_unions.py``.

Model (binary, static recognition, no learning). A presynaptic population has ``n`` cells, of which an
input pattern makes ``a`` active. A dendritic segment holds ``s`` synapses, formed by subsampling ``s`` of
the ``a`` active cells of a prototype pattern. The segment matches an input (an NMDA spike) when at least
``theta`` of its synapses see active cells (Eq. 1). This module holds:

* the exact theory, computed with Python integers and exact fractions, so that rates as small as
  1e-40 keep full relative precision: :func:`p_false_positive` (Eq. 4), :func:`p_false_negative`
  (Eq. 5/6), :func:`p_population` and :func:`population_bound` (Eq. 8/9), :func:`union_zero_fraction`
  (Eq. 11), :func:`union_size` (Eq. 13), :func:`p_union_false_positive` (the paper's approximation) and
  :func:`p_union_false_positive_exact` (the expectation over the random union size);
* a vectorised Monte Carlo of binary segments: :func:`simulate_false_positive`,
  :func:`simulate_false_negative`, :func:`simulate_union_false_positive`, with the helpers
  :func:`random_patterns`, :func:`subsample`, :func:`add_noise` and :func:`overlap`;
* spiking segments that make the same decisions (spec acceptance test 6):
  :func:`spiking_segment_network` builds a neuromem graph (a SpikeArray of the input cells,
  DendriticLIF cells whose segments receive unit-weight "dend" projections, threshold theta) that
  tests segments against one input pattern per step, in many independent groups at once;
  :func:`run_spiking_segments` runs it on torch or Brian2 and reads each cell's predictive state
  (the backend's own dendritic event); :func:`simulate_false_positive_spiking` and
  :func:`simulate_false_negative_spiking` are the Monte Carlo of Eq. 4 and Eq. 5/6 on those decisions.

Patterns and segments are *index sets*: integer arrays of shape ``(count, size)``, one set of distinct
cell indices per row. The simulations never build ``n``-wide matrices for sparse patterns, and process
their trials in chunks, so their memory stays small (a few tens of MB) whatever ``n`` is.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

import numpy as np

import neuromem as nm

__all__ = [
    "MCEstimate",
    "SegmentDecisions",
    "SpikingSegments",
    "add_noise",
    "binomial_sigma",
    "overlap",
    "p_false_negative",
    "p_false_positive",
    "p_population",
    "p_union_false_positive",
    "p_union_false_positive_exact",
    "population_bound",
    "random_patterns",
    "simulate_false_negative",
    "simulate_false_positive",
    "simulate_false_negative_spiking",
    "simulate_false_positive_spiking",
    "simulate_union_false_positive",
    "run_spiking_segments",
    "spiking_decisions",
    "spiking_segment_network",
    "subsample",
    "union_size",
    "union_size_distribution",
    "union_zero_fraction",
]

# elements (int64/float64) one chunk of a simulation may hold in one array: 4e6 x 8 B = 32 MB
_CHUNK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------------------

def _int(name: str, value: object, minimum: int | None = 0) -> int:
    """``value`` as an ``int``; a ``ValueError`` naming ``name`` when it is not an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {name}={value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name}={value}")
    return value


def _at_most(name: str, value: int, bound_name: str, bound: int) -> None:
    if value > bound:
        raise ValueError(f"{name} must be <= {bound_name}, got {name}={value} > {bound_name}={bound}")


def _probability(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number in [0, 1], got {name}={value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise ValueError(f"{name} must be in [0, 1], got {name}={value}")
    return value


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise ValueError(f"rng must be a numpy.random.Generator or an integer seed, got rng={rng!r}")


# --------------------------------------------------------------------------------------------------
# exact theory
# --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def _fp_exact(n: int, a: int, s: int, theta: int) -> Fraction:
    """Eq. 4 as an exact fraction (arguments already checked)."""
    if theta <= 0:
        return Fraction(1)
    top = min(s, a)
    if theta > top:
        return Fraction(0)
    hits = sum(math.comb(s, b) * math.comb(n - s, a - b) for b in range(theta, top + 1))
    return Fraction(hits, math.comb(n, a))


def p_false_positive(n: int, a: int, s: int, theta: int) -> float:
    """Probability that a segment of ``s`` synapses matches a random input of ``a`` of ``n`` active cells.

    Eq. 4 of Ahmad & Hawkins (2016), the hypergeometric upper tail P(X >= theta), X ~ Hypergeom(n, s, a)::

        P_FP(n, a, s, theta) = sum_{b=theta}^{s} C(s, b) C(n - s, a - b) / C(n, a)

    Computed exactly with integers and correctly rounded to a float, so tiny values (1e-40) keep full
    relative precision. ``theta > s`` (or ``theta > a``) gives 0, ``theta <= 0`` gives 1. The segment
    size ``s`` may exceed ``a`` here (a union segment, :func:`p_union_false_positive`).
    """
    n = _int("n", n)
    a = _int("a", a)
    s = _int("s", s)
    theta = _int("theta", theta, minimum=None)
    _at_most("a", a, "n", n)
    _at_most("s", s, "n", n)
    return float(_fp_exact(n, a, s, theta))


def p_false_negative(a: int, s: int, theta: int, v: int) -> float:
    """Probability that noise makes a segment miss the pattern it was formed from.

    Eq. 5/6 of Ahmad & Hawkins (2016). The segment holds ``s`` of the ``a`` active cells of a pattern;
    noise swaps ``v`` of the ``a`` active bits to other bits, which removes k ~ Hypergeom(a, s, v) of the
    segment's synapses, and the segment fails when ``s - k < theta``::

        P_FN(a, s, theta, v) = sum_{b=s-theta+1}^{min(s, v)} C(s, b) C(a - s, v - b) / C(a, v)

    Exactly 0 for ``v <= s - theta`` (and for ``theta <= 0``); 1 for ``theta > s`` (the segment never
    matches, even without noise). Computed exactly and rounded to a float.
    """
    a = _int("a", a)
    s = _int("s", s)
    theta = _int("theta", theta, minimum=None)
    v = _int("v", v)
    _at_most("s", s, "a", a)
    _at_most("v", v, "a", a)
    low = max(s - theta + 1, 0)
    high = min(s, v)
    if low > high:
        return 0.0
    misses = sum(math.comb(s, b) * math.comb(a - s, v - b) for b in range(low, high + 1))
    return float(Fraction(misses, math.comb(a, v)))


def p_population(M: int, p: float) -> float:
    """Probability that at least one of ``M`` independent segments, each with error rate ``p``, errs.

    Eq. 8 of Ahmad & Hawkins (2016): ``1 - (1 - p)^M``, computed as ``-expm1(M log1p(-p))`` so that it
    keeps its relative precision when ``p`` is tiny (``p = 1e-15``, ``M = 1e6``).
    """
    M = _int("M", M)
    p = _probability("p", p)
    if M == 0 or p == 0.0:
        return 0.0
    if p == 1.0:
        return 1.0
    return -math.expm1(M * math.log1p(-p))


def population_bound(M: int, p: float) -> float:
    """The union bound ``M p`` on :func:`p_population` (Eq. 9 of Ahmad & Hawkins 2016), tight for M p << 1."""
    M = _int("M", M)
    p = _probability("p", p)
    return M * p


def _check_union(n: object, s: object, M: object) -> tuple[int, int, int]:
    n = _int("n", n, minimum=1)
    s = _int("s", s)
    M = _int("M", M)
    _at_most("s", s, "n", n)
    return n, s, M


def union_zero_fraction(n: int, s: int, M: int) -> float:
    """Probability that a given bit is still 0 in the union of ``M`` random ``s``-of-``n`` patterns.

    Eq. 11 of Ahmad & Hawkins (2016): ``p_0 = (1 - s/n)^M``.
    """
    n, s, M = _check_union(n, s, M)
    if s == n:
        return 1.0 if M == 0 else 0.0
    return math.exp(M * math.log1p(-s / n))


def union_size(n: int, s: int, M: int) -> float:
    """Expected number of ON bits in the union of ``M`` random ``s``-of-``n`` patterns (the segment size).

    Eq. 13 of Ahmad & Hawkins (2016): ``E|X| = n (1 - (1 - s/n)^M)``, computed with ``expm1``/``log1p``.
    """
    n, s, M = _check_union(n, s, M)
    if s == n:
        return float(n) if M > 0 else 0.0
    return -n * math.expm1(M * math.log1p(-s / n))


def _check_union_fp(n: object, a: object, s: object, theta: object, M: object) -> tuple[int, ...]:
    n, s, M = _check_union(n, s, M)
    a = _int("a", a)
    theta = _int("theta", theta, minimum=None)
    _at_most("a", a, "n", n)
    return n, a, s, theta, M


def p_union_false_positive(n: int, a: int, s: int, theta: int, M: int) -> float:
    """False-positive rate of one segment that stores the union of ``M`` patterns of ``s`` synapses each.

    The paper's formula (Ahmad & Hawkins 2016 §3.3; ``sdr_paper_unions.falseMatchvsM``): Eq. 4 with the
    segment size replaced by the expected union size of Eq. 13, rounded to the nearest integer::

        P_FP,union ~= P_FP(n, a, s' = round(n (1 - (1 - s/n)^M)), theta)

    This is an APPROXIMATION: the union size is random, and P_FP is convex in it, so the true rate (the
    expectation over the union size, :func:`p_union_false_positive_exact`) is somewhat larger; e.g. for
    n=1000, a=200, s=25, theta=15, M=2 it is 0.0474 against 0.0508. Halves round up.
    """
    n, a, s, theta, M = _check_union_fp(n, a, s, theta, M)
    size = int(math.floor(union_size(n, s, M) + 0.5))
    return float(_fp_exact(n, a, min(size, n), theta))


def _log_factorials(n: int) -> np.ndarray:
    """``log(k!)`` for k = 0..n, accurate to ~1e-16 relative per term (a cumulative sum of logs)."""
    out = np.zeros(n + 1)
    if n:
        np.cumsum(np.log(np.arange(1, n + 1, dtype=float)), out=out[1:])
    return out


def union_size_distribution(n: int, s: int, M: int) -> np.ndarray:
    """Distribution of the size of the union of ``M`` independent uniform ``s``-subsets of ``n`` cells.

    Returns ``q`` with ``q[u] = P(|X| = u)`` for u = 0..n. Built by adding one subset at a time: with
    ``u`` cells already on, a new subset turns on k ~ Hypergeom(n, n - u, s) new cells. Its mean is
    :func:`union_size` (Eq. 13). Floating point (probabilities to ~1e-13 relative).
    """
    n, s, M = _check_union(n, s, M)
    lf = _log_factorials(n)
    dist = np.zeros(n + 1)
    dist[0] = 1.0
    log_total = lf[n] - lf[s] - lf[n - s]
    for _ in range(M):
        support = np.flatnonzero(dist > 0.0)
        new = np.zeros(n + 1)
        for k in range(s + 1):  # k new cells: C(n-u, k) C(u, s-k) / C(n, s)
            u = support[(support <= n - k) & (support >= s - k)]
            if u.size == 0:
                continue
            logp = (lf[n - u] - lf[k] - lf[n - u - k] + lf[u] - lf[s - k] - lf[u - s + k] - log_total)
            np.add.at(new, u + k, dist[u] * np.exp(logp))
        new[new < 1e-300] = 0.0
        dist = new / new.sum()
    return dist


def p_union_false_positive_exact(n: int, a: int, s: int, theta: int, M: int) -> float:
    """False-positive rate of a union segment, averaged over the random union size (no approximation).

    ``sum_u P(|X| = u) P_FP(n, a, u, theta)``, with the size distribution of
    :func:`union_size_distribution` and Eq. 4 computed exactly. This is the rate that
    :func:`simulate_union_false_positive` measures; :func:`p_union_false_positive` is the paper's
    approximation of it. Sizes whose probability is below 1e-30 are dropped.
    """
    n, a, s, theta, M = _check_union_fp(n, a, s, theta, M)
    dist = union_size_distribution(n, s, M)
    sizes = np.flatnonzero(dist > 1e-30)
    return min(1.0, float(sum(dist[u] * float(_fp_exact(n, a, int(u), theta)) for u in sizes)))


# --------------------------------------------------------------------------------------------------
# binary Monte Carlo
# --------------------------------------------------------------------------------------------------

class MCEstimate(NamedTuple):
    """A Monte Carlo rate: ``rate = count / trials``."""

    rate: float
    count: int


def binomial_sigma(p: float, trials: int) -> float:
    """Standard error ``sqrt(p (1 - p) / trials)`` of a rate measured on ``trials`` Bernoulli trials."""
    p = _probability("p", p)
    trials = _int("trials", trials, minimum=1)
    return math.sqrt(p * (1.0 - p) / trials)


def _chunks(trials: int, width: int) -> list[int]:
    """Trial counts per chunk, so that a chunk's ``rows x width`` arrays stay near ``_CHUNK_ELEMENTS``."""
    rows = max(1, _CHUNK_ELEMENTS // max(width, 1))
    return [min(rows, trials - start) for start in range(0, trials, rows)]


def _dense_patterns(n: int, a: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` uniform a-subsets of range(n): the ``a`` smallest of ``n`` uniform keys per row."""
    keys = rng.random((count, n))
    return np.sort(np.argpartition(keys, a - 1, axis=1)[:, :a], axis=1)


def _sparse_patterns(n: int, a: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` uniform a-subsets of range(n), for a << n, without n-wide arrays.

    Draw ``a`` cells with replacement, then redraw every repeated entry until each row is distinct. The
    procedure commutes with any relabelling of the cells, so each row is uniform over the a-subsets.
    """
    out = np.sort(rng.integers(0, n, size=(count, a)), axis=1)
    rows = np.arange(count)  # rows that may still hold repeats
    while rows.size:
        block = out[rows]
        repeat = np.zeros(block.shape, dtype=bool)
        repeat[:, 1:] = block[:, 1:] == block[:, :-1]
        bad = repeat.any(axis=1)
        if not bad.any():
            break
        rows, block, repeat = rows[bad], block[bad], repeat[bad]
        block[repeat] = rng.integers(0, n, size=int(repeat.sum()))
        out[rows] = np.sort(block, axis=1)
    return out


def random_patterns(n: int, a: int, count: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """``count`` independent uniform random patterns of ``a`` active cells out of ``n``, as index sets.

    Returns an int64 array of shape ``(count, a)``; each row holds ``a`` distinct cell indices in
    ascending order. ``rng`` is a ``numpy.random.Generator`` (or a seed).
    """
    n = _int("n", n)
    a = _int("a", a)
    count = _int("count", count)
    _at_most("a", a, "n", n)
    rng = _generator(rng)
    if a == 0 or count == 0:
        return np.zeros((count, a), dtype=np.int64)
    if 4 * a >= n:
        return _dense_patterns(n, a, count, rng).astype(np.int64)
    return _sparse_patterns(n, a, count, rng).astype(np.int64)


def _subsample(patterns: np.ndarray, s: int, rng: np.random.Generator) -> np.ndarray:
    """For each row of ``patterns`` (index sets of size a), a uniform random subset of ``s`` of its cells."""
    count, a = patterns.shape
    pick = random_patterns(a, s, count, rng)
    return np.take_along_axis(patterns, pick, axis=1)


def overlap(segment: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Overlap ``D . A`` (Eq. 1): the number of the segment's cells that are active in each input.

    ``segment``: index set(s) of distinct cells, shape ``(s,)`` (one segment, against every input) or
    ``(count, s)`` (one per input); negative entries are padding and never count. ``inputs``: index sets
    of distinct cells, shape ``(count, a)`` or ``(a,)``, or a boolean activity matrix ``(count, n)`` /
    vector ``(n,)``. Returns an int array of shape ``(count,)`` (a scalar array for one input).
    """
    segment = np.asarray(segment)
    inputs = np.asarray(inputs)
    single = inputs.ndim == 1
    if single:
        inputs = inputs[None, :]
    if inputs.ndim != 2:
        raise ValueError(f"inputs must be 1-D or 2-D, got inputs.shape={inputs.shape}")
    if segment.ndim not in (1, 2):
        raise ValueError(f"segment must be 1-D or 2-D, got segment.shape={segment.shape}")
    count = inputs.shape[0]
    if segment.ndim == 2 and segment.shape[0] not in (1, count):
        raise ValueError(f"segment has {segment.shape[0]} rows but inputs has {count}")
    if inputs.dtype == bool:
        seg = np.broadcast_to(segment, (count, segment.shape[-1]))
        valid = seg >= 0
        hit = np.take_along_axis(inputs, np.where(valid, seg, 0), axis=1) & valid
        result = hit.sum(axis=1)
    else:
        seg = np.broadcast_to(segment, (count, segment.shape[-1])).astype(np.int64)
        # padding: distinct negative values, so that they match neither each other nor any cell
        pad = -1 - np.arange(seg.shape[1], dtype=np.int64)
        seg = np.where(seg >= 0, seg, pad)
        both = np.sort(np.concatenate([seg, inputs.astype(np.int64)], axis=1), axis=1)
        result = (both[:, 1:] == both[:, :-1]).sum(axis=1)
    return result[0] if single else result


def _check_sim(n: object, a: object, s: object, theta: object, trials: object) -> tuple[int, ...]:
    n = _int("n", n)
    a = _int("a", a)
    s = _int("s", s)
    theta = _int("theta", theta, minimum=None)
    trials = _int("trials", trials, minimum=1)
    _at_most("a", a, "n", n)
    _at_most("s", s, "a", a)
    return n, a, s, theta, trials


def simulate_false_positive(n: int, a: int, s: int, theta: int, trials: int,
                            rng: np.random.Generator | int | None = None) -> MCEstimate:
    """Monte Carlo of Eq. 4: the fraction of random inputs that a random segment matches.

    Each trial draws a fresh prototype pattern of ``a`` of ``n`` active cells, a segment that subsamples
    ``s`` of its active cells, and a fresh random input of ``a`` active cells, and counts a match when
    their overlap is >= ``theta``. Vectorised over the trials, in chunks. Returns (rate, count).
    """
    n, a, s, theta, trials = _check_sim(n, a, s, theta, trials)
    rng = _generator(rng)
    width = n if 4 * a >= n else 2 * a + s
    hits = 0
    for rows in _chunks(trials, width):
        segments = _subsample(random_patterns(n, a, rows, rng), s, rng)
        inputs = random_patterns(n, a, rows, rng)
        hits += int(np.count_nonzero(overlap(segments, inputs) >= theta))
    return MCEstimate(hits / trials, hits)


def _inactive_cells(active: np.ndarray, n: int, v: int, rng: np.random.Generator) -> np.ndarray:
    """For each row of ``active`` (sorted index sets of size a), ``v`` distinct cells of the other n - a.

    Picks ranks r among the inactive cells, then maps rank r to its cell: r plus the number of active
    cells below it, found by one ``searchsorted`` over all rows at once (rows offset apart).
    """
    count, a = active.shape
    ranks = random_patterns(n - a, v, count, rng)
    gaps = active - np.arange(a)  # inactive cells below each active cell, non-decreasing per row
    offset = (np.arange(count, dtype=np.int64) * (n + 1))[:, None]
    below = np.searchsorted((gaps + offset).ravel(), (ranks + offset).ravel(), side="right")
    below = below.reshape(count, v) - (np.arange(count) * a)[:, None]
    return ranks + below


def subsample(patterns: np.ndarray, s: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Segments formed the paper's way: for each row of ``patterns`` (index sets of ``a`` distinct
    cells, shape ``(count, a)``), a uniform random subset of ``s`` of its cells, shape ``(count, s)``."""
    patterns = np.asarray(patterns, dtype=np.int64)
    s = _int("s", s)
    _at_most("s", s, "a", patterns.shape[1])
    return _subsample(patterns, s, _generator(rng))


def add_noise(patterns: np.ndarray, n: int, v: int, rng: np.random.Generator | int | None = None
              ) -> np.ndarray:
    """The paper's noise model: each row of ``patterns`` (sorted index sets of ``a`` of ``n`` cells) with
    ``v`` of its active cells turned off and ``v`` of its inactive cells turned on, both uniform.

    Returns index sets of shape ``(count, a)`` (kept cells first, then the new ones; not sorted).
    """
    patterns = np.sort(np.asarray(patterns, dtype=np.int64), axis=1)  # _inactive_cells needs sorted rows
    count, a = patterns.shape
    n = _int("n", n)
    v = _int("v", v)
    _at_most("v", v, "a", a)
    if n - a < v:
        raise ValueError(f"n must be >= a + v to have v inactive cells to swap to, got n={n}, a={a}, v={v}")
    rng = _generator(rng)
    keep = random_patterns(a, a - v, count, rng)  # the a - v active bits that stay on
    return np.concatenate([np.take_along_axis(patterns, keep, axis=1),
                           _inactive_cells(patterns, n, v, rng)], axis=1)


def simulate_false_negative(a: int, s: int, theta: int, v: int, trials: int,
                            rng: np.random.Generator | int | None = None, n: int | None = None) -> MCEstimate:
    """Monte Carlo of Eq. 5/6: the fraction of noisy versions of a pattern that its segment misses.

    Each trial draws a pattern of ``a`` of ``n`` active cells (``n`` defaults to ``10 a + v``; the result
    does not depend on it), a segment of ``s`` of its active cells, and a noisy input made by turning
    ``v`` of the ``a`` active bits off and ``v`` previously inactive bits on; a false negative is an
    overlap < ``theta``. Returns (rate, count).
    """
    a = _int("a", a)
    v = _int("v", v)
    _at_most("v", v, "a", a)
    n = 10 * a + v if n is None else _int("n", n)
    if n - a < v:
        raise ValueError(f"n must be >= a + v to have v inactive cells to swap to, got n={n}, a={a}, v={v}")
    n, a, s, theta, trials = _check_sim(n, a, s, theta, trials)
    rng = _generator(rng)
    misses = 0
    for rows in _chunks(trials, 4 * a + s):
        patterns = random_patterns(n, a, rows, rng)
        segments = _subsample(patterns, s, rng)
        noisy = add_noise(patterns, n, v, rng)
        misses += int(np.count_nonzero(overlap(segments, noisy) < theta))
    return MCEstimate(misses / trials, misses)


def simulate_union_false_positive(n: int, a: int, s: int, theta: int, M: int, trials: int,
                                  rng: np.random.Generator | int | None = None) -> MCEstimate:
    """Monte Carlo of the union property: a segment holding the union of ``M`` subsampled segments.

    Each trial draws ``M`` prototype patterns (``a`` of ``n``), subsamples ``s`` cells of each, ORs the
    ``M`` segments into one (Eq. 10), and tests it against a fresh random input of ``a`` active cells
    (match: overlap >= ``theta``). Its expectation is :func:`p_union_false_positive_exact`. Returns
    (rate, count).
    """
    n, a, s, theta, trials = _check_sim(n, a, s, theta, trials)
    M = _int("M", M)
    rng = _generator(rng)
    width = M * (n if 4 * a >= n else 2 * a + s) + a
    hits = 0
    for rows in _chunks(trials, width):
        parts = [_subsample(random_patterns(n, a, rows, rng), s, rng) for _ in range(M)]
        union = np.sort(np.concatenate(parts, axis=1), axis=1) if M else np.zeros((rows, 0), np.int64)
        union[:, 1:][union[:, 1:] == union[:, :-1]] = -1  # repeats become padding
        inputs = random_patterns(n, a, rows, rng)
        hits += int(np.count_nonzero(overlap(union, inputs) >= theta))
    return MCEstimate(hits / trials, hits)


# --------------------------------------------------------------------------------------------------
# spiking segments: the same decisions made by DendriticLIF compartments in a neuromem graph
# --------------------------------------------------------------------------------------------------

#: names in the graph of :func:`spiking_segment_network`
INPUTS = "inputs"
SEGMENT_CELLS = "segments"
DEND_PROJECTION = "dend"
#: the graph's step (ms). The coincidence window and the plateau are one step each, so that every step
#: is an independent test: a biological 50-200 ms plateau would run one pattern's decision into the next.
SPIKING_DT = 1.0


@dataclass(frozen=True)
class SpikingSegments:
    """Binary segments tested against a sequence of input patterns, as a neuromem graph.

    The graph (built by :func:`spiking_segment_network`): a SpikeArray ``inputs`` of ``groups * n``
    cells, group g owning cells ``g n .. g n + n - 1``; a DendriticLIF population ``segments`` whose
    cells own ``per_cell`` segments each (segment k of group g is segment ``g per_group + k`` of the
    population, on cell ``(g per_group + k) // per_cell``); one projection ``dend`` of unit weights onto
    receptor "dend", one synapse per (cell of D, segment). Pattern t of group g is emitted at step t
    and arrives at step t + 1, where the segment's window sum is the overlap D.A; a sum >= ``theta``
    is a dendritic event, which makes its cell predictive at step t + 2 (for one step).
    """

    network: nm.Network
    n: int
    theta: int
    n_patterns: int
    groups: int
    per_group: int
    grouped: bool  # the caller's arrays had a group axis (and so do the results)
    per_cell: int = 1

    @property
    def steps(self) -> int:
        """Steps to simulate: every pattern's arrival and the step of its predictive state."""
        return self.n_patterns + 2


class SegmentDecisions(NamedTuple):
    """What a spiking run decided: ``decisions[t, (g,) c]`` (cell c was predictive after pattern t: one
    of its segments made a dendritic event; with one segment per cell, c is the segment) and
    ``overlaps[t, (g,) k]`` (segment k's window sum, D.A)."""

    decisions: np.ndarray
    overlaps: np.ndarray


def _index_sets(name: str, values: object, n: int, ndim: int) -> np.ndarray:
    """``values`` as an int64 array of ``ndim`` dims of index sets over range(n) (negative = padding)."""
    arr = np.asarray(values)
    if arr.ndim != ndim or not (arr.size == 0 or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"{name} must be an integer array of {ndim} dimensions, got shape {arr.shape} "
                         f"and dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.max() >= n:
        raise ValueError(f"{name} holds cell {int(arr.max())}, outside range(n), n={n}")
    ordered = np.sort(arr, axis=-1)
    # a repeated cell would be a second synapse (or spike) and count twice in the window sum
    if ((ordered[..., 1:] == ordered[..., :-1]) & (ordered[..., 1:] >= 0)).any():
        raise ValueError(f"{name}: a row repeats a cell (each row must be a set of distinct cells)")
    return arr


def spiking_segment_network(segments: np.ndarray, patterns: np.ndarray, n: int, theta: int,
                            per_cell: int = 1) -> SpikingSegments:
    """The neuromem graph that tests binary segments against input patterns with DendriticLIF cells.

    ``segments``: index sets of presynaptic cells, shape ``(K, s)``, or ``(G, K, s)`` for G groups
    with their own inputs; negative entries are padding (segments of different sizes). ``patterns``:
    index sets of active cells, one pattern per step, shape ``(T, a)``, or ``(T, G, a)`` (pattern t of
    group g reaches only that group's segments); negative entries are padding. Cells lie in
    ``range(n)`` (per group). ``theta``: the NMDA threshold, a positive integer (Eq. 1:
    match <=> D.A >= theta). Groups let one run test many independent patterns at once: G T patterns
    against K segments each. ``per_cell``: segments per cell (K a multiple of it); a cell is predictive
    when any of its segments matches (a neuron of the paper: a set of independent segments). Run it
    with :func:`run_spiking_segments`.
    """
    n = _int("n", n, minimum=1)
    theta = _int("theta", theta, minimum=1)
    grouped = np.ndim(segments) == 3
    segments = _index_sets("segments", segments, n, 3 if grouped else 2)
    patterns = _index_sets("patterns", patterns, n, 3 if grouped else 2)
    if not grouped:
        segments, patterns = segments[None], patterns[:, None]
    groups, per_group, _ = segments.shape
    if patterns.shape[1] != groups:
        raise ValueError(f"patterns has {patterns.shape[1]} groups but segments has {groups}")
    per_cell = _int("per_cell", per_cell, minimum=1)
    if per_group % per_cell:
        raise ValueError(f"segments per group ({per_group}) must be a multiple of per_cell={per_cell}")
    net = nm.Network("spiking-segments", dt=SPIKING_DT)
    net.add(INPUTS, _pattern_source(patterns, n))
    net.add(SEGMENT_CELLS, nm.DendriticLIF(groups * per_group // per_cell, segments=per_cell,
                                           theta=float(theta), window=SPIKING_DT, plateau=SPIKING_DT,
                                           v_plateau=0.0))
    pre, post = _segment_synapses(segments, n)
    net.connect(INPUTS, SEGMENT_CELLS, nm.FromList(pre, post), weight=1.0, delay=SPIKING_DT,
                receptor="dend", name=DEND_PROJECTION)
    return SpikingSegments(net, n, theta, patterns.shape[0], groups, per_group, grouped, per_cell)


def _pattern_source(patterns: np.ndarray, n: int) -> nm.SpikeArray:
    """Pattern t (of each group g) as spikes at step t of input cells ``g n + cell``."""
    steps, groups, _ = patterns.shape
    t, g, _ = np.indices(patterns.shape)
    valid = patterns >= 0
    cells = (g * n + patterns)[valid]
    return nm.SpikeArray(groups * n, t[valid] * SPIKING_DT, cells)


def _segment_synapses(segments: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(pre, post) of the unit synapses: input cell ``g n + cell`` onto segment cell ``g K + k``."""
    groups, per_group, _ = segments.shape
    g, k, _ = np.indices(segments.shape)
    valid = segments >= 0
    return (g * n + segments)[valid], (g * per_group + k)[valid]


def run_spiking_segments(model: SpikingSegments, backend: str = "torch", **options: object
                         ) -> SegmentDecisions:
    """Simulate a :class:`SpikingSegments` graph and read each segment's decision on each pattern.

    ``backend``: "torch" or "brian2" (``target`` defaults to "numpy" there, which needs no compiler);
    ``options`` go to :func:`neuromem.compile`. The decision is the backend's own dendritic event (the
    cell's predictive state one step after the pattern arrived); the overlap is the recorded window sum.
    Returns arrays of shape ``(T, K)``, or ``(T, G, K)`` for grouped inputs.
    """
    if backend == "brian2":
        options.setdefault("target", "numpy")
    sim = nm.compile(model.network, backend=backend, **options)
    rec = sim.run(model.steps * SPIKING_DT, record={SEGMENT_CELLS: ["segment", "predictive"]})
    sums = rec.state(SEGMENT_CELLS, "segment").values[:, 0, :]
    predictive = rec.state(SEGMENT_CELLS, "predictive").values[:, 0, :]
    t = np.arange(model.n_patterns)
    shape = (model.n_patterns, model.groups, model.per_group)
    decisions = (predictive[t + 2] > 0.5).reshape(shape[:2] + (model.per_group // model.per_cell,))
    overlaps = np.rint(sums[t + 1]).astype(np.int64).reshape(shape)
    if not model.grouped:
        decisions, overlaps = decisions[:, 0], overlaps[:, 0]
    return SegmentDecisions(decisions, overlaps)


def spiking_decisions(segments: np.ndarray, patterns: np.ndarray, n: int, theta: int,
                      backend: str = "torch", per_cell: int = 1, **options: object) -> SegmentDecisions:
    """:func:`spiking_segment_network` and :func:`run_spiking_segments` in one call."""
    model = spiking_segment_network(segments, patterns, n, theta, per_cell)
    return run_spiking_segments(model, backend, **options)


# decisions one spiking network may hold: the recorded sums and states of K segments over T steps
_SPIKING_DECISIONS = 1_000_000


def simulate_false_positive_spiking(n: int, a: int, s: int, theta: int, trials: int,
                                    rng: np.random.Generator | int | None = None, *,
                                    backend: str = "torch", steps: int = 100,
                                    **options: object) -> MCEstimate:
    """Monte Carlo of Eq. 4 with the decisions of a spiking network (:func:`spiking_segment_network`).

    ``ceil(trials / steps)`` fresh segments (each subsamples ``s`` of the ``a`` active cells of a fresh
    random pattern) see ``steps`` fresh random inputs, one per step; the first ``trials`` decisions
    count. The decisions of one segment on different inputs, and of different segments on one input,
    are pairwise independent (given either one, the other's overlap is Hypergeom(n, s, a)), so the count
    has exactly the binomial variance of ``trials`` independent trials. Returns (rate, count).
    """
    n, a, s, theta, trials = _check_sim(n, a, s, theta, trials)
    steps = _int("steps", steps, minimum=1)
    theta = _int("theta", theta, minimum=1)
    rng = _generator(rng)
    hits, done = 0, 0
    while done < trials:
        rows = min(steps, trials - done)
        per_step = min(-(-(trials - done) // rows), max(1, _SPIKING_DECISIONS // rows))
        segments = _subsample(random_patterns(n, a, per_step, rng), s, rng)
        inputs = random_patterns(n, a, rows, rng)
        decided = spiking_decisions(segments, inputs, n, theta, backend, **options).decisions
        take = min(decided.size, trials - done)
        hits += int(np.count_nonzero(decided.ravel()[:take]))
        done += take
    return MCEstimate(hits / trials, hits)


def simulate_false_negative_spiking(a: int, s: int, theta: int, v: int, trials: int,
                                    rng: np.random.Generator | int | None = None, *,
                                    n: int | None = None, backend: str = "torch", steps: int = 20,
                                    **options: object) -> MCEstimate:
    """Monte Carlo of Eq. 5/6 with the decisions of a spiking network (:func:`spiking_segment_network`).

    ``ceil(trials / steps)`` groups, each with its own ``n`` input cells (default ``2 a + v``; the rate
    does not depend on it), a prototype pattern of ``a`` active cells and one segment of ``s`` of them;
    every step shows each group a fresh noisy version of its prototype (:func:`add_noise`, ``v`` bits
    swapped). A false negative is a step without a dendritic event. One segment per group keeps the
    decisions pairwise independent (binomial variance). Returns (rate, count).
    """
    a = _int("a", a)
    v = _int("v", v)
    n = 2 * a + v if n is None else _int("n", n)
    n, a, s, theta, trials = _check_sim(n, a, s, theta, trials)
    theta = _int("theta", theta, minimum=1)
    steps = _int("steps", steps, minimum=1)
    rng = _generator(rng)
    misses, done = 0, 0
    while done < trials:
        rows = min(steps, trials - done)
        groups = min(-(-(trials - done) // rows), max(1, _SPIKING_DECISIONS // rows))
        prototypes = random_patterns(n, a, groups, rng)
        segments = _subsample(prototypes, s, rng)[:, None, :]
        noisy = add_noise(np.repeat(prototypes, rows, axis=0), n, v, rng)
        inputs = noisy.reshape(groups, rows, a).transpose(1, 0, 2)
        decided = spiking_decisions(segments, inputs, n, theta, backend, **options).decisions
        take = min(decided.size, trials - done)
        misses += int(np.count_nonzero(~decided.ravel()[:take]))
        done += take
    return MCEstimate(misses / trials, misses)
