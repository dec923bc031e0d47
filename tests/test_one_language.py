"""One language per page (issue 35, goal 1): every endpoint answers wholly in the caller's language.

A student walks the app through gradio_client, once in Spanish and once in English: train a short
run, classify, look inside, evaluate, compare, take the model home. Every text an answer holds
(Markdown, labels, tables, the training's every status) is searched for words only the other language
uses; one found fails with the text around it.
"""

from __future__ import annotations

import re

import pytest
from gradio_client import handle_file

from tests.clients import local_client
from tests.test_app import photo  # noqa: F401  (the module's photo fixture)

# Words each language writes and the other never does (whole words, lower case). Names the app keeps
# in English in both languages (presets, layer types, the command line, file names) are not here.
ONLY = {
    "es": {"el", "la", "los", "las", "del", "con", "una", "fotos", "época", "épocas", "modelo", "clase",
           "exactitud", "pérdida", "entrenamiento", "validación", "entrenaste", "detenido", "probable"},
    "en": {"the", "of", "with", "photos", "epoch", "epochs", "model", "class", "accuracy", "loss", "training",
           "validation", "trained", "stopped", "likely", "and"},
}
OTHER = {"es": "en", "en": "es"}
CODE = re.compile(r"```.*?```|`[^`]*`", re.S)  # commands and names quoted as code are not prose


def texts(value) -> list[str]:
    """Every string in an endpoint's answer, files and pictures left out."""
    if isinstance(value, str):
        return [] if value.startswith(("/", "http")) or value.endswith((".png", ".jpeg", ".jpg", ".keras")) else [value]
    if isinstance(value, dict):
        if "plot" in value or "path" in value or "url" in value:  # a figure or a file
            return []
        return [text for item in value.values() for text in texts(item)]  # keys are the API's, in English
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in texts(item)]
    return []


def foreign_words(text: str, lang: str) -> set[str]:
    words = set(re.findall(r"[a-záéíóúñü]+", CODE.sub(" ", text).lower()))
    return words & ONLY[OTHER[lang]]


def walk(client, photo_path: str) -> list[tuple[str, str]]:
    """(endpoint, text) for everything a student's walk through the app gets back."""
    answers = []

    def keep(name, value):
        answers.extend((name, text) for text in texts(value))

    photo_file = handle_file(photo_path)
    keep("/convolve", client.predict(photo_file, "sobel_x", api_name="/convolve"))
    keep("/dataset", client.predict(api_name="/dataset"))
    keep("/augment", client.predict(photo_file, api_name="/augment"))
    job = client.submit("live", 1, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    job.result()
    for output in job.outputs():  # every status the run streamed, not only the last
        keep("/train", output[0])
        keep("/train", output[3])
    keep("/classify", client.predict(photo_file, api_name="/classify"))
    keep("/saliency", client.predict(photo_file, api_name="/saliency"))
    keep("/feature_maps", client.predict(photo_file, api_name="/feature_maps"))
    keep("/filters", client.predict(photo_file, api_name="/filters"))
    keep("/evaluate", client.predict(api_name="/evaluate")[:2])  # the numbers' JSON is data for programs
    keep("/mistakes", client.predict(api_name="/mistakes"))
    keep("/export", client.predict(api_name="/export"))
    job = client.submit(1, api_name="/compare")
    job.result()
    for output in job.outputs():
        keep("/compare", output[:5])
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("lang,header", [("es", "es-ES,es;q=0.9"), ("en", "en-GB,en;q=0.9")])
def test_every_answer_is_in_the_callers_language(app_url, photo, lang, header):  # noqa: F811
    answers = walk(local_client(app_url, header), photo)
    assert {name for name, _ in answers} >= {"/convolve", "/dataset", "/train", "/classify", "/feature_maps",
                                             "/filters", "/evaluate", "/export", "/compare"}
    mixed = [(name, sorted(words), text[:160]) for name, text in answers if (words := foreign_words(text, lang))]
    assert not mixed, "\n".join(f"{name}: {words} in {text!r}" for name, words, text in mixed)


def test_the_marker_words_tell_the_languages_apart():
    assert foreign_words("Lo más probable: rosas (80,9 %). Modelo: el que entrenaste.", "en") == {
        "probable", "modelo", "el", "entrenaste"}
    assert foreign_words("Most likely: roses (80.9 %). Model: the one you trained.", "es") == {
        "likely", "model", "the", "trained"}
    assert not foreign_words("Run `python -m flower_demo train --preset live --epochs 1` (seed_augmented).", "es")
    assert not ONLY["es"] & ONLY["en"]
