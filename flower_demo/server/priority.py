"""Clicks before training: a running training steps aside while students' requests are served.

Training and every light request (convolve, augment, classify) share one process and two cores, and
TensorFlow's thread pools: a training step keeps both cores busy, so with a class clicking, every
click waited behind it. Light requests run inside `PRIORITY.request()`; the app hands a training run
and an evaluation `PRIORITY.yield_to_requests` as their `before_batch`, so before each batch they
wait while requests are in progress, or were until `grace` seconds ago (Gradio still encodes and
sends the answer after our handler returns).
It never waits more than `max_wait` seconds per batch, so under a constant stream of clicks training
still moves (at least one batch per `max_wait`), and a stop request is still noticed within seconds.
A process with no requests (the command line) never waits.
"""

from __future__ import annotations

import contextlib
import threading
import time


class Priority:
    def __init__(self, grace: float = 0.1, max_wait: float = 0.5):
        self.grace = grace
        self.max_wait = max_wait
        self._active = 0
        self._last_end = float("-inf")
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def request(self):
        """Marks a light request in progress for the `with` block."""
        with self._changed:
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._last_end = time.monotonic()
                self._changed.notify_all()

    def busy(self) -> bool:
        return self._active > 0 or time.monotonic() - self._last_end < self.grace

    def yield_to_requests(self) -> float:
        """Waits while requests are being served (at most `max_wait` s); returns the seconds waited."""
        started = time.monotonic()
        deadline = started + self.max_wait
        with self._changed:
            while self.busy():
                now = time.monotonic()
                if now >= deadline:
                    break
                # Woken when a request ends; otherwise re-checks when the grace period is over.
                quiet_at = self._last_end + self.grace if self._active == 0 else deadline
                self._changed.wait(max(0.0, min(deadline, quiet_at) - now))
        return time.monotonic() - started


PRIORITY = Priority()
