"""Name registry of IR primitives, so that a dict or an HDF5 group names its class by a string.

As NIR does: every primitive registers under a stable type name; ``to_dict`` writes that name under
``"type"`` and :func:`from_dict` finds the class again. An unknown name is refused, never guessed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from neuromem.errors import ValidationError

_REGISTRY: dict[str, type] = {}

T = TypeVar("T", bound=type)


def register(type_name: str):
    """Class decorator: make ``cls`` loadable from a dict whose ``"type"`` is ``type_name``."""

    def decorate(cls: T) -> T:
        if type_name in _REGISTRY and _REGISTRY[type_name] is not cls:
            raise ValueError(f"IR type name '{type_name}' is already registered")
        _REGISTRY[type_name] = cls
        cls.type_name = type_name
        return cls

    return decorate


def registered_types() -> dict[str, type]:
    """A copy of the registry: type name -> class."""
    return dict(_REGISTRY)


def lookup(type_name: str, *, where: str | None = None) -> type:
    """The class registered under ``type_name``; a ValidationError naming ``where`` otherwise."""
    try:
        return _REGISTRY[type_name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ValidationError(f"unknown type '{type_name}' (known: {known})", node=where,
                              field="type") from None


def from_dict(data: dict[str, Any], *, where: str | None = None) -> Any:
    """Rebuild a registered primitive from the dict its ``to_dict`` wrote."""
    if not isinstance(data, dict) or "type" not in data:
        raise ValidationError("a primitive's dict needs a 'type' entry", node=where, field="type")
    cls = lookup(str(data["type"]), where=where)
    return cls.from_dict(data)
