"""flower_demo.train.training: one tiny run per case, at 32 px for one epoch on the synthetic folder."""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pytest

from tests.fake_flowers import BROKEN_FILE, PHOTOS_PER_CLASS
from flower_demo import config, recipes
from flower_demo.data import photo_cache
from flower_demo.data.pipeline import make_datasets
from flower_demo.train.training import TrainingRun

HISTORY_KEYS = {"epoch", "seconds", "loss", "accuracy", "val_loss", "val_accuracy"}
DECODABLE = 5 * PHOTOS_PER_CLASS


def tiny(preset: str, **changes) -> recipes.TrainConfig:
    options = dict(image_size=32, epochs=1, batch_size=8)
    options.update(changes)
    return dataclasses.replace(recipes.PRESETS[preset], **options)


def check_finished(state, train_config):
    assert state.phase == "finished", (state.error_key, state.error_detail)
    assert state.error_key == ""
    assert len(state.history) == 1
    row = state.history[0]
    assert set(row) == HISTORY_KEYS
    assert row["epoch"] == 1 and row["seconds"] > 0
    assert all(math.isfinite(row[key]) for key in HISTORY_KEYS)
    assert 0 <= row["accuracy"] <= 1 and 0 <= row["val_accuracy"] <= 1
    assert state.epoch == 1
    assert state.skipped == (BROKEN_FILE,)
    assert state.train_count + state.val_count == DECODABLE
    assert state.steps == math.ceil(state.train_count / train_config.batch_size) == state.batch
    series = {point["series"] for point in state.curve}
    assert series == {"training", "validation"}
    assert {point["metric"] for point in state.curve} == {"accuracy", "loss"}
    validation = [point for point in state.curve if point["series"] == "validation"]
    # Validated before training (step 0: a one-epoch run still draws a line) and after the epoch.
    assert sorted({p["step"] for p in validation}) == [0.0, 1.0]
    assert {p["metric"]: p["value"] for p in validation if p["step"] == 1.0} == {"accuracy": row["val_accuracy"],
                                                                                 "loss": row["val_loss"]}
    assert max(point["step"] for point in state.curve) == pytest.approx(1.0)
    training = [point["step"] for point in state.curve if point["series"] == "training"]
    assert min(training) == pytest.approx(1 / state.steps)  # after batch 1
    assert state.full_epochs == 1 and state.epoch_seconds == [row["seconds"]]
    assert state.summary_rows[0][1] == "Rescaling" and state.summary_rows[0][0].startswith("rescaling")
    assert state.model is not None
    assert state.model.output_shape == (None, 5)
    assert state.model.input_shape == (None, 32, 32, 3)
    assert "Rescaling" in state.summary or "rescaling" in state.summary


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["live", "seed"])
def test_one_epoch_run_finishes(flower_folder, preset):
    train_config = tiny(preset)
    epochs_reported = []
    run = TrainingRun(train_config, data_dir=flower_folder, on_epoch=epochs_reported.append)

    state = run.run()

    check_finished(state, train_config)
    assert epochs_reported == state.history
    photos = photo_cache.load_photos(flower_folder, 32)
    probabilities = np.asarray(state.model(photos.images[:4].astype(np.float32), training=False))
    assert probabilities.shape == (4, 5) and np.isfinite(probabilities).all()


@pytest.mark.slow
def test_progressive_resizing_trains_each_epoch_at_its_size_and_serves_the_last(flower_folder):
    train_config = tiny("flower_cnn", image_size=40, epochs=2, progressive_sizes=(32,), validation_split=0.2)
    train, validation, train_count, _ = make_datasets(photo_cache.load_photos(flower_folder, 40), train_config)
    steps = math.ceil(train_count / train_config.batch_size)
    assert [int(x.shape[1]) for x, _ in train] == [32] * steps + [40] * steps
    assert {int(x.shape[1]) for x, _ in validation} == {40}

    state = TrainingRun(train_config, data_dir=flower_folder).run()

    assert state.phase == "finished" and [row["epoch"] for row in state.history] == [1, 2]
    assert state.model.input_shape == (None, 40, 40, 3)
    # flower_cnn's model is handed out with its mirror average: a photo and its mirror score alike.
    assert state.model.get_layer("mirror_average")
    pixels = photo_cache.load_photos(flower_folder, 40).images[:3].astype(np.float32)
    np.testing.assert_allclose(np.asarray(state.model(pixels[:, :, ::-1])), np.asarray(state.model(pixels)),
                               rtol=1e-4, atol=1e-4)  # float summation order only


@pytest.mark.slow
def test_cutmix_trains_on_mixed_labels_and_validates_on_whole_photos(flower_folder):
    train_config = tiny("live", epochs=1, cutmix=1.0, validation_split=0.2)
    train, validation, _, _ = make_datasets(photo_cache.load_photos(flower_folder, 32), train_config)
    targets = np.concatenate([np.asarray(y) for _, y in train])
    assert targets.shape[1] == 5 and np.allclose(targets.sum(axis=1), 1)
    assert (targets.max(axis=1) < 1).any()  # some photos show two flowers, and their labels say so
    assert all(set(np.unique(np.asarray(y))) <= {0.0, 1.0} for _, y in validation)  # one-hot, unmixed

    state = TrainingRun(train_config, data_dir=flower_folder).run()

    assert state.phase == "finished" and math.isfinite(state.history[0]["loss"])


@pytest.mark.slow
def test_the_same_settings_train_the_same_model_twice_in_one_process(flower_folder):
    """A class that runs the same settings again sees the same curves: nothing an earlier run left in
    the process (TensorFlow's global seed) changes the photo order, augmentation or initial weights."""
    train_config = tiny("live", epochs=2, validation_split=0.2)
    pixels = photo_cache.load_photos(flower_folder, 32).images[:4].astype(np.float32)
    first = TrainingRun(train_config, data_dir=flower_folder).run()
    TrainingRun(dataclasses.replace(train_config, seed=7), data_dir=flower_folder).run()  # leaves seed 7 behind
    again = TrainingRun(train_config, data_dir=flower_folder).run()

    assert [row["loss"] for row in again.history] == pytest.approx([row["loss"] for row in first.history], rel=1e-4)
    np.testing.assert_allclose(np.asarray(again.model(pixels, training=False)),
                               np.asarray(first.model(pixels, training=False)), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_a_final_fit_trains_on_every_photo_without_validation(flower_folder):
    train_config = tiny("seed", validation_split=0.0)
    train, validation, train_count, val_count = make_datasets(photo_cache.load_photos(flower_folder, 32), train_config)
    assert (train_count, val_count, validation) == (DECODABLE, 0, None)
    assert sum(int(y.shape[0]) for _, y in train) == DECODABLE

    state = TrainingRun(train_config, data_dir=flower_folder).run()

    assert state.phase == "finished" and (state.train_count, state.val_count) == (DECODABLE, 0)
    assert set(state.history[0]) == {"epoch", "seconds", "loss", "accuracy"}
    assert {point["series"] for point in state.curve} == {"training"}
    assert state.model.input_shape == (None, 32, 32, 3)


def test_the_split_seed_chooses_the_validation_photos(flower_folder):
    photos = photo_cache.load_photos(flower_folder, 32)

    def validation_pixels(split_seed: int) -> np.ndarray:
        _, validation, _, _ = make_datasets(photos, tiny("live", split_seed=split_seed))
        return np.concatenate([np.asarray(x) for x, _ in validation])

    first = validation_pixels(1)
    np.testing.assert_array_equal(validation_pixels(1), first)  # the same seed, the same photos
    assert not np.array_equal(validation_pixels(2), first)
    _, (default_images, _) = photo_cache.split(photos, config.VALIDATION_SPLIT)  # the tutorial's seed 123
    np.testing.assert_array_equal(validation_pixels(config.SPLIT_SEED), default_images)


@pytest.mark.slow
def test_stream_yields_copies_and_ends(flower_folder):
    train_config = tiny("seed")
    run = TrainingRun(train_config, data_dir=flower_folder)

    snapshots = list(run.stream(interval=0.05))

    assert len(snapshots) >= 2
    phases = [snapshot.phase for snapshot in snapshots]
    assert set(phases) <= {"loading", "training", "finished"}
    assert phases[-1] == "finished"
    check_finished(snapshots[-1], train_config)
    assert snapshots[-1].history is not run.state.history  # a copy, not the live state
    assert snapshots[-1].model is run.state.model  # the model itself is shared, not copied
    assert [len(s.curve) for s in snapshots] == sorted(len(s.curve) for s in snapshots)


def test_stop_before_training_keeps_no_model(flower_folder):
    run = TrainingRun(tiny("live"), data_dir=flower_folder)
    run.stop()
    state = run.run()
    assert run.stopping
    assert state.phase == "stopped"
    assert state.model is None
    assert state.history == []
    assert state.skipped == (BROKEN_FILE,)  # the photos were loaded before the stop was noticed


@pytest.mark.slow
def test_stop_during_training_keeps_the_model(flower_folder):
    run = TrainingRun(tiny("seed", epochs=4), data_dir=flower_folder)
    run.on_epoch = lambda row: run.stop()  # ask to stop as soon as the first epoch ends

    state = run.run()

    assert state.phase == "stopped"
    assert state.model is not None
    assert 1 <= len(state.history) < 4
    assert state.epoch == len(state.history)


def test_closing_the_stream_stops_the_run(flower_folder):
    run = TrainingRun(tiny("seed", epochs=20), data_dir=flower_folder)
    stream = run.stream(interval=0.05)
    next(stream)
    stream.close()  # what a cancelled event or a closed browser tab does
    assert run.stopping
    deadline = time.monotonic() + 60
    while run.state.phase not in ("stopped", "finished", "failed") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.state.phase == "stopped"
    assert run.state.epoch < 20


@pytest.mark.slow
def test_time_limit_stops_the_run(flower_folder):
    run = TrainingRun(tiny("seed", epochs=5), data_dir=flower_folder, max_seconds=0)
    state = run.run()
    assert state.phase == "stopped" and state.timed_out
    assert state.model is not None
    assert len(state.history) == 1  # Keras ends the epoch it stopped in, then stops
    assert state.batch == 1  # after a single batch


def test_missing_data_dir_fails_with_a_key(tmp_path):
    run = TrainingRun(tiny("live"), data_dir=tmp_path / "missing")
    state = run.run()
    assert state.phase == "failed"
    assert state.error_key == "error_no_photos"
    assert "missing" in state.error_detail
    assert state.model is None


def test_eta_and_seconds_per_epoch():
    from flower_demo.train.training import RunState

    state = RunState(phase="training", epochs=4, epoch=1, steps=10, batch=5, epoch_seconds=[2.0, 4.0])
    assert state.seconds_per_epoch == pytest.approx(3.0)
    assert state.eta_seconds == pytest.approx((4 - 1.5) * 3.0)
    assert RunState(phase="finished", epoch_seconds=[1.0]).eta_seconds is None
    assert RunState().seconds_per_epoch is None
    # In the first epoch the pace leaves the first batch out (it also traced the training step):
    # 9 batches after it took 0.9 s, so 10 take 1 s, however long the first one took.
    first_epoch = RunState(phase="training", epochs=2, steps=10, batch=10, epoch_started=time.monotonic() - 30,
                           pace_started=time.monotonic() - 0.9)
    assert first_epoch.seconds_per_epoch == pytest.approx(1.0, rel=0.05)
    assert RunState(phase="training", epochs=2, steps=10, batch=2).seconds_per_epoch is None  # too early to say


def test_eta_of_a_progressive_run_counts_each_epoch_at_its_size():
    """live's epochs at 32, 48 and 64 px: two 32 px epochs took 1 s each, so a 64 px epoch takes ~4 s
    (four times the pixels); the rest of the third 32 px epoch and every later one at its own size."""
    from flower_demo.train.training import RunState

    sizes = (32, 32, 32, 48, 48, 64, 64)
    state = RunState(phase="training", epochs=7, epoch_sizes=sizes, epoch=2, steps=10, batch=5,
                     epoch_seconds=[1.0, 1.0])
    assert state.seconds_per_full_epoch == pytest.approx(4.0)
    assert state.seconds_per_epoch == pytest.approx(1.0)  # the 32 px epoch under way
    assert state.eta_seconds == pytest.approx(0.5 * 1.0 + 2 * 2.25 + 2 * 4.0)
    assert recipes.PRESETS["live"].epoch_sizes()[0] < recipes.PRESETS["live"].image_size  # live is such a run


def test_the_lines_estimate_counts_each_epoch_at_its_size():
    from flower_demo.train import turns

    progressive = dataclasses.replace(recipes.PRESETS["live"], epochs=4, progressive_sizes=(32,))
    flat = dataclasses.replace(progressive, progressive_sizes=())
    assert progressive.epoch_sizes() == (32, 32, 64, 64)
    per_epoch = turns.seconds_per_epoch(flat)
    assert turns.expected_seconds(flat) == pytest.approx(turns.START_SECONDS + 4 * per_epoch)
    assert turns.expected_seconds(progressive) == pytest.approx(turns.START_SECONDS + 2.5 * per_epoch)


@pytest.mark.slow
def test_before_batch_runs_before_every_training_and_validation_batch(flower_folder):
    """The hook the app gives priority.PRIORITY.yield_to_requests (clicks before training)."""
    calls = []
    photos = photo_cache.load_photos(flower_folder, 32)  # decoded already: only the batches call the hook
    state = TrainingRun(tiny("live"), photos=photos, before_batch=lambda: calls.append(time.monotonic())).run()
    validation_batches = math.ceil(state.val_count / 8)
    assert len(calls) == state.steps + validation_batches


def test_decoding_gives_way_before_every_few_photos(make_flower_folder):
    """A first Train (or an evaluation) decodes every photo: the hook runs between chunks of them too,
    so a class's clicks are served while the photos decode."""
    folder = make_flower_folder("chunks", per_class=8, broken=False)  # 40 photos
    calls = []
    photos = photo_cache.load_photos(folder, 24, use_disk_cache=False, before_batch=lambda: calls.append(1))
    assert len(photos.labels) == 40 and len(calls) == math.ceil(40 / photo_cache._DECODE_CHUNK)


@pytest.mark.slow
def test_a_run_leaves_no_gradient_functions_behind(flower_folder):
    """Each run's traced train step used to stay in TensorFlow's gradient registry (~16 MB a run):
    the run uses workarounds.forgetting_custom_gradients (tests/test_workarounds.py)."""
    from flower_demo import workarounds

    registry = workarounds.gradient_registry()
    TrainingRun(tiny("live"), data_dir=flower_folder).run()  # the first run may register for good
    before = set(registry)
    state = TrainingRun(tiny("live"), data_dir=flower_folder).run()
    assert state.phase == "finished"
    assert set(registry) == before


def test_the_apps_before_batch_reaches_a_run_in_this_process_only(monkeypatch):
    """The app's priority check waits for this process's requests; a machine of a cluster serves none."""
    from flower_demo.train import cluster, placement

    def hook():
        return None

    monkeypatch.delenv(config.RAY_ADDRESS_ENV, raising=False)
    assert placement.new_run(tiny("live"), before_batch=hook).before_batch is hook
    monkeypatch.setenv(config.RAY_ADDRESS_ENV, "auto")
    remote = placement.new_run(tiny("live"), before_batch=hook)
    assert isinstance(remote, cluster.ClusterRun) and not hasattr(remote, "before_batch")
