"""A sequence memory of active-dendrite neurons: temporal memory after Hawkins & Ahmad (2016).

J. Hawkins and S. Ahmad, "Why neurons have thousands of synapses, a theory of sequence memory in
neocortex", Front. Neural Circuits 10:23 (2016), and the temporal-memory pseudocode of Numenta's
"Biological and Machine Intelligence" (BAMI). Written from the published description; no code of
nupic or htm.core is used (htm.core's default parameters are quoted in the spec, §2.4).

The model. ``n_columns`` minicolumns of ``cells_per_column`` cells. A symbol is a sparse set of
``active_bits`` columns (a fixed random SDR per symbol, :meth:`SequenceMemory.encode`). Each cell owns
distal dendritic segments; a segment is a list of presynaptic cells with permanences, a synapse is
*connected* when its permanence is >= ``connected_permanence``. After every step, a segment with at
least ``theta`` connected synapses onto the step's active cells is *active* (Eq. 1 of Ahmad & Hawkins:
D.A >= theta) and puts its cell in the predictive state. At the next step, in each column of the input:

* if some of its cells are predictive, exactly those become active (and are the winner cells);
* otherwise the column *bursts*: all its cells become active, and the winner is the cell of the
  best-matching segment (most synapses, connected or not, onto the previous active cells, at least
  ``min_threshold``) or, when no segment matches, the cell with the fewest segments.

Learning (``learn=True``): the segments that predicted correctly, and the best-matching segment of
each bursting column, are reinforced (permanence + ``permanence_increment`` on synapses from
previously active cells, - ``permanence_decrement`` on the others) and grow synapses to previous
winner cells up to ``max_new_synapses`` active ones; a bursting column without a matching segment
grows a new segment on its winner cell, with synapses to ``max_new_synapses`` of the previous winner
cells. Matching segments in columns that did not become active are punished: their synapses from
previously active cells lose ``predicted_segment_decrement``.

Segments live in flat NumPy arrays (one row per segment, ``max_synapses_per_segment`` synapse
slots), so computing the activity of every segment at a step is one gather and two row sums.

:func:`train` and :func:`evaluate` run streams of sequences; :func:`high_order_sequences` builds the
paper's example (A-B-C-D vs X-B-C-Y) and its higher-order variants. :meth:`SequenceMemory.to_network`
exports the learned segments of chosen cells as a neuromem graph (DendriticLIF cells, "dend"
projections from a SpikeArray replaying active cells) that makes the same predictive-state decisions.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from neuromem.models import active_dendrites as ad

__all__ = [
    "Evaluation",
    "Replay",
    "SequenceMemory",
    "evaluate",
    "high_order_sequences",
    "legal_continuations",
    "train",
]

Symbol = Hashable


@dataclass(frozen=True)
class Replay:
    """What the memory did over a replayed sequence: per step, the active cells and the predictive cells
    (sorted cell indices) after that step's input."""

    active: list[np.ndarray]
    predictive: list[np.ndarray]


class SequenceMemory:
    """Temporal memory: columns of cells whose distal segments learn transitions (see the module doc).

    Parameters are htm.core's defaults except three. ``max_synapses_per_segment`` is 32 (segment rows
    are dense arrays here). ``predicted_segment_decrement`` is 0.05, not 0: a segment that learned a
    transition while its input column burst (before the context was known) also connects to the cells
    of the other context, and without punishment it predicts there forever (measured: A-B-C-D vs
    X-B-C-Y stays at 83% next-element accuracy with 0, and reaches 100% after 12 passes with 0.05).
    It stays below the increment so that a legitimately branching transition, seen after its context
    with frequency f, still connects: its permanence drifts by f increment - (1 - f) decrement per
    presentation of the context, positive down to f = 1/3.
    ``predict_fraction``: a symbol counts as predicted when at least that fraction of its columns hold
    a predictive cell. All randomness (symbol codes, tie breaks, synapse sampling) comes from
    ``np.random.default_rng(seed)``.
    """

    def __init__(self, n_columns: int = 2048, cells_per_column: int = 32, active_bits: int = 40,
                 theta: int = 13, min_threshold: int = 10, max_new_synapses: int = 20,
                 initial_permanence: float = 0.21, connected_permanence: float = 0.5,
                 permanence_increment: float = 0.1, permanence_decrement: float = 0.1,
                 predicted_segment_decrement: float = 0.05, max_segments_per_cell: int = 255,
                 max_synapses_per_segment: int = 32, predict_fraction: float = 0.5,
                 seed: int = 0) -> None:
        for name, value in (("n_columns", n_columns), ("cells_per_column", cells_per_column),
                            ("active_bits", active_bits), ("theta", theta),
                            ("min_threshold", min_threshold), ("max_new_synapses", max_new_synapses),
                            ("max_segments_per_cell", max_segments_per_cell),
                            ("max_synapses_per_segment", max_synapses_per_segment)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {name}={value!r}")
        if active_bits > n_columns:
            raise ValueError(f"active_bits must be <= n_columns, got {active_bits} > {n_columns}")
        if max_new_synapses > max_synapses_per_segment:
            raise ValueError(f"max_new_synapses must be <= max_synapses_per_segment, got "
                             f"{max_new_synapses} > {max_synapses_per_segment}")
        for name, value in (("initial_permanence", initial_permanence),
                            ("connected_permanence", connected_permanence),
                            ("permanence_increment", permanence_increment),
                            ("permanence_decrement", permanence_decrement),
                            ("predicted_segment_decrement", predicted_segment_decrement),
                            ("predict_fraction", predict_fraction)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {name}={value!r}")
        self.n_columns = int(n_columns)
        self.cells_per_column = int(cells_per_column)
        self.n_cells = self.n_columns * self.cells_per_column
        self.active_bits = int(active_bits)
        self.theta = int(theta)
        self.min_threshold = int(min_threshold)
        self.max_new_synapses = int(max_new_synapses)
        self.initial_permanence = float(initial_permanence)
        self.connected_permanence = float(connected_permanence)
        self.permanence_increment = float(permanence_increment)
        self.permanence_decrement = float(permanence_decrement)
        self.predicted_segment_decrement = float(predicted_segment_decrement)
        self.max_segments_per_cell = int(max_segments_per_cell)
        self.max_synapses_per_segment = int(max_synapses_per_segment)
        self.predict_fraction = float(predict_fraction)
        self.rng = np.random.default_rng(seed)
        self._codes: dict[Symbol, np.ndarray] = {}
        self._symbol_list: list[Symbol] = []
        # row k: the columns of the k-th symbol; capacity doubles (appending a row at a time is quadratic)
        self._code_matrix = np.zeros((16, self.n_columns), dtype=bool)
        self._init_segments()
        self.reset()

    # -- storage ---------------------------------------------------------------------------------
    def _init_segments(self, capacity: int = 1024) -> None:
        width = self.max_synapses_per_segment
        self.seg_cell = np.full(capacity, -1, dtype=np.int64)  # owner cell; -1: a free row
        self.seg_pre = np.full((capacity, width), -1, dtype=np.int64)  # presynaptic cells; -1: empty
        self.seg_perm = np.zeros((capacity, width), dtype=np.float64)
        self.seg_last_used = np.zeros(capacity, dtype=np.int64)  # the step it was last active
        self.n_rows = 0  # rows in use or freed; rows >= n_rows were never used
        self.free_rows: list[int] = []
        self.cell_segments = np.zeros(self.n_cells, dtype=np.int64)  # segments per cell
        self.iteration = 0

    @property
    def n_segments(self) -> int:
        """Segments that exist now."""
        return int(self.cell_segments.sum())

    def _new_row(self) -> int:
        if self.free_rows:
            return self.free_rows.pop()
        if self.n_rows == self.seg_cell.size:  # double the capacity
            grow = self.seg_cell.size
            self.seg_cell = np.concatenate([self.seg_cell, np.full(grow, -1, dtype=np.int64)])
            self.seg_pre = np.concatenate([self.seg_pre, np.full_like(self.seg_pre, -1)])
            self.seg_perm = np.concatenate([self.seg_perm, np.zeros_like(self.seg_perm)])
            self.seg_last_used = np.concatenate([self.seg_last_used, np.zeros(grow, dtype=np.int64)])
        self.n_rows += 1
        return self.n_rows - 1

    def _create_segment(self, cell: int) -> int:
        """A new empty segment on ``cell``; a full cell first loses its least recently used segment."""
        if self.cell_segments[cell] >= self.max_segments_per_cell:
            own = np.flatnonzero(self.seg_cell[:self.n_rows] == cell)
            self._destroy_segment(int(own[np.argmin(self.seg_last_used[own])]))
        row = self._new_row()
        self.seg_cell[row] = cell
        self.seg_pre[row] = -1
        self.seg_perm[row] = 0.0
        self.seg_last_used[row] = self.iteration
        self.cell_segments[cell] += 1
        return row

    def _destroy_segment(self, row: int) -> None:
        self.cell_segments[self.seg_cell[row]] -= 1
        self.seg_cell[row] = -1
        self.seg_pre[row] = -1
        self.seg_perm[row] = 0.0
        self.free_rows.append(row)
        # a destroyed segment must not act on this step's decisions either
        for name in ("active_segments", "matching_segments"):
            segs = getattr(self, name)
            setattr(self, name, segs[segs != row])

    # -- symbols ---------------------------------------------------------------------------------
    def encode(self, symbol: Symbol) -> np.ndarray:
        """The symbol's columns: ``active_bits`` distinct columns, drawn at random on first use, sorted."""
        code = self._codes.get(symbol)
        if code is None:
            code = np.sort(self.rng.choice(self.n_columns, size=self.active_bits, replace=False))
            k = len(self._symbol_list)
            if k == self._code_matrix.shape[0]:
                self._code_matrix = np.concatenate([self._code_matrix, np.zeros_like(self._code_matrix)])
            self._code_matrix[k, code] = True
            self._codes[symbol] = code
            self._symbol_list.append(symbol)
        return code

    @property
    def symbols(self) -> list[Symbol]:
        """The symbols encoded so far, in the order of their first use."""
        return list(self._symbol_list)

    # -- state -----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the current context (between sequences): no active, winner or predictive cells."""
        self.active_cells = np.zeros(self.n_cells, dtype=bool)
        self.winner_cells = np.zeros(0, dtype=np.int64)
        self.active_segments = np.zeros(0, dtype=np.int64)
        self.matching_segments = np.zeros(0, dtype=np.int64)
        self.potential = np.zeros(0, dtype=np.int64)  # per row: synapses onto active cells

    @property
    def predictive_cells(self) -> np.ndarray:
        """Cells with an active segment: depolarised, they fire first if their column is driven."""
        return np.unique(self.seg_cell[self.active_segments])

    def predicted_columns(self) -> np.ndarray:
        """Columns holding a predictive cell, sorted."""
        return np.unique(self.predictive_cells // self.cells_per_column)

    def predict(self) -> list[Symbol]:
        """The symbols expected next: at least ``predict_fraction`` of their columns are predicted.

        Sorted by that fraction, highest first.
        """
        columns = self.predicted_columns()
        if columns.size == 0:
            return []
        votes = self._code_matrix[:len(self._symbol_list), columns].sum(axis=1)
        fraction = votes / self.active_bits
        chosen = np.flatnonzero(fraction >= self.predict_fraction)
        chosen = chosen[np.argsort(-fraction[chosen], kind="stable")]
        return [self._symbol_list[k] for k in chosen]

    # -- one step --------------------------------------------------------------------------------
    def step(self, symbol: Symbol, learn: bool = True) -> list[Symbol]:
        """Feed one symbol (:meth:`feed`) and return the symbols now predicted (:meth:`predict`)."""
        self.feed(symbol, learn)
        return self.predict()

    def feed(self, symbol: Symbol, learn: bool = True) -> None:
        """Feed one symbol: activate cells (learning the transition if ``learn``), then compute the
        predictive cells for the next step."""
        columns = self.encode(symbol)
        self._activate(columns, learn)
        self._compute_activity(learn)
        self.iteration += 1

    def _activate(self, columns: np.ndarray, learn: bool) -> None:
        """Phase 1: the columns' cells become active from the previous step's predictions."""
        prev_active = np.append(self.active_cells, False)  # index -1 (an empty slot) reads False
        prev_winners = self.winner_cells
        cpc = self.cells_per_column
        driven = np.zeros(self.n_columns, dtype=bool)
        driven[columns] = True
        active_cols = self.seg_cell[self.active_segments] // cpc
        correct = self.active_segments[driven[active_cols]]  # segments that predicted right
        predicted_col = np.zeros(self.n_columns, dtype=bool)
        predicted_col[active_cols[driven[active_cols]]] = True
        bursting = columns[~predicted_col[columns]]

        correct_cells = np.unique(self.seg_cell[correct])
        burst_cells = (bursting[:, None] * cpc + np.arange(cpc)).ravel()
        winners = [correct_cells]
        learning: list[int] = []  # segments to reinforce and grow
        new_segments: list[int] = []  # cells that get a new segment
        matching_cols = self.seg_cell[self.matching_segments] // cpc
        for col in bursting:
            matching = self.matching_segments[matching_cols == col]
            if matching.size:
                best = int(matching[np.argmax(self.potential[matching])])
                winners.append(np.array([self.seg_cell[best]]))
                learning.append(best)
            else:
                cell = self._least_used_cell(int(col))
                winners.append(np.array([cell]))
                if learn and prev_winners.size:
                    new_segments.append(cell)
        if learn:
            self._learn(correct, learning, new_segments, prev_active, prev_winners, driven, matching_cols)
        active = np.zeros(self.n_cells, dtype=bool)
        active[correct_cells] = True
        active[burst_cells] = True
        self.active_cells = active
        self.winner_cells = np.unique(np.concatenate(winners))

    def _learn(self, correct: np.ndarray, learning: list[int], new_cells: list[int], prev_active: np.ndarray,
               prev_winners: np.ndarray, driven: np.ndarray, matching_cols: np.ndarray) -> None:
        """Reinforce and grow the segments that predicted or best matched, grow new segments on
        ``new_cells``, punish the matching segments of silent columns."""
        reinforce = np.concatenate([correct, np.asarray(learning, dtype=np.int64)])
        self._adapt(reinforce, prev_active, self.permanence_increment, self.permanence_decrement)
        for row in reinforce:
            self._grow(int(row), prev_winners, self.max_new_synapses - int(self.potential[row]))
        for cell in new_cells:
            self._grow(self._create_segment(cell), prev_winners, self.max_new_synapses)
        wrong = np.zeros(0, dtype=np.int64)
        if self.predicted_segment_decrement > 0.0:
            # matching segments whose column stayed silent predicted wrongly
            wrong = self.matching_segments[~driven[matching_cols]]
            self._adapt(wrong, prev_active, -self.predicted_segment_decrement, 0.0)
        self._remove_dead_synapses(np.concatenate([reinforce, wrong]))

    def _least_used_cell(self, column: int) -> int:
        """The cell of ``column`` with the fewest segments (ties broken at random)."""
        cells = column * self.cells_per_column + np.arange(self.cells_per_column)
        counts = self.cell_segments[cells]
        fewest = cells[counts == counts.min()]
        return int(fewest[self.rng.integers(fewest.size)])

    def _adapt(self, rows: np.ndarray, prev_active: np.ndarray, up: float, down: float) -> None:
        """Permanence + ``up`` on synapses from previously active cells, - ``down`` on the others."""
        if rows.size == 0:
            return
        pre = self.seg_pre[rows]
        hit = prev_active[pre]
        delta = np.where(hit, up, -down) * (pre >= 0)
        self.seg_perm[rows] = np.clip(self.seg_perm[rows] + delta, 0.0, 1.0)

    def _remove_dead_synapses(self, rows: np.ndarray) -> None:
        """Synapses whose permanence reached 0 disappear; a segment left with none is destroyed."""
        if rows.size == 0:
            return
        rows = np.unique(rows)
        dead = (self.seg_perm[rows] <= 1e-12) & (self.seg_pre[rows] >= 0)
        if not dead.any():
            return
        pre = self.seg_pre[rows]
        pre[dead] = -1
        self.seg_pre[rows] = pre
        for row in rows[(pre < 0).all(axis=1)]:
            self._destroy_segment(int(row))

    def _grow(self, row: int, candidates: np.ndarray, count: int) -> None:
        """Add up to ``count`` synapses from ``candidates`` (not yet on the segment), at the initial
        permanence; when the segment is full, its weakest synapses make room."""
        if count <= 0 or candidates.size == 0:
            return
        pre = self.seg_pre[row]
        fresh = candidates[~np.isin(candidates, pre)]
        count = min(count, fresh.size)
        if count == 0:
            return
        chosen = self.rng.choice(fresh, size=count, replace=False)
        free = np.flatnonzero(pre < 0)
        if free.size < count:
            used = np.flatnonzero(pre >= 0)
            weakest = used[np.argsort(self.seg_perm[row, used], kind="stable")[:count - free.size]]
            free = np.concatenate([free, weakest])
        slots = free[:count]
        self.seg_pre[row, slots] = chosen
        self.seg_perm[row, slots] = self.initial_permanence

    def _compute_activity(self, learn: bool) -> None:
        """Phase 2: each segment's synapses onto the new active cells -> active and matching segments."""
        rows = self.n_rows
        pre = self.seg_pre[:rows]
        hit = np.append(self.active_cells, False)[pre]
        connected = self.seg_perm[:rows] >= self.connected_permanence
        active_connected = (hit & connected).sum(axis=1)
        self.potential = hit.sum(axis=1)
        exists = self.seg_cell[:rows] >= 0
        self.active_segments = np.flatnonzero(exists & (active_connected >= self.theta))
        self.matching_segments = np.flatnonzero(exists & (self.potential >= self.min_threshold))
        if learn:
            self.seg_last_used[self.active_segments] = self.iteration

    # -- analysis --------------------------------------------------------------------------------
    def connected_counts(self) -> np.ndarray:
        """Connected synapses of every existing segment (the s of the theory)."""
        rows = np.flatnonzero(self.seg_cell[:self.n_rows] >= 0)
        return ((self.seg_perm[rows] >= self.connected_permanence) & (self.seg_pre[rows] >= 0)).sum(axis=1)

    def replay(self, sequence: Iterable[Symbol], reset: bool = True) -> Replay:
        """Feed ``sequence`` without learning; the active and predictive cells after each step."""
        if reset:
            self.reset()
        active, predictive = [], []
        for symbol in sequence:
            self.feed(symbol, learn=False)
            active.append(np.flatnonzero(self.active_cells))
            predictive.append(self.predictive_cells)
        return Replay(active, predictive)

    def connected_segments(self, cells: Sequence[int]) -> tuple[np.ndarray, int]:
        """The connected presynaptic cells of every segment of ``cells``: an index-set array of shape
        ``(len(cells) * per_cell, width)`` padded with -1, segments of cell k in rows ``k per_cell ..``,
        and ``per_cell`` (the most segments any of the cells has; at least 1)."""
        cells = np.asarray(cells, dtype=np.int64)
        rows_of = [np.flatnonzero(self.seg_cell[:self.n_rows] == c) for c in cells]
        per_cell = max([1] + [r.size for r in rows_of])
        out = np.full((cells.size * per_cell, self.max_synapses_per_segment), -1, dtype=np.int64)
        for k, rows in enumerate(rows_of):
            for j, row in enumerate(rows):
                keep = (self.seg_perm[row] >= self.connected_permanence) & (self.seg_pre[row] >= 0)
                out[k * per_cell + j, :keep.sum()] = self.seg_pre[row, keep]
        return out, per_cell

    def to_network(self, cells: Sequence[int], active: Sequence[np.ndarray]) -> ad.SpikingSegments:
        """The learned distal segments of ``cells`` as a neuromem graph, driven by a replay.

        One DendriticLIF cell per chosen cell, with as many segments as the busiest of them (the others
        padded with empty segments); a unit-weight "dend" synapse per *connected* synapse; threshold
        ``theta``. A SpikeArray of all ``n_cells`` cells emits ``active[t]`` (the active cells after
        step t of a replay, :meth:`replay`) at step t. Its predictive states, read with
        :func:`~neuromem.models.active_dendrites.run_spiking_segments`, are the cells' predictive states
        after each step (``decisions[t, k]`` for ``cells[k]``).
        """
        segments, per_cell = self.connected_segments(cells)
        width = max([1] + [len(a) for a in active])
        patterns = np.full((len(active), width), -1, dtype=np.int64)
        for t, cells_t in enumerate(active):
            patterns[t, :len(cells_t)] = cells_t
        return ad.spiking_segment_network(segments, patterns, self.n_cells, self.theta, per_cell)


# --------------------------------------------------------------------------------------------------
# streams of sequences
# --------------------------------------------------------------------------------------------------

def high_order_sequences(order: int = 2, pairs: int = 1) -> list[tuple[str, ...]]:
    """Pairs of sequences that share a middle of ``order`` symbols and differ at both ends.

    ``order=2, pairs=1`` gives the paper's example, A-B-C-D and X-B-C-Y: after C, the next symbol
    depends on the first one, ``order + 1`` steps back. Pair p uses its own symbols (suffix p when
    ``pairs > 1``).
    """
    if order < 1 or pairs < 1:
        raise ValueError(f"order and pairs must be >= 1, got order={order}, pairs={pairs}")
    out = []
    for p in range(pairs):
        tag = "" if pairs == 1 else str(p)
        middle = tuple(f"{chr(ord('B') + k)}{tag}" if order <= 2 else f"M{k}{tag}" for k in range(order))
        out.append((f"A{tag}", *middle, f"D{tag}" if order <= 2 else f"E{tag}"))
        out.append((f"X{tag}", *middle, f"Y{tag}"))
    return out


def legal_continuations(sequences: Sequence[Sequence[Symbol]]) -> dict[tuple, set]:
    """For every prefix of the sequences, the symbols that follow it in at least one of them."""
    follow: dict[tuple, set] = {}
    for seq in sequences:
        for i in range(len(seq) - 1):
            follow.setdefault(tuple(seq[:i + 1]), set()).add(seq[i + 1])
    return follow


def train(memory: SequenceMemory, sequences: Sequence[Sequence[Symbol]], passes: int = 1,
          rng: np.random.Generator | int | None = None, shuffle: bool = True) -> None:
    """Present the sequences ``passes`` times as a stream, each pass in a random order (``shuffle``),
    with a reset before each sequence, learning on."""
    rng = np.random.default_rng(rng)
    for _ in range(passes):
        order = rng.permutation(len(sequences)) if shuffle else np.arange(len(sequences))
        for k in order:
            memory.reset()
            for symbol in sequences[k]:
                memory.feed(symbol, learn=True)
    memory.reset()


@dataclass(frozen=True)
class Evaluation:
    """Next-element predictions over the positions 1..L-1 of every sequence.

    ``accuracy``: the fraction of positions where the predicted symbols are exactly the legal
    continuations of the prefix (for sequences whose prefixes are unique: exactly the true next
    symbol). ``hit_rate``: the fraction where the true next symbol was among the predicted ones.
    ``false_positive_rate``: the fraction where some predicted symbol is not a legal continuation.
    ``by_position[i]``: the accuracy at position i + 1. ``steps``: positions counted.
    """

    accuracy: float
    hit_rate: float
    false_positive_rate: float
    by_position: np.ndarray
    steps: int


def evaluate(memory: SequenceMemory, sequences: Sequence[Sequence[Symbol]],
             legal: dict[tuple, set] | None = None) -> Evaluation:
    """Replay each sequence without learning (reset first) and score the prediction of every next
    element against ``legal`` (default: :func:`legal_continuations` of ``sequences``)."""
    legal = legal_continuations(sequences) if legal is None else legal
    length = max(len(s) for s in sequences)
    exact = np.zeros(length - 1)
    counts = np.zeros(length - 1)
    hits = false = 0
    for seq in sequences:
        memory.reset()
        for i, symbol in enumerate(seq[:-1]):
            predicted = set(memory.step(symbol, learn=False))
            allowed = legal[tuple(seq[:i + 1])]
            exact[i] += predicted == allowed
            counts[i] += 1
            hits += seq[i + 1] in predicted
            false += bool(predicted - allowed)
    memory.reset()
    steps = int(counts.sum())
    by_position = np.divide(exact, counts, out=np.full_like(exact, np.nan), where=counts > 0)
    return Evaluation(float(exact.sum() / steps), hits / steps, false / steps, by_position, steps)


# --------------------------------------------------------------------------------------------------
# false positives against the theory (Ahmad & Hawkins 2016, Eq. 4 and Eq. 8)
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FalsePositiveProbe:
    """Spurious predictions during a replay of stored sequences, measured and predicted by the theory.

    Counted on the *predicted* steps (positions >= 1 where no column burst: the active cells are one
    learned context, ``a`` cells, as in the theory's random input). A segment is *spurious* when it is
    active but its cell lies outside the columns of every legal next symbol. The theory treats each
    such segment as a fixed set of ``s`` connected synapses (its own count) seeing a random input of
    the step's ``a`` active cells among ``n = n_cells``: P_FP(n, a, s, theta) per segment (Eq. 4), and
    1 - prod(1 - P_FP) that at least one fires (Eq. 8), the product over the *distinct* connected sets
    (the segments of one learned transition subsample the same cells: see :class:`RandomInputProbe`).

    ``segment_rate`` / ``segment_theory``: spurious activations per (segment, step), measured / the mean
    P_FP. ``step_rate`` / ``step_theory``: the fraction of steps with at least one spurious segment /
    the mean of Eq. 8. ``steps``: predicted steps; ``burst_steps``: other steps at positions >= 1;
    ``segments``: mean segments outside the legal columns; ``spurious``: spurious activations counted;
    ``active_cells``: mean a; ``connected``: mean s.
    """

    segment_rate: float
    segment_theory: float
    step_rate: float
    step_theory: float
    steps: int
    burst_steps: int
    segments: float
    spurious: int
    active_cells: float
    connected: float


def _distinct_sets(memory: SequenceMemory, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the segments ``rows``: the id of each one's connected presynaptic set (equal sets, equal ids)
    and the size of each set (indexed by id)."""
    keep = (memory.seg_perm[rows] >= memory.connected_permanence) & (memory.seg_pre[rows] >= 0)
    ids: dict[tuple, int] = {}
    set_of = np.empty(rows.size, dtype=np.int64)
    for k, row in enumerate(rows):
        key = tuple(np.sort(memory.seg_pre[row][keep[k]]).tolist())
        set_of[k] = ids.setdefault(key, len(ids))
    sizes = np.zeros(len(ids), dtype=np.int64)
    for key, i in ids.items():
        sizes[i] = len(key)
    return set_of, sizes


def false_positive_probe(memory: SequenceMemory, sequences: Sequence[Sequence[Symbol]],
                         legal: dict[tuple, set] | None = None) -> FalsePositiveProbe:
    """Replay ``sequences`` (no learning) and compare spurious segment activations with Eq. 4 / Eq. 8."""
    legal = legal_continuations(sequences) if legal is None else legal
    rows = np.flatnonzero(memory.seg_cell[:memory.n_rows] >= 0)
    columns = memory.seg_cell[rows] // memory.cells_per_column
    set_of, set_sizes = _distinct_sets(memory, rows)
    seg_sizes = set_sizes[set_of]
    totals = dict(steps=0, bursts=0, spurious=0, any=0, segments=0.0, p_segment=0.0, p_any=0.0, a=0.0)
    for seq in sequences:
        memory.reset()
        for i, symbol in enumerate(seq):
            bursting = i > 0 and _bursts(memory, symbol)
            memory.feed(symbol, learn=False)
            if i == 0:
                continue
            if bursting:
                totals["bursts"] += 1
                continue
            allowed = np.zeros(memory.n_columns, dtype=bool)
            for nxt in legal.get(tuple(seq[:i + 1]), ()):
                allowed[memory.encode(nxt)] = True
            outside = ~allowed[columns]
            active = np.zeros(memory.seg_cell.size, dtype=bool)
            active[memory.active_segments] = True
            spurious = int((active[rows] & outside).sum())
            a = int(memory.active_cells.sum())
            p_set = _p_by_size(memory, a, set_sizes)
            # Eq. 8 over the distinct sets with no segment in a legal column (those are not spurious)
            sets = np.ones(set_sizes.size, dtype=bool)
            sets[set_of[~outside]] = False
            totals["steps"] += 1
            totals["spurious"] += spurious
            totals["any"] += spurious > 0
            totals["segments"] += outside.sum()
            totals["p_segment"] += p_set[set_of[outside]].sum()
            totals["p_any"] += -np.expm1(np.log1p(-p_set[sets]).sum())
            totals["a"] += a
    memory.reset()
    steps = max(totals["steps"], 1)
    exposures = max(totals["segments"], 1.0)
    return FalsePositiveProbe(totals["spurious"] / exposures, totals["p_segment"] / exposures,
                              totals["any"] / steps, totals["p_any"] / steps, totals["steps"],
                              totals["bursts"], totals["segments"] / steps, totals["spurious"],
                              totals["a"] / steps, float(seg_sizes.mean()) if seg_sizes.size else 0.0)


def _p_by_size(memory: SequenceMemory, a: int, sizes: np.ndarray) -> np.ndarray:
    """P_FP(n_cells, a, s, theta) (Eq. 4) for each entry s of ``sizes``."""
    values, index = np.unique(sizes, return_inverse=True)
    return np.array([ad.p_false_positive(memory.n_cells, a, int(s), memory.theta) for s in values])[index]


def _bursts(memory: SequenceMemory, symbol: Symbol) -> bool:
    """Whether some column of ``symbol`` has no predictive cell now (it will burst at the next step)."""
    predicted = np.zeros(memory.n_columns, dtype=bool)
    predicted[memory.predicted_columns()] = True
    return not predicted[memory.encode(symbol)].all()


@dataclass(frozen=True)
class RandomInputProbe:
    """The memory's segments against uniform random inputs of ``a`` of its ``n_cells`` cells (the theory's
    own setting): measured and predicted rates.

    ``segment_rate`` / ``segment_theory``: the fraction of (segment, input) pairs that match (>= theta
    active connected synapses) / the mean over the segments of P_FP(n, a, s_i, theta) (Eq. 4).
    ``population_rate``: the fraction of inputs that some segment matches; ``population_theory``:
    1 - prod_i (1 - P_FP(s_i)) (Eq. 8, segments taken as independent); ``population_bound``: sum_i P_FP
    (Eq. 9). The segments of one learned transition (one per column of the next symbol) all subsample
    the same previous winner cells, so they are far from independent: ``population_distinct`` is Eq. 8
    over the distinct connected sets only (``distinct`` of them). ``trials``: random inputs;
    ``segments``: segments probed.
    """

    segment_rate: float
    segment_theory: float
    population_rate: float
    population_theory: float
    population_bound: float
    population_distinct: float
    trials: int
    segments: int
    distinct: int
    a: int


def connected_matrix(memory: SequenceMemory):
    """The connected synapses of every existing segment as a scipy CSR matrix (segments x cells) of ones."""
    import scipy.sparse as sp

    rows = np.flatnonzero(memory.seg_cell[:memory.n_rows] >= 0)
    keep = (memory.seg_perm[rows] >= memory.connected_permanence) & (memory.seg_pre[rows] >= 0)
    seg, slot = np.nonzero(keep)
    cells = memory.seg_pre[rows][seg, slot]
    return sp.csr_matrix((np.ones(seg.size, dtype=np.int32), (seg, cells)), shape=(rows.size, memory.n_cells))


def random_input_probe(memory: SequenceMemory, trials: int, rng: np.random.Generator | int | None = None,
                       a: int | None = None, chunk: int = 256) -> RandomInputProbe:
    """Match every segment of the memory against ``trials`` uniform random inputs of ``a`` cells (default
    ``active_bits``: the activity of one predicted context) and compare with Eq. 4 / Eq. 8 / Eq. 9."""
    import scipy.sparse as sp

    rng = np.random.default_rng(rng)
    a = memory.active_bits if a is None else int(a)
    D = connected_matrix(memory)
    sizes = np.asarray(D.sum(axis=1)).ravel()
    p_of = {int(s): ad.p_false_positive(memory.n_cells, a, int(s), memory.theta) for s in np.unique(sizes)}
    p = np.array([p_of[int(s)] for s in sizes])
    hits = covered = 0
    for start in range(0, trials, chunk):
        count = min(chunk, trials - start)
        inputs = ad.random_patterns(memory.n_cells, a, count, rng)
        X = sp.csc_matrix((np.ones(inputs.size, dtype=np.int32),
                           (inputs.ravel(), np.repeat(np.arange(count), a))), shape=(memory.n_cells, count))
        overlaps = (D @ X).tocoo()
        fired = overlaps.data >= memory.theta
        hits += int(fired.sum())
        covered += np.unique(overlaps.col[fired]).size
    segments = max(D.shape[0], 1)
    # distinct rows of D: a row's sorted column indices as one hashable key
    keys = {tuple(D.indices[D.indptr[k]:D.indptr[k + 1]].tolist()): k for k in range(D.shape[0])}
    unique = np.fromiter(keys.values(), dtype=np.int64, count=len(keys))
    return RandomInputProbe(hits / (trials * segments), float(p.mean()) if p.size else 0.0, covered / trials,
                            float(-np.expm1(np.log1p(-p).sum())), float(p.sum()),
                            float(-np.expm1(np.log1p(-p[unique]).sum())), trials, D.shape[0], unique.size, a)
