"""Your photos in headless Chromium with its fake camera (issue 36): a student names a class and takes
its photos with the webcam, uploads a second class's photos, sees the counts and the samples, trains
the small-set preset on them, classifies a new photo into one of their classes and looks inside their
network. Spanish on a projector, English on a phone.

Chromium's `--use-fake-ui-for-media-stream --use-fake-device-for-media-stream` grants the camera without
asking and films a test pattern (a green frame with a moving circle and a clock). Gradio 6.31's webcam
(gr.Image(sources=["webcam"])) behaves so with it:
- before the first photo it shows one button, "Click to Access Webcam" (Gradio's own words in its own
  translations: «Pulsa para usar la cámara» in Spanish); a click starts the stream;
- the stream then shows a button named "capture photo" (aria-label, English in every language). A click
  before the video has its first frame does nothing at all (Gradio draws the video on a canvas only when
  it has a size), so the test waits for the video to play;
- a capture becomes the component's value and fires .change: the tab adds it to the class named above
  and returns None to the webcam, which makes Gradio mount a new webcam showing "Click to Access Webcam"
  again; the page presses it by itself (your_photos.RESTART_CAMERA_JS), so after the first photo each
  photo takes one click, and the test clicks only "capture photo" from the second on.
"""

from __future__ import annotations

import re
import time

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from flower_demo.i18n import TEXTS
from tests.test_browser import chromium_browser, pytestmark  # noqa: F401  (the browser mark and its skip)
from tests.test_own_photos_app import shape_photo, write_photos

FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
SETUPS = {"es": (1366, 768), "en": (390, 844)}  # Spanish on a projector, English on a phone
CAPTURES = 3  # webcam photos of the first class: one click each once the camera runs
UPLOADS = 8  # files of the second class, sent at once
EPOCHS = 3
TEXT = {  # the student's class names (never translated), and what Gradio itself writes in the widget
    "es": {"camera_class": "taza", "file_class": "círculo", "access": "Pulsa para usar la cámara",
           "tabs": {"own": "Tus fotos", "training": "Entrenamiento", "classify": "Clasificar",
                    "inside": "Dentro de la red"}},
    "en": {"camera_class": "mug", "file_class": "circle", "access": "Click to Access Webcam",
           "tabs": {"own": "Your photos", "training": "Training", "classify": "Classify",
                    "inside": "Inside the network"}},
}
CAPTURE = "capture photo"  # Gradio's aria-label, in English whatever the page's language
VIDEO_PLAYING = ("() => { const video = document.querySelector('#own-webcam video');"
                 " return !!video && video.readyState >= 2 && video.videoWidth > 0; }")
COUNTS_JS = ("() => Object.fromEntries([...document.querySelectorAll('#own-summary tbody tr')]"
             ".map(row => [...row.cells].map(cell => cell.innerText.trim())))")


@pytest.fixture(scope="module")
def camera_browser():
    """Chromium as in tests/test_browser.py, with a fake camera that needs no permission click."""
    yield from chromium_browser(*FAKE_CAMERA)


def t(language: str, key: str, **values) -> str:
    """The app's own text, its Markdown marks dropped (what the page shows)."""
    return TEXTS[language][key].format(**values).replace("**", "")


def summary_counts(page) -> dict[str, str]:
    """The summary table as {class: photos}."""
    return page.evaluate(COUNTS_JS)


def wait_for_counts(page, expected: dict[str, int], timeout_ms: int = 30_000) -> None:
    wanted = {name: str(count) for name, count in expected.items()}
    try:
        page.wait_for_function(f"([want]) => JSON.stringify(({COUNTS_JS})()) === JSON.stringify(want)",
                               arg=[wanted], timeout=timeout_ms)
    except PlaywrightTimeout as late:
        raise AssertionError(f"the summary never read {wanted}: {summary_counts(page)}; "
                             f"{page.locator('#own-summary').inner_text()!r}") from late


def capture_photos(page, language: str, class_name: str, count: int, others: dict[str, int]) -> None:
    """`count` webcam photos into `class_name`, each checked in the summary before the next."""
    webcam = page.locator("#own-webcam")
    page.locator("#own-class input, #own-class textarea").first.fill(class_name)
    for number in range(1, count + 1):
        if number == 1:  # then the page starts the camera again by itself after each photo
            webcam.get_by_role("button", name=TEXT[language]["access"]).click()
        page.wait_for_function(VIDEO_PLAYING)  # a capture before the first frame is silently lost
        webcam.get_by_role("button", name=CAPTURE, exact=True).click()
        wait_for_counts(page, {**others, class_name: number})


def upload_photos(page, language: str, class_name: str, paths: list[str], others: dict[str, int]) -> None:
    page.locator("#own-class input, #own-class textarea").first.fill(class_name)
    page.locator("#own-files input[type=file]").set_input_files(paths)
    for path in paths:  # every file listed: uploaded, so the click sends them all
        page.locator("#own-files").get_by_text(path.rsplit("/", 1)[-1].rsplit(".", 1)[0]).first.wait_for()
    page.get_by_role("button", name=t(language, "own_add_button"), exact=True).click()
    wait_for_counts(page, {**others, class_name: len(paths)})


def choose_epochs(page, language: str, epochs: int) -> None:
    """The walkthrough's way: type the number until the slider holds it (a late preset may overwrite it)."""
    label = t(language, "epochs")
    box = page.locator(f'input[aria-label="number input for {label}"]')
    slider = page.get_by_label(f"range slider for {label}", exact=True)
    for _ in range(6):
        box.fill(str(epochs))
        box.press("Enter")
        try:
            page.wait_for_function("([el, want]) => el.value === want", arg=[slider.element_handle(), str(epochs)],
                                   timeout=10_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the epochs slider never held {epochs}: {slider.input_value()!r}")


@pytest.mark.parametrize("language", list(SETUPS))
def test_a_student_photographs_two_classes_trains_classifies_and_looks_inside(app_url, camera_browser, language,
                                                                            tmp_path):
    text, (width, height) = TEXT[language], SETUPS[language]
    camera, files = text["camera_class"], text["file_class"]
    page = camera_browser.new_page(locale=language, extra_http_headers={"Accept-Language": language},
                                   viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}?lang={language}")
    page.get_by_role("tab", name=text["tabs"]["own"], exact=True).click()
    page.get_by_text(t(language, "own_empty")).wait_for()
    page.locator("#own-privacy").get_by_text("🔒").wait_for()

    # A class from the webcam: one photo per capture, the count going up each time.
    capture_photos(page, language, camera, CAPTURES, {})
    summary = page.locator("#own-summary").inner_text()
    assert t(language, "own_added_one", classes=f"{camera} +1") in summary  # the last capture's line
    assert t(language, "warning_own_few_classes", minimum=2) in summary

    # A second class from several files at once.
    paths = write_photos(tmp_path / "files", "ellipse", UPLOADS)
    upload_photos(page, language, files, paths, {camera: CAPTURES})
    summary = page.locator("#own-summary").inner_text()
    assert t(language, "own_added", count=UPLOADS, classes=f"{files} +{UPLOADS}") in summary
    assert t(language, "own_total", count=CAPTURES + UPLOADS, classes=2, megabytes=0).split(" · ")[0] in summary
    assert t(language, "warning_own_few_classes", minimum=2) not in summary
    assert t(language, "warning_own_few_photos", name=camera, count=CAPTURES, minimum=10) in summary
    assert list(summary_counts(page)) == [camera, files]  # in the order they were made

    # The samples: each class's photos under its name, each picture named for a screen reader.
    page.wait_for_function("n => document.querySelectorAll('#own-samples img').length === n",
                           arg=CAPTURES + min(UPLOADS, 6))
    captions = page.locator("#own-samples figcaption").all_inner_texts()
    assert [caption.strip() for caption in captions] == [camera, files]
    alts = [image.get_attribute("alt") for image in page.locator("#own-samples img").all()]
    assert alts == ([t(language, "own_sample_alt", name=camera, index=index) for index in range(1, CAPTURES + 1)]
                    + [t(language, "own_sample_alt", name=files, index=index) for index in range(1, 7)])
    assert all(image.evaluate("img => img.complete && img.naturalWidth > 0")
               for image in page.locator("#own-samples img").all())
    page.screenshot(path=str(tmp_path / f"own-{language}.png"), full_page=True)

    # Training on them: the own photos choice brings the small-set preset; a short run.
    page.get_by_role("tab", name=text["tabs"]["training"], exact=True).click()
    page.locator("#training-dataset").get_by_label(t(language, "dataset_own"), exact=True).check()
    expect(page.get_by_label(t(language, "preset"), exact=True).first).to_have_value(t(language, "preset_small"))
    choose_epochs(page, language, EPOCHS)
    page.get_by_role("button", name=t(language, "train_button"), exact=True).click()
    done = t(language, "status_finished", count=EPOCHS, val_accuracy="").split(",")[0]  # "Listo: 3 épocas"
    try:
        page.locator("#training-status").get_by_text(done).wait_for(timeout=120_000)
    except PlaywrightTimeout as late:
        raise AssertionError(f"no {done!r}; the status: {page.locator('#training-status').inner_text()!r}") from late

    # Classify answers with one of the student's classes, never a flower.
    page.get_by_role("tab", name=text["tabs"]["classify"], exact=True).click()
    run = "#1 small"
    page.locator("#classify-model").get_by_text(run).first.wait_for()  # the choice names the run
    photo = tmp_path / "new.png"
    Image.fromarray(shape_photo("ellipse", 99)).save(photo)
    page.locator("[role=tabpanel]:visible input[type=file]").first.set_input_files(str(photo))
    sentence = page.locator("#classify-sentence")
    sentence.get_by_text(t(language, "classify_sentence", label="", confidence=0).split(":")[0]).wait_for()
    answer = re.search(r":\s*(.+?),", sentence.inner_text())
    assert answer and answer[1] in (camera, files), sentence.inner_text()
    label = page.locator("#classify-label")
    expect(label.get_by_test_id("label-output-value")).to_have_text(answer[1])  # the top class, as said
    assert sorted(name.strip() for name in label.locator("dt").all_inner_texts()) == sorted([camera, files])

    # Inside the network: the student's network's feature maps, the model line naming the run.
    page.get_by_role("tab", name=text["tabs"]["inside"], exact=True).click()
    page.locator("#feature-maps img").wait_for()
    model_line = t(language, "model_line_run_plain", label=run).rstrip(".")
    page.locator("[role=tabpanel]:visible").get_by_text(model_line).first.wait_for()
    assert page.locator("#feature-maps img").get_attribute("alt").startswith(
        {"es": "Mapas de características de la foto", "en": "Feature maps of the photo"}[language])
    page.screenshot(path=str(tmp_path / f"inside-{language}.png"), full_page=True)

    # The tab closes: its photos leave the server's memory at once (the app runs in this process).
    from flower_demo.data import own_photos

    held = len(own_photos.OWN.sessions())
    page.close()
    deadline = time.monotonic() + 30
    while len(own_photos.OWN.sessions()) >= held and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(own_photos.OWN.sessions()) == held - 1
