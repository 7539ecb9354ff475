"""Validation: every graph that cannot run is refused with a ValidationError naming the place."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from neuromem.ir import registry

NAN, INF = float("nan"), float("inf")


def base(dt: float = 0.1) -> nm.Network:
    """A small valid network: a spike source driving two LIF neurons."""
    net = nm.Network(dt=dt)
    net.add("src", nm.SpikeArray.from_trains([[1.0, 2.0], [0.5]]))
    net.add("cells", nm.LIF(2, tau_refrac=2.0))
    net.connect("src", "cells", nm.one_to_one(), weight=5.0, delay=1.0, name="drive")
    return net


def check(exc_info, *, node=None, edge=None, field=None) -> None:
    err = exc_info.value
    assert isinstance(err, nm.ValidationError)
    assert isinstance(err, nm.NeuromemError) and isinstance(err, ValueError)
    assert (err.node, err.edge, err.field) == (node, edge, field), str(err)
    # the message names the place too
    for part in (node, edge, field):
        if part is not None:
            assert part in str(err)


def invalid(net: nm.Network, **where) -> None:
    with pytest.raises(nm.ValidationError) as info:
        net.validate()
    check(info, **where)


# -- valid -------------------------------------------------------------------------------
def test_valid_network_validates():
    net = base()
    net.add("noise", nm.PoissonSource(3, rate=np.array([5.0, 10.0, 10000.0]), start=1.0, stop=5.0))
    net.add("inh", nm.LIF(3, tau_m=np.array([10.0, 20.0, 30.0]), v_init=nm.Uniform(-70.0, -60.0),
                          reset="subtract", tau_refrac=0.0))
    net.connect("noise", "inh", nm.all_to_all(), weight=nm.Normal(0.0, 1.0), delay=0.1,
                receptor="inh")
    net.connect("inh", "inh", nm.fixed_probability(0.5, seed=1, allow_self=False),
                delay=np.full((3, 3), 0.3))
    assert net.validate() is None
    assert net.validate(dt=0.05) is None  # everything lies on a finer grid too
    assert nm.ir.validate.problems(net, 0.1) == []


def test_empty_network_validates():
    assert nm.Network().validate() is None


# -- node type ---------------------------------------------------------------------------
def test_unknown_node_object_in_graph():
    net = base()
    net.graph.add_node("x", node=object())
    invalid(net, node="x", field="type")


def test_registry_refuses_unknown_type():
    with pytest.raises(nm.ValidationError) as info:
        registry.from_dict({"type": "Izhikevich", "size": 3}, where="pop")
    check(info, node="pop", field="type")
    assert "Izhikevich" in str(info.value)
    with pytest.raises(nm.ValidationError) as info:
        registry.from_dict({"size": 3}, where="pop")
    check(info, node="pop", field="type")


def test_network_from_dict_refuses_unknown_type():
    d = base().to_dict()
    d["nodes"]["cells"]["type"] = "Izhikevich"
    with pytest.raises(nm.ValidationError) as info:
        nm.Network.from_dict(d)
    check(info, node="cells", field="type")


# -- shapes ------------------------------------------------------------------------------
def test_lif_param_array_of_wrong_length():
    net = base()
    net.add("bad", nm.LIF(3, v_thresh=np.array([-50.0, -50.0])))
    invalid(net, node="bad", field="v_thresh")


def test_lif_param_of_wrong_rank():
    net = base()
    net.add("bad", nm.LIF(2, tau_m=np.ones((2, 2))))
    invalid(net, node="bad", field="tau_m")


def test_weight_array_of_wrong_length():
    net = base()
    with pytest.raises(nm.ValidationError) as info:
        net.connect("src", "cells", nm.all_to_all(), weight=np.ones(3), name="e")
    check(info, edge="e", field="weight")


def test_weight_array_of_wrong_length_in_projection():
    net = base()
    net.add_projection(nm.Projection("e", "src", "cells", "exc", np.array([0, 1]), np.array([0, 1]),
                                     np.ones(3), np.full(2, 0.1)))
    invalid(net, edge="e", field="weight")


def test_delay_matrix_of_wrong_shape():
    net = base()
    with pytest.raises(nm.ValidationError) as info:
        net.connect("src", "cells", nm.all_to_all(), delay=np.ones((2, 3)), name="e")
    check(info, edge="e", field="delay")


def test_node_size_not_positive():
    net = base()
    net.add("empty", nm.LIF(0))
    invalid(net, node="empty", field="size")


# -- time constants ----------------------------------------------------------------------
@pytest.mark.parametrize("field,value", [("tau_m", 0.0), ("tau_syn_e", -1.0), ("c_m", 0.0),
                                         ("tau_syn_i", -0.5), ("tau_m", np.array([5.0, 0.0]))])
def test_non_positive_time_constants(field, value):
    net = base()
    net.add("bad", nm.LIF(2, **{field: value}))
    invalid(net, node="bad", field=field)


def test_negative_tau_refrac():
    net = base()
    net.add("bad", nm.LIF(2, tau_refrac=-1.0))
    invalid(net, node="bad", field="tau_refrac")


@pytest.mark.parametrize("tau_refrac", [0.15, 2.05, np.array([1.0, 0.01])])
def test_tau_refrac_off_grid(tau_refrac):
    net = base()
    net.add("bad", nm.LIF(2, tau_refrac=tau_refrac))
    invalid(net, node="bad", field="tau_refrac")


def test_tau_refrac_grid_depends_on_dt():
    net = nm.Network(dt=0.5)
    net.add("cells", nm.LIF(1, tau_refrac=0.2))
    invalid(net, node="cells", field="tau_refrac")
    assert net.validate(dt=0.1) is None


# -- delays ------------------------------------------------------------------------------
@pytest.mark.parametrize("delay", [0.05, 0.0, -1.0, np.array([0.1, 0.0])])
def test_delay_shorter_than_one_step(delay):
    net = base()
    net.connect("src", "cells", nm.one_to_one(), delay=delay, name="e")
    invalid(net, edge="e", field="delay")


@pytest.mark.parametrize("delay", [0.15, 1.01, np.array([0.2, 0.25])])
def test_delay_not_whole_steps(delay):
    net = base()
    net.connect("src", "cells", nm.one_to_one(), delay=delay, name="e")
    invalid(net, edge="e", field="delay")


def recurrent(delay: float = 1.0) -> nm.Network:
    net = nm.Network(dt=0.1)
    net.add("cells", nm.LIF(2))
    net.connect("cells", "cells", nm.one_to_one(), delay=delay, name="loop")
    return net


def test_delay_checked_against_run_dt():
    net = recurrent()
    assert net.validate() is None
    with pytest.raises(nm.ValidationError) as info:
        net.validate(dt=0.3)  # delay 1.0 ms is not a whole number of 0.3 ms steps
    check(info, edge="loop", field="delay")


# -- NaN and inf -------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["tau_m", "v_rest", "v_thresh", "i_offset", "tau_refrac",
                                   "v_init"])
@pytest.mark.parametrize("bad", [NAN, INF, -INF, "array"])
def test_nan_inf_in_lif_params(field, bad):
    value = np.array([0.0, NAN]) if bad == "array" else bad
    net = base()
    kw = {field: value}
    if field == "v_rest":
        kw["v_init"] = -65.0  # v_init defaults to v_rest: keep the problem in one field
    net.add("bad", nm.LIF(2, **kw))
    invalid(net, node="bad", field=field)


@pytest.mark.parametrize("dist", [nm.Normal(NAN, 1.0), nm.Normal(-65.0, INF),
                                  nm.Uniform(-70.0, INF), nm.Uniform(NAN, 0.0),
                                  nm.Normal(-65.0, 1.0, low=NAN)])
def test_nan_inf_in_distribution(dist):
    net = base()
    net.add("bad", nm.LIF(2, v_init=dist))
    invalid(net, node="bad", field="v_init")


@pytest.mark.parametrize("dist", [nm.Uniform(0.0, INF), nm.Uniform(2.0, 1.0), nm.Normal(NAN, 1.0),
                                  nm.Normal(0.0, -1.0), nm.Normal(0.0, 1.0, low=1.0, high=0.0)])
@pytest.mark.parametrize("field", ["weight", "delay"])
def test_bad_distribution_for_weights_and_delays(dist, field):
    net = base()
    with pytest.raises(nm.ValidationError) as info:
        net.connect("src", "cells", nm.all_to_all(), name="e", **{field: dist})
    check(info, edge="e", field=field)


def test_distribution_where_none_is_drawn():
    net = base()
    net.add("bad", nm.LIF(2, tau_m=nm.Uniform(10.0, 20.0)))
    invalid(net, node="bad", field="tau_m")


@pytest.mark.parametrize("bad", [NAN, INF])
def test_nan_inf_in_poisson_rate(bad):
    net = base()
    net.add("noise", nm.PoissonSource(2, rate=bad))
    invalid(net, node="noise", field="rate")


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_nan_inf_in_weights(bad):
    net = base()
    net.connect("src", "cells", nm.one_to_one(), weight=np.array([1.0, bad]), name="e")
    invalid(net, edge="e", field="weight")


@pytest.mark.parametrize("bad", [NAN, INF])
def test_nan_inf_in_delays(bad):
    net = base()
    net.connect("src", "cells", nm.one_to_one(), delay=np.array([bad, 1.0]), name="e")
    invalid(net, edge="e", field="delay")


# -- graph structure ---------------------------------------------------------------------
@pytest.mark.parametrize("end", ["pre", "post"])
def test_connect_to_missing_node(end):
    net = base()
    ends = {"pre": "src", "post": "cells", end: "ghost"}
    with pytest.raises(nm.ValidationError) as info:
        net.connect(ends["pre"], ends["post"], nm.one_to_one(), name="e")
    check(info, edge="e", field=end)
    assert "ghost" in str(info.value)
    assert "ghost" not in net.graph


def test_add_projection_with_missing_post():
    net = base()
    proj = nm.Projection("e", "src", "ghost", "exc", np.array([0]), np.array([0]), np.array([1.0]),
                         np.array([0.1]))
    with pytest.raises(nm.ValidationError) as info:
        net.add_projection(proj)
    check(info, edge="e", field="post")
    assert "ghost" not in net.graph  # networkx did not invent the node
    assert net.validate() is None


def test_edge_added_to_graph_directly_pointing_at_missing_node():
    net = base()
    proj = nm.Projection("e", "src", "ghost", "exc", np.array([0]), np.array([0]), np.array([1.0]),
                         np.array([0.1]))
    net.graph.add_edge("src", "ghost", key="e", projection=proj)
    invalid(net, edge="e", field="post")


def test_duplicate_node_name():
    net = base()
    with pytest.raises(nm.ValidationError) as info:
        net.add("cells", nm.LIF(5))
    check(info, node="cells", field="name")
    assert net.node("cells").size == 2  # the first one stays


@pytest.mark.parametrize("name", ["", "a/b", ".", "a\x00b"])
def test_unusable_node_names(name):
    with pytest.raises(nm.ValidationError) as info:
        nm.Network().add(name, nm.LIF(1))
    assert info.value.field == "name"


def test_duplicate_projection_name_via_connect():
    net = base()
    with pytest.raises(nm.ValidationError) as info:
        net.connect("src", "cells", nm.all_to_all(), name="drive")
    check(info, edge="drive", field="name")
    assert len(net.projections) == 1 and net.projection("drive").n_synapses == 2


def test_duplicate_projection_name_via_add_projection():
    net = base()
    net.add("other", nm.LIF(2))
    for post in ("cells", "other"):  # same ends (networkx would overwrite) and other ends
        proj = nm.Projection("drive", "src", post, "exc", np.array([0]), np.array([1]),
                             np.array([1.0]), np.array([0.1]))
        with pytest.raises(nm.ValidationError) as info:
            net.add_projection(proj)
        check(info, edge="drive", field="name")
    assert len(net.projections) == 1 and net.projection("drive").n_synapses == 2


def test_duplicate_projection_name_in_graph():
    net = base()
    net.add("other", nm.LIF(2))
    proj = nm.Projection("drive", "src", "other", "exc", np.array([0]), np.array([1]),
                         np.array([1.0]), np.array([0.1]))
    net.graph.add_edge("src", "other", key="drive", projection=proj)
    invalid(net, edge="drive", field="name")


def test_bad_receptor():
    net = base()
    net.connect("src", "cells", nm.one_to_one(), receptor="gaba", name="e")
    invalid(net, edge="e", field="receptor")


@pytest.mark.parametrize("target", ["src", "noise"])
def test_edge_targeting_a_source(target):
    net = base()
    net.add("noise", nm.PoissonSource(2, rate=5.0))
    net.connect("cells", target, nm.one_to_one(), name="e")
    invalid(net, edge="e", field="post")


def test_projection_index_out_of_range():
    net = base()
    net.add_projection(nm.Projection("e", "src", "cells", "exc", np.array([0, 2]), np.array([0, 1]),
                                     np.ones(2), np.full(2, 0.1)))
    invalid(net, edge="e", field="pre_idx")


# -- sources -----------------------------------------------------------------------------
@pytest.mark.parametrize("index", [2, 7, -1])
def test_spike_array_index_out_of_range(index):
    net = base()
    net.add("s", nm.SpikeArray(2, times=[1.0, 2.0], indices=[0, index]))
    invalid(net, node="s", field="indices")


def test_spike_array_negative_time():
    net = base()
    net.add("s", nm.SpikeArray.from_trains([[1.0, -0.1]]))
    invalid(net, node="s", field="times")


@pytest.mark.parametrize("time", [0.15, 1.03, NAN, INF])
def test_spike_array_off_grid_or_non_finite_time(time):
    net = base()
    net.add("s", nm.SpikeArray.from_trains([[1.0], [time]]))
    invalid(net, node="s", field="times")


@pytest.mark.parametrize("times", [[1.0, 1.0], [0.3, 0.1 + 0.2]])
def test_spike_array_two_spikes_in_one_step(times):
    net = base()
    net.add("s", nm.SpikeArray.from_trains([[0.5], times]))
    invalid(net, node="s", field="times")


def test_spike_array_same_step_different_neurons_is_fine():
    net = base()
    net.add("s", nm.SpikeArray.from_trains([[1.0], [1.0], [1.0]]))
    assert net.validate() is None


def test_spike_array_times_and_indices_differ_in_shape():
    net = base()
    net.add("s", nm.SpikeArray(2, times=[1.0, 2.0], indices=[0]))
    invalid(net, node="s", field="indices")


@pytest.mark.parametrize("rate,dt", [(20000.0, 0.1), (1500.0, 1.0), (np.array([5.0, 2.0e4]), 0.1)])
def test_poisson_rate_times_dt_above_one(rate, dt):
    net = nm.Network(dt=dt)
    net.add("noise", nm.PoissonSource(2, rate=rate))
    invalid(net, node="noise", field="rate")


def test_poisson_rate_at_one_spike_per_step_is_fine():
    net = nm.Network(dt=1.0)
    net.add("noise", nm.PoissonSource(2, rate=1000.0))
    assert net.validate() is None


def test_poisson_negative_rate():
    net = base()
    net.add("noise", nm.PoissonSource(2, rate=-1.0))
    invalid(net, node="noise", field="rate")


@pytest.mark.parametrize("start,stop", [(-1.0, 10.0), (5.0, 2.0), (0.0, NAN)])
def test_poisson_bad_interval(start, stop):
    net = base()
    net.add("noise", nm.PoissonSource(2, start=start, stop=stop))
    invalid(net, node="noise", field="start")


def test_invalid_reset_mode():
    net = base()
    net.add("bad", nm.LIF(2, reset="zero"))
    invalid(net, node="bad", field="reset")


def test_bad_dt():
    for dt in (0.0, -0.1, NAN, INF):
        with pytest.raises(nm.ValidationError) as info:
            base().validate(dt=dt)
        check(info, field="dt")


# -- several problems --------------------------------------------------------------------
def test_several_problems_report_the_first_and_count_the_rest():
    net = base()
    net.add("a", nm.LIF(2, tau_m=0.0, c_m=-1.0))
    net.add("b", nm.LIF(2, reset="zero"))
    net.connect("src", "b", nm.one_to_one(), receptor="gaba", name="e")
    found = nm.ir.validate.problems(net, net.dt)
    assert [(p.node, p.edge, p.field) for p in found] == [
        ("a", None, "tau_m"), ("a", None, "c_m"), ("b", None, "reset"), (None, "e", "receptor")]
    with pytest.raises(nm.ValidationError) as info:
        net.validate()
    check(info, node="a", field="tau_m")
    msg = str(info.value)
    assert msg.startswith(str(found[0]))
    assert "3 more" in msg
    for p in found[1:]:
        assert str(p) in msg


def test_a_single_problem_is_raised_as_is():
    net = base()
    net.add("a", nm.LIF(2, tau_m=0.0))
    with pytest.raises(nm.ValidationError) as info:
        net.validate()
    assert "more" not in str(info.value)


# -- backends validate first -------------------------------------------------------------
def test_compile_refuses_invalid_network_before_the_backend_builds(monkeypatch):
    from neuromem.backends import torch_backend

    def build(*args, **kwargs):
        raise AssertionError("the backend was reached")

    monkeypatch.setattr(torch_backend.TorchBackend, "build", build)
    net = base()
    net.add("bad", nm.LIF(2, tau_m=0.0))
    with pytest.raises(nm.ValidationError) as expected:
        net.validate()
    with pytest.raises(nm.ValidationError) as info:
        nm.compile(net, backend="torch")
    check(info, node="bad", field="tau_m")
    assert str(info.value) == str(expected.value)


def test_compile_validates_at_the_run_dt(monkeypatch):
    from neuromem.backends import torch_backend

    monkeypatch.setattr(torch_backend.TorchBackend, "build",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("reached")))
    with pytest.raises(nm.ValidationError) as info:
        nm.compile(recurrent(), backend="torch", dt=0.3)
    check(info, edge="loop", field="delay")


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "3"])
def test_a_seed_the_random_streams_cannot_hold_is_refused(seed):
    """Seeds enter the random streams as one 32-bit word: 2**32 would draw what 0 draws."""
    net = nm.Network(dt=1.0)
    net.add("n", nm.LIF(2, v_init=nm.Uniform(-65.0, -55.0)))
    with pytest.raises(nm.BackendError, match="seed must be an integer from 0 to 2\\*\\*32 - 1"):
        nm.compile(net, backend="torch", seed=seed)
    nm.compile(net, backend="torch", seed=2**32 - 1)  # the largest is fine


@pytest.mark.parametrize("pairs, message", [
    ([(0, 1, 0.5), (1, 0, 0.7)], "an \\(n, 2\\) array; got shape \\(2, 3\\)"),  # PyNN-style rows
    ((0, 1, 0.5), "got shape \\(3,\\)"),
    ([(0.5, 0)], "whole-number neuron indices"),
    ([(True, False)], "whole-number neuron indices"),
    ([("a", 0)], "whole-number neuron indices"),
])
def test_from_list_reads_only_pairs_of_indices(pairs, message):
    with pytest.raises(nm.ValidationError, match=message):
        nm.from_list(pairs)


def test_from_list_takes_whole_floats_and_empty_lists():
    conn = nm.from_list(np.array([[0.0, 1.0], [2.0, 0.0]]))
    np.testing.assert_array_equal(conn.pre, [0, 2])
    np.testing.assert_array_equal(conn.post, [1, 0])
    assert nm.from_list([]).pre.size == 0


@pytest.mark.parametrize("name", ["a/b", ".", "x\x00y"])
def test_a_projection_name_that_cannot_be_stored_is_refused(name):
    """Names are HDF5 group names in saved files: 'a/b' saved a recording that did not load."""
    net = nm.Network(dt=1.0)
    net.add("a", nm.LIF(1))
    with pytest.raises(nm.ValidationError, match=r"a projection name may not contain '/'"):
        net.connect("a", "a", nm.one_to_one(), name=name)


def test_building_refuses_a_bad_time_step_connector_or_size_by_name():
    for dt in ("fast", 0.0, -1.0, float("nan"), True):
        with pytest.raises(nm.ValidationError, match="dt must be a positive number of ms"):
            nm.Network(dt=dt)
    net = nm.Network(dt=1.0)
    net.add("a", nm.LIF(2))
    with pytest.raises(nm.ValidationError, match="edge 'p'.*the connector must be one of"):
        net.connect("a", "a", "all", name="p")
    net.add("b", nm.LIF(True))  # a bool is no size
    with pytest.raises(nm.ValidationError, match="node 'b'.*size must be a positive integer"):
        net.validate()


def test_map_network_takes_a_network_and_a_machine():
    from neuromem.hardware.spinnaker import MappingError, map_network

    with pytest.raises(MappingError, match="takes a neuromem Network, got str"):
        map_network("x")
    net = nm.Network(dt=1.0)
    net.add("a", nm.LIF(2))
    with pytest.raises(MappingError, match="machine must be a Machine"):
        map_network(net, "spinnaker1")
