"""SpiNNaker-style cores (``neuromem.hardware.spinnaker``): map a graph onto a SpiNNaker machine
(``map_network``), and simulate it in sPyNNaker's fixed-point arithmetic on the torch engine
(``neuromem.compile(net, backend="spinnaker", machine=...)``)."""

from neuromem.hardware.spinnaker.machine import (
    Machine,
    default_machine,
    spinn3,
    spinnaker1,
    spinnaker2,
)
from neuromem.hardware.spinnaker.mapping import Mapping, MappingError, map_network

__all__ = ["Machine", "Mapping", "MappingError", "default_machine", "map_network", "spinn3",
           "spinnaker1", "spinnaker2"]
