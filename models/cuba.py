"""The CUBA network of Brette et al. (2007), benchmark 2, as in Brian2's ``examples/CUBA.py``.

4000 LIF neurons (3200 excitatory, 800 inhibitory), each pair connected with probability 0.02,
tau_m 20 ms, tau_e 5 ms, tau_i 10 ms, threshold -50 mV, reset -60 mV, rest -49 mV, refractory
5 ms, initial v uniform in [-60, -50] mV, dt 0.1 ms. The paper gives synaptic jumps in mV
(w_e = +1.62 mV, w_i = -9 mV, as increments of a voltage-valued synaptic variable); neuromem's
current-based LIF takes currents in nA, so a jump of ``w`` mV is the current ``w * c_m / tau_m``.
"""

from __future__ import annotations

from neuromem.errors import ValidationError
from neuromem.ir import LIF, Network, Uniform, fixed_probability
from neuromem.scalars import is_int

PARAMS = dict(n_exc=3200, n_inh=800, p=0.02, tau_m=20.0, tau_e=5.0, tau_i=10.0, v_thresh=-50.0,
              v_reset=-60.0, v_rest=-49.0, w_e=1.62, w_i=-9.0, tau_refrac=5.0, c_m=1.0,
              delay=0.1, dt=0.1)
#: the entries of :data:`PARAMS` that :func:`build` takes as keyword overrides (the others are
#: its own arguments)
OVERRIDABLE = tuple(key for key in PARAMS if key not in ("n_exc", "n_inh", "p"))


def build(n_exc: int = 3200, n_inh: int = 800, *, p: float = 0.02, seed: int = 1,
          **overrides: float) -> Network:
    """The CUBA graph: one population ``P`` of ``n_exc + n_inh`` neurons, excitatory first.

    ``seed`` fixes the connectivity; the initial potentials are drawn from the run's seed.
    ``overrides``: other entries of :data:`PARAMS` (e.g. ``tau_m=10.0``, ``dt=0.05``); an unknown
    name is refused. The graph is validated before it is returned.
    """
    unknown = [key for key in overrides if key not in OVERRIDABLE]
    if unknown:
        raise ValidationError(f"unknown parameter(s) {', '.join(map(repr, unknown))} (known: "
                              f"{', '.join(OVERRIDABLE)})")
    for name, value in (("n_exc", n_exc), ("n_inh", n_inh)):
        if not is_int(value) or value < 0:
            raise ValidationError(f"{name} must be a whole number >= 0, got {value!r}")
    if n_exc + n_inh < 1:
        raise ValidationError(f"n_exc + n_inh must be positive, got n_exc={n_exc}, n_inh={n_inh}")
    n_exc, n_inh = int(n_exc), int(n_inh)
    prm = {**PARAMS, **overrides, "n_exc": n_exc, "n_inh": n_inh, "p": p}
    n = n_exc + n_inh
    net = Network("cuba", dt=prm["dt"])
    net.add("P", LIF(n, tau_m=prm["tau_m"], c_m=prm["c_m"], v_rest=prm["v_rest"],
                     v_thresh=prm["v_thresh"], v_reset=prm["v_reset"], tau_syn_e=prm["tau_e"],
                     tau_syn_i=prm["tau_i"], tau_refrac=prm["tau_refrac"],
                     v_init=Uniform(prm["v_reset"], prm["v_thresh"])))
    to_current = prm["c_m"] / prm["tau_m"]  # nA per mV of jump
    net.connect("P", "P", fixed_probability(p, seed=seed, pre_range=(0, n_exc)),
                weight=prm["w_e"] * to_current, delay=prm["delay"], receptor="exc", name="Ce")
    net.connect("P", "P", fixed_probability(p, seed=seed + 1, pre_range=(n_exc, n)),
                weight=prm["w_i"] * to_current, delay=prm["delay"], receptor="inh", name="Ci")
    net.validate()  # a bad override (dt = 0, tau_m < 0, ...) fails here, naming the field
    return net
