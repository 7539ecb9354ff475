"""The step semantics every backend keeps, written down once.

Time advances in steps of ``dt`` ms; step ``t`` covers ``(t*dt, (t+1)*dt]`` and a spike emitted at
step ``t`` is recorded at time ``t*dt``. Within step ``t``, in this order:

1. **deliver**: spikes scheduled for arrival at ``t`` are added to their receptor's current; each
   projection sums its arrivals into its own buffer (in spike order, then synapse order), and the
   buffers are added to the current in projection order;
2. **integrate**: the state is advanced over one step with the propagator of :func:`lif_coefficients`
   (exact integration of the linear ODEs, or forward Euler), evaluated in the fixed order of
   :data:`LIF_UPDATE`; a refractory neuron's ``v`` is held while its currents keep decaying;
3. **threshold**: a neuron with ``v > v_thresh`` that is not refractory spikes at ``t``;
4. **reset**: ``v`` is set to ``v_reset`` (or lowered by ``v_thresh - v_reset``) and held there
   through the next ``round(tau_refrac / dt)`` steps (a spike at t with a 1-step refractory period
   leaves the neuron unable to fire at t + 1, as in NEST and sPyNNaker);
5. **plasticity**: rules update on this step's spikes and traces (none in this version);
6. **schedule**: each spike at ``t`` is scheduled for arrival at ``t + delay`` (delay >= 1 step).

So a neuron that receives a strong enough input over a delay of d steps from a spike at ``t`` fires
at ``t + d``. Backends with another native schedule translate it (see the Brian2 backend); the
conformance tests prove that they match spike for spike.

The arithmetic of step 2 is listed as binary operations in :data:`LIF_UPDATE`, so that two backends
evaluate the very same floating-point operations in the very same order (no fused multiply-add, no
reassociation): this is what makes float64 runs identical across backends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP_ORDER = ("deliver", "integrate", "threshold", "reset", "plasticity", "schedule")

INTEGRATION_METHODS = ("exact", "euler", "spinnaker")

#: The membrane update of step 2 as ``(target, operator, left, right)``, evaluated top to bottom.
#: ``a_*`` are the propagator coefficients, ``v``, ``i_e``, ``i_i`` the state before the step.
LIF_UPDATE: tuple[tuple[str, str, str, str], ...] = (
    ("t_vv", "*", "a_vv", "v"),
    ("t_ve", "*", "a_ve", "i_e"),
    ("t_v1", "+", "t_vv", "t_ve"),
    ("t_vi", "*", "a_vi", "i_i"),
    ("t_v2", "+", "t_v1", "t_vi"),
    ("v_new", "+", "t_v2", "a_v0"),
)
#: The synaptic currents' update of step 2, after ``v_new`` (which uses the currents before it).
CURRENT_UPDATE: tuple[tuple[str, str, str, str], ...] = (
    ("i_e", "*", "a_ee", "i_e"),
    ("i_i", "*", "a_ii", "i_i"),
)


@dataclass(frozen=True)
class LIFCoefficients:
    """Propagator of one step: ``v' = a_vv v + a_ve i_e + a_vi i_i + a_v0``, ``i_x' = a_xx i_x``.

    Each is a float64 array with one value per neuron.
    """

    a_vv: np.ndarray
    a_ve: np.ndarray
    a_vi: np.ndarray
    a_v0: np.ndarray
    a_ee: np.ndarray
    a_ii: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(a_vv=self.a_vv, a_ve=self.a_ve, a_vi=self.a_vi, a_v0=self.a_v0,
                    a_ee=self.a_ee, a_ii=self.a_ii)


def lif_coefficients(tau_m, c_m, v_rest, i_offset, tau_syn_e, tau_syn_i, dt: float,
                     method: str = "exact") -> LIFCoefficients:
    """Step propagator of the LIF equations (units ms, mV, nA, nF), per neuron, in float64.

    ``exact``: the closed-form solution of the linear ODEs over ``dt`` with the currents' inputs
    held in the currents (coincident time constants handled by the limit). ``euler``: forward
    Euler, ``x' = x + dt f(x)``, arranged as the same linear form. ``spinnaker``: as sPyNNaker's
    IF_curr_exp computes it: the synaptic current is held constant over the step
    (``v' = alpha - exp(-dt/tau_m) (alpha - v)``, ``alpha = v_rest + R (i + i_offset)``) and an
    arriving weight w counts as ``w * (tau_syn/dt) (1 - exp(-dt/tau_syn))``, its mean over the
    step (sPyNNaker's ``init`` factor, folded here into ``a_ve`` and ``a_vi``).
    """
    if method not in INTEGRATION_METHODS:
        raise ValueError(f"integration method must be one of {INTEGRATION_METHODS}, got {method!r}")
    tau_m, c_m, v_rest, i_offset, tau_e, tau_i = (
        np.asarray(x, dtype=np.float64) for x in (tau_m, c_m, v_rest, i_offset, tau_syn_e,
                                                  tau_syn_i))
    tau_m, c_m, v_rest, i_offset, tau_e, tau_i = np.broadcast_arrays(
        tau_m, c_m, v_rest, i_offset, tau_e, tau_i)
    v_inf = v_rest + tau_m / c_m * i_offset  # fixed point of v with no synaptic current
    if method == "spinnaker":
        a_vv = np.exp(-dt / tau_m)
        gain = -np.expm1(-dt / tau_m) * tau_m / c_m  # R (1 - exp(-dt/tau_m))
        a_ve = gain * synaptic_input_init(tau_e, dt)
        a_vi = gain * synaptic_input_init(tau_i, dt)
        a_v0 = -np.expm1(-dt / tau_m) * v_inf
        a_ee = np.exp(-dt / tau_e)
        a_ii = np.exp(-dt / tau_i)
    elif method == "euler":
        a_vv = 1.0 - dt / tau_m
        a_ve = np.full_like(a_vv, dt) / c_m
        a_vi = a_ve.copy()
        a_v0 = dt / tau_m * v_inf
        a_ee = 1.0 - dt / tau_e
        a_ii = 1.0 - dt / tau_i
    else:
        a_vv = np.exp(-dt / tau_m)
        a_ee = np.exp(-dt / tau_e)
        a_ii = np.exp(-dt / tau_i)
        a_ve = _current_to_voltage(tau_m, tau_e, c_m, dt)
        a_vi = _current_to_voltage(tau_m, tau_i, c_m, dt)
        a_v0 = -np.expm1(-dt / tau_m) * v_inf
    return LIFCoefficients(*(np.array(a, dtype=np.float64) for a in
                             (a_vv, a_ve, a_vi, a_v0, a_ee, a_ii)))


def synaptic_input_init(tau_syn, dt: float) -> np.ndarray:
    """sPyNNaker's ``init`` factor: an arriving weight counts as its mean over the step,
    ``(tau_syn / dt) (1 - exp(-dt / tau_syn))``."""
    tau_syn = np.asarray(tau_syn, dtype=np.float64)
    return (tau_syn / dt) * -np.expm1(-dt / tau_syn)


def _current_to_voltage(tau_m, tau_s, c_m, dt):
    """Voltage reached after ``dt`` from a unit current decaying with tau_s (v starting at 0)."""
    out = np.empty(np.broadcast(tau_m, tau_s).shape)
    same = np.isclose(tau_m, tau_s, rtol=1e-12, atol=0.0)
    tm, ts, cm = (np.broadcast_to(x, out.shape) for x in (tau_m, tau_s, c_m))
    d = ~same
    # (tau_s tau_m / (c (tau_s - tau_m))) (e^{-dt/tau_s} - e^{-dt/tau_m}), written with expm1
    # so that it stays accurate when the two time constants are close.
    out[d] = (ts[d] * tm[d] / (cm[d] * (ts[d] - tm[d]))) * (
        np.expm1(-dt / ts[d]) - np.expm1(-dt / tm[d]))
    out[same] = dt / cm[same] * np.exp(-dt / tm[same])
    return out


def refractory_steps(tau_refrac, dt: float) -> np.ndarray:
    """The refractory period in whole steps (validation guarantees it lies on the grid)."""
    return np.rint(np.asarray(tau_refrac, dtype=np.float64) / dt).astype(np.int64)


def bernoulli_probability(rate_hz, dt: float) -> np.ndarray:
    """Probability of a spike per step of a rate source (rate in Hz, dt in ms)."""
    return np.asarray(rate_hz, dtype=np.float64) * (dt / 1000.0)


def stream_seed(seed: int, trial: int, name: str, purpose: int) -> np.random.SeedSequence:
    """The seed of one random stream: run seed, trial, node name and what it is drawn for."""
    import zlib

    return np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(trial),
                                   zlib.crc32(name.encode()), int(purpose)])


#: ``purpose`` codes of :func:`stream_seed`.
STREAM_INIT, STREAM_SOURCE = 1, 2

__all__ = ["CURRENT_UPDATE", "INTEGRATION_METHODS", "LIFCoefficients", "LIF_UPDATE", "STEP_ORDER",
           "bernoulli_probability", "lif_coefficients", "refractory_steps", "stream_seed",
           "synaptic_input_init"]
