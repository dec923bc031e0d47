"""What every tab shares: translations, the request's language, translated errors, image inputs.

Not a tab itself; tabs import this module and the core, never each other.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import uuid
from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np
import PIL.Image
from gradio import processing_utils

from flower_demo import data, images
from flower_demo.i18n import TEXTS, language_from_header, translate
from flower_demo.priority import PRIORITY
from flower_demo.warm_up import WARM_UP

I18N = gr.I18n(**TEXTS)
t = I18N  # t("key") marks a label, Markdown text or choice for translation in the browser

SAMPLE_PHOTO = str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")  # ships with matplotlib
IMAGE_SOURCES = ["upload", "webcam", "clipboard"]


def language(request: gr.Request | None) -> str:
    """es or en, from the browser's Accept-Language header (Spanish when there is none)."""
    headers = getattr(request, "headers", None) or {}
    return language_from_header(headers.get("accept-language"))


def error(key: str, lang: str, **values) -> gr.Error:
    """A translated gr.Error: shown to the student as a toast, the server keeps serving."""
    return gr.Error(translate(key, lang, **values), print_exception=False)


def light(handler):
    """Marks a quick endpoint (convolve, augment, classify...): served ahead of a running training."""

    @functools.wraps(handler)  # Gradio reads the signature (gr.Request, defaults) through the wrapper
    def serve(*args, **kwargs):
        with PRIORITY.request():
            return handler(*args, **kwargs)

    return serve


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
    try:
        return images.load_image(path)
    except images.ImageError as problem:
        raise error(problem.key, lang) from problem


class PhotoInput(gr.Image):
    """A gr.Image whose uploads reach the handler unopened, as a path in Gradio's upload cache.

    gr.Image opens every upload with PIL before the handler runs, even with type="filepath", so a
    renamed HTML page or a truncated JPEG ends in an untranslated traceback. `read_image` does the
    opening instead, with our size limits and translated messages.
    """

    def get_block_name(self) -> str:
        return "image"  # the browser draws it with gr.Image's own front end

    def preprocess(self, payload):
        if payload is None or payload.path is None:
            return super().preprocess(payload)  # webcam/clipboard data URLs: Gradio writes the file
        return payload.path


class PictureOutput(gr.Image):
    """A gr.Image output whose file is written under a temporary name and renamed into place.

    Gradio names an output file after a hash of its bytes and rewrites it in place, so when two
    students get the same picture (the sample photo, the same kernel) the second write truncated the
    file while the first student's browser was still fetching it (benchmarks/load.py saw "peer
    closed connection ... received 196608 bytes, expected 409216"). A reader keeps the old file.
    """

    def get_block_name(self) -> str:
        return "image"

    def postprocess(self, value):
        if isinstance(value, np.ndarray):
            encoded = processing_utils.encode_pil_to_bytes(PIL.Image.fromarray(value), self.format)
            path = Path(self.GRADIO_CACHE) / processing_utils.hash_bytes(encoded) / f"image.{self.format}"
            try:  # same bytes, same name: an existing file is complete; touched, as delete_cache ages by time
                os.utime(path)
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{uuid.uuid4().hex}.partial")
                partial.write_bytes(encoded)
                os.replace(partial, path)
            value = str(path)  # inside Gradio's cache, so Gradio serves it without another copy
        return super().postprocess(value)


class _Clamping:
    """Numbers from API clients: clamped into the component's range, and anything that is not a finite
    number becomes None (the handler's default). Gradio's own preprocess refuses an out-of-range value
    with an untranslated message and fails on null; handlers clamp again whatever arrives here."""

    def preprocess(self, payload):
        try:
            number = float(payload)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(number):
            return None
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        return super().preprocess(min(max(number, low), high))


class Slider(_Clamping, gr.Slider):
    def get_block_name(self) -> str:
        return "slider"


class Number(_Clamping, gr.Number):
    def get_block_name(self) -> str:
        return "number"


class _PassingChoices:
    """Choices from API clients: a value outside the list reaches the handler, which refuses it with a
    translated message (Gradio's own refusal is in English only)."""

    def preprocess(self, payload):
        if payload is None or payload in [value for _, value in self.choices]:
            return super().preprocess(payload)
        return payload


class Dropdown(_PassingChoices, gr.Dropdown):
    def get_block_name(self) -> str:
        return "dropdown"


class Radio(_PassingChoices, gr.Radio):
    def get_block_name(self) -> str:
        return "radio"


def pick_dataset_photo(request: gr.Request = None):
    """A random held-out dataset photo (only if the photos are already here: never a download)."""
    lang = language(request)
    try:
        folder = data.locate_dataset(allow_download=False)
        path = data.pick_photo(folder, np.random.default_rng())
    except data.DatasetError as problem:
        raise error("error_no_local_photos", lang) from problem
    return read_image(str(path), lang)


def dataset_photo_button(target: gr.Image):
    """A button that puts a random dataset photo into `target`; returns the event to chain on."""
    button = gr.Button(t("dataset_photo_button"), size="sm")
    return button.click(pick_dataset_photo, None, target, api_visibility="private")


def image_input(label_key: str = "input_photo", **kwargs) -> gr.Image:
    """An image input we read ourselves, so odd and broken files get our own checks and messages."""
    # PNG: a photo put here by the server (a dataset photo) reaches the model without lossy re-encoding.
    return PhotoInput(label=t(label_key), type="filepath", sources=IMAGE_SOURCES, format="png", **kwargs)


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

