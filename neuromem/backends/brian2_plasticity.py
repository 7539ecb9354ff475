"""Brian2 objects for plastic projections, dendritic segments and astrocytes.

How the step order maps onto Brian2's schedule (see :mod:`neuromem.backends.brian2_backend` for
the static part). Everything neuromem does in step 5 of step t happens in Brian2's ``synapses``
slot of step t, after the thresholds, in this order (the pathways' and operations' ``order``):

* trace decays (a ``run_regularly`` on the Synapses);
* the presynaptic side of the rule: a pathway whose delay is the full synaptic delay d (it sees the
  spike when neuromem's synapse does, at t = t_spike + d; SpiNNakerSTDP and AstroSTDP: delay 0);
* the postsynaptic side (``on_post``; SpiNNakerSTDP: delayed by d, as its rule states);
* the rule's end-of-step operations (AstroSTDP's clipped sum; learning-rate decays);
* a separate ``psp`` pathway with delay d - 1 that adds the weight to the target's arrival
  variable: it reads the weight after this step's updates, which is what neuromem's next step
  delivers (SpiNNakerSTDP: the triggering spike's own, updated weight, with d = 1).

So at the end of Brian2's step t the weights equal neuromem's at the end of step t. Every update
is written as one binary operation per statement, in the order of the torch engine
(:mod:`neuromem.backends.torch_synapses`), so float64 weights agree bit for bit. Astrocytes are
one-neuron groups: their inputs arrive by delay-0 pathways (in input order, then neuron order)
and their update runs in ``after_synapses``, after the rules have read them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from neuromem.errors import UnsupportedError
from neuromem.plan import (
    AstrocytePlan,
    AstroSTDPPlan,
    LIFPlan,
    Plan,
    ProjectionPlan,
    SpiNNakerSTDPPlan,
    STDPPlan,
)

#: the initial "last arrival" of a segment synapse: long ago (fits Brian2's 32-bit integers)
NEVER = -(10**9)


def _ident(prefix: str, index: int, name: str) -> str:
    return f"{prefix}{index}_" + re.sub(r"[^0-9a-zA-Z]", "_", name)[:40]


def check_supported(plan: Plan) -> None:
    """Refuse what this backend cannot run exactly, naming the rule and the projection."""
    for proj in plan.projections:
        if isinstance(proj.rule, SpiNNakerSTDPPlan) and proj.max_delay > 1:
            raise UnsupportedError(
                f"brian2 backend cannot run SpiNNakerSTDP on projection '{proj.name}' with "
                f"delays over one step (longest: {proj.max_delay} steps): the rule transmits the "
                "weight of the triggering spike, which Brian2 reads only at arrival; use the torch "
                "backend, or a delay of one step")


def _set_delay(b2, pathway, steps: np.ndarray, dt: float) -> None:
    if steps.size == 0:
        return
    if (steps == steps[0]).all():
        pathway.delay = int(steps[0]) * dt * b2.ms
    else:
        pathway.delay[:] = steps * dt * b2.ms


def plastic_synapses(b2, k: int, proj: ProjectionPlan, groups: dict[str, Any], clock,
                     astro_groups: dict[str, Any], dt: float) -> Any:
    rule = proj.rule
    psp = f"in_{k}_post += w"
    common = ["w : 1", "w_min : 1 (constant, shared)", "w_max : 1 (constant, shared)"]
    name = _ident("nm_syn", k, proj.name)
    pre, post = groups[proj.pre], groups[proj.post]
    if isinstance(rule, STDPPlan):
        model = common + ["x : 1", "y : 1", "decay_plus : 1 (constant, shared)",
                          "decay_minus : 1 (constant, shared)", "a_p : 1 (shared)",
                          "a_m : 1 (shared)", "lr : 1 (constant, shared)"]
        if rule.multiplicative:
            dep = ["t1 = w - w_min", "t2 = t1 * a_m", "t_dep = t2 * y"]
            pot = ["t1 = w_max - w", "t2 = t1 * a_p", "t_pot = t2 * x"]
        else:
            dep, pot = ["t_dep = a_m * y"], ["t_pot = a_p * x"]
        dep += ["w = clip(w - t_dep, w_min, w_max)", "x = 1" if rule.nearest else "x = x + 1"]
        pot += ["w = clip(w + t_pot, w_min, w_max)", "y = 1" if rule.nearest else "y = y + 1"]
        syn = b2.Synapses(pre, post, "\n".join(model), clock=clock, name=name,
                          on_pre={"plast": "\n".join(dep), "psp": psp}, on_post="\n".join(pot))
        syn.connect(i=proj.pre_idx, j=proj.post_idx)
        syn.decay_plus, syn.decay_minus = rule.decay_plus, rule.decay_minus
        syn.a_p, syn.a_m, syn.lr = rule.a_plus, rule.a_minus, rule.lr
        _set_delay(b2, syn.plast, proj.delay_steps, dt)
        _set_delay(b2, syn.psp, proj.delay_steps - 1, dt)
        syn.run_regularly("x = x * decay_plus\ny = y * decay_minus", when="synapses", order=-30,
                          name=name + "_decay")
        syn.plast.order, syn.post.order, syn.psp.order = -20, -10, -1
        syn.run_regularly("a_p = a_p * lr\na_m = a_m * lr", when="synapses", order=-5,
                          name=name + "_lr")
    elif isinstance(rule, SpiNNakerSTDPPlan):
        model = common + ["x : 1", "y : 1", "pend : 1", "decay_plus : 1 (constant, shared)",
                          "decay_minus : 1 (constant, shared)", "a_p : 1 (constant, shared)",
                          "a_m : 1 (constant, shared)"]
        on_post = ["t_pot = a_p * x", "pend = pend + t_pot", "y = 1" if rule.nearest else "y = y + 1"]
        on_pre = ["t1 = w + pend", "t2 = a_m * y", "w = clip(t1 - t2, w_min, w_max)",
                  "pend = 0", "x = 1" if rule.nearest else "x = x + 1", psp]
        syn = b2.Synapses(pre, post, "\n".join(model), clock=clock, name=name,
                          on_pre="\n".join(on_pre), on_post="\n".join(on_post))
        syn.connect(i=proj.pre_idx, j=proj.post_idx)
        syn.decay_plus, syn.decay_minus = rule.decay_plus, rule.decay_minus
        syn.a_p, syn.a_m = rule.a_plus, rule.a_minus
        syn.pre.delay = 0 * b2.ms  # d = 1 (check_supported): the PSP arrives next step
        _set_delay(b2, syn.post, proj.delay_steps, dt)  # a post spike counts at t_post + d
        syn.run_regularly("x = x * decay_plus\ny = y * decay_minus", when="synapses", order=-30,
                          name=name + "_decay")
        syn.post.order, syn.pre.order = -20, -10
    elif isinstance(rule, AstroSTDPPlan):
        model = common + ["dw : 1", "xpre : 1", "xpost : 1", "spre : 1", "spost : 1",
                          "A_astro : 1 (linked)", "zero : integer (constant)",
                          "inc : 1 (constant, shared)", "tdecay : 1 (constant, shared)",
                          "a_p : 1 (shared)", "lr : 1 (constant, shared)"]
        if rule.inhibitory:  # dw = a_plus x_i S_j - A x_j S_i
            plast = ["t_pot = a_p * xpost", "dw = dw + t_pot", "spre = 1"]
            on_post = ["t_dep = A_astro * xpre", "dw = dw - t_dep", "spost = 1"]
        else:  # dw = a_plus x_j S_i - A x_i S_j
            plast = ["t_dep = A_astro * xpost", "dw = dw - t_dep", "spre = 1"]
            on_post = ["t_pot = a_p * xpre", "dw = dw + t_pot", "spost = 1"]
        syn = b2.Synapses(pre, post, "\n".join(model), clock=clock, name=name,
                          on_pre={"plast": "\n".join(plast), "psp": psp},
                          on_post="\n".join(on_post))
        syn.connect(i=proj.pre_idx, j=proj.post_idx)
        syn.zero = 0
        syn.A_astro = b2.linked_var(astro_groups[rule.astrocyte], "A", index="zero")
        syn.inc, syn.tdecay, syn.a_p, syn.lr = rule.increment, rule.trace_decay, rule.a_plus, \
            rule.lr
        syn.plast.delay = 0 * b2.ms
        _set_delay(b2, syn.psp, proj.delay_steps - 1, dt)
        syn.plast.order, syn.post.order, syn.psp.order = -20, -10, -1
        syn.run_regularly("\n".join([
            "w = clip(w + dw, w_min, w_max)", "dw = 0",
            "t_a = inc * spre", "t_b = xpre + t_a", "xpre = tdecay * t_b",
            "t_c = inc * spost", "t_d = xpost + t_c", "xpost = tdecay * t_d",
            "spre = 0", "spost = 0"]), when="synapses", order=-5, name=name + "_update")
        syn.run_regularly("a_p = a_p * lr", when="synapses", order=-4, name=name + "_lr")
    else:
        raise UnsupportedError(f"brian2 backend cannot run plasticity rule "
                               f"{type(rule).__name__} (projection '{proj.name}')")
    syn.w_min, syn.w_max = rule.w_min, rule.w_max
    if proj.pre_idx.size:
        syn.w[:] = proj.weight
    return syn


def segment_group(b2, index: int, pop: LIFPlan, plan: Plan, clock):
    """The segments of a DendriticLIF population as their own group: each "dend" projection k
    sums into ``seg_k`` (a summed variable, updated before the groups), ``segment`` adds them in
    projection order, and a segment at threshold emits an event."""
    seg = pop.segments
    lines = ["segment : 1", "theta : 1 (constant, shared)"]
    lines += [f"seg_{k} : 1" for k in seg.inputs]
    total = " + ".join(f"seg_{k}" for k in seg.inputs) or "0"
    group = b2.NeuronGroup(pop.size * seg.per_cell, "\n".join(lines),
                           threshold="segment >= theta", clock=clock,
                           name=_ident("nm_seg", index, pop.name))
    group.theta = seg.theta
    group.run_regularly(f"segment = {total}", when="groups", order=0,
                        name=_ident("nm_segsum", index, pop.name))
    return group


def segment_synapses(b2, k: int, proj: ProjectionPlan, groups: dict[str, Any], segs, clock,
                     window_steps: int, dt: float):
    syn = b2.Synapses(groups[proj.pre], segs,
                      f"w : 1 (constant)\nt_last : integer\nwindow : integer (constant, shared)\n"
                      f"seg_{k}_post = w * int(t_in_timesteps - t_last < window) : 1 (summed)",
                      on_pre="t_last = t_in_timesteps + 1", clock=clock,
                      name=_ident("nm_dend", k, proj.name))
    syn.connect(i=proj.pre_idx, j=proj.post_idx)
    syn.window = window_steps
    if proj.pre_idx.size:
        syn.w[:] = proj.weight
        syn.t_last[:] = NEVER
    # arrival at t_spike + d is recorded at the end of step t_spike + d - 1 (as for the PSPs)
    _set_delay(b2, syn.pre, proj.delay_steps - 1, dt)
    return syn


def plateau_synapses(b2, index: int, pop: LIFPlan, segs, cells, clock):
    seg = pop.segments
    syn = b2.Synapses(segs, cells, "plateau : integer (constant, shared)",
                      on_pre="plateau_until_post = t_in_timesteps + 1 + plateau", clock=clock,
                      name=_ident("nm_plateau", index, pop.name))
    syn.connect(i=np.arange(pop.size * seg.per_cell),
                j=np.arange(pop.size * seg.per_cell) // seg.per_cell)
    syn.plateau = seg.plateau_steps
    return syn


def astrocyte_objects(b2, index: int, astro: AstrocytePlan, groups: dict[str, Any], clock):
    group = b2.NeuronGroup(1, "A : 1\nn_in : 1\nw_scale : 1\nbias : 1\nk : 1 (constant)\n"
                              "decay : 1 (constant)", clock=clock,
                           name=_ident("nm_astro", index, astro.name))
    group.A, group.w_scale, group.bias = astro.init, astro.w_scale, astro.bias
    group.k, group.decay = astro.k, astro.decay
    group.run_regularly("\n".join([
        "t1 = w_scale * n_in", "t2 = t1 + bias", "t3 = t2 - A", "t4 = k * t3", "A = A + t4",
        "A = A * decay", "w_scale = w_scale * decay", "bias = bias * decay", "n_in = 0"]),
        when="after_synapses", order=0, name=_ident("nm_astroupd", index, astro.name))
    objects = [group]
    for j, (pop, weights) in enumerate(astro.inputs):
        syn = b2.Synapses(groups[pop], group, "m : 1 (constant)", on_pre="n_in_post += m",
                          clock=clock, name=_ident(f"nm_astroin{j}_", index, astro.name))
        size = weights.size
        syn.connect(i=np.arange(size), j=np.zeros(size, dtype=int))
        syn.m[:] = weights
        syn.pre.delay = 0 * b2.ms
        syn.pre.order = 100 + j  # after every rule has read A, in input order
        objects.append(syn)
    return group, objects
