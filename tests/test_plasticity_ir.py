"""Plasticity rules, astrocytes and dendritic segments in the graph IR (issue 3): validation names
the node or edge and the field, files round-trip losslessly, run options are checked, and what a
backend cannot run is refused by name."""

from __future__ import annotations

import dataclasses

import h5py
import numpy as np
import pytest

import neuromem as nm

NAN, INF = float("nan"), float("inf")
DT = 1.0
SEGMENTS = 3  # per cell of the "dend" population, which has 2 cells


# -- helpers -----------------------------------------------------------------------------
def base() -> nm.Network:
    """A small valid network with every new node kind: spikes drive LIF cells, a DendriticLIF
    population (2 cells x 3 segments) and an astrocyte listening to the cells and the input."""
    net = nm.Network("base", dt=DT)
    net.add("src", nm.SpikeArray.from_trains([[1.0, 5.0], [2.0], [3.0, 8.0]]))
    net.add("cells", nm.LIF(2, c_m=0.25, tau_refrac=2.0))
    net.add("dend", nm.DendriticLIF(2, c_m=0.25, tau_refrac=2.0, segments=SEGMENTS, theta=1.0,
                                    window=2.0, plateau=3.0, v_plateau=5.0))
    net.add("astro", nm.Astrocyte(tau=20.0, inputs={"cells": 1.0, "src": np.array([-1.0, -0.5, 0.0])}))
    return net


def check(exc_info, *, node=None, edge=None, field=None) -> None:
    """The error names exactly this place, and its message names it too and says what is wrong."""
    err = exc_info.value
    assert isinstance(err, nm.ValidationError) and isinstance(err, nm.NeuromemError)
    assert (err.node, err.edge, err.field) == (node, edge, field), str(err)
    msg = str(err)
    for part in (node, edge, field):
        if part is not None:
            assert f"'{part}'" in msg, msg
    reason = msg.partition(": ")[2]  # after "node 'x', field 'y': "
    assert reason.strip() and "\n" not in msg, msg
    assert "Traceback" not in msg


def invalid(net: nm.Network, **where) -> str:
    """``net.validate()`` and ``nm.compile`` both refuse ``net`` at ``where``; returns the message."""
    with pytest.raises(nm.ValidationError) as info:
        net.validate()
    check(info, **where)
    with pytest.raises(nm.ValidationError) as compiled:
        nm.compile(net, backend="torch")
    check(compiled, **where)
    assert str(compiled.value) == str(info.value)
    return str(info.value)


def plastic(net: nm.Network, rule, weight=0.5, name="learn", pre="src", post="cells", **kw):
    """Add a plastic all-to-all projection (0.5 nA lies within every default rule's bounds)."""
    return net.connect(pre, post, nm.all_to_all(), weight=weight, name=name, plasticity=rule, **kw)


# -- the valid case ----------------------------------------------------------------------
def full_network() -> nm.Network:
    """Every rule, an astrocyte, a DendriticLIF with "dend" projections, Poisson input."""
    net = nm.Network("full", dt=DT)
    net.add("src", nm.PoissonSource(6, rate=np.linspace(30.0, 80.0, 6)))
    net.add("cells", nm.LIF(4, c_m=0.25, v_thresh=-55.0, tau_refrac=2.0,
                            v_init=nm.Uniform(-65.0, -56.0)))
    net.add("dend", nm.DendriticLIF(3, c_m=0.25, v_thresh=-55.0, tau_refrac=2.0, segments=2,
                                    theta=1.5, window=3.0, plateau=5.0, v_plateau=6.0))
    net.add("astro", nm.Astrocyte(tau=20.0, bias=0.1, init=0.15, w_scale=0.01, decay=0.999,
                                  inputs={"cells": 1.0, "src": np.full(6, -0.5)}))
    delays = np.where(np.arange(24).reshape(6, 4) % 3 == 0, 2.0, 1.0)
    net.connect("src", "cells", nm.all_to_all(), weight=nm.Uniform(0.3, 1.2), delay=delays,
                seed=1, name="stdp",
                plasticity=nm.STDP(tau_plus=10.0, a_plus=0.05, a_minus=0.06, w_min=0.0, w_max=2.0,
                                   weight_dependence="multiplicative", pairing="nearest",
                                   lr_decay=0.999))
    net.connect("src", "dend", nm.fixed_probability(0.6, seed=2), weight=nm.Uniform(0.1, 0.6),
                seed=2, name="spin",
                plasticity=nm.SpiNNakerSTDP(tau_plus=8.0, tau_minus=9.0, A_plus=0.05,
                                            A_minus=0.06, w_min=0.0, w_max=1.0))
    net.connect("cells", "dend", nm.all_to_all(), weight=0.4, delay=2.0, name="astdp",
                plasticity=nm.AstroSTDP("astro", pre_kind="exc", a_plus=0.1, w_min=0.0,
                                        w_max=1.0, lr_decay=0.999))
    net.connect("cells", "cells", nm.all_to_all(allow_self=False), weight=-0.3, receptor="inh",
                name="inh",
                plasticity=nm.AstroSTDP("astro", pre_kind="inh", a_plus=0.05, w_min=-1.0,
                                        w_max=0.0))
    net.connect("src", "dend", nm.fixed_probability(0.5, seed=3), weight=1.0, delay=2.0,
                name="seg", receptor="dend")
    net.connect("src", "cells", nm.from_list([(k, k) for k in range(4)]), weight=0.2, name="static")
    return net


PLASTIC = ("stdp", "spin", "astdp", "inh")
SNAPS = {"stdp": [0.0, 30.0, 79.0], "spin": [79.0], "astdp": [40.0, 79.0], "inh": [79.0]}
RECORD = {"astro": ["A"], "dend": ["segment", "predictive", "v"]}


def test_networks_with_the_new_nodes_and_rules_validate():
    """The helpers' networks are valid, so every refusal below is the one problem added."""
    assert base().validate() is None
    assert full_network().validate() is None
    net = base()
    net.connect("src", "dend", nm.from_list([(0, 0), (2, 2 * SEGMENTS - 1)]), receptor="dend",
                name="seg")
    plastic(net, nm.AstroSTDP("astro"), post="dend", name="astdp")
    assert nm.ir.validate.problems(net, DT) == []


# -- validation: rule parameters -----------------------------------------------------------
RULE_PARAMS = [
    (nm.STDP(tau_plus=0.0), "tau_plus"),
    (nm.STDP(tau_plus=-5.0), "tau_plus"),
    (nm.STDP(tau_minus=NAN), "tau_minus"),
    (nm.STDP(tau_minus=INF), "tau_minus"),
    (nm.STDP(a_plus=-0.01), "a_plus"),
    (nm.STDP(a_minus=NAN), "a_minus"),
    (nm.STDP(lr_decay=0.0), "lr_decay"),
    (nm.STDP(w_max=INF), "w_max"),
    (nm.STDP(w_min=-INF), "w_min"),
    (nm.STDP(tau_plus="20"), "tau_plus"),
    (nm.SpiNNakerSTDP(tau_plus=-1.0), "tau_plus"),
    (nm.SpiNNakerSTDP(tau_minus=0.0), "tau_minus"),
    (nm.SpiNNakerSTDP(A_plus=-0.1), "A_plus"),
    (nm.SpiNNakerSTDP(A_minus=INF), "A_minus"),
    (nm.SpiNNakerSTDP(w_max=NAN), "w_max"),
    (nm.AstroSTDP("astro", trace_decay=0.0), "trace_decay"),
    (nm.AstroSTDP("astro", trace_decay=NAN), "trace_decay"),
    (nm.AstroSTDP("astro", a_plus=-0.15), "a_plus"),
    (nm.AstroSTDP("astro", trace_increment=-1.0), "trace_increment"),
    (nm.AstroSTDP("astro", lr_decay=-0.5), "lr_decay"),
    (nm.AstroSTDP("astro", w_min=NAN), "w_min"),
]


@pytest.mark.parametrize("rule,fld", RULE_PARAMS,
                         ids=[f"{type(r).__name__}-{f}-{k}" for k, (r, f) in enumerate(RULE_PARAMS)])
def test_bad_rule_parameter(rule, fld):
    """Non-finite, negative or zero rule parameters name the edge and 'plasticity.<param>'."""
    net = base()
    plastic(net, rule)
    msg = invalid(net, edge="learn", field=f"plasticity.{fld}")
    assert type(rule).__name__ in msg


@pytest.mark.parametrize("rule,fld,allowed", [
    (nm.STDP(weight_dependence="mult"), "weight_dependence", ("additive", "multiplicative")),
    (nm.STDP(pairing="pairs"), "pairing", ("all_to_all", "nearest")),
    (nm.AstroSTDP("astro", pre_kind="excitatory"), "pre_kind", ("exc", "inh", "input")),
])
def test_bad_rule_choice(rule, fld, allowed):
    """A string parameter outside its choices is refused, and the message lists the choices."""
    net = base()
    plastic(net, rule)
    msg = invalid(net, edge="learn", field=f"plasticity.{fld}")
    assert repr(getattr(rule, fld)) in msg
    assert all(a in msg for a in allowed)


@pytest.mark.parametrize("rule", [nm.STDP(w_min=1.0, w_max=0.25),
                                  nm.SpiNNakerSTDP(w_min=0.6, w_max=0.4),
                                  nm.AstroSTDP("astro", w_min=2.0, w_max=1.0)])
def test_w_min_above_w_max(rule):
    """Bounds the wrong way round are refused, naming w_min and both values."""
    net = base()
    plastic(net, rule)
    msg = invalid(net, edge="learn", field="plasticity.w_min")
    assert str(rule.w_min) in msg and str(rule.w_max) in msg


@pytest.mark.parametrize("weight", [1.5, np.array([0.5, 0.5, 0.5, 0.5, 0.5, 2.0])])
def test_initial_weights_above_w_max(weight):
    """Initial weights over the rule's upper bound name the edge and 'plasticity.w_max'."""
    net = base()
    plastic(net, nm.STDP(w_min=0.0, w_max=1.0), weight=weight)
    msg = invalid(net, edge="learn", field="plasticity.w_max")
    assert "[0.0, 1.0]" in msg


def test_initial_weights_below_w_min():
    """Weights under the lower bound are refused at the rule's bounds, naming the edge."""
    net = base()
    plastic(net, nm.SpiNNakerSTDP(w_min=0.0, w_max=1.0), weight=-0.5)
    with pytest.raises(nm.ValidationError) as info:
        net.validate()
    err = info.value
    assert err.edge == "learn" and err.node is None
    # (the library reports this under "plasticity.w_max", like weights above the upper bound)
    assert err.field in ("plasticity.w_min", "plasticity.w_max"), str(err)
    assert "-0.5" in str(err) and "[0.0, 1.0]" in str(err)


def test_weights_on_the_bounds_are_fine():
    """Initial weights exactly at w_min and w_max are accepted."""
    net = base()
    plastic(net, nm.STDP(w_min=0.0, w_max=1.0), weight=np.array([0.0, 1.0] * 3))
    assert net.validate() is None


@pytest.mark.parametrize("target", ["ghost", "cells", "src", ""])
def test_astro_stdp_needs_an_astrocyte(target):
    """AstroSTDP naming a missing node, or a node that is not an Astrocyte, is refused."""
    net = base()
    plastic(net, nm.AstroSTDP(target))
    msg = invalid(net, edge="learn", field="plasticity.astrocyte")
    assert f"'{target}'" in msg


def test_rule_on_a_dend_projection():
    """A plasticity rule on a "dend" projection is refused (segment synapses do not learn)."""
    net = base()
    net.connect("src", "dend", nm.all_to_all(), weight=0.5, receptor="dend", name="seg",
                plasticity=nm.STDP())
    msg = invalid(net, edge="seg", field="plasticity.type")
    assert "STDP" in msg and "dendritic" in msg


def test_plasticity_that_is_not_a_rule():
    """An object that is not a registered rule is refused at 'plasticity'."""
    net = base()
    plastic(net, "STDP")
    invalid(net, edge="learn", field="plasticity")


# -- validation: receptor "dend" -------------------------------------------------------------
def test_dend_receptor_onto_a_plain_lif():
    """Receptor "dend" needs a DendriticLIF target; the message names the target's type."""
    net = base()
    net.connect("src", "cells", nm.all_to_all(), receptor="dend", name="seg")
    msg = invalid(net, edge="seg", field="receptor")
    assert "DendriticLIF" in msg and "'cells'" in msg


def test_dend_post_idx_out_of_the_segment_range():
    """post_idx of a "dend" projection counts segments: cells * segments of them."""
    net = base()
    n = 2 * SEGMENTS
    net.add_projection(nm.Projection("seg", "src", "dend", "dend", np.array([0, 1]),
                                     np.array([n - 1, n]), np.ones(2), np.ones(2)))
    msg = invalid(net, edge="seg", field="post_idx")
    assert f"[0, {n})" in msg


def test_dend_connect_checks_the_segment_range():
    """``connect`` onto "dend" indexes segments and refuses an index past the last one."""
    net = base()
    with pytest.raises(nm.ValidationError) as info:
        net.connect("src", "dend", nm.from_list([(0, 2 * SEGMENTS)]), receptor="dend", name="seg")
    check(info, edge="seg", field="post_idx")
    # all-to-all onto "dend" reaches every segment, not every cell
    proj = net.connect("src", "dend", nm.all_to_all(), receptor="dend", name="seg")
    assert proj.n_synapses == 3 * 2 * SEGMENTS and proj.post_idx.max() == 2 * SEGMENTS - 1


# -- validation: DendriticLIF ----------------------------------------------------------------
@pytest.mark.parametrize("kw,fld,words", [
    ({"segments": 0}, "segments", "positive integer"),
    ({"segments": 1.5}, "segments", "positive integer"),
    ({"segments": -2}, "segments", "positive integer"),
    ({"theta": 0.0}, "theta", "> 0"),
    ({"theta": -1.0}, "theta", "> 0"),
    ({"theta": NAN}, "theta", "finite"),
    ({"window": 0.5}, "window", "shorter than one step"),
    ({"window": 0.0}, "window", "shorter than one step"),
    ({"window": 2.5}, "window", "whole number of steps"),
    ({"window": INF}, "window", "finite"),
    ({"plateau": -1.0}, "plateau", ">= 0"),
    ({"plateau": 3.5}, "plateau", "whole number of steps"),
    ({"plateau": NAN}, "plateau", "finite"),
    ({"v_plateau": INF}, "v_plateau", "finite"),
])
def test_bad_dendritic_lif(kw, fld, words):
    """Bad segments, theta, window (under one step, off-grid) or plateau name the node and field."""
    net = base()
    net.add("bad", nm.DendriticLIF(2, **kw))
    msg = invalid(net, node="bad", field=fld)
    assert words in msg


def test_dendritic_window_checked_at_the_run_dt():
    """window and plateau must be whole steps of the dt the network is compiled at."""
    net = nm.Network(dt=1.0)
    net.add("dend", nm.DendriticLIF(2, segments=2, window=1.0, plateau=2.0))
    assert net.validate() is None
    with pytest.raises(nm.ValidationError) as info:
        nm.compile(net, backend="torch", dt=0.3)
    check(info, node="dend", field="window")
    assert "plateau" in str(info.value)  # counted among the other problems


def test_dendritic_lif_keeps_the_lif_checks():
    """A DendriticLIF is still checked as a LIF."""
    net = base()
    net.add("bad", nm.DendriticLIF(2, tau_m=0.0, segments=2))
    invalid(net, node="bad", field="tau_m")


# -- validation: Astrocyte -------------------------------------------------------------------
@pytest.mark.parametrize("kw,fld", [
    ({"size": 2}, "size"),
    ({"size": 0}, "size"),
    ({"tau": 0.0}, "tau"),
    ({"tau": -10.0}, "tau"),
    ({"tau": NAN}, "tau"),
    ({"decay": 0.0}, "decay"),
    ({"bias": INF}, "bias"),
    ({"init": NAN}, "init"),
    ({"w_scale": NAN}, "w_scale"),
])
def test_bad_astrocyte(kw, fld):
    """Astrocyte size other than 1, tau or decay <= 0, non-finite parameters are refused."""
    net = base()
    net.add("bad", nm.Astrocyte(**kw))
    invalid(net, node="bad", field=fld)


@pytest.mark.parametrize("inputs,words", [
    ({"ghost": 1.0}, "'ghost' does not exist"),
    ({"astro": 1.0}, "astrocyte"),
    ({"bad": 1.0}, "astrocyte"),
    ({"cells": np.ones(3)}, "shape (3,)"),
    ({"cells": np.ones((2, 1))}, "shape (2, 1)"),
    ({"src": np.array([1.0, NAN, 1.0])}, "NaN"),
    ({"cells": INF}, "NaN or infinite"),
])
def test_bad_astrocyte_inputs(inputs, words):
    """Inputs naming a missing population or an astrocyte, or weights of the wrong shape or
    non-finite, name the astrocyte and 'inputs'."""
    net = base()
    net.add("bad", nm.Astrocyte(inputs=inputs))
    msg = invalid(net, node="bad", field="inputs")
    assert words in msg
    assert f"'{next(iter(inputs))}'" in msg


@pytest.mark.parametrize("pre,post,end", [("src", "astro", "post"), ("cells", "astro", "post"),
                                          ("astro", "cells", "pre")])
def test_projection_to_or_from_an_astrocyte(pre, post, end):
    """An astrocyte takes populations in 'inputs', never projections, at either end."""
    net = base()
    net.connect(pre, post, nm.all_to_all(), name="e")
    msg = invalid(net, edge="e", field=end)
    assert "'astro'" in msg and "inputs" in msg


# -- files -----------------------------------------------------------------------------------
def assert_same_tree(a, b, path="root") -> None:
    """Nested dicts/lists of arrays and scalars equal, with the same types and dtypes."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{path}: {list(a)} != {list(b)}"
        for k in a:
            assert_same_tree(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{path}[{k}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape, path
        assert a.dtype.kind == b.dtype.kind, f"{path}: {a.dtype} != {b.dtype}"
        assert np.array_equal(a, b), f"{path}: {a!r} != {b!r}"
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


def run_full(net: nm.Network, duration: float = 80.0, snaps=None):
    sim = nm.compile(net, backend="torch", seed=7, trials=2)
    return sim, sim.run(duration, weights=SNAPS if snaps is None else snaps, record=RECORD)


def test_network_with_every_rule_round_trips(tmp_path):
    """Rules, astrocyte and DendriticLIF survive HDF5, and the copy runs to the same spikes,
    weights and states as the original."""
    net = full_network()
    path = tmp_path / "net.h5"
    net.save(path)
    back = nm.Network.load(path)
    assert_same_tree(net.to_dict(), back.to_dict())
    assert list(back.nodes) == list(net.nodes)
    for name, node in net.nodes.items():
        assert type(back.node(name)) is type(node)
    assert back.node("dend").segments == 2 and back.node("dend").window == 3.0
    assert list(back.node("astro").inputs) == ["cells", "src"]
    np.testing.assert_array_equal(back.node("astro").inputs["src"], np.full(6, -0.5))
    for proj in net.projections:
        twin = back.projection(proj.name)
        assert type(twin.plasticity) is type(proj.plasticity)
        assert twin.plasticity == proj.plasticity  # dataclass equality, field by field
        if proj.plasticity is not None:
            assert dataclasses.asdict(twin.plasticity) == dataclasses.asdict(proj.plasticity)
        assert twin.receptor == proj.receptor
        np.testing.assert_array_equal(twin.weight, proj.weight)
    assert back.validate() is None

    sim_a, a = run_full(net)
    sim_b, b = run_full(back)
    for pop in a.populations:
        for trial in range(2):
            for x, y in zip(a.spikes(pop, trial), b.spikes(pop, trial)):
                np.testing.assert_array_equal(x, y, err_msg=pop)
    assert a.spike_count("cells") > 0 and a.spike_count("dend") > 0
    for name in PLASTIC:
        np.testing.assert_array_equal(a.weights[name][0], b.weights[name][0])
        np.testing.assert_array_equal(a.weights[name][1], b.weights[name][1], err_msg=name)
        np.testing.assert_array_equal(sim_a.weights(name), sim_b.weights(name))
    for pop, var in [("astro", "A"), ("dend", "segment"), ("dend", "predictive")]:
        np.testing.assert_array_equal(a.state(pop, var).values, b.state(pop, var).values)
    # the run exercised what it claims to: weights moved, A moved, segments crossed theta
    for name in PLASTIC:
        assert not np.array_equal(a.weights[name][1][-1], net.projection(name).weight[None]), name
    assert np.ptp(a.state("astro", "A").values) > 0
    assert a.state("dend", "predictive").values.max() == 1.0


def test_recording_with_weights_and_modulators_round_trips(tmp_path):
    """Weight snapshots, astrocyte 'A' (under "modulators") and dendritic 'segment' states
    reload as identical arrays."""
    snaps = {"stdp": [0.0, 20.0, 39.0], "astdp": [39.0], "inh": [5.0, 6.0]}
    _, rec = run_full(full_network(), duration=40.0, snaps=snaps)
    path = tmp_path / "rec.h5"
    rec.save(path)
    with h5py.File(path, "r") as f:
        assert "astro" in f["modulators"] and "astro" not in f["populations"]
        assert list(f["weights"]) == list(snaps)
    back = nm.Recording.load(path)
    assert back.sizes == rec.sizes and "astro" not in back.sizes
    assert (back.dt, back.t_start, back.t_stop, back.trials) == (rec.dt, rec.t_start, rec.t_stop, 2)
    assert list(back.weights) == list(rec.weights) == list(snaps)
    for name, (times, values) in rec.weights.items():
        t2, v2 = back.weights[name]
        assert v2.shape == values.shape == (len(snaps[name]), 2, rec.weights[name][1].shape[2])
        assert t2.dtype == times.dtype and v2.dtype == values.dtype == np.float64
        np.testing.assert_array_equal(t2, times)
        np.testing.assert_array_equal(v2, values)
        for trial in range(2):
            np.testing.assert_array_equal(back.weight_snapshots(name, trial)[1],
                                          rec.weight_snapshots(name, trial)[1])
    assert set(back.states) == {"astro", "dend"}
    for pop, per_var in rec.states.items():
        assert set(back.states[pop]) == set(per_var)
        for var, trace in per_var.items():
            other = back.state(pop, var)
            for fld in ("times", "indices", "values"):
                x, y = getattr(trace, fld), getattr(other, fld)
                assert x.dtype == y.dtype and x.shape == y.shape, (pop, var, fld)
                np.testing.assert_array_equal(x, y)
    assert back.state("astro", "A").values.shape == (40, 2, 1)
    assert back.state("dend", "segment").values.shape == (40, 2, 3 * 2)
    for pop in rec.populations:
        for x, y in zip(rec.spike_data[pop], back.spike_data[pop]):
            np.testing.assert_array_equal(x, y)


def _saved_recording(tmp_path):
    net = base()
    plastic(net, nm.STDP(), name="learn")
    rec = nm.compile(net, backend="torch").run(10.0, weights={"learn": [2.0, 9.0]})
    path = tmp_path / "rec.h5"
    rec.save(path)
    return path


def _replace(group, name, data):
    del group[name]
    group.create_dataset(name, data=data)


@pytest.mark.parametrize("damage", [
    lambda g: _replace(g, "values", np.zeros((2, 6))),  # one dimension short
    lambda g: _replace(g, "values", np.zeros((2, 1, 6, 1))),  # one too many
    lambda g: _replace(g, "values", np.zeros(6)),
    lambda g: _replace(g, "times", np.zeros(3)),  # 3 times for 2 snapshots
    lambda g: g.__delitem__("values"),
    lambda g: g.__delitem__("times"),
], ids=["ndim2", "ndim4", "ndim1", "times-length", "no-values", "no-times"])
def test_corrupted_weight_snapshots_are_refused(tmp_path, damage):
    """Weight snapshots damaged after saving (shape, length, missing) raise FileFormatError."""
    path = _saved_recording(tmp_path)
    assert nm.Recording.load(path).weights["learn"][1].shape == (2, 1, 6)
    with h5py.File(path, "a") as f:
        damage(f["weights/learn"])
    with pytest.raises(nm.FileFormatError) as info:
        nm.Recording.load(path)
    assert str(path) in str(info.value)


def test_weights_entry_that_is_not_a_group_is_refused(tmp_path):
    """A weights entry written as a dataset instead of a group raises FileFormatError."""
    path = _saved_recording(tmp_path)
    with h5py.File(path, "a") as f:
        del f["weights/learn"]
        f["weights"].create_dataset("learn", data=np.zeros((2, 1, 6)))
    with pytest.raises(nm.FileFormatError):
        nm.Recording.load(path)


@pytest.mark.parametrize("damage", [
    lambda g: g.attrs.__setitem__("type", "Hebb"),  # an unknown rule
    lambda g: g.attrs.__delitem__("tau_plus"),  # a parameter lost
], ids=["unknown-rule", "missing-parameter"])
def test_corrupted_rule_in_a_network_file_is_refused(tmp_path, damage):
    """A network file with an unknown rule type or a lost rule parameter is refused."""
    net = base()
    plastic(net, nm.STDP(tau_plus=7.0), name="learn")
    path = tmp_path / "net.h5"
    net.save(path)
    with h5py.File(path, "a") as f:
        damage(f["projections/0/plasticity"])
    with pytest.raises(nm.FileFormatError) as info:
        nm.Network.load(path)
    assert str(path) in str(info.value)


# -- run options ---------------------------------------------------------------------------
def options_network() -> nm.Network:
    net = base()
    plastic(net, nm.STDP(a_plus=0.05, a_minus=0.05), name="learn")
    net.connect("src", "cells", nm.from_list([(0, 0), (1, 1)]), weight=0.3, name="static")
    net.connect("src", "dend", nm.all_to_all(), receptor="dend", name="seg")
    return net


@pytest.mark.parametrize("weights,words", [
    ({"ghost": [1.0]}, "'ghost': no such projection"),
    ({"static": [1.0]}, "'static': it has no plasticity rule"),
    ({"seg": [1.0]}, "'seg': it has no plasticity rule"),
    ({"learn": [1.5]}, "step grid"),
    ({"learn": [NAN]}, "step grid"),
    ({"learn": [INF]}, "step grid"),
    ({"learn": [-1.0]}, "in this run"),
    ({"learn": [10.0]}, "in this run"),  # the run covers steps 0..9
    ({"learn": [3.0, 25.0]}, "in this run"),
])
def test_bad_weight_snapshot_options(weights, words):
    """``weights=`` for an unknown, static or "dend" projection, or at bad times, is refused."""
    sim = nm.compile(options_network(), backend="torch")
    with pytest.raises(nm.BackendError) as info:
        sim.run(10.0, weights=weights)
    assert words in str(info.value)
    assert sim.t == 0.0  # a refused run does not advance the simulation


def test_weight_snapshot_times_are_absolute_and_within_the_run():
    """A continued run takes times in [t, t + duration): earlier ones are refused."""
    sim = nm.compile(options_network(), backend="torch")
    first = sim.run(10.0, weights={"learn": [0.0, 9.0]})
    np.testing.assert_array_equal(first.weights["learn"][0], [0.0, 9.0])
    with pytest.raises(nm.BackendError, match=r"\[10, 15\) ms"):
        sim.run(5.0, weights={"learn": [9.0]})
    with pytest.raises(nm.BackendError):
        sim.run(5.0, weights={"learn": [15.0]})
    second = sim.run(5.0, weights={"learn": [14.0, 10.0, 14.0]})  # sorted, duplicates dropped
    np.testing.assert_array_equal(second.weights["learn"][0], [10.0, 14.0])


def test_empty_list_of_snapshot_times():
    """An empty list of times records no snapshot (or is refused as a BackendError)."""
    sim = nm.compile(options_network(), backend="torch")
    try:
        rec = sim.run(10.0, weights={"learn": []})
    except nm.BackendError:
        return
    times, values = rec.weights.get("learn", (np.zeros(0), np.zeros((0, 1, 6))))
    assert times.shape == (0,) and values.shape == (0, 1, 6)


@pytest.mark.parametrize("record,words", [
    ({"astro": ["v"]}, "Astrocyte records A"),
    ({"astro": ["segment"]}, "Astrocyte records A"),
    ({"astro": {"A": [1]}}, "out of range [0, 1)"),
    ({"astro": {"A": [-1]}}, "out of range [0, 1)"),
    ({"dend": ["plateau"]}, "DendriticLIF records"),
    ({"dend": {"segment": [2 * SEGMENTS]}}, f"out of range [0, {2 * SEGMENTS})"),
    ({"dend": {"segment": [-1, 0]}}, f"out of range [0, {2 * SEGMENTS})"),
    ({"dend": {"predictive": [2]}}, "out of range [0, 2)"),
    ({"dend": {"v": [SEGMENTS]}}, "out of range [0, 2)"),  # cell states count cells
    ({"cells": ["segment"]}, "LIF records"),
])
def test_bad_record_options(record, words):
    """Unknown variables of astrocytes and dendritic populations, and indices out of range."""
    sim = nm.compile(options_network(), backend="torch")
    with pytest.raises(nm.BackendError) as info:
        sim.run(5.0, record=record)
    msg = str(info.value)
    assert words in msg
    pop, spec = next(iter(record.items()))
    assert f"'{pop}'" in msg and f"'{next(iter(spec))}'" in msg
    assert sim.t == 0.0


def test_segment_indices_cover_every_segment():
    """'segment' is indexed by segment (cells * segments), 'predictive' by cell."""
    sim = nm.compile(options_network(), backend="torch")
    rec = sim.run(10.0, record={"dend": {"segment": [2 * SEGMENTS - 1, 0], "predictive": [1]},
                                "astro": ["A"]})
    assert rec.state("dend", "segment").values.shape == (10, 1, 2)
    np.testing.assert_array_equal(rec.state("dend", "segment").indices, [2 * SEGMENTS - 1, 0])
    assert rec.state("dend", "predictive").values.shape == (10, 1, 1)
    assert rec.state("astro", "A").values.shape == (10, 1, 1)
    assert rec.state("dend", "segment").values.max() >= 1.0  # the "dend" spikes arrived


# -- refusals ------------------------------------------------------------------------------
def spinnaker_network(delay) -> nm.Network:
    net = nm.Network(dt=DT)
    net.add("src", nm.SpikeArray.from_trains([[1.0, 4.0], [2.0]]))
    net.add("cells", nm.LIF(2, c_m=0.25))
    net.connect("src", "cells", nm.all_to_all(), weight=0.5, delay=delay, name="learn",
                plasticity=nm.SpiNNakerSTDP())
    return net


@pytest.mark.parametrize("delay", [2.0, np.array([1.0, 2.0, 1.0, 1.0])], ids=["2-steps", "mixed"])
def test_brian2_refuses_spinnaker_stdp_with_long_delays(delay):
    """brian2 refuses SpiNNakerSTDP with delays over one step, naming rule, backend and edge."""
    pytest.importorskip("brian2")
    with pytest.raises(nm.UnsupportedError) as info:
        nm.compile(spinnaker_network(delay), backend="brian2", target="numpy")
    assert isinstance(info.value, nm.BackendError)
    msg = str(info.value)
    assert "SpiNNakerSTDP" in msg and "brian2" in msg and "'learn'" in msg
    # one-step delays it runs
    nm.compile(spinnaker_network(1.0), backend="brian2", target="numpy")


@pytest.mark.parametrize("rule", [nm.STDP(), nm.SpiNNakerSTDP(), nm.AstroSTDP("astro")],
                         ids=lambda r: type(r).__name__)
def test_surrogate_training_refuses_plastic_projections(rule):
    """Surrogate training refuses every rule, naming the rule and the projection."""
    net = base()
    net.connect("src", "cells", nm.from_list([(0, 0), (1, 1)]), weight=0.5, name="fixed")
    plastic(net, rule, name="learn")
    with pytest.raises(nm.UnsupportedError) as info:
        nm.compile(net, backend="torch", surrogate="fast_sigmoid")
    msg = str(info.value)
    assert f"rule {type(rule).__name__} " in msg and "'learn'" in msg and "torch" in msg
    assert "'fixed'" not in msg


def test_surrogate_training_refuses_dend_projections():
    """Surrogate training refuses dendritic-segment synapses, naming the projection."""
    net = nm.Network(dt=DT)
    net.add("src", nm.SpikeArray.from_trains([[1.0]]))
    net.add("dend", nm.DendriticLIF(2, segments=2))
    net.connect("src", "dend", nm.all_to_all(), receptor="dend", name="seg")
    with pytest.raises(nm.UnsupportedError) as info:
        nm.compile(net, backend="torch", surrogate="fast_sigmoid")
    assert "dendritic" in str(info.value) and "'seg'" in str(info.value)


def test_surrogate_training_refuses_astrocytes():
    """An astrocyte is refused even with no rule reading it, and the message names it."""
    net = nm.Network(dt=DT)
    net.add("src", nm.SpikeArray.from_trains([[1.0]]))
    net.add("cells", nm.LIF(2))
    net.add("glia", nm.Astrocyte(inputs={"cells": 1.0}))
    net.connect("src", "cells", nm.all_to_all(), name="fixed")
    with pytest.raises(nm.UnsupportedError) as info:
        nm.compile(net, backend="torch", surrogate="fast_sigmoid")
    msg = str(info.value)
    assert "astrocyte" in msg and "glia" in msg
    assert "torch" in msg
    # without it, the same network trains
    net.graph.remove_node("glia")
    nm.compile(net, backend="torch", surrogate="fast_sigmoid")


# -- current weights ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_weights_equal_the_last_snapshot(dtype):
    """``sim.weights`` is (trials, synapses) float64, the weights at the end of the last step."""
    net = full_network()
    sim = nm.compile(net, backend="torch", seed=3, trials=2, dtype=dtype)
    for name in PLASTIC + ("seg", "static"):  # before any run: the graph's weights
        w = sim.weights(name)
        assert w.dtype == np.float64 and w.shape == (2, net.projection(name).n_synapses)
        graph = np.broadcast_to(net.projection(name).weight, w.shape)
        # the engine holds event-level weights in its dtype; static ones are the graph's
        held = graph if name == "static" else graph.astype(dtype).astype(np.float64)
        np.testing.assert_array_equal(w, held)
    for t0, duration in [(0.0, 50.0), (50.0, 20.0)]:  # and after each of two runs
        last = t0 + duration - DT
        rec = sim.run(duration, weights={name: [t0, last] for name in PLASTIC})
        for name in PLASTIC:
            w = sim.weights(name)
            assert w.dtype == np.float64 and w.shape == (2, net.projection(name).n_synapses)
            times, values = rec.weights[name]
            assert times[-1] == last
            np.testing.assert_array_equal(w, values[-1])
    assert not np.array_equal(sim.weights("stdp")[0], sim.weights("stdp")[1])  # trials differ
    np.testing.assert_array_equal(sim.weights("static"), np.broadcast_to(
        net.projection("static").weight, (2, 4)))
    with pytest.raises(nm.BackendError, match="ghost"):
        sim.weights("ghost")


def test_brian2_weights_after_a_run_equal_the_last_snapshot():
    """brian2 (numpy target): ``sim.weights`` after a run is the last snapshot, and torch's."""
    pytest.importorskip("brian2")
    net = nm.Network(dt=DT)
    net.add("src", nm.SpikeArray.from_trains([[1.0, 4.0, 9.0], [2.0, 6.0], [3.0]]))
    net.add("cells", nm.LIF(2, c_m=0.1, v_thresh=-60.0, tau_refrac=1.0))
    plastic(net, nm.STDP(a_plus=0.02, a_minus=0.03), weight=np.linspace(0.2, 0.7, 6))
    net.connect("src", "cells", nm.from_list([(0, 0), (1, 1)]), weight=0.4, name="static")
    snaps = {"learn": [5.0, 11.0]}
    sim = nm.compile(net, backend="brian2", target="numpy")
    np.testing.assert_array_equal(sim.weights("learn"), net.projection("learn").weight[None])
    rec = sim.run(12.0, weights=snaps)
    w = sim.weights("learn")
    assert w.dtype == np.float64 and w.shape == (1, 6)
    np.testing.assert_array_equal(w, rec.weights["learn"][1][-1])
    assert not np.array_equal(w[0], net.projection("learn").weight)
    np.testing.assert_array_equal(sim.weights("static"), [[0.4, 0.4]])
    with pytest.raises(nm.BackendError, match="ghost"):
        sim.weights("ghost")
    ref = nm.compile(net, backend="torch")
    ref_rec = ref.run(12.0, weights=snaps)
    np.testing.assert_array_equal(w, ref.weights("learn"))
    np.testing.assert_array_equal(rec.weights["learn"][1], ref_rec.weights["learn"][1])
