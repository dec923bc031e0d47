"""Training runs: photos, model and fit, reporting live progress and stopping cooperatively.

A `TrainingRun` owns one student's run. `run()` trains in the calling thread (the CLI); `stream()`
trains in a thread of its own and yields snapshots about twice a second (the Training tab's
generator), so a stop request or a closed browser tab ends the fit within one batch. The batches
come from flower_demo/data/pipeline.py.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import threading
import time
from typing import Callable, Iterator

import numpy as np

from flower_demo import config, errors, workarounds
from flower_demo.data import download, images, photo_cache, photo_index
from flower_demo.model import networks
from flower_demo.recipes import TrainConfig
from flower_demo.data.pipeline import make_datasets

logger = logging.getLogger(__name__)

# Training-curve points recorded inside an epoch: smooth growth, and a run's record stays small (the
# session's history keeps every run's curve, a cluster's worker sends it twice a second).
_POINTS_PER_EPOCH = 10
CURVE_METRICS = ("accuracy", "loss")


@dataclasses.dataclass
class RunState:
    """What a run has done so far; `stream()` hands out deep copies of it (never the live one)."""

    phase: str = "waiting"  # waiting, downloading, loading, starting (a cluster's worker), training, finished, stopped, failed
    loading_done: int = 0
    loading_total: int = 0
    epochs: int = 0
    epoch_sizes: tuple[int, ...] = ()  # the picture size each epoch trains at (TrainConfig.epoch_sizes)
    epoch: int = 0  # epochs finished (a stopped run's last one may be partial)
    full_epochs: int = 0  # epochs that ran every batch
    batch: int = 0  # batches finished in the current epoch
    pace_started: float = 0.0  # when the current epoch's first batch ended (the run's first one traces the graph)
    steps: int = 0  # batches per epoch
    train_count: int = 0
    val_count: int = 0
    skipped: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()  # the dataset's classes, the trained model's outputs in order
    # The run's record of its curves, long format (see `curve_points`); flower_demo/tabs/training.py draws them.
    curve: list[dict] = dataclasses.field(default_factory=list)
    history: list[dict] = dataclasses.field(default_factory=list)  # one dict per epoch (the CLI's JSON)
    epoch_seconds: list[float] = dataclasses.field(default_factory=list)  # the epochs that ran every batch
    epoch_started: float = 0.0
    started: float = 0.0
    timed_out: bool = False  # stopped by the server's time limit rather than by the student
    error_key: str = ""
    error_detail: str = ""
    summary: str = ""
    summary_rows: list = dataclasses.field(default_factory=list)  # networks.summary_rows: the tab's table
    model: object = None  # the trained Keras model once the run ends (kept when stopped)

    def _cost(self, epoch: int) -> float:
        """Epoch `epoch`'s cost against one at the served size: its share of the pixels (progressive
        resizing: a 32 px epoch of a 64 px run costs about a quarter)."""
        if not self.epoch_sizes:
            return 1.0
        size = self.epoch_sizes[min(epoch, len(self.epoch_sizes) - 1)]
        return (size / self.epoch_sizes[-1]) ** 2

    @property
    def seconds_per_full_epoch(self) -> float | None:
        """What an epoch at the served size takes, from the epochs so far, each scaled by its pixels."""
        if self.epoch_seconds:
            return float(np.median([seconds / self._cost(epoch) for epoch, seconds in enumerate(self.epoch_seconds)]))
        if self.batch >= 3 and self.steps:
            # The current epoch's pace, first batch left out: the run's first one also traces the
            # training step (seconds), and counting it once per batch gave 3 min 35 s for a 37 s run.
            return (time.monotonic() - self.pace_started) * self.steps / (self.batch - 1) / self._cost(self.epoch)
        return None

    @property
    def seconds_per_epoch(self) -> float | None:
        """The pace of the epoch under way (at its own picture size), as the status line shows it."""
        full = self.seconds_per_full_epoch
        return None if full is None else full * self._cost(self.epoch)

    @property
    def eta_seconds(self) -> float | None:
        """The rest of this epoch and every later one, each at its own size (a progressive run's last
        epochs, at the full size, take longest: a plain count of epochs left promised 11 s for 30)."""
        full = self.seconds_per_full_epoch
        if full is None or self.phase != "training":
            return None
        left_of_this_one = 1 - (self.batch / self.steps if self.steps else 0)
        later = sum(self._cost(epoch) for epoch in range(self.epoch + 1, self.epochs))
        return max(0.0, full * (left_of_this_one * self._cost(self.epoch) + later))


def gpu_available() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


class TrainingRun:
    """One training run of one TrainConfig on one photo folder."""

    def __init__(self, train_config: TrainConfig, data_dir=None, device: str = "cpu",
                 max_seconds: float | None = None, on_epoch: Callable[[dict], None] | None = None,
                 photos: photo_cache.DecodedPhotos | None = None, before_batch: Callable[[], object] | None = None):
        self.config = train_config
        self.data_dir = data_dir
        self.photos = photos  # already decoded at config.image_size (a cluster worker gets them so)
        self.device = device
        self.max_seconds = max_seconds
        self.on_epoch = on_epoch
        # Called before every training and validation batch: the app passes
        # priority.PRIORITY.yield_to_requests, so students' clicks are served first.
        self.before_batch = before_batch
        self.state = RunState(epochs=train_config.epochs, epoch_sizes=train_config.epoch_sizes())
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Set when the class should see something at once rather than at the stream's next tick: the
        # curve's first points (a Train click's first feedback) and the run's end.
        self._news = threading.Event()
        self.validation_data = None  # the held-out batches, once built (validated once before training too)

    def stop(self) -> None:
        """Asks the fit to end after the current batch; the partly trained model is kept."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def snapshot(self) -> RunState:
        with self._lock:
            model, self.state.model = self.state.model, None
            copied = copy.deepcopy(self.state)
            self.state.model = copied.model = model
            return copied

    def _update(self, **changes) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self.state, name, value)

    def run(self) -> RunState:
        """Trains in this thread. Errors end in phase 'failed' with an i18n key, never an exception.

        Any other error too: it is logged with its traceback, and the student reads that the run failed
        (its type only: no server path or source line), instead of a status stuck at "Preparing the
        photos…" over a thread that died.
        """
        self._update(started=time.monotonic(), phase="loading")
        try:
            self._train()
        except (errors.DatasetError, images.ImageError) as error:
            self._update(phase="failed", error_key=error.key, error_detail=error.detail)
        except Exception as error:  # noqa: BLE001 - whatever it is, the run ends and says so
            logger.exception("training run %s failed", self.config.preset)
            self._update(phase="failed", error_key="error_training_crashed", error_detail=type(error).__name__)
        self._news.set()
        return self.state

    def stream(self, interval: float = config.CURVE_UPDATE_SECONDS) -> Iterator[RunState]:
        """Trains in a new thread and yields snapshots every `interval` seconds, then a last one.

        Closing the generator (a cancelled event, a closed tab) stops the run at its next batch.
        """
        worker = threading.Thread(target=self.run, name="training", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                self._news.wait(interval)
                self._news.clear()
                yield self.snapshot()
            yield self.snapshot()
        finally:
            self._stop.set()  # O(1): the worker notices at its next batch and ends by itself

    def _train(self) -> None:
        import keras
        import tensorflow as tf

        photos = self.photos
        if photos is None:
            root = download.locate_dataset(self.data_dir, progress=self._on_download)
            self._update(phase="loading", loading_done=0, loading_total=0)
            photos = photo_cache.load_photos(root, self.config.image_size, progress=self._on_loading,
                                             before_batch=self.before_batch)
        # Any 2-10 classes, whichever way the photos came (a folder was checked when indexed; photos
        # decoded elsewhere, a cluster's or a session's own, are checked here).
        class_names = photo_index.checked_class_names(photos.class_names)
        # Process-wide (the app trains one run at a time), and before the pipeline is built: tf.data
        # derives its shuffle and augmentation seeds from the global seed as well as its own, so a
        # run repeats the same photo order whatever ran in this process before it.
        keras.utils.set_random_seed(self.config.seed)
        train_ds, val_ds, train_count, val_count = make_datasets(photos, self.config)
        self.validation_data = val_ds
        steps = math.ceil(train_count / self.config.batch_size)
        self._update(skipped=photos.skipped, train_count=train_count, val_count=val_count, steps=steps,
                     class_names=class_names)
        if self._stop.is_set():
            self._update(phase="stopped")
            return

        device = "/GPU:0" if self.device == "gpu" and gpu_available() else "/CPU:0"
        with tf.device(device):
            # One output per class, the names remembered with the network (and carried to the copies
            # below), so Classify answers and a saved file speak the dataset's own names.
            network = networks.build_model(self.config, len(class_names), steps_per_epoch=steps,
                                           class_names=class_names)
            # A progressive run's network takes any size: the table shows the shapes at the size it serves.
            shown = networks.with_input_size(network, self.config.image_size)
            self._update(summary=networks.summary_text(shown), summary_rows=networks.summary_rows(shown),
                         phase="training",
                         epoch_started=time.monotonic())
            with workarounds.forgetting_custom_gradients():  # ~16 MB a run otherwise, kept for good
                # shuffle=False: the tf.data pipeline already reshuffles every epoch (Keras would only warn).
                network.fit(train_ds, validation_data=val_ds, epochs=self.config.epochs, steps_per_epoch=steps,
                            verbose=0, shuffle=False, callbacks=[_reporter(self)])
            network = networks.with_input_size(network, self.config.image_size)
            if self.config.mirror_average:
                network = networks.with_mirror_average(network)
        timed_out = self._out_of_time()
        self._update(model=network, timed_out=timed_out,
                     phase="stopped" if self._stop.is_set() or timed_out else "finished")

    def _on_download(self, done: int, total: int) -> None:
        self._update(phase="downloading", loading_done=done, loading_total=total)

    def _on_loading(self, done: int, total: int) -> None:
        self._update(loading_done=done, loading_total=total)

    def _out_of_time(self) -> bool:
        return self.max_seconds is not None and time.monotonic() - self.state.started > self.max_seconds


def curve_points(step: float, series: str, values: dict) -> list[dict]:
    """A run's curve points at `step` (in epochs): one {step, value, metric, series} per metric in `values`.

    `series` is "training" or "validation"; the metrics come in CURVE_METRICS' order.
    """
    return [{"step": step, "value": float(values[metric]), "metric": metric, "series": series}
            for metric in CURVE_METRICS if metric in values]


def _reporter(run: TrainingRun):
    """A Keras callback feeding a TrainingRun (built here so this module imports without Keras)."""
    import keras

    class Reporter(keras.callbacks.Callback):
        def on_train_begin(self, logs=None) -> None:
            # The validation photos before any training: the curves start where a guess starts (a
            # fifth right), and a one-epoch run still draws a validation line, from 0 to 1.
            validation = run.validation_data
            if validation is None or run.stopping:
                return
            scores = self.model.evaluate(validation, verbose=0, return_dict=True)
            with run._lock:
                run.state.curve += curve_points(0.0, "validation", scores)
            run._news.set()

        def on_epoch_begin(self, epoch, logs=None) -> None:
            run._update(batch=0, epoch_started=time.monotonic())

        def on_train_batch_begin(self, batch, logs=None) -> None:
            if run.before_batch:
                run.before_batch()

        def on_test_batch_begin(self, batch, logs=None) -> None:
            if run.before_batch:
                run.before_batch()

        def on_train_batch_end(self, batch, logs=None) -> None:
            state = run.state
            done = batch + 1
            every = max(1, state.steps // _POINTS_PER_EPOCH)
            # The run's very first batch gets a point too, so the class sees the curve start within
            # seconds (later epochs start from a running mean of `every` batches: a smoother line).
            first = done == 1 and state.epoch == 0
            if logs and (first or done % every == 0 or done == state.steps):
                step = state.epoch + done / state.steps
                with run._lock:
                    state.curve += curve_points(step, "training", logs)
                if first:
                    run._news.set()
            if done == 1:
                run._update(batch=done, pace_started=time.monotonic())
            else:
                run._update(batch=done)
            if run.stopping or run._out_of_time():
                self.model.stop_training = True  # Keras checks this after every batch

        def on_epoch_end(self, epoch, logs=None) -> None:
            state = run.state
            logs = logs or {}
            row = {
                "epoch": epoch + 1,
                "seconds": round(time.monotonic() - state.epoch_started, 3),
                **{key: float(logs[key]) for key in ("loss", "accuracy", "val_loss", "val_accuracy") if key in logs},
            }
            step = epoch + (state.batch / state.steps if state.steps else 1)
            complete = not state.steps or state.batch >= state.steps
            with run._lock:
                state.history.append(row)
                if complete:  # a stopped run's partial epoch is no pace to plan by
                    state.epoch_seconds.append(row["seconds"])
                    state.full_epochs = epoch + 1
                state.curve += curve_points(step, "validation", {metric: row[f"val_{metric}"]
                                                                 for metric in CURVE_METRICS if f"val_{metric}" in row})
                state.epoch = epoch + 1
            if run.on_epoch:
                run.on_epoch(row)

    return Reporter()
