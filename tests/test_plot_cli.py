"""Figures (neuromem.plot) and the ``neuromem`` command line (neuromem.cli).

Plot tests count what was drawn against counts taken straight from the recording's arrays, not
through the plotting helpers. CLI tests run CUBA for a few tens of ms only.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

import neuromem as nm
from neuromem import plot
from neuromem.cli import backend_options, default_cache_dir, main
from neuromem.recording import Recording, StateTrace

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


# -- synthetic recordings -----------------------------------------------------------------
def make_recording(sizes: dict[str, int], n_spikes: dict[str, int], trials: int = 1,
                   t_stop: float = 100.0, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    data = {}
    for pop, size in sizes.items():
        n = n_spikes.get(pop, 0) if size else 0
        t = np.sort(rng.uniform(0, t_stop, n).round(1))
        data[pop] = (t, rng.integers(0, max(size, 1), n), rng.integers(0, trials, n))
    return Recording(0.1, 0.0, t_stop, dict(sizes), data, meta={"backend": "test", "trials": trials})


def count(rec: Recording, pop: str, trial: int = 0, lo: int = 0, hi: int | None = None) -> int:
    """Spikes of ``pop`` in ``trial`` with index in [lo, hi), straight from the arrays."""
    _, i, k = rec.spike_data[pop]
    hi = rec.sizes[pop] if hi is None else hi
    return int(np.count_nonzero((k == trial) & (i >= lo) & (i < hi)))


def scatters(ax) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection)]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# -- raster -------------------------------------------------------------------------------
def test_raster_bands_one_axis_one_band_per_population_with_every_spike():
    rec = make_recording({"A": 40, "empty": 0, "C": 10}, {"A": 300, "C": 50})
    fig = plot.raster(rec)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    labels = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
    assert labels == ["A", "empty", "C"]
    drawn = scatters(ax)
    assert [len(c.get_offsets()) for c in drawn] == [count(rec, "A"), 0, count(rec, "C")]
    # band offsets are the cumulative sizes (the empty band gets a thin row of its own)
    y_c = np.asarray(drawn[2].get_offsets())[:, 1]
    _, i_c, _ = rec.spike_data["C"]
    assert y_c.min() >= 40 + 1 and y_c.max() <= 40 + 1 + 10
    np.testing.assert_allclose(np.sort(y_c), np.sort(40 + 1 + i_c + 0.5))
    assert len(ax.patches) == 2  # light background on bands 0 and 2
    assert ax.get_xlim() == (0.0, 100.0)


def test_raster_panels_one_subplot_per_population_shared_time_axis():
    rec = make_recording({"A": 40, "B": 8, "C": 10}, {"A": 300, "B": 20, "C": 50})
    fig = plot.raster(rec, mode="panels")
    assert len(fig.axes) == 3
    for ax, pop in zip(fig.axes, "ABC"):
        (sc,) = scatters(ax)
        assert len(sc.get_offsets()) == count(rec, pop)
    assert fig.axes[0].get_shared_x_axes().joined(fig.axes[0], fig.axes[2])


def test_raster_index_bands_split_a_population_and_select_the_trial():
    rec = make_recording({"P": 100}, {"P": 2000}, trials=3)
    bands = {"exc": ("P", 0, 80), "inh": ("P", 80, 100)}
    fig = plot.raster(rec, bands=bands, trial=2, highlight={"inh": "red"})
    exc, inh = scatters(fig.axes[0])
    assert len(exc.get_offsets()) == count(rec, "P", 2, 0, 80)
    assert len(inh.get_offsets()) == count(rec, "P", 2, 80, 100)
    np.testing.assert_allclose(inh.get_facecolors()[0][:3], [1.0, 0.0, 0.0])
    assert not np.allclose(exc.get_facecolors()[0][:3], [1.0, 0.0, 0.0])  # the others grey out


def test_raster_without_spikes_and_into_a_given_axis(tmp_path):
    rec = make_recording({"A": 10, "B": 5}, {})
    fig = plot.raster(rec, mode="panels")
    assert [len(scatters(ax)[0].get_offsets()) for ax in fig.axes] == [0, 0]
    import matplotlib.pyplot as plt

    own, ax = plt.subplots()
    assert plot.raster(rec, ax=ax) is own
    plot.save_figure(own, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").read_bytes()[:8] == PNG_MAGIC


def test_raster_of_100k_spikes_renders_fast(tmp_path):
    rec = make_recording({"E": 8000, "I": 2000}, {"E": 80_000, "I": 20_000}, t_stop=1000.0)
    t0 = time.perf_counter()
    fig = plot.raster(rec)
    plot.save_figure(fig, tmp_path / "big.png")
    elapsed = time.perf_counter() - t0
    assert sum(len(c.get_offsets()) for c in scatters(fig.axes[0])) == 100_000
    assert all(c.get_rasterized() for c in scatters(fig.axes[0]))
    assert elapsed < 10.0  # ~0.5 s on a quiet core; generous for a loaded test machine


def test_plot_errors_name_what_is_missing():
    rec = make_recording({"A": 10}, {"A": 5})
    with pytest.raises(plot.MissingDataError, match="'B'.*recorded: A") as info:
        plot.raster(rec, populations=["B"])
    assert isinstance(info.value, KeyError) and isinstance(info.value, nm.NeuromemError)
    with pytest.raises(plot.MissingDataError, match="trial 1"):
        plot.raster(rec, trial=1)
    with pytest.raises(plot.MissingDataError, match="outside"):
        plot.raster(rec, bands={"x": ("A", 5, 11)})
    with pytest.raises(ValueError, match="mode"):
        plot.raster(rec, mode="stacked")


# -- traces and rates ---------------------------------------------------------------------
def test_traces_plot_the_recorded_values_and_explain_missing_states():
    rec = make_recording({"P": 10}, {"P": 5}, trials=2)
    times = np.arange(1, 101) * 0.1
    values = np.random.default_rng(1).normal(-60, 2, (100, 2, 3))
    rec.states = {"P": {"v": StateTrace(times, np.array([2, 5, 7]), values)}}
    fig = plot.traces(rec, "P", "v", indices=[7, 2], trial=1)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_ydata(), values[:, 1, 2])
    np.testing.assert_array_equal(lines[1].get_xdata(), times)
    assert "mV" in fig.axes[0].get_ylabel()
    with pytest.raises(KeyError, match="'i_e' of 'P' was not recorded.*P.v") as info:
        plot.traces(rec, "P", "i_e")
    assert isinstance(info.value, nm.NeuromemError)
    assert "record=" in str(info.value) and not str(info.value).startswith("'")
    with pytest.raises(plot.MissingDataError, match=r"\[3\]"):
        plot.traces(rec, "P", "v", indices=[3])


def test_rate_histogram_integrates_to_the_spike_count():
    rec = make_recording({"A": 20, "B": 5}, {"A": 400, "B": 100}, t_stop=50.0)
    fig = plot.rate_histogram(rec, bin_ms=5.0)
    (ax,) = fig.axes
    assert len(ax.patches) == 2
    for pop in ("A", "B"):
        edges, rate = plot.population_rate(rec, plot.Band(pop, pop, 0, rec.sizes[pop]), 5.0)
        assert len(rate) == 10
        assert np.isclose((rate * np.diff(edges) / 1000 * rec.sizes[pop]).sum(), count(rec, pop))


def test_overview_is_a_raster_over_a_rate_panel():
    rec = make_recording({"A": 20, "B": 5}, {"A": 400, "B": 100})
    fig = plot.overview(rec)
    assert len(fig.axes) == 2
    assert sum(len(c.get_offsets()) for c in scatters(fig.axes[0])) == 500


# -- save_figure --------------------------------------------------------------------------
def test_save_figure_is_atomic_and_creates_the_folder(tmp_path):
    fig = plot.raster(make_recording({"A": 5}, {"A": 10}))
    target = tmp_path / "a" / "b" / "r.png"
    assert plot.save_figure(fig, target) == target
    assert target.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.png"]
    bad = target.with_suffix(".nosuchformat")
    with pytest.raises(ValueError):
        plot.save_figure(fig, bad)
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.png"]  # no temporary left


# -- command line -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cuba_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cuba")
    assert main(["run", "cuba", "--backend", "torch", "--duration", "50", "--out", str(out)]) == 0
    return out


def test_run_writes_a_recording_and_a_raster(cuba_run):
    rec = Recording.load(cuba_run / "recording.h5")
    assert rec.sizes == {"P": 4000}
    assert (rec.t_start, rec.t_stop) == (0.0, 50.0)
    assert rec.meta["backend"] == "torch" and rec.meta["experiment"] == "cuba"
    assert rec.meta["bands"]["inh"] == {"population": "P", "start": 3200, "stop": 4000}
    assert rec.spike_count("P") > 0
    assert (cuba_run / "raster.png").read_bytes()[:8] == PNG_MAGIC


def test_info_on_a_recording_and_on_a_network(cuba_run, tmp_path, capsys):
    assert main(["info", str(cuba_run / "recording.h5")]) == 0
    out = capsys.readouterr().out
    assert "neuromem recording" in out and "Recording: torch backend" in out
    assert "experiment: cuba" in out and "band rates: exc" in out

    from neuromem.models import cuba

    cuba.build(40, 10).save(tmp_path / "net.h5")
    assert main(["info", str(tmp_path / "net.h5")]) == 0
    out = capsys.readouterr().out
    assert "neuromem network" in out and "Network 'cuba'" in out and "edge Ci" in out


@pytest.mark.parametrize("mode", ["bands", "panels"])
def test_plot_writes_an_image(cuba_run, tmp_path, mode, capsys):
    target = tmp_path / "deep" / f"{mode}.png"
    assert main(["plot", str(cuba_run / "recording.h5"), "-o", str(target), "--mode", mode]) == 0
    assert target.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize("argv, message", [
    (["info", "{garbage}"], "not an HDF5 file"),
    (["info", "{missing}"], "no such file"),
    (["plot", "{network}", "-o", "{tmp}/x.png"], "holds a neuromem network"),
    (["plot", "{recording}", "-o", "{tmp}/x.png", "--trial", "4"], "trial 4"),
    (["plot", "{recording}", "-o", "{tmp}/x.nosuchformat"], "image format"),
    (["run", "nosuch", "--backend", "torch", "--out", "{tmp}"], "known: ca3-cam, cuba, dendrites"),
    (["run", "cuba", "--backend", "brian2", "--dtype", "float32", "--out", "{tmp}"], "torch backend only"),
    (["run", "cuba", "--backend", "torch", "--target", "numpy", "--out", "{tmp}"], "brian2 backend only"),
    (["run", "cuba", "--backend", "torch", "--duration", "0.05", "--out", "{tmp}"], "whole number"),
])
def test_errors_exit_2_with_one_line_and_no_traceback(argv, message, cuba_run, tmp_path, capsys):
    (tmp_path / "garbage.h5").write_bytes(np.random.default_rng(0).bytes(4096))
    from neuromem.models import cuba

    cuba.build(20, 5).save(tmp_path / "net.h5")
    paths = {"garbage": tmp_path / "garbage.h5", "missing": tmp_path / "missing.h5", "tmp": tmp_path,
             "network": tmp_path / "net.h5", "recording": cuba_run / "recording.h5"}
    assert main([a.format(**paths) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["info", "--help"], ["plot", "--help"],
                                  ["--version"]])
def test_help_and_version_exit_0(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.strip()
    if argv == ["run", "--help"]:
        assert "cuba" in out and "--dtype" in out and "--target" in out


def test_backend_options_defaults_and_refusals():
    none = {"dtype": None, "device": None, "target": None, "cache_dir": None}
    assert backend_options("torch", none) == {"dtype": "float64", "device": "cpu"}
    assert backend_options("brian2", none) == {"target": "cython", "cache_dir": str(default_cache_dir())}
    assert backend_options("brian2", {**none, "target": "numpy"}) == {"target": "numpy"}
    # a default value of the other backend's option is harmless and accepted
    assert backend_options("brian2", {**none, "dtype": "float64"})["target"] == "cython"
    with pytest.raises(nm.NeuromemError, match="--device cuda"):
        backend_options("brian2", {**none, "device": "cuda"})


def test_run_on_brian2_numpy(tmp_path, capsys):
    argv = ["run", "cuba", "--backend", "brian2", "--target", "numpy", "--duration", "20", "--out",
            str(tmp_path), "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "brian2 backend" in out and str(tmp_path / "recording.h5") in out
    rec = Recording.load(tmp_path / "recording.h5")
    assert rec.sizes == {"P": 4000} and rec.meta["target"] == "numpy"
    assert (tmp_path / "raster.png").read_bytes()[:8] == PNG_MAGIC


def test_run_on_spinnaker_takes_its_own_integration_and_the_networks_step(tmp_path, capsys):
    """Without --method, each backend integrates its own way: the spinnaker backend only knows
    sPyNNaker's, and maps the 0.1 ms CUBA onto a machine stepping at 0.1 ms."""
    argv = ["run", "cuba", "--backend", "spinnaker", "--duration", "5", "--out", str(tmp_path),
            "--no-progress"]
    assert main(argv) == 0
    rec = Recording.load(tmp_path / "recording.h5")
    assert rec.meta["backend"] == "spinnaker" and rec.meta["method"] == "spinnaker"
    assert rec.meta["dt"] == 0.1 and rec.meta["cores"] == 16
    assert main(["run", "cuba", "--backend", "torch", "--duration", "5", "--out",
                 str(tmp_path / "t"), "--no-progress"]) == 0
    assert Recording.load(tmp_path / "t" / "recording.h5").meta["method"] == "exact"


def test_experiment_script_calls_the_cli(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("cuba_script", ROOT / "experiments" / "cuba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.run(["--backend", "torch", "--duration", "10", "--out", str(tmp_path)]) == 0
    assert Recording.load(tmp_path / "recording.h5").t_stop == 10.0
    assert (tmp_path / "raster.png").exists()


def test_weight_matrix_places_each_synapse():
    """plot.weight_matrix draws w[k] at (post_idx[k], pre_idx[k]); missing synapses are blank;
    a snapshot of the wrong length is refused."""
    net = nm.Network(dt=1.0)
    net.add("a", nm.SpikeArray(3))
    net.add("b", nm.LIF(2))
    proj = net.connect("a", "b", nm.from_list([(0, 1), (2, 0)]), weight=np.array([0.5, 0.25]))
    fig = nm.plot.weight_matrix(proj)
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (2, 3)
    assert image[1, 0] == 0.5 and image[0, 2] == 0.25
    assert np.ma.count_masked(image) + np.isnan(np.ma.filled(image, 0.0)).sum() == 4
    nm.plot.close(fig)
    with pytest.raises(nm.plot.MissingDataError, match="3 weights"):
        nm.plot.weight_matrix(proj, np.zeros(3))


def test_run_ca3_cam_from_reference_input(tmp_path, capsys):
    """``neuromem run ca3-cam --input FILE`` simulates the reference input format, writes the
    recording (with every population) and the raster, and prints the decoded operations."""
    import json

    from neuromem.models import ca3_cam as ca

    trains = [[0, 1, 2, 20], [], [], [10], [], [0, 1, 2], [], [], [], [], [], [], [], [], []]
    path = tmp_path / "ops.json"
    path.write_text(json.dumps({"cue_size": 5, "content_size": 10, "duration": 30,
                                "in_spikes": trains}))
    out = tmp_path / "run"
    assert main(["run", "ca3-cam", "--input", str(path), "--backend", "brian2", "--target",
                 "numpy", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "learn cue 0 <- [0]" in printed and "recall by cue 0" in printed
    assert "25: cue [0] / content []; 26: cue [] / content [0]" in printed
    rec = nm.Recording.load(out / "recording.h5")
    assert set(rec.populations) == {"in", "out", *ca.POPULATIONS}
    assert rec.t_stop == 30.0 and rec.meta["method"] == "spinnaker"
    assert (out / "raster.png").stat().st_size > 0
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main(["run", "ca3-cam", "--input", str(bad), "--backend", "torch", "--out",
                 str(out)]) == 2
    assert "expected a JSON object" in capsys.readouterr().err
    assert main(["run", "cuba", "--input", str(path), "--backend", "torch", "--out",
                 str(out)]) == 2
    assert "takes no --input" in capsys.readouterr().err


# -- robustness: options that used to be ignored, coerced or crash ------------------------
def _capture_make_figures(monkeypatch) -> list[dict]:
    from neuromem.models import dendrites_figures

    calls: list[dict] = []

    def fake(out, quick=True, backend=None, *, seed=0, options=None, only=None):
        calls.append({"out": Path(out), "quick": quick, "backend": backend, "seed": seed,
                      "options": dict(options or {})})
        return {}

    monkeypatch.setattr(dendrites_figures, "make_figures", fake)
    return calls


def test_run_dendrites_passes_the_seed_and_the_backend_options(tmp_path, monkeypatch, capsys):
    calls = _capture_make_figures(monkeypatch)
    assert main(["run", "dendrites", "--backend", "torch", "--seed", "7", "--dtype", "float32",
                 "--out", str(tmp_path)]) == 0
    assert main(["run", "dendrites", "--backend", "torch", "--out", str(tmp_path)]) == 0
    assert main(["run", "dendrites", "--backend", "brian2", "--out", str(tmp_path)]) == 0
    assert main(["run", "dendrites", "--backend", "brian2", "--target", "cython", "--out",
                 str(tmp_path)]) == 0
    assert [(c["backend"], c["seed"], c["options"]) for c in calls] == [
        ("torch", 7, {"dtype": "float32", "device": "cpu"}),
        ("torch", 0, {"dtype": "float64", "device": "cpu"}),
        ("brian2", 0, {"target": "numpy"}),  # the figures' own default: no compiler needed
        ("brian2", 0, {"target": "cython", "cache_dir": str(default_cache_dir())})]
    assert all(c["out"] == tmp_path and c["quick"] for c in calls)


@pytest.mark.parametrize("argv, message", [
    (["--duration", "50"], "--duration 50 does not apply to experiment 'dendrites'"),
    (["--method", "euler"], "--method euler does not apply to experiment 'dendrites'"),
    (["--backend", "brian2", "--dtype", "float32"], "torch backend only"),
])
def test_run_dendrites_refuses_options_it_cannot_use(argv, message, tmp_path, monkeypatch, capsys):
    calls = _capture_make_figures(monkeypatch)
    backend = [] if "--backend" in argv else ["--backend", "torch"]
    assert main(["run", "dendrites", *backend, *argv, "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not calls and not (tmp_path / "d").exists()


@pytest.mark.parametrize("argv, message", [
    (["--dpi", "inf"], "--dpi inf: expected a resolution from 10 to 1200"),
    (["--dpi", "1e6"], "--dpi 1e+06: expected a resolution from 10 to 1200"),
    (["--rate", "--mode", "panels"], "--rate draws a rate panel under the raster of --mode bands only"),
    (["--rate", "--bin-ms", "1e-9"], "--bin-ms 1e-09: a rate bin must be at least the recording's "
                                     "time step (0.1 ms) and at most its duration (50 ms)"),
    (["--rate", "--bin-ms", "51"], "at most its duration (50 ms)"),
    (["--rate", "--bin-ms", "inf"], "--bin-ms inf: a rate bin"),
    (["--bin-ms", "2"], "--bin-ms 2 applies to --rate only"),
])
def test_plot_option_values_refused(argv, message, cuba_run, tmp_path, capsys):
    target = tmp_path / "x.png"
    assert main(["plot", str(cuba_run / "recording.h5"), "-o", str(target), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not target.exists()


def test_plot_dpi_nan_refused_by_the_parser(cuba_run, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:  # argparse's own refusal, exit status 2 as well
        main(["plot", str(cuba_run / "recording.h5"), "-o", str(tmp_path / "x.png"), "--dpi", "nan"])
    assert info.value.code == 2 and "must be positive" in capsys.readouterr().err


def test_plot_with_a_rate_bin_in_range_and_the_default(cuba_run, tmp_path):
    for argv in (["--rate", "--bin-ms", "0.1"], ["--rate", "--bin-ms", "50"], ["--rate"]):
        target = tmp_path / "r.png"
        assert main(["plot", str(cuba_run / "recording.h5"), "-o", str(target), "--dpi", "10",
                     *argv]) == 0
        assert target.read_bytes()[:8] == PNG_MAGIC


def test_plot_info_and_export_call_a_folder_a_folder(tmp_path, capsys):
    folder = tmp_path / "adir"
    folder.mkdir()
    for argv in (["plot", str(folder), "-o", str(tmp_path / "x.png")], ["info", str(folder)],
                 ["export", str(folder), "--target", "pynn", "-o", str(tmp_path / "e")]):
        assert main(argv) == 2
        assert capsys.readouterr().err == f"error: {folder}: is a folder, not a file\n"


def test_plot_into_a_folder_named_like_an_image_refused(cuba_run, tmp_path, capsys):
    (tmp_path / "x.png").mkdir()
    assert main(["plot", str(cuba_run / "recording.h5"), "-o", str(tmp_path / "x.png")]) == 2
    assert f"{tmp_path / 'x.png'}: is a folder, not a file" in capsys.readouterr().err


def test_plot_functions_refuse_bins_and_resolutions_that_cannot_be_drawn(tmp_path):
    rec = make_recording({"A": 10}, {"A": 20})
    band = plot.resolve_bands(rec)[0]
    for bin_ms in (1e-9, float("inf"), float("nan"), 0.0, -1.0):
        with pytest.raises(nm.ValidationError, match="bin_ms"):
            plot.population_rate(rec, band, bin_ms)
    fig = plot.raster(rec)
    for dpi in (float("inf"), float("nan"), 0):
        with pytest.raises(nm.ValidationError, match="dpi must be a positive finite number"):
            plot.save_figure(fig, tmp_path / "x.png", dpi=dpi)
    assert not (tmp_path / "x.png").exists()


def test_run_refuses_an_output_file_that_is_a_folder_before_running(tmp_path, capsys):
    """OUT/raster.png a folder: refused before the run, naming raster.png (not the temporary
    file of the atomic write), and nothing is written."""
    (tmp_path / "raster.png").mkdir()
    assert main(["run", "cuba", "--backend", "torch", "--duration", "1", "--out", str(tmp_path),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {tmp_path / 'raster.png'}: is a folder, not a file (it is an output "
                   "file; remove or rename the folder)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raster.png"]
    (tmp_path / "file").write_text("")
    assert main(["run", "cuba", "--backend", "torch", "--duration", "1", "--out",
                 str(tmp_path / "file"), "--no-progress"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_run_ca3_cam_refuses_operations_after_the_end_and_bad_input(tmp_path, capsys):
    import json

    out = tmp_path / "run"
    assert main(["run", "ca3-cam", "--duration", "20", "--backend", "torch", "--out", str(out),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert ("the learn at 20 ms needs a run of at least 28 ms (its output window ends at 27 ms), "
            "but the duration is 20 ms") in err
    assert not out.exists()
    two_cues = [[0, 1, 2], [0, 1, 2], [], [], [], [0, 1, 2]] + [[]] * 9
    for data, message in [
            ({"cue_size": 5, "content_size": 10, "duration": 30, "in_spikes": two_cues},
             "input at 0 ms: cue neurons [0, 1] spike together"),
            ({"cue_size": 5.7, "content_size": 10, "duration": 30, "in_spikes": two_cues},
             "cue_size must be a whole number >= 1, got 5.7"),
            ({"cue_size": True, "content_size": 10, "duration": 30, "in_spikes": two_cues},
             "cue_size must be a whole number >= 1, got true")]:
        path = tmp_path / "ops.json"
        path.write_text(json.dumps(data))
        assert main(["run", "ca3-cam", "--input", str(path), "--backend", "torch", "--out",
                     str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_cuba_build_refuses_unknown_overrides_and_empty_networks():
    from neuromem.models import cuba

    with pytest.raises(nm.ValidationError, match=r"unknown parameter\(s\) 'tau_mm' \(known: tau_m, "):
        cuba.build(100, 25, tau_mm=1.0)
    with pytest.raises(nm.ValidationError, match="n_exc \\+ n_inh must be positive"):
        cuba.build(n_exc=0, n_inh=0)
    with pytest.raises(nm.ValidationError, match="n_inh must be a whole number >= 0, got -5"):
        cuba.build(10, -5)
    with pytest.raises(nm.ValidationError, match="field 'dt'"):
        cuba.build(100, 25, dt=0.0)
    assert cuba.build(100, 25, tau_m=10.0, dt=0.05).dt == 0.05
