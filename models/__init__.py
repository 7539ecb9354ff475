"""Network builders of neuromem (installed as ``neuromem.models``): benchmark networks and the
memory models of the mission."""
