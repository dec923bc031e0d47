"""What every tab shares: translations, the request's language, translated errors, image inputs.

Not a tab itself; tabs import this module and the core, never each other.
"""

from __future__ import annotations

import asyncio
import functools
import html
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np

from flower_demo import config, errors
from flower_demo.data import dataset_overview, download, images
from flower_demo.look import plots
from flower_demo.server import session_models
from flower_demo.i18n import LANGUAGES, TEXTS, class_label, language_from_header, translate
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components
from flower_demo.server.warm_up import WARM_UP

I18N = gr.I18n(**TEXTS)
t = I18N  # t("key") marks a label, Markdown text or choice for translation in the browser

# Narrow screens (a phone, 390 px): the step-by-step figure keeps its natural size, ~14 px numbers,
# and scrolls sideways rather than shrinking to unreadable ~6 px; tables (the model summary) scroll too.
CSS = """
#step-plot img { max-width: none; }
@media (max-width: 700px) {
  #step-plot .matplotlib { display: block !important; overflow-x: auto; }
  #step-plot img { display: block; width: auto !important; min-width: 640px; margin: 0 !important; }
  .prose table { display: block; overflow-x: auto; }
}
"""

SAMPLE_PHOTO = str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")  # ships with matplotlib
SECOND_PHOTO = str(Path(matplotlib.get_data_path()) / "sample_data" / "Minduka_Present_Blue_Pack.png")  # CutMix's other
IMAGE_SOURCES = ["upload", "webcam", "clipboard"]


def language(request: gr.Request | None) -> str:
    """es or en: the page link's `?lang=` if it names one (a teacher's shared link), else the browser's
    Accept-Language header (Spanish when there is none). Every queued event carries the page's query."""
    chosen = dict(getattr(request, "query_params", None) or {}).get("lang")
    if chosen in LANGUAGES:
        return chosen
    headers = getattr(request, "headers", None) or {}
    return language_from_header(headers.get("accept-language"))


def too_many_calls(headers) -> str:
    """The refusal of a session's call past its share of the queue (app.py), in the browser's language."""
    return translate("error_too_many_calls", language_from_header(headers.get("accept-language")))


def error(key: str, lang: str, **values) -> gr.Error:
    """A translated gr.Error: shown to the student as a toast, the server keeps serving.

    A detail's first word names the setting ("padding 'x'"): it is translated too ("relleno 'x'").
    Every text value is escaped: Gradio renders a toast as HTML, and a detail may quote what a student
    typed (a kernel cell, a model's name), which a deep link (Gradio's /gradio_api/deep_link, on in
    every app) puts into another student's page, whose own call then quotes it to them.
    """
    detail = str(values.get("detail", ""))
    word, _, rest = detail.partition(" ")
    if f"setting_{word}" in TEXTS["en"]:
        values["detail"] = f"{translate(f'setting_{word}', lang)} {rest}".strip()
    escaped = {name: html.escape(value, quote=False) if isinstance(value, str) else value
               for name, value in values.items()}  # numbers stay numbers: the texts format them
    return gr.Error(translate(key, lang, **escaped), print_exception=False)


def finite_answer(probabilities: np.ndarray, lang: str) -> np.ndarray:
    """A model's scores for a photo, or a translated gr.Error when any is NaN or infinite (a brought
    model's broken answer would read "nan%"; the upload's probe is the first wall, this the second)."""
    if not np.isfinite(probabilities).all():
        raise error("error_answer_nonfinite", lang)
    return probabilities


def light(handler):
    """Marks a quick endpoint (convolve, augment, classify...): served ahead of a running training."""

    @functools.wraps(handler)  # Gradio reads the signature (gr.Request, defaults) through the wrapper
    def serve(*args, **kwargs):
        with PRIORITY.request():
            return handler(*args, **kwargs)

    return serve


def duration(seconds: float | None) -> str:
    """Seconds as a student reads them: "45 s", "3 min 05 s"; "…" when not known yet."""
    if seconds is None:
        return "…"
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def training_slots() -> int:
    """Runs that train at once: one in this process; with a cluster, as many as it has room for now."""
    if not config.ray_address():
        return 1
    from flower_demo.train import cluster

    try:
        return cluster.room()
    except (ImportError, RuntimeError, ConnectionError):  # no Ray, or the cluster is gone: the run will say so
        return 1


def line_status(ticket, lang: str) -> str | None:
    """While `ticket` waits for a training slot: its place and about how long (Stop leaves the line);
    None once it is its turn."""
    from flower_demo.train import turns

    slots = training_slots()
    if not turns.LINE.ahead(ticket, slots):
        return None
    ahead, seconds = turns.LINE.wait_estimate(ticket, slots)
    return translate("status_waiting", lang, count=ahead, wait=duration(seconds))


def wait_for_warm_up(lang: str, progress: gr.Progress | None) -> None:
    """Returns once TensorFlow and the shipped model are loaded; until then the student's outputs
    say why they wait (a request sent in the app's first seconds, or by an API client)."""
    if not WARM_UP.ready():
        if progress is not None:
            progress(None, desc=translate("status_warming_up", lang))
        WARM_UP.wait()


def active_when_warm(button: gr.Button, label, loading_label) -> None:
    """On each page load: while TensorFlow and the model load, `button` shows `loading_label` and
    cannot be clicked; it becomes `label` and clickable once they are (the page never polls)."""

    async def follow_warm_up():
        WARM_UP.start()  # app.launch() has started it; a page of another Blocks may not have
        if not WARM_UP.ready():
            yield gr.Button(loading_label, interactive=False)
            while not WARM_UP.ready():
                await asyncio.sleep(0.25)  # on the event loop: no worker thread waits
        yield gr.Button(label, interactive=True)

    gr.on(None, follow_warm_up, None, button, api_visibility="private", show_progress="hidden",
          concurrency_limit=None)  # one per open page, sleeping: never a queue slot of the light events


def read_image(path: str | None, lang: str) -> np.ndarray:
    """An uploaded file (Gradio hands us its path) as RGB uint8, or a translated gr.Error."""
    if not path:
        raise error("error_no_image", lang)
    if components.is_link(path):
        raise error("error_link_input", lang)
    try:
        return images.load_image(path)
    except images.ImageError as problem:
        raise error(problem.key, lang) from problem


def _random_dataset_photo(lang: str) -> Path:
    """A random held-out dataset photo (only if the photos are already here: never a download)."""
    try:
        folder = download.locate_dataset(allow_download=False)
        return dataset_overview.pick_photo(folder, np.random.default_rng())
    except errors.DatasetError as problem:
        raise error("error_no_local_photos", lang) from problem


def pick_dataset_photo(request: gr.Request = None):
    """A random held-out dataset photo for `target`."""
    lang = language(request)
    return read_image(str(_random_dataset_photo(lang)), lang)


def pick_labelled_photo(request: gr.Request = None):
    """A random held-out dataset photo and its true class (its folder's name)."""
    lang = language(request)
    path = _random_dataset_photo(lang)
    return read_image(str(path), lang), path.parent.name


def dataset_photo_button(target: gr.Image, truth: gr.Component | None = None):
    """A button that puts a random dataset photo into `target` (and its class into `truth`, if given);
    returns the event to chain on."""
    button = gr.Button(t("dataset_photo_button"), size="sm")
    if truth is None:
        return button.click(pick_dataset_photo, None, target, api_visibility="private")
    return button.click(pick_labelled_photo, None, [target, truth], api_visibility="private")


def image_input(label_key: str = "input_photo", **kwargs) -> gr.Image:
    """An image input we read ourselves, so odd and broken files get our own checks and messages."""
    # PNG: a photo put here by the server (a dataset photo) reaches the model without lossy re-encoding.
    return components.PhotoInput(label=t(label_key), type="filepath", sources=IMAGE_SOURCES, format="png", **kwargs)


def choices(keys, prefix: str) -> list[tuple]:
    """Dropdown/radio choices whose labels are translated and whose values stay stable for the API."""
    return [(t(f"{prefix}{key}"), key) for key in keys]


def clamp_float(value, low: float, high: float, default: float) -> float:
    """A slider or API number inside [low, high]; `default` for None, NaN, infinities or text."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    if number != number or number in (float("inf"), float("-inf")):
        return default
    return min(max(number, low), high)


def clamp_int(value, low: int, high: int, default: int) -> int:
    return int(round(clamp_float(value, low, high, default)))


MODEL_CHOICES = ("own", "shipped")  # whose network a view shows: this student's (else the shipped one), or the shipped one


def session_key(request: gr.Request | None) -> str:
    """The page's session (one per browser tab and page load), which owns its model on the server."""
    return getattr(request, "session_hash", None) or "no session"  # a handler called without a request


def keep_model(network, request: gr.Request | None, lang: str) -> session_models.Handle:
    """Makes `network` this session's model, kept by the server within the class's memory budget;
    returns the handle for the session's `student_model` state (the state never holds the model)."""
    try:
        return session_models.MODELS.put(session_key(request), network)
    except session_models.ModelOverBudget as problem:
        raise error(problem.key, lang, detail=problem.detail) from problem


def own_model(student_model: session_models.Handle | None, lang: str):
    """This session's model from its `student_model` state, None if it has none yet; a translated
    gr.Error when the server freed it to leave memory for the others."""
    if student_model is None:
        return None
    try:
        return session_models.MODELS.get(student_model)
    except session_models.ModelDropped as problem:
        raise error(problem.key, lang) from problem


def forget_model(request: gr.Request = None) -> None:
    """Frees this session's model when its tab closes (Gradio would keep the state another hour)."""
    session_models.MODELS.drop_session(session_key(request))


def chosen_model(choice: str, student_model, lang: str, progress: gr.Progress | None = None):
    """(network, note): this student's model (`student_model` is its handle) or the shipped one, never
    another student's.

    Raises a translated gr.Error for an unknown choice, a model the server had to free, or when there
    is no model at all.
    """
    from flower_demo.model import serving  # lazy: the page never waits for TensorFlow

    if choice not in MODEL_CHOICES:
        raise error("error_setting", lang, detail=f"model {choice!r}")
    own = own_model(student_model, lang) if choice == "own" else None
    if own is not None:
        return own, ""
    wait_for_warm_up(lang, progress)
    network = serving.shipped_model()
    if network is None:
        raise error("error_no_model", lang)
    return network, translate("inside_fallback", lang) if choice == "own" else ""


@light
def show_saliency(image, model: str = "own", class_name: str = "predicted", opacity: float = 0.5,
                  student_model=None, request: gr.Request = None, progress=gr.Progress()):
    """Grad-CAM over the photo: where the model found evidence for its answer or for `class_name`."""
    from flower_demo.look import inside  # lazy: TensorFlow

    lang = language(request)
    rgb = read_image(image, lang)
    if class_name != "predicted" and class_name not in config.CLASS_NAMES:
        raise error("error_setting", lang, detail=f"class {class_name!r}")
    network, note = chosen_model(model, student_model, lang, progress)
    target = None if class_name == "predicted" else config.CLASS_NAMES.index(class_name)
    try:
        cam = inside.grad_cam(network, rgb, target)
    except inside.InspectError as problem:
        raise error(problem.key, lang, detail=problem.detail) from problem
    probabilities = finite_answer(cam.probabilities, lang)
    names = [class_label(name, lang) for name in config.CLASS_NAMES]
    answer = int(probabilities.argmax())
    text = translate("saliency_text", lang, answer=names[answer], confidence=100 * probabilities[answer],
                     target=names[cam.class_index], probability=100 * probabilities[cam.class_index],
                     height=cam.heatmap.shape[0], width=cam.heatmap.shape[1], layer=cam.layer)
    if inside.is_mirror_averaged(network):
        text += translate("saliency_mirror", lang)
    overlay = plots.saliency_overlay(images.fit_within(rgb, config.MAX_KERNEL_SIDE), cam.heatmap,
                                     clamp_float(opacity, 0.0, 1.0, 0.5))
    return overlay, "\n\n".join(part for part in (text, note) if part)


def saliency_panel(input_image, model_choice, student_model):
    """Grad-CAM's controls and picture (class to explain, opacity); returns what to chain on:
    (the handler's inputs, its outputs, the controls' change events)."""
    class_choices = [(t("saliency_predicted"), "predicted")] + [(t(f"class_{name}"), name)
                                                                 for name in config.CLASS_NAMES]
    with gr.Row():
        class_dropdown = components.Dropdown(class_choices, value="predicted", label=t("saliency_class"))
        opacity_slider = components.Slider(0, 1, value=0.5, step=0.05, label=t("saliency_opacity"))
    saliency_image = components.PictureOutput(label=t("saliency_image"), format="jpeg", interactive=False, height=360)
    saliency_markdown = gr.Markdown()
    inputs = [input_image, model_choice, class_dropdown, opacity_slider, student_model]
    return inputs, [saliency_image, saliency_markdown], [class_dropdown.change, opacity_slider.release]


# --- links a teacher can share (?tab=training&preset=seed_augmented&epochs=5&kernel=sobel_x&lang=en) ----

def page_link(request: gr.Request | None):
    """The settings a shared link names (flower_demo.server.links.Link); unknown values are ignored."""
    from flower_demo.server import links

    return links.parse(dict(getattr(request, "query_params", None) or {}))


def open_linked_tab(request: gr.Request = None):
    """The tab a shared link names (`?tab=training`), selected on page load."""
    tab = page_link(request).tab
    return gr.Tabs(selected=tab) if tab else gr.skip()


# Gradio picks the page's language from the browser and offers no query parameter for it. Its
# front end exports `changeLocale` from its core module (what the footer's settings call); the page
# has already loaded that module, so importing it again returns the same one. If a later Gradio
# moves it, the link's language still governs every message the server writes (`language`).
LANGUAGE_FROM_LINK = """
async () => {
    const lang = new URLSearchParams(window.location.search).get("lang");
    if (!["es", "en"].includes(lang)) return;
    const core = performance.getEntriesByType("resource").map((entry) => entry.name)
        .find((name) => /\\/assets\\/core-[^/?]*\\.js$/.test(name));
    if (!core) return;
    try {
        const module = await import(core);
        if (typeof module.changeLocale === "function") module.changeLocale(lang);
    } catch (error) {
        console.warn("lang from the link not applied", error);
    }
}
"""


def follow_links(demo: gr.Blocks, tabs: gr.Tabs) -> None:
    """Opens the tab and the language a shared link names (each tab reads its own settings)."""
    items = [item for item in tabs.children if isinstance(item, gr.Tab)]

    def relabel(request: gr.Request = None):
        """The tabs' names again once the link's language is set: the tab bar keeps the names it was
        first given, and only the open tab's would follow the new language."""
        if page_link(request).lang is None:
            return [gr.skip()] * len(items)
        return [gr.Tab(label=item.label) for item in items]

    # The tab is chosen after the relabelling: new labels redraw the tab bar, which forgot the choice.
    relabelled = demo.load(None, None, None, js=LANGUAGE_FROM_LINK).then(
        relabel, None, items, api_visibility="private", show_progress="hidden")
    relabelled.then(open_linked_tab, None, tabs, api_visibility="private", show_progress="hidden")
