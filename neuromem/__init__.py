"""neuromem: biologically inspired memories written once as a network graph, run on many backends.

>>> import neuromem as nm
>>> net = nm.Network(dt=0.1)
>>> net.add("in", nm.SpikeArray.from_trains([[1.0, 5.0]]))
>>> net.add("cell", nm.LIF(1, v_rest=-65.0, v_thresh=-50.0, tau_refrac=2.0))
>>> net.connect("in", "cell", nm.one_to_one(), weight=20.0, delay=1.0)
>>> rec = nm.compile(net, backend="torch").run(20.0)
>>> rec.spikes("cell")
"""

from neuromem.backends import available_backends, compile, register_backend
from neuromem.backends.base import PerTrial, Simulation
from neuromem.errors import (
    BackendError,
    FileFormatError,
    MissingDataError,
    NeuromemError,
    UnsupportedError,
    ValidationError,
)
from neuromem.ir import (
    LIF,
    STDP,
    AllToAll,
    Astrocyte,
    AstroSTDP,
    DendriticLIF,
    FixedProbability,
    FromList,
    Network,
    Normal,
    OneToOne,
    PoissonSource,
    Projection,
    SpikeArray,
    SpiNNakerSTDP,
    Uniform,
    all_to_all,
    fixed_probability,
    from_list,
    from_matrix,
    one_to_one,
)
from neuromem.recording import Recording

__version__ = "0.1.0"


def __getattr__(name: str):
    # neuromem.plot pulls in matplotlib: import it on first use, not with the package.
    if name == "plot":
        import importlib

        return importlib.import_module("neuromem.plot")
    raise AttributeError(f"module 'neuromem' has no attribute {name!r}")

__all__ = ["LIF", "STDP", "AstroSTDP", "Astrocyte", "DendriticLIF", "SpiNNakerSTDP",
           "AllToAll", "BackendError", "FileFormatError", "FixedProbability", "FromList",
           "Network", "NeuromemError", "Normal", "OneToOne", "PerTrial", "PoissonSource",
           "Projection", "Recording", "Simulation", "SpikeArray", "Uniform", "UnsupportedError",
           "MissingDataError", "ValidationError", "all_to_all", "available_backends", "compile",
           "fixed_probability", "from_list", "from_matrix", "one_to_one", "register_backend"]
