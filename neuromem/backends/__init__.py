"""Backend registry: names -> backend classes, as Brian2 registers devices.

``compile(net, backend=name, **options)`` returns a :class:`~neuromem.backends.base.Simulation`.
Backends are imported on first use, so ``import neuromem`` does not pay for Brian2 or PyTorch.
"""

from __future__ import annotations

import importlib
from typing import Any

from neuromem.backends.base import Backend, Simulation
from neuromem.errors import BackendError

_BACKENDS: dict[str, type[Backend] | str] = {
    "torch": "neuromem.backends.torch_backend:TorchBackend",
    "brian2": "neuromem.backends.brian2_backend:Brian2Backend",
    "spinnaker": "neuromem.hardware.spinnaker.backend:SpiNNakerBackend",
}


def register_backend(name: str, cls: type[Backend] | str) -> None:
    """Register a backend class (or a ``"module:Class"`` path imported on first use)."""
    _BACKENDS[name] = cls


def available_backends() -> list[str]:
    return sorted(_BACKENDS)


def get_backend(name: str) -> type[Backend]:
    try:
        entry = _BACKENDS[name]
    except KeyError:
        raise BackendError(f"unknown backend '{name}' (registered: "
                           f"{', '.join(available_backends())})") from None
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        try:
            entry = getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            raise BackendError(f"backend '{name}' is not available: {exc}") from None
        _BACKENDS[name] = entry
    return entry


def compile(net, backend: str = "torch", **options: Any) -> Simulation:  # noqa: A001
    """Validate ``net``, lower it and build a ``Simulation`` on ``backend``."""
    return get_backend(backend)().compile(net, **options)


__all__ = ["Backend", "Simulation", "available_backends", "compile", "get_backend",
           "register_backend"]
