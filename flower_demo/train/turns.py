"""Turns at the training slots: `capacity` runs train at a time (one in the app's own process, as
many as a Ray cluster has room for), first come first served, and every run waiting knows its place
in line and about how long until its turn.

The Training tab's handler joins the line as soon as a student presses Train (Gradio no longer holds
the click back unseen), waits while others are ahead, and leaves the line however it ends: finished,
stopped while waiting, or the browser tab closed.
"""

from __future__ import annotations

import dataclasses
import heapq
import threading
import time
from typing import Callable

from flower_demo.recipes import TrainConfig

# Seconds per epoch on this project's 2 cores at the presets' own sizes and batch 32
# (docs/performance.md): the tutorial's network at 180 px ~33 s (4 epochs in ~135 s), the compact
# `live` network at 64 px ~8 s, flower_cnn's at 208 px ~50 s. Scaled by pixels for other sizes;
# replaced by what runs on this server measure.
DEFAULT_PACE = {"tutorial": (180, 33.0), "compact": (64, 8.0), "flower_cnn": (208, 50.0)}
START_SECONDS = 6.0  # reading the decoded photos, building the model, the first validation

_paces: dict[tuple, float] = {}  # (architecture, image size, batch size) -> measured seconds per epoch
_paces_lock = threading.Lock()


def _pace_key(train_config: TrainConfig) -> tuple:
    return train_config.architecture, train_config.image_size, train_config.batch_size


def seconds_per_epoch(train_config: TrainConfig) -> float:
    """What an epoch of this configuration takes here: measured if a run like it ran, else estimated."""
    with _paces_lock:
        measured = _paces.get(_pace_key(train_config))
    if measured is not None:
        return measured
    size, seconds = DEFAULT_PACE.get(train_config.architecture, (180, 33.0))
    return seconds * (train_config.image_size / size) ** 2 * (1 - train_config.validation_split) / 0.8


def expected_seconds(train_config: TrainConfig) -> float:
    """The whole run: each epoch at its own picture size (progressive resizing), by its pixels."""
    sizes = train_config.epoch_sizes()
    epochs = sum((size / train_config.image_size) ** 2 for size in sizes)
    return START_SECONDS + epochs * seconds_per_epoch(train_config)


def record_pace(train_config: TrainConfig, seconds: float | None) -> None:
    """Remembers a finished run's median seconds per epoch at its served size, for the next estimates."""
    if seconds:
        with _paces_lock:
            _paces[_pace_key(train_config)] = float(seconds)


@dataclasses.dataclass(eq=False)
class Ticket:
    """One run's place in line. `remaining` (set once it trains) says how long it still needs."""

    expected: float
    remaining: Callable[[], float | None] | None = None
    turn_started: float | None = None

    def seconds_left(self) -> float:
        left = self.remaining() if self.remaining is not None else None
        if left is not None:
            return max(0.0, left)
        if self.turn_started is None:
            return self.expected
        return max(0.0, self.expected - (time.monotonic() - self.turn_started))


class Line:
    """First come, first served; the first `capacity` tickets in line hold the training slots."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tickets: list[Ticket] = []

    def join(self, expected: float) -> Ticket:
        ticket = Ticket(expected)
        with self._lock:
            self._tickets.append(ticket)
        return ticket

    def leave(self, ticket: Ticket) -> None:
        """O(1)-ish and never blocks for long: safe in a generator's `finally` on the event loop."""
        with self._lock:
            if ticket in self._tickets:
                self._tickets.remove(ticket)

    def ahead(self, ticket: Ticket, capacity: int = 1) -> list[Ticket]:
        """The tickets before this one while it has no slot (empty: its turn, which starts its clock).
        A ticket not in line has none ahead."""
        with self._lock:
            if ticket not in self._tickets:
                return []
            index = self._tickets.index(ticket)
            if index < capacity:
                if ticket.turn_started is None:
                    ticket.turn_started = time.monotonic()
                return []
            return self._tickets[:index]

    def wait_estimate(self, ticket: Ticket, capacity: int = 1) -> tuple[int, float]:
        """(runs ahead, seconds until this one's turn, about): the runs ahead share `capacity` slots
        in order, each taking a slot as the earliest one frees."""
        ahead = self.ahead(ticket, capacity)
        if not ahead:
            return 0, 0.0
        slots = sorted(other.seconds_left() for other in ahead[:capacity])
        for other in ahead[capacity:]:
            heapq.heapreplace(slots, slots[0] + other.seconds_left())
        return len(ahead), slots[0]

    def __len__(self) -> int:
        with self._lock:
            return len(self._tickets)


LINE = Line()  # the app's one training slot, shared by every session
