"""The backend configurations the conformance suite runs every scenario on (PyNN's
``run_with_simulators`` idea): the fast ones by default, compiled Brian2 targets marked slow."""

from __future__ import annotations

import os

import pytest

import neuromem as nm

CACHE = os.path.join(os.path.expanduser("~"), ".cache", "neuromem", "brian2-tests")

#: name -> (backend, compile options)
CONFIGS = {
    "torch": ("torch", {"dtype": "float64"}),
    # the torch kernels the CPU replaces with NumPy views by default (and CUDA runs)
    "torch-kernels": ("torch", {"dtype": "float64", "kernels": "torch"}),
    "brian2-numpy": ("brian2", {"target": "numpy"}),
    "brian2-cython": ("brian2", {"target": "cython", "cache_dir": CACHE}),
    "brian2-standalone": ("brian2", {"target": "cpp_standalone"}),
}
SLOW = {"brian2-cython", "brian2-standalone"}


def params(names=None):
    """pytest params over backend configurations, the compiled ones marked slow."""
    names = names or list(CONFIGS)
    return [pytest.param(n, marks=[pytest.mark.slow] if n in SLOW else [], id=n) for n in names]


def simulate(config: str, net, duration: float, record=None, inputs=None, **compile_kw):
    backend, options = CONFIGS[config]
    sim = nm.compile(net, backend=backend, **options, **compile_kw)
    return sim.run(duration, inputs=inputs, record=record)
