"""``Recording``: what a run produced: spikes per population, sampled states, run metadata."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuromem.errors import FileFormatError, MissingDataError
from neuromem.scalars import is_int

RECORDING_FORMAT_VERSION = 1


@dataclass
class StateTrace:
    """Sampled values of one state variable: ``values[k, trial, j]`` at ``times[k]`` (ms) of
    neuron ``indices[j]``."""

    times: np.ndarray
    indices: np.ndarray
    values: np.ndarray


@dataclass
class Recording:
    """Spikes as (times in ms, neuron indices, trial) per population, optional state traces,
    snapshots of plastic weights, and metadata (backend, dt, seed, timings in seconds, ...).

    ``weights[projection] = (times, values)`` with ``values[k, trial, synapse]`` the weights at
    the end of the step at ``times[k]`` (synapses in the projection's order). States of nodes that
    are not spiking populations (astrocytes) are in ``states`` too.
    """

    dt: float
    t_start: float
    t_stop: float
    sizes: dict[str, int]
    spike_data: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    states: dict[str, dict[str, StateTrace]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def trials(self) -> int:
        return int(self.meta.get("trials", 1))

    @property
    def populations(self) -> list[str]:
        return list(self.sizes)

    def spikes(self, pop: str, trial: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Spike ``(times_ms, indices)`` of population ``pop`` in ``trial``, sorted by time then
        index."""
        self._check_pop(pop)
        self._check_trial(trial)
        t, i, k = self.spike_data[pop]
        sel = k == trial
        return t[sel], i[sel]

    def spike_count(self, pop: str, trial: int | None = None) -> int:
        self._check_pop(pop)
        if trial is not None:
            self._check_trial(trial)
        t, _, k = self.spike_data[pop]
        return int(t.size if trial is None else (k == trial).sum())

    def mean_rate(self, pop: str, trial: int | None = None) -> float:
        """Mean firing rate in Hz over the population and the recorded interval (and trials)."""
        count = self.spike_count(pop, trial)  # checks pop and trial
        duration_s = (self.t_stop - self.t_start) / 1000.0
        n_trials = self.trials if trial is None else 1
        if duration_s <= 0:
            return 0.0
        return count / (self.sizes[pop] * duration_s * n_trials)

    def state(self, pop: str, var: str) -> StateTrace:
        """The sampled ``var`` of ``pop``: MissingDataError (a KeyError) if it was not recorded."""
        per_var = self.states.get(pop) if isinstance(pop, str) else None
        if per_var is None:
            recorded = [f"{p}.{v}" for p, vs in self.states.items() for v in vs]
            raise MissingDataError(f"state '{var}' of '{pop}' was not recorded: no states of "
                                   f"'{pop}' (recorded states: {', '.join(recorded) or 'none'})")
        if not isinstance(var, str) or var not in per_var:
            raise MissingDataError(f"state '{var}' of '{pop}' was not recorded (recorded states "
                                   f"of '{pop}': {', '.join(per_var) or 'none'})")
        return per_var[var]

    def weight_snapshots(self, projection: str, trial: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(times, values)`` of a projection's recorded weights, ``values[k, synapse]``."""
        if not isinstance(projection, str) or projection not in self.weights:
            raise MissingDataError(f"no weights recorded for '{projection}' (recorded: "
                                   f"{', '.join(self.weights) or 'none'})")
        self._check_trial(trial)
        times, values = self.weights[projection]
        return times, values[:, trial]

    def _check_pop(self, pop: str) -> None:
        if not isinstance(pop, str) or pop not in self.spike_data:
            raise MissingDataError(f"no spikes recorded for '{pop}' (recorded: "
                                   f"{', '.join(self.spike_data) or 'none'})")

    def _check_trial(self, trial: int) -> None:
        n = self.trials
        if not (is_int(trial) and 0 <= trial < n):
            raise MissingDataError(f"trial {trial!r} out of range [0, {n}): the recording holds "
                                   f"{n} trial(s), 0 to {n - 1}")

    def summary(self) -> str:
        m = self.meta
        lines = [f"Recording: {m.get('backend', '?')} backend, {self.t_start:g}-{self.t_stop:g} ms, "
                 f"dt {self.dt} ms, seed {m.get('seed', '?')}, {self.trials} trial(s)"]
        for pop in self.sizes:
            if pop in self.spike_data:
                lines.append(f"  {pop:>12}: {self.spike_count(pop):8d} spikes, "
                             f"{self.mean_rate(pop):8.2f} Hz mean rate ({self.sizes[pop]} neurons)")
        timing = {k: v for k, v in m.items() if k.endswith("_s")}
        if timing:
            lines.append("  timings: " + ", ".join(f"{k[:-2]} {v:.3f} s" for k, v in timing.items()))
        return "\n".join(lines)

    # -- files ----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write to HDF5, atomically, with the format version.

        ``meta`` may hold None, str, bool, int (64 bits), float, NumPy scalars and arrays, and
        lists, tuples and dicts of these; a path (``os.PathLike``) is stored as its string and
        bytes as the UTF-8 text they encode (both load as text). Anything else (a set, bytes that
        are not UTF-8, an int beyond 64 bits, an object array) is refused with a FileFormatError
        naming the key, before the file is touched, as is a population, projection or state
        name that cannot name an HDF5 group (empty, ".", or containing "/").
        """
        from neuromem.h5io import atomic_write, write_dict

        meta = _storable_dict(self.meta, "meta")
        names = ([("population", p) for p in self.sizes]
                 + [("node", n) for n in self.states if n not in self.sizes]
                 + [(f"state of '{n}'", v) for n, per_var in self.states.items() for v in per_var]
                 + [("projection (weight snapshots)", w) for w in self.weights])
        for what, name in names:
            _check_name(what, name)

        def fill(f):
            f.attrs["dt"], f.attrs["t_start"], f.attrs["t_stop"] = self.dt, self.t_start, self.t_stop
            write_dict(f.create_group("meta", track_order=True), meta)
            pops = f.create_group("populations", track_order=True)
            for pop, size in self.sizes.items():
                g = pops.create_group(pop, track_order=True)
                g.attrs["size"] = size
                if pop in self.spike_data:
                    t, i, k = self.spike_data[pop]
                    s = g.create_group("spikes")
                    s.create_dataset("times", data=t)
                    s.create_dataset("indices", data=i)
                    s.create_dataset("trials", data=k)
                _write_states(g, self.states.get(pop, {}))
            others = f.create_group("modulators", track_order=True)
            for name, per_var in self.states.items():
                if name not in self.sizes:
                    _write_states(others.create_group(name), per_var)
            wg = f.create_group("weights", track_order=True)
            for name, (times, values) in self.weights.items():
                g = wg.create_group(name)
                g.create_dataset("times", data=times)
                g.create_dataset("values", data=values)

        atomic_write(path, "recording", RECORDING_FORMAT_VERSION, fill)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Recording":
        """Read a recording written by :meth:`save`; FileFormatError if the file is not one."""
        from neuromem.h5io import open_checked, read_dict

        with open_checked(path, "recording", RECORDING_FORMAT_VERSION) as f:
            dt, t_start, t_stop = (float(f.attrs[k]) for k in ("dt", "t_start", "t_stop"))
            meta = read_dict(f["meta"])
            trials = meta.get("trials", 1)
            if not (np.isfinite([dt, t_start, t_stop]).all() and dt > 0 and t_stop >= t_start):
                raise FileFormatError(f"{path}: dt {dt}, t_start {t_start}, t_stop {t_stop} do not "
                                      "describe a run")
            if not (is_int(trials) and trials >= 1):
                shown = trials.item() if isinstance(trials, np.generic) else trials
                raise FileFormatError(f"{path}: meta 'trials' must be a positive integer, got "
                                      f"{shown!r}")
            sizes, spikes, states = {}, {}, {}
            for pop, g in f["populations"].items():
                size = g.attrs["size"]
                if not (is_int(size) and size >= 1):
                    shown = size.item() if isinstance(size, np.generic) else size
                    raise FileFormatError(f"{path}: population '{pop}' has size {shown!r}")
                sizes[pop] = int(size)
                if "spikes" in g:
                    s = g["spikes"]
                    t, i, k = s["times"][()], s["indices"][()], s["trials"][()]
                    if not (t.shape == i.shape == k.shape):
                        raise FileFormatError(f"{path}: spikes of '{pop}' have unequal lengths")
                    # the spikes must be ones a run of this recording could have made
                    if t.size and not (np.isfinite(t).all() and t.min() >= t_start and t.max() < t_stop
                                       and i.min() >= 0 and i.max() < size
                                       and k.min() >= 0 and k.max() < trials):
                        raise FileFormatError(f"{path}: spikes of '{pop}' lie outside the recording "
                                              f"({t_start:g}-{t_stop:g} ms, {size} neurons, "
                                              f"{trials} trial(s))")
                    spikes[pop] = (t, i, k)
                if "state" in g:
                    states[pop] = _read_states(g)
            for name, g in f.get("modulators", {}).items():
                states[name] = _read_states(g)
            weights = {}
            for name, g in f.get("weights", {}).items():
                times, values = g["times"][()], g["values"][()]
                if values.ndim != 3 or times.ndim != 1 or values.shape[0] != times.shape[0] \
                        or values.shape[1] != trials:
                    raise FileFormatError(f"{path}: weight snapshots of '{name}' are malformed")
                weights[name] = (times, values)
            return cls(dt, t_start, t_stop, sizes, spikes, states, meta, weights)


def _write_states(group, per_var: dict[str, StateTrace]) -> None:
    for var, tr in per_var.items():
        sg = group.create_group(f"state/{var}")
        sg.create_dataset("times", data=tr.times)
        sg.create_dataset("indices", data=tr.indices)
        sg.create_dataset("values", data=tr.values)


def _read_states(group) -> dict[str, StateTrace]:
    if "state" not in group:
        return {}
    return {var: StateTrace(sg["times"][()], sg["indices"][()], sg["values"][()])
            for var, sg in group["state"].items()}


# -- what a recording file can hold -------------------------------------------------------
#: keys that :func:`neuromem.h5io.read_dict` skips or interprets: a meta key of that name would
#: not come back
_RESERVED_KEYS = ("__kind__", "__none__", "__len__", "neuromem_format", "format_version")


def _check_name(what: str, name: Any) -> None:
    """FileFormatError unless ``name`` can be an HDF5 group name (one level, text)."""
    if not (isinstance(name, str) and name and name != "." and "/" not in name
            and _is_text(name)):
        raise FileFormatError(f"cannot save {what} {name!r}: an HDF5 group name must be a "
                              f"non-empty str other than '.', without '/' or NUL characters")


def _is_text(text: str) -> bool:
    """Whether HDF5 can hold ``text`` as a UTF-8 string (no NUL, no lone surrogates)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_attribute(value: Any) -> bool:
    """Whether :func:`~neuromem.h5io.write_dict` stores ``value`` as an attribute (whose name may
    hold any text) rather than a group or dataset (whose name is an HDF5 path)."""
    return value is None or isinstance(value, (str, bool, int, float, np.bool_, np.integer,
                                               np.floating))


def _storable_dict(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise FileFormatError(f"cannot save {where}: it must be a dict, got "
                              f"{type(data).__name__}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        here = f"{where}[{name!r}]"
        if not name or name in _RESERVED_KEYS or not _is_text(name):
            raise FileFormatError(f"cannot save {here}: keys must be non-empty text without NUL "
                                  f"characters, other than {', '.join(_RESERVED_KEYS)}")
        if name in out:
            raise FileFormatError(f"cannot save {here}: two keys of {where} are both stored as "
                                  f"{name!r}")
        value = _storable(value, here)
        if not _is_attribute(value) and (name == "." or "/" in name):
            raise FileFormatError(f"cannot save {here}: the key of a dict, list or array cannot "
                                  f"contain '/' or be '.' (HDF5 reads it as a path)")
        out[name] = value
    return out


def _storable(value: Any, where: str) -> Any:
    """``value`` as the recording file holds it, or a FileFormatError naming ``where``."""
    def refuse(why: str) -> FileFormatError:
        return FileFormatError(f"cannot save {where}: {why} ({type(value).__name__} "
                               f"{_short(value)}); a recording's meta holds None, str, bool, int, "
                               f"float, NumPy numbers and arrays, and lists and dicts of these")

    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if value is None or isinstance(value, (bool, np.bool_, float, np.integer, np.floating)):
        return value
    if isinstance(value, str):
        if not _is_text(value):
            raise refuse("a str with NUL characters or lone surrogates cannot be stored")
        return value
    if isinstance(value, int):
        if not -2**63 <= value < 2**64:
            raise refuse("an int beyond 64 bits cannot be stored (store it as a str)")
        return value
    if isinstance(value, Mapping):
        return _storable_dict(value, where)
    if isinstance(value, (set, frozenset)):
        raise refuse("HDF5 has no set type (store a sorted list)")
    if isinstance(value, bytes):
        return _storable_array(np.asarray(value), where, refuse)
    if isinstance(value, (list, tuple)):
        if not value or any(isinstance(v, Mapping) for v in value):
            # stored item by item, as write_dict stores a list of dicts (or an empty list)
            return [_storable(v, f"{where}[{i}]") for i, v in enumerate(value)]
        value = [os.fspath(v) if isinstance(v, os.PathLike) else v for v in value]
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise refuse(f"it is not an array HDF5 can hold: {exc}") from None
    return _storable_array(arr, where, refuse)


def _storable_array(arr: np.ndarray, where: str, refuse) -> np.ndarray:
    kind = arr.dtype.kind
    if kind in "biufc":
        return arr
    if kind == "U":
        if not all(_is_text(str(s)) for s in arr.ravel()):
            raise refuse("strings with NUL characters or lone surrogates cannot be stored")
        return arr
    if kind == "S":
        if all(b.isascii() for b in arr.ravel()):
            return arr  # stored as fixed-length ASCII strings, as before
        try:  # h5py reads fixed-length bytes as ASCII: store UTF-8 as text, which loads the same
            return np.array([b.decode("utf-8") for b in arr.ravel()], dtype=str).reshape(arr.shape)
        except UnicodeDecodeError:
            raise refuse("bytes that are not UTF-8 text cannot be stored (store them as an array "
                         "of uint8: np.frombuffer(data, np.uint8))") from None
    if kind == "O":
        kinds = sorted({type(x).__name__ for x in arr.ravel()})
        raise refuse(f"an array of Python objects ({', '.join(kinds) or 'none'}) has no HDF5 "
                     f"equivalent")
    raise refuse(f"arrays of dtype {arr.dtype} cannot be stored")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
