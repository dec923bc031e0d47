"""The tabs' picture inputs: an upload we read with our own checks, the sample photos, a dataset photo."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import matplotlib
import numpy as np

from flower_demo import config, errors
from flower_demo.data import dataset_overview, download, images
from flower_demo.tabs import components
from flower_demo.tabs.ui import error, language, own_photos_of, own_picture_file, t

SAMPLE_PHOTO = str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")  # ships with matplotlib
SECOND_PHOTO = str(Path(matplotlib.get_data_path()) / "sample_data" / "Minduka_Present_Blue_Pack.png")  # CutMix's other


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


def pick_own_photo(request: gr.Request = None):
    """A random one of this session's own photos (the Your photos tab) and its class, as a file of the
    session's own that goes with its photos."""
    lang = language(request)
    own = own_photos_of(request, lang)
    if not len(own):
        raise error("error_own_none", lang)
    name, photo = own.photo_at(int(np.random.default_rng().integers(len(own))))
    return own_picture_file(request, photo, "pick"), name


def own_photo_button(target: gr.Image, truth: gr.Component | None = None):
    """A button that puts one of the student's own photos into `target` (and its class into `truth`)."""
    button = gr.Button(t("own_photo_button"), size="sm")
    if truth is None:
        return button.click(pick_own_photo_alone, None, target, api_visibility="private")
    return button.click(pick_own_photo, None, [target, truth], api_visibility="private")


def pick_own_photo_alone(request: gr.Request = None):
    return pick_own_photo(request)[0]


def image_input(label_key: str = "input_photo", **kwargs) -> gr.Image:
    """An image input we read ourselves, so odd and broken files get our own checks and messages."""
    # PNG: a photo put here by the server (a dataset photo) reaches the model without lossy re-encoding.
    sources = ["upload", "webcam", "clipboard"] if config.webcam_enabled() else ["upload", "clipboard"]
    return components.PhotoInput(label=t(label_key), type="filepath", sources=sources, format="png", **kwargs)
