"""SpiNNaker export (issue 6): the files ``export_spinnaker`` writes, the ``neuromem export``
command, the placement plot, and the PyNN script, which runs under PyNN's own backends.

Expected numbers come from the network's arrays and ``map_network`` (computed here again where
they are cheap: 16-bit weights, delay steps, hex keys), not from the exporter's helpers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from neuromem.hardware.spinnaker import MappingError, map_network, spinn3
from neuromem.hardware.spinnaker.export import export_spinnaker
from neuromem.hardware.spinnaker.machine import Machine
from neuromem.models import cuba

import neuromem as nm
from neuromem.cli import main
from neuromem.pynn_export import pynn_data, to_pynn_script, write_pynn_script

FILES = {"mapping.json", "routing_tables.json", "synaptic_matrices.npz", "report.txt",
         "network.py"}


def relay(dt: float = 1.0) -> nm.Network:
    """Spike sources driving two small LIF populations through excitatory and inhibitory
    projections with delays of 1 to 3 ms, and a Poisson source (whose zero weights keep it out
    of the dynamics).

    Each input spike makes its target fire exactly once (8 nA with tau_syn_e = 1 ms crosses
    the 10 mV gap within the step it arrives, and too little current is left after the
    refractory period for a second spike); ``veto`` blocks a[2] at 60 and 90 ms, and b[1]
    (driven by a[2] at 30 ms) blocks a[0] at 40 ms. So, independently of any simulator:
    a fires 2 + 3 + 1 = 6 times, b[0] once per spike of a[0] and a[1] (5) and b[1] once (1).
    """
    net = nm.Network("relay", dt=dt)
    net.add("in", nm.SpikeArray.from_trains([[10.0, 40.0, 70.0], [20.0, 50.0, 80.0],
                                             [30.0, 60.0, 90.0]]))
    net.add("veto", nm.SpikeArray.from_trains([[58.0, 88.0]]))
    net.add("noise", nm.PoissonSource(20, rate=50.0, start=100.0, stop=300.0))
    cell = dict(tau_m=10.0, c_m=0.25, v_rest=-65.0, v_reset=-65.0, tau_syn_e=1.0,
                tau_syn_i=3.0, tau_refrac=2.0)
    net.add("a", nm.LIF(3, v_thresh=np.array([-55.0, -54.0, -56.0]),
                        v_init=np.array([-65.0, -64.0, -66.0]), **cell))
    net.add("b", nm.LIF(2, v_thresh=-55.0, **cell))
    net.connect("in", "a", nm.one_to_one(), weight=8.0, delay=1.0, name="in_a")
    net.connect("veto", "a", nm.from_list([(0, 2)]), weight=-6.0, delay=1.0, receptor="inh",
                name="veto_a")
    net.connect("a", "b", nm.from_list([(0, 0), (1, 0), (2, 1)]), weight=8.0, delay=2.0,
                name="a_b")
    net.connect("b", "a", nm.from_list([(1, 0)]), weight=-6.0, delay=3.0, receptor="inh",
                name="b_a")
    net.connect("noise", "b", nm.all_to_all(), weight=0.0, delay=1.0, name="noise_b")
    return net


EXPECTED = {"in": 9, "veto": 2, "a": 6, "b": 6}
#: the Poisson source: 20 neurons x 50 Hz x 0.2 s, and 5 standard deviations of that count
NOISE_MEAN, NOISE_TOL = 200.0, 5 * np.sqrt(200.0)


def spread(machine_chips: int = 2) -> tuple[nm.Network, Machine]:
    """Populations over two chips of a small machine (4 cores a chip), with a delay extension,
    so that the routing tables have entries on more than one chip."""
    machine = Machine("tiny", machine_chips, 1, app_cores_per_chip=4, router_entries=64,
                      dtcm_bytes=64 * 1024, sdram_bytes_per_chip=1 << 27)
    net = nm.Network("spread", dt=1.0)
    net.add("src", nm.SpikeArray.from_trains([[5.0]] * 300))
    net.add("exc", nm.LIF(300))
    net.add("inh", nm.LIF(40))
    net.connect("src", "exc", nm.one_to_one(), weight=np.linspace(0.5, 2.0, 300), delay=40.0,
                name="slow")
    net.connect("exc", "inh", nm.fixed_probability(0.1, seed=3), weight=0.7, delay=2.0,
                name="e_i")
    net.connect("inh", "exc", nm.fixed_probability(0.2, seed=4), weight=-1.3, delay=1.0,
                receptor="inh", name="i_e")
    return net, machine


# -- export files ---------------------------------------------------------------------------
def test_export_writes_files_that_parse(tmp_path):
    net = relay()
    files = export_spinnaker(net, tmp_path / "out")
    assert {p.name for p in files.values()} == FILES  # small arrays: no data file
    assert {p.name for p in (tmp_path / "out").iterdir()} == FILES
    mapping = map_network(net)
    saved = json.loads(files["mapping"].read_text())
    # one core per population here (all are smaller than 256 and 500)
    assert saved["cores"] == len(net.nodes) == mapping.cores
    assert files["report"].read_text() == mapping.report() + "\n"
    text = files["pynn_script"].read_text()
    compile(text, "network.py", "exec")
    assert "DEFAULT_SIMULATOR = 'spiNNaker'" in text and "DT = 1.0" in text
    with np.load(files["synaptic_matrices"]) as f:
        assert list(f["projections"]) == [p.name for p in net.projections]
        for proj in net.projections:
            rb = mapping.ring_buffers[(proj.post, proj.receptor)]
            sign = -1 if proj.receptor == "inh" else 1
            np.testing.assert_array_equal(f[f"{proj.name}/pre"], proj.pre_idx)
            np.testing.assert_array_equal(f[f"{proj.name}/post"], proj.post_idx)
            np.testing.assert_array_equal(f[f"{proj.name}/w_int"],
                                          sign * np.rint(np.abs(proj.weight) * 2.0 ** (15 - rb.shift)))
            np.testing.assert_array_equal(f[f"{proj.name}/delay_steps"], proj.delay.astype(int))
            assert int(f[f"{proj.name}/shift"]) == rb.shift


def test_routing_tables_and_matrices_match_map_network(tmp_path):
    net, machine = spread()
    files = export_spinnaker(net, tmp_path / "out", machine)
    mapping = map_network(net, machine)
    assert len(mapping.chips_used) == 2 and mapping.delay_extensions == ["src"]
    tables = json.loads(files["routing_tables"].read_text())
    assert tables["router_entries_per_chip"] == 64
    got = {(tuple(c["chip"]), e["key"], e["mask"], tuple(e["route"]))
           for c in tables["chips"] for e in c["entries"]}
    want = {(chip, key, mask, tuple(sorted(route)))
            for chip, entries in mapping.routing.items() for key, mask, route in entries}
    assert got == want and len(got) == sum(len(e) for e in mapping.routing.values())
    for c in tables["chips"]:
        assert c["n_entries"] == len(mapping.routing[tuple(c["chip"])])
        for e in c["entries"]:
            assert int(e["key_hex"], 16) == e["key"] and int(e["mask_hex"], 16) == e["mask"]
            # the 9 neuron bits are below every key; compression may clear key bits above
            assert e["mask"] & 0x1FF == 0 and len(e["key_hex"]) == len(e["mask_hex"]) == 10
    with np.load(files["synaptic_matrices"]) as f:
        for proj in net.projections:
            np.testing.assert_array_equal(f[f"{proj.name}/w_int"], mapping.weights_int[proj.name])
            # every target neuron sits in the slice that holds its index
            k = f[f"{proj.name}/post_slice"]
            lo = np.array([mapping.slices[j].lo for j in k])
            hi = np.array([mapping.slices[j].hi for j in k])
            assert ((proj.post_idx >= lo) & (proj.post_idx < hi)).all()
    # the large arrays of the PyNN script went to its data file
    assert files["pynn_data"].name == "network_data.npz"
    with np.load(files["pynn_data"]) as f:
        table = f["proj0_table"]
    np.testing.assert_array_equal(table[:, 2], np.abs(net.projection("slow").weight))
    np.testing.assert_array_equal(table[:, 3], 40.0)


def test_network_that_does_not_fit_writes_nothing(tmp_path):
    net = nm.Network("big", dt=1.0)
    net.add("big", nm.LIF(70 * 256))
    with pytest.raises(MappingError, match="7 too many"):
        export_spinnaker(net, tmp_path / "fresh", spinn3())
    assert list(tmp_path.iterdir()) == []  # no folder, no staging leftovers
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "mapping.json").write_text("old")
    with pytest.raises(MappingError):
        export_spinnaker(net, kept, spinn3())
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert [p.name for p in kept.iterdir()] == ["mapping.json"]
    assert (kept / "mapping.json").read_text() == "old"
    # a network that maps but that PyNN cannot express is refused before writing, too
    sub = nm.Network("sub", dt=1.0)
    sub.add("n", nm.LIF(2, reset="subtract"))
    with pytest.raises(nm.UnsupportedError, match="node 'n': reset='subtract'"):
        export_spinnaker(sub, kept)
    assert [p.name for p in kept.iterdir()] == ["mapping.json"]


def test_export_into_an_existing_folder_replaces_only_its_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "report.txt").write_text("stale")
    export_spinnaker(relay(), out)
    assert {p.name for p in out.iterdir()} == FILES | {"notes.txt"}
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "report.txt").read_text().startswith("SpiNNaker mapping on SpiNNaker1")


# -- command line ---------------------------------------------------------------------------
def test_cli_export_round_trip(tmp_path, capsys):
    net, _ = spread()
    path = tmp_path / "net.h5"
    net.save(path)
    assert main(["export", str(path), "--target", "spinnaker", "--machine", "spinn3",
                 "-o", str(tmp_path / "spin")]) == 0
    out = capsys.readouterr().out
    mapping = map_network(nm.Network.load(path), spinn3())
    assert mapping.report() in out
    for name in FILES | {"network_data.npz"}:
        assert str(tmp_path / "spin" / name) in out
        assert (tmp_path / "spin" / name).is_file()
    assert main(["export", str(path), "--target", "pynn", "--simulator", "nest",
                 "-o", str(tmp_path / "pynn")]) == 0
    assert {p.name for p in (tmp_path / "pynn").iterdir()} == {"network.py", "network_data.npz"}
    assert "DEFAULT_SIMULATOR = 'nest'" in (tmp_path / "pynn" / "network.py").read_text()


def test_cli_export_maps_at_the_networks_time_step(tmp_path, capsys):
    """A 0.1 ms network (the CUBA demo's step) maps at 0.1 ms, as sPyNNaker runs it with
    sim.setup(timestep=0.1), and the report says how sPyNNaker 7 would add synapse cores."""
    path = tmp_path / "cuba.h5"
    cuba.build(400, 100, p=0.02).save(path)
    assert main(["export", str(path), "--target", "spinnaker", "-o", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "dt 0.1 ms" in out and "synapse cores" in out
    saved = json.loads((tmp_path / "s" / "mapping.json").read_text())
    assert saved["machine"]["dt"] == 0.1 and saved["cores"] == 2


@pytest.mark.parametrize("argv, message", [
    (["missing.h5", "--target", "spinnaker"], "missing.h5"),
    (["big.h5", "--target", "spinnaker", "--machine", "spinn3"], "needs 70 cores; SpiNN-3 has 63"),
    (["net.h5", "--target", "pynn", "--machine", "spinn3"], "--machine applies to --target spinnaker"),
    (["net.h5", "--target", "spinnaker", "--simulator", "nest"], "--simulator nest applies to"),
    (["dend.h5", "--target", "pynn"], "node 'd': DendriticLIF"),
])
def test_cli_export_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    relay().save("net.h5")
    big = nm.Network("big", dt=1.0)
    big.add("big", nm.LIF(70 * 256))
    big.save("big.h5")
    dend = nm.Network("dend", dt=1.0)
    dend.add("d", nm.DendriticLIF(2, segments=2))
    dend.save("dend.h5")
    assert main(["export", *argv, "-o", "out"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_cli_export_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--target {spinnaker,pynn}" in text and "spinnaker1,spinn3,spinnaker2" in text


# -- placement plot -------------------------------------------------------------------------
def test_placement_plot_one_coloured_cell_per_core():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    from neuromem import plot

    net, machine = spread()
    mapping = map_network(net, machine)
    fig = plot.placement(mapping)
    try:
        (ax,) = fig.axes
        cells = ax.patches
        # src 2 cores (300 sources), exc 2, inh 1, and src's delay extension on 2 cores
        assert len(cells) == mapping.cores == 7
        legend = {t.get_text(): h for t, h in zip(ax.get_legend().get_texts(),
                                                   ax.get_legend().legend_handles)}
        assert set(legend) == {"src", "exc", "inh", "delay extension"}
        per_pop = {}
        for s in mapping.slices:
            per_pop.setdefault(s.population, []).append(s)
        for pop, slices in per_pop.items():
            colour = to_rgba(legend[pop].get_facecolor())
            mine = [c for c in cells if to_rgba(c.get_facecolor()) == colour]
            assert len(mine) == len(slices)
            assert sum(bool(c.get_hatch()) for c in mine) == sum(
                s.kind == "delay_extension" for s in slices)
        labels = sorted(t.get_text() for t in ax.texts)
        want = sorted(f"({x},{y}) {n} entr{'y' if n == 1 else 'ies'}" for (x, y), n in
                      ((chip, len(mapping.routing.get(chip, []))) for chip in
                       set(mapping.chips_used) | set(mapping.routing)))
        assert labels == want
    finally:
        plt.close(fig)


# -- the PyNN script ------------------------------------------------------------------------
def _refusals():
    def base():
        net = nm.Network("r", dt=1.0)
        net.add("s", nm.SpikeArray(2))
        net.add("n", nm.LIF(2))
        return net

    cases = []
    net = base()
    net.add("d", nm.DendriticLIF(2, segments=2))
    cases.append((net, "brian2", r"node 'd': DendriticLIF"))
    net = base()
    net.add("astro", nm.Astrocyte(inputs={"n": 1.0}))
    cases.append((net, "brian2", r"node 'astro': Astrocyte"))
    net = base()
    net.connect("s", "n", nm.one_to_one(), weight=0.5, plasticity=nm.STDP(), name="p")
    cases.append((net, "brian2", r"projection 'p': plasticity rule STDP"))
    net = base()
    net.connect("s", "n", nm.one_to_one(), weight=0.5, name="p",
                plasticity=nm.SpiNNakerSTDP(pairing="nearest"))
    cases.append((net, "brian2", r"projection 'p': nearest-spike pairing .* pyNN.brian2"))
    net = base()
    net.connect("s", "n", nm.one_to_one(), weight=-0.5, receptor="inh", name="pi",
                plasticity=nm.SpiNNakerSTDP(w_min=-1.0, w_max=0.0))
    cases.append((net, "spiNNaker", r"projection 'pi': SpiNNakerSTDP exports on excitatory"))
    net = base()
    net.connect("s", "n", nm.one_to_one(), weight=np.array([0.5, -0.5]), name="mixed")
    cases.append((net, "brian2", r"projection 'mixed': 1 weight\(s\) of the wrong sign"))
    net = base()
    net.add("sub", nm.LIF(1, reset="subtract"))
    cases.append((net, "brian2", r"node 'sub': reset='subtract'"))
    return cases


@pytest.mark.parametrize("net, simulator, message", _refusals())
def test_what_pynn_cannot_express_is_refused_by_name(net, simulator, message):
    with pytest.raises(nm.UnsupportedError, match=message):
        to_pynn_script(net, simulator=simulator)


def test_unknown_simulator_and_population_are_refused():
    with pytest.raises(nm.BackendError, match="unknown PyNN simulator 'nengo'"):
        to_pynn_script(relay(), simulator="nengo")
    with pytest.raises(nm.BackendError, match="no population named 'zz'"):
        to_pynn_script(relay(), record=["a", "zz"])


def test_nearest_pairing_for_spinnaker_uses_spike_nearest_pair_rule():
    net = nm.Network("r", dt=1.0)
    net.add("s", nm.SpikeArray(2))
    net.add("n", nm.LIF(2))
    net.connect("s", "n", nm.one_to_one(), weight=0.5, name="p",
                plasticity=nm.SpiNNakerSTDP(pairing="nearest", A_plus=0.02, w_max=2.0))
    text = to_pynn_script(net, simulator="spiNNaker")
    compile(text, "network.py", "exec")
    assert "timing_dependence=nearest_pair_rule(tau_plus=20.0, tau_minus=20.0, A_plus=0.02" in text
    assert "AdditiveWeightDependence(w_min=0.0, w_max=2.0)" in text


def test_inline_limit_moves_large_arrays_to_the_data_file(tmp_path):
    net = relay()
    assert pynn_data(net) == {}  # all small: one self-contained script
    data = pynn_data(net, inline_limit=4)
    assert set(data) == {"pop0_times", "pop0_indices", "proj0_table", "proj2_table",
                         "proj4_table"}  # more than 4 values each
    np.testing.assert_array_equal(data["pop0_times"], net.node("in").times)
    files = write_pynn_script(net, tmp_path / "relay.py", inline_limit=4)
    assert files["pynn_data"] == tmp_path / "relay_data.npz"
    assert "DATA_FILE = 'relay_data.npz'" in files["pynn_script"].read_text()


def _load_script(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_script_builds_the_network_in_pynn(tmp_path, dt):
    """The script's populations and projections, built by PyNN's mock simulator, hold the
    network's parameters, weights (inhibitory ones negative, as PyNN's current-based
    synapses want) and delays; a Uniform v_init becomes a seeded RandomDistribution."""
    pytest.importorskip("pyNN", reason="PyNN (the test extra) is not installed")
    import pyNN.mock as mock
    from pyNN.random import NumpyRNG

    net = relay(dt)
    net.add("cells", nm.LIF(4, tau_m=np.array([10.0, 12.0, 14.0, 16.0]), i_offset=0.1,
                            v_init=nm.Uniform(-70.0, -60.0)))
    files = write_pynn_script(net, tmp_path / "network.py", inline_limit=2)
    script = _load_script(files["pynn_script"])
    script.sim, script.SIMULATOR = mock, "mock"
    mock.setup(timestep=script.DT)
    pops, projections = script.build(script.load_data(), NumpyRNG(seed=1))
    assert {name: p.size for name, p in pops.items()} == {n: v.size for n, v in net.nodes.items()}
    np.testing.assert_array_equal(pops["cells"].get("tau_m"), [10.0, 12.0, 14.0, 16.0])
    assert pops["cells"].get("i_offset") == 0.1 and pops["a"].get("cm") == 0.25
    np.testing.assert_array_equal(pops["a"].get("v_thresh"), [-55.0, -54.0, -56.0])
    assert pops["a"].get("tau_syn_E") == 1.0 and pops["a"].get("tau_syn_I") == 3.0
    np.testing.assert_array_equal(pops["a"].initial_values["v"].evaluate(), [-65.0, -64.0, -66.0])
    v0 = pops["cells"].initial_values["v"].evaluate()
    assert v0.shape == (4,) and ((v0 >= -70.0) & (v0 < -60.0)).all() and np.ptp(v0) > 0
    assert [list(s.value) for s in pops["in"].get("spike_times")] == [
        [10.0, 40.0, 70.0], [20.0, 50.0, 80.0], [30.0, 60.0, 90.0]]
    assert pops["noise"].get("rate") == 50.0 and pops["noise"].get("duration") == 200.0
    for proj in net.projections:
        got = sorted(projections[proj.name].get(["weight", "delay"], format="list"))
        want = sorted(zip(proj.pre_idx.tolist(), proj.post_idx.tolist(), proj.weight.tolist(),
                          proj.delay.tolist()))
        assert [tuple(float(x) for x in row) for row in got] == [
            tuple(float(x) for x in row) for row in want]
    mock.end()


def test_script_runs_from_the_command_line(tmp_path):
    """End to end under PyNN's mock simulator (fast, no dynamics): the script writes a count
    per recorded population and the spikes."""
    pytest.importorskip("pyNN", reason="PyNN (the test extra) is not installed")
    files = write_pynn_script(relay(), tmp_path / "network.py", record=["in", "a"],
                              inline_limit=4)
    done = subprocess.run([sys.executable, str(files["pynn_script"]), "--simulator", "mock",
                           "--duration", "50", "--counts", "out/counts.json", "--spikes",
                           "out/spikes.npz"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "counts.json").read_text())
    assert report["simulator"] == "mock" and report["duration_ms"] == 50.0
    assert set(report["spike_counts"]) == {"in", "a"}
    with np.load(tmp_path / "out" / "spikes.npz") as f:
        assert set(f.files) == {"in.times", "in.indices", "a.times", "a.indices"}
        assert f["a.times"].size == report["spike_counts"]["a"]


@pytest.mark.slow
@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_script_on_pynn_brian2_gives_neuromem_brian2_counts(tmp_path, dt):
    """The exported script, run by ``pyNN.brian2`` in a subprocess (Brian2's numpy target, set
    by a ``brian_preferences`` file in its folder), gives the spike counts of neuromem's brian2
    backend and of the design (``relay``). The inputs are strong and well separated, so the
    counts do not depend on these differences between PyNN-on-Brian2 and neuromem, seen here:

    * delivery: Brian2 (through PyNN) delivers a spike in the ``synapses`` slot, after the
      step's integration, so it acts one step later than in neuromem (which delivers before
      integrating; neuromem's own brian2 backend subtracts that step). Each synaptic hop adds
      one step: a fires 1 step, b 2 steps later than in neuromem (1 ms at dt = 1, 0.1 ms at
      dt = 0.1), and the inhibition of a[0] through b arrives 3 - 1 = 2 steps closer to the
      excitation it vetoes;
    * pyNN.brian2 runs SpikeSourceArray on Brian2's default 0.1 ms clock (it warns of the dt
      mismatch at dt = 1), which does not move spikes that lie on the 1 ms grid;
    * refractoriness: neuromem holds v through round(tau_refrac / dt) steps after the spike
      (NEST's and sPyNNaker's count), PyNN-on-Brian2 one step fewer. Measured on a neuron driven
      by i_offset = 5 nA (tau_m 10 ms, c_m 0.25 nF, 10 mV to threshold, tau_refrac 2 ms): the
      inter-spike interval is 3 ms in neuromem and 2 ms in PyNN-on-Brian2 at dt = 1 (34 and 50
      spikes in 100 ms), 2.6 and 2.5 ms at dt = 0.1. With one spike per input, as here, the
      refractory period never decides a spike;
    * Poisson sources draw from Brian2's generator, not neuromem's: only their expected count
      is common (checked within 5 standard deviations).
    """
    pytest.importorskip("pyNN.brian2", reason="PyNN with brian2 is not installed")
    net = relay(dt)
    duration = 320.0
    rec = nm.compile(net, backend="brian2", target="numpy").run(duration)
    ours = {p: rec.spike_count(p) for p in net.nodes}
    files = write_pynn_script(net, tmp_path / "network.py", inline_limit=4,
                              duration_ms=duration)
    (tmp_path / "brian_preferences").write_text("codegen.target = 'numpy'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIAN")}
    done = subprocess.run([sys.executable, str(files["pynn_script"]), "--simulator", "brian2",
                           "--counts", "counts.json", "--spikes", "spikes.npz"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads((tmp_path / "counts.json").read_text())["spike_counts"]
    for pop, n in EXPECTED.items():
        assert ours[pop] == theirs[pop] == n, (pop, ours[pop], theirs[pop])
    for count in (ours["noise"], theirs["noise"]):
        assert abs(count - NOISE_MEAN) < NOISE_TOL
    # the one-step-per-hop shift, spike for spike
    with np.load(tmp_path / "spikes.npz") as f:
        for pop, hops in (("a", 1), ("b", 2)):
            t, i = rec.spikes(pop)
            order = np.lexsort((t, i))
            o2 = np.lexsort((f[f"{pop}.times"], f[f"{pop}.indices"]))
            np.testing.assert_array_equal(f[f"{pop}.indices"][o2], i[order])
            np.testing.assert_allclose(f[f"{pop}.times"][o2], t[order] + hops * dt, atol=1e-9)


@pytest.mark.slow
def test_plastic_script_runs_on_pynn_brian2(tmp_path):
    """A SpiNNakerSTDP projection becomes STDPMechanism(SpikePairRule, AdditiveWeightDependence)
    and runs under pyNN.brian2 (with its delay axonal: pyNN.brian2 refuses dendritic delays).
    Learning is too slow here (A_plus 0.01 of w_max) to change a spike: the counts are the
    design's, in both simulators (each input spike drives every cell over threshold)."""
    pytest.importorskip("pyNN.brian2", reason="PyNN with brian2 is not installed")
    net = nm.Network("plastic", dt=1.0)
    net.add("s", nm.SpikeArray.from_trains([[10.0, 30.0], [20.0]]))
    net.add("n", nm.LIF(2, tau_m=10.0, c_m=0.25, tau_syn_e=1.0, v_thresh=-55.0, tau_refrac=2.0))
    net.connect("s", "n", nm.all_to_all(), weight=6.0, delay=1.0, name="p",
                plasticity=nm.SpiNNakerSTDP(w_max=8.0))
    ours = nm.compile(net, backend="brian2", target="numpy").run(60.0).spike_count("n")
    files = write_pynn_script(net, tmp_path / "network.py", duration_ms=60.0)
    (tmp_path / "brian_preferences").write_text("codegen.target = 'numpy'\n")
    done = subprocess.run([sys.executable, str(files["pynn_script"]), "--simulator", "brian2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads((tmp_path / "spike_counts.json").read_text())["spike_counts"]
    assert ours == theirs["n"] == 2 * 3 and theirs["s"] == 3


def test_random_initial_values_are_seeded_the_way_each_simulator_takes_them(tmp_path):
    """sPyNNaker draws random initial values on the machine from a seed given to the Population
    and refuses a RandomDistribution with a seeded rng ("Use of rng in RandomDistribution ... is
    not supported", seen running an exported CUBA script through sPyNNaker 7.4.1 on a virtual
    board); PyNN's other simulators take the rng and have no such Population argument."""
    pytest.importorskip("pyNN", reason="PyNN (the test extra) is not installed")
    from pyNN.random import NumpyRNG

    net = relay()
    net.add("cells", nm.LIF(4, v_init=nm.Uniform(-70.0, -60.0)))
    files = write_pynn_script(net, tmp_path / "network.py", simulator="spiNNaker")
    text = files["pynn_script"].read_text()
    assert "label='cells', **population_seed(rng))" in text
    assert "high=-60.0, **distribution_rng(rng))" in text
    assert "rng=rng" not in text
    script = _load_script(files["pynn_script"])
    rng = NumpyRNG(seed=7)
    script.SIMULATOR = "spiNNaker"
    assert script.population_seed(rng) == {"additional_parameters": {"seed": 7}}
    assert script.distribution_rng(rng) == {}
    script.SIMULATOR = "nest"
    assert script.population_seed(rng) == {}
    assert script.distribution_rng(rng) == {"rng": rng}
