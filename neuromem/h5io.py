"""HDF5 files of neuromem: atomic writes, nested dicts <-> groups, and checked opening.

Every neuromem file carries two root attributes, ``neuromem_format`` (what it holds: "network",
"recording") and ``format_version``. Files are written to a temporary file in the target folder
and renamed over the target only once complete, so a crash or an error never leaves a half file
and never destroys the user's previous file. Reading wraps every low-level failure (truncation,
corruption, foreign files, missing entries) into :class:`~neuromem.errors.FileFormatError`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuromem.atomic import atomic_path
from neuromem.errors import FileFormatError

_KIND = "__kind__"
_NONE = "__none__"
_LEN = "__len__"
#: what h5py and the readers raise on damaged or incomplete files
_CORRUPT = (KeyError, IndexError, AttributeError, ValueError, TypeError, OSError, RuntimeError)


def atomic_write(path: str | os.PathLike, kind: str, version: int,
                 fill: Callable[[h5py.File], None]) -> Path:
    """Write an HDF5 file at ``path`` through ``fill(file)``, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["neuromem_format"] = kind
        f.attrs["format_version"] = version
        fill(f)
    return path


@contextlib.contextmanager
def open_checked(path: str | os.PathLike, kind: str, max_version: int) -> Iterator[h5py.File]:
    """Open a neuromem file of ``kind`` for reading; every failure is a FileFormatError."""
    path = Path(path)
    if not path.exists():
        raise FileFormatError(f"{path}: no such file")
    if not h5py.is_hdf5(path):
        raise FileFormatError(f"{path}: not an HDF5 file (truncated, corrupt or another format)")
    try:
        f = h5py.File(path, "r")
    except _CORRUPT as exc:
        raise FileFormatError(f"{path}: cannot be opened as HDF5 ({exc})") from None
    try:
        try:
            found = f.attrs.get("neuromem_format")
            version = f.attrs.get("format_version", -1)
        except _CORRUPT as exc:  # a damaged header, e.g. a failed checksum
            raise FileFormatError(f"{path}: corrupt HDF5 file ({type(exc).__name__}: {exc})") \
                from None
        if found is None:
            raise FileFormatError(f"{path}: an HDF5 file, but not one written by neuromem")
        found = found.decode() if isinstance(found, bytes) else str(found)
        if found != kind:
            raise FileFormatError(f"{path}: holds a neuromem {found}, not a {kind}")
        try:  # a whole number, stored as int or float; 1.9 is no version of ours
            number = float(version)
            version = int(number) if number.is_integer() else version
        except (TypeError, ValueError):
            pass
        if not (isinstance(version, int) and 1 <= version <= max_version):
            raise FileFormatError(f"{path}: {kind} format version {version} is not supported "
                                  f"(this neuromem reads versions 1 to {max_version})")
        try:
            yield f
        except FileFormatError:
            raise
        except _CORRUPT as exc:
            raise FileFormatError(f"{path}: corrupt or incomplete {kind} file "
                                  f"({type(exc).__name__}: {exc})") from None
    finally:
        f.close()


def write_dict(group: h5py.Group, data: dict[str, Any]) -> None:
    """Store a nested dict of arrays, scalars, strings, None, lists and dicts under ``group``."""
    nones = []
    for key, value in data.items():
        key = str(key)
        if value is None:
            nones.append(key)
        elif isinstance(value, dict):
            write_dict(group.create_group(key, track_order=True), value)
        elif isinstance(value, (list, tuple)) and (not value or any(isinstance(v, dict) for v in value)):
            # (an empty list too: as a dataset it would come back as an empty float array)
            sub = group.create_group(key, track_order=True)
            sub.attrs[_KIND] = "list"
            sub.attrs[_LEN] = len(value)
            write_dict(sub, {str(i): v for i, v in enumerate(value)})
        elif isinstance(value, str):
            group.attrs[key] = value
        elif isinstance(value, (bool, np.bool_)):
            group.attrs[key] = np.bool_(value)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            group.attrs[key] = value
        else:
            arr = np.asarray(value)
            if arr.dtype.kind == "U":
                # HDF5 has no fixed-width unicode type: store as variable-length UTF-8 strings.
                group.create_dataset(key, data=arr.astype(object), dtype=h5py.string_dtype())
            else:
                group.create_dataset(key, data=arr)
    if nones:
        group.attrs[_NONE] = np.array(nones, dtype=h5py.string_dtype())


def read_dict(group: h5py.Group) -> Any:
    """Inverse of :func:`write_dict`."""
    out: dict[str, Any] = {}
    for key, value in group.attrs.items():
        if key in (_KIND, _NONE, _LEN, "neuromem_format", "format_version"):
            continue
        out[key] = _plain(value)
    for key in group.attrs.get(_NONE, []):
        out[key.decode() if isinstance(key, bytes) else str(key)] = None
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            out[key] = read_dict(item)
        elif h5py.check_string_dtype(item.dtype) is not None:
            out[key] = np.asarray(item.asstr()[()], dtype=str)
        else:
            out[key] = item[()]
    if group.attrs.get(_KIND) == "list":
        n = int(group.attrs.get(_LEN, len(out)))
        if len(out) != n:
            raise KeyError(f"list '{group.name}' holds {len(out)} of its {n} items")
        return [out[str(i)] for i in range(n)]
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
