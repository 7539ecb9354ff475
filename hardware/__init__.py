"""Device backends of neuromem (installed as ``neuromem.hardware``): resistive crossbars and
SpiNNaker-style cores will live here, each reusing the torch step engine."""
