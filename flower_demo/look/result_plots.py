"""The pictures of the Evaluate and Compare runs tabs: the confusion matrix (and which cell a click on
it landed in), and the chosen runs' curves on one chart.

The matrix's figure has a fixed layout (no automatic layout), so the cells sit at the same pixels,
counted from the picture's top-left corner, in every picture of a matrix of the same size, and `cell_at`
turns a click's pixel back into (true, predicted) without keeping anything per student. Any 2 to 10
classes: up to five named beside the matrix, more numbered with their names listed below it.

The runs' chart is a matplotlib figure rather than a gr.LinePlot: the LinePlot sets its colours up
from the first series it is given and draws later ones (a run added to the chart) in none, which a
chart of any number of runs cannot work around (Gradio 6.31). It is redrawn when a run ends or a
student ticks another, not twice a second.

Both are drawn as plots.py's pictures are: 600 px wide with text of at least `plots.text_px(600)` (21
px), 12 px on a phone that shows them 350 px wide.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

from flower_demo.i18n import number, translate
from flower_demo.look.plots import _shortened, _text_width, points, text_px, wrap_text  # plots' own measures
from flower_demo.train import runs

FIGURE_INCHES = (6.0, 6.4)
DPI = 100  # 600 x 640 pixels: cells of 72 px, labels 21 px (12 px on a phone), counts 26 px
_LEFT, _BOTTOM, _SIDE = 228, 208, 360  # pixels: the row labels' margin, the column labels', the matrix
AXES = (_LEFT / 600, _BOTTOM / 640, _SIDE / 600, _SIDE / 640)  # left, bottom, width, height as fractions
# Up to five classes (the flowers, a small set of one's own) each row and column is named beside the
# matrix: a cell of 72 px holds a two-line "name · share" row label. With more, cells shrink (36 px at
# ten in that layout) below two lines of 21 px text, so the matrix is numbered 1..K on both sides, made
# larger (490 px: cells of 49 px at ten, room for a three-digit count) and the names are listed below it.
NAMED_UP_TO = 5
_NUMBERED_LEFT, _NUMBERED_SIDE = 90, 490  # pixels: the numbers' margin (and the upright title), the matrix
_TOP = FIGURE_INCHES[1] * DPI - _BOTTOM - _SIDE  # 72 px above the matrix for the title, in both layouts


def _matrix_box(classes: int) -> tuple[float, float, float]:
    """(left, top, side) of the matrix in the picture's pixels, from its top-left corner. Measured from
    the top, as a click is: a numbered figure grows downwards with its list of names, never above it."""
    if classes <= NAMED_UP_TO:
        return _LEFT, _TOP, _SIDE
    return _NUMBERED_LEFT, _TOP, _NUMBERED_SIDE


def _count_size(confusion: np.ndarray, cell: float, small: int) -> int:
    """The counts' size: 26 px where the widest count fits its cell with room to spare, else the
    smallest text allowed (21 px): a three-digit count in a 49 px cell."""
    widest = max((str(int(count)) for count in confusion.ravel()), key=len, default="0")
    return small + 5 if _text_width(widest, small + 5) <= cell - 10 else small


def _fitted_lines(label: str, width: float, lines: int, size: int) -> list[str]:
    """`label` wrapped to `width` pixels in at most `lines` lines, the last one cut with "…" if the rest
    does not fit (a 30-character class name beside a small matrix)."""
    wrapped = wrap_text(label, width, size)
    if len(wrapped) <= lines:
        return [_shortened(line, width, size) for line in wrapped]  # a single long word: cut too
    kept = wrapped[: max(1, lines)]
    kept[-1] = _shortened(" ".join([kept[-1], *wrapped[len(kept):]]), width, size, ellipsis=True)
    return [_shortened(line, width, size) for line in kept]


def confusion_figure(confusion: np.ndarray, row_labels, column_labels, title: str, true_title: str,
                     predicted_title: str) -> Figure:
    """The matrix as a figure: rows the true class, columns the predicted one, a count per cell.

    Each cell is shaded by its share of its row (the photos of that class), so a small class's
    mistakes show as clearly as a large one's. Up to NAMED_UP_TO classes a row label "name · 80 %" is
    written on two lines, the column labels upright, so none runs into the next (a name too long for its
    place is cut with "…"). With more classes (up to config.MAX_CLASSES) rows and columns are numbered
    and the row labels listed under the matrix, "3 · name · 80 %", one a line: the figure grows taller,
    never narrower than its 21 px text.
    """
    confusion = np.asarray(confusion)
    classes = len(confusion)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    width = FIGURE_INCHES[0] * DPI
    small = text_px(width)
    left, top, side = _matrix_box(classes)
    numbered = classes > NAMED_UP_TO
    key_lines: list[str] = []
    if numbered:
        for index, label in enumerate(row_labels, start=1):
            key_lines += wrap_text(f"{index} · {label}", width - 24, small)
        key_lines = [_shortened(line, width - 24, small) for line in key_lines]
        key_top = top + side + 6 + small * 1.3 + 10 + small * 1.3 + 14  # the numbers, the axis title, a gap
        height = math.ceil(key_top + len(key_lines) * small * 1.25 + 12)
    else:
        height = FIGURE_INCHES[1] * DPI
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    axes = figure.add_axes((left / width, 1 - (top + side) / height, side / width, side / height))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    count_size = _count_size(confusion, side / max(classes, 1), small)
    for (row, col), count in np.ndenumerate(confusion):
        axes.text(col, row, str(int(count)), ha="center", va="center", fontsize=points(count_size),
                  color="white" if shares[row, col] > 0.55 else "black",
                  fontweight="bold" if row == col else "normal")
    if numbered:
        numbers = [str(index) for index in range(1, classes + 1)]
        axes.set_xticks(range(classes), numbers, fontsize=points(small))
        axes.set_yticks(range(classes), numbers, fontsize=points(small))
    else:
        # Upright column names down to the axis title; row names in the lines a cell's height holds.
        below = _BOTTOM - 6 - 8 - small * 1.3 - 10
        axes.set_xticks(range(classes), [_shortened(str(label), below, small) for label in column_labels],
                        rotation=90, fontsize=points(small))
        room = _LEFT - 14 - small * 1.3 - 16  # beside the matrix, right of the upright "true class"
        lines = max(1, int(side / classes // (small * 1.25)))
        rows = [wrap_text(str(label), room, small) for label in row_labels]
        if any(len(wrapped) > 1 for wrapped in rows):  # all alike: every "name · share" on two lines
            rows = [_fitted_lines(str(label).replace(" · ", "\n"), room, lines, small) for label in row_labels]
        else:
            rows = [[_shortened(wrapped[0], room, small)] for wrapped in rows]  # one word wider than the margin
        axes.set_yticks(range(classes), ["\n".join(wrapped) for wrapped in rows], fontsize=points(small))
    axes.tick_params(which="major", length=0, pad=6)
    axes.set_xticks(np.arange(classes + 1) - 0.5, minor=True)
    axes.set_yticks(np.arange(classes + 1) - 0.5, minor=True)
    axes.grid(which="minor", color="white", linewidth=2)
    axes.tick_params(which="minor", length=0)
    figure.text(8 / width, 1 - (top + side / 2) / height, true_title, rotation=90, ha="left", va="center",
                fontsize=points(small))
    if numbered:
        figure.text((left + side / 2) / width, 1 - (top + side + 6 + small * 1.3 + 10) / height, predicted_title,
                    ha="center", va="top", fontsize=points(small))
        figure.text(12 / width, 1 - key_top / height, "\n".join(key_lines), ha="left", va="top",
                    fontsize=points(small), linespacing=1.25)
    else:
        figure.text((left + side / 2) / width, 8 / height, predicted_title, ha="center", va="bottom",
                    fontsize=points(small))
    figure.text(0.5, 1 - 8 / height, "\n".join(wrap_text(title, width - 24, small + 2, bold=True)), ha="center",
                va="top", fontsize=points(small + 2), fontweight="bold")
    return figure


def confusion_picture(confusion: np.ndarray, row_labels, column_labels, title: str, true_title: str,
                      predicted_title: str) -> np.ndarray:
    """`confusion_figure` as an RGB picture (its own pixels, DPI: the ones `cell_at` expects). Up to
    NAMED_UP_TO classes always FIGURE_INCHES; a numbered matrix's picture is as tall as its list."""
    canvas = FigureCanvasAgg(confusion_figure(confusion, row_labels, column_labels, title, true_title,
                                              predicted_title))
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def cell_at(x: float, y: float, classes: int) -> tuple[int, int] | None:
    """The (row, column) of the cell under pixel (x, y) of `confusion_picture`'s picture of a
    `classes` x `classes` matrix, or None for a click beside the matrix (a label, the title, the margin)."""
    left, top, side = _matrix_box(classes)
    column = (x - left) / side * classes
    row = (y - top) / side * classes
    if not (0 <= column < classes and 0 <= row < classes):
        return None
    return int(row), int(column)


LINE_CONTRAST = 3.0  # WCAG 2.1 non-text contrast: a line against the chart's white
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")  # one per run, so runs differ beyond colour


def _luminance(colour) -> float:
    from matplotlib.colors import to_rgb

    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(colour) -> float:
    """WCAG contrast ratio of `colour` against white (1 to 21)."""
    return 1.05 / (_luminance(colour) + 0.05)


def run_colour(run: dict) -> str:
    """The colour a run's two curves are drawn in: its own (runs.colours' dark one), darkened where
    needed (orange, pink, olive, cyan) to LINE_CONTRAST against white, so an older run's lines read
    as well as the newest's."""
    from matplotlib.colors import to_hex, to_rgb

    colour = np.array(to_rgb(runs.colours(run)[0]))
    while contrast_on_white(colour) < LINE_CONTRAST + 0.1:
        colour = colour * 0.95
    return to_hex(colour)


class _Ticks(Formatter):
    """Tick labels the reader's way ("0,5" in Spanish, "0.5" in English; "80 %" in both), every label
    of an axis with the same decimals, as few as its ticks need."""

    def __init__(self, language: str, scale: float = 1.0, suffix: str = ""):
        super().__init__()
        self.language, self.scale, self.suffix = language, scale, suffix

    def format_ticks(self, values):
        scaled = [self.scale * value for value in values]
        decimals = next((digits for digits in range(4)
                         if all(abs(round(value, digits) - value) < 1e-9 for value in scaled)), 4)
        return [number(value + 0.0, f".{decimals}f", self.language) + self.suffix for value in scaled]

    def __call__(self, value, position=None):
        return self.format_ticks([value])[0]


def comparison_figure(history: list | None, numbers, metric: str, language: str) -> Figure:
    """The chosen runs' curves on one pair of axes (accuracy 0-100 %, or loss): each run in its own
    colour (`run_colour`), validation solid with the run's marker at each epoch, training dashed. The key
    sits below the chart, two entries a row (the runs, then which line is which), so it stays readable at
    350 px."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    width = 600
    small = text_px(width)
    chosen = [run for run in history or [] if run["number"] in set(numbers or [])]
    key_rows = -(-len(chosen) // 2) + 1 if chosen else 0
    figure = Figure(figsize=(width / DPI, 3.8 + 0.36 * key_rows), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    entries = []
    for run in chosen:
        colour, marker = run_colour(run), MARKERS[(run["number"] - 1) % len(MARKERS)]
        for kind, style in (("training", dict(linestyle="--", linewidth=2.2)),
                            ("validation", dict(marker=marker, markersize=7, linewidth=2.8))):
            steps, values = runs.curve(run, metric, kind)
            if steps:
                axes.plot(steps, values, color=colour,
                          label=f"{runs.label(run)} · {translate(f'series_{kind}', language)}", **style)
        entries.append(Line2D([], [], color=colour, marker=marker, markersize=7, linewidth=2.8,
                              label=runs.label(run)))
    if metric == "accuracy":
        axes.set_ylim(0, 1)
        axes.set_yticks(np.linspace(0, 1, 6))
        axes.yaxis.set_major_formatter(_Ticks(language, scale=100, suffix=" %"))
    else:
        axes.yaxis.set_major_locator(MaxNLocator(5))
        axes.yaxis.set_major_formatter(_Ticks(language))
    axes.set_xlim(left=0)
    axes.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    axes.xaxis.set_major_formatter(_Ticks(language))
    axes.tick_params(labelsize=points(small))
    axes.set_xlabel(translate("epoch_axis", language), fontsize=points(small))
    axes.set_ylabel(translate("accuracy_plot" if metric == "accuracy" else "loss_plot", language),
                    fontsize=points(small))
    axes.grid(alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if axes.lines:
        # Two columns filled top to bottom: runs 1, 3, ... then "validation" on the left; 2, 4, ... then
        # "training" on the right (an odd number of runs gets a blank entry).
        if len(entries) % 2:
            entries.append(Line2D([], [], linestyle="none", label=" "))
        styles = [Line2D([], [], color="#333333", linewidth=2.8, label=translate("series_validation", language)),
                  Line2D([], [], color="#333333", linestyle="--", linewidth=2.2,
                         label=translate("series_training", language))]
        handles = entries[0::2] + styles[:1] + entries[1::2] + styles[1:]
        figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=points(small),
                      handlelength=2.4, columnspacing=1.2)
    return figure
