"""Spiking dendritic segments make the binary decisions of Ahmad & Hawkins (2016): spec acceptance test 6.

The graph of ``spiking_segment_network`` (SpikeArray inputs, DendriticLIF cells, "dend" projections)
runs on torch and on Brian2 (numpy target). Every expected value is computed here from the binary rule
D.A >= theta with dense 0/1 matrices, or from the exact theory (Eq. 4, Eq. 5/6), never from a backend.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from neuromem.models import active_dendrites as ad

BACKENDS = {"torch": ("torch", {}), "brian2-numpy": ("brian2", {"target": "numpy"})}


def dense(index_sets: np.ndarray, n: int) -> np.ndarray:
    """0/1 matrix over the last axis: entry [..., c] = 1 where cell c is in the row (negatives: padding)."""
    flat = index_sets.reshape(-1, index_sets.shape[-1])
    out = np.zeros((flat.shape[0], n + 1), dtype=np.int64)  # column n collects the padding
    np.put_along_axis(out, np.where(flat >= 0, flat, n), 1, axis=1)
    return out[:, :n].reshape(index_sets.shape[:-1] + (n,))


def binary_overlaps(segments: np.ndarray, patterns: np.ndarray, n: int) -> np.ndarray:
    """D.A per (pattern t, group g, segment k): segments (G, K, s), patterns (T, G, a)."""
    return np.einsum("tgn,gkn->tgk", dense(patterns, n), dense(segments, n))


def within_sigma(measured: float, p: float, trials: int, k: float = 4.0) -> bool:
    return abs(measured - p) <= k * math.sqrt(p * (1 - p) / trials)


@pytest.mark.parametrize("config", list(BACKENDS))
def test_spiking_decisions_equal_binary_rule_on_1e5_patterns(config):
    """Acceptance 6: 10^5 random patterns (200 groups x 500 steps) against 5 segments each, 5 x 10^5
    decisions, all equal to D.A >= theta; the window sums are the overlaps themselves."""
    backend, options = BACKENDS[config]
    rng = np.random.default_rng(60)
    groups, per_group, n, a, s, theta, steps = 200, 5, 64, 12, 12, 3, 500
    segments = ad.random_patterns(n, s, groups * per_group, rng).reshape(groups, per_group, s)
    patterns = ad.random_patterns(n, a, steps * groups, rng).reshape(steps, groups, a)
    overlap = binary_overlaps(segments, patterns, n)
    expected = overlap >= theta
    assert steps * groups == 10**5
    assert 0.2 < expected.mean() < 0.8  # both outcomes common
    for b in (theta - 1, theta, theta + 1):  # the boundary is exercised many times
        assert (overlap == b).sum() > 10**4
    result = ad.spiking_decisions(segments, patterns, n, theta, backend, **options)
    assert result.decisions.shape == expected.shape
    np.testing.assert_array_equal(result.overlaps, overlap)
    assert (result.decisions == expected).all()  # 100% agreement


@pytest.mark.parametrize("config", list(BACKENDS))
def test_segments_of_different_sizes_and_cells_with_several_segments(config):
    """Padded segments (sizes 1..s) and 3 segments per cell: a cell is predictive when any of its
    segments reaches theta, a segment whose size is below theta never is."""
    backend, options = BACKENDS[config]
    rng = np.random.default_rng(61)
    n, a, s, theta, cells, per_cell, steps = 80, 24, 16, 4, 60, 3, 200
    segments = ad.random_patterns(n, s, cells * per_cell, rng)
    sizes = rng.integers(1, s + 1, size=cells * per_cell)
    segments[np.arange(s)[None, :] >= sizes[:, None]] = -1
    patterns = ad.random_patterns(n, a, steps, rng)
    overlap = dense(patterns, n) @ dense(segments, n).T  # (steps, segments)
    expected = (overlap >= theta).reshape(steps, cells, per_cell).any(axis=2)
    assert 0.2 < expected.mean() < 0.8
    result = ad.spiking_decisions(segments, patterns, n, theta, backend, per_cell=per_cell, **options)
    np.testing.assert_array_equal(result.overlaps, overlap)
    np.testing.assert_array_equal(result.decisions, expected)
    assert not result.decisions.reshape(steps, -1)[:, (sizes < theta).reshape(cells, per_cell).all(1)].any()


@pytest.mark.parametrize("config", list(BACKENDS))
def test_noise_decisions_agree_with_binary_and_eq56(config):
    """The paper's noise model (v of a active bits swapped): the spiking segment misses exactly when the
    binary overlap drops below theta, and its false-negative rate is Eq. 5/6 within 4 sigma."""
    backend, options = BACKENDS[config]
    rng = np.random.default_rng(62)
    a, s, theta, v, groups, steps = 64, 24, 12, 28, 400, 25
    n = 2 * a + v
    prototypes = ad.random_patterns(n, a, groups, rng)
    segments = ad.subsample(prototypes, s, rng)[:, None, :]  # one segment per group
    noisy = ad.add_noise(np.repeat(prototypes, steps, axis=0), n, v, rng)
    patterns = noisy.reshape(groups, steps, a).transpose(1, 0, 2)
    # the noise model itself: v bits of each prototype off, v others on
    kept = (dense(patterns, n) * dense(prototypes, n)[None]).sum(axis=2)
    np.testing.assert_array_equal(kept, a - v)
    overlap = binary_overlaps(segments, patterns, n)
    result = ad.spiking_decisions(segments, patterns, n, theta, backend, **options)
    np.testing.assert_array_equal(result.decisions, overlap >= theta)
    trials = groups * steps
    missed = int((~result.decisions).sum())
    assert within_sigma(missed / trials, ad.p_false_negative(a, s, theta, v), trials)
    # no false negative at all when v <= s - theta
    quiet = ad.add_noise(np.repeat(prototypes, 4, axis=0), n, s - theta, rng)
    quiet = quiet.reshape(groups, 4, a).transpose(1, 0, 2)
    assert ad.spiking_decisions(segments, quiet, n, theta, backend, **options).decisions.all()


@pytest.mark.parametrize("config", list(BACKENDS))
def test_spiking_monte_carlo_matches_eq4(config):
    """Eq. 4 measured by the spiking network (fresh segments x fresh inputs) within 4 binomial sigma."""
    backend, options = BACKENDS[config]
    n, a, s, theta, trials = 1000, 100, 20, 6, 40_000
    p = ad.p_false_positive(n, a, s, theta)
    rate, count = ad.simulate_false_positive_spiking(n, a, s, theta, trials, np.random.default_rng(63),
                                                     backend=backend, **options)
    assert count == round(rate * trials) and count > 100
    assert within_sigma(rate, p, trials), (rate, p)


@pytest.mark.parametrize("config", list(BACKENDS))
def test_spiking_false_negative_monte_carlo_matches_eq56(config):
    backend, options = BACKENDS[config]
    a, s, theta, v, trials = 64, 24, 10, 32, 10_000
    p = ad.p_false_negative(a, s, theta, v)
    rate, _ = ad.simulate_false_negative_spiking(a, s, theta, v, trials, np.random.default_rng(64),
                                                 backend=backend, **options)
    assert within_sigma(rate, p, trials), (rate, p)


def test_spiking_and_binary_monte_carlo_see_the_same_segments():
    """Same seed, same draws: the spiking Monte Carlo counts exactly the hits of the binary rule on the
    segments and inputs it drew (re-drawn here from the same generator state)."""
    n, a, s, theta, steps, trials = 300, 30, 12, 4, 50, 5000
    rate, count = ad.simulate_false_positive_spiking(n, a, s, theta, trials, np.random.default_rng(65),
                                                     steps=steps)
    rng = np.random.default_rng(65)
    segments = ad.subsample(ad.random_patterns(n, a, trials // steps, rng), s, rng)
    inputs = ad.random_patterns(n, a, steps, rng)
    assert count == int(((dense(inputs, n) @ dense(segments, n).T) >= theta).sum())


def test_graph_layout():
    """One input cell per (group, cell), one DendriticLIF cell per segment, one unit synapse per entry."""
    segments = np.array([[[0, 2, -1], [1, 2, 3]], [[3, -1, -1], [0, 1, 2]]])  # 2 groups x 2 segments
    patterns = np.array([[[0, 1], [2, 3]], [[2, 3], [-1, 0]]])  # 2 steps
    model = ad.spiking_segment_network(segments, patterns, n=4, theta=2)
    net = model.network
    assert net.node(ad.INPUTS).size == 8 and net.node(ad.SEGMENT_CELLS).size == 4
    proj = net.projection(ad.DEND_PROJECTION)
    assert proj.receptor == "dend"
    pairs = sorted(zip(proj.pre_idx.tolist(), proj.post_idx.tolist()))
    assert pairs == sorted([(0, 0), (2, 0), (1, 1), (2, 1), (3, 1), (7, 2), (4, 3), (5, 3), (6, 3)])
    src = net.node(ad.INPUTS)
    assert sorted(zip(src.times.tolist(), src.indices.tolist())) == [
        (0.0, 0), (0.0, 1), (0.0, 6), (0.0, 7), (1.0, 2), (1.0, 3), (1.0, 4)]
    assert model.steps == 4


@pytest.mark.parametrize("call, match", [
    (lambda: ad.spiking_segment_network(np.array([[0, 0, 1]]), np.array([[0, 1]]), 4, 1), "repeats"),
    (lambda: ad.spiking_segment_network(np.array([[0, 1]]), np.array([[0, 4]]), 4, 1), "outside"),
    (lambda: ad.spiking_segment_network(np.array([[0, 1]]), np.array([[0, 1]]), 4, 0), "theta"),
    (lambda: ad.spiking_segment_network(np.array([[0.0, 1.0]]), np.array([[0, 1]]), 4, 1), "integer"),
    (lambda: ad.spiking_segment_network(np.arange(12).reshape(2, 3, 2) % 4, np.zeros((5, 3, 1), int), 4,
                                        1), "groups"),
    (lambda: ad.spiking_segment_network(np.array([[0], [1], [2]]), np.array([[0]]), 4, 1, per_cell=2),
     "per_cell"),
    (lambda: ad.simulate_false_positive_spiking(100, 10, 5, 0, 10), "theta"),
])
def test_invalid_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_make_figures_writes_figures_and_worked_examples(tmp_path):
    """One figure with spiking points (torch), the worked-examples table as CSV and markdown, no
    temporary files left behind; the table holds the spec's numbers (§2.3)."""
    import csv

    from neuromem.models import dendrites_figures as figures

    paths = figures.make_figures(tmp_path, quick=True, backend="torch", only=["fp_vs_theta"])
    assert set(paths) == {"fp_vs_theta", "worked_examples_csv", "worked_examples_md"}
    assert paths["fp_vs_theta"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fp_vs_theta.png", "worked_examples.csv",
                                                          "worked_examples.md"]
    with open(paths["worked_examples_csv"], encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(figures.WORKED_HEADER) and len(rows) == 7
    text = paths["worked_examples_md"].read_text(encoding="utf-8")
    for value in ("2.279e-11", "3.94744e-08", "1.049e-09", "248.598", "0.98757", "1.73e-12"):
        assert value in text and any(value in cell for row in rows for cell in row)
    with pytest.raises(ValueError, match="unknown figure"):
        figures.make_figures(tmp_path, only=["nope"])
    with pytest.raises(ValueError, match="backend"):
        figures.make_figures(tmp_path, backend="nest")
