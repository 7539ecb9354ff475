"""The exceptions neuromem raises: every one says what is wrong and where."""

from __future__ import annotations


class NeuromemError(Exception):
    """Base class of every error neuromem raises on purpose."""


class ValidationError(NeuromemError, ValueError):
    """A graph that cannot run: names the node or edge and the field at fault."""

    def __init__(self, message: str, *, node: str | None = None, edge: str | None = None,
                 field: str | None = None) -> None:
        self.node = node
        self.edge = edge
        self.field = field
        where = []
        if node is not None:
            where.append(f"node '{node}'")
        if edge is not None:
            where.append(f"edge '{edge}'")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class FileFormatError(NeuromemError, OSError):
    """A file that is missing, truncated, corrupt, foreign or of an unknown format version."""


class BackendError(NeuromemError, RuntimeError):
    """A backend that is unknown, unavailable, or asked to do what it cannot."""


class UnsupportedError(BackendError):
    """A graph feature (rule, node type, option) that a given backend does not implement."""


class MissingDataError(NeuromemError, KeyError):
    """Something asked to be plotted that the recording does not hold (population, state
    variable, neuron, trial). A KeyError, so ``except KeyError`` code keeps working, with a
    readable ``str`` (KeyError's own quotes its message)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
