"""Plastic networks on every backend: float64 spikes *and* weights identical to the torch
backend's, for each rule, for dendritic segments and for the astrocyte."""

from __future__ import annotations

import numpy as np
import pytest

import neuromem as nm
from tests.backends import CONFIGS, params


def plastic_network(rule: str, seed: int = 3, dt: float = 1.0, delay_steps=(1, 2, 3)):
    """Poisson input onto a recurrent LIF population whose input and recurrent synapses learn."""
    rng = np.random.default_rng(seed)
    net = nm.Network(f"plastic-{rule}", dt=dt)
    net.add("input", nm.PoissonSource(20, rate=rng.uniform(20.0, 60.0, 20)))
    net.add("cells", nm.LIF(12, tau_m=rng.uniform(8.0, 20.0, 12), c_m=0.25, v_rest=-65.0,
                            v_thresh=-55.0, v_reset=-68.0, tau_syn_e=3.0, tau_syn_i=5.0,
                            tau_refrac=2.0, v_init=nm.Uniform(-68.0, -56.0)))
    delays = rng.choice(np.asarray(delay_steps), size=None) * dt
    if rule == "stdp-add":
        make = lambda lo, hi: nm.STDP(tau_plus=12.0, tau_minus=15.0, a_plus=0.15, a_minus=0.18,  # noqa: E731
                                      w_min=lo, w_max=hi, lr_decay=0.999)
    elif rule == "stdp-mult-nearest":
        make = lambda lo, hi: nm.STDP(tau_plus=12.0, tau_minus=15.0, a_plus=0.3, a_minus=0.35,  # noqa: E731
                                      w_min=lo, w_max=hi, weight_dependence="multiplicative",
                                      pairing="nearest")
    elif rule.startswith("spinnaker"):
        pairing = "nearest" if rule.endswith("nearest") else "all_to_all"
        make = lambda lo, hi: nm.SpiNNakerSTDP(tau_plus=5.0, tau_minus=6.0, A_plus=0.2,  # noqa: E731
                                               A_minus=0.25, w_min=lo, w_max=hi, pairing=pairing)
        delays = dt  # the brian2 backend runs this rule with one-step delays only
    elif rule == "astro":
        net.add("astro", nm.Astrocyte(tau=20.0, bias=0.1, init=0.15, w_scale=0.01, decay=0.999,
                                      inputs={"cells": 1.0, "input": -0.5}))
        make = lambda lo, hi: nm.AstroSTDP("astro", pre_kind="exc", a_plus=0.2,  # noqa: E731
                                           w_min=lo, w_max=hi, lr_decay=0.999)
    else:
        raise ValueError(rule)
    het = rng.integers(1, max(delay_steps) + 1, size=(20, 12)) * dt \
        if not rule.startswith("spinnaker") else dt
    net.connect("input", "cells", nm.fixed_probability(0.5, seed=seed), weight=nm.Uniform(0.2, 1.5),
                delay=het, seed=seed, name="in", plasticity=make(0.0, 2.0))
    net.connect("cells", "cells", nm.fixed_probability(0.3, seed=seed + 1, allow_self=False),
                weight=nm.Uniform(0.0, 0.8), delay=delays, seed=seed + 1, name="rec",
                plasticity=make(0.0, 1.0))
    inh_rule = None
    if rule == "astro":
        inh_rule = nm.AstroSTDP("astro", pre_kind="inh", a_plus=0.2, w_min=-1.5, w_max=0.0)
    net.connect("cells", "cells", nm.fixed_probability(0.2, seed=seed + 2), weight=-0.6,
                delay=2 * dt, name="rec_inh", receptor="inh", plasticity=inh_rule)
    return net


def run(config: str, net, duration: float, seed: int = 11, trials: int = 1, **run_kw):
    backend, options = CONFIGS[config]
    sim = nm.compile(net, backend=backend, seed=seed, trials=trials, **options)
    return sim.run(duration, **run_kw)


def assert_same(a: nm.Recording, b: nm.Recording, trial: int = 0) -> None:
    for pop in a.populations:
        ta, ia = a.spikes(pop, trial)
        tb, ib = b.spikes(pop, trial)
        np.testing.assert_array_equal(ta, tb, err_msg=f"spike times of {pop}")
        np.testing.assert_array_equal(ia, ib, err_msg=f"spike indices of {pop}")
    assert set(a.weights) == set(b.weights)
    for name in a.weights:
        ta, wa = a.weight_snapshots(name, trial)
        tb, wb = b.weight_snapshots(name, trial)
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(wa, wb, err_msg=f"weights of {name}")


RULES = ["stdp-add", "stdp-mult-nearest", "spinnaker", "spinnaker-nearest", "astro"]


@pytest.mark.parametrize("config", params(["torch-kernels", "brian2-numpy", "brian2-cython",
                                            "brian2-standalone"]))
@pytest.mark.parametrize("rule", RULES)
def test_plastic_network_identical_to_torch(rule, config):
    net = plastic_network(rule)
    snaps = {"in": np.arange(0.0, 400.0, 25.0), "rec": [50.0, 199.0, 399.0]}
    if rule == "astro":
        snaps["rec_inh"] = [100.0, 399.0]
    record = {"astro": ["A"]} if rule == "astro" else None
    ref = run("torch", net, 400.0, weights=snaps, record=record)
    other = run(config, net, 400.0, weights=snaps, record=record)
    assert ref.spike_count("cells") > 100  # active enough for every rule branch to act
    w0 = net.projection("in").weight
    assert not np.array_equal(ref.weight_snapshots("in")[1][-1], w0)  # the weights learned
    assert_same(ref, other)
    if rule == "astro":
        np.testing.assert_array_equal(ref.state("astro", "A").values,
                                      other.state("astro", "A").values)


@pytest.mark.parametrize("rule", RULES)
def test_batched_trials_equal_single_runs(rule):
    """Trials of a batch learn independently: each equals a one-trial run with its own inputs."""
    net = plastic_network(rule, seed=5)
    snaps = {"in": [100.0, 299.0]}
    batch = run("torch", net, 300.0, trials=3, weights=snaps)
    for k in range(3):
        # a one-trial run of trial k: the Poisson streams are drawn per (seed, trial)
        sim = nm.compile(net, backend="torch", seed=11, trials=k + 1)
        single = sim.run(300.0, weights=snaps)
        assert_same(batch, single, trial=k)


def test_brian2_split_runs_give_the_same_snapshots(monkeypatch):
    """Past a memory limit the brian2 backend cuts its run at each snapshot instead of
    monitoring every step; both ways give the torch backend's weights."""
    from neuromem.backends import brian2_backend

    net = plastic_network("stdp-add", seed=8)
    snaps = {"in": [10.0, 11.0, 150.0, 199.0]}
    ref = run("torch", net, 200.0, weights=snaps)
    monkeypatch.setattr(brian2_backend, "MONITOR_LIMIT", 0)
    assert_same(ref, run("brian2-numpy", net, 200.0, weights=snaps))
