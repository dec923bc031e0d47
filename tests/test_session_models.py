"""flower_demo.server.session_models: the sessions' models within one memory budget, and the app using it
(a dropped model's message, a closed tab's model freed)."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from flower_demo import config
from flower_demo.server import session_models
from flower_demo.i18n import LANGUAGES, TEXTS
from flower_demo.server.session_models import Handle, ModelDropped, ModelOverBudget, SessionModels
from tests.clients import local_client
from tests.fake_flowers import synthetic_photo

MB = 2**20


class Weights:
    """A stand-in model: `megabytes` of float32 weights (never touched, so never really allocated)."""

    def __init__(self, megabytes: float):
        self.weights = [np.empty(int(megabytes * MB) // 4, np.float32)]


def counted(megabytes: float) -> int:
    """What the registry counts for a stand-in of `megabytes` of weights."""
    return int(megabytes * MB) // 4 * 4 + config.SESSION_MODEL_GRAPH_BYTES


def registry(models: float, megabytes: float = 1) -> SessionModels:
    """A registry with room for `models` stand-ins of `megabytes` (no garbage collection of its own)."""
    return SessionModels(budget_bytes=int(models * counted(megabytes)), collect_after_s=None)


def tiny_network():
    import keras

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(x)))


def test_a_new_model_pushes_out_the_least_recently_used_model_of_another_session():
    models = registry(3)
    handles = {session: models.put(session, Weights(1)) for session in "abc"}
    models.get(handles["a"])  # a is used again: b is now the least recently used
    models.put("d", Weights(1))
    assert models.sessions() == ["c", "a", "d"] and models.total_bytes() == 3 * counted(1)
    with pytest.raises(ModelDropped) as dropped:
        models.get(handles["b"])
    assert dropped.value.key == "error_model_dropped"
    assert models.get(handles["c"]) is not None  # c is now the most recently used
    models.put("e", Weights(2))  # larger: the two least recently used go
    assert models.sessions() == ["c", "e"]


def test_a_sessions_new_model_replaces_its_model_of_the_same_name_at_once():
    models = registry(2)
    first, other = models.put("a", Weights(1), "upload"), models.put("b", Weights(1))
    second = models.put("a", Weights(1), "upload")  # fits without pushing b out: a's first upload went first
    assert models.sessions() == ["b", "a"] and models.get(other) is not None
    with pytest.raises(ModelDropped):
        models.get(first)
    assert second == Handle("a", second.serial) and second.serial > first.serial
    assert models.kept("a") == [("upload", second)]


def test_a_session_keeps_its_last_few_models_newest_first():
    models = SessionModels(budget_bytes=10 * counted(1), collect_after_s=None, per_session=3)
    handles = [models.put("a", Weights(1), f"run{number}") for number in range(1, 5)]
    assert models.kept("a") == [("run4", handles[3]), ("run3", handles[2]), ("run2", handles[1])]
    with pytest.raises(ModelDropped):
        models.get(handles[0])  # the fourth pushed the first out
    assert models.peek(handles[1]) is not None and models.kept("b") == []


def test_over_the_budget_other_sessions_earlier_models_go_before_anyones_latest():
    models = SessionModels(budget_bytes=4 * counted(1), collect_after_s=None, per_session=3)
    a1, a2, a3 = (models.put("a", Weights(1), f"run{number}") for number in (1, 2, 3))
    b1 = models.put("b", Weights(1), "run1")
    models.get(a1)  # looked at again: of a's earlier models, run2 is now the least recently used
    c1 = models.put("c", Weights(1), "run1")  # over the budget: an earlier model goes, not b's only one
    assert [name for name, _ in models.kept("a")] == ["run3", "run1"] and models.get(b1) is not None
    models.put("d", Weights(1), "run1")
    models.put("e", Weights(1), "run1")  # only latest models left to push out: the least recently used, a's
    assert models.kept("a") == [] and models.get(b1) is not None and models.get(c1) is not None
    for handle in (a1, a2, a3):
        with pytest.raises(ModelDropped):
            models.get(handle)


def test_a_model_larger_than_the_whole_budget_is_refused_and_nothing_is_dropped():
    models = registry(2)
    kept = models.put("a", Weights(1))
    with pytest.raises(ModelOverBudget) as refused:
        models.put("b", Weights(8))  # 8 MB of weights and its graphs: more than two 1 MB models
    assert refused.value.key == "error_model_over_memory" and " MB > " in refused.value.detail
    assert models.get(kept) is not None and models.sessions() == ["a"]


def test_a_closed_tab_or_an_expired_state_frees_only_its_own_models():
    models = registry(4)
    old = models.put("a", Weights(1), "run1")
    new = models.put("a", Weights(1), "run2")
    other = models.put("b", Weights(1))
    models.release(None)  # a state that never held a model
    models.release(old)  # an old handle frees only that model: a newer one is the state's now
    assert models.get(new) is not None and models.kept("a") == [("run2", new)]
    newer = models.put("a", Weights(1), "run3")
    models.put("a", Weights(1), "run4")  # a model the expired state never held
    models.release(newer)  # the state's last handle: its model and the ones before it
    assert [name for name, _ in models.kept("a")] == ["run4"]
    models.drop_session("a")
    models.drop_session("b")
    models.drop_session("never seen")
    assert models.sessions() == [] and models.total_bytes() == 0
    for handle in (new, other):
        with pytest.raises(ModelDropped):
            models.get(handle)


def test_many_threads_at_once_stay_within_the_budget():
    models = registry(4)
    errors, totals = [], []

    def student(number: int) -> None:
        try:
            for _ in range(50):
                handle = models.put(f"s{number}", Weights(1))
                try:
                    models.get(handle)
                except ModelDropped:
                    pass  # pushed out by another student meanwhile
                totals.append(models.total_bytes())
        except Exception as error:  # noqa: BLE001 (any other error fails the test below)
            errors.append(error)

    threads = [threading.Thread(target=student, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and max(totals) <= models.budget
    assert len(models.sessions()) == 4


def test_model_bytes_counts_the_weights_the_graphs_and_a_trained_models_optimizer():
    import keras

    network = tiny_network()
    weights = sum(np.asarray(weight).nbytes for weight in network.get_weights())
    assert session_models.model_bytes(network) == weights + config.SESSION_MODEL_GRAPH_BYTES
    network.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    network.fit(np.zeros((2, 32, 32, 3), np.float32), np.zeros((2, 5), np.float32), verbose=0)
    slots = sum(np.asarray(variable).nbytes for variable in network.optimizer.variables)
    assert slots > 2 * weights  # Adam: two slots per weight, and its step count
    assert session_models.model_bytes(network) == (weights + slots + config.SESSION_MODEL_GRAPH_BYTES
                                                   + config.SESSION_MODEL_TRAINING_BYTES)


def test_a_dropped_model_goes_with_its_graphs_evaluations_and_origin(clean_flower_folder):
    from flower_demo.look import evaluation
    from flower_demo.model import serving
    from flower_demo.train import runs

    network = tiny_network()
    photo = synthetic_photo("roses", 0)
    serving.predict_probabilities(network, photo)
    evaluation.cached_evaluation(network, clean_flower_folder, max_photos=10)
    runs.remember_origin(network, upload="tiny.keras")
    models = registry(2, megabytes=0)
    handle = models.put("a", network)
    kept = weakref.ref(network)
    del network
    gc.collect()
    assert kept() is models.get(handle)  # the registry's is the only strong reference left
    tracked = [serving._traced, evaluation._evaluations, runs._origins]
    assert all(kept() in cache for cache in tracked)

    models.drop_session("a")
    gc.collect()
    assert kept() is None  # and with it, its entries in the three weak caches


def test_the_registry_collects_a_dropped_model_soon_by_itself():
    models = SessionModels(budget_bytes=counted(1), collect_after_s=0.01)
    network = tiny_network()
    kept = weakref.ref(network)
    models.put("a", network)
    del network
    gc.disable()  # only the registry's own collection may free it
    try:
        models.put("b", Weights(0.5))  # pushes a's model out
        deadline = time.monotonic() + 10
        while kept() is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        gc.enable()
    assert kept() is None


def test_the_messages_exist_in_both_languages():
    for language in LANGUAGES:
        assert TEXTS[language][ModelDropped.key] and "{detail}" in TEXTS[language][ModelOverBudget.key]


# --- through the app: three students upload, the server's budget holds two ----------------------

def test_the_least_recently_used_students_model_is_dropped_with_a_message_and_a_closed_tab_frees_its_own(
        app_url, tmp_path, monkeypatch):
    from flower_demo.model import model_files

    photo = tmp_path / "rose.png"
    Image.fromarray(synthetic_photo("roses", 1, size=(60, 45))).save(photo)
    files = {}
    for student in "abc":
        files[student] = tmp_path / f"{student}.keras"
        tiny_network().save(files[student])
    size = session_models.model_bytes(model_files.import_model(files["a"]))
    monkeypatch.setattr(session_models.MODELS, "budget_bytes", int(2.5 * size))  # two models fit, not three

    clients = {"a": local_client(app_url, "es-ES"), "b": local_client(app_url, "en"), "c": local_client(app_url, "en")}
    for student, client in clients.items():
        assert client.predict(handle_file(str(files[student])), api_name="/upload_model").startswith("Model")
    assert session_models.MODELS.sessions() == [clients["b"].session_hash, clients["c"].session_hash]

    with pytest.raises(Exception, match="Tu modelo se liberó para dejar memoria"):
        clients["a"].predict(handle_file(str(photo)), api_name="/classify")
    with pytest.raises(Exception, match="Tu modelo se liberó"):
        clients["a"].predict(handle_file(str(photo)), api_name="/feature_maps")
    _, sentence = clients["a"].predict(handle_file(str(photo)), "", "shipped", api_name="/classify")
    assert "el incluido con la app" in sentence  # the shipped model still answers that student
    _, sentence = clients["b"].predict(handle_file(str(photo)), api_name="/classify")
    assert "the one you uploaded (`b.keras`)" in sentence

    # A browser holds /heartbeat open while its tab lives; closing it runs the app's unload.
    with httpx.Client(trust_env=False) as http:
        with http.stream("GET", f"{app_url}gradio_api/heartbeat/{clients['c'].session_hash}") as beat:
            next(beat.iter_lines())
    deadline = time.monotonic() + 20
    while clients["c"].session_hash in session_models.MODELS.sessions() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert session_models.MODELS.sessions() == [clients["b"].session_hash]


def test_the_page_config_never_copies_the_kept_models(monkeypatch):
    """Gradio deep-copies the app's config (components' settings included) for every page it serves:
    a gr.State's delete_callback that reached MODELS copied every kept model (Keras saves and reloads a
    model to copy it), and a page took ~1 s to open once a few were kept."""
    from gradio import utils
    from keras.src.saving.keras_saveable import KerasSaveable

    import app

    demo = app.build_demo()
    handle = session_models.MODELS.put("a page config test", tiny_network())
    copies = []
    original = KerasSaveable.__reduce__
    monkeypatch.setattr(KerasSaveable, "__reduce__", lambda self: copies.append(self) or original(self))
    try:
        utils.safe_deepcopy(demo.config)
    finally:
        session_models.MODELS.release(handle)
    assert copies == []
