"""``export_spinnaker(net, out_dir, machine)``: what a SpiNNaker machine would be loaded with.

Writes into ``out_dir``:

* ``mapping.json``: the mapping report as JSON (:meth:`Mapping.save`);
* ``routing_tables.json``: per chip, the router entries (key, mask, route) after compression,
  with the keys and masks also in hex as SpiNNaker tools print them;
* ``synaptic_matrices.npz``: per projection ``<name>/pre``, ``/post``, ``/w_int`` (the 16-bit
  weights, negative for the inhibitory synapse type, as :attr:`Mapping.weights_int`),
  ``/delay_steps``, ``/post_slice`` (the core slice of each target neuron) and ``/shift``
  (the ring-buffer left shift of its target and receptor), plus ``projections``, the names;
* ``report.txt``: :meth:`Mapping.report`;
* ``network.py`` (and ``network_data.npz`` when the arrays are large): the network as a PyNN
  script for ``pyNN.spiNNaker`` (see :mod:`neuromem.pynn_export`).

Everything that can fail (the mapping, the PyNN translation) runs before anything is written, so
a network that does not fit leaves ``out_dir`` as it was; the files are written into a
temporary folder beside ``out_dir`` and moved in, each by one rename.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from neuromem.hardware.spinnaker.machine import Machine, spinnaker1
from neuromem.hardware.spinnaker.mapping import Mapping, map_network

from neuromem.ir.network import Network
from neuromem.pynn_export import data_path_for, render_pynn, save_pynn

#: output name -> file name
FILES = {"mapping": "mapping.json", "routing_tables": "routing_tables.json",
         "synaptic_matrices": "synaptic_matrices.npz", "report": "report.txt",
         "pynn_script": "network.py"}


def routing_tables(mapping: Mapping) -> dict[str, Any]:
    """The per-chip router tables of ``mapping`` as JSON-ready data."""
    m = mapping.machine
    chips = []
    for chip, entries in sorted(mapping.routing.items()):
        chips.append({
            "chip": list(chip),
            "n_entries": len(entries),
            "n_entries_uncompressed": mapping.routing_uncompressed.get(chip, len(entries)),
            "entries": [{"key": key, "mask": mask, "key_hex": f"0x{key:08X}",
                         "mask_hex": f"0x{mask:08X}", "route": sorted(route)}
                        for key, mask, route in entries]})
    return {"machine": m.name, "router_entries_per_chip": m.router_entries,
            # which source core each key belongs to, to read a route back to a population
            "keys": [{"slice": k, "population": mapping.slices[k].population,
                      "lo": mapping.slices[k].lo, "hi": mapping.slices[k].hi,
                      "chip": list(mapping.slices[k].chip), "core": mapping.slices[k].core,
                      "key": key, "mask": mask, "key_hex": f"0x{key:08X}",
                      "mask_hex": f"0x{mask:08X}"} for k, (key, mask) in mapping.keys.items()],
            "chips": chips}


def synaptic_matrices(net: Network, mapping: Mapping) -> dict[str, np.ndarray]:
    """Per projection the arrays of ``synaptic_matrices.npz`` (see the module docstring)."""
    out: dict[str, np.ndarray] = {"projections": np.array([p.name for p in net.projections],
                                                          dtype=str)}
    for proj in net.projections:
        rb = mapping.ring_buffers.get((proj.post, proj.receptor))
        slices = [(k, mapping.slices[k]) for k in mapping.slices_of(proj.post)]
        post_slice = np.full(proj.n_synapses, -1, dtype=np.int64)
        for k, s in slices:
            post_slice[(proj.post_idx >= s.lo) & (proj.post_idx < s.hi)] = k
        out[f"{proj.name}/pre"] = proj.pre_idx.astype(np.int64)
        out[f"{proj.name}/post"] = proj.post_idx.astype(np.int64)
        out[f"{proj.name}/w_int"] = np.asarray(mapping.weights_int[proj.name], dtype=np.int64)
        out[f"{proj.name}/delay_steps"] = np.rint(proj.delay / mapping.machine.dt).astype(np.int64)
        out[f"{proj.name}/post_slice"] = post_slice
        out[f"{proj.name}/shift"] = np.array(rb.shift if rb is not None else 0, dtype=np.int64)
    return out


def export_spinnaker(net: Network, out_dir: str | os.PathLike, machine: Machine | None = None,
                     *, duration_ms: float = 1000.0) -> dict[str, Path]:
    """Map ``net`` onto ``machine`` (default: one SpiNN-5 board) and write the files above into
    ``out_dir`` (created). Returns output name -> path. A network that does not fit raises the
    mapping's :class:`~neuromem.hardware.spinnaker.mapping.MappingError` and writes nothing;
    one PyNN cannot express raises :class:`~neuromem.errors.UnsupportedError`, likewise."""
    machine = machine or spinnaker1()
    # everything that can refuse the network runs before the first byte is written
    mapping = map_network(net, machine)
    out = Path(out_dir)
    script_path = out / FILES["pynn_script"]
    text, data = render_pynn(net, simulator="spiNNaker", duration_ms=duration_ms,
                             data_file=data_path_for(script_path).name)
    tables = routing_tables(mapping)
    matrices = synaptic_matrices(net, mapping)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    # a folder of our own beside the target (mkdir applies the umask, as for any new folder;
    # mkdtemp's 0o700 would leave a renamed folder closed to others)
    staging = parent / f".{out.name}.{secrets.token_hex(8)}.tmp"
    staging.mkdir()
    try:
        mapping.save(staging / FILES["mapping"])
        (staging / FILES["routing_tables"]).write_text(json.dumps(tables, indent=1) + "\n",
                                                       encoding="utf-8")
        with open(staging / FILES["synaptic_matrices"], "wb") as f:
            np.savez_compressed(f, **matrices)
        (staging / FILES["report"]).write_text(mapping.report() + "\n", encoding="utf-8")
        written = {key: path.name for key, path in
                   save_pynn(staging / FILES["pynn_script"], text, data).items()}
        written = {"mapping": FILES["mapping"], "routing_tables": FILES["routing_tables"],
                   "synaptic_matrices": FILES["synaptic_matrices"], "report": FILES["report"],
                   **written}
        if not out.exists():
            os.replace(staging, out)  # a fresh folder appears whole, in one rename
        else:
            # an existing folder keeps its other files; each of ours is replaced by one
            # rename, the script last, after the data it loads
            for key in sorted(written, key=lambda k: k == "pynn_script"):
                os.replace(staging / written[key], out / written[key])
        return {key: out / name for key, name in written.items()}
    finally:
        shutil.rmtree(staging, ignore_errors=True)


__all__ = ["FILES", "export_spinnaker", "routing_tables", "synaptic_matrices"]
