"""Figures and plot data. Matplotlib through Figure objects (Agg), never pyplot: pyplot is a global
registry and not thread-safe, and many students draw at once."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from flower_demo.i18n import class_label, translate

SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#9ecae1", "#fdd0a2")  # training, validation, and their previous run


def _annotate_grid(axes, values: np.ndarray, fmt: str) -> None:
    """Writes each cell's number on a heatmap, in black or white for contrast."""
    span = float(np.abs(values).max()) or 1.0
    for (row, col), value in np.ndenumerate(values):
        colour = "white" if abs(value) > 0.6 * span else "black"
        axes.text(col, row, format(value, fmt), ha="center", va="center", color=colour,
                  fontsize=11 if values.shape[0] <= 3 else 8)
    axes.set_xticks([])
    axes.set_yticks([])


def kernel_figure(kernel: np.ndarray, title: str) -> Figure:
    """The kernel as a heatmap (blue negative, red positive) with its numbers."""
    figure = Figure(figsize=(3.2, 3.2), layout="constrained")
    axes = figure.subplots()
    limit = float(np.abs(kernel).max()) or 1.0
    axes.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    _annotate_grid(axes, kernel, ".3g")
    axes.set_title(title)
    return figure


def step_figure(explanation: dict, kernel: np.ndarray, language: str, grey: bool) -> Figure:
    """One output pixel's arithmetic: per channel, the patch, the kernel, the products and their sum."""
    channels = ["channel_grey"] if grey else ["channel_R", "channel_G", "channel_B"]
    figure = Figure(figsize=(7.5, 2.3 * len(channels) + 0.6), layout="constrained")
    grid = figure.subplots(len(channels), 3, squeeze=False)
    limit = float(np.abs(kernel).max()) or 1.0
    for index, channel in enumerate(channels):
        name = translate(channel, language)
        patch, products = explanation["patches"][index], explanation["products"][index]
        cells = [
            (patch, "Greys_r", 0, 255, f"{translate('step_patch', language)} ({name})", ".0f"),
            (kernel, "RdBu_r", -limit, limit, translate("kernel", language), ".3g"),
            (products, "RdBu_r", -(np.abs(products).max() or 1), np.abs(products).max() or 1,
             f"{translate('step_products', language)}: {translate('step_sum', language)} = "
             f"{explanation['sums'][index]:.1f}", ".1f"),
        ]
        for axes, (values, cmap, low, high, title, fmt) in zip(grid[index], cells):
            axes.imshow(values, cmap=cmap, vmin=low, vmax=high)
            _annotate_grid(axes, values, fmt)
            axes.set_title(title, fontsize=10)
    figure.suptitle(
        f"({explanation['row']}, {explanation['col']}): "
        + translate("step_total", language, total=explanation["total"]), fontsize=10)
    return figure


def class_counts_figure(counts: dict[str, int], language: str) -> Figure:
    figure = Figure(figsize=(6, 3), layout="constrained")
    axes = figure.subplots()
    labels = [class_label(name, language) for name in counts]
    bars = axes.bar(labels, list(counts.values()), color="#4c9a2a")
    axes.bar_label(bars)
    axes.set_title(translate("class_counts", language))
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def image_grid_figure(pictures: list[np.ndarray], titles: list[str] | None = None, title: str = "") -> Figure:
    """Up to nine pictures in a 3x3 grid, as the tutorial's plt.subplot(3, 3, i + 1) loop."""
    figure = Figure(figsize=(7, 7.3), layout="constrained")
    figure.suptitle(title)  # also keeps the first row's labels clear of the plot's own label
    for index, axes in enumerate(figure.subplots(3, 3).flat):
        axes.axis("off")
        if index < len(pictures):
            axes.imshow(pictures[index])
            if titles:
                axes.set_title(titles[index])
    return figure


def curve_frame(curve: list[dict], metric: str, language: str, previous: list[dict] | None = None) -> pd.DataFrame:
    """Long-format rows (step, value, series) for a gr.LinePlot, this run and the previous one.

    The chart fixes its series (and axis types) from the first frame it ever receives, so every
    frame names all four series, previous run included, with one empty (NaN) row each: it draws nothing.
    """
    rows = [(row["step"], row["value"], translate(f"series_{row['series']}", language))
            for row in curve if row["metric"] == metric]
    rows += [(row["step"], row["value"], translate(f"series_previous_{row['series']}", language))
             for row in (previous or []) if row["metric"] == metric]
    rows += [(0.0, float("nan"), name) for name in series_colors(language)]
    frame = pd.DataFrame(rows, columns=["step", "value", "series"])
    return frame.astype({"step": "float64", "value": "float64", "series": "str"})


def series_colors(language: str) -> dict[str, str]:
    names = ("series_training", "series_validation", "series_previous_training", "series_previous_validation")
    return {translate(name, language): colour for name, colour in zip(names, SERIES_COLORS)}
