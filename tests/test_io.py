"""Files: lossless network and recording round trips, refusal of bad files, atomic saving."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import neuromem as nm
from neuromem import h5io
from neuromem.recording import StateTrace

IO_SETTINGS = settings(max_examples=40, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture,
                                              HealthCheck.too_slow])
DT = 0.1


# -- deep comparison ---------------------------------------------------------------------
def assert_deep_equal(a, b, path="root", strict_dtype=True):
    """Structures equal: same dict keys, list lengths, scalar types, array values (NaN = NaN)
    and, with ``strict_dtype``, array dtypes (string widths are not compared)."""
    if isinstance(a, dict):
        assert isinstance(b, dict), path
        assert set(a) == set(b), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_deep_equal(a[k], b[k], f"{path}/{k}", strict_dtype)
    elif isinstance(a, list | tuple) and not isinstance(b, np.ndarray):
        assert isinstance(b, list | tuple) and len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            assert_deep_equal(x, y, f"{path}[{k}]", strict_dtype)
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        assert x.shape == y.shape, f"{path}: shape {x.shape} != {y.shape}"
        if strict_dtype:
            assert x.dtype.kind == y.dtype.kind, f"{path}: dtype {x.dtype} != {y.dtype}"
            if x.dtype.kind not in "US":
                assert x.dtype == y.dtype, f"{path}: dtype {x.dtype} != {y.dtype}"
        eq_nan = x.dtype.kind in "fc" and y.dtype.kind in "fc"
        assert np.array_equal(x, y, equal_nan=eq_nan), f"{path}: {x!r} != {y!r}"
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), path
    else:
        assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
        assert a == b, f"{path}: {a!r} != {b!r}"


def assert_same_network(a: nm.Network, b: nm.Network) -> None:
    assert list(a.nodes) == list(b.nodes)
    assert [p.name for p in a.projections] == [p.name for p in b.projections]
    assert [(p.pre, p.post) for p in a.projections] == [(p.pre, p.post) for p in b.projections]
    assert a.name == b.name and a.dt == b.dt
    for name in a.nodes:
        assert type(a.node(name)) is type(b.node(name))
    assert_deep_equal(a.to_dict(), b.to_dict())


# -- network strategies ------------------------------------------------------------------
names = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
                min_size=1, max_size=6).filter(lambda s: s != ".")
finite = st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
positive = st.floats(0.01, 100.0, allow_nan=False, allow_infinity=False)
steps = st.integers(0, 50)


def per_neuron(draw, n, elements):
    """A scalar or one value per neuron."""
    if draw(st.booleans()):
        return draw(elements)
    return np.array(draw(st.lists(elements, min_size=n, max_size=n)), dtype=np.float64)


@st.composite
def lif_nodes(draw, n):
    kw = {f: per_neuron(draw, n, positive) for f in ("tau_m", "c_m", "tau_syn_e", "tau_syn_i")
          if draw(st.booleans())}
    for f in ("v_rest", "v_thresh", "v_reset", "i_offset"):
        if draw(st.booleans()):
            kw[f] = per_neuron(draw, n, finite)
    if draw(st.booleans()):
        kw["tau_refrac"] = per_neuron(draw, n, steps.map(lambda k: k * DT))
    kind = draw(st.sampled_from(["default", "value", "uniform", "normal"]))
    if kind == "value":
        kw["v_init"] = per_neuron(draw, n, finite)
    elif kind == "uniform":
        low = draw(finite)
        kw["v_init"] = nm.Uniform(low, low + draw(positive))
    elif kind == "normal":
        clip = draw(st.booleans())
        kw["v_init"] = nm.Normal(draw(finite), draw(positive), *((-90.0, -40.0) if clip else ()))
    kw["reset"] = draw(st.sampled_from(["value", "subtract"]))
    return nm.LIF(n, **kw)


@st.composite
def spike_arrays(draw, n):
    trains = [sorted(draw(st.sets(st.integers(0, 100), max_size=5))) for _ in range(n)]
    return nm.SpikeArray.from_trains([[k * DT for k in t] for t in trains])


@st.composite
def poisson_sources(draw, n):
    start = draw(st.integers(0, 100)) * DT
    stop = draw(st.one_of(st.just(float("inf")), st.floats(start, 1000.0)))
    return nm.PoissonSource(n, rate=per_neuron(draw, n, st.floats(0.0, 1000.0)), start=start,
                            stop=stop)


def connectors(draw, n_pre, n_post, same):
    kinds = ["all", "prob", "list", "matrix"] + (["one"] if n_pre == n_post else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "one":
        return nm.one_to_one(), None
    if kind == "all":
        return nm.all_to_all(allow_self=draw(st.booleans())), None
    if kind == "prob":
        ranges = {}
        for key, n in (("pre_range", n_pre), ("post_range", n_post)):
            if draw(st.booleans()):
                lo = draw(st.integers(0, n))
                ranges[key] = (lo, draw(st.integers(lo, n)))
        return nm.fixed_probability(draw(st.floats(0.0, 1.0)), seed=draw(st.integers(0, 2**32 - 1)),
                                    allow_self=draw(st.booleans()), **ranges), None
    if kind == "list":
        pairs = draw(st.lists(st.tuples(st.integers(0, n_pre - 1), st.integers(0, n_post - 1)),
                              max_size=12))  # repeated pairs: multapses
        return nm.from_list(pairs), None
    dense = np.array(draw(st.lists(st.sampled_from([0.0, 0.0, 1.5, -2.0, 0.25]),
                                   min_size=n_pre * n_post, max_size=n_pre * n_post)))
    return nm.from_matrix(dense.reshape(n_pre, n_post))


def n_synapses(conn, n_pre, n_post, same):
    return conn.build(n_pre, n_post, same)[0].size


def synapse_values(draw, m, n_pre, n_post, elements):
    kind = draw(st.sampled_from(["scalar", "array", "matrix"]))
    if kind == "scalar":
        return draw(elements)
    if kind == "array":
        return np.array(draw(st.lists(elements, min_size=m, max_size=m)), dtype=np.float64)
    return np.array(draw(st.lists(elements, min_size=n_pre * n_post, max_size=n_pre * n_post)),
                    dtype=np.float64).reshape(n_pre, n_post)


@st.composite
def networks(draw):
    net = nm.Network(name=draw(st.text(max_size=8).filter(lambda s: "\x00" not in s)), dt=DT)
    node_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    for name in node_names:
        n = draw(st.integers(1, 6))
        make = draw(st.sampled_from([lif_nodes, lif_nodes, spike_arrays, poisson_sources]))
        net.add(name, draw(make(n)))
    targets = [n for n, node in net.nodes.items() if isinstance(node, nm.LIF)]
    if not targets:
        return net
    for _ in range(draw(st.integers(0, 5))):
        pre, post = draw(st.sampled_from(node_names)), draw(st.sampled_from(targets))
        n_pre, n_post = net.node(pre).size, net.node(post).size
        conn, matrix_weights = connectors(draw, n_pre, n_post, pre == post)
        m = n_synapses(conn, n_pre, n_post, pre == post)
        if matrix_weights is not None and draw(st.booleans()):
            weight = matrix_weights
        elif draw(st.integers(0, 3)) == 0:
            weight = draw(st.sampled_from([nm.Uniform(-1.0, 1.0), nm.Normal(0.5, 0.1),
                                           nm.Normal(0.0, 1.0, low=0.0, high=2.0)]))
        else:
            weight = synapse_values(draw, m, n_pre, n_post, finite)
        delay = synapse_values(draw, m, n_pre, n_post, st.integers(1, 40).map(lambda k: k * DT))
        name = draw(st.one_of(st.none(), names))
        if name is not None and any(p.name == name for p in net.projections):
            name = None
        net.connect(pre, post, conn, weight=weight, delay=delay,
                    receptor=draw(st.sampled_from(["exc", "inh"])), name=name,
                    seed=draw(st.integers(0, 1000)))
    return net


# -- network round trips -----------------------------------------------------------------
@IO_SETTINGS
@given(net=networks())
def test_network_round_trip(tmp_path, net):
    net.validate()
    path = tmp_path / "net.h5"
    net.save(path)
    back = nm.Network.load(path)
    assert_same_network(net, back)
    back.validate()
    # saving what was loaded gives the same network again
    back.save(path)
    assert_same_network(net, nm.Network.load(path))


@IO_SETTINGS
@given(net=networks())
def test_network_dict_round_trip(net):
    assert_same_network(net, nm.Network.from_dict(net.to_dict()))


def example_network() -> nm.Network:
    net = nm.Network(name="example", dt=0.1)
    net.add("src", nm.SpikeArray.from_trains([[1.0, 0.5], [0.2]] * 20))
    net.add("noise", nm.PoissonSource(5, rate=20.0))
    net.add("cells", nm.LIF(40, tau_refrac=2.0, v_init=nm.Normal(-65.0, 2.0),
                            tau_m=np.linspace(10.0, 30.0, 40)))
    net.connect("src", "cells", nm.all_to_all(), weight=nm.Uniform(0.0, 1.0), delay=1.0)
    net.connect("noise", "cells", nm.fixed_probability(0.3, seed=2), weight=0.5, receptor="inh")
    net.connect("cells", "cells", nm.fixed_probability(0.1, seed=3, allow_self=False,
                                                       pre_range=(0, 20)), delay=0.3)
    return net


def test_example_network_round_trip(tmp_path):
    net = example_network()
    net.save(tmp_path / "net.h5")
    back = nm.Network.load(tmp_path / "net.h5")
    assert_same_network(net, back)
    assert list(back.nodes) == ["src", "noise", "cells"]
    assert isinstance(back.node("cells").v_init, nm.Normal)
    assert back.projections[2].connector.pre_range == (0, 20)


def test_network_without_projections_round_trip(tmp_path):
    net = nm.Network(name="lonely")
    net.add("cells", nm.LIF(3))
    net.save(tmp_path / "net.h5")
    back = nm.Network.load(tmp_path / "net.h5")
    assert back.projections == []
    assert_same_network(net, back)


def test_empty_network_round_trip(tmp_path):
    net = nm.Network(name="nothing", dt=0.25)
    net.save(tmp_path / "net.h5")
    assert_same_network(net, nm.Network.load(tmp_path / "net.h5"))


def test_saved_file_is_readable_by_others(tmp_path):
    mask = os.umask(0o022)
    try:
        example_network().save(tmp_path / "net.h5")
    finally:
        os.umask(mask)
    assert (tmp_path / "net.h5").stat().st_mode & 0o777 == 0o644


# -- recording round trips ---------------------------------------------------------------
meta_keys = st.from_regex(r"[a-z][a-z_0-9]{0,8}", fullmatch=True)
meta_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**62, 2**62),
                         st.floats(allow_nan=False), st.text(max_size=10).filter(lambda s: "\x00" not in s))
meta_arrays = st.one_of(
    st.lists(st.floats(allow_nan=False), min_size=1, max_size=5).map(np.array),
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=5).map(lambda v: np.array(v, dtype=np.int64)))
meta_values = st.recursive(st.one_of(meta_scalars, meta_arrays),
                           lambda inner: st.dictionaries(meta_keys, inner, max_size=3), max_leaves=8)


@st.composite
def recordings(draw):
    trials = draw(st.integers(1, 3))
    dt = draw(st.sampled_from([0.1, 0.05, 1.0]))
    n_steps = draw(st.integers(1, 100))
    t_start = draw(st.integers(0, 100)) * dt
    pops = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    sizes, spikes, states = {}, {}, {}
    for pop in pops:
        size = draw(st.integers(1, 10))
        sizes[pop] = size
        if draw(st.integers(0, 4)) > 0:
            k = draw(st.integers(0, 30))
            s = np.sort(np.array(draw(st.lists(st.integers(0, n_steps - 1), min_size=k, max_size=k)),
                                 dtype=np.int64))
            spikes[pop] = (t_start + s * dt,
                           np.array(draw(st.lists(st.integers(0, size - 1), min_size=k, max_size=k)),
                                    dtype=np.int64),
                           np.array(draw(st.lists(st.integers(0, trials - 1), min_size=k, max_size=k)),
                                    dtype=np.int64))
        for var in draw(st.lists(st.sampled_from(["v", "i_e", "i_i"]), unique=True, max_size=3)):
            idx = np.array(sorted(draw(st.sets(st.integers(0, size - 1), min_size=1))), dtype=np.int64)
            times = t_start + np.arange(1, n_steps + 1) * dt
            values = np.array(draw(st.lists(st.floats(width=32, allow_nan=False),
                                            min_size=1, max_size=1)), dtype=np.float64)[0] \
                + np.arange(n_steps * trials * idx.size, dtype=np.float64).reshape(
                    n_steps, trials, idx.size)
            states.setdefault(pop, {})[var] = StateTrace(times, idx, values)
    meta = draw(st.dictionaries(meta_keys, meta_values, max_size=6))
    meta.update({"backend": draw(st.sampled_from(["torch", "brian2"])), "trials": trials,
                 "seed": draw(st.integers(0, 2**31)), "run_s": draw(st.floats(0, 10))})
    return nm.Recording(dt, t_start, t_start + n_steps * dt, sizes, spikes, states, meta)


def assert_same_recording(a: nm.Recording, b: nm.Recording) -> None:
    assert_deep_equal((a.dt, a.t_start, a.t_stop), (b.dt, b.t_start, b.t_stop))
    assert list(a.sizes) == list(b.sizes)
    assert_deep_equal(a.sizes, b.sizes)
    assert set(a.spike_data) == set(b.spike_data)
    for pop, arrays in a.spike_data.items():
        assert_deep_equal(list(arrays), list(b.spike_data[pop]), f"spikes/{pop}")
    assert set(a.states) == set(b.states)
    for pop, traces in a.states.items():
        assert set(traces) == set(b.states[pop])
        for var, tr in traces.items():
            other = b.states[pop][var]
            assert_deep_equal([tr.times, tr.indices, tr.values],
                              [other.times, other.indices, other.values], f"state/{pop}/{var}")
    assert_deep_equal(a.meta, b.meta, "meta")
    assert a.trials == b.trials


@IO_SETTINGS
@given(rec=recordings())
def test_recording_round_trip(tmp_path, rec):
    path = tmp_path / "rec.h5"
    rec.save(path)
    back = nm.Recording.load(path)
    assert_same_recording(rec, back)
    for pop in rec.spike_data:
        for trial in range(rec.trials):
            for x, y in zip(rec.spikes(pop, trial), back.spikes(pop, trial)):
                assert np.array_equal(x, y)


def test_recording_meta_kinds_round_trip(tmp_path):
    meta = {"backend": "torch", "trials": 2, "seed": 7, "dt": 0.1, "build_s": 0.5,
            "flag": True, "off": False, "nothing": None, "text": "päth / with spaces",
            "empty_text": "", "ints": np.arange(3), "floats": np.array([0.5, -1.0]),
            "nested": {"a": 1, "b": {"c": "d", "e": np.zeros((2, 3))}}, "empty": {},
            "names": np.array(["x", "yy"])}
    rec = nm.Recording(0.1, 0.0, 1.0, {"a": 1}, {}, {}, meta)
    rec.save(tmp_path / "rec.h5")
    back = nm.Recording.load(tmp_path / "rec.h5")
    assert_same_recording(rec, back)


# -- refusing bad files ------------------------------------------------------------------
def assert_refused(load, path: Path) -> None:
    with pytest.raises(nm.FileFormatError) as info:
        load(path)
    assert isinstance(info.value, nm.NeuromemError)
    assert str(path) in str(info.value)


def test_truncated_network_file(tmp_path):
    path = tmp_path / "net.h5"
    example_network().save(path)
    data = path.read_bytes()
    for frac in (0.5, 0.1, 0.9):
        cut = tmp_path / f"cut{frac}.h5"
        cut.write_bytes(data[:int(len(data) * frac)])
        assert_refused(nm.Network.load, cut)


def test_truncated_recording_file(tmp_path):
    path = tmp_path / "rec.h5"
    rec = nm.Recording(0.1, 0.0, 10.0, {"a": 3},
                       {"a": (np.arange(100) * 0.1, np.zeros(100, dtype=np.int64),
                              np.zeros(100, dtype=np.int64))}, {}, {"trials": 1})
    rec.save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    assert_refused(nm.Recording.load, path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    assert_refused(nm.Network.load, path)
    assert_refused(nm.Recording.load, path)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    assert_refused(nm.Network.load, empty)


def test_hdf5_header_then_garbage(tmp_path):
    path = tmp_path / "net.h5"
    example_network().save(path)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(1)
    data[512:] = rng.bytes(len(data) - 512)
    path.write_bytes(bytes(data))
    assert_refused(nm.Network.load, path)


def test_missing_file(tmp_path):
    assert_refused(nm.Network.load, tmp_path / "nope.h5")
    assert_refused(nm.Recording.load, tmp_path / "nope.h5")


def test_foreign_hdf5_file(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(10)
        f.attrs["name"] = "not ours"
    assert_refused(nm.Network.load, path)
    assert_refused(nm.Recording.load, path)


def test_recording_loaded_as_network_and_back(tmp_path):
    rec_path, net_path = tmp_path / "rec.h5", tmp_path / "net.h5"
    nm.Recording(0.1, 0.0, 1.0, {"a": 1}, {}, {}, {}).save(rec_path)
    example_network().save(net_path)
    assert_refused(nm.Network.load, rec_path)
    assert_refused(nm.Recording.load, net_path)


@pytest.mark.parametrize("version", [2, 0, -1, "one"])
def test_unsupported_format_version(tmp_path, version):
    path = tmp_path / "net.h5"
    example_network().save(path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = version
    assert_refused(nm.Network.load, path)


def test_missing_format_version(tmp_path):
    path = tmp_path / "net.h5"
    example_network().save(path)
    with h5py.File(path, "a") as f:
        del f.attrs["format_version"]
    assert_refused(nm.Network.load, path)


@pytest.mark.parametrize("entry", ["nodes", "projections", "node_order", "nodes/cells",
                                   "projections/2", "projections/0", "projections/1/weight",
                                   "nodes/cells/tau_m", "@name", "@dt", "@nodes/cells/size"])
def test_network_file_with_an_entry_deleted(tmp_path, entry):
    path = tmp_path / "net.h5"
    example_network().save(path)
    with h5py.File(path, "a") as f:
        if entry.startswith("@"):
            group, _, attr = entry[1:].rpartition("/")
            del f[group or "/"].attrs[attr]
        else:
            del f[entry]
    assert_refused(nm.Network.load, path)


@pytest.mark.parametrize("entry", ["populations", "meta", "populations/a/spikes/times",
                                   "populations/a/state/v/values"])
def test_recording_file_with_an_entry_deleted(tmp_path, entry):
    path = tmp_path / "rec.h5"
    rec = nm.Recording(0.1, 0.0, 1.0, {"a": 2},
                       {"a": (np.array([0.1, 0.2]), np.array([0, 1]), np.array([0, 0]))},
                       {"a": {"v": StateTrace(np.arange(1, 11) * 0.1, np.array([0, 1]),
                                              np.zeros((10, 1, 2)))}}, {"trials": 1})
    rec.save(path)
    with h5py.File(path, "a") as f:
        del f[entry]
    assert_refused(nm.Recording.load, path)


def test_network_file_with_an_invalid_node(tmp_path):
    path = tmp_path / "net.h5"
    example_network().save(path)
    with h5py.File(path, "a") as f:
        f["nodes/cells"].attrs["type"] = "Izhikevich"
    assert_refused(nm.Network.load, path)


def test_network_file_with_a_dangling_projection(tmp_path):
    path = tmp_path / "net.h5"
    example_network().save(path)
    with h5py.File(path, "a") as f:
        f["projections/0"].attrs["post"] = "ghost"
    assert_refused(nm.Network.load, path)


# -- atomic saving -----------------------------------------------------------------------
def failing_write_dict(monkeypatch):
    real = h5io.write_dict
    calls = []

    def write_then_fail(group, data):
        calls.append(1)
        real(group, dict(list(data.items())[:2]))  # part of the file is written
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(h5io, "write_dict", write_then_fail)
    return calls


def test_failed_network_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "net.h5"
    old = nm.Network(name="old")
    old.add("cells", nm.LIF(2))
    old.save(path)
    before = path.read_bytes()
    calls = failing_write_dict(monkeypatch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        example_network().save(path)
    assert calls
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.h5"]
    monkeypatch.undo()
    assert_same_network(old, nm.Network.load(path))


def test_failed_recording_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "rec.h5"
    path.write_bytes(b"the user's precious data")
    calls = failing_write_dict(monkeypatch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        nm.Recording(0.1, 0.0, 1.0, {"a": 1}, {}, {}, {"backend": "torch", "x": 1}).save(path)
    assert calls
    assert path.read_bytes() == b"the user's precious data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.h5"]


def test_failed_save_to_new_path_leaves_nothing(tmp_path, monkeypatch):
    failing_write_dict(monkeypatch)
    with pytest.raises(RuntimeError):
        example_network().save(tmp_path / "net.h5")
    assert list(tmp_path.iterdir()) == []


def test_successful_save_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "net.h5"
    example_network().save(path)
    example_network().save(path)  # over an existing file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.h5"]


def test_save_into_new_nested_folder(tmp_path):
    path = tmp_path / "a" / "b" / "c" / "net.h5"
    net = example_network()
    net.save(path)
    assert path.is_file()
    assert_same_network(net, nm.Network.load(path))
    rec_path = tmp_path / "x" / "y" / "rec.h5"
    rec = nm.Recording(0.1, 0.0, 1.0, {"a": 1}, {}, {}, {"trials": 1})
    rec.save(str(rec_path))
    assert_same_recording(rec, nm.Recording.load(str(rec_path)))


def test_save_to_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    net = example_network()
    net.save("net.h5")
    assert_same_network(net, nm.Network.load("net.h5"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.h5"]


def _saved_recording(tmp_path) -> Path:
    net = nm.Network(dt=1.0)
    net.add("input", nm.SpikeArray.from_trains([[1.0, 3.0]]))
    net.add("cells", nm.LIF(2, c_m=0.25))
    net.connect("input", "cells", nm.all_to_all(), weight=5.0, delay=1.0)
    path = tmp_path / "rec.h5"
    nm.compile(net, backend="torch").run(10.0).save(path)
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda f: f["populations/input/spikes/indices"].__setitem__(0, 7), "lie outside the recording"),
    (lambda f: f["populations/input/spikes/times"].__setitem__(0, -5.0), "lie outside the recording"),
    (lambda f: f["populations/input/spikes/times"].__setitem__(0, np.nan), "lie outside the recording"),
    (lambda f: f["populations/cells"].attrs.__setitem__("size", 0), "has size 0"),
    (lambda f: f["meta"].attrs.__setitem__("trials", 0), "'trials' must be a positive integer"),
    (lambda f: f.attrs.__setitem__("t_stop", -1.0), "do not describe a run"),
    (lambda f: f.attrs.__setitem__("format_version", 1.9), "format version 1.9 is not supported"),
])
def test_a_crafted_recording_is_refused_by_name(tmp_path, edit, message):
    """Content a run could not have written is a FileFormatError at load, not a crash later
    (an out-of-range index, a trial count of 0 made `neuromem info` divide by zero)."""
    path = _saved_recording(tmp_path)
    nm.Recording.load(path)  # the original loads
    with h5py.File(path, "r+") as f:
        edit(f)
    with pytest.raises(nm.FileFormatError, match=message):
        nm.Recording.load(path)


def test_a_network_file_with_a_non_integer_size_fails_validation_by_name():
    net = nm.Network(dt=1.0)
    net.add("a", nm.LIF(2))
    net.connect("a", "a", nm.all_to_all(), weight=0.1, delay=1.0)
    # the node's size as a crafted file would hold it, through the dict form files are read into
    data = net.to_dict()
    data["nodes"]["a"]["size"] = "two"
    with pytest.raises(nm.ValidationError, match="node 'a'.*size must be a positive integer"):
        nm.Network.from_dict(data).validate()
