"""Gradio 6.31's stock components, changed where they stood between a student and a clear answer.

Each class says what the stock component does and why that is not good enough here; each keeps the
stock front end (`get_block_name`), so only the server side differs. tests/test_workarounds.py
checks, for each, that the stock behaviour is still there (else drop the override) and that the
override still does its job (else redo it). The core's platform workarounds are in
flower_demo/workarounds.py (the core never imports gradio).
"""

from __future__ import annotations

import functools

import math
import os
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
import pydantic
from gradio import processing_utils
from gradio.components.dataframe import DataframeData

from flower_demo.atomic import write_atomically


# --- Inputs that reach the handler, which answers in the student's language -------------------------

def is_link(path) -> bool:
    """Whether an input's file is a link an API client sent instead of a file (see _NoDownloads)."""
    return isinstance(path, str) and path.lower().startswith(("http://", "https://"))


class _NoDownloads:
    """Hands a link an API client sends as a file to the handler as it is, never downloaded.

    Gradio downloads such a link on the server before any handler runs, from any public host and
    with no size limit (`max_file_size` only bounds uploads): a disk and bandwidth sink for one
    request, and offline an untranslated "Error". The handler refuses a link (`is_link`) in the
    student's language; a browser never sends one (it uploads the file).
    """

    async def async_move_resource_to_block_cache(self, url_or_file_path):
        if is_link(str(url_or_file_path)):
            return str(url_or_file_path)
        return await super().async_move_resource_to_block_cache(url_or_file_path)


class PhotoInput(_NoDownloads, gr.Image):
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

    @functools.wraps(gr.Image.__init__)  # Gradio reads a component's settings from its __init__'s parameters
    def __init__(self, *args, **kwargs):
        # Gradio wraps an output picture in a button named only by its alt text: without one a screen
        # reader hears "button". Until a handler sends a picture with its own alt text, the label names it.
        if kwargs.get("alt_text") is None and kwargs.get("label") is not None:
            kwargs["alt_text"] = kwargs["label"]
        super().__init__(*args, **kwargs)

    def get_block_name(self) -> str:
        return "image"

    def postprocess(self, value):
        if isinstance(value, np.ndarray):
            encoded = processing_utils.encode_pil_to_bytes(PIL.Image.fromarray(value), self.format)
            path = Path(self.GRADIO_CACHE) / processing_utils.hash_bytes(encoded) / f"image.{self.format}"
            try:  # same bytes, same name: an existing file is complete; touched, as delete_cache ages by time
                os.utime(path)
            except FileNotFoundError:
                write_atomically(path, lambda partial: partial.write_bytes(encoded), suffix=".partial", mode=0o644)
            value = str(path)  # inside Gradio's cache, so Gradio serves it without another copy
        return super().postprocess(value)


# --- Values from API clients: clamped or passed on, never an untranslated refusal ---------------


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


# gr.Dataframe's value, where a `data` that is not a list of rows (a dict, text) or a value that is not a
# table at all becomes an empty grid: Gradio validates the value before any handler runs, and its refusal
# is an untranslated "Error"; the handler refuses an empty grid as "3x3 or 5x5". (A comment, not a
# docstring, and gr.Dataframe's title: the API page shows the same schema as for a stock grid.)
class KernelGridData(DataframeData):
    model_config = pydantic.ConfigDict(title="DataframeData")

    @pydantic.model_validator(mode="before")
    @classmethod
    def rows_or_empty(cls, value):
        value = value if isinstance(value, dict) else {}
        headers, rows = value.get("headers"), value.get("data")
        if not (isinstance(rows, list) and all(isinstance(row, (list, tuple)) for row in rows)):
            rows = []
        return {"headers": headers if isinstance(headers, list) else [], "data": rows}


class KernelGrid(gr.Dataframe):
    """A gr.Dataframe that lets an API client's null through to the handler (Gradio's own would fail
    with a traceback), where a custom kernel then gets the translated "3x3 or 5x5" message; so does a
    grid that is not a list of rows (KernelGridData)."""

    data_model = KernelGridData

    def get_block_name(self) -> str:
        return "dataframe"  # drawn by gr.Dataframe's own front end

    def preprocess(self, payload):
        return None if payload is None else super().preprocess(payload)


class ModelFileInput(_NoDownloads, gr.File):
    """A gr.File whose upload reaches the handler as a path whatever its name, so that what is not a
    .keras model is refused in the student's language (gr.File's own refusal is in English only)."""

    def get_block_name(self) -> str:
        return "file"

    def preprocess(self, payload):
        return None if payload is None else payload.path


class PhotoFilesInput(_NoDownloads, gr.File):
    """A gr.File of several files whose uploads reach the handler as paths whatever their names, so
    that what is not a photo is skipped and counted in the student's language (gr.File refuses a file
    type outside `file_types` with an English error, and the whole upload with it)."""

    def get_block_name(self) -> str:
        return "file"

    def preprocess(self, payload):
        if payload is None:
            return None
        from gradio.components.file import ListFiles

        return [item.path for item in payload] if isinstance(payload, ListFiles) else [payload.path]
