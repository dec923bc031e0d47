"""Issue 23: what a class meets first, in Spanish and English, on a projector, a tablet and a phone.

One page per language and screen checks several points each: every tab in sight (no "More tabs"),
the Kernels tab's photo beside its filtered version with the chosen pixel ringed and sliders that end
at the output's size, readable step-by-step numbers, the custom grid opening, decimal marks, nine
augmented photos without a click, Classify's five-class explanation and its unsure warning on a
picture that is no flower, the true class of a dataset photo and of an Example, and a one-epoch run
with its translated summary. A second test has two students share the training slot.
Screenshots go to $WALKTHROUGH_DIR when set (to look at), else to pytest's temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.test_browser import browser, pytestmark  # noqa: F401  (the shared Chromium, the browser mark, its skip)

VIEWPORTS = {"projector": (1366, 768), "tablet": (768, 1024), "phone": (390, 844)}
TEXT = {
    "es": {"tabs": ["Kernels", "Datos", "Aumento de datos", "Entrenamiento", "Clasificar", "Dentro de la red"],
           "ring": "El anillo en la imagen filtrada", "row": "Fila del píxel de salida", "kernel": "Kernel",
           "custom": "Personalizado", "decimal": r"mínimo -?\d+,\d", "five": "solo puede elegir entre sus cinco flores",
           "unsure": "No está segura", "truth": "Clase real", "examples": "Ejemplos", "random": "Foto al azar",
           "epochs": "Épocas", "train": "Entrenar", "done": "Listo: 1 época,", "summary": "Resumen del modelo",
           "layer": "Capa (tipo)", "seed": "Semilla", "padding": "same: borde de ceros"},
    "en": {"tabs": ["Kernels", "Dataset", "Augmentation", "Training", "Classify", "Inside the network"],
           "ring": "The ring on the filtered image", "row": "Output pixel row", "kernel": "Kernel",
           "custom": "Custom", "decimal": r"min -?\d+\.\d", "five": "can only choose among its five flowers",
           "unsure": "Unsure", "truth": "True class", "examples": "Examples", "random": "Random photo",
           "epochs": "Epochs", "train": "Train", "done": "Done: 1 epoch,", "summary": "Model summary",
           "layer": "Layer (type)", "seed": "Seed", "padding": "same: a border of zeros"},
}


def _shots(tmp_path) -> Path:
    folder = Path(os.environ.get("WALKTHROUGH_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(browser, language: str, viewport: str, app_url: str):
    width, height = VIEWPORTS[viewport]
    page = browser.new_page(locale=language, extra_http_headers={"Accept-Language": language},
                            viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    page.goto(app_url)
    return page


def _word_picture(tmp_path) -> str:
    """A picture of a word: no flower at all (tests/non_flowers.py: the shipped model is < 60 % sure)."""
    from tests.non_flowers import words

    name, picture = next(iter(words(np.random.default_rng(0))))
    path = tmp_path / "hola.png"
    Image.fromarray(picture).save(path)
    return str(path)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("language", ["es", "en"])
def test_a_class_meets_the_app(app_url, browser, language, viewport, tmp_path):
    text, shots = TEXT[language], _shots(tmp_path)
    page = _page(browser, language, viewport, app_url)
    width, height = VIEWPORTS[viewport]

    # 4. Every tab is in sight, none behind a "More tabs" menu.
    for name in text["tabs"]:
        tab = page.get_by_role("tab", name=name, exact=True)
        tab.wait_for()
        box = tab.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, name
    assert page.get_by_role("button", name="More tabs").count() == 0

    # 3. The chosen output pixel is ringed and named; the sliders end at the output's size (the sample
    # photo is 512 x 600); the step figure keeps its numbers readable (drawn at >= 600 px wide) and is
    # shown whole in its box: scaled down to fit it, never scrolled sideways.
    page.get_by_text(text["ring"]).wait_for()
    row_slider = page.get_by_label(text["row"]).and_(page.locator("input[type=range]"))
    page.wait_for_function("el => el.max === '599'", arg=row_slider.element_handle())
    step = page.locator("#step-plot img")
    step.wait_for(state="attached")
    page.locator("#step-plot").evaluate("box => box.scrollIntoView()")  # the picture loads when in sight
    step.wait_for()
    fit = step.evaluate("""img => {
        const box = img.closest('#step-plot'), shown = img.getBoundingClientRect(), frame = box.getBoundingClientRect();
        return {drawn: img.naturalWidth, inside: shown.left >= frame.left - 1 && shown.right <= frame.right + 1,
                scrolls: box.scrollWidth > box.clientWidth + 1
                         || document.documentElement.scrollWidth > document.documentElement.clientWidth};
    }""")
    assert fit["drawn"] >= 600 and fit["inside"] and not fit["scrolls"], fit
    page.evaluate("window.scrollTo(0, 0)")
    # 4. On a phone too, the filtered photo sits beside the photo; on a projector both sit beside the
    # kernel's list, in sight together with it (a kernel picked is seen at once).
    photo_box, filtered_box = (page.locator(f"{selector} img").first.bounding_box()
                               for selector in ("#kernels-photo", "#filtered"))
    assert filtered_box["x"] > photo_box["x"] + photo_box["width"] / 2
    assert abs(filtered_box["y"] - photo_box["y"]) < photo_box["height"] / 2
    if viewport == "projector":
        kernel_box = page.get_by_label(text["kernel"], exact=True).first.bounding_box()
        assert filtered_box["x"] > kernel_box["x"] + kernel_box["width"]
        assert max(kernel_box["y"] + kernel_box["height"], filtered_box["y"] + filtered_box["height"]) <= height
    # 7. Spanish numbers take a decimal comma, English a point; "same"/"valid" are explained.
    assert re.search(text["decimal"], page.locator("body").inner_text())
    page.get_by_text(text["padding"]).wait_for()
    # 6. Choosing the custom kernel opens its grid.
    page.get_by_label(text["kernel"], exact=True).first.click()
    page.get_by_role("option", name=text["custom"], exact=True).click()
    page.locator("table").first.wait_for(state="visible")
    page.screenshot(path=str(shots / f"kernels-{language}-{viewport}.png"), full_page=True)

    # 6. Augmentation shows nine photos on opening; the seed re-draws them at once.
    page.get_by_role("tab", name=text["tabs"][2], exact=True).click()
    grid = page.locator("#augmented img")
    grid.wait_for()
    before = grid.get_attribute("src")
    seed = page.get_by_label(text["seed"]).first
    seed.fill("5")
    seed.press("Enter")
    page.wait_for_function("([el, old]) => el.src !== old", arg=[grid.element_handle(), before])

    # 1. Classify: the network can only name one of five flowers; a word is no flower, and it says so.
    page.get_by_role("tab", name=text["tabs"][4], exact=True).click()
    page.get_by_text(text["five"]).wait_for()
    page.locator("input[type=file]").last.set_input_files(_word_picture(tmp_path))
    page.get_by_text(text["unsure"]).wait_for()
    assert page.get_by_text(text["truth"]).count() == 0
    # An Example is classified on click (and it is a dataset photo: its true class is shown).
    page.get_by_text(text["examples"]).first.wait_for()
    page.locator("#classify-examples button.gallery-item").first.click()
    page.get_by_text(text["truth"]).wait_for()
    page.get_by_role("button", name=text["random"]).click()
    page.get_by_text(text["truth"]).wait_for()
    page.screenshot(path=str(shots / f"classify-{language}-{viewport}.png"), full_page=True)

    # 5 and 7. A one-epoch run: "1 epoch" in the singular, the summary as a table in this language.
    page.get_by_role("tab", name=text["tabs"][3], exact=True).click()
    epochs = page.locator(f'input[aria-label="number input for {text["epochs"]}"]')
    slider = page.get_by_label(f"range slider for {text['epochs']}", exact=True)
    for _ in range(6):  # the click must send 1, not the preset's 14
        epochs.fill("1")
        epochs.press("Enter")
        try:
            page.wait_for_function("el => el.value === '1'", arg=slider.element_handle(), timeout=10_000)
            break
        except PlaywrightTimeout:
            continue  # on a loaded machine the page's own late settings (the preset's epochs) came after: again
    else:
        raise AssertionError(f"the epochs slider never held 1: {slider.input_value()!r}")
    page.get_by_role("button", name=text["train"], exact=True).click()
    try:
        page.get_by_text(text["done"]).wait_for(timeout=120_000)
    except PlaywrightTimeout as late:  # say where it stood: in line, preparing, or on some epoch
        raise AssertionError(f"no {text['done']!r} after 120 s; the status: "
                             f"{page.locator('#training-status').inner_text()!r}") from late
    page.get_by_text(text["summary"]).click()
    page.get_by_text(text["layer"]).wait_for()
    page.screenshot(path=str(shots / f"training-{language}-{viewport}.png"), full_page=True)
    page.close()


def test_two_students_share_the_training_slot(app_url, browser, tmp_path):
    """2. The one waiting sees their place and an estimate, a second click is told, Stop leaves the line."""
    shots = _shots(tmp_path)
    first, second = (_page(browser, "es", "tablet", app_url) for _ in range(2))
    for page in (first, second):
        page.get_by_role("tab", name="Entrenamiento", exact=True).click()
    epochs = first.locator('input[aria-label="number input for Épocas"]')
    epochs.fill("30")
    epochs.press("Enter")
    first.get_by_role("button", name="Entrenar", exact=True).click()
    first.get_by_text("Época 1 de 30").wait_for()
    second.get_by_role("button", name="Entrenar", exact=True).click()
    second.get_by_text("En la cola: hay 1 entrenamiento antes que el tuyo").wait_for()
    assert re.search(r"empezará en unos \d", second.locator("body").inner_text())
    second.screenshot(path=str(shots / "queue-es-tablet.png"), full_page=True)
    first.get_by_role("button", name="Entrenar", exact=True).click()  # a second click during one's own run
    first.get_by_text("Ya estás entrenando un modelo en esta sesión").wait_for()
    second.get_by_role("button", name="Detener", exact=True).click()
    second.get_by_text("Saliste de la cola").wait_for()
    first.get_by_role("button", name="Detener", exact=True).click()
    first.get_by_text("Detenido").wait_for()
    first.screenshot(path=str(shots / "stopped-es-tablet.png"), full_page=True)
    for page in (first, second):
        page.close()
