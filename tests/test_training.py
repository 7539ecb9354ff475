"""Training with surrogate gradients (snnTorch spike functions) on the torch backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuromem as nm


def chain(reset: str = "subtract") -> nm.Network:
    """Inputs -> A (one-to-one, 1 step) -> B (one-to-one, 3 steps): one arrival per neuron and
    step at most, so dense and event-driven summation agree exactly."""
    rng = np.random.default_rng(1)
    net = nm.Network("chain", dt=0.5)
    net.add("in", nm.SpikeArray.from_trains([np.unique(rng.integers(0, 120, 12)) * 0.5
                                             for _ in range(10)]))
    for name in ("A", "B"):
        net.add(name, nm.LIF(10, tau_m=rng.uniform(5, 15, 10), c_m=0.2, v_rest=-60.0,
                             v_thresh=-54.0, v_reset=-62.0, tau_syn_e=2.0, tau_refrac=1.0,
                             reset=reset))
    net.connect("in", "A", nm.one_to_one(), weight=rng.uniform(1.0, 3.0, 10), delay=0.5)
    net.connect("A", "B", nm.one_to_one(), weight=rng.uniform(2.0, 4.0, 10), delay=1.5)
    return net


@pytest.mark.parametrize("reset", ["value", "subtract"])
def test_forward_pass_equals_the_exact_engine(reset):
    net = chain(reset)
    exact = nm.compile(net, backend="torch").run(60.0, record={"B": ["v"]})
    trained = nm.compile(net, backend="torch", surrogate="fast_sigmoid", dtype="float64")
    rec = trained.run(60.0, record={"B": ["v"]})
    assert exact.spike_count("B") > 10
    for pop in ("A", "B"):
        np.testing.assert_array_equal(rec.spikes(pop)[0], exact.spikes(pop)[0])
        np.testing.assert_array_equal(rec.spikes(pop)[1], exact.spikes(pop)[1])
    np.testing.assert_array_equal(rec.state("B", "v").values, exact.state("B", "v").values)


def test_gradients_reach_existing_synapses_only():
    net = chain()
    sim = nm.compile(net, backend="torch", surrogate="atan", dtype="float64")
    sim.run(60.0)
    sim.outputs["B"].sum().backward()
    for proj in sim.projs:
        grad = proj.weight.grad
        mask = proj.masks.sum(0)
        assert torch.count_nonzero(grad * mask) > 0  # the loss depends on the real synapses
        assert torch.count_nonzero(grad * (1 - mask)) == 0  # and on nothing else


def test_unknown_surrogate_is_refused():
    with pytest.raises(nm.BackendError, match="surrogate"):
        nm.compile(chain(), backend="torch", surrogate="nope")


def test_training_reaches_target_counts_and_transfers_to_every_backend():
    """Learn weights so that output 0 fires 6 spikes and output 1 none in 100 ms; the trained
    graph then does the same on the exact torch engine and on Brian2."""
    rng = np.random.default_rng(3)
    net = nm.Network("task", dt=1.0)
    net.add("in", nm.SpikeArray.from_trains([np.unique(rng.integers(0, 100, 8)) * 1.0
                                             for _ in range(20)]))
    net.add("out", nm.LIF(2, tau_m=10.0, c_m=0.5, v_rest=-65.0, v_thresh=-55.0, v_reset=-65.0,
                          tau_syn_e=5.0, tau_refrac=2.0))
    net.connect("in", "out", nm.all_to_all(), weight=0.05, delay=1.0)
    sim = nm.compile(net, backend="torch", surrogate="fast_sigmoid", dtype="float64")
    optimiser = torch.optim.Adam(sim.parameters(), lr=0.05)
    target = torch.tensor([6.0, 0.0], dtype=torch.float64)
    for _ in range(60):
        sim.reset_state()
        sim.run(100.0)
        counts = sim.outputs["out"].sum(dim=(0, 1))
        if torch.equal(counts.detach(), target):
            break
        loss = ((counts - target) ** 2).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    trained = sim.updated_network(net)
    for backend, options in (("torch", {}), ("brian2", {"target": "numpy"})):
        rec = nm.compile(trained, backend=backend, **options).run(100.0)
        _, idx = rec.spikes("out")
        np.testing.assert_array_equal(np.bincount(idx, minlength=2), [6, 0], err_msg=backend)


def test_updated_network_takes_only_the_network_it_was_compiled_from():
    net = nm.Network("task", dt=1.0)
    net.add("in", nm.SpikeArray.from_trains([[1.0], [2.0]]))
    net.add("out", nm.LIF(2))
    net.connect("in", "out", nm.all_to_all(), weight=0.05, delay=1.0, name="w")
    sim = nm.compile(net, backend="torch", surrogate="fast_sigmoid")
    other = nm.Network("task", dt=1.0)
    other.add("in", nm.SpikeArray.from_trains([[1.0], [2.0]]))
    other.add("out", nm.LIF(2))
    other.connect("in", "out", nm.one_to_one(), weight=0.05, delay=1.0, name="w")
    other.connect("in", "out", nm.one_to_one(), weight=0.05, delay=1.0, name="extra")
    with pytest.raises(nm.BackendError, match="takes the network this was compiled from"):
        sim.updated_network(other)
    assert sim.updated_network(net).projection("w").n_synapses == 4
