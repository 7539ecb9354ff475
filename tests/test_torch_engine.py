"""Properties of the torch engine itself: memory layout, allocation, options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from neuromem.models import cuba

import neuromem as nm


def test_float32_synapses_take_six_bytes_on_the_cpu_path_and_eight_as_tensors():
    net = cuba.build(400, 100, p=0.1)
    n_syn = sum(p.n_synapses for p in net.projections)
    # NumPy (CPU): int16 column + float32 weight per synapse; int64 row pointers (n + 1)
    sim = nm.compile(net, backend="torch", dtype="float32")
    assert sim.synapse_bytes() == 6 * n_syn + 8 * 501
    # torch tensors: int32 column + float32 weight; int64 row start and length per neuron
    sim = nm.compile(net, backend="torch", dtype="float32", kernels="torch")
    assert sim.synapse_bytes() == 8 * n_syn + 16 * 500


def test_a_buffer_wider_than_int16_gets_int32_columns_and_the_same_spikes():
    """Columns index the arrival buffer; past 2**15 columns they must not wrap."""
    net = nm.Network(dt=0.1)
    net.add("src", nm.SpikeArray.from_trains([[0.1, 0.5, 0.9]]))
    net.add("a", nm.LIF(40000, tau_m=10.0, v_thresh=-50.0, v_reset=-60.0, v_rest=-60.0))
    net.connect("src", "a", nm.from_list([(0, 39999), (0, 5)]), weight=30.0, delay=0.1)
    sims = {k: nm.compile(net, backend="torch", kernels=k) for k in ("auto", "torch")}
    assert sims["auto"].fanouts["src"].col.dtype == np.int32
    spikes = {k: s.run(2.0).spikes("a") for k, s in sims.items()}
    assert sorted(set(spikes["auto"][1].tolist())) == [5, 39999]
    np.testing.assert_array_equal(spikes["auto"][0], spikes["torch"][0])
    np.testing.assert_array_equal(spikes["auto"][1], spikes["torch"][1])


def test_heterogeneous_delays_add_two_bytes_per_synapse():
    net = nm.Network(dt=0.1)
    net.add("a", nm.LIF(50))
    delays = np.random.default_rng(0).integers(1, 20, 50 * 50) * 0.1
    proj = net.connect("a", "a", nm.all_to_all(), weight=0.1, delay=delays)
    sim = nm.compile(net, backend="torch", dtype="float32")
    assert sim.synapse_bytes() == 8 * proj.n_synapses + 8 * 51
    sim = nm.compile(net, backend="torch", dtype="float32", kernels="torch")
    assert sim.synapse_bytes() == 10 * proj.n_synapses + 16 * 50


def test_step_reuses_its_state_buffers():
    """No state-sized allocation per step (it fragments the heap: memory then grew by one
    state per step): v lives in one of two buffers that swap."""
    sim = nm.compile(cuba.build(400, 100, p=0.1), backend="torch", trials=4)
    pop = sim.lifs["P"]
    seen = set()
    for step in range(20):
        pop.step(step)
        seen.add(pop.v.data_ptr())
    assert len(seen) <= 2


def test_thread_setting_is_restored_after_a_run():
    before = torch.get_num_threads()
    nm.compile(cuba.build(80, 20, p=0.2), backend="torch", num_threads=1).run(1.0)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("options, message", [({"dtype": "float16"}, "dtype"),
                                              ({"colour": "red"}, "unknown option"),
                                              ({"device": "cuda"}, "CUDA")])
def test_bad_options_are_refused(options, message):
    if options.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(nm.BackendError, match=message):
        nm.compile(cuba.build(80, 20), backend="torch", **options)


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(nm.BackendError, match="brian2, spinnaker, torch"):
        nm.compile(cuba.build(80, 20), backend="nest")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_float64_matches_cpu_spikes():
    net = cuba.build(800, 200, p=0.05)
    cpu = nm.compile(net, backend="torch", seed=3).run(100.0)
    gpu = nm.compile(net, backend="torch", seed=3, device="cuda").run(100.0)
    # index_add_ on CUDA sums with atomics: rounding may differ, rates may not
    assert abs(cpu.mean_rate("P") - gpu.mean_rate("P")) / cpu.mean_rate("P") < 0.05


def _busy_network(plastic: bool) -> nm.Network:
    """Poisson input onto recurrently connected LIF cells, one-delay and mixed-delay projections,
    optionally plastic: enough spikes per step that several rows and trials meet in one step."""
    rng = np.random.default_rng(4)
    net = nm.Network("busy", dt=0.5)
    net.add("input", nm.PoissonSource(60, rate=80.0))
    net.add("cells", nm.LIF(40, tau_m=10.0, v_thresh=-55.0, v_rest=-65.0, v_reset=-65.0,
                            tau_refrac=1.0, v_init=nm.Uniform(-65.0, -55.0)))
    rule = (nm.STDP(tau_plus=10.0, tau_minus=12.0, a_plus=0.05, a_minus=0.06, w_min=0.0,
                    w_max=3.0) if plastic else None)
    net.connect("input", "cells", nm.fixed_probability(0.3, seed=1), weight=nm.Uniform(0.5, 2.5),
                delay=0.5, seed=2, name="in", plasticity=rule)
    net.connect("cells", "cells", nm.fixed_probability(0.2, seed=3, allow_self=False),
                weight=nm.Uniform(0.0, 1.0), seed=4, name="rec",
                delay=rng.choice([0.5, 1.0, 2.0], size=None), plasticity=None)
    net.connect("cells", "cells", nm.fixed_probability(0.1, seed=5), weight=-1.0,
                delay=rng.integers(1, 5, size=(40, 40)) * 0.5, name="inh", receptor="inh")
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("plastic", [False, True])
def test_numpy_paths_equal_torch_kernels_in_every_trial(dtype, plastic):
    """The CPU paths (NumPy LIF step, one np.add.at per step for static fan-out, per-neuron STDP
    traces updating only reached synapses) compute the same numbers as the torch kernels, in
    float32 too (the brian2 comparison covers float64 only), in each of 3 trials."""
    net = _busy_network(plastic)
    runs = {}
    for kernels in ("auto", "torch"):
        sim = nm.compile(net, backend="torch", dtype=dtype, kernels=kernels, trials=3, seed=7)
        rec = sim.run(150.0)
        runs[kernels] = (rec, sim.weights("in"))
    (a, wa), (b, wb) = runs["auto"], runs["torch"]
    for trial in range(3):
        for pop in ("input", "cells"):
            for x, y in zip(a.spikes(pop, trial), b.spikes(pop, trial)):
                np.testing.assert_array_equal(x, y)
    assert len(a.spikes("cells", 0)[0]) > 100
    np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize("kernels", ["auto", "torch"])
def test_a_pair_listed_twice_adds_its_weight_twice(kernels):
    """Both additions reach the column (a buffered ``slot[cols] += w`` would keep one)."""
    net = nm.Network(dt=0.1)
    net.add("src", nm.SpikeArray.from_trains([[0.1]]))
    net.add("a", nm.LIF(4, tau_m=10.0, v_thresh=100.0, tau_syn_e=5.0))
    net.connect("src", "a", nm.from_list([(0, 2), (0, 2), (0, 3)]), weight=0.25, delay=0.1)
    rec = nm.compile(net, backend="torch", kernels=kernels).run(0.3, record={"a": ["i_e"]})
    i_e = rec.states["a"]["i_e"].values[:, 0]
    # arrival at step 2: one decay step of exp(-dt / tau_syn) after it, in the third sample
    decay = np.exp(-0.1 / 5.0)
    np.testing.assert_allclose(i_e[2], [0.0, 0.0, 0.5 * decay, 0.25 * decay], rtol=1e-12)


def test_a_run_past_the_int32_refractory_counters_is_refused():
    """Refractory counters hold the step a neuron is released at, as int32."""
    sim = nm.compile(cuba.build(40, 10, p=0.1), backend="torch")
    sim.step = 2**31 - 100  # as if that many steps had run
    with pytest.raises(nm.BackendError, match="int32"):
        sim.run(10.0)
