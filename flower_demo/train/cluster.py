"""Training on a Ray cluster: each student's run is an actor there, and the app streams its progress.

With FLOWER_RAY_ADDRESS unset (the default) nothing here is used: the app trains in its own process.
Set (e.g. `ray://head:10001`, `head:6379`, or `auto` on a machine of the cluster), every Train click
becomes a `ClusterRun`, with the same `stream()` / `stop()` as `TrainingRun`:

1. The photos are decoded once on the app's machine (its decode cache) and put into Ray's object
   store once per folder and size; each run's actor reads them from there (a machine of the cluster
   receives them once), never from the folder.
2. `room()` says how many runs the cluster takes at once: its CPUs over FLOWER_RAY_CPUS_PER_RUN, read
   again at every look, so machines that join the cluster are used at once (the Training tab's line,
   flower_demo/train/turns.py, lets that many train and tells the others their place).
3. A `RemoteRun` actor trains the run (the same `TrainingRun` as the app's own), and the app
   polls it about twice a second for a snapshot. Stop reaches the actor at once and the fit ends
   within a batch; closing the tab kills the actor. The trained model comes back as `.keras` bytes
   and loads with safe_mode=True.
4. A worker that dies mid-run ends that run in phase "failed" (`error_worker_lost`) and frees its place.

Ray is an optional dependency (requirements-cluster.txt), imported only when a cluster is configured.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

from flower_demo import config, errors
from flower_demo.data import download, photo_cache, photo_index
from flower_demo.model import serving
from flower_demo.recipes import TrainConfig
from flower_demo.train.training import RunState, TrainingRun

CPUS_ENV = "FLOWER_RAY_CPUS_PER_RUN"
# One core a run: on a 2-core machine two `live` runs side by side took ~21-25 s where one alone with
# both cores took ~13-14 s (benchmarks/cluster_load.py), so four students were done in 43-57 s instead
# of 66-67 s one after the other: this small network does not keep two cores busy.
DEFAULT_CPUS_PER_RUN = 1
_FINISHED = ("finished", "stopped", "failed")


def cpus_per_run() -> int:
    try:
        return max(1, int(os.environ.get(CPUS_ENV, DEFAULT_CPUS_PER_RUN)))
    except ValueError:
        return DEFAULT_CPUS_PER_RUN


_connect_lock = threading.Lock()  # the warm-up joins while a student may already press Train


def connect(cluster_address: str | None = None, **options) -> None:
    """Joins the cluster once per process (a no-op when this process already has; a second caller
    waits for the first's try); `options` go to `ray.init` (a test starts a local cluster with
    `cluster_address="local", num_cpus=2`)."""
    import ray

    with _connect_lock:
        if ray.is_initialized():
            return
        package = Path(__file__).resolve().parent
        # The workers import this package from what the app sends them (py_modules), so a machine of the
        # cluster needs Ray and TensorFlow installed but not this project.
        ray.init(address=cluster_address or config.ray_address(), namespace="flower_demo", log_to_driver=False,
                 runtime_env={"py_modules": [str(package)], "env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2"}},
                 **options)


@functools.cache
def _actor_class(cpus: int):
    import ray

    return ray.remote(num_cpus=cpus, max_restarts=0)(RemoteRun)


_room = {"runs": 1, "read": float("-inf")}


def room() -> int:
    """How many runs the cluster has room for at once (1 until this process has joined it: the app's
    warm-up joins it, flower_demo/server/warm_up.py). Read from the cluster at most once a second: every
    waiting student's status asks."""
    import ray

    if not ray.is_initialized():
        return 1
    if time.monotonic() - _room["read"] > 1.0:
        _room["runs"] = max(1, int(ray.cluster_resources().get("CPU", 0) // cpus_per_run()))
        _room["read"] = time.monotonic()
    return _room["runs"]


class RemoteRun:
    """What runs on a machine of the cluster: one `TrainingRun` in a thread, polled by the app."""

    def __init__(self, train_config: TrainConfig, max_seconds: float | None, threads: int):
        import tensorflow as tf

        # TensorFlow would use every core of the machine; this actor was given `threads` of them.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        self.config = train_config
        self.max_seconds = max_seconds
        self.run: TrainingRun | None = None
        self.model_bytes: bytes | None = None

    def start(self, photos: photo_cache.DecodedPhotos) -> int:
        self.run = TrainingRun(self.config, max_seconds=self.max_seconds, photos=photos)
        threading.Thread(target=self.run.run, name="training", daemon=True).start()
        return os.getpid()

    def poll(self) -> tuple[RunState, bytes | None]:
        """A snapshot without the model, and the model as .keras bytes once the run has ended."""
        snapshot = self.run.snapshot()
        network, snapshot.model = snapshot.model, None
        if snapshot.phase in _FINISHED and network is not None and self.model_bytes is None:
            with tempfile.TemporaryDirectory() as folder:
                serving.save_model(network, Path(folder) / "model.keras")
                self.model_bytes = (Path(folder) / "model.keras").read_bytes()
        return snapshot, self.model_bytes if snapshot.phase in _FINISHED else None

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()


_photos: dict[tuple[str, int], object] = {}  # (folder fingerprint, size) -> ObjectRef, put once per server
_photos_lock = threading.Lock()


def _photos_ref(photos: photo_cache.DecodedPhotos, key: tuple[str, int]):
    import ray

    with _photos_lock:
        if key not in _photos:
            _photos[key] = ray.put(photos)
        return _photos[key]


# A worker process starts and imports TensorFlow in ~5-10 s; one that has not started by then never
# will (a machine gone, a cluster busy with other jobs), and the student is told rather than left waiting.
WORKER_START_SECONDS = 120.0


class ClusterRun:
    """One student's run on the cluster, with TrainingRun's `stream()`, `stop()` and `stopping`."""

    def __init__(self, train_config: TrainConfig, data_dir=None, max_seconds: float | None = None):
        self.config = train_config
        self.data_dir = data_dir
        self.max_seconds = max_seconds
        self.state = RunState(epochs=train_config.epochs, epoch_sizes=train_config.epoch_sizes())
        self._stop = threading.Event()
        self._actor = None
        self.worker_pid: int | None = None  # the process training it, on its machine

    def stop(self) -> None:
        self._stop.set()
        if self._actor is not None:
            self._actor.stop.remote()  # asynchronous: returns at once

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _ended(self, **changes) -> RunState:
        self.state = dataclasses.replace(self.state, **changes)
        return self.state

    def stream(self, interval: float = config.CURVE_UPDATE_SECONDS) -> Iterator[RunState]:
        """Snapshots about every `interval` seconds until the run ends; closing it ends the run."""
        try:
            try:
                import ray

                connect()
            except (ImportError, ConnectionError, RuntimeError, ValueError) as error:  # no Ray, no cluster there
                yield self._ended(phase="failed", error_key="error_cluster", error_detail=str(error)[:200])
                return
            loading = _Loading(self)
            while not loading.done.wait(interval):
                yield self.state
            if loading.error is not None:
                yield self._ended(phase="failed", error_key=loading.error.key, error_detail=loading.error.detail)
            elif self._stop.is_set():
                yield self._ended(phase="stopped")
            else:
                yield from self._train(ray, loading.reference)
        finally:
            if self._actor is not None:
                import ray

                ray.kill(self._actor, no_restart=True)  # O(1): asynchronous; a closed tab ends the run

    def _train(self, ray, photos_ref) -> Iterator[RunState]:
        self._actor = _actor_class(cpus_per_run()).remote(self.config, self.max_seconds, cpus_per_run())
        try:
            starting = self._actor.start.remote(photos_ref)
            deadline = time.monotonic() + WORKER_START_SECONDS
            while not ray.wait([starting], timeout=config.CURVE_UPDATE_SECONDS)[0]:
                if time.monotonic() > deadline:
                    yield self._ended(phase="failed", error_key="error_cluster",
                                      error_detail=f"no worker started in {WORKER_START_SECONDS:.0f} s")
                    return
                yield self._ended(phase="starting")  # a worker process starts and imports TensorFlow
            self.worker_pid = ray.get(starting)
            if self._stop.is_set():
                self._actor.stop.remote()
            while True:
                snapshot, model_bytes = ray.get(self._actor.poll.remote())
                if snapshot.phase in _FINISHED:
                    yield self._ended(**_fields(snapshot), model=_load(model_bytes))
                    return
                self.state = snapshot
                yield snapshot
                time.sleep(config.CURVE_UPDATE_SECONDS)
        except ray.exceptions.RayActorError as error:
            yield self._ended(phase="failed", error_key="error_worker_lost", error_detail=type(error).__name__)


class _Loading:
    """The photos found, decoded (the app's decode cache) and put into the object store, in a thread
    of its own so the stream can show "Preparing the photos: n of N" meanwhile."""

    def __init__(self, run: ClusterRun):
        self.run = run
        self.reference = None
        self.error: errors.DatasetError | None = None
        self.done = threading.Event()
        threading.Thread(target=self._load, name="cluster-photos", daemon=True).start()

    def _progress(self, phase: str):
        def report(done: int, total: int) -> None:
            self.run.state = dataclasses.replace(self.run.state, phase=phase, loading_done=done, loading_total=total)

        return report

    def _load(self) -> None:
        try:
            root = download.locate_dataset(self.run.data_dir, progress=self._progress("downloading"))
            photos = photo_cache.load_photos(root, self.run.config.image_size, progress=self._progress("loading"))
            key = (photo_index.index_photos(root).fingerprint(), self.run.config.image_size)
            self.reference = _photos_ref(photos, key)
        except errors.DatasetError as error:
            self.error = error
        finally:
            self.done.set()


def _fields(snapshot: RunState) -> dict:
    return {field.name: getattr(snapshot, field.name) for field in dataclasses.fields(snapshot) if field.name != "model"}


def _load(model_bytes: bytes | None):
    if model_bytes is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(model_bytes)
        return serving.load_model(path)
