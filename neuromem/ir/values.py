"""Parameter values: scalars, per-element arrays, or seeded distributions drawn when realised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neuromem.ir.registry import register


@register("Uniform")
@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high)."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def problem(self) -> str | None:
        """Why this distribution cannot be drawn from, or None."""
        if not (np.isfinite(self.low) and np.isfinite(self.high)):
            return f"Uniform bounds must be finite, got [{self.low}, {self.high})"
        if self.low > self.high:
            return f"Uniform needs low <= high, got [{self.low}, {self.high})"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "low": float(self.low), "high": float(self.high)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Uniform":
        return cls(float(d["low"]), float(d["high"]))


@register("Normal")
@dataclass(frozen=True)
class Normal:
    """Gaussian with mean and standard deviation, optionally clipped to [low, high]."""

    mean: float
    std: float
    low: float = -np.inf
    high: float = np.inf

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.clip(rng.normal(self.mean, self.std, size), self.low, self.high)

    def problem(self) -> str | None:
        """Why this distribution cannot be drawn from, or None."""
        if not (np.isfinite(self.mean) and np.isfinite(self.std)) or self.std < 0:
            return f"Normal needs a finite mean and a finite std >= 0, got {self.mean}, {self.std}"
        if np.isnan(self.low) or np.isnan(self.high) or self.low > self.high:
            return f"Normal clip bounds need low <= high, got [{self.low}, {self.high}]"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "mean": float(self.mean), "std": float(self.std),
                "low": float(self.low), "high": float(self.high)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Normal":
        return cls(float(d["mean"]), float(d["std"]), float(d["low"]), float(d["high"]))


Distribution = Uniform | Normal
DISTRIBUTIONS = (Uniform, Normal)
#: What a parameter may be given as: a scalar, one value per element, or a distribution.
Value = float | int | np.ndarray | Uniform | Normal


def realise(value: Value, size: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``value`` as a float64 array of ``size`` elements; distributions draw from ``rng``."""
    if isinstance(value, DISTRIBUTIONS):
        if rng is None:
            raise ValueError("a distribution needs a random generator to be realised")
        return np.asarray(value.sample(rng, size), dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(size, float(arr))
    if arr.shape != (size,):
        raise ValueError(f"expected a scalar or {size} values, got shape {arr.shape}")
    return arr.copy()


def as_param(value: Value) -> Value:
    """Normalise a parameter for storage: float for scalars, float64 array, or a distribution."""
    if isinstance(value, DISTRIBUTIONS):
        return value
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return float(arr)
    return arr


def value_to_dict(value: Value) -> Any:
    return value.to_dict() if isinstance(value, DISTRIBUTIONS) else value


def value_from_dict(data: Any) -> Value:
    if isinstance(data, dict):
        from neuromem.ir.registry import from_dict

        return from_dict(data)
    return as_param(data)
