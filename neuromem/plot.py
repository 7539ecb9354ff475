"""Figures of a :class:`~neuromem.recording.Recording`: spike rasters, state traces, population rates.

Every function returns the matplotlib ``Figure`` and never shows it, so the same call serves a
script (``save_figure``), a notebook (the figure displays itself) and a test (count the artists).
Pass ``ax`` to draw into a figure of your own layout.

Rasters are drawn as one rasterized scatter per band: 100k spikes render in a fraction of a second
and the saved file stays small, while axes and labels stay vector in PDF/SVG output.

A *band* is a named block of neurons: a whole population by default, or an index range of one
(CUBA's single population ``P`` reads better as ``exc`` 0-3200 and ``inh`` 3200-4000)::

    raster(rec, bands={"exc": ("P", 0, 3200), "inh": ("P", 3200, 4000)})
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np

from neuromem.atomic import atomic_path
from neuromem.errors import MissingDataError, NeuromemError, ValidationError  # noqa: F401 (re-exported)
from neuromem.recording import Recording
from neuromem.scalars import is_number, is_positive_number

if TYPE_CHECKING:
    from neuromem.hardware.spinnaker.mapping import Mapping as SpiNNakerMapping


def _headless() -> bool:
    """True on a Linux machine without a display, where a GUI backend would fail at the first
    figure; macOS and Windows always have one."""
    if not sys.platform.startswith("linux"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Choose Agg only when nobody else has chosen: an explicit MPLBACKEND (Jupyter sets one) or an
# already imported pyplot means the user's choice stands.
if _headless() and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice)
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Units of the recordable LIF states, for axis labels.
STATE_UNITS = {"v": "mV", "i_e": "nA", "i_i": "nA"}
#: A band: (population, first index, one past the last index).
BandSpec = tuple[str, int, int]
#: The most bins a population rate may have (a bin far under the time step would exhaust memory).
MAX_RATE_BINS = 10_000_000




@dataclass(frozen=True)
class Band:
    label: str
    pop: str
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


# -- helpers ------------------------------------------------------------------------------
def _check_trial(rec: Recording, trial: int) -> None:
    if not 0 <= trial < rec.trials:
        raise MissingDataError(f"trial {trial} was not recorded (the recording has {rec.trials} "
                               f"trial(s): 0 to {rec.trials - 1})")


def _check_pop(rec: Recording, pop: str) -> None:
    if pop not in rec.spike_data:
        known = ", ".join(rec.spike_data) or "none"
        raise MissingDataError(f"no spikes of population '{pop}' in the recording (recorded: {known})")


def resolve_bands(rec: Recording, populations: Sequence[str] | str | None = None,
                  bands: Mapping[str, BandSpec] | None = None) -> list[Band]:
    """The bands to draw, checked against the recording: ``bands`` if given (in its order),
    else one band per population of ``populations`` (default: every population with spikes)."""
    if bands is not None:
        out = []
        for label, spec in bands.items():
            try:
                pop, start, stop = spec
            except (TypeError, ValueError):
                raise MissingDataError(f"band '{label}': expected (population, start, stop), "
                                       f"got {spec!r}") from None
            _check_pop(rec, pop)
            if not 0 <= int(start) <= int(stop) <= rec.sizes[pop]:
                raise MissingDataError(f"band '{label}': range [{start}, {stop}) is outside "
                                       f"population '{pop}' of {rec.sizes[pop]} neurons")
            out.append(Band(str(label), pop, int(start), int(stop)))
        return out
    if isinstance(populations, str):
        populations = [populations]
    pops = list(populations) if populations is not None else [p for p in rec.sizes if p in rec.spike_data]
    for pop in pops:
        _check_pop(rec, pop)
    return [Band(pop, pop, 0, rec.sizes[pop]) for pop in pops]


def band_spikes(rec: Recording, band: Band, trial: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spike ``(times_ms, indices)`` of ``band`` in ``trial``; indices stay population indices."""
    t, i = rec.spikes(band.pop, trial)
    sel = (i >= band.start) & (i < band.stop)
    return t[sel], i[sel]


def _colours(bands: list[Band], highlight: Mapping[str, str] | None) -> list[str]:
    """Colour cycle per band; with ``highlight``, the named bands (or populations) get their
    colour and every other band turns grey, which is the point of highlighting."""
    if not highlight:
        return [f"C{n % 10}" for n in range(len(bands))]
    return [highlight.get(b.label, highlight.get(b.pop, "0.65")) for b in bands]


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _time_axis(ax: Axes, rec: Recording) -> None:
    if rec.t_stop > rec.t_start:
        ax.set_xlim(rec.t_start, rec.t_stop)
    ax.set_xlabel("time (ms)")


# -- raster -------------------------------------------------------------------------------
def raster(rec: Recording, populations: Sequence[str] | str | None = None, trial: int = 0,
           mode: str = "bands", ax: Axes | None = None, bands: Mapping[str, BandSpec] | None = None,
           marker_size: float = 1.5, title: str | None = None,
           highlight: Mapping[str, str] | None = None,
           figsize: tuple[float, float] = (10.0, 6.0)) -> Figure:
    """Spike raster of one trial.

    ``mode="bands"``: one axis, each band stacked below the previous one (first band on top),
    labelled on the y axis over an alternating light background, so that relative activity of the
    populations reads at a glance. ``mode="panels"``: one subplot per band with a shared time
    axis and each band's own index scale, for populations of very different sizes.
    ``highlight`` maps band labels or population names to colours; the other bands turn grey.
    """
    _check_trial(rec, trial)
    chosen = resolve_bands(rec, populations, bands)
    colours = _colours(chosen, highlight)
    if mode == "bands":
        fig, ax = _new_axes(ax, figsize)
        _raster_bands(ax, rec, chosen, colours, trial, marker_size)
    elif mode == "panels":
        fig = _raster_panels(rec, chosen, colours, trial, marker_size, ax, figsize)
    else:
        raise ValueError(f"mode must be 'bands' or 'panels', got {mode!r}")
    if title is None:
        title = (f"{rec.meta.get('backend', '?')} backend, {rec.t_stop - rec.t_start:g} ms"
                 + (f", trial {trial}" if rec.trials > 1 else ""))
    if title and mode == "bands":
        ax.set_title(title)
    elif title:
        fig.suptitle(title)
    return fig


def _band_heights(chosen: list[Band]) -> list[int]:
    """Rows per band; an empty band still gets a thin visible row so its label has a place."""
    total = sum(b.size for b in chosen)
    floor = max(1, int(round(0.02 * total)))
    return [b.size if b.size else floor for b in chosen]


def _raster_bands(ax: Axes, rec: Recording, chosen: list[Band], colours: list[str], trial: int,
                  marker_size: float) -> None:
    heights = _band_heights(chosen)
    offsets = np.concatenate([[0], np.cumsum(heights)]).astype(float)
    for n, (band, colour) in enumerate(zip(chosen, colours)):
        lo, hi = offsets[n], offsets[n + 1]
        if n % 2 == 0:
            ax.axhspan(lo, hi, color="0.93", zorder=0, linewidth=0)
        if n:
            ax.axhline(lo, color="0.6", linewidth=0.6, zorder=1)
        t, i = band_spikes(rec, band, trial)
        ax.scatter(t, lo + (i - band.start) + 0.5, s=marker_size, c=colour, marker="s",
                   linewidths=0, rasterized=True, zorder=2, label=band.label)
    ax.set_ylim(offsets[-1] if offsets[-1] > 0 else 1.0, 0.0)  # first band on top
    ax.set_yticks((offsets[:-1] + offsets[1:]) / 2,
                  [f"{b.label}\n({b.size})" if b.size else f"{b.label}\n(empty)" for b in chosen])
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel("neurons per band")
    _time_axis(ax, rec)


def _raster_panels(rec: Recording, chosen: list[Band], colours: list[str], trial: int,
                   marker_size: float, ax: Axes | None, figsize: tuple[float, float]) -> Figure:
    if not chosen:
        fig, ax = _new_axes(ax, figsize)
        _time_axis(ax, rec)
        return fig
    if ax is not None:
        if len(chosen) != 1:
            raise ValueError("mode='panels' with ax= draws a single band; pass bands= with one "
                             "entry, or leave ax out to get one subplot per band")
        fig, axes = ax.figure, [ax]
    else:
        largest = max(max(b.size for b in chosen), 1)
        ratios = [max(b.size, 0.15 * largest) for b in chosen]
        fig, axes = plt.subplots(len(chosen), 1, sharex=True, figsize=figsize, layout="constrained",
                                 height_ratios=ratios, squeeze=False)
        axes = list(axes[:, 0])
    for band, colour, sub in zip(chosen, colours, axes):
        t, i = band_spikes(rec, band, trial)
        sub.scatter(t, i, s=marker_size, c=colour, marker="s", linewidths=0, rasterized=True,
                    label=band.label)
        sub.set_ylim(band.stop if band.size else band.start + 1, band.start)
        sub.set_ylabel(f"{band.label}\nindex")
        sub.set_title(f"{band.label}: {t.size} spikes", fontsize="small", loc="left")
    for sub in axes[:-1]:
        sub.tick_params(labelbottom=False)
    _time_axis(axes[-1], rec)
    return fig


# -- traces and rates ---------------------------------------------------------------------
def traces(rec: Recording, pop: str, var: str = "v", indices: Sequence[int] | None = None,
           trial: int = 0, ax: Axes | None = None, figsize: tuple[float, float] = (10.0, 4.0)) -> Figure:
    """Sampled ``var`` of neurons ``indices`` (population indices; default: all recorded, at most
    ten) against time. States are only there if the run asked for them (``record=``)."""
    _check_trial(rec, trial)
    try:
        tr = rec.state(pop, var)
    except KeyError:
        recorded = [f"{p}.{v}" for p, vs in rec.states.items() for v in vs]
        raise MissingDataError(f"state '{var}' of '{pop}' was not recorded (recorded states: "
                               f"{', '.join(recorded) or 'none'}; pass record={{'{pop}': ['{var}']}} "
                               f"to Simulation.run)") from None
    columns = _trace_columns(tr.indices, indices, pop, var)
    fig, ax = _new_axes(ax, figsize)
    for j in columns:
        ax.plot(tr.times, tr.values[:, trial, j], linewidth=0.8, label=f"{pop}[{tr.indices[j]}]")
    if 0 < len(columns) <= 10:
        ax.legend(fontsize="small", loc="upper right")
    ax.set_ylabel(f"{var} ({STATE_UNITS.get(var, '?')})")
    _time_axis(ax, rec)
    return fig


def _trace_columns(recorded: np.ndarray, wanted: Sequence[int] | None, pop: str, var: str) -> list[int]:
    if wanted is None:
        return list(range(min(len(recorded), 10)))
    where = {int(n): j for j, n in enumerate(recorded)}
    missing = [int(n) for n in wanted if int(n) not in where]
    if missing:
        raise MissingDataError(f"state '{var}' of '{pop}' was not recorded for neuron(s) {missing} "
                               f"(recorded: {_short(recorded)})")
    return [where[int(n)] for n in wanted]


def _short(values: np.ndarray, limit: int = 8) -> str:
    shown = ", ".join(str(int(v)) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def population_rate(rec: Recording, band: Band, bin_ms: float, trial: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges (ms) and rate (Hz per neuron) of ``band``; the independent number to put next
    to a raster, since dense rasters hide rate changes."""
    if not is_positive_number(bin_ms):
        raise ValidationError(f"bin_ms must be a positive finite number of ms, got {bin_ms!r}")
    n_bins = max(1, int(np.ceil((rec.t_stop - rec.t_start) / bin_ms - 1e-9)))
    if n_bins > MAX_RATE_BINS:
        raise ValidationError(f"bin_ms {bin_ms:g} cuts {rec.t_stop - rec.t_start:g} ms into {n_bins} "
                              f"bins (at most {MAX_RATE_BINS}); the recording's time step is "
                              f"{rec.dt:g} ms")
    edges = rec.t_start + bin_ms * np.arange(n_bins + 1)
    t, _ = band_spikes(rec, band, trial)
    counts, _ = np.histogram(t, bins=edges)
    widths_s = np.diff(edges) / 1000.0
    rate = counts / (max(band.size, 1) * widths_s)
    return edges, rate


def rate_histogram(rec: Recording, pop: Sequence[str] | str | None = None, bin_ms: float = 5.0,
                   trial: int = 0, ax: Axes | None = None, bands: Mapping[str, BandSpec] | None = None,
                   highlight: Mapping[str, str] | None = None,
                   figsize: tuple[float, float] = (10.0, 2.5)) -> Figure:
    """Population rate (Hz per neuron, ``bin_ms`` bins) of each population or band, as steps."""
    _check_trial(rec, trial)
    chosen = resolve_bands(rec, pop, bands)
    fig, ax = _new_axes(ax, figsize)
    for band, colour in zip(chosen, _colours(chosen, highlight)):
        edges, rate = population_rate(rec, band, bin_ms, trial)
        ax.stairs(rate, edges, color=colour, label=band.label, linewidth=1.0)
    if len(chosen) > 1:
        ax.legend(fontsize="small", loc="upper right", ncols=min(len(chosen), 4))
    ax.set_ylabel(f"rate (Hz)\n{bin_ms:g} ms bins")
    _time_axis(ax, rec)
    return fig


def overview(rec: Recording, populations: Sequence[str] | str | None = None, trial: int = 0,
             bands: Mapping[str, BandSpec] | None = None, bin_ms: float = 5.0,
             title: str | None = None, highlight: Mapping[str, str] | None = None,
             figsize: tuple[float, float] = (10.0, 7.0), marker_size: float = 1.5) -> Figure:
    """Raster in bands over a population-rate panel with the same time axis: the figure a run
    writes, because the raster shows who fires and the rate shows how much."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=figsize, layout="constrained",
                                      height_ratios=[4, 1])
    raster(rec, populations, trial=trial, mode="bands", ax=top, bands=bands, marker_size=marker_size,
           title=title, highlight=highlight)
    top.set_xlabel("")
    top.tick_params(labelbottom=False)
    rate_histogram(rec, populations, bin_ms=bin_ms, trial=trial, ax=bottom, bands=bands,
                   highlight=highlight)
    return fig


# -- files --------------------------------------------------------------------------------
def weight_matrix(projection, weights: np.ndarray | None = None, n_pre: int | None = None,
                  n_post: int | None = None, ax: Axes | None = None,
                  figsize: tuple[float, float] = (5.0, 4.0), cmap: str = "viridis") -> Figure:
    """A projection's weights as a (post x pre) image: the graph's weights, or ``weights`` (one
    per synapse, e.g. a snapshot from :meth:`Recording.weight_snapshots`). Absent synapses are
    blank. Sizes default to the largest indices present."""
    values = np.asarray(projection.weight if weights is None else weights, dtype=np.float64)
    if values.shape != projection.pre_idx.shape:
        raise MissingDataError(f"{values.size} weights for the {projection.n_synapses} synapses "
                               f"of '{projection.name}'")
    n_pre = n_pre or (int(projection.pre_idx.max()) + 1 if values.size else 1)
    n_post = n_post or (int(projection.post_idx.max()) + 1 if values.size else 1)
    image = np.full((n_post, n_pre), np.nan)
    image[projection.post_idx, projection.pre_idx] = values
    fig, ax = _new_axes(ax, figsize)
    shown = ax.imshow(image, cmap=cmap, aspect="auto", interpolation="nearest", origin="lower")
    fig.colorbar(shown, ax=ax, label="weight (nA)")
    ax.set_xlabel(f"{projection.pre} (pre)")
    ax.set_ylabel(f"{projection.post} (post)")
    ax.set_title(projection.name)
    return fig


def placement(mapping: SpiNNakerMapping, ax: Axes | None = None,
              figsize: tuple[float, float] = (10.0, 7.0), max_chips: int = 256) -> Figure:
    """Where a SpiNNaker mapping (:func:`neuromem.hardware.spinnaker.map_network`) puts the
    network: the machine's chip grid (x to the right, y up), each chip a box of its application
    cores, each used core a cell coloured by its population (legend), delay-extension cores
    hatched, and each chip labelled with its router entries after compression. Unused cores are
    pale. A machine of more than ``max_chips`` chips is drawn over the used chips' bounding box
    only, to keep the figure readable."""
    import math

    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Rectangle

    m = mapping.machine
    n_cores = m.app_cores_per_chip
    first = m.system_cores_per_chip  # cells are a chip's application cores, in number order
    cols = math.ceil(math.sqrt(n_cores))
    rows = math.ceil(n_cores / cols)
    used = mapping.chips_used
    if m.chips <= max_chips or not used:
        xs, ys = range(m.width), range(m.height)
    else:
        xs = range(min(c[0] for c in used), max(c[0] for c in used) + 1)
        ys = range(min(c[1] for c in used), max(c[1] for c in used) + 1)
    pops = list(dict.fromkeys(s.population for s in mapping.slices))
    cmap = plt.get_cmap("tab20")
    colours = {p: (f"C{k}" if len(pops) <= 10 else cmap(k % 20)) for k, p in enumerate(pops)}
    # a chip is a 0.9 x 0.9 box: cores in its lower 0.7, its label in the band above
    pad, cell_w, cell_h = 0.05, 0.8 / cols, 0.6 / rows

    def cell(chip: tuple[int, int], core: int) -> tuple[float, float]:
        k = core - first
        return (chip[0] + pad + (k % cols) * cell_w,
                chip[1] + pad + (rows - 1 - k // cols) * cell_h)

    fig, ax = _new_axes(ax, figsize)
    chips = [(x, y) for x in xs for y in ys]
    ax.add_collection(PatchCollection(
        [Rectangle(cell(c, k), cell_w, cell_h) for c in chips
         for k in m.chip_cores(c[1] * m.width + c[0])],
        facecolor="0.96", edgecolor="0.8", linewidth=0.3))
    ax.add_collection(PatchCollection([Rectangle(c, 0.9, 0.9) for c in chips],
                                      facecolor="none", edgecolor="0.35", linewidth=0.8))
    for s in mapping.slices:
        if s.chip[0] not in xs or s.chip[1] not in ys:
            continue
        extension = s.kind == "delay_extension"
        ax.add_patch(Rectangle(cell(s.chip, s.core), cell_w, cell_h,
                               facecolor=colours[s.population], edgecolor="k", linewidth=0.3,
                               hatch="////" if extension else None,
                               gid=f"{s.population}:{s.lo}:{s.hi}:{s.kind}"))
    for c in chips:
        entries = len(mapping.routing.get(c, []))
        if c in used or entries:
            ax.text(c[0] + 0.45, c[1] + 0.8, f"({c[0]},{c[1]}) {entries} entr"
                    f"{'y' if entries == 1 else 'ies'}", ha="center", va="center",
                    fontsize="x-small")
    handles = [Patch(facecolor=colours[p], edgecolor="k", linewidth=0.3, label=p) for p in pops]
    if mapping.delay_extensions:
        handles.append(Patch(facecolor="white", edgecolor="k", hatch="////",
                             label="delay extension"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize="small", title="population")
    ax.set_xlim(xs.start - 0.1, xs.stop)
    ax.set_ylim(ys.start - 0.1, ys.stop)
    ax.set_aspect("equal")
    ax.set_xticks([x + 0.45 for x in xs], [str(x) for x in xs])
    ax.set_yticks([y + 0.45 for y in ys], [str(y) for y in ys])
    ax.tick_params(length=0)
    ax.set_xlabel("chip x")
    ax.set_ylabel("chip y")
    ax.set_title(f"{m.name}: {mapping.cores} core(s) on {len(used)} chip(s); router entries "
                 f"per chip (limit {m.router_entries})", fontsize="medium")
    return fig


def save_figure(fig: Figure, path: str | os.PathLike, dpi: float = 150, **savefig_kwargs) -> Path:
    """Save ``fig`` atomically (temporary file in the target folder, then rename), so that a
    crash or a reader watching the file never sees half an image; creates the folder. The format
    follows the file extension."""
    path = Path(path)
    if is_number(dpi) and not is_positive_number(dpi):
        raise ValidationError(f"dpi must be a positive finite number, got {dpi!r}")
    fmt = path.suffix[1:].lower() or matplotlib.rcParams["savefig.format"]
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt, **savefig_kwargs)
    return path


def close(fig: Figure) -> None:
    """Release a figure made here (pyplot keeps every figure alive until it is closed)."""
    plt.close(fig)


__all__ = ["Band", "MissingDataError", "band_spikes", "close", "overview", "placement",
           "population_rate", "raster", "rate_histogram", "resolve_bands", "save_figure",
           "traces"]
