"""What the Classify and Augmentation tabs need, loaded once in the background as the app starts.

TensorFlow's import (~3 s of one core), the shipped model (~0.4 s) and the first trace of its graph
and of the augmentation preview's graph (~0.3 s each). The import opens, reads and stats thousands
of files, and each of those system calls hands Python's GIL to another thread: with a class already
clicking, the request threads kept it for the whole 5 ms switch interval every time, and the first
classification came ~12 s after the page (issue 21; benchmarks/startup.py, 30 students, median of
3 starts). While the warm-up runs, the interpreter switches threads every `WARM_UP_SWITCH_INTERVAL_S`
instead, so it gets the GIL back within half a millisecond (~7 s after the page, same run); the
default returns once it is done. Handlers that need TensorFlow call `WARM_UP.wait()` (and tell
the student why they wait); the page asks `WARM_UP.ready()` to keep its buttons honest.
"""

from __future__ import annotations

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

    from flower_demo import augment, config, serving

    photo = np.zeros((8, 8, 3), np.uint8)
    network = serving.shipped_model()
    if network is not None:
        serving.predict_probabilities(network, photo)
    augment.augment_grid(photo, config.Augmentation(True, 0.1, 0.1, 0.1), config.TUTORIAL_IMAGE_SIZE, 0, count=1)


class WarmUp:
    """Runs `load` once in a daemon thread; `ready()` is true once it has finished, or failed.

    A failure is logged and kept in `error`, and still counts as ready: whoever needs the model then
    meets the same problem and reports it as usual, instead of waiting forever.
    """

    def __init__(self, load: Callable[[], None] = load_for_serving):
        self._load = load
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.error: BaseException | None = None

    def start(self) -> None:
        """Starts the loading thread, once; later calls do nothing."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="warm-up", daemon=True)
                self._thread.start()

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
