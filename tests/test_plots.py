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
