"""Issue 35: every picture the app draws can be read from the back of a room and on a phone.

A 390 px phone shows a picture at most 350 px wide (no box scrolls sideways), so a picture W pixels
wide is shrunk by 350 / W there (never enlarged); its smallest text, so shrunk, must still be 12 px.
Measured on what is drawn: each matplotlib Text artist the canvas actually draws (its font size at the
figure's dpi, its box on the canvas), and each text the PIL sheets draw (through plots._draw_text: its
size and box). No two texts may overlap, none may run off its picture, and numbers are written the
reader's way ("80,9 %", "0,5" in Spanish; "80.9 %", "0.5" in English).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from flower_demo import config
from flower_demo.i18n import class_label, translate
from flower_demo.look import kernels, plots, result_plots

PHONE_WIDTH, SMALLEST = 350, 12
LANGUAGES = ("es", "en")


@dataclasses.dataclass
class Drawn:
    text: str
    size: float  # font size in pixels
    box: tuple[float, float, float, float]  # left, bottom, right, top (or top, bottom for PIL) in pixels


def at_phone_size(size: float, width: float) -> float:
    """A text `size` px tall in a picture `width` px wide, as a phone shows it (at most 350 px wide)."""
    return size * min(1.0, PHONE_WIDTH / width)


def drawn_figure(figure) -> tuple[list[Drawn], int, int]:
    """Every text the canvas draws (tick labels of hidden axes are not), with the figure's size."""
    drawn = []
    original = Text.draw

    def spy(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Text, "draw", spy)
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
    renderer = canvas.get_renderer()
    width, height = canvas.get_width_height()
    texts = [Drawn(text.get_text(), text.get_fontsize() * figure.dpi / 72,
                   tuple(text.get_window_extent(renderer).extents)) for text in drawn]
    return texts, width, height


def drawn_sheet(make):
    """(picture, texts) of a picture drawn with PIL: every text goes through plots._draw_text."""
    drawn, draws = [], set()
    original = plots._draw_text

    def spy(draw, xy, text, size, *args, **kwargs):
        box = original(draw, xy, text, size, *args, **kwargs)
        draws.add(id(draw))
        if text.strip():
            drawn.append(Drawn(text, size, tuple(box)))
        return box

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "_draw_text", spy)
        picture = make()
    assert len(draws) <= 1  # all on the picture itself, so the boxes share its coordinates
    return picture, drawn


def overlapping(texts: list[Drawn], tolerance: float = 0.5) -> list[tuple[str, str]]:
    pairs = []
    for index, first in enumerate(texts):
        for second in texts[index + 1 :]:
            across = min(first.box[2], second.box[2]) - max(first.box[0], second.box[0])
            up = min(first.box[3], second.box[3]) - max(first.box[1], second.box[1])
            if across > tolerance and up > tolerance:
                pairs.append((first.text, second.text))
    return pairs


def outside(texts: list[Drawn], width: int, height: int, tolerance: float = 0.5) -> list[str]:
    return [text.text for text in texts if text.box[0] < -tolerance or text.box[1] < -tolerance
            or text.box[2] > width + tolerance or text.box[3] > height + tolerance]


def assert_readable(texts: list[Drawn], width: int, height: int) -> None:
    assert texts, "nothing was written"
    smallest = min(texts, key=lambda text: text.size)
    assert at_phone_size(smallest.size, width) >= SMALLEST, (smallest, width)
    assert not overlapping(texts)
    assert not outside(texts, width, height)


# --- the pictures, as the tabs ask for them ------------------------------------------------------

RNG = np.random.default_rng(35)
CHANNELS = RNG.integers(0, 256, (12, 10, 3)).astype(np.float32)
GAUSSIAN_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(np.float32) / 256
RANDOM_5 = (RNG.normal(size=(5, 5)) * 3).astype(np.float32)
EXTREME_5 = np.where(RNG.random((5, 5)) > 0.5, 1000.0, -999.5).astype(np.float32)  # the largest weights allowed


def step(kernel, grey: bool, language: str):
    channels = CHANNELS[..., :1] if grey else CHANNELS
    return plots.step_figure(kernels.explain_pixel(channels, kernel, 4, 4), kernel, language, grey=grey)


def fake_run(number: int, preset: str) -> dict:
    curve = []
    for epoch in range(1, 11):
        curve += [{"step": epoch - 0.5, "value": 0.3 + 0.05 * epoch, "metric": "accuracy", "series": "training"},
                  {"step": float(epoch), "value": 0.25 + 0.04 * epoch, "metric": "accuracy", "series": "validation"},
                  {"step": epoch - 0.5, "value": 1.6 - 0.1 * epoch, "metric": "loss", "series": "training"},
                  {"step": float(epoch), "value": 1.7 - 0.09 * epoch, "metric": "loss", "series": "validation"}]
    return {"number": number, "preset": preset, "curve": curve}


HISTORY = [fake_run(number, preset) for number, preset in
           enumerate(["seed", "seed_augmented", "flower_cnn", "seed_augmented", "seed", "seed", "flower_cnn",
                      "seed", "seed_augmented", "seed"], start=1)]
CONFUSION = np.array([[100, 5, 3, 2, 9], [4, 150, 2, 8, 1], [3, 2, 110, 0, 12], [1, 6, 0, 120, 3], [7, 1, 15, 2, 999]])


def confusion(language: str, empty_class: bool = False):
    """The matrix as evaluate.py labels it: "name · share" rows ("—" for a class with no photo)."""
    matrix = CONFUSION.copy()
    if empty_class:
        matrix[2] = 0
    names = [class_label(name, language) for name in config.CLASS_NAMES]
    counts = matrix.sum(axis=1)
    shares = [f"{100 * row[index] / count:.0f} %" if count else "—" for index, (row, count) in
              enumerate(zip(matrix, counts))]
    return result_plots.confusion_figure(
        matrix, [f"{name} · {share}" for name, share in zip(names, shares)], names,
        translate("confusion_title", language, accuracy=80.94), translate("confusion_true", language),
        translate("confusion_predicted", language))


FIGURES = {
    **{f"kernel {name}": (lambda language, name=name: plots.kernel_figure(
        kernels.KERNELS[name], translate(f"kernel_{name}", language), language)) for name in kernels.KERNELS},
    "kernel 5x5 gaussian": lambda language: plots.kernel_figure(GAUSSIAN_5, translate("kernel_custom", language),
                                                                language),
    "kernel 5x5 extreme": lambda language: plots.kernel_figure(EXTREME_5, translate("kernel_custom", language),
                                                               language),
    "step 3x3 colour": lambda language: step(kernels.KERNELS["sobel_x"], False, language),
    "step 3x3 grey blur": lambda language: step(kernels.KERNELS["blur"], True, language),
    "step 5x5 colour": lambda language: step(RANDOM_5, False, language),
    "step 5x5 gaussian grey": lambda language: step(GAUSSIAN_5, True, language),
    "step 5x5 extreme": lambda language: step(EXTREME_5, False, language),
    "class counts": lambda language: plots.class_counts_figure(
        dict(zip(config.CLASS_NAMES, (633, 898, 641, 699, 799))), language),
    "sample grid": lambda language: plots.image_grid_figure(
        [RNG.integers(0, 256, (180, 180, 3)).astype(np.uint8)] * 9,
        [class_label(config.CLASS_NAMES[index % 5], language) for index in range(9)],
        translate("sample_grid", language)),
    "comparison of four": lambda language: result_plots.comparison_figure(HISTORY[:4], [1, 2, 3, 4], "accuracy",
                                                                          language),
    "comparison of ten, loss": lambda language: result_plots.comparison_figure(HISTORY, range(1, 11), "loss",
                                                                               language),
    "comparison of one": lambda language: result_plots.comparison_figure(HISTORY, [3], "accuracy", language),
    "comparison of none": lambda language: result_plots.comparison_figure(HISTORY, [], "loss", language),
    "confusion": confusion,
    "confusion, a class without photos": lambda language: confusion(language, empty_class=True),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(FIGURES))
def test_a_figure_reads_at_12_px_on_a_phone_and_no_text_overlaps(name, language):
    texts, width, height = drawn_figure(FIGURES[name](language))
    assert_readable(texts, width, height)


def test_the_confusion_picture_is_its_figure_at_the_clickable_size():
    picture = result_plots.confusion_picture(CONFUSION, list("abcde"), list("abcde"), "t", "true", "predicted")
    assert picture.shape[:2] == (round(result_plots.FIGURE_INCHES[1] * result_plots.DPI),
                                 round(result_plots.FIGURE_INCHES[0] * result_plots.DPI))


def stages(language: str, per_stage: int, key: str = "stage_caption"):
    """Five stages as inside.feature_maps gives them for the shipped network (its layer names)."""
    rows = []
    for index, (side, channels) in enumerate([(90, 32), (45, 48), (22, 96), (11, 192), (5, 320)], start=1):
        shown = min(per_stage, channels)
        title = translate(key, language, index=index, layer=f"separable_conv2d_{index}", height=side, width=side,
                          channels=channels, shown=shown, count=shown)
        rows.append((title, RNG.random((side, side, shown)).astype(np.float32),
                     tuple(range(channels - shown, channels))))
    return rows


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("per_stage,key", [(12, "stage_caption"), (24, "figure_stage_caption"),
                                           (1, "figure_stage_caption")])
def test_the_feature_map_sheet_reads_on_a_phone(language, per_stage, key):
    sheet, texts = drawn_sheet(lambda: plots.feature_map_sheet(stages(language, per_stage, key)))
    height, width, _ = sheet.shape
    assert_readable(texts, width, height)
    titles = [text.size for text in texts if not text.text.startswith("#")]
    assert min(titles) > min(text.size for text in texts)  # the stage titles stand out


def filter_captions(language: str, key: str, count: int) -> list[str]:
    names = [translate(f"kernel_{name}", language).split(" (")[0] for name in kernels.KERNELS]
    return [translate(key, language, index=index, kernel=names[index % len(names)], similarity=0.83 - index / 20)
            for index in range(count)]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", ["filter_caption", "figure_filter_caption"])
def test_the_filter_sheet_reads_on_a_phone(language, key):
    weights = RNG.normal(size=(3, 3, 3, 32)).astype(np.float32)
    sheet, texts = drawn_sheet(lambda: plots.filter_sheet(weights, filter_captions(language, key, 32)))
    height, width, _ = sheet.shape
    assert_readable(texts, width, height)
    assert {text.size for text in texts} == {plots.FILTER_TEXT_PX}
    if key == "figure_filter_caption":  # the recommended caption fits whole: nothing cut
        lines = [text.text for text in texts]
        assert not any(line.endswith("…") for line in lines)
        assert {"es": "#31 · -0,72", "en": "#31 · -0.72"}[language] in lines
        assert {"es": "Desenfoque", "en": "Gaussian"}[language] in lines  # "Desenfoque gaussiano" on two lines


def test_a_corner_label_sized_for_its_sheet_reads_on_a_phone():
    """The augmentation tab's 3 × 3 sheet of 180 px photos (548 px wide) marks CutMix shares in corners."""
    sheet_width = 3 * config.TUTORIAL_IMAGE_SIZE + 2 * 4
    tile = RNG.integers(0, 256, (config.TUTORIAL_IMAGE_SIZE, config.TUTORIAL_IMAGE_SIZE, 3)).astype(np.uint8)
    for language in LANGUAGES:
        text = translate("cutmix_share", language, share=100)
        _, texts = drawn_sheet(lambda: plots.corner_label(tile, text, size=plots.text_px(sheet_width)))
        assert at_phone_size(texts[0].size, sheet_width) >= SMALLEST
        assert not outside(texts, config.TUTORIAL_IMAGE_SIZE, config.TUTORIAL_IMAGE_SIZE)


def test_the_rule_itself():
    assert [plots.text_px(width) for width in (200, 350, 600, 700, 908)] == [12, 12, 21, 24, 32]


# --- numbers and words in the reader's language --------------------------------------------------

DECIMAL = {"es": (re.compile(r"\d,\d"), re.compile(r"\d\.\d")), "en": (re.compile(r"\d\.\d"), re.compile(r"\d,\d"))}


def words(figure) -> list[str]:
    return [text.text for text in drawn_figure(figure)[0]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_write_decimals_and_percentages_the_readers_way(language):
    right, wrong = DECIMAL[language]
    figures = {name: words(FIGURES[name](language)) for name in
               ("kernel blur", "step 3x3 grey blur", "step 5x5 colour", "comparison of ten, loss", "confusion",
                "comparison of four")}
    for name, texts in figures.items():
        assert not [text for text in texts if wrong.search(text)], name
        assert name == "comparison of four" or any(right.search(text) for text in texts), name
    assert ("0,111" if language == "es" else "0.111") in figures["kernel blur"]
    assert any(("80,9 %" if language == "es" else "80.9 %") in text for text in figures["confusion"])
    percentages = [text for text in figures["comparison of four"] if text.endswith("%")]
    assert percentages == [f"{value} %" for value in range(0, 101, 20)]  # a space before %, in both


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_speak_the_pages_language(language):
    step_words = " ".join(words(FIGURES["step 3x3 colour"](language)))
    chart_words = " ".join(words(FIGURES["comparison of four"](language)))
    if language == "es":
        assert all(word in step_words for word in ("Parche", "Productos", "suma", "Píxel de salida"))
        assert all(word in chart_words for word in ("época", "Exactitud", "validación", "entrenamiento"))
        assert not re.search(r"\b(Patch|Products|sum|epoch|Accuracy|training)\b", step_words + chart_words)
    else:
        assert all(word in step_words for word in ("Patch", "Products", "sum", "Output pixel"))
        assert all(word in chart_words for word in ("epoch", "Accuracy", "validation", "training"))
        assert not re.search(r"\b(Parche|Productos|suma|época|Exactitud)\b", step_words + chart_words)


def test_stage_titles_agree_in_number():
    values = dict(index=1, layer="conv2d", height=90, width=90, channels=32)
    assert translate("figure_stage_caption", "es", count=1, **values).endswith("el canal más activo")
    assert translate("figure_stage_caption", "es", count=12, **values).endswith("los 12 canales más activos")
    assert translate("figure_stage_caption", "en", count=1, **values).endswith("the most active channel")
    assert translate("figure_stage_caption", "en", count=12, **values).endswith("the 12 most active channels")


# --- every run's lines stand out from the white -------------------------------------------------

def test_every_runs_lines_reach_3_to_1_contrast_on_white():
    figure = result_plots.comparison_figure(HISTORY, range(1, 11), "accuracy", "en")
    lines = figure.axes[0].lines
    assert len(lines) == 20
    assert min(result_plots.contrast_on_white(line.get_color()) for line in lines) >= 3.0
    assert len({line.get_color() for line in lines}) == 10  # each run its own colour
    assert len({line.get_marker() for line in lines if line.get_linestyle() == "-"}) == 10  # and its own marker
    assert {line.get_linestyle() for line in lines} == {"-", "--"}  # validation solid, training dashed
