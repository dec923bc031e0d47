"""Issue 35 on the Training, Classify and Compare tabs, without a browser: what their handlers write
(numbers the reader's way, plurals, which model answered, a weaker run said so), what a language
switch redraws from the tab's states, and what goes when it no longer belongs (a removed photo, a
download of another model)."""

from __future__ import annotations

import dataclasses

import gradio as gr
import numpy as np
import pytest

from flower_demo import recipes
from flower_demo.train import runs
from flower_demo.train.training import RunState
from flower_demo.tabs import classify, compare, model_choice, saliency_panel, training


class Request:
    """Just what ui.language reads from a gr.Request: the page's `?lang=`."""

    def __init__(self, lang: str):
        self.query_params, self.headers, self.session_hash = {"lang": lang}, {}, None


def finished(*accuracies: float, phase: str = "finished") -> RunState:
    history = [{"epoch": index, "seconds": 2.0, "val_accuracy": value} for index, value in enumerate(accuracies, 1)]
    return RunState(phase=phase, epochs=len(accuracies), epoch=len(accuracies), full_epochs=len(accuracies),
                    history=history, model=object())


def recorded(preset: str, *accuracies: float, history=None) -> list:
    return runs.appended(history, runs.record(recipes.PRESETS[preset], finished(*accuracies)))


def test_a_weaker_run_that_replaces_the_model_says_so_with_both_accuracies():
    before = recorded("live", 0.5, 0.809)
    spanish = training._final_status(finished(0.62), "es", before)
    assert spanish.startswith("Listo: 1 época, exactitud de validación 62,0 %. La pestaña Clasificar usa ahora "
                              "tu modelo.")
    assert "el entrenamiento anterior (#1 live) era mejor: 80,9 % frente a 62,0 %" in spanish
    english = training._final_status(finished(0.62), "en", before)
    assert "the previous run (#1 live) was better: 80.9% vs 62.0%" in english
    assert "better" not in training._final_status(finished(0.9), "en", before)  # a better run: nothing to say
    assert "better" not in training._final_status(finished(0.62), "en", [])  # the first run
    no_model = dataclasses.replace(finished(0.62), model=None)
    assert "better" not in training._final_status(no_model, "en", before)  # nothing replaced


def test_the_previous_run_is_drawn_whole_and_named_by_the_caption():
    previous = [{"step": 0.5, "value": 0.3, "metric": "accuracy", "series": "training"},
                {"step": 8.0, "value": 0.6, "metric": "accuracy", "series": "validation"}]
    assert training.epochs_shown(3, previous) == 8.0  # a shorter run after a longer one
    assert training.epochs_shown(12, previous) == 12.0
    chart = training._chart([], "accuracy", "es", previous, 8.0)
    assert chart.x_lim == [0, 8.0] and chart.caption == "Líneas más claras: tu entrenamiento anterior."
    assert chart.colors_in_legend == ["entrenamiento", "validación"]  # four names do not fit 300 px
    assert training._chart([], "accuracy", "en", [], 3.0).caption is None


def test_the_lines_read_on_white():
    from flower_demo.look.result_plots import contrast_on_white

    assert all(contrast_on_white(colour) >= 3 for colour in training.SERIES_COLORS)


def test_the_model_summary_is_a_list_in_the_readers_language():
    rows = [("stage1_conv", "Conv2D", (64, 64, 16), 4608), ("logits", "Dense", (5,), 1)]
    spanish = training._summary_table(rows, "es")
    assert "- `stage1_conv` (Conv2D) → (lote, 64, 64, 16) · 4.608 parámetros" in spanish
    assert "- `logits` (Dense) → (lote, 5) · 1 parámetro\n" in spanish and "**4.609**" in spanish
    assert "|" not in spanish  # no table to squeeze on a phone
    assert "4,608 parameters" in training._summary_table(rows, "en")


def test_a_language_switch_redraws_the_last_run_from_the_tabs_state():
    assert training.redraw(None, request=Request("en")) == (gr.skip(),) * 4  # nothing shown, or a run streams
    state = finished(0.5)
    shown = {"status": {lang: training._final_status(state, lang, []) for lang in ("es", "en")},
             "rows": [("logits", "Dense", (5,), 645)], "curve": [], "previous": [], "epochs": 1.0}
    status, accuracy, loss, summary = training.redraw(shown, request=Request("en"))
    assert status.startswith("Done: 1 epoch") and "645 parameters" in summary
    assert accuracy.colors_in_legend == ["training", "validation"]
    assert training.redraw({"status": {"es": "Saliste de la cola", "en": "You left"}},
                           request=Request("es"))[0] == "Saliste de la cola"


def test_the_runs_table_fits_a_phone_and_writes_numbers_the_readers_way():
    history = recorded("seed", 0.5, 0.809)
    history = recorded("seed_augmented", 0.75, history=history)
    table = compare.runs_table(history, "es")
    assert list(table.columns) == ["N.º", "Preset", "Validación"]
    assert table.values.tolist() == [["#1", "seed", "80,9 %"], ["#2", "seed_augmented", "75,0 %"]]
    history = runs.appended(history, dict(history[0], best_val_accuracy=0.9))
    assert compare.runs_table(history, "en").values.tolist()[-1] == ["#3", "seed", "80.9% (best: 90.0%)"]
    settings = compare.runs_settings(history, "es")
    assert "**#1 seed**: 2 épocas · 4 s entrenando · 180 px · lote 32 · tasa 0,001 · validación 20 %" in settings
    assert "**#2 seed_augmented**: 1 época ·" in settings and "aumento · dropout 0,2" in settings
    assert "validation 20% · augmentation · dropout 0.2" in compare.runs_settings(history, "en")


def test_the_comparisons_status_agrees_in_number():
    history = recorded("seed_augmented", 0.7, history=recorded("seed", 0.6))
    assert "1 época cada uno" in compare._after_run(finished(0.7), 2, history, 1, "es")
    assert "1 epoch each" in compare._after_run(finished(0.7), 2, history, 1, "en")
    assert "3 epochs each" in compare._after_run(finished(0.7), 2, history, 3, "en")
    assert compare._after_run(finished(0.6), 1, history, 1, "en").startswith("**seed_augmented** (2 of 2)")


def test_the_compare_redraw_waits_for_a_running_comparison_and_redraws_the_download_text():
    history = recorded("seed", 0.6)
    export_shown = {"es": "Para repetir", "en": "To repeat"}
    status, note, table, choices, chart, text = compare.redraw(history, [1], "accuracy", compare.RUNNING,
                                                               export_shown, request=Request("es"))
    assert (status, note, table, chart) == (gr.skip(),) * 4 and text == "Para repetir"
    status, note, table, choices, chart, text = compare.redraw(history, [1], "loss", {"status": {"en": "Done"}},
                                                               None, request=Request("en"))
    assert status == "Done" and "**#1 seed**" in note and list(table.columns)[-1] == "Validation"
    assert choices == gr.skip() and text == gr.skip()
    assert compare.forget_export() == (None, "", None)


def test_what_answered_is_named_under_the_answer():
    network = object.__new__(type("Network", (), {}))
    assert model_choice.model_line(network, True, "en") == "Model: the one shipped with the app."
    assert model_choice.model_line(network, False, "es") == "Modelo: el tuyo, de esta sesión."
    runs.remember_origin(network, upload="mine.keras")
    assert model_choice.model_line(network, False, "es") == "Modelo: el que subiste (`mine.keras`)."
    runs.remember_origin(network, run=recorded("live", 0.809)[-1])
    assert model_choice.model_line(network, False, "es") == (
        "Modelo: tu entrenamiento **#1 live** (exactitud de validación 80,9 %).")
    assert model_choice.model_line(network, False, "en") == "Model: your run **#1 live** (validation accuracy 80.9%)."
    assert model_choice.model_line(network, True, "en") == "Model: the one shipped with the app."  # asked for


@pytest.mark.parametrize("row,column,where", [(0, 0, "top_left"), (1, 2, "top"), (5, 5, "bottom_right"),
                                              (2, 0, "left"), (3, 3, "centre")])
def test_the_heatmaps_alt_text_says_where_it_is_strongest(row, column, where):
    heatmap = np.zeros((6, 6), np.float32)
    heatmap[row, column] = 1
    assert saliency_panel.hottest_part(heatmap) == where


def test_a_removed_photo_takes_its_answer_along():
    assert classify.cleared() == (None, "", "")
    assert saliency_panel.cleared() == (None, "")
    assert classify.redraw(None, "", "own", None, {"label": "roses"}, request=Request("en")) == (gr.skip(),) * 2


def test_the_model_choice_lists_the_sessions_kept_models_newest_first(monkeypatch):
    from flower_demo.server import session_models

    kept = session_models.SessionModels(budget_bytes=2**30, collect_after_s=None, per_session=3)
    monkeypatch.setattr(session_models, "MODELS", kept)
    request = Request("es")
    request.session_hash = "a"
    assert model_choice.choices(None, "es") == [("El que entrenaste (si no, el incluido)", "own"),
                                               ("El incluido con la app", "shipped")]
    history, handle = None, None
    for accuracy in (0.5, 0.654, 0.712):
        history = recorded("live", accuracy, history=history)
        network = object.__new__(type("Network", (), {"weights": []}))
        runs.remember_origin(network, run=history[-1])
        handle = model_choice.keep_model(network, request, "es")
    assert model_choice.choices(handle, "es") == [("Tu último: #3 live · 71,2 %", "own"), ("#2 live · 65,4 %", "run2"),
                                                  ("#1 live · 50,0 %", "run1"), ("El incluido con la app", "shipped")]
    brought = object.__new__(type("Network", (), {"weights": []}))
    runs.remember_origin(brought, upload="mine.keras")
    handle = model_choice.keep_model(brought, request, "en")  # the fourth: run #1 goes
    update = model_choice.choice_update(handle, "run1", request)
    assert update["choices"] == [("Tu último: mine.keras", "own"), ("#3 live · 71,2 %", "run3"),
                                 ("#2 live · 65,4 %", "run2"), ("El incluido con la app", "shipped")]
    assert update["value"] == "own"  # run #1 is no longer kept: the latest is chosen
    assert model_choice.choice_update(handle, "run2", request)["value"] == "run2"
    assert model_choice.redraw_choices(None, "own", request=request) == gr.skip()


def test_a_model_of_a_classs_own_classes_answers_and_explains_with_their_names(tmp_path):
    import keras
    from PIL import Image

    from flower_demo.model import model_classes
    from flower_demo.tabs import evaluate

    inputs = keras.Input((32, 32, 3))
    network = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(4, 3)(keras.layers.Rescaling(1 / 255)(inputs)))))
    model_classes.remember(network, ("taza", "roses", "lápiz"))  # a class of theirs named "roses" stays so
    request = Request("es")
    request.session_hash = "own classes"
    handle = model_choice.keep_model(network, request, "es")
    photo = tmp_path / "mug.png"
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(photo)
    scores, sentence = classify.classify(str(photo), "lápiz", "own", handle, request, None)
    assert set(scores) == {"taza", "roses", "lápiz"} and "Clase real (la tuya, de la pestaña Tus fotos): **lápiz**" in sentence
    overlay, notes = saliency_panel.show_saliency(str(photo), "own", "lápiz", 0.5, handle, request=request, progress=None)
    assert "lápiz" in overlay.alt_text
    update = saliency_panel.class_choices("own", handle, "roses", request)
    assert update["choices"][1:] == [("taza", "taza"), ("roses", "roses"), ("lápiz", "lápiz")]
    assert update["value"] == "roses"
    true, _ = evaluate.mistake_classes({"class_names": ["taza", "roses", "lápiz"]}, "daisy", "any", request)
    assert true["choices"][0] == ("cualquiera", "any") and true["value"] == "any"


def test_a_run_on_a_classs_own_photos_is_named_and_repeated_on_a_folder():
    run = runs.appended(None, runs.record(recipes.PRESETS["small"], finished(0.9), "own"))[-1]
    assert runs.is_own(run) and runs.file_name(run) == "own-small-run1.keras"
    assert runs.command_line(run) == ("python -m flower_demo train --preset small --data-dir your_photos "
                                      "--epochs 20 --out own-small-run1.keras")
    assert list(runs.table([run], "es")["Preset"]) == ["small (tus fotos)"]
    flowers = recipes.PRESETS["live"]
    assert not runs.is_own(runs.record(flowers, finished(0.9))) and "--data-dir" not in runs.command_line(
        runs.appended(None, runs.record(flowers, finished(0.9)))[-1])
