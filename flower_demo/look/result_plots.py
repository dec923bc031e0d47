"""The pictures of the Evaluate and Compare runs tabs: the confusion matrix (and which cell a click on
it landed in), and the chosen runs' curves on one chart.

The matrix's figure has a fixed layout (no automatic layout), so the cells sit at the same pixels in
every picture of a matrix of the same size, and `cell_at` turns a click's pixel back into (true,
predicted) without keeping anything per student.

The runs' chart is a matplotlib figure rather than a gr.LinePlot: the LinePlot sets its colours up
from the first series it is given and draws later ones (a run added to the chart) in none, which a
chart of any number of runs cannot work around (Gradio 6.31). It is redrawn when a run ends or a
student ticks another, not twice a second.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from flower_demo.train import runs
from flower_demo.i18n import translate

FIGURE_INCHES = (8.0, 6.4)
DPI = 100  # 800 x 640 pixels: cells of ~90 px, numbers readable from the back of a classroom
AXES = (0.30, 0.22, 0.62, 0.66)  # left, bottom, width, height as fractions of the figure


def confusion_picture(confusion: np.ndarray, row_labels, column_labels, title: str, true_title: str,
                      predicted_title: str) -> np.ndarray:
    """An RGB picture of the matrix: rows the true class, columns the predicted one, a count per cell.

    Each cell is shaded by its share of its row (the photos of that class), so a small class's
    mistakes show as clearly as a large one's.
    """
    confusion = np.asarray(confusion)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    axes = figure.add_axes(AXES)
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (row, col), count in np.ndenumerate(confusion):
        axes.text(col, row, str(count), ha="center", va="center", fontsize=18,
                  color="white" if shares[row, col] > 0.55 else "black",
                  fontweight="bold" if row == col else "normal")
    classes = len(confusion)
    axes.set_xticks(range(classes), column_labels, rotation=30, ha="right", fontsize=13)
    axes.set_yticks(range(classes), row_labels, fontsize=13)
    axes.set_xlabel(predicted_title, fontsize=14)
    axes.set_ylabel(true_title, fontsize=14)
    axes.set_title(title, fontsize=15)
    axes.set_xticks(np.arange(classes + 1) - 0.5, minor=True)
    axes.set_yticks(np.arange(classes + 1) - 0.5, minor=True)
    axes.grid(which="minor", color="white", linewidth=2)
    axes.tick_params(which="minor", length=0)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def cell_at(x: float, y: float, classes: int) -> tuple[int, int] | None:
    """The (row, column) of the cell under pixel (x, y) of `confusion_picture`'s picture, or None
    for a click beside the matrix (on a label, the title, the margin)."""
    width, height = FIGURE_INCHES[0] * DPI, FIGURE_INCHES[1] * DPI
    left, bottom, axes_width, axes_height = AXES
    column = (x / width - left) / axes_width * classes
    row = (y / height - (1 - bottom - axes_height)) / axes_height * classes
    if not (0 <= column < classes and 0 <= row < classes):
        return None
    return int(row), int(column)


def comparison_figure(history: list | None, numbers, metric: str, language: str) -> Figure:
    """The chosen runs' curves: validation in each run's dark colour with a dot per epoch, training in
    its light colour (dashed), on one pair of axes (accuracy 0-1, or loss)."""
    figure = Figure(figsize=(9, 4.2), layout="constrained")
    axes = figure.subplots()
    for run in history or []:
        if run["number"] not in set(numbers or []):
            continue
        dark, light = runs.colours(run)
        for kind, colour, style in (("training", light, dict(linestyle="--", linewidth=2)),
                                    ("validation", dark, dict(marker="o", linewidth=2.5))):
            steps, values = runs.curve(run, metric, kind)
            if steps:
                axes.plot(steps, values, color=colour, label=f"{runs.label(run)} · {translate(f'series_{kind}', language)}",
                          **style)
    if metric == "accuracy":
        axes.set_ylim(0, 1)
    axes.set_xlim(left=0)
    axes.set_xlabel(translate("epoch_axis", language), fontsize=12)
    axes.set_ylabel(translate("accuracy_plot" if metric == "accuracy" else "loss_plot", language), fontsize=12)
    axes.grid(alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if axes.lines:
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=11)
    return figure
