"""A mischievous student against the launched app (issue 33): each attack is refused or bounded, in the
attacker's language, and another student's /classify still answers as usual meanwhile."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from flower_demo.model import model_files
from tests import hostile_models as hostile
from tests.clients import local_client
from tests.test_app import english, photo, spanish  # noqa: F401 (the same clients and photo as test_app)

USUAL_SECONDS = 10  # a liveness bound, not a speed target: /classify takes ~0.1 s here (benchmarks/ measure it)


def classify_answers(client, photo_path) -> None:
    started = time.monotonic()
    confidences, _ = client.predict(handle_file(photo_path), api_name="/classify")
    assert len(confidences["confidences"]) == 5 and time.monotonic() - started < USUAL_SECONDS


def test_a_model_that_would_change_keras_for_everyone_is_refused(tmp_path, spanish, english, photo):
    import keras

    base = hostile.save(hostile.plain_model(), tmp_path / "plain.keras")
    before = model_files.keras_settings()  # the app runs in this process: its settings are these
    for function in ("set_max_epochs", "set_floatx", "set_image_data_format"):
        path = hostile.edited(base, tmp_path / f"{function}.keras", hostile.lambda_calling(function))
        with pytest.raises(Exception, match="Por seguridad no cargamos este modelo"):
            spanish.predict(handle_file(str(path)), api_name="/upload_model")
    assert model_files.keras_settings() == before and keras.config.max_epochs() is None
    classify_answers(english, photo)


def test_a_costly_model_is_refused_with_its_cost(tmp_path, english, photo):
    path = hostile.save(hostile.costly_model(), tmp_path / "costly.keras")
    with pytest.raises(Exception, match=r"needs \d+\.\d\d GFLOP .* the limit is 2\.71 GFLOP and 76 MB"):
        english.predict(handle_file(str(path)), api_name="/upload_model")
    classify_answers(english, photo)


def test_a_zip_member_bomb_is_refused(tmp_path, english, photo):
    base = hostile.save(hostile.plain_model(), tmp_path / "plain.keras")
    with pytest.raises(Exception, match="not a .keras model we can read"):
        english.predict(handle_file(str(hostile.member_bomb(base, tmp_path / "bomb.keras"))), api_name="/upload_model")
    classify_answers(english, photo)


def test_an_image_bomb_is_refused_and_the_class_goes_on(tmp_path, english, photo):
    bomb = tmp_path / "bomb.png"
    Image.fromarray(np.zeros((6300, 6300), np.uint16)).save(bomb)  # 39.7 MP of 16-bit grey, ~80 KB
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(Exception, match="megapixel|too large|pixels"):
        english.predict(handle_file(str(bomb)), api_name="/classify")
    classify_answers(english, photo)


def test_one_session_flooding_an_endpoint_is_refused_past_its_share(app_url, english, photo):
    attacker = local_client(app_url, "en")
    jobs = [attacker.submit("shipped", api_name="/evaluate") for _ in range(8)]
    outcomes = []
    for job in jobs:
        try:
            job.result(timeout=120)
            outcomes.append("answered")
        except Exception as problem:  # noqa: BLE001 (the refusal reaches gradio_client as an HTTP 400)
            outcomes.append("refused" if "400" in str(problem) else repr(problem))
    assert outcomes.count("refused") >= 1 and set(outcomes) <= {"answered", "refused"}
    classify_answers(english, photo)


def test_a_link_sent_as_a_file_is_refused_without_a_download(spanish, english, photo):
    link = "https://example.com/flower.jpg"  # nothing is fetched: this machine has no network anyway
    with pytest.raises(Exception, match="la app no descarga enlaces"):
        spanish.predict(handle_file(link), api_name="/classify")
    with pytest.raises(Exception, match="does not download links"):
        english.predict(handle_file("https://example.com/model.keras"), api_name="/upload_model")
    classify_answers(english, photo)
