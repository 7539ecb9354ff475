"""Active-dendrite theory (Ahmad & Hawkins 2016) and its binary Monte Carlo: spec acceptance tests 1-5 and 7.

Spec: shared/specs/active_dendrites.md (§2.2 equations, §2.3 worked examples). Test 6 (spiking
equivalence on both simulation backends) is in tests/test_dendrites_spiking.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from neuromem.models import active_dendrites as ad
from scipy.stats import hypergeom


def rel(x: float, y: float) -> float:
    return abs(x - y) / abs(y)


def within_sigma(measured: float, p: float, trials: int, k: float = 4.0) -> bool:
    """|measured - p| <= k binomial standard errors of a rate p measured on ``trials`` trials."""
    return abs(measured - p) <= k * math.sqrt(p * (1 - p) / trials)


# ------------------------------------------------------------------------------------------------
# acceptance tests 1-4 and the §2.3 worked examples
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, a, s, theta, expected", [
    (10000, 300, 24, 12, 8.37585e-13),
    (10000, 300, 30, 12, 2.27908e-11),
])
def test_eq4_exact_values(n, a, s, theta, expected):
    """Acceptance 1: Eq. 4 to 1e-6 relative."""
    assert rel(ad.p_false_positive(n, a, s, theta), expected) < 1e-6


def test_eq56_exact_value():
    """Acceptance 2: P_FN(300, 30, 12, 60) = 3.94744e-8."""
    assert rel(ad.p_false_negative(300, 30, 12, 60), 3.94744e-8) < 1e-6


@pytest.mark.parametrize("a, s, theta", [(300, 30, 12), (128, 30, 8), (128, 30, 16), (40, 20, 10),
                                         (50, 10, 10)])
def test_no_false_negative_up_to_s_minus_theta(a, s, theta):
    """Acceptance 2: P_FN is exactly 0 for every v <= s - theta, and positive just beyond."""
    for v in range(0, s - theta + 1):
        assert ad.p_false_negative(a, s, theta, v) == 0.0
    assert ad.p_false_negative(a, s, theta, s - theta + 1) > 0.0


def test_population_bound_is_tight():
    """Acceptance 3: with M = 1e6 segments, 1 - (1 - P)^M and M P agree to 1e-6 relative."""
    p = ad.p_false_positive(10000, 300, 30, 15)
    assert f"{p:.5e}" == "1.04919e-15"  # the spec's 6 digits (1.0491918e-15)
    exact, bound = ad.p_population(10**6, p), ad.population_bound(10**6, p)
    assert rel(exact, bound) < 1e-6
    assert exact <= bound
    assert rel(bound, 1.04919e-9) < 1e-5  # §3.2: "better than one in a billion" is really 1.05e-9


def test_population_is_stable_and_exact_at_the_edges():
    assert ad.p_population(0, 0.3) == 0.0
    assert ad.p_population(5, 0.0) == 0.0
    assert ad.p_population(5, 1.0) == 1.0
    assert ad.p_population(3, 0.5) == pytest.approx(0.875, rel=1e-15)
    assert ad.p_population(1, 1e-300) == pytest.approx(1e-300, rel=1e-12)  # no 1 - (1 - p) cancellation
    assert ad.population_bound(7, 0.01) == pytest.approx(0.07)


def test_union_size_and_zero_fraction():
    """Acceptance 4: E|X| for n=20000, s=25, M=10 is 248.598; the zero fraction is 0.98757."""
    assert round(ad.union_size(20000, 25, 10), 3) == 248.598
    assert round(ad.union_zero_fraction(20000, 25, 10), 5) == 0.98757
    assert ad.union_size(20000, 25, 1) == pytest.approx(25.0, rel=1e-12)
    assert ad.union_size(20000, 25, 0) == 0.0
    assert ad.union_zero_fraction(100, 100, 3) == 0.0
    # Eq. 11 and Eq. 13 agree: E|X| = n (1 - p0)
    for M in (1, 5, 50, 500):
        assert ad.union_size(5000, 40, M) == pytest.approx(5000 * (1 - ad.union_zero_fraction(5000, 40, M)))


def test_worked_examples_of_section_2_3():
    """§2.3: the paper's statements, with the spec's exact numbers."""
    # §3.1: "about one in 10^10"
    fp = ad.p_false_positive(10000, 300, 30, 12)
    assert f"{fp:.3e}" == "2.279e-11"
    # §3.1 noise, 20% of the bits swapped: "smaller than one in 10^7"
    fn = ad.p_false_negative(300, 30, 12, 60)
    assert f"{fn:.5e}" == "3.94744e-08" and fn < 1e-7
    # §3.2 capacity: a million segments, "better than one in a billion" (really 1.049e-9)
    cap = ad.population_bound(10**6, ad.p_false_positive(10000, 300, 30, 15))
    assert f"{cap:.3e}" == "1.049e-09"
    # §3.3 union of 10 patterns: "< 250 synapses", "98.75% zero", "less than one in 10^11"
    assert f"{ad.union_size(20000, 25, 10):.1f}" == "248.6"
    assert f"{ad.p_false_positive(20000, 100, 249, 15):.3g}" == "1.73e-12"
    assert f"{ad.p_false_positive(20000, 100, 248, 15):.3g}" == "1.64e-12"
    assert ad.p_union_false_positive(20000, 100, 25, 15, 10) == ad.p_false_positive(20000, 100, 249, 15)


def test_union_formula_is_the_spec_approximation():
    """§2.2: for n=1000, a=200, s=25, theta=15, M=2 the formula gives 0.0474, the exact expectation 0.0508."""
    assert round(ad.p_union_false_positive(1000, 200, 25, 15, 2), 4) == 0.0474
    assert round(ad.p_union_false_positive_exact(1000, 200, 25, 15, 2), 4) == 0.0508
    # one pattern: no union, both are Eq. 4
    assert ad.p_union_false_positive(1000, 200, 25, 15, 1) == ad.p_false_positive(1000, 200, 25, 15)
    assert ad.p_union_false_positive_exact(1000, 200, 25, 15, 1) == pytest.approx(
        ad.p_false_positive(1000, 200, 25, 15), rel=1e-12)


def test_union_size_distribution():
    dist = ad.union_size_distribution(1000, 25, 6)
    assert dist.sum() == pytest.approx(1.0, abs=1e-12)
    assert dist[:25].sum() == 0.0 and dist[151:].sum() == 0.0
    assert np.dot(np.arange(dist.size), dist) == pytest.approx(ad.union_size(1000, 25, 6), rel=1e-10)
    # two sets: the second adds k ~ Hypergeom(1000, 975, 25) new cells
    two = ad.union_size_distribution(1000, 25, 2)
    ks = np.arange(26)
    np.testing.assert_allclose(two[25 + ks], hypergeom(1000, 975, 25).pmf(ks), rtol=1e-9, atol=1e-300)


# ------------------------------------------------------------------------------------------------
# the theory against independent computations
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, a, s", [(1000, 100, 20), (500, 50, 30), (2000, 300, 40), (200, 150, 60),
                                     (60, 20, 30)])
def test_eq4_matches_scipy_hypergeom(n, a, s):
    """Eq. 4 is the hypergeometric tail P(X >= theta), X ~ Hypergeom(n, s, a); scipy computes it otherwise."""
    dist = hypergeom(n, s, a)
    for theta in range(0, min(s, a) + 2):
        expected = dist.sf(theta - 1)
        got = ad.p_false_positive(n, a, s, theta)
        if expected > 1e-200:
            assert rel(got, expected) < 1e-8, theta
        else:
            assert got < 1e-190
    assert ad.p_false_positive(n, a, s, min(s, a) + 1) == 0.0
    assert ad.p_false_positive(n, a, s, s + 5) == 0.0


@pytest.mark.parametrize("a, s, theta", [(128, 30, 8), (128, 30, 12), (128, 30, 16), (300, 30, 12),
                                         (60, 40, 25)])
def test_eq56_matches_scipy_hypergeom(a, s, theta):
    """Eq. 5/6: k ~ Hypergeom(a, s, v) synapses lost; failure is k >= s - theta + 1."""
    for v in range(0, a + 1, max(1, a // 25)):
        expected = hypergeom(a, s, v).sf(s - theta)
        got = ad.p_false_negative(a, s, theta, v)
        if expected > 1e-200:
            assert rel(got, expected) < 1e-8, v
        else:
            assert got < 1e-190


def test_theta_edge_cases():
    assert ad.p_false_positive(100, 10, 5, 0) == 1.0
    assert ad.p_false_positive(100, 10, 5, -3) == 1.0
    assert ad.p_false_positive(100, 10, 5, 6) == 0.0  # theta > s: no error, 0 as in the paper
    assert ad.p_false_positive(100, 3, 5, 4) == 0.0  # theta > a
    assert ad.p_false_negative(100, 10, 11, 0) == 1.0  # theta > s: the segment never matches
    assert ad.p_false_negative(100, 10, 0, 100) == 0.0
    assert ad.p_false_negative(100, 10, 1, 100) == 1.0  # every active bit swapped away


def test_tiny_values_keep_relative_precision():
    """Values near 1e-40 and below are exact, not rounded away: check one tail term by hand."""
    n, a, s = 100000, 64, 40
    theta = s  # only b = s contributes: C(n - s, a - s) / C(n, a)
    expected = math.comb(n - s, a - s) / math.comb(n, a)  # int / int: correctly rounded
    got = ad.p_false_positive(n, a, s, theta)
    assert got == expected and 0 < got < 1e-40
    assert ad.p_false_positive(n, a, s, theta - 1) > got


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(0, n), st.integers(0, n), st.integers(-2, n + 2))))
def test_eq4_symmetric_in_a_and_s(args):
    """The overlap of an s-set and an a-set of n is symmetric in a and s, and the tail falls with theta."""
    n, a, s, theta = args
    p = ad.p_false_positive(n, a, s, theta)
    assert p == ad.p_false_positive(n, s, a, theta)
    assert 0.0 <= ad.p_false_positive(n, a, s, theta + 1) <= p <= 1.0


# ------------------------------------------------------------------------------------------------
# helpers of the simulation
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, a", [(10, 3), (1000, 20), (1000, 400), (50, 50), (20000, 100)])
def test_random_patterns_are_distinct_sorted_index_sets(n, a):
    pats = ad.random_patterns(n, a, 500, np.random.default_rng(3))
    assert pats.shape == (500, a) and pats.dtype == np.int64
    assert pats.min() >= 0 and pats.max() < n
    assert (np.diff(pats, axis=1) > 0).all()


def test_random_patterns_are_uniform():
    """Sparse path (redrawing repeats) and dense path: each a-subset equally likely (chi-square)."""
    rng = np.random.default_rng(4)
    for n, a in ((40, 2), (6, 3)):  # 4a < n: sparse sampler; 4a >= n: dense sampler
        pats = ad.random_patterns(n, a, 60000, rng)
        codes = (pats * n ** np.arange(a)).sum(axis=1)
        _, counts = np.unique(codes, return_counts=True)
        cells = math.comb(n, a)
        assert counts.size == cells
        expected = 60000 / cells
        chi2 = ((counts - expected) ** 2 / expected).sum()
        assert chi2 < cells - 1 + 5 * math.sqrt(2 * (cells - 1))  # mean + 5 sd of chi-square


def test_same_seed_same_patterns():
    x = ad.random_patterns(1000, 30, 10, np.random.default_rng(9))
    y = ad.random_patterns(1000, 30, 10, np.random.default_rng(9))
    np.testing.assert_array_equal(x, y)


def test_overlap():
    seg = np.array([1, 4, 7])
    inputs = np.array([[0, 1, 2, 3], [4, 5, 6, 7], [1, 4, 7, 9], [0, 2, 3, 5]])
    np.testing.assert_array_equal(ad.overlap(seg, inputs), [1, 2, 3, 0])
    assert ad.overlap(seg, np.array([7, 8])) == 1
    # one segment per row, with padding (negative) entries that never count
    segs = np.array([[1, -1, -1], [4, 5, 6], [-1, -1, 9], [0, 2, -1]])
    np.testing.assert_array_equal(ad.overlap(segs, inputs), [1, 3, 1, 2])
    # boolean activity matrix
    mask = np.zeros((4, 10), dtype=bool)
    np.put_along_axis(mask, inputs, True, axis=1)
    np.testing.assert_array_equal(ad.overlap(seg, mask), [1, 2, 3, 0])
    np.testing.assert_array_equal(ad.overlap(segs, mask), [1, 3, 1, 2])


def test_noise_swaps_exactly_v_bits():
    """The noisy input keeps a - v of the pattern's cells and adds v cells that were inactive."""
    rng = np.random.default_rng(5)
    pats = ad.random_patterns(200, 40, 300, rng)
    added = ad._inactive_cells(pats, 200, 25, rng)
    assert added.shape == (300, 25)
    assert (np.diff(added, axis=1) > 0).all() and added.min() >= 0 and added.max() < 200
    assert (ad.overlap(added, pats) == 0).all()


# ------------------------------------------------------------------------------------------------
# acceptance test 5: Monte Carlo against the theory
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, a, s, theta, trials", [
    (200, 20, 10, 3, 20000),    # 0.065
    (500, 50, 20, 5, 20000),    # 0.040
    (1000, 100, 20, 6, 30000),  # 0.010
    (1000, 50, 30, 6, 40000),   # 0.0027
    (400, 100, 30, 14, 30000),  # 0.0061
    (800, 200, 24, 8, 20000),   # dense, a = n/4: 0.21
])
def test_false_positive_simulation_matches_eq4(n, a, s, theta, trials):
    p = ad.p_false_positive(n, a, s, theta)
    rate, count = ad.simulate_false_positive(n, a, s, theta, trials, np.random.default_rng(n + a + s + theta))
    assert count == round(rate * trials)
    assert within_sigma(rate, p, trials), (rate, p)


@pytest.mark.parametrize("a, s, theta, v, trials", [
    (128, 30, 8, 96, 10000),    # 75% noise: 0.51
    (128, 30, 12, 77, 10000),   # 60% noise: 0.43
    (128, 30, 16, 51, 20000),   # 40% noise: 0.14
    (300, 30, 12, 150, 20000),  # 50% noise: 0.089
    (100, 20, 10, 30, 40000),   # 30% noise
])
def test_false_negative_simulation_matches_eq56(a, s, theta, v, trials):
    p = ad.p_false_negative(a, s, theta, v)
    assert p > 1e-3
    rate, _ = ad.simulate_false_negative(a, s, theta, v, trials, np.random.default_rng(a + s + theta + v))
    assert within_sigma(rate, p, trials), (rate, p)


def test_false_negative_simulation_edges():
    rng = np.random.default_rng(6)
    assert ad.simulate_false_negative(128, 30, 12, 18, 2000, rng).count == 0  # v <= s - theta
    assert ad.simulate_false_negative(128, 30, 31, 0, 100, rng).rate == 1.0  # theta > s
    # n does not matter as long as there are v inactive cells to swap to
    p = ad.p_false_negative(64, 20, 10, 32)
    rate, _ = ad.simulate_false_negative(64, 20, 10, 32, 20000, rng, n=96)
    assert within_sigma(rate, p, 20000)


@pytest.mark.parametrize("M, trials", [(2, 20000), (3, 6000), (4, 6000)])
def test_union_simulation(M, trials):
    """Union of M segments (n=1000, a=200, s=25, theta=15): the simulation measures the exact expectation
    (4 sigma); the paper's round(E|X|) formula is within ~10% of it."""
    n, a, s, theta = 1000, 200, 25, 15
    exact = ad.p_union_false_positive_exact(n, a, s, theta, M)
    approx = ad.p_union_false_positive(n, a, s, theta, M)
    rate, _ = ad.simulate_union_false_positive(n, a, s, theta, M, trials, np.random.default_rng(M))
    assert within_sigma(rate, exact, trials), (rate, exact)
    assert rel(approx, exact) < 0.1
    assert abs(approx - rate) <= 0.1 * rate + 4 * math.sqrt(exact * (1 - exact) / trials)


def test_union_simulation_small_n():
    """A second union point where many cells collide (n=300): exact expectation within 4 sigma."""
    exact = ad.p_union_false_positive_exact(300, 30, 10, 6, 5)
    rate, _ = ad.simulate_union_false_positive(300, 30, 10, 6, 5, 20000, np.random.default_rng(11))
    assert 1e-3 < exact < 0.5
    assert within_sigma(rate, exact, 20000), (rate, exact)


# ------------------------------------------------------------------------------------------------
# acceptance test 7: sparsity and dimensionality are both needed
# ------------------------------------------------------------------------------------------------

NS = (1000, 2000, 5000, 10000, 20000)


def test_dense_inputs_do_not_improve_with_n():
    """a = n/4, s=24, theta=12: the false-positive rate stays near 0.007 from n=1000 to n=20000."""
    rates = [ad.p_false_positive(n, n // 4, 24, 12) for n in NS]
    assert max(rates) / min(rates) < 1.2
    assert rates[-1] >= rates[0]  # it does not fall at all (it rises slightly toward the binomial limit)
    assert all(r > 5e-3 for r in rates)
    # and the simulation agrees at the small end
    rate, _ = ad.simulate_false_positive(1000, 250, 24, 12, 20000, np.random.default_rng(7))
    assert within_sigma(rate, rates[0], 20000)


@pytest.mark.parametrize("a", [30, 64])
def test_sparse_inputs_improve_by_orders_of_magnitude(a):
    """a fixed (sparse), s=24, theta=12: the rate falls monotonically, by > 10^10 from n=1000 to 20000."""
    rates = [ad.p_false_positive(n, a, 24, 12) for n in NS]
    assert all(x > y for x, y in zip(rates, rates[1:]))
    assert rates[0] / rates[-1] > 1e10
    assert rates[-1] / ad.p_false_positive(NS[-1], NS[-1] // 4, 24, 12) < 1e-15


# ------------------------------------------------------------------------------------------------
# invalid arguments
# ------------------------------------------------------------------------------------------------

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("call, name", [
    (lambda: ad.p_false_positive(100.0, 10, 5, 2), "n"),
    (lambda: ad.p_false_positive(-1, 10, 5, 2), "n"),
    (lambda: ad.p_false_positive(100, 101, 5, 2), "a"),
    (lambda: ad.p_false_positive(100, -2, 5, 2), "a"),
    (lambda: ad.p_false_positive(100, 10, 101, 2), "s"),
    (lambda: ad.p_false_positive(100, 10, 5, 2.5), "theta"),
    (lambda: ad.p_false_positive(100, True, 5, 2), "a"),
    (lambda: ad.p_false_negative(30, 31, 10, 5), "s"),
    (lambda: ad.p_false_negative(30, 10, 5, 31), "v"),
    (lambda: ad.p_false_negative(30, 10, 5, -1), "v"),
    (lambda: ad.p_false_negative(30.5, 10, 5, 3), "a"),
    (lambda: ad.p_false_negative(30, 10, "5", 3), "theta"),
    (lambda: ad.p_population(-1, 0.1), "M"),
    (lambda: ad.p_population(2.0, 0.1), "M"),
    (lambda: ad.p_population(10, 1.5), "p"),
    (lambda: ad.p_population(10, float("nan")), "p"),
    (lambda: ad.population_bound(10, -0.1), "p"),
    (lambda: ad.population_bound(-3, 0.1), "M"),
    (lambda: ad.union_size(100, 101, 3), "s"),
    (lambda: ad.union_size(0, 0, 3), "n"),
    (lambda: ad.union_size(100, 10, -1), "M"),
    (lambda: ad.union_zero_fraction(100, -1, 3), "s"),
    (lambda: ad.union_zero_fraction(100, 10, 1.5), "M"),
    (lambda: ad.p_union_false_positive(100, 101, 10, 5, 3), "a"),
    (lambda: ad.p_union_false_positive(100, 50, 10, 5, -3), "M"),
    (lambda: ad.p_union_false_positive_exact(100, 50, 10, 0.5, 3), "theta"),
    (lambda: ad.random_patterns(10, 11, 5, RNG), "a"),
    (lambda: ad.random_patterns(10, 3, -5, RNG), "count"),
    (lambda: ad.random_patterns(10, 3, 5, "seed"), "rng"),
    (lambda: ad.simulate_false_positive(100, 10, 11, 5, 100, RNG), "s"),
    (lambda: ad.simulate_false_positive(100, 10, 5, 3, 0, RNG), "trials"),
    (lambda: ad.simulate_false_positive(100, 101, 5, 3, 10, RNG), "a"),
    (lambda: ad.simulate_false_negative(30, 10, 5, 31, 100, RNG), "v"),
    (lambda: ad.simulate_false_negative(30, 31, 5, 3, 100, RNG), "s"),
    (lambda: ad.simulate_false_negative(30, 10, 5, 10, 100, RNG, n=35), "n"),
    (lambda: ad.simulate_union_false_positive(100, 10, 5, 3, -1, 100, RNG), "M"),
    (lambda: ad.simulate_union_false_positive(100, 10, 11, 3, 2, 100, RNG), "s"),
    (lambda: ad.binomial_sigma(0.5, 0), "trials"),
])
def test_invalid_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


def test_error_message_names_value():
    with pytest.raises(ValueError, match=r"s=40.*a=30"):
        ad.p_false_negative(30, 40, 10, 5)
    with pytest.raises(ValueError, match=r"n=12\.0"):
        ad.p_false_positive(12.0, 3, 2, 1)


def test_numpy_integers_are_accepted():
    assert ad.p_false_positive(np.int64(10000), np.int32(300), np.int64(30), np.int64(12)) == \
        ad.p_false_positive(10000, 300, 30, 12)
