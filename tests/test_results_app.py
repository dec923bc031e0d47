"""/evaluate, /mistakes, /export, /upload_model and /compare through gradio_client (offline, synthetic
photos), and the shared links' handlers."""

from __future__ import annotations

import re
import types

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from flower_demo import config, recipes
from flower_demo.data import download, photo_cache
from flower_demo.model import model_files
from tests.clients import local_client
from tests.fake_flowers import synthetic_photo
from tests.test_app import english, photo, spanish  # noqa: F401 (the same clients and photo as test_app)


def held_out_photos() -> int:
    """How many photos of the app's folder (FLOWER_DATA_DIR, set by app_url) the split holds out."""
    folder = download.locate_dataset(allow_download=False)
    return len(photo_cache.split_rows(photo_cache.load_photos(folder, 32), config.VALIDATION_SPLIT)[1])


def test_the_new_endpoints_are_named(english):
    names = set(english.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/evaluate", "/mistakes", "/export", "/upload_model", "/compare", "/stop_comparison"} <= names


def test_the_shipped_model_is_evaluated_on_held_out_photos_and_says_it_trained_on_them(english, spanish):
    picture, summary, numbers = english.predict("shipped", api_name="/evaluate")
    assert Image.open(picture).size == (600, 640)  # readable at 350 px wide (tests/test_figure_text.py)
    confusion = np.asarray(numbers["confusion_matrix"])
    assert numbers["photos"] == confusion.sum() == held_out_photos()
    assert numbers["validation_split"] == 0.2 and numbers["class_names"] == list(config.CLASS_NAMES)
    assert f"on {numbers['photos']} validation photos (20 % held out, seed 123)" in summary
    assert "*final fit*" in summary and "90.3 %" in summary and "86.0 %" in summary

    gallery, text = english.predict("any", "any", "shipped", api_name="/mistakes")
    mistakes = confusion.sum() - np.trace(confusion)
    assert len(gallery) == min(mistakes, 12) and f"(of {mistakes} mistakes)" in text
    # The captions say which class it took for which; the text, the confidence in each, in their order.
    confidences = [float(value) for value in re.findall(r"(\d+)\s%", text.split("photo by photo:")[1])]
    assert len(confidences) == len(gallery)
    assert confidences == sorted(confidences, reverse=True)
    assert all(" → " in item["caption"] for item in gallery)
    true, predicted = np.unravel_index(np.argmax(confusion - np.diag(np.diag(confusion))), confusion.shape)
    gallery, text = english.predict(config.CLASS_NAMES[true], config.CLASS_NAMES[predicted], "shipped",
                                    api_name="/mistakes")
    assert len(gallery) == confusion[true, predicted] and f"**{confusion[true, predicted]}** photo" in text

    _, resumen, _ = spanish.predict("shipped", api_name="/evaluate")  # the same evaluation, shared, in Spanish
    assert "*ajuste final*" in resumen and "Por clase: margarita" in resumen
    with pytest.raises(Exception, match="Ajuste no válido: clase 'orchids'"):
        spanish.predict("orchids", api_name="/mistakes")


def test_a_run_is_evaluated_exported_with_its_command_and_brought_back(app_url, english, photo):
    job = english.submit("live", 1, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    job.result()
    _, summary, numbers = english.predict(api_name="/evaluate")
    assert "Your run #1 (live) held these photos out" in summary and numbers["photos"] == held_out_photos()

    path, text = english.predict(api_name="/export")
    assert path.endswith("flower-live-run1.keras")
    assert ("python -m flower_demo train --preset live --epochs 1 --image-size 32 --batch-size 8 "
            "--out flower-live-run1.keras") in text
    assert model_files.check_contract(model_files.import_model(path)) == 32
    own, _ = english.predict(handle_file(photo), api_name="/classify")

    another = local_client(app_url, "en")  # another student brings the file home and back
    loaded = another.predict(handle_file(path), api_name="/upload_model")
    assert loaded.startswith("Model loaded: **flower-live-run1.keras** (32×32 px photos, 98,805 parameters)")
    theirs, sentence = another.predict(handle_file(photo), api_name="/classify")
    assert "the one you uploaded (`flower-live-run1.keras`)" in sentence
    assert theirs["confidences"] == own["confidences"]  # identical scores, label by label
    shipped, sentence = another.predict(handle_file(photo), "roses", "shipped", api_name="/classify")
    assert "Model: the one shipped with the app." in sentence and "True class" in sentence
    assert shipped["confidences"] != own["confidences"]
    with pytest.raises(Exception, match="setting"):
        another.predict(handle_file(photo), "", "someone_elses", api_name="/classify")
    _, summary, _ = another.predict(api_name="/evaluate")
    assert "the model you brought (`flower-live-run1.keras`)" in summary
    _, text = another.predict(api_name="/export")
    assert "the model you brought" in text and "python -m" not in text


def test_what_is_not_a_fitting_model_is_refused_in_the_students_language(spanish, tmp_path):
    import keras

    notes = tmp_path / "notes.keras"
    notes.write_text("no soy un modelo")
    with pytest.raises(Exception, match="no es un modelo .keras que podamos leer"):
        spanish.predict(handle_file(str(notes)), api_name="/upload_model")
    photo = tmp_path / "photo.png"
    Image.fromarray(synthetic_photo("roses", 0)).save(photo)
    with pytest.raises(Exception, match="no es un modelo .keras"):  # gr.File's own check would be in English
        spanish.predict(handle_file(str(photo)), api_name="/upload_model")
    inputs = keras.Input((64, 64, 3))
    three = tmp_path / "three_classes.keras"
    keras.Model(inputs, keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(inputs))).save(three)
    with pytest.raises(Exception, match=r"no encaja en la app.*output \(None, 3\).*Received: no class names"):
        spanish.predict(handle_file(str(three)), api_name="/upload_model")
    _, sentence = spanish.predict(handle_file(str(photo)), api_name="/classify")
    assert "el incluido con la app" in sentence  # nothing was loaded


def test_the_tutorials_comparison_trains_both_and_keeps_them(english):
    job = english.submit(1, api_name="/compare")
    job.result()
    outputs = job.outputs()
    statuses = [output[0] for output in outputs]
    assert any(status.startswith("**seed** (1 of 2)") for status in statuses)
    assert any(status.startswith("**seed_augmented** (2 of 2)") for status in statuses)
    assert statuses[-1].startswith("Done: #1 seed and #2 seed_augmented, 1 epoch each.")
    settings, table, chosen, chart = outputs[-1][1:5]
    assert [row[:2] for row in table["data"]] == [["#1", "seed"], ["#2", "seed_augmented"]]
    assert "**#2 seed_augmented**: 1 epoch · " in settings and "augmentation · dropout 0.2" in settings
    assert all(len(row) == 3 for row in table["data"])  # number, preset, validation: a phone's width
    assert chosen["value"] == [1, 2] and chart["type"] == "matplotlib"
    _, text = english.predict(api_name="/export")
    assert "--preset seed_augmented --epochs 1 --out flower-seed_augmented-run2.keras" in text
    english.predict(api_name="/stop_comparison")  # nothing running: harmless


def test_a_shared_link_sets_the_language_the_tab_and_the_training_settings():
    import gradio as gr

    from flower_demo.tabs import kernels, page_links, training, ui

    link = types.SimpleNamespace(query_params={"tab": "training", "preset": "seed_augmented", "epochs": "3",
                                               "kernel": "sobel_x", "lang": "en"},
                                 headers={"accept-language": "es-ES"})
    assert ui.language(link) == "en"
    assert page_links.open_linked_tab(link).selected == "training"
    assert training.settings_from_link(link) == ("seed_augmented", 3, 32, 180, 0.001, 0.2)
    assert kernels.kernel_from_link(link) == "sobel_x"
    plain = types.SimpleNamespace(query_params={"lang": "fr", "tab": "nope"}, headers={"accept-language": "es-ES"})
    assert ui.language(plain) == "es"
    assert isinstance(page_links.open_linked_tab(plain), type(gr.skip()))
    capped = types.SimpleNamespace(query_params={"preset": "flower_cnn", "epochs": "30"}, headers={})
    assert training.settings_from_link(capped)[:2] == ("flower_cnn", recipes.LIVE_EPOCH_CAP["flower_cnn"])
