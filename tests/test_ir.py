"""Graph IR: connectivity builders, weights and delays, node serialisation, spike arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import neuromem as nm
from neuromem.ir import registry
from neuromem.ir.connectivity import FixedProbability


def two_pops(n_pre: int, n_post: int, dt: float = 0.1) -> nm.Network:
    net = nm.Network(dt=dt)
    net.add("a", nm.LIF(n_pre))
    net.add("b", nm.LIF(n_post))
    return net


def pairs(proj: nm.Projection) -> list[tuple[int, int]]:
    return list(zip(proj.pre_idx.tolist(), proj.post_idx.tolist()))


def assert_sorted_by_pre_post(proj: nm.Projection) -> None:
    p = pairs(proj)
    assert p == sorted(p)


# -- one_to_one ---------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 7])
def test_one_to_one_connects_i_to_i(n):
    pre, post = nm.one_to_one().build(n, n, False)
    assert pre.dtype == np.int64 and post.dtype == np.int64
    assert pre.tolist() == list(range(n)) and post.tolist() == list(range(n))
    proj = two_pops(n, n).connect("a", "b", nm.one_to_one())
    assert proj.n_synapses == n
    assert pairs(proj) == [(i, i) for i in range(n)]


def test_one_to_one_size_mismatch():
    with pytest.raises(ValueError):
        nm.one_to_one().build(3, 4, False)
    net = two_pops(3, 4)
    with pytest.raises(nm.ValidationError) as info:
        net.connect("a", "b", nm.one_to_one(), name="e")
    assert info.value.edge == "e" and info.value.field == "connector"
    assert net.projections == []


# -- all_to_all ---------------------------------------------------------------------------
@pytest.mark.parametrize("n_pre,n_post", [(1, 1), (3, 5), (6, 2)])
def test_all_to_all_count_and_pairs(n_pre, n_post):
    proj = two_pops(n_pre, n_post).connect("a", "b", nm.all_to_all())
    assert proj.n_synapses == n_pre * n_post
    assert pairs(proj) == [(i, j) for i in range(n_pre) for j in range(n_post)]


@pytest.mark.parametrize("n", [1, 2, 5])
def test_all_to_all_without_self_drops_exactly_the_diagonal(n):
    net = nm.Network()
    net.add("a", nm.LIF(n))
    proj = net.connect("a", "a", nm.all_to_all(allow_self=False))
    assert proj.n_synapses == n * n - n
    assert pairs(proj) == [(i, j) for i in range(n) for j in range(n) if i != j]


def test_all_to_all_without_self_keeps_diagonal_between_two_populations():
    # i -> i between two populations is no self-connection
    proj = two_pops(4, 4).connect("a", "b", nm.all_to_all(allow_self=False))
    assert proj.n_synapses == 16


# -- fixed_probability --------------------------------------------------------------------
@pytest.mark.parametrize("n_pre,n_post,p", [(200, 150, 0.1), (50, 400, 0.02), (300, 300, 0.5),
                                            (40, 30, 0.9), (1000, 1000, 0.001)])
def test_fixed_probability_count_is_binomial(n_pre, n_post, p):
    for seed in (0, 1, 2):
        pre, post = nm.fixed_probability(p, seed=seed).build(n_pre, n_post, False)
        trials = n_pre * n_post
        mean, sigma = trials * p, np.sqrt(trials * p * (1 - p))
        assert abs(pre.size - mean) < 5 * sigma
        # each pair at most once, all within range
        assert np.unique(pre * n_post + post).size == pre.size
        assert pre.min() >= 0 and pre.max() < n_pre and post.min() >= 0 and post.max() < n_post


def test_fixed_probability_spreads_over_all_pairs():
    # each pre neuron's out-degree is binomial(n_post, p): no row left out, none overfull
    pre, post = nm.fixed_probability(0.5, seed=4).build(100, 100, False)
    deg = np.bincount(pre, minlength=100)
    assert deg.min() > 50 - 5 * 5 and deg.max() < 50 + 5 * 5
    deg = np.bincount(post, minlength=100)
    assert deg.min() > 50 - 5 * 5 and deg.max() < 50 + 5 * 5


def test_fixed_probability_extremes():
    pre, post = nm.fixed_probability(0.0).build(10, 10, False)
    assert pre.size == 0 and post.size == 0
    pre, post = nm.fixed_probability(1.0).build(4, 3, False)
    assert list(zip(pre.tolist(), post.tolist())) == [(i, j) for i in range(4) for j in range(3)]
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError):
            nm.fixed_probability(bad).build(3, 3, False)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("p", [5e-324, 1e-300, 1e-20, 1e-12])
def test_fixed_probability_tiny_p_terminates(p):
    # geometric gaps near 2**63 once overflowed int64 and looped forever
    for seed in range(3):
        pre, post = nm.fixed_probability(p, seed=seed).build(50, 50, False)
        assert pre.size == 0 and post.size == 0


def test_fixed_probability_seed():
    a = nm.fixed_probability(0.2, seed=11).build(80, 60, False)
    b = nm.fixed_probability(0.2, seed=11).build(80, 60, False)
    c = nm.fixed_probability(0.2, seed=12).build(80, 60, False)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert a[0].shape != c[0].shape or not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))
    # and through the network: identical projections
    p1 = two_pops(80, 60).connect("a", "b", nm.fixed_probability(0.2, seed=11))
    p2 = two_pops(80, 60).connect("a", "b", nm.fixed_probability(0.2, seed=11))
    assert np.array_equal(p1.pre_idx, p2.pre_idx) and np.array_equal(p1.post_idx, p2.post_idx)


def test_fixed_probability_ranges():
    # Brian2's connect('i<30 and j>=10', p=0.3) on 100 x 50
    conn = nm.fixed_probability(0.3, seed=5, pre_range=(0, 30), post_range=(10, 50))
    proj = two_pops(100, 50).connect("a", "b", conn)
    assert proj.pre_idx.min() >= 0 and proj.pre_idx.max() < 30
    assert proj.post_idx.min() >= 10 and proj.post_idx.max() < 50
    trials = 30 * 40
    assert abs(proj.n_synapses - 0.3 * trials) < 5 * np.sqrt(trials * 0.3 * 0.7)
    # the whole range is used
    assert proj.pre_idx.max() > 20 and proj.post_idx.min() < 15 and proj.post_idx.max() > 45
    assert_sorted_by_pre_post(proj)
    # p = 1 over a range gives exactly the block
    pre, post = nm.fixed_probability(1.0, pre_range=(2, 4), post_range=(1, 3)).build(5, 5, False)
    assert list(zip(pre.tolist(), post.tolist())) == [(2, 1), (2, 2), (3, 1), (3, 2)]
    # a range outside the population is refused
    with pytest.raises(nm.ValidationError) as info:
        two_pops(10, 10).connect("a", "b", nm.fixed_probability(0.5, pre_range=(0, 11)), name="e")
    assert info.value.edge == "e" and info.value.field == "connector"


def test_fixed_probability_without_self():
    net = nm.Network()
    net.add("a", nm.LIF(60))
    proj = net.connect("a", "a", nm.fixed_probability(0.5, seed=3, allow_self=False))
    assert proj.n_synapses > 0
    assert not np.any(proj.pre_idx == proj.post_idx)
    trials = 60 * 59
    assert abs(proj.n_synapses - 0.5 * trials) < 5 * np.sqrt(trials * 0.25)
    # p = 1 without self is all-to-all without the diagonal
    proj = net.connect("a", "a", nm.fixed_probability(1.0, allow_self=False))
    assert proj.n_synapses == 60 * 59


# -- from_list / from_matrix --------------------------------------------------------------
def test_from_list_keeps_multapses_and_sorts_stably():
    conn = nm.from_list([(1, 0), (0, 1), (1, 0), (0, 0), (1, 0)])
    net = two_pops(2, 2)
    proj = net.connect("a", "b", conn, weight=np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
                       delay=np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    assert proj.n_synapses == 5
    assert pairs(proj) == [(0, 0), (0, 1), (1, 0), (1, 0), (1, 0)]
    # the three (1, 0) synapses keep their given order: weights 1, 3, 5
    assert proj.weight.tolist() == [4.0, 2.0, 1.0, 3.0, 5.0]
    assert np.allclose(proj.delay, [0.4, 0.2, 0.1, 0.3, 0.5])


def test_from_list_out_of_range_is_refused():
    for conn, fld in ((nm.from_list([(0, 2)]), "post_idx"), (nm.from_list([(5, 0)]), "pre_idx"),
                      (nm.from_list([(-1, 0)]), "pre_idx")):
        with pytest.raises(nm.ValidationError) as info:
            two_pops(2, 2).connect("a", "b", conn, weight=np.ones((2, 2)), name="e")
        assert info.value.edge == "e" and info.value.field == fld


def test_from_matrix_dense():
    m = np.array([[0.0, 1.5, 0.0],
                  [-2.0, 0.0, 0.0],
                  [0.0, 0.0, 3.0],
                  [0.0, 0.0, 0.0]])
    conn, w = nm.from_matrix(m)
    proj = two_pops(4, 3).connect("a", "b", conn, weight=w)
    expected = {(0, 1): 1.5, (1, 0): -2.0, (2, 2): 3.0}
    assert pairs(proj) == sorted(expected)
    assert proj.weight.tolist() == [expected[p] for p in sorted(expected)]


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_from_matrix_sparse(fmt):
    rng = np.random.default_rng(0)
    dense = np.where(rng.random((20, 30)) < 0.1, rng.normal(size=(20, 30)), 0.0)
    conn, w = nm.from_matrix(sp.csr_array(dense).asformat(fmt))
    proj = two_pops(20, 30).connect("a", "b", conn, weight=w)
    rows, cols = np.nonzero(dense)  # row-major: sorted by (pre, post)
    assert np.array_equal(proj.pre_idx, rows) and np.array_equal(proj.post_idx, cols)
    assert np.array_equal(proj.weight, dense[rows, cols])


# -- sorting ------------------------------------------------------------------------------
def test_synapses_sorted_by_pre_then_post_with_their_weights():
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 6, size=(40, 2))
    w = np.arange(40, dtype=float)
    proj = two_pops(6, 6).connect("a", "b", nm.from_list(raw), weight=w)
    order = sorted(range(40), key=lambda k: (raw[k, 0], raw[k, 1], k))  # stable
    assert proj.pre_idx.tolist() == [int(raw[k, 0]) for k in order]
    assert proj.post_idx.tolist() == [int(raw[k, 1]) for k in order]
    assert proj.weight.tolist() == [float(k) for k in order]


# -- weights and delays -------------------------------------------------------------------
def test_scalar_weight_and_default_delay():
    net = two_pops(3, 2, dt=0.25)
    proj = net.connect("a", "b", nm.all_to_all(), weight=-0.7)
    assert proj.weight.dtype == np.float64 and proj.delay.dtype == np.float64
    assert np.all(proj.weight == -0.7)
    assert np.all(proj.delay == 0.25)  # one step by default


def test_per_synapse_arrays():
    conn = nm.from_list([(2, 0), (0, 1), (1, 1)])
    proj = two_pops(3, 2).connect("a", "b", conn, weight=[1.0, 2.0, 3.0], delay=[0.3, 0.1, 0.2])
    # given in connector order, stored in (pre, post) order
    assert pairs(proj) == [(0, 1), (1, 1), (2, 0)]
    assert proj.weight.tolist() == [2.0, 3.0, 1.0]
    assert np.allclose(proj.delay, [0.1, 0.2, 0.3])


def test_matrix_weights_and_delays():
    w = np.arange(12, dtype=float).reshape(3, 4)
    d = (np.arange(12).reshape(3, 4) + 1) * 0.1
    conn = nm.fixed_probability(0.5, seed=2)
    proj = two_pops(3, 4).connect("a", "b", conn, weight=w, delay=d)
    assert proj.n_synapses > 0
    for k, (i, j) in enumerate(pairs(proj)):
        assert proj.weight[k] == w[i, j] and proj.delay[k] == d[i, j]


@pytest.mark.parametrize("dist", [nm.Uniform(-1.0, 2.0), nm.Normal(0.5, 0.2),
                                  nm.Normal(0.0, 1.0, low=-0.5, high=0.5)])
def test_distribution_weights(dist):
    def build(seed):
        return two_pops(30, 30).connect("a", "b", nm.all_to_all(), weight=dist, seed=seed)

    a, b, c = build(3), build(3), build(4)
    assert np.array_equal(a.weight, b.weight)
    assert not np.array_equal(a.weight, c.weight)
    inside = a.weight[(a.weight > getattr(dist, "low", -np.inf)) & (a.weight < dist.high)]
    assert np.unique(inside).size == inside.size > 300  # really drawn per synapse
    if isinstance(dist, nm.Uniform):
        assert a.weight.min() >= -1.0 and a.weight.max() < 2.0
        assert abs(a.weight.mean() - 0.5) < 5 * np.sqrt(9 / 12 / 900)
    else:
        assert a.weight.min() >= dist.low and a.weight.max() <= dist.high
        if np.isfinite(dist.low):
            # clipped, not redrawn: P(|Z| < 0.5) = 0.383 of the draws lie inside the bounds
            assert abs(inside.size / 900 - 0.383) < 5 * np.sqrt(0.383 * 0.617 / 900)
            assert (a.weight == dist.low).any() and (a.weight == dist.high).any()
        else:
            assert abs(a.weight.mean() - dist.mean) < 5 * dist.std / 30
            assert abs(a.weight.std() - dist.std) < 0.1 * dist.std


def test_distribution_delays_reproducible():
    def build(seed):
        return two_pops(5, 5).connect("a", "b", nm.all_to_all(), delay=nm.Uniform(1.0, 2.0),
                                      seed=seed)

    a, b = build(1), build(1)
    assert np.array_equal(a.delay, b.delay)
    assert a.delay.min() >= 1.0 and a.delay.max() < 2.0


def test_weight_shape_mismatch():
    net = two_pops(2, 3)
    with pytest.raises(nm.ValidationError) as info:
        net.connect("a", "b", nm.all_to_all(), weight=np.ones(5), name="e")
    assert (info.value.edge, info.value.field) == ("e", "weight")
    with pytest.raises(nm.ValidationError) as info:
        net.connect("a", "b", nm.all_to_all(), delay=np.ones((3, 2)), name="e")
    assert (info.value.edge, info.value.field) == ("e", "delay")


# -- node serialisation -------------------------------------------------------------------
SAMPLES = {
    "LIF": lambda: nm.LIF(3, tau_m=np.array([10.0, 20.0, 30.0]), c_m=0.5, tau_refrac=2.0,
                          v_init=nm.Normal(-60.0, 2.0, low=-70.0), reset="subtract"),
    "SpikeArray": lambda: nm.SpikeArray.from_trains([[0.5, 0.1], [], [0.3]]),
    "PoissonSource": lambda: nm.PoissonSource(4, rate=np.array([1.0, 2.0, 3.0, 4.0]), start=1.0,
                                              stop=9.0),
    "Uniform": lambda: nm.Uniform(-1.0, 3.0),
    "Normal": lambda: nm.Normal(1.0, 2.0, low=0.0),
    "OneToOne": lambda: nm.OneToOne(),
    "AllToAll": lambda: nm.AllToAll(allow_self=False),
    "FixedProbability": lambda: nm.FixedProbability(0.25, seed=9, allow_self=False,
                                                    pre_range=(1, 5), post_range=(0, 2)),
    "FromList": lambda: nm.from_list([(0, 1), (2, 2), (0, 1)]),
    "DendriticLIF": lambda: nm.DendriticLIF(3, tau_m=5.0, segments=4, theta=2.0, window=2.0,
                                            plateau=50.0, v_plateau=4.0),
    "Astrocyte": lambda: nm.Astrocyte(tau=50.0, bias=0.1, init=0.2, w_scale=0.01, decay=0.99,
                                      inputs={"liquid": 1.0, "input": np.array([-1.0, -0.5])}),
    "STDP": lambda: nm.STDP(tau_plus=10.0, a_plus=0.2, weight_dependence="multiplicative",
                            pairing="nearest", lr_decay=0.999),
    "SpiNNakerSTDP": lambda: nm.SpiNNakerSTDP(3.0, 3.0, 6.0, 6.0, 0.0, 6.0),
    "AstroSTDP": lambda: nm.AstroSTDP("astro", pre_kind="inh", w_min=-3.0, w_max=0.0),
}


def assert_same_dict(a, b):
    assert set(a) == set(b)
    for k in a:
        if isinstance(a[k], dict):
            assert_same_dict(a[k], b[k])
        elif isinstance(a[k], np.ndarray) or isinstance(b[k], np.ndarray):
            assert np.array_equal(a[k], b[k]), k
        else:
            assert a[k] == b[k] and type(a[k]) is type(b[k]), k


def test_every_registered_type_has_a_sample():
    assert set(registry.registered_types()) == set(SAMPLES)


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_to_dict_from_dict_round_trip(type_name):
    obj = SAMPLES[type_name]()
    d = obj.to_dict()
    assert d["type"] == type_name
    back = registry.from_dict(d)
    assert type(back) is registry.registered_types()[type_name]
    assert_same_dict(back.to_dict(), d)
    # behaviour survives too
    if isinstance(obj, nm.ir.nodes.Node):
        assert back.size == obj.size
    if hasattr(obj, "build"):
        for x, y in zip(obj.build(6, 6, True), back.build(6, 6, True)):
            assert np.array_equal(x, y)


def test_lif_defaults_and_v_init():
    lif = nm.LIF(2, v_rest=-70.0)
    assert lif.v_init == -70.0  # v_init defaults to v_rest
    back = registry.from_dict(lif.to_dict())
    assert back.v_init == -70.0 and back.tau_m == 20.0 and back.reset == "value"
    assert isinstance(back.tau_m, float)


def test_fixed_probability_round_trip_without_ranges():
    conn = FixedProbability(0.5, seed=1)
    back = registry.from_dict(conn.to_dict())
    assert back == conn


# -- SpikeArray ---------------------------------------------------------------------------
def test_spike_array_from_trains_sorts_by_time_then_index():
    sa = nm.SpikeArray.from_trains([[3.0, 1.0], [1.0, 0.5], [], [3.0, 0.2, 1.0]])
    assert sa.size == 4
    expected = sorted([(3.0, 0), (1.0, 0), (1.0, 1), (0.5, 1), (3.0, 3), (0.2, 3), (1.0, 3)])
    assert list(zip(sa.times.tolist(), sa.indices.tolist())) == expected
    assert sa.times.dtype == np.float64 and sa.indices.dtype == np.int64
    assert sa.is_source


def test_spike_array_constructor_sorts_too():
    sa = nm.SpikeArray(3, times=[2.0, 1.0, 2.0, 1.0], indices=[2, 1, 0, 2])
    assert sa.times.tolist() == [1.0, 1.0, 2.0, 2.0]
    assert sa.indices.tolist() == [1, 2, 0, 2]


def test_spike_array_empty():
    sa = nm.SpikeArray.from_trains([[], []])
    assert sa.size == 2 and sa.times.size == 0 and sa.indices.size == 0
