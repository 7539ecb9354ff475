"""Bad arguments to compile, run, the recording accessors and Recording.save are refused with
neuromem errors that name the argument, the value and what is accepted (never a raw TypeError,
AttributeError or h5py error, and never a silent misreading)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import neuromem as nm
from neuromem.errors import BackendError, FileFormatError, MissingDataError
from neuromem.recording import Recording

DT = 0.1


def small_net() -> nm.Network:
    net = nm.Network(dt=DT)
    net.add("input", nm.SpikeArray.from_trains([[1.0], [2.0]]))
    net.add("cells", nm.LIF(3, tau_m=10.0, v_thresh=-50.0, v_reset=-60.0, v_rest=-60.0))
    net.connect("input", "cells", nm.all_to_all(), weight=30.0, delay=0.1)
    return net


@pytest.fixture
def sim():
    return nm.compile(small_net(), backend="torch")


# -- compile -------------------------------------------------------------------------------
@pytest.mark.parametrize("options, fragment", [
    ({"method": "rk4"}, "method must be one of exact, euler, spinnaker, got 'rk4'"),
    ({"method": None}, "method must be one of"),
    ({"device": "tpu"}, "device must be 'cpu', 'cuda' or 'cuda:N'"),
    ({"device": "meta"}, "device must be"),
    ({"device": 3.5}, "got 3.5"),
    ({"trials": 2.5}, "trials must be a positive int, got 2.5"),
    ({"trials": "2"}, "trials must be a positive int, got '2'"),
    ({"trials": True}, "trials must be a positive int, got True"),
    ({"trials": 0}, "trials must be a positive int, got 0"),
    ({"num_threads": 0}, "num_threads must be a positive int, or None"),
    ({"num_threads": 2.0}, "num_threads must be a positive int"),
    ({"num_threads": True}, "got True"),
    ({"seed": None}, "seed must be an integer"),
    ({"dt": "0.1"}, "dt must be a number of ms"),
    ({"dtype": ["float32"]}, "dtype must be one of"),
    ({"kernels": ["auto"]}, "kernels must be one of"),
])
def test_bad_compile_arguments_are_backend_errors(options, fragment):
    with pytest.raises(BackendError, match=re.escape(fragment)):
        nm.compile(small_net(), backend="torch", **options)


def test_bad_method_is_refused_by_brian2_too():
    pytest.importorskip("brian2")
    with pytest.raises(BackendError, match="method must be one of"):
        nm.compile(small_net(), backend="brian2", target="numpy", method="rk4")


def test_valid_compile_arguments_of_numpy_types_still_work():
    sim = nm.compile(small_net(), backend="torch", trials=np.int64(2), seed=np.int32(3),
                     num_threads=np.int64(1), dt=np.float64(DT), method="euler")
    rec = sim.run(np.float64(5.0))
    assert rec.trials == 2 and rec.meta["seed"] == 3
    assert nm.compile(small_net(), backend="torch", num_threads=None).run(1.0).t_stop == 1.0


# -- run -----------------------------------------------------------------------------------
@pytest.mark.parametrize("duration", ["10", None, [10.0], True])
def test_duration_must_be_a_real_number(sim, duration):
    with pytest.raises(BackendError, match="duration must be a real number"):
        sim.run(duration)
    assert sim.t == 0.0


@pytest.mark.parametrize("record, fragment", [
    (["cells"], "record must be a dict"),
    ("cells", "record must be a dict"),
    ({"cells": 5}, r"record\['cells'\] must be a variable name, a list"),
    ({"cells": [1, 2]}, r"record\['cells'\] must be"),
    ({"cells": {"v": [0.9]}}, "record indices of 'v' of 'cells' must be integers, got \\[0.9\\]"),
    ({"cells": {"v": [True, False]}}, "must be integers"),
    ({"cells": {"v": ["0"]}}, "must be integers"),
    ({"cells": {"v": [np.nan]}}, "must be integers"),
    ({"nope": ["v"]}, "cannot record 'nope': no such population \\(recordable: cells\\)"),
])
def test_bad_record_specs_are_refused(sim, record, fragment):
    with pytest.raises(BackendError, match=fragment):
        sim.run(1.0, record=record)


def test_a_single_variable_name_records_that_variable(sim):
    rec = sim.run(1.0, record={"cells": "i_e"})
    assert list(rec.states["cells"]) == ["i_e"]
    assert rec.state("cells", "i_e").values.shape == (10, 1, 3)


def test_integral_float_and_numpy_record_indices_still_work(sim):
    rec = sim.run(1.0, record={"cells": {"v": [0.0, 2.0], "i_e": np.array([1], dtype=np.int32)}})
    np.testing.assert_array_equal(rec.state("cells", "v").indices, [0, 2])
    np.testing.assert_array_equal(rec.state("cells", "i_e").indices, [1])


def test_progress_must_be_callable(sim):
    with pytest.raises(BackendError, match="progress must be a callable.*got 5"):
        sim.run(1.0, progress=5)
    calls = []
    sim.run(1.0, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][1] == 10


def test_weights_must_be_a_dict(sim):
    with pytest.raises(BackendError, match="weights must be a dict"):
        sim.run(1.0, weights=["proj"])


@pytest.mark.parametrize("inputs, fragment", [
    ({"input": ([1.0], [0], [0])}, "a tuple must be \\(times, indices\\), got 3 items; accepted"),
    ({"input": 5}, "must be a list of spike-time lists"),
    ({"input": "1.0"}, "must be a list of spike-time lists"),
    ({"input": {"0": [1.0]}}, "must be a list of spike-time lists"),
    ({"input": [["x"], []]}, "must be a list of spike-time lists"),
    ({"input": ([1.0], [0.5])}, "spike indices must be integers"),
    ({"cells": [[1.0]]}, "'cells' is not a SpikeArray population \\(SpikeArray populations: input\\)"),
    ([("input", [[1.0], []])], "inputs must be a dict"),
])
def test_bad_input_specs_are_refused(sim, inputs, fragment):
    with pytest.raises(BackendError, match=fragment):
        sim.run(5.0, inputs=inputs)


def test_valid_input_forms_still_work(sim):
    rec = sim.run(5.0, inputs={"input": ([1.0, 2.0], [0.0, 1.0])})
    np.testing.assert_array_equal(rec.spikes("input")[0], [1.0, 2.0])
    rec = sim.run(5.0, inputs={"input": [[6.0], np.array([7.0])]})
    np.testing.assert_array_equal(rec.spikes("input")[0], [6.0, 7.0])


# -- inputs outside the run ----------------------------------------------------------------
@pytest.mark.parametrize("inputs, first", [
    ({"input": [[1.0], [2.0]]}, "1"),  # before the run (absolute times)
    ({"input": [[50.0], []]}, "50"),  # after it
    ({"input": [[15.0], [20.0]]}, "20"),  # the run's end belongs to the next run
    ({"input": ([25.0, 9.9], [0, 1])}, "9.9"),  # the earliest of those outside
])
def test_input_spikes_outside_the_run_are_refused(inputs, first):
    sim = nm.compile(small_net(), backend="torch")
    sim.run(10.0)
    with pytest.raises(BackendError, match=rf"inputs for 'input': spike at {first} ms lies outside "
                                           r"this run, \[10, 20\) ms"):
        sim.run(10.0, inputs=inputs)
    assert sim.t == 10.0  # nothing ran
    rec = sim.run(10.0, inputs={"input": [[10.0], [19.9]]})  # the run's first and last steps
    np.testing.assert_allclose(rec.spikes("input")[0], [10.0, 19.9])


def test_per_trial_inputs_outside_the_run_name_the_trial():
    sim = nm.compile(small_net(), backend="torch", trials=2)
    with pytest.raises(BackendError, match=r"'input' \(trial 1\): spike at 7 ms"):
        sim.run(5.0, inputs={"input": nm.PerTrial([[[1.0], []], [[7.0], []]])})


# -- recording accessors -------------------------------------------------------------------
@pytest.fixture
def rec():
    return nm.compile(small_net(), backend="torch").run(5.0, record={"cells": ["v"]})


@pytest.mark.parametrize("call, fragment", [
    (lambda r: r.spikes("nope"), "no spikes recorded for 'nope' (recorded: input, cells)"),
    (lambda r: r.spike_count("nope"), "no spikes recorded for 'nope'"),
    (lambda r: r.mean_rate("nope"), "no spikes recorded for 'nope'"),
    (lambda r: r.spikes("cells", trial=1), "trial 1 out of range [0, 1)"),
    (lambda r: r.spikes("cells", trial=-1), "trial -1 out of range [0, 1)"),
    (lambda r: r.spikes("cells", trial="0"), "trial '0' out of range"),
    (lambda r: r.spike_count("cells", trial=3), "trial 3 out of range [0, 1)"),
    (lambda r: r.mean_rate("cells", trial=3), "trial 3 out of range [0, 1)"),
    (lambda r: r.state("cells", "nope"), "state 'nope' of 'cells' was not recorded (recorded "
                                         "states of 'cells': v)"),
    (lambda r: r.state("input", "v"), "no states of 'input' (recorded states: cells.v)"),
    (lambda r: r.weight_snapshots("nope"), "no weights recorded for 'nope' (recorded: none)"),
])
def test_accessors_raise_missing_data_errors(rec, call, fragment):
    with pytest.raises(MissingDataError) as info:
        call(rec)
    assert fragment in str(info.value)
    assert isinstance(info.value, KeyError)  # ``except KeyError`` code keeps working


def test_accessors_still_answer_for_what_was_recorded(rec):
    assert rec.spike_count("input") == 2 and rec.spike_count("input", trial=0) == 2
    assert rec.spikes("input", trial=np.int64(0))[0].tolist() == [1.0, 2.0]
    assert rec.mean_rate("input") == pytest.approx(2 / (2 * 0.005))
    assert rec.state("cells", "v").values.shape == (50, 1, 3)


# -- saving --------------------------------------------------------------------------------
@pytest.mark.parametrize("value, fragment", [
    ({1, 2}, "meta['x']: HDF5 has no set type"),
    (2**64, "meta['x']: an int beyond 64 bits"),
    (-2**63 - 1, "an int beyond 64 bits"),
    (b"\xff\xfe", "meta['x']: bytes that are not UTF-8 text"),
    ({"inner": {"deep": frozenset()}}, "meta['x']['inner']['deep']: HDF5 has no set type"),
    ([{"a": 1}, {"b": object()}], "meta['x'][1]['b']"),
    (np.array([object()]), "an array of Python objects (object)"),
    (np.datetime64("2020-01-01"), "arrays of dtype datetime64"),
    ([[1, 2], [3]], "not an array HDF5 can hold"),
    ("a\x00b", "NUL characters"),
    ({"a/b": {"c": 1}}, "meta['x']['a/b']: the key of a dict, list or array cannot contain '/'"),
    ({"": 1}, "keys must be non-empty"),
    ({"format_version": 3}, "other than"),
])
def test_meta_that_hdf5_cannot_hold_is_refused_naming_the_key(rec, tmp_path, value, fragment):
    rec.meta["x"] = value
    target = tmp_path / "rec.h5"
    with pytest.raises(FileFormatError) as info:
        rec.save(target)
    assert fragment in str(info.value)
    assert not target.exists()  # refused before the file is touched


def test_meta_that_was_storable_loads_as_before_and_paths_as_text(rec, tmp_path):
    rec.meta.update({"path": Path("/tmp/x"), "big": 2**63, "ascii": b"ok",
                     "utf8": "é".encode(), "utf8s": np.array([b"ab", "é".encode()]),
                     "paths": [Path("a"), "b"], "nested": [{"a": None}, {"b": [1, 2]}],
                     "slash/in_attribute": 1.5, 1: "int key"})
    target = tmp_path / "rec.h5"
    rec.save(target)
    meta = Recording.load(target).meta
    assert meta["path"] == os.fspath(Path("/tmp/x"))
    assert meta["big"] == 2**63
    assert meta["ascii"] == np.asarray("ok") and meta["utf8"] == np.asarray("é")
    assert meta["utf8s"].tolist() == ["ab", "é"]
    assert meta["paths"].tolist() == ["a", "b"]
    assert meta["nested"][0] == {"a": None} and meta["nested"][1]["b"].tolist() == [1, 2]
    assert meta["slash/in_attribute"] == 1.5 and meta["1"] == "int key"
    assert isinstance(rec.meta["path"], Path)  # the recording itself is not changed


@pytest.mark.parametrize("where", ["weights", "population", "state"])
def test_names_that_are_not_one_hdf5_level_are_refused_on_save(rec, tmp_path, where):
    if where == "weights":
        rec.weights["a/b"] = (np.zeros(1), np.zeros((1, 1, 2)))
        fragment = "projection (weight snapshots) 'a/b'"
    elif where == "population":
        rec.sizes["x/y"] = 1
        fragment = "population 'x/y'"
    else:
        rec.states["cells"]["v/w"] = rec.states["cells"]["v"]
        fragment = "state of 'cells' 'v/w'"
    target = tmp_path / "rec.h5"
    with pytest.raises(FileFormatError, match="without '/'") as info:
        rec.save(target)
    assert fragment in str(info.value)
    assert not target.exists()
