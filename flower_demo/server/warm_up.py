"""What the Classify, Augmentation and Inside tabs need, loaded once as the app starts.

TensorFlow's import (~3 s of one core), the shipped model (~0.4 s) and the first trace of its graph,
of the augmentation preview's and of the Inside tab's views (~0.3 s each). `app.launch` waits for it
before it opens the port (at most config.READY_BEFORE_PAGE_S), so a class that clicks the moment
the page appears gets answers as fast as later (issue 21, benchmarks/startup.py). When the page
opens first anyway (a slower machine; a Blocks launched another way), handlers that need TensorFlow
call `WARM_UP.wait()` and tell the student why they wait, and the page asks `WARM_UP.ready()` to
keep its buttons honest. Loading while requests are served, the import's thousands of file system
calls each hand Python's GIL to a request thread, which kept it for the whole 5 ms switch interval:
the first classification came ~12 s after the page (median of 3 starts, 30 students). While the
warm-up runs, the interpreter switches threads every `WARM_UP_SWITCH_INTERVAL_S` instead (~7 s
after the page, same run); the default returns once it is done.

With a training cluster configured (FLOWER_RAY_ADDRESS), the warm-up also joins it, in a thread of its
own that nothing waits for: until the app has joined, `cluster.room()` is 1, so the first students to
press Train would wait in line for one another while the cluster had room for all of them.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from typing import Callable

logger = logging.getLogger(__name__)

# Measured importing TensorFlow and loading the model next to two pure-Python busy threads on 2 cores
# (the shape of Gradio serving a class): 40-71 s at Python's default 5 ms, 11-22 s at 0.2-0.5 ms,
# while the busy threads kept ~75-85 % of their throughput.
WARM_UP_SWITCH_INTERVAL_S = 0.0005


def load_for_serving() -> None:
    """TensorFlow, the shipped model, and one call of each traced graph the light endpoints use."""
    import numpy as np

    from flower_demo import config, recipes
    from flower_demo.data import augment
    from flower_demo.look import inside
    from flower_demo.model import serving

    photo = np.zeros((8, 8, 3), np.uint8)
    network = serving.shipped_model()
    if network is not None:
        serving.predict_probabilities(network, photo)
        inside.feature_maps(network, photo)  # Inside the network's views, traced once per model
        inside.grad_cam(network, photo)
    augment.augment_grid(photo, recipes.Augmentation(True, 0.1, 0.1, 0.1), config.TUTORIAL_IMAGE_SIZE, 0, count=1)
    # What is loaded now (TensorFlow, Keras, the shipped model: ~360,000 objects) lives as long as the
    # process. Out of the collector's sight, a full collection (session_models runs one after a burst of
    # freed models) takes ~0 s instead of 0.11-0.8 s during which it holds every thread.
    gc.freeze()


def join_cluster() -> None:
    """Joins the configured training cluster, if any. A failure is logged, never raised: each run then
    tries to join again and tells its student if it cannot (flower_demo/train/cluster.py)."""
    from flower_demo import config

    if not config.ray_address():
        return
    try:
        from flower_demo.train import cluster

        cluster.connect()
    except Exception:  # noqa: BLE001 - no Ray installed, an unreachable cluster: the runs say so
        logger.exception("could not join the training cluster at %s", config.ray_address())


class WarmUp:
    """Runs `load` once in a daemon thread; `ready()` is true once it has finished, or failed. `join`
    runs beside it in a daemon thread of its own, which `ready()` never waits for.

    A failure is logged and kept in `error`, and still counts as ready: whoever needs the model then
    meets the same problem and reports it as usual, instead of waiting forever.
    """

    def __init__(self, load: Callable[[], None] = load_for_serving, join: Callable[[], None] = join_cluster):
        self._load = load
        self._join = join
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.error: BaseException | None = None

    def start(self) -> None:
        """Starts the loading and joining threads, once; later calls do nothing."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="warm-up", daemon=True)
                self._thread.start()
                threading.Thread(target=self._join, name="cluster-join", daemon=True).start()

    def _run(self) -> None:
        default_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(default_interval, WARM_UP_SWITCH_INTERVAL_S))
        try:
            self._load()
        except Exception as problem:  # noqa: BLE001 - reported where the model is used
            self.error = problem
            logger.exception("warm-up failed")
        finally:
            sys.setswitchinterval(default_interval)
            self._done.set()

    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Starts the loading if nobody has, waits for it (at most `timeout` s); returns `ready()`."""
        self.start()
        return self._done.wait(timeout)

    def finish(self, timeout: float | None = None) -> None:
        """Waits for a loading already started (at most `timeout` s) and starts none."""
        if self._thread is not None:
            self._done.wait(timeout)


WARM_UP = WarmUp()
