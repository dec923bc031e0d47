"""The Inside the network and Evaluate pages (issue 35): what they write in each language (the model's
name, alt texts, plurals), what a language switch redraws without the model, the API's plain files,
and in Chromium the layout (the main button and its result on a projector's first screen, nothing
scrolling sideways on a phone) and the alt texts the pictures carry."""

from __future__ import annotations

import shutil
import types

import gradio as gr
import numpy as np
import pytest

from flower_demo import config
from flower_demo.tabs import evaluate, inside, saliency_panel
from tests.test_browser import CHROMIUM, browser  # noqa: F401 (the fixture)


def request(lang: str):
    return types.SimpleNamespace(query_params={"lang": lang}, session_hash=None, headers={})


# --- what the server writes -------------------------------------------------------------------------

@pytest.mark.parametrize("lang,top_left,centre", [("es", "arriba a la izquierda", "en el centro"),
                                                  ("en", "in the top left", "in the centre")])
def test_where_a_picture_responds_most(lang, top_left, centre):
    hot = np.zeros((90, 120))
    hot[:20, :30] = 1
    assert inside.where(hot, lang) == top_left
    assert inside.where(np.ones((2, 2)), lang) == top_left  # a map smaller than 3 × 3: its first part
    assert inside.where(np.ones((30, 30)), lang) == top_left  # even: the first part
    hot = np.zeros((30, 30))
    hot[12:18, 12:18] = 1
    assert inside.where(hot, lang) == centre


VIEW = {"confusion": [[100, 2, 0, 0, 0], [1, 130, 0, 0, 5], [0, 0, 92, 0, 12], [0, 0, 0, 105, 0], [0, 3, 4, 0, 132]],
        "per_class": [0.98, 0.96, 0.88, 1.0, 0.95], "accuracy": 0.9522, "photos": 586, "available": 586,
        "split": 0.2, "class_names": list(config.CLASS_NAMES), "model": {
            "en": "Model: your run **#2 seed_augmented** (validation accuracy 80.9%).",
            "es": "Modelo: tu entrenamiento **#2 seed_augmented** (exactitud de validación 80,9 %)."},
        "notes": [["evaluate_note_run", {"number": 2, "preset": "seed_augmented"}]]}


def test_the_matrix_alt_text_says_photos_accuracy_and_the_worst_confusion():
    names = {"en": ["daisy", "dandelion", "roses", "sunflowers", "tulips"]}
    assert evaluate._matrix_alt(VIEW, names["en"], "en") == (
        "Confusion matrix: 586 photos, 95.2 % right; most confused: roses taken for tulips (12).")
    spanish = evaluate._matrix_alt(VIEW, ["margarita", "diente de león", "rosas", "girasoles", "tulipanes"], "es")
    assert spanish == ("Matriz de confusión: 586 fotos, 95,2 % de acierto; la confusión más frecuente: fotos de rosas "
                       "tomadas por tulipanes (12).")
    perfect = dict(VIEW, confusion=np.diag([5, 5, 5, 5, 5]).tolist(), photos=25, accuracy=1.0)
    assert evaluate._matrix_alt(perfect, names["en"], "en").endswith("100.0 % right; no mistakes.")


def test_a_language_switch_redraws_the_evaluation_from_what_is_shown_without_the_model():
    picture, summary = evaluate.redraw_report(VIEW, request=request("en"))
    assert picture["alt_text"].startswith("Confusion matrix: 586 photos") and picture["value"].ndim == 3
    assert summary.startswith("Model: your run **#2 seed_augmented** (validation accuracy 80.9%).")
    assert "Your run #2 (seed_augmented) held these photos out" in summary
    _, resumen = evaluate.redraw_report(VIEW, request=request("es"))
    assert resumen.startswith("Modelo: tu entrenamiento **#2 seed_augmented** (exactitud de validación 80,9 %).")
    assert evaluate.redraw_report(None, request=request("es")) == (gr.skip(), gr.skip())
    assert evaluate.redraw_mistakes([], None, request=request("es")) == (gr.skip(), gr.skip())
    assert evaluate.redraw_chosen(None, request=request("es")) == gr.skip()


@pytest.mark.parametrize("lang,one,many", [
    ("es", "**1** foto de **rosas** tomada por **tulipanes**.", "**3** fotos de **rosas** tomadas por **tulipanes**"),
    ("en", "**1** photo of **roses** taken for **tulips**.", "**3** photos of **roses** taken for **tulips**")])
def test_the_listing_agrees_in_number_and_gives_each_photos_confidence(lang, one, many):
    listing = {"true": 2, "predicted": 4, "count": 1, "class_names": list(config.CLASS_NAMES)}
    photo = {"class": "roses", "said": "tulips", "confidence": 97.4, "file": "roses/a.jpg", "path": "/nowhere"}
    assert evaluate._listing_text(listing, [photo], lang).startswith(one)
    text = evaluate._listing_text(dict(listing, count=3), [photo, dict(photo, confidence=81.2), photo], lang)
    assert text.startswith(many) and "97\u00a0%, 81\u00a0%, 97\u00a0%." in text
    assert evaluate._caption(photo, lang) == {"es": "rosas → tulipanes", "en": "roses → tulips"}[lang]
    assert evaluate._listing_text(dict(listing, count=0), [], lang) == {"es": "Ninguna foto aquí.",
                                                                         "en": "No photos here."}[lang]


def test_the_chosen_photo_says_right_or_wrong():
    wrong = {"class": "roses", "said": "tulips", "confidence": 97.4, "file": "roses/a.jpg"}
    assert evaluate._chosen_text(wrong, "es") == "Elegida: `roses/a.jpg`, una foto de rosas tomada por tulipanes (97,4 %)."
    right = dict(wrong, said="roses")
    assert evaluate._chosen_text(right, "en") == "Chosen: `roses/a.jpg`, a photo of roses recognised (97.4 %)."


def test_the_saliency_endpoint_answers_a_plain_file_and_the_page_its_alt_text(monkeypatch):
    """/saliency's clients get the picture itself (an update with an alt text reaches them as a dict)."""
    picture = np.zeros((4, 4, 3), np.uint8)
    monkeypatch.setattr(saliency_panel, "show_saliency",
                        lambda *args, **kwargs: (gr.Image(value=picture, alt_text="Grad-CAM: centre"), "notes"))
    value, notes, alts = inside.saliency("photo.png")
    assert value is picture and notes == "notes" and alts == ["Grad-CAM: centre"]
    assert inside.one_alt_text(alts)["alt_text"] == "Grad-CAM: centre"
    monkeypatch.setattr(saliency_panel, "show_saliency", lambda *args, **kwargs: (picture, "notes"))
    assert inside.saliency("photo.png")[2] == [""] and inside.one_alt_text([""]) == gr.skip()


def test_a_redraw_leaves_what_is_shown_when_it_cannot_draw_it_again():
    """Nothing shown: nothing drawn; the photo gone (or the model freed): the old pictures stay."""
    skip = gr.skip()
    assert inside.redraw_maps("photo.png", "own", 12, None, None, request=request("en")) == (skip,) * 4
    assert inside.redraw_maps(None, "own", 12, None, {"alt": "x"}, request=request("en")) == (skip,) * 4
    assert inside.redraw_filters(None, "own", 0, None, "| listing |", "notes", request=request("en")) == (skip,) * 5
    assert inside.redraw_filters(None, "own", 0, None, "", "notes", request=request("en")) == (skip,) * 5
    assert inside.redraw_filters("photo.png", "own", 0, None, "", "", request=request("en")) == (skip,) * 5


def test_the_maps_texts_go_to_the_page_after_the_picture():
    alt, model, listing = inside.show_maps_texts({"alt": "Feature maps…", "model": "Model: x.", "listing": "- Stage 1"})
    assert alt["alt_text"] == "Feature maps…" and model == "Model: x." and listing == "- Stage 1"
    assert inside.filters_alt_texts(["a", "b"])[2] == gr.skip()


# --- the pages in Chromium --------------------------------------------------------------------------

SIDEWAYS_JS = """() => [...document.querySelectorAll('*')].filter(e => e.offsetParent !== null
    && e.scrollWidth > e.clientWidth + 2 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
    .map(e => e.id || e.className.toString().slice(0, 60))"""


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("lang,width,height", [("es", 1366, 768), ("en", 390, 844)])
def test_the_pages_fit_a_projector_and_a_phone(app_url, browser, lang, width, height):
    from tests import axe_audit as ax

    page = ax.open_app(browser, app_url, lang, (width, height))
    try:
        for tab, button_key, result in (("inside", "inside_button", "#feature-maps"),
                                        ("evaluate", "evaluate_button", "#confusion-matrix")):
            ax.open_tab(page, lang, tab)
            ax.ACTIONS[tab](page, lang)
            ax.wait_idle(page)
            page.evaluate("window.scrollTo(0, 0)")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.evaluate(SIDEWAYS_JS) == []  # no box scrolls sideways
            button = page.get_by_role("button", name=ax.text(lang, button_key), exact=True).bounding_box()
            if width > 1000:  # on a projector the button and the top of its result on the first screen
                assert button["y"] + button["height"] <= height
                assert page.locator(result).bounding_box()["y"] < height - 200
            alt = page.locator(f"{result} img").get_attribute("alt")
            assert alt.startswith({"inside": ax.text(lang, "inside_alt_maps").split(" {")[0][:20],
                                   "evaluate": ax.text(lang, "evaluate_alt_matrix").split(" {")[0]}[tab])
    finally:
        page.close()
