"""The graph IR: nodes, connectivity builders, projections, the Network and its validation."""

from neuromem.ir.connectivity import (
                                      AllToAll,
                                      FixedProbability,
                                      FromList,
                                      OneToOne,
                                      all_to_all,
                                      fixed_probability,
                                      from_list,
                                      from_matrix,
                                      one_to_one,
)
from neuromem.ir.network import Network
from neuromem.ir.nodes import LIF, Astrocyte, DendriticLIF, Node, PoissonSource, SpikeArray
from neuromem.ir.plasticity import STDP, AstroSTDP, Rule, SpiNNakerSTDP
from neuromem.ir.projection import Projection
from neuromem.ir.values import Normal, Uniform

__all__ = ["STDP", "AstroSTDP", "Astrocyte", "DendriticLIF", "Rule", "SpiNNakerSTDP",
           "AllToAll", "FixedProbability", "FromList", "LIF", "Network", "Node", "Normal",
           "OneToOne", "PoissonSource", "Projection", "SpikeArray", "Uniform", "all_to_all",
           "fixed_probability", "from_list", "from_matrix", "one_to_one"]
