"""Issue 35 for the Kernels, Dataset and Augmentation tabs: alt texts in the page's language, the
language switch's redraws, and (in Chromium) each tab's result beside its controls on a projector and no
sideways scrolling on a phone."""

from __future__ import annotations

import re
import types

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from flower_demo.look import kernels as kernel_math
from flower_demo.tabs import augmentation, dataset, kernels
from tests.fake_flowers import synthetic_photo
from tests.test_browser import browser  # noqa: F401  (the shared Chromium)
from tests.test_browser import pytestmark as BROWSER  # the browser mark, and its skip without Chromium


def _request(lang: str):
    return types.SimpleNamespace(query_params={"lang": lang}, headers={}, session_hash=None)


def _alt(update: gr.Image) -> str:
    """The alt text a handler's gr.Image update sets (what Gradio sends to the page)."""
    return update.constructor_args["alt_text"]


def _value(update: gr.Image) -> np.ndarray:
    return update.constructor_args["value"]


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("photo") / "rose.png"
    Image.fromarray(synthetic_photo("roses", 1, size=(60, 45))).save(path)
    return str(path)


@pytest.mark.parametrize("lang,words", [("es", ("Kernel Sobel X (bordes verticales) aplicado a la foto",
                                                "Un anillo amarillo marca el píxel de salida (fila 10, columna 20)")),
                                        ("en", ("Sobel X (vertical edges) applied to the photo",
                                                "A yellow ring marks the output pixel (row 10, column 20)"))])
def test_the_filtered_photo_says_what_it_shows(photo, lang, words):
    picture, notes = kernels.convolve_picture(photo, "sobel_x", "color", 1, "same", None, 10, 20,
                                              request=_request(lang))
    assert isinstance(picture, gr.Image) and _value(picture).shape[:2] == (45, 60)
    for word in words:
        assert word in _alt(picture)
    assert re.search(r"(queda|brightest) ", _alt(picture))  # where the edges are strongest
    assert "60×45" in _alt(picture)
    without_ring, _ = kernels.convolve_picture(photo, "blur", "grey", 1, "same", None, request=_request(lang))
    assert "(" not in _alt(without_ring).split(":")[-1] and ("grises" in _alt(without_ring)
                                                                 or "greyscale" in _alt(without_ring))


def test_the_figures_are_pictures_with_alt_texts_and_the_api_keeps_its_plots(photo):
    kernel_picture, step_picture = kernels.explain_pictures(photo, "sharpen", "color", 1, "same", None, 5, 6,
                                                            request=_request("es"))
    assert _value(kernel_picture).shape[1] == 400 and _value(step_picture).shape[1] >= 600  # drawn readable
    assert "El kernel Enfoque: 3×3 pesos" in _alt(kernel_picture) and "0 -1 0; -1 5 -1; 0 -1 0" in _alt(kernel_picture)
    assert "(fila 5, columna 6)" in _alt(step_picture) and re.search(r"R -?\d+,\d", _alt(step_picture))
    small = kernels.explain_pictures(photo, "blur", "grey", 1, "same", None, 5, 6, request=_request("en"))[0]
    assert "0.111 0.111 0.111" in _alt(small)
    kernel_figure, step_figure = kernels.explain(photo, "sharpen", "color", 1, "same", None, 5, 6)
    assert type(kernel_figure).__module__.startswith("matplotlib")  # what API clients get, as before
    picture, notes = kernels.convolve(photo, "sharpen", "color", 1, "same", None, 5, 6)
    assert isinstance(picture, np.ndarray) and isinstance(notes, str)


def test_the_kernels_tab_redraws_in_the_new_language(photo):
    grid = kernels.resize_custom_grid(3)
    spanish = kernels.redraw(photo, "custom", "color", 1, "same", grid, 3, 4, request=_request("es"))
    english = kernels.redraw(photo, "custom", "color", 1, "same", grid, 3, 4, request=_request("en"))
    assert len(spanish) == len(english) == 4
    assert "aplicado a la foto" in _alt(spanish[0]) and "applied to the photo" in _alt(english[0])
    assert "Cómo se muestra" in spanish[1] and "How it is shown" in english[1]
    assert all(isinstance(value, gr.Image) for value in (*spanish[2:], *english[2:]))
    nothing = kernels.redraw(None, "edge", "color", 1, "same", None, 3, 4, request=_request("en"))
    assert all(isinstance(value, type(gr.skip())) for value in nothing)


def test_every_kernel_has_an_effect_and_every_place_a_name():
    from flower_demo.i18n import TEXTS

    effects = [name for name in kernel_math.KERNELS] + [f"custom_{mapping}" for mapping in
                                                         (kernel_math.DISPLAY_ABS, kernel_math.DISPLAY_CLIP)]
    places = [place for row in kernels._PLACES for place in row]
    for lang in ("es", "en"):
        assert all(f"kernels_effect_{name}" in TEXTS[lang] for name in effects)
        assert all(f"kernels_where_{place}" in TEXTS[lang] for place in places)
    bright_corner = np.zeros((90, 90), np.uint8)
    bright_corner[60:, :30] = 255
    assert kernels._brightest_place(bright_corner) == "bottom_left"


def test_the_dataset_page_names_each_class_in_its_language(flower_folder, monkeypatch):
    monkeypatch.setenv("FLOWER_DATA_DIR", str(flower_folder))
    values = dataset.show_dataset_page(request=_request("es"), progress=lambda *args, **kwargs: None)
    summary, counts, grid, shapes, normalised, overview = values
    assert "margaritas (`daisy`)" in summary and "dientes de león (`dandelion`)" in summary
    assert _alt(counts).startswith("Barras con las fotos de cada clase: margaritas ")
    assert "primeras 9 fotos de entrenamiento" in _alt(grid)
    assert _value(counts).ndim == 3 and _value(grid).ndim == 3
    english = dataset.redraw(overview, request=_request("en"))
    assert "daisies (`daisy`)" in english[0] and "roses (" not in english[0]  # no folder name beside its own
    assert _alt(english[1]).startswith("Bars with each class's photos: daisies")
    assert isinstance(english[5], type(gr.skip()))  # the overview kept as it is
    assert all(isinstance(value, type(gr.skip())) for value in dataset.redraw(None, request=_request("en")))
    # The API's answer is as before: matplotlib figures.
    api = dataset.show_dataset(request=_request("en"), progress=lambda *args, **kwargs: None)
    assert len(api) == 5 and type(api[1]).__module__.startswith("matplotlib")


def test_the_nine_say_what_was_done_to_them():
    from flower_demo.recipes import Augmentation

    spanish = augmentation._alt_text(Augmentation(True, 0.1, 0.25, 0.0), 7, None, "es")
    assert spanish == ("Nueve versiones aumentadas de la foto en una cuadrícula de 3×3 (semilla 7): volteo "
                       "horizontal al azar; giros de hasta ±0,1 de vuelta; zoom de hasta ±25 %.")
    english = augmentation._alt_text(Augmentation(False, 0, 0, 0), 3, [0.0, 0.31, 0.0, 0.5], "en")
    assert "no changes" in english
    assert "2 have a box of the second photo pasted in: no. 2 (31% of its area); no. 4" in english
    one = augmentation._alt_text(Augmentation(False, 0, 0, 0.2), 3, [0.0, 0.2], "es")
    assert "1 lleva pegado un recuadro de la segunda foto: n.º 2 (20 % del área)" in one
    assert "ninguna" in augmentation._alt_text(Augmentation(), 3, [0.0] * 9, "es")


def test_the_nine_are_redrawn_only_when_shown(photo):
    assert isinstance(augmentation.redraw(False, photo, True, 0.1, 0.1, 0, 0, 0, None, request=_request("en")),
                      type(gr.skip()))


SWITCH_TO_SPANISH = """async () => {
    const core = performance.getEntriesByType('resource').map(e => e.name)
        .find(n => /\\/assets\\/core-[^/?]*\\.js$/.test(n));
    (await import(core)).changeLocale('es');
}"""  # the footer's language choice, as tests/axe_audit.py and the boot script do it
SIDEWAYS = """() => [...document.querySelectorAll('*')].filter(el => el.offsetParent !== null
    && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth + 1)
    .map(el => el.id || el.className.toString()).concat(
    document.documentElement.scrollWidth > document.documentElement.clientWidth ? ['the page'] : [])"""


def _alt_starts(page, selector: str, start: str) -> None:
    page.wait_for_function("([selector, start]) => (document.querySelector(selector) || {}).alt?.startsWith(start)",
                           arg=[f"{selector} img", start])  # also in a tab not shown


def _in_sight(box, height: int) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@BROWSER[0]
@BROWSER[1]
def test_each_result_beside_its_controls_named_and_redrawn(app_url, browser, tmp_path):  # noqa: F811
    """On a projector: each tab's main control and its result in sight together, the pictures' alt texts
    set, sliders that redraw by keys, Apply keeping the ring, and a switch to Spanish redrawing it all."""
    page = browser.new_page(locale="en", viewport={"width": 1366, "height": 768})
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}?lang=en")
    _alt_starts(page, "#filtered", "Edges (Laplacian) applied to the photo")
    assert "row 100, column 100" in page.locator("#filtered img").get_attribute("alt")
    assert _in_sight(page.get_by_role("button", name="Apply kernel").bounding_box(), 768)
    assert _in_sight(page.locator("#filtered img").bounding_box(), 768)
    row = page.get_by_label("range slider for Output pixel row")
    row.focus()
    row.press("ArrowRight")  # Gradio's `.release` missed this; `.input` does not
    page.wait_for_function("() => document.querySelector('#filtered img').alt.includes('row 101')")
    page.wait_for_function("() => document.querySelector('#step-plot img').alt.includes('row 101')")
    page.get_by_role("button", name="Apply kernel").click()
    page.wait_for_timeout(1000)
    assert "row 101" in page.locator("#filtered img").get_attribute("alt")  # Apply keeps the ring
    page.get_by_text("The ring on the filtered image").wait_for()

    page.get_by_role("tab", name="Dataset", exact=True).click()
    page.get_by_role("button", name="Load the dataset").click()
    _alt_starts(page, "#sample-grid", "The first 9 training photos")
    _alt_starts(page, "#class-counts", "Bars with each class's photos: daisies")
    assert _in_sight(page.locator("#class-counts img").bounding_box(), 768)

    page.get_by_role("tab", name="Augmentation", exact=True).click()
    _alt_starts(page, "#augmented", "Nine augmented versions")
    assert _in_sight(page.locator("#augmented img").bounding_box(), 768)  # the bottom row too
    assert _in_sight(page.get_by_role("button", name="9 other variations").bounding_box(), 768)
    rotation = page.get_by_label("range slider for Rotation (fraction of a turn)")
    rotation.focus()
    rotation.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#augmented img').alt.includes('±0.11')")

    page.evaluate(SWITCH_TO_SPANISH)
    _alt_starts(page, "#augmented", "Nueve versiones aumentadas")
    _alt_starts(page, "#sample-grid", "Las primeras 9 fotos")
    _alt_starts(page, "#filtered", "Kernel Bordes (Laplaciano) aplicado a la foto")
    _alt_starts(page, "#step-plot", "Paso a paso del píxel de salida (fila 101")
    page.get_by_text("El anillo en la imagen filtrada").wait_for(state="attached")  # in the Kernels tab, not shown
    page.close()


@BROWSER[0]
@BROWSER[1]
def test_nothing_scrolls_sideways_on_a_phone(app_url, browser):  # noqa: F811
    page = browser.new_page(locale="en", viewport={"width": 390, "height": 844})
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}?lang=en")
    page.locator("#step-plot img").wait_for(state="attached")
    page.locator("#step-plot").evaluate("box => box.scrollIntoView()")
    page.locator("#step-plot img").wait_for()
    assert page.evaluate(SIDEWAYS) == []
    page.get_by_role("tab", name="Dataset", exact=True).click()
    page.get_by_role("button", name="Load the dataset").click()
    page.locator("#sample-grid img").wait_for()
    assert page.evaluate(SIDEWAYS) == []
    page.get_by_role("tab", name="Augmentation", exact=True).click()
    page.locator("#augmented img").wait_for()
    assert page.evaluate(SIDEWAYS) == []
    page.close()
