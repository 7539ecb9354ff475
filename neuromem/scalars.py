"""What an integer or a number argument is (a size, count, seed, trial or index; a time step,
a bin width): Python or NumPy scalars, and never a bool, though Python counts ``True`` as 1.
One rule for every such check."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """A Python or NumPy integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """A Python or NumPy int or float that is not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_positive_number(value: Any) -> bool:
    """A finite number above 0 (:func:`is_number`)."""
    return is_number(value) and bool(np.isfinite(value)) and value > 0


__all__ = ["is_int", "is_number", "is_positive_number"]
