"""What a student reads when something is wrong: translated, clear, and inert text (issue 33, point 6).

Gradio renders an error toast as HTML, so a message quoting what a student typed (a kernel cell) must
arrive escaped; calls that used to end in Gradio's untranslated "Error" get our own messages.
"""

from __future__ import annotations

import dataclasses
import logging

import httpx
import numpy as np
import pytest
from gradio_client import handle_file

from flower_demo import recipes
from flower_demo.model import serving
from flower_demo.i18n import translate
from flower_demo.train.training import TrainingRun
from tests.test_app import english, photo, spanish  # noqa: F401 (the same clients and photo as test_app)

MARKUP = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _grid(rows):
    """A gr.Dataframe value as an API client sends it."""
    return {"headers": [str(i) for i in range(len(rows[0]))], "data": rows}


def test_a_kernel_cell_quoting_markup_reaches_another_student_escaped(english, spanish, app_url, photo):
    cells = _grid([[0, MARKUP, 0], [0, 1, 0], [0, 0, 0]])
    with pytest.raises(Exception) as refused:
        english.predict(handle_file(photo), "custom", "color", 1, "same", cells, api_name="/convolve")
    assert ESCAPED in str(refused.value) and "<img" not in str(refused.value)

    # Gradio's deep links are on in every app (/gradio_api/deep_link saves a session's values): the cell
    # reaches another student's page as the grid's value, and their page's convolution checks it again.
    code = httpx.get(f"{app_url}gradio_api/deep_link", params={"session_hash": english.session_hash},
                     trust_env=False).json()
    shared = httpx.get(f"{app_url}config", params={"deep_link": code}, trust_env=False).json()
    grids = [component["props"]["value"] for component in shared["components"]
             if component.get("type") == "dataframe"]
    assert any(MARKUP in str(grid) for grid in grids)
    with pytest.raises(Exception) as refused:
        spanish.predict(handle_file(photo), "custom", "color", 1, "same", cells, api_name="/convolve")
    assert "número finito" in str(refused.value) and ESCAPED in str(refused.value)


@pytest.mark.parametrize("grid", [{"headers": ["a"], "data": {"x": 1}}, {"headers": 3, "data": "1,2,3"},
                                  "not a table", [[1, 0, 0]]])
def test_a_kernel_grid_that_is_not_a_list_of_rows_gets_the_grid_message(spanish, photo, grid):
    with pytest.raises(Exception, match="cuadrícula de 3×3 o 5×5"):
        spanish.predict(handle_file(photo), "custom", "color", 1, "same", grid, api_name="/convolve")


def _functional(*layers, name="brought"):
    import keras

    x = inputs = keras.Input((32, 32, 3))
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


def _uploaded(client, model, folder) -> None:
    path = folder / f"{model.name}.keras"
    model.save(path)
    assert client.predict(handle_file(str(path)), api_name="/upload_model").startswith("Model loaded")


def test_a_model_without_convolutions_gets_a_clear_message_in_every_view(english, photo, tmp_path):
    from keras import layers

    _uploaded(english, _functional(layers.Rescaling(1 / 255), layers.Flatten(), layers.Dense(5), name="dense"),
              tmp_path)
    expected = translate("error_no_stages", "en", detail="dense")
    for endpoint, arguments in (("/saliency", ()), ("/filters", ()), ("/feature_maps", ())):
        with pytest.raises(Exception, match=expected.replace("(", r"\(").replace(")", r"\)")):
            english.predict(handle_file(photo), "own", *arguments, api_name=endpoint)
    label, _ = english.predict(handle_file(photo), api_name="/classify")  # it still answers
    assert len(label["confidences"]) == 5


def test_a_7x7_first_convolution_gets_a_clear_message_and_the_other_views_work(english, photo, tmp_path):
    from keras import layers

    model = _functional(layers.Rescaling(1 / 255), layers.Conv2D(4, 7, activation="relu", name="wide"),
                        layers.MaxPooling2D(), layers.GlobalAveragePooling2D(), layers.Dense(5), name="seven")
    _uploaded(english, model, tmp_path)
    with pytest.raises(Exception, match="has 7×7 filters and no hand-made kernel has that size"):
        english.predict(handle_file(photo), "own", api_name="/filters")
    _, notes = english.predict(handle_file(photo), "own", api_name="/feature_maps")
    assert "- Stage 1: wide · 26 × 26 × 4" in notes
    _, notes = english.predict(handle_file(photo), "own", api_name="/saliency")
    assert "(`wide`)" in notes


def test_a_model_answering_nan_is_refused_not_shown_as_nan_percent(english, photo, monkeypatch):
    monkeypatch.setattr(serving, "predict_probabilities", lambda network, rgb: np.full(5, np.nan, np.float32))
    with pytest.raises(Exception, match="no numbers for this photo"):
        english.predict(handle_file(photo), "", "shipped", api_name="/classify")


def test_a_training_run_that_dies_unexpectedly_ends_failed_with_a_message(clean_flower_folder, monkeypatch,
                                                                          caplog):
    from flower_demo.train import training
    from flower_demo.tabs import training as training_tab

    def broken(*args, **kwargs):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType' in /srv/app/flower_demo/x.py")

    monkeypatch.setattr(training, "make_datasets", broken)
    tiny = dataclasses.replace(recipes.PRESETS["live"], epochs=1, image_size=32, batch_size=8)
    run = TrainingRun(tiny, data_dir=clean_flower_folder)
    with caplog.at_level(logging.ERROR, logger="flower_demo.train.training"):
        states = list(run.stream(interval=0.05))  # the thread's end, not a status stuck at "Preparing"
    final = states[-1]
    assert final.phase == "failed" and final.error_key == "error_training_crashed"
    assert final.error_detail == "TypeError"  # the type only: no server path or source line
    assert "Traceback" in caplog.text and "/srv/app" in caplog.text  # the whole story is in the log
    spanish_status = training_tab._status(final, "es", False)
    assert spanish_status.startswith("No se pudo entrenar: un error inesperado") and "Pulsa Entrenar" in spanish_status
