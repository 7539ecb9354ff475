"""What a graph must be for PyNN's ``IF_curr_exp`` as PyNN simulators and sPyNNaker implement
it: the receptor type gives a synapse its sign (weights are magnitudes; an "exc" weight below 0
or an "inh" one above 0 has no such synapse), and a spike resets the membrane to ``v_reset``.
One rule for the PyNN export and the SpiNNaker mapping."""

from __future__ import annotations

import numpy as np

from neuromem.ir.network import Network
from neuromem.ir.nodes import LIF


def curr_exp_problem(net: Network, target: str) -> str | None:
    """The first reason ``target`` (named in the message) cannot run ``net`` as IF_curr_exp
    synapses and resets, or None."""
    for name, node in net.nodes.items():
        if isinstance(node, LIF) and node.reset != "value":
            return f"node '{name}': reset={node.reset!r}; {target} resets to v_reset only"
    for proj in net.projections:
        if proj.receptor not in ("exc", "inh"):
            continue
        # a negative weight onto "exc" (or a positive one onto "inh") would need a current of
        # the other sign with this receptor's time constant
        wrong = proj.weight < 0 if proj.receptor == "exc" else proj.weight > 0
        if wrong.any():
            k = int(np.argmax(wrong))
            return (f"projection '{proj.name}': {int(wrong.sum())} weight(s) of the wrong sign for "
                    f"receptor '{proj.receptor}' (synapse {k}: {proj.weight[k]:g} nA); {target} "
                    "takes the sign from the receptor type")
    return None


__all__ = ["curr_exp_problem"]
