"""Check neuromem's SpiNNaker mapping against sPyNNaker's own, on a virtual board.

For each network, neuromem's PyNN export writes the network as a PyNN script for
``pyNN.spiNNaker``, and ``neuromem.hardware.spinnaker.map_network`` maps it. The script is then
run under sPyNNaker 1!7.4.1 on a *virtual* SpiNN-5 board (no hardware: sPyNNaker does the whole
mapping, placement and data generation and skips the run itself), and just before ``sim.end()``
this file reads what sPyNNaker chose: the cores (machine vertices) of every population and the
ring-buffer left shift of every (population, receptor) with the input bound behind it. One
table per network puts the two side by side.

Run it from the repository root (the first time needs network access, to install sPyNNaker into
its own venv ``.venv-spynnaker``: sPyNNaker pins its own PyNN and numpy, so it does not share
neuromem's venv)::

    make spynnaker-check

or by hand, with an sPyNNaker venv of your own::

    python3 -m venv .venv-spynnaker && .venv-spynnaker/bin/pip install "sPyNNaker==1!7.4.1"
    .venv/bin/python experiments/spynnaker_check.py --out out/spynnaker_check \\
        [--networks ca3-e1 cuba-small cuba] [--spynnaker-python .venv-spynnaker/bin/python]

The networks: ``ca3-e1`` (the CA3 content-addressable memory, 5 cues x 10 content bits, with
experiment E1's input, dt 1 ms), ``cuba-small`` (CUBA 400 + 100 neurons, dt 1 ms, delay 1 ms) and
``cuba`` (CUBA 3200 + 800 neurons at dt 0.1 ms). Expected result (about 30 s once installed):
every shift and every bound agrees (11/11, 2/2, 2/2) and so do the cores at dt 1 ms, each on the
same (chip, core) as sPyNNaker places it (10/10, 2/2); at dt 0.1 ms
sPyNNaker 7 gives every slice a synapse core besides its neuron core (32 cores where neuromem
counts 16), which is reported as the known difference it is (see the mapping's note), not as a
failure. Exit status: 0 when everything agrees, 1 when a shift differs (or cores differ in
another way, or a run fails), 2 when the sPyNNaker python is missing. sPyNNaker's own system
cores (a monitor on every chip, a packet gatherer) belong to no population and are listed, not
compared.

Output in ``--out DIR``: ``<network>/network.py`` (+ data) the exported script,
``<network>/neuromem_mapping.json`` neuromem's mapping, ``<network>/spynnaker.json`` what
sPyNNaker chose, ``<network>/spynnaker.log`` the run's output, ``summary.md`` the tables, and
``home/.spynnaker.cfg`` the virtual-board configuration (the run's ``$HOME``; the real one is not
touched) with sPyNNaker's reports under ``reports/``.

The same file is also the small program that runs under sPyNNaker's python (it must not import
neuromem, which that venv lacks)::

    .venv-spynnaker/bin/python experiments/spynnaker_check.py --_inspect SCRIPT_DIR RESULT_JSON
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SPYNNAKER_VERSION = "1!7.4.1"
NETWORKS = ("ca3-e1", "cuba-small", "cuba")
#: neuromem's receptor -> sPyNNaker's synapse target name (LIF curr_exp)
TARGETS = {"exc": "excitatory", "inh": "inhibitory"}
#: sPyNNaker's machine vertices that receive spikes for a slice whose neurons run on another core
SYNAPSE_CORE = "PopulationSynapses"
BOUND_RTOL = 1e-6

VIRTUAL_BOARD_CFG = """\
# written by experiments/spynnaker_check.py: a virtual SpiNN-5 board (no hardware needed)
[Machine]
version = 5
virtual_board = True

[Reports]
default_report_file_path = {reports}
write_network_graph = False

[Mode]
mode = Debug
"""

INSTALL_HINT = f"""\
sPyNNaker's python not found: {{path}}
Create it (needs network access once), from the repository root:
    make spynnaker-check
or by hand:
    python3 -m venv .venv-spynnaker
    .venv-spynnaker/bin/pip install "sPyNNaker=={SPYNNAKER_VERSION}"
(or pass --spynnaker-python PATH to an existing sPyNNaker {SPYNNAKER_VERSION} install)"""


# -- inspect role (runs under sPyNNaker's python; no neuromem here) ------------------------


class SpynnakerInternalsError(RuntimeError):
    """sPyNNaker's internal objects are not the ones this check was written against."""


def read_spynnaker_mapping() -> dict[str, Any]:
    """What sPyNNaker chose, read from its data view once the graph is mapped (before sim.end).

    Written against sPyNNaker 1!7.4.1: it reads private names (the population vertex's neuron
    implementation and statistics class, the machine vertices' ring-buffer shifts), the one
    place in this file that depends on sPyNNaker's internals. Another version may name them
    otherwise; that stops here with a clear message rather than a wrong table.
    """
    try:
        from spynnaker.pyNN.data import SpynnakerDataView
        from spynnaker.pyNN.models.neuron import PopulationVertex
        from spynnaker.pyNN.models.neuron.population_vertex import _Stats

        cores: dict[str, list[dict[str, Any]]] = {}
        system: dict[str, int] = {}  # sPyNNaker's own cores (monitors), of no population
        for pl in SpynnakerDataView.iterate_placemements():  # sic: 7.4.1's spelling
            v = pl.vertex
            if v.app_vertex is None:
                system[type(v).__name__] = system.get(type(v).__name__, 0) + 1
                continue
            label = v.app_vertex.label
            # each machine vertex's own copy of the shifts it writes to its core (name-mangled
            # per class: _PopulationMachineVertex__ring_buffer_shifts, ...)
            on_core = [getattr(v, a) for a in dir(v) if a.endswith("__ring_buffer_shifts")]
            cores.setdefault(label, []).append({
                "machine_vertex": v.label, "type": type(v).__name__, "slice": str(v.vertex_slice),
                "core": [pl.x, pl.y, pl.p],
                "shifts": [int(s) for s in on_core[0]] if on_core else None})
        shifts: dict[str, dict[str, Any]] = {}
        for app in SpynnakerDataView.iterate_vertices():
            if not isinstance(app, PopulationVertex):
                continue
            impl = app._PopulationVertex__neuron_impl
            targets = list(impl.get_synapse_targets())
            got = app.get_ring_buffer_shifts()
            # the bounds behind those shifts, as get_ring_buffer_shifts computes them
            summed = app._PopulationVertex__max_expected_summed_weight
            stats = _Stats(impl, app.spikes_per_second, app.ring_buffer_sigma)
            for proj in app.incoming_projections:
                if not proj._synapse_information.synapse_type_from_dynamics:
                    stats.add_projection(proj)
            bounds = [float(summed) * impl.get_global_weight_scale() if summed is not None
                      else float(stats.get_max_weight(i)) for i in range(len(targets))]
            shifts[app.label] = {t: {"shift": int(s), "bound": b}
                                 for t, s, b in zip(targets, got, bounds)}
            shifts[app.label]["_global_weight_scale"] = float(impl.get_global_weight_scale())
            shifts[app.label]["_splitter"] = type(app.splitter).__name__
        return {"cores": cores, "system_cores": system, "shifts": shifts,
                "run_dir": str(SpynnakerDataView.get_run_dir_path())}
    except (AttributeError, ImportError, TypeError) as e:
        raise SpynnakerInternalsError(
            f"this check reads sPyNNaker {SPYNNAKER_VERSION}'s internals and they are not "
            f"there ({type(e).__name__}: {e}); install sPyNNaker=={SPYNNAKER_VERSION} for it"
        ) from e


def inspect(script_dir: str, result_json: str) -> int:
    """Run ``script_dir/network.py``'s main() on pyNN.spiNNaker with sim.end hooked, and dump
    what sPyNNaker chose (:func:`read_spynnaker_mapping`) to ``result_json``."""
    import importlib.util
    from importlib import metadata

    script_dir, result_json = os.path.abspath(script_dir), os.path.abspath(result_json)
    os.chdir(script_dir)  # the script writes its spike counts to the working directory
    import pyNN.spiNNaker as sim

    result: dict[str, Any] = {"spynnaker_version": metadata.version("sPyNNaker"),
                              "pynn_version": metadata.version("PyNN"), "errors": []}

    def read(after_failure: bool = False) -> None:
        if "shifts" in result:
            return
        try:
            result.update(read_spynnaker_mapping())
        except Exception as e:
            if after_failure:  # what could be read, for a failed script (its error is recorded)
                return
            result["errors"].append(str(e) if isinstance(e, SpynnakerInternalsError) else
                                    "reading sPyNNaker's mapping: " + traceback.format_exc())

    real_end = sim.end

    def end(*args: Any, **kwargs: Any) -> Any:
        read()
        return real_end(*args, **kwargs)

    sim.end = end
    try:
        spec = importlib.util.spec_from_file_location("network", os.path.join(script_dir, "network.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result["script_rc"] = module.main([])  # [] not None: sys.argv is this file's
    except BaseException:
        result["errors"].append("the script: " + traceback.format_exc())
        read(after_failure=True)
    with open(result_json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    for err in result["errors"]:
        print(err, file=sys.stderr)
    return 1 if result["errors"] else 0


# -- driver (runs under neuromem's python) ------------------------------------------------


def build_network(name: str):
    """(network, machine) of one of NETWORKS."""
    from dataclasses import replace

    from neuromem.hardware.spinnaker import spinnaker1
    from neuromem.models import ca3_cam, cuba

    if name == "ca3-e1":
        return ca3_cam.build(5, 10, in_spikes=ca3_cam.E1_IN_SPIKES), spinnaker1()
    if name == "cuba-small":
        return cuba.build(400, 100, p=0.02, seed=1, dt=1.0, delay=1.0), spinnaker1()
    if name == "cuba":
        return cuba.build(3200, 800, p=0.02, seed=1), replace(spinnaker1(), dt=0.1)
    raise ValueError(f"unknown network {name!r}; one of {', '.join(NETWORKS)}")


def spynnaker_env(out: Path) -> dict[str, str]:
    """The environment of the sPyNNaker run: $HOME (and the XDG folders sPyNNaker's cfg lookup
    and matplotlib use) inside ``out``, holding the virtual-board cfg."""
    home = out / "home"
    (home / ".config").mkdir(parents=True, exist_ok=True)
    (home / "xdg").mkdir(exist_ok=True)
    (out / "reports").mkdir(exist_ok=True)
    (home / ".spynnaker.cfg").write_text(VIRTUAL_BOARD_CFG.format(reports=(out / "reports").resolve()))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(HOME=str(home.resolve()), XDG_CONFIG_HOME=str((home / ".config").resolve()),
               XDG_CACHE_HOME=str((home / ".cache").resolve()),
               XDG_CONFIG_DIRS=str((home / "xdg").resolve()))
    return env


def run_spynnaker(python: str, script_dir: Path, env: dict[str, str], timeout: float
                  ) -> tuple[dict[str, Any], float]:
    """Run this file's inspect role under sPyNNaker's python; (its result, seconds)."""
    result_json, log = script_dir / "spynnaker.json", script_dir / "spynnaker.log"
    result_json.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as f:
        proc = subprocess.run([python, str(Path(__file__).resolve()), "--_inspect", str(script_dir),
                               str(result_json)], env=env, stdout=f, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
    seconds = time.perf_counter() - t0
    if not result_json.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        return {"errors": [f"the sPyNNaker run exited {proc.returncode} without a result; "
                           f"the end of {log}:\n" + "\n".join(tail)]}, seconds
    return json.loads(result_json.read_text(encoding="utf-8")), seconds


def compare(mapping, spy: dict[str, Any]) -> dict[str, Any]:
    """Rows of the two tables and the verdict of one network."""
    core_rows, known, core_diffs = [], [], 0
    ours: dict[str, int] = mapping.cores_per_population()
    for s in mapping.slices:  # sPyNNaker labels a delay extension "<source>_delayed"
        if s.kind == "delay_extension":
            ours[s.population + "_delayed"] = ours.get(s.population + "_delayed", 0) + 1
    for pop in list(ours) + [p for p in spy["cores"] if p not in ours]:
        vertices = spy["cores"].get(pop, [])
        n_syn = sum(SYNAPSE_CORE in v["type"] for v in vertices)
        theirs = str(len(vertices)) + (f" ({len(vertices) - n_syn} neuron + {n_syn} synapse)"
                                       if n_syn else "")
        if pop in ours and len(vertices) == ours[pop]:
            note = ""
        elif pop in ours and n_syn and len(vertices) - n_syn == ours[pop] and mapping.machine.dt < 1.0:
            note = "known: sPyNNaker splits neuron/synapse cores below 1 ms"
            known.append(pop)
        else:
            note = "DIFF"
            core_diffs += 1
        core_rows.append([pop, str(ours.get(pop, "-")), theirs, note])
    shift_rows, agree = [], 0
    for (pop, rec), rb in mapping.ring_buffers.items():
        theirs = spy["shifts"].get(pop, {}).get(TARGETS[rec])
        if theirs is None:
            shift_rows.append([f"{pop}/{rec}", str(rb.shift), "-", f"{rb.expected_max_input:.4g}", "-",
                               "DIFF (no such target in sPyNNaker)"])
            continue
        notes = []
        if theirs["shift"] == rb.shift:
            agree += 1
        else:
            notes.append("DIFF")
        if abs(theirs["bound"] - rb.expected_max_input) > BOUND_RTOL * max(abs(theirs["bound"]), 1e-12):
            notes.append("bound differs")
        on_cores = {tuple(v["shifts"]) for v in spy["cores"].get(pop, []) if v["shifts"] is not None}
        k = list(TARGETS.values()).index(TARGETS[rec])
        if any(len(s) <= k or s[k] != theirs["shift"] for s in on_cores):
            notes.append("cores carry other shifts")
        shift_rows.append([f"{pop}/{rec}", str(rb.shift), str(theirs["shift"]),
                           f"{rb.expected_max_input:.4g}", f"{theirs['bound']:.4g}", ", ".join(notes)])
    # where the cores are: ours per population against sPyNNaker's placements
    placed = [(s.population, (*s.chip, s.core)) for s in mapping.slices
              if s.kind != "delay_extension"]
    same = sum(tuple(core) in {tuple(v["core"]) for v in spy["cores"].get(pop, [])}
               for pop, core in placed)
    return {"core_rows": core_rows, "shift_rows": shift_rows, "agree": agree,
            "total": len(mapping.ring_buffers), "known": known, "core_diffs": core_diffs,
            "system": spy.get("system_cores", {}), "placed_same": same, "placed": len(placed)}


CORE_HEAD = ["population", "our cores", "sPyNNaker cores", ""]
SHIFT_HEAD = ["target/receptor", "our shift", "sPyNNaker shift", "our bound (nA)", "sPyNNaker bound (nA)", ""]


def text_table(head: list[str], rows: list[list[str]]) -> list[str]:
    """Fixed-width columns: the first left-aligned, the numbers right-aligned, the note last."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def fmt(row: list[str]) -> str:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) if i < len(row) - 1 else c
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return [fmt(head), fmt(["-" * w for w in widths[:-1]] + [""]), *map(fmt, rows)]


def md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    head = head[:-1] + ["note"]
    align = ["---"] + ["--:"] * (len(head) - 2) + ["---"]
    return ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(r) + " |" for r in rows)]


def report_lines(name: str, net, cmp: dict[str, Any] | None, spy: dict[str, Any], seconds: float,
                 markdown: bool) -> list[str]:
    table = md_table if markdown else text_table
    size = sum(getattr(n, "size", 0) for n in net.nodes.values())
    title = (f"{name}: network '{net.name}', {len(net.nodes)} population(s) of {size} neurons/sources "
             f"in all, dt {net.dt:g} ms (sPyNNaker {spy.get('spynnaker_version', '?')}, run {seconds:.0f} s)")
    lines = [("## " if markdown else "== ") + title, ""]
    if cmp is None:
        err = "\n".join(spy["errors"])
        return lines + (["```", err, "```"] if markdown else [err]) + [""]
    lines += table(CORE_HEAD, cmp["core_rows"]) + [""]
    lines += table(SHIFT_HEAD, cmp["shift_rows"]) + [""]
    lines.append(f"shifts: {cmp['agree']}/{cmp['total']} agree")
    lines.append(f"placement: {cmp['placed_same']}/{cmp['placed']} of our cores sit on the same "
                 "(chip, core) as one of sPyNNaker's for that population")
    if cmp["known"]:
        lines.append(f"cores: known difference for {', '.join(cmp['known'])}: below 1 ms sPyNNaker 7 "
                     "adds a synapse core to every neuron core (neuromem counts combined cores; see "
                     "the mapping's note)")
    if cmp["core_diffs"]:
        lines.append(f"cores: {cmp['core_diffs']} population(s) differ")
    if cmp["system"]:
        lines.append("not compared: sPyNNaker's system cores (" + ", ".join(
            f"{n} {k.removesuffix('MachineVertex')}" for k, n in sorted(cmp["system"].items())) + ")")
    return lines + [""]


def driver(args: argparse.Namespace) -> int:
    python = Path(args.spynnaker_python)
    if not python.is_absolute():
        python = REPO / python  # not resolved: a venv's python is a link out of the venv
    if not python.exists():
        print(INSTALL_HINT.format(path=python), file=sys.stderr)
        return 2
    from neuromem.hardware.spinnaker import map_network

    from neuromem.pynn_export import write_pynn_script

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = spynnaker_env(out)
    failed, text, md = False, [], [
        "# neuromem's SpiNNaker mapping vs sPyNNaker's (virtual board)", "",
        "Written by `experiments/spynnaker_check.py` (see its docstring). Bounds: the peak "
        "input per ring-buffer slot behind each shift.", ""]
    t_all = time.perf_counter()
    for name in args.networks:
        net, machine = build_network(name)
        script_dir = out / name
        script_dir.mkdir(parents=True, exist_ok=True)
        write_pynn_script(net, script_dir / "network.py", simulator="spiNNaker", duration_ms=args.duration)
        mapping = map_network(net, machine)
        mapping.save(script_dir / "neuromem_mapping.json")
        print(f"[{name}] running the exported script on sPyNNaker (virtual board) ...", flush=True)
        try:
            spy, seconds = run_spynnaker(str(python), script_dir, env, args.timeout)
        except subprocess.TimeoutExpired:
            spy, seconds = {"errors": [f"the sPyNNaker run took over {args.timeout:g} s"]}, args.timeout
        cmp = None if spy["errors"] else compare(mapping, spy)
        failed |= cmp is None or cmp["agree"] != cmp["total"] or cmp["core_diffs"] > 0
        text += report_lines(name, net, cmp, spy, seconds, markdown=False)
        md += report_lines(name, net, cmp, spy, seconds, markdown=True)
        print("\n".join(report_lines(name, net, cmp, spy, seconds, markdown=False)), flush=True)
    verdict = ("FAILED: see the DIFF rows / errors above" if failed else
               "OK: every shift agrees; cores agree apart from the known split below 1 ms")
    md += [f"**{verdict}** (total {time.perf_counter() - t_all:.0f} s)", ""]
    (out / "summary.md").write_text("\n".join(md), encoding="utf-8")
    print(f"{verdict}\nsummary: {out / 'summary.md'}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", choices=NETWORKS, default=list(NETWORKS),
                        help="networks to check (default: all)")
    parser.add_argument("--out", default="out/spynnaker_check", help="output folder (default: %(default)s)")
    parser.add_argument("--spynnaker-python", default=".venv-spynnaker/bin/python",
                        help="python of a venv with sPyNNaker " + SPYNNAKER_VERSION.replace("%", "%%")
                        + " (relative paths: to the repository root; default: %(default)s)")
    parser.add_argument("--duration", type=float, default=100.0,
                        help="simulated ms written into the scripts (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds allowed to one sPyNNaker run (default: %(default)s)")
    parser.add_argument("--_inspect", nargs=2, metavar=("SCRIPT_DIR", "RESULT_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._inspect:
        return inspect(*args._inspect)
    return driver(args)


if __name__ == "__main__":
    sys.exit(main())
