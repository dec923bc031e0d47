"""flower_demo.train.cluster against a real local Ray cluster of 2 CPUs, started inside the test run (no network)."""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import threading
import time

import pytest

from flower_demo import config, recipes
from flower_demo.model import networks, serving
from flower_demo.train.training import RunState
from tests.fake_flowers import synthetic_photo

ray = pytest.importorskip("ray", reason="Ray is an optional extra (requirements-cluster.txt)")

from flower_demo.train import cluster  # noqa: E402

TINY = dataclasses.replace(recipes.PRESETS["live"], epochs=2, image_size=32, batch_size=8)


@pytest.fixture(scope="module")
def ray_session():
    """Ray, whoever starts it in this module (the warm-up's join, local_cluster), shut down at its end.
    Yields an event that a thread which started the local cluster waits on until then: Ray stops a
    local cluster's processes when the thread that started them ends (a cluster the app joins by its
    address, as in the README, is not tied to any thread of the app)."""
    held = threading.Event()
    yield held
    ray.shutdown()
    held.set()


@pytest.mark.slow
def test_the_warm_up_joins_the_configured_cluster_so_the_first_students_train_side_by_side(ray_session,
                                                                                         monkeypatch):
    """Before anyone presses Train, the line already counts the cluster's room (2 runs), not 1."""
    from flower_demo.server import warm_up
    from flower_demo.tabs import waiting_line

    if ray.is_initialized():
        ray.shutdown()
    monkeypatch.setenv(config.RAY_ADDRESS_ENV, "local")
    # The app's own join (cluster.connect()), to a cluster of this process's own on the loopback; the
    # tests below then find it joined.
    monkeypatch.setattr(cluster, "connect", functools.partial(cluster.connect, "local", num_cpus=2,
                                                              include_dashboard=False, _node_ip_address="127.0.0.1"))

    def join_and_hold() -> None:
        warm_up.join_cluster()
        ray_session.wait()

    assert waiting_line.training_slots() == 1
    starting = warm_up.WarmUp(lambda: None, join=join_and_hold)
    starting.start()
    assert starting.wait(timeout=5)  # the page never waits for the join
    deadline = time.monotonic() + 120
    while waiting_line.training_slots() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert waiting_line.training_slots() == 2


@pytest.fixture(scope="module")
def local_cluster(ray_session):
    # A cluster of this process's own, every address on the loopback (already joined if the warm-up's
    # test ran first).
    cluster.connect("local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1")
    assert cluster.room() == 2  # one CPU a run


@pytest.fixture
def photos(make_flower_folder):
    return make_flower_folder("cluster_photos", per_class=8, broken=False)


def run_through(run) -> list[RunState]:
    return list(run.stream())


@pytest.mark.slow
def test_a_run_streams_curves_and_brings_back_a_model_that_classifies(local_cluster, photos):
    states = run_through(cluster.ClusterRun(TINY, data_dir=photos, max_seconds=120))
    phases = [state.phase for state in states]
    assert "starting" in phases and "training" in phases and phases[-1] == "finished"
    final = states[-1]
    assert final.epoch == 2 and len(final.history) == 2 and "val_accuracy" in final.history[-1]
    training_points = [len(state.curve) for state in states if state.phase == "training"]
    assert final.curve and training_points == sorted(training_points)  # the curve only grows
    probabilities = serving.predict_probabilities(final.model, synthetic_photo("roses", 0, size=(50, 40)))
    assert probabilities.shape == (5,) and probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert final.model.name == "live" and networks.input_size(final.model) == 32


@pytest.mark.slow
def test_stop_reaches_the_job_within_a_batch_and_keeps_the_model(local_cluster, photos):
    run = cluster.ClusterRun(dataclasses.replace(TINY, epochs=30), data_dir=photos, max_seconds=120)
    states = []
    for state in run.stream():
        states.append(state)
        if state.phase == "training" and state.batch >= 1 and not run.stopping:
            run.stop()
    assert run.stopping and states[-1].phase == "stopped" and states[-1].epoch < 30
    assert states[-1].model is not None


def train_together(count: int, photos) -> list[RunState]:
    """`count` long runs started together, each in a thread; once all of them train at the same time,
    all are stopped. Returns each run's last state (a run that never got a place would time out)."""
    runs = [cluster.ClusterRun(dataclasses.replace(TINY, epochs=30), data_dir=photos, max_seconds=120)
            for _ in range(count)]
    training: set[int] = set()
    lock = threading.Lock()
    last: list[RunState] = [RunState() for _ in runs]

    def student(index: int) -> None:
        for state in runs[index].stream():
            last[index] = state
            if state.phase == "training":
                with lock:
                    training.add(index)
                    if len(training) == count:
                        for run in runs:
                            run.stop()

    threads = [threading.Thread(target=student, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(training) == count, "not every run got to train at the same time"
    return last


@pytest.mark.slow
def test_two_students_train_at_once(local_cluster, photos):
    assert [state.phase for state in train_together(2, photos)] == ["stopped", "stopped"]


@pytest.mark.slow
def test_a_worker_that_dies_gives_that_student_a_message_and_frees_its_place(local_cluster, photos):
    run = cluster.ClusterRun(dataclasses.replace(TINY, epochs=30), data_dir=photos, max_seconds=120)
    states = []
    for state in run.stream():
        states.append(state)
        if state.phase == "training" and run.worker_pid:
            os.kill(run.worker_pid, signal.SIGKILL)
            run.worker_pid = None
    assert states[-1].phase == "failed" and states[-1].error_key == "error_worker_lost"
    # Its CPU is free again: two more students still train side by side on the 2-CPU cluster.
    assert [state.phase for state in train_together(2, photos)] == ["stopped", "stopped"]


def test_an_unreachable_cluster_gives_a_clear_message(monkeypatch, photos):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Could not find any running Ray instance at head.invalid:6379")

    monkeypatch.setattr(cluster, "connect", unreachable)
    final = run_through(cluster.ClusterRun(TINY, data_dir=photos))[-1]
    assert final.phase == "failed" and final.error_key == "error_cluster" and "head.invalid" in final.error_detail


def test_the_lost_worker_message_is_translated():
    from flower_demo.tabs import training

    lost = RunState(phase="failed", error_key="error_worker_lost", error_detail="ActorDiedError")
    assert "dejó de responder" in training._status(lost, "es", False)
    assert "stopped answering" in training._status(lost, "en", False)


@pytest.mark.slow
def test_the_app_trains_on_the_cluster_when_one_is_configured(local_cluster, app_url, monkeypatch, tmp_path):
    from gradio_client import handle_file
    from PIL import Image

    from tests.clients import local_client

    monkeypatch.setenv(config.RAY_ADDRESS_ENV, "local")  # read when a run starts; this process is connected
    client = local_client(app_url, "en")
    job = client.submit("live", 1, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    job.result()
    statuses = [output[0] for output in job.outputs()]
    assert any(status.startswith("Starting your training on a machine of the cluster") for status in statuses)
    assert statuses[-1].startswith("Done: 1 epoch,")
    photo = tmp_path / "tulip.png"
    Image.fromarray(synthetic_photo("tulips", 0, size=(40, 30))).save(photo)
    _, sentence = client.predict(handle_file(str(photo)), api_name="/classify")
    assert "Model: your run **#1 live** (validation accuracy " in sentence  # the model named with its run


@pytest.mark.slow
def test_three_students_on_a_cluster_with_room_for_two(local_cluster, app_url, monkeypatch):
    """Two train side by side; the third is told its place and starts when a place frees."""
    from tests.clients import local_client

    monkeypatch.setenv(config.RAY_ADDRESS_ENV, "local")
    jobs = []
    for language in ("en", "en", "es"):
        job = local_client(app_url, language).submit("live", 3, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
        # In this order: the line is first come, first served, and the handler joins it before its first
        # update; so the next student clicks only once this one's first update has come.
        deadline = time.monotonic() + 60
        while not job.outputs() and not job.done() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert job.outputs(), "no update from the training event within 60 s"
        jobs.append(job)
    for job in jobs:
        job.result()
    statuses = [[output[0] for output in job.outputs()] for job in jobs]
    assert not any(status.startswith("Queued") for status in statuses[0] + statuses[1])
    assert any(status.startswith("En la cola: hay 2 entrenamientos antes") for status in statuses[2])
    assert statuses[0][-1].startswith("Done: 3 epochs") and statuses[1][-1].startswith("Done: 3 epochs")
    assert statuses[2][-1].startswith("Listo: 3 épocas")
