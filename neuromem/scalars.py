"""What an integer argument is (a size, count, seed, trial or index): a Python or NumPy
integer, and never a bool, though Python counts ``True`` as 1. One rule for every such check."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """A Python or NumPy integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


__all__ = ["is_int"]
