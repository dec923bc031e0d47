"""What every tab shares: translations, the request's language, translated errors, quick endpoints,
clamped numbers and the warm-up's wait.

Not a tab itself, nor are inputs, model_choice, saliency_panel, page_links and waiting_line beside it:
tabs import those and the core, never each other.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import html
import shutil
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image

from flower_demo.i18n import GRADIO_TEXTS, LANGUAGES, TEXTS, language_from_header, translate
from flower_demo.server.priority import PRIORITY
from flower_demo.server.warm_up import WARM_UP

I18N = gr.I18n(**{lang: {**GRADIO_TEXTS.get(lang, {}), **TEXTS[lang]} for lang in TEXTS})
t = I18N  # t("key") marks a label, Markdown text or choice for translation in the browser

# The language each session's page switched to in the footer's settings, by the language switch's event
# (flower_demo/tabs/language_switch.py): an event already running (a training's stream) reads its
# request's old address, and looks here at every update. Forgotten when the page closes.
SWITCHED: dict[str, str] = {}


def language(request: gr.Request | None) -> str:
    """es or en: the page's language. The page keeps `?lang=` in its address equal to what it shows
    (flower_demo/server/boot_script.py) and Gradio sends the address's query with every queued event;
    a switch made while this event runs wins; an API client without `lang` gets its Accept-Language's."""
    switched = SWITCHED.get(getattr(request, "session_hash", None) or "")
    if switched:
        return switched
    chosen = dict(getattr(request, "query_params", None) or {}).get("lang")
    if chosen in LANGUAGES:
        return chosen
    headers = getattr(request, "headers", None) or {}
    return language_from_header(headers.get("accept-language"))


def too_many_calls(request) -> str:
    """The refusal of a session's call past its share of the queue (app.py), in its page's language."""
    return translate("error_too_many_calls", language(request))


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


def wait_for_warm_up(lang: str, progress: gr.Progress | None) -> None:
    """Returns once TensorFlow and the shipped model are loaded; until then the student's outputs
    say why they wait (a request sent in the app's first seconds, or by an API client)."""
    if not WARM_UP.ready():
        if progress is not None:
            progress(0.0, desc=translate("status_warming_up", lang))  # Gradio 6.31 shows no text without a number
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




def session_key(request: gr.Request | None) -> str:
    """The page's session (one per browser tab and page load), which owns its models and photos."""
    return getattr(request, "session_hash", None) or "no session"  # a handler called without a request


def own_photos_of(request: gr.Request | None, lang: str):
    """This browser tab's own photos (data/own_photos: memory only, never another tab's); a translated
    gr.Error once after the server dropped them."""
    from flower_demo.data import own_photos

    try:
        return own_photos.OWN.store(session_key(request))
    except own_photos.OwnPhotosError as problem:
        raise error(problem.key, lang, detail=problem.detail, **problem.values) from problem


def _own_pictures_folder(request: gr.Request | None) -> Path:
    from gradio.utils import get_upload_folder

    digest = hashlib.sha256(session_key(request).encode()).hexdigest()[:24]
    return Path(get_upload_folder()) / f"own-{digest}"


def own_picture_file(request: gr.Request | None, rgb: np.ndarray, purpose: str) -> str:
    """One of a session's own photos as a file the page can show (an image or a gallery takes files
    only), in the session's own folder of Gradio's cache, `purpose` ("pick", "mistakes") apart: deleted
    with the session's photos (`forget_own_pictures`), and by Gradio's hourly cleanup in any case. Named
    at random: never guessable from the session."""
    folder = _own_pictures_folder(request) / purpose
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.png"
    PIL.Image.fromarray(rgb).save(path)
    return str(path)


def forget_own_pictures(request: gr.Request | None, purpose: str | None = None) -> None:
    """The files `own_picture_file` wrote for this session (for `purpose`, None: all), gone: its tab
    closed, its photos cleared, or a new listing replaces the last."""
    folder = _own_pictures_folder(request)
    shutil.rmtree(folder / purpose if purpose else folder, ignore_errors=True)
