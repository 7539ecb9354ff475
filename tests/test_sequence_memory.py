"""The temporal-memory sequence memory (Hawkins & Ahmad 2016) and its spiking export.

Expected values come from the algorithm's rules (bursting, the permanence schedule, D.A >= theta on
connected synapses) and from the sequences themselves (the known next symbol), never from captured
output of the memory.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from neuromem.models import active_dendrites as ad
from neuromem.models import sequence_memory as sm

BACKENDS = {"torch": ("torch", {}), "brian2-numpy": ("brian2", {"target": "numpy"})}
HIGH_ORDER = [("A", "B", "C", "D"), ("X", "B", "C", "Y")]


def next_element_accuracy(memory: sm.SequenceMemory, sequences) -> tuple[float, float]:
    """(fraction of positions where the memory predicts exactly the true next symbol, same at the last
    position), stepping the memory here, without learning."""
    right = last_right = 0
    positions = 0
    for seq in sequences:
        memory.reset()
        for i in range(len(seq) - 1):
            predicted = memory.step(seq[i], learn=False)
            right += predicted == [seq[i + 1]]
            positions += 1
        last_right += predicted == [seq[-1]]
    memory.reset()
    return right / positions, last_right / len(sequences)


def test_high_order_sequences_are_the_papers_example():
    assert sm.high_order_sequences() == HIGH_ORDER
    three = sm.high_order_sequences(order=3)
    assert three[0][1:-1] == three[1][1:-1] and len(three[0]) == 5
    assert three[0][0] != three[1][0] and three[0][-1] != three[1][-1]


def test_learns_the_high_order_example_from_a_stream():
    """The issue's criterion: >= 95% next-element accuracy on A-B-C-D vs X-B-C-Y after training on a
    shuffled stream of the two sequences; after C it predicts D or Y by the first symbol."""
    memory = sm.SequenceMemory(seed=1)
    sm.train(memory, HIGH_ORDER, passes=20, rng=1)
    accuracy, after_c = next_element_accuracy(memory, HIGH_ORDER)
    assert accuracy >= 0.95
    assert after_c == 1.0
    result = sm.evaluate(memory, HIGH_ORDER)
    assert result.accuracy == accuracy and result.false_positive_rate == 0.0


def test_one_cell_per_column_cannot_tell_the_contexts_apart():
    """A first-order memory (1 cell per column) has one C for both contexts. Without punishment it
    predicts D and Y after both A-B-C and X-B-C; with it, the two transitions cancel and it predicts
    neither. Either way it is wrong at every last position, whatever the training."""
    memory = sm.SequenceMemory(cells_per_column=1, predicted_segment_decrement=0.0, seed=2)
    sm.train(memory, HIGH_ORDER, passes=20, rng=2)
    for seq in HIGH_ORDER:
        memory.reset()
        for symbol in seq[:-1]:
            predicted = memory.step(symbol, learn=False)
        assert set(predicted) == {"D", "Y"}
    assert next_element_accuracy(memory, HIGH_ORDER)[1] == 0.0
    memory = sm.SequenceMemory(cells_per_column=1, seed=2)
    sm.train(memory, HIGH_ORDER, passes=20, rng=2)
    assert next_element_accuracy(memory, HIGH_ORDER)[1] == 0.0


@pytest.mark.parametrize("order", [1, 3])
def test_other_orders_are_learned(order):
    sequences = sm.high_order_sequences(order)
    memory = sm.SequenceMemory(seed=3)
    sm.train(memory, sequences, passes=24, rng=3)
    assert next_element_accuracy(memory, sequences) == (1.0, 1.0)


def test_permanence_schedule_sets_when_a_transition_is_predicted():
    """A -> B alone: the first presentation grows B's segments at the initial permanence, each later one
    adds the increment; B is predicted after A once the permanence reaches the connected threshold,
    after 1 + ceil((connected - initial) / increment) presentations."""
    memory = sm.SequenceMemory(n_columns=256, cells_per_column=4, active_bits=16, theta=6, min_threshold=4,
                               max_new_synapses=10, seed=4)
    needed = 1 + math.ceil((memory.connected_permanence - memory.initial_permanence)
                           / memory.permanence_increment)
    for presentation in range(1, needed + 2):
        sm.train(memory, [("A", "B")], passes=1)
        memory.reset()
        assert (memory.step("A", learn=False) == ["B"]) == (presentation >= needed), presentation
    assert memory.n_segments == memory.active_bits  # one segment per column of B


def test_unpredicted_columns_burst_and_predicted_ones_do_not():
    memory = sm.SequenceMemory(n_columns=256, cells_per_column=4, active_bits=16, theta=6, min_threshold=4,
                               max_new_synapses=10, seed=5)
    cpc = memory.cells_per_column
    memory.step("A", learn=False)
    bursting = (memory.encode("A")[:, None] * cpc + np.arange(cpc)).ravel()
    np.testing.assert_array_equal(np.flatnonzero(memory.active_cells), np.sort(bursting))
    sm.train(memory, [("A", "B")], passes=6)
    memory.reset()
    memory.step("A", learn=False)
    predicted = memory.predictive_cells
    assert predicted.size == memory.active_bits  # one cell in each column of B
    np.testing.assert_array_equal(np.unique(predicted // cpc), memory.encode("B"))
    memory.step("B", learn=False)
    np.testing.assert_array_equal(np.flatnonzero(memory.active_cells), predicted)


def test_predictive_cells_follow_the_binary_rule():
    """After every step, the predictive cells are exactly the cells owning a segment with >= theta
    connected synapses onto active cells (D.A >= theta, recomputed here with dense matrices)."""
    memory = sm.SequenceMemory(n_columns=128, cells_per_column=4, active_bits=10, theta=5, min_threshold=3,
                               max_new_synapses=8, seed=6)
    rng = np.random.default_rng(6)
    sequences = [tuple(rng.choice(list("ABCDEFGH"), size=6)) for _ in range(6)]
    sm.train(memory, sequences, passes=8, rng=6)
    rows = np.flatnonzero(memory.seg_cell[:memory.n_rows] >= 0)
    D = np.zeros((rows.size, memory.n_cells), dtype=np.int64)
    for k, row in enumerate(rows):
        keep = (memory.seg_pre[row] >= 0) & (memory.seg_perm[row] >= memory.connected_permanence)
        D[k, memory.seg_pre[row, keep]] = 1
    checked = 0
    for seq in sequences:
        replay = memory.replay(seq)
        for active, predictive in zip(replay.active, replay.predictive):
            A = np.zeros(memory.n_cells, dtype=np.int64)
            A[active] = 1
            expected = np.unique(memory.seg_cell[rows[D @ A >= memory.theta]])
            np.testing.assert_array_equal(predictive, expected)
            checked += expected.size
    assert checked > 100


def test_same_seed_same_memory():
    runs = []
    for _ in range(2):
        memory = sm.SequenceMemory(seed=7)
        sm.train(memory, HIGH_ORDER, passes=5, rng=7)
        runs.append(memory)
    a, b = runs
    assert a.n_rows == b.n_rows
    np.testing.assert_array_equal(a.seg_pre[:a.n_rows], b.seg_pre[:b.n_rows])
    np.testing.assert_array_equal(a.seg_perm[:a.n_rows], b.seg_perm[:b.n_rows])


@pytest.mark.parametrize("kwargs, name", [
    ({"n_columns": 0}, "n_columns"), ({"active_bits": 3000}, "active_bits"),
    ({"theta": 2.5}, "theta"), ({"max_new_synapses": 40}, "max_new_synapses"),
    ({"connected_permanence": 1.5}, "connected_permanence"),
])
def test_invalid_parameters(kwargs, name):
    with pytest.raises(ValueError, match=name):
        sm.SequenceMemory(**kwargs)


def test_legal_continuations_and_ambiguous_prefixes():
    """A prefix shared by two sequences has two legal continuations; predicting both is right."""
    sequences = [("A", "B", "C"), ("A", "D", "E")]
    legal = sm.legal_continuations(sequences)
    assert legal[("A",)] == {"B", "D"} and legal[("A", "B")] == {"C"}
    memory = sm.SequenceMemory(seed=8)
    sm.train(memory, sequences, passes=20, rng=8)
    memory.reset()
    assert set(memory.step("A", learn=False)) == {"B", "D"}
    assert sm.evaluate(memory, sequences).accuracy == 1.0


@pytest.mark.parametrize("config", list(BACKENDS))
def test_spiking_export_makes_the_same_predictions(config):
    """The learned segments of every cell that has some, as DendriticLIF cells driven by the replayed
    active cells: the spiking predictive states equal the memory's at every step of the replays."""
    backend, options = BACKENDS[config]
    memory = sm.SequenceMemory(n_columns=512, cells_per_column=4, active_bits=16, theta=6, min_threshold=4,
                               max_new_synapses=10, seed=9)
    rng = np.random.default_rng(9)
    sequences = [tuple(rng.choice(list("ABCDEFGHIJ"), size=7)) for _ in range(8)] + HIGH_ORDER
    sm.train(memory, sequences, passes=10, rng=9)
    cells = np.flatnonzero(memory.cell_segments > 0)
    assert memory.cell_segments.max() >= 2  # cells with several segments are exported too
    active, predictive = [], []
    for seq in sequences + [("A", "X", "B", "J", "C")]:  # the last one off the training set: bursts
        replay = memory.replay(seq)
        active += replay.active
        predictive += replay.predictive
    expected = np.stack([np.isin(cells, p) for p in predictive])
    assert 200 < expected.sum() < expected.size / 2
    result = ad.run_spiking_segments(memory.to_network(cells, active), backend, **options)
    np.testing.assert_array_equal(result.decisions, expected)


def small_trained_memory() -> tuple[sm.SequenceMemory, list[tuple]]:
    memory = sm.SequenceMemory(n_columns=128, cells_per_column=4, active_bits=12, theta=4, min_threshold=6,
                               max_new_synapses=8, max_synapses_per_segment=12, seed=10)
    rng = np.random.default_rng(10)
    sequences = [tuple(f"s{x}" for x in rng.choice(200, size=6, replace=False)) for _ in range(20)]
    sm.train(memory, sequences, passes=6, rng=10)
    return memory, sequences


def test_random_input_probe_counts_and_theory():
    """Hits recounted with dense 0/1 matrices on the same random inputs (same seed), and the theory
    recomputed from the segments' connected counts with Eq. 4 / Eq. 8 / Eq. 9."""
    memory, _ = small_trained_memory()
    trials = 3000
    probe = sm.random_input_probe(memory, trials, np.random.default_rng(11), chunk=trials)
    rows = np.flatnonzero(memory.seg_cell[:memory.n_rows] >= 0)
    D = np.zeros((rows.size, memory.n_cells), dtype=np.int64)
    for k, row in enumerate(rows):
        keep = (memory.seg_pre[row] >= 0) & (memory.seg_perm[row] >= memory.connected_permanence)
        D[k, memory.seg_pre[row, keep]] = 1
    inputs = ad.random_patterns(memory.n_cells, memory.active_bits, trials, np.random.default_rng(11))
    A = np.zeros((trials, memory.n_cells), dtype=np.float32)  # small integer sums: exact in float32
    np.put_along_axis(A, inputs, 1, axis=1)
    fires = (A @ D.T.astype(np.float32)) >= memory.theta
    assert fires.sum() > 10  # measurable at this size
    assert probe.segment_rate == fires.sum() / fires.size
    assert probe.population_rate == fires.any(axis=1).mean()
    p = np.array([ad.p_false_positive(memory.n_cells, memory.active_bits, int(s), memory.theta)
                  for s in D.sum(axis=1)])
    assert probe.segment_theory == pytest.approx(p.mean(), rel=1e-12)
    assert probe.population_bound == pytest.approx(p.sum(), rel=1e-12)
    assert probe.population_theory == pytest.approx(1 - np.prod(1 - p), rel=1e-9)
    # the rate per segment is Eq. 4 on average; hits cluster (the segments of one transition sample the
    # same cells), which inflates the variance, hence many trials and a wide band
    many = sm.random_input_probe(memory, 60_000, np.random.default_rng(12))
    assert 0.6 < many.segment_rate / many.segment_theory < 1.6


def test_false_positive_probe_on_a_clean_memory():
    """A large memory that learned the high-order pair exactly: no spurious segment at any predicted step,
    and Eq. 8 says none should be expected (n = 65536 cells, a = 40, s = 20, theta = 13)."""
    memory = sm.SequenceMemory(seed=12)
    sm.train(memory, HIGH_ORDER, passes=14, rng=12)
    probe = sm.false_positive_probe(memory, HIGH_ORDER)
    assert probe.steps == 6 and probe.burst_steps == 0 and probe.spurious == 0
    assert probe.active_cells == memory.active_bits
    assert probe.step_theory < 1e-25
    assert probe.step_theory == pytest.approx(
        -math.expm1(probe.segments * math.log1p(-ad.p_false_positive(65536, 40, 20, 13))), rel=0.5)
