"""What a person clicks, in headless Chromium: every tab, a short training, curves, a classification,
in Spanish and in English."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from tests.fake_flowers import synthetic_photo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,  # `pytest -m "not browser"` leaves these out
              pytest.mark.skipif(not shutil.which("chromium") and not shutil.which("/usr/bin/chromium"),
                                 reason="Debian's chromium is not installed (.ci/run installs it)")]

TEXT = {
    "es": {"tabs": ["Kernels", "Datos", "Aumento de datos", "Entrenamiento", "Clasificar", "Dentro de la red"],
           "kernel_note": "valor absoluto", "load": "Cargar el conjunto de datos", "loaded": "fotos en 5 clases",
           "augment": "Otras 9 variaciones", "epochs": "Épocas", "train": "Entrenar", "done": "Listo: 2 épocas",
           "classify": "Clasificar", "sentence": "Lo más probable:", "own": "Modelo: tu entrenamiento", "latest": "Tu último: #1 live",
           "stage": "Etapa 1:", "fallback": "Aún no has entrenado", "filter": "El filtro **#", "evidence": "evidencia de",
           "class_box": "Clase a explicar", "tulips": "tulipanes"},
    "en": {"tabs": ["Kernels", "Dataset", "Augmentation", "Training", "Classify", "Inside the network"],
           "kernel_note": "absolute value", "load": "Load the dataset", "loaded": "photos in 5 classes",
           "augment": "9 other variations", "epochs": "Epochs", "train": "Train", "done": "Done: 2 epochs",
           "classify": "Classify", "sentence": "Most likely:", "own": "Model: your run", "latest": "Your latest: #1 live",
           "stage": "Stage 1:", "fallback": "You have not trained", "filter": "Filter **#", "evidence": "evidence for",
           "class_box": "Class to explain", "tulips": "tulips"},
}


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_browser(*extra_args: str):
    """Debian's headless Chromium (Playwright's own download does not work here), closed after use."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=[*CHROMIUM_ARGS, *extra_args])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser():
    yield from chromium_browser()


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_student_visits_every_tab_trains_and_classifies(app_url, browser, language, tmp_path):
    text = TEXT[language]
    photo = tmp_path / "tulip.png"
    Image.fromarray(synthetic_photo("tulips", 3, size=(64, 48))).save(photo)
    page = browser.new_page(locale=language, extra_http_headers={"Accept-Language": language},
                            viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(app_url)

    # Kernels: the sample photo is filtered as soon as the page loads (edge kernel by default).
    for name in text["tabs"]:
        page.get_by_role("tab", name=name, exact=True).wait_for()
    page.get_by_text(text["kernel_note"]).wait_for()

    page.get_by_role("tab", name=text["tabs"][1], exact=True).click()
    page.get_by_role("button", name=text["load"]).click()
    page.get_by_text(text["loaded"]).wait_for()

    page.get_by_role("tab", name=text["tabs"][2], exact=True).click()
    page.get_by_role("button", name=text["augment"]).click()
    page.locator("#augmented img").wait_for()

    page.get_by_role("tab", name=text["tabs"][3], exact=True).click()
    epochs = page.locator(f'input[aria-label="number input for {text["epochs"]}"]')
    epochs.fill("2")
    epochs.press("Enter")
    page.get_by_role("button", name=text["train"], exact=True).click()
    page.get_by_text(text["done"]).wait_for(timeout=120_000)
    assert page.locator("canvas, svg.marks").count() >= 2  # the accuracy and loss charts are drawn

    page.get_by_role("tab", name=text["tabs"][4], exact=True).click()
    page.locator("#classify-model").get_by_text(text["latest"]).wait_for()  # the choice names the run
    page.locator("input[type=file]").last.set_input_files(str(photo))
    page.get_by_text(text["sentence"]).wait_for()
    assert page.get_by_text(text["own"]).count() >= 1  # under the answer (and under Grad-CAM once it is drawn)
    page.get_by_text(text["evidence"]).first.wait_for()  # where it looked follows the answer
    page.screenshot(path=str(tmp_path / f"classify-{language}.png"), full_page=True)

    # Inside the network: the student's own model (no fallback note), its stages and filters.
    page.get_by_role("tab", name=text["tabs"][5], exact=True).click()
    page.locator("#feature-maps img").wait_for()
    page.get_by_text(text["stage"]).first.wait_for()
    assert page.get_by_text(text["fallback"]).count() == 0
    page.close()


VIEWPORTS = {"projector": {"width": 1366, "height": 768}, "tablet": {"width": 768, "height": 1024}}
INSIDE_ALT = {"es": {"maps": "Mapas de características de la foto", "filter_number": "Filtro a aplicar"},
              "en": {"maps": "Feature maps of the photo", "filter_number": "Filter to apply"}}


@pytest.mark.parametrize("language,viewport", [("es", "projector"), ("en", "tablet")])
def test_a_student_looks_inside_the_shipped_network(app_url, browser, language, viewport, tmp_path):
    text = TEXT[language]
    page = browser.new_page(locale=language, extra_http_headers={"Accept-Language": language},
                            viewport=VIEWPORTS[viewport])
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.get_by_role("tab", name=text["tabs"][5], exact=True).click()  # opening the tab shows everything
    page.locator("#feature-maps img").wait_for()
    page.get_by_text(text["fallback"]).first.wait_for()
    for stage in range(1, 6):
        page.get_by_text(text["stage"].replace("1", str(stage))).first.wait_for()

    # Every picture says what it shows, in the page's language.
    assert page.locator("#feature-maps img").get_attribute("alt").startswith(INSIDE_ALT[language]["maps"])

    # A click on filter #5 of the sheet (plots.FILTER_COLUMNS a row, each plots.FILTER_CELL in the picture)
    # applies it to the photo; so does its number typed in "Filter to apply" (the keyboard's way).
    from flower_demo.look import plots

    sheet = page.locator("#learned-filters img")
    page.locator("#learned-filters").scroll_into_view_if_needed()  # a picture below the fold loads when seen
    sheet.wait_for()
    box = sheet.bounding_box()
    width, height = plots.FILTER_CELL
    scale = box["width"] / (plots.FILTER_COLUMNS * width)
    row, column = divmod(5, plots.FILTER_COLUMNS)
    sheet.click(position={"x": (column + 0.5) * width * scale, "y": (row * height + 50) * scale})
    page.get_by_text(f'{text["filter"]}5'.replace("**", "")).wait_for()
    number = page.get_by_label(INSIDE_ALT[language]["filter_number"], exact=True)
    number.fill("7")
    number.press("Enter")
    page.get_by_text(f'{text["filter"]}7'.replace("**", "")).wait_for()
    page.wait_for_function("() => (document.querySelector('#learned-response img') || {}).alt?.includes('#7')")

    page.get_by_label(text["class_box"]).first.click()
    page.get_by_role("option", name=text["tulips"], exact=True).click()
    page.get_by_text(f'{text["evidence"]} {text["tulips"]}').wait_for()
    page.screenshot(path=str(tmp_path / f"inside-{language}-{viewport}.png"), full_page=True)
    page.close()


def test_closing_the_tab_stops_that_students_training(app_url, browser):
    import time

    from flower_demo.tabs import training

    page = browser.new_page(locale="en", extra_http_headers={"Accept-Language": "en"})
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.get_by_role("tab", name="Training", exact=True).click()
    epochs = page.locator('input[aria-label="number input for Epochs"]')
    epochs.fill("30")
    epochs.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Epoch 1 of 30").wait_for()
    assert len(training.RUNS) == 1
    run, = training.RUNS.runs()

    page.close()
    deadline = time.monotonic() + 15
    while (len(training.RUNS) or run.state.phase == "training") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not len(training.RUNS), "the closed tab's run still holds the training slot"
    assert run.stopping and run.state.phase == "stopped" and run.state.epoch < 30
