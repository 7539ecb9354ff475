"""``Recording``: what a run produced: spikes per population, sampled states, run metadata."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuromem.errors import FileFormatError

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
        if pop not in self.spike_data:
            raise KeyError(f"no spikes recorded for '{pop}' (recorded: {', '.join(self.spike_data)})")
        if not 0 <= trial < self.trials:
            raise IndexError(f"trial {trial} out of range [0, {self.trials})")
        t, i, k = self.spike_data[pop]
        sel = k == trial
        return t[sel], i[sel]

    def spike_count(self, pop: str, trial: int | None = None) -> int:
        t, _, k = self.spike_data[pop]
        return int(t.size if trial is None else (k == trial).sum())

    def mean_rate(self, pop: str, trial: int | None = None) -> float:
        """Mean firing rate in Hz over the population and the recorded interval (and trials)."""
        duration_s = (self.t_stop - self.t_start) / 1000.0
        n_trials = self.trials if trial is None else 1
        if duration_s <= 0:
            return 0.0
        return self.spike_count(pop, trial) / (self.sizes[pop] * duration_s * n_trials)

    def state(self, pop: str, var: str) -> StateTrace:
        try:
            return self.states[pop][var]
        except KeyError:
            raise KeyError(f"state '{var}' of '{pop}' was not recorded") from None

    def weight_snapshots(self, projection: str, trial: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(times, values)`` of a projection's recorded weights, ``values[k, synapse]``."""
        if projection not in self.weights:
            raise KeyError(f"no weights recorded for '{projection}' (recorded: "
                           f"{', '.join(self.weights) or 'none'})")
        if not 0 <= trial < self.trials:
            raise IndexError(f"trial {trial} out of range [0, {self.trials})")
        times, values = self.weights[projection]
        return times, values[:, trial]

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
        """Write to HDF5, atomically, with the format version."""
        from neuromem.h5io import atomic_write, write_dict

        def fill(f):
            f.attrs["dt"], f.attrs["t_start"], f.attrs["t_stop"] = self.dt, self.t_start, self.t_stop
            write_dict(f.create_group("meta", track_order=True), self.meta)
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
            sizes, spikes, states = {}, {}, {}
            for pop, g in f["populations"].items():
                sizes[pop] = int(g.attrs["size"])
                if "spikes" in g:
                    s = g["spikes"]
                    t, i, k = s["times"][()], s["indices"][()], s["trials"][()]
                    if not (t.shape == i.shape == k.shape):
                        raise FileFormatError(f"{path}: spikes of '{pop}' have unequal lengths")
                    spikes[pop] = (t, i, k)
                if "state" in g:
                    states[pop] = _read_states(g)
            for name, g in f.get("modulators", {}).items():
                states[name] = _read_states(g)
            weights = {}
            for name, g in f.get("weights", {}).items():
                times, values = g["times"][()], g["values"][()]
                trials = int(read_dict(f["meta"]).get("trials", 1))
                if values.ndim != 3 or times.ndim != 1 or values.shape[0] != times.shape[0] \
                        or values.shape[1] != trials:
                    raise FileFormatError(f"{path}: weight snapshots of '{name}' are malformed")
                weights[name] = (times, values)
            return cls(float(f.attrs["dt"]), float(f.attrs["t_start"]), float(f.attrs["t_stop"]),
                       sizes, spikes, states, read_dict(f["meta"]), weights)


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
