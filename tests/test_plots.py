"""Plot data and figures: typed long-format frames for the live curves, figures that render."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from flower_demo.look import kernels, plots
from flower_demo.tabs import training as training_tab

CURVE = [
    {"step": 0.5, "value": 0.4, "metric": "accuracy", "series": "training"},
    {"step": 0.5, "value": 1.2, "metric": "loss", "series": "training"},
    {"step": 1.0, "value": 0.5, "metric": "accuracy", "series": "validation"},
]


def test_curve_frame_is_numeric_and_names_every_series_from_the_start():
    empty = training_tab.curve_frame([], "accuracy", "en")
    assert str(empty["step"].dtype) == "float64" and str(empty["value"].dtype) == "float64"
    # all four series, previous run included, are named from the first frame, with nothing to draw
    assert sorted(empty["series"]) == sorted(training_tab.series_colors("en")) and empty["value"].isna().all()

    frame = training_tab.curve_frame(CURVE, "accuracy", "es", previous=CURVE)
    drawn = frame.dropna()
    assert sorted(drawn["series"]) == ["entrenamiento", "entrenamiento (anterior)", "validación", "validación (anterior)"]
    assert set(frame["series"]) <= set(training_tab.series_colors("es"))
    assert drawn["value"].tolist() == [0.4, 0.5, 0.4, 0.5]


def _pixels(figure) -> np.ndarray:
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def test_figures_render():
    kernel = kernels.KERNELS["sobel_x"]
    channels = np.random.default_rng(0).integers(0, 256, (12, 10, 3)).astype(np.float32)
    explanation = kernels.explain_pixel(channels, kernel, 4, 4)
    for figure in (plots.kernel_figure(kernel, "Sobel X"), plots.step_figure(explanation, kernel, "en", grey=False),
                   plots.class_counts_figure({"daisy": 3, "roses": 5}, "es"),
                   plots.image_grid_figure([np.zeros((8, 8, 3), np.uint8)] * 9, ["daisy"] * 9, "Nine")):
        pixels = _pixels(figure)
        assert pixels.shape[2] == 4 and pixels[..., :3].std() > 0  # something was drawn


def test_a_click_on_the_filter_sheet_finds_its_filter():
    weights = np.random.default_rng(5).normal(size=(3, 3, 3, 10)).astype(np.float32)
    sheet = plots.filter_sheet(weights, [f"#{index}" for index in range(10)])
    width, height = plots.FILTER_CELL
    assert sheet.shape == (3 * height, plots.FILTER_COLUMNS * width, 3)  # three rows of four
    for index in range(10):
        row, column = divmod(index, plots.FILTER_COLUMNS)
        assert plots.filter_at((column + 0.5) * width, (row + 0.5) * height, 10) == index
        assert plots.filter_at(column * width, row * height, 10) == index  # its top left corner
    assert [plots.filter_at(x, y, 10) for x, y in ((2.5 * width, 2.5 * height), (-1, 3), (4 * width + 1, 5))] \
        == [None, None, None]


def test_text_wraps_at_separators_then_between_words():
    assert plots.wrap_text("diente de león · 91 %", 170, 21) == ["diente de león", "91 %"]
    assert plots.wrap_text("Etapa 1: conv2d · 90 × 90 × 32 · los 12 canales más activos", 660, 26, bold=True) \
        == ["Etapa 1: conv2d · 90 × 90 × 32", "los 12 canales más activos"]
    assert plots.wrap_text("#13 ≈ Sobel X\n+0,48", 110, 21) == ["#13 ≈", "Sobel X", "+0,48"]  # no lone "X"
    assert plots.wrap_text("short", 500, 21) == ["short"]
