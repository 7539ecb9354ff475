"""Units of the graph IR and the one conversion from times to steps.

The IR stores plain floats in these units, everywhere:

========  ======  ===========================================
quantity  unit    examples
========  ======  ===========================================
time      ms      tau_m, tau_syn_e, tau_refrac, delay, dt, spike times
voltage   mV      v_rest, v_thresh, v_reset, v_init
current   nA      i_offset, weights of current-based synapses
capacity  nF      c_m
rate      Hz      rate of Poisson sources
========  ======  ===========================================

so that ``current / capacity`` is in mV/ms and ``tau_m / c_m`` (the membrane resistance) in MOhm.
Backends that need physical units (Brian2) convert time only, in their own module.
"""

from __future__ import annotations

import numpy as np

#: Tolerance, in steps, under which a time counts as lying on the step grid.
GRID_TOLERANCE = 1e-6


def steps_of(time_ms: np.ndarray | float, dt: float) -> np.ndarray:
    """Times in ms as whole numbers of steps of ``dt`` ms (rounded to the nearest step)."""
    return np.rint(np.asarray(time_ms, dtype=np.float64) / dt).astype(np.int64)


def is_on_grid(time_ms: np.ndarray | float, dt: float) -> np.ndarray:
    """Which times lie on the step grid (within :data:`GRID_TOLERANCE` steps)."""
    ratio = np.asarray(time_ms, dtype=np.float64) / dt
    return np.abs(ratio - np.rint(ratio)) <= GRID_TOLERANCE


def times_of(steps: np.ndarray, dt: float) -> np.ndarray:
    """Step indices as times in ms; the one formula every backend's recording uses."""
    return np.asarray(steps, dtype=np.float64) * dt
