"""The models the class's sessions hold, within one memory budget for the whole server.

A session's model (trained in the Training or Compare tab, or brought in the Classify tab) lives here,
not in the session's gr.State: the state keeps a small `Handle`, this registry the only strong
reference. Gradio keeps a closed tab's state for another hour, and nothing bounded the total: 229
uploads of a 32 MB model from 10 clients took the server from 0.8 to 8.4 GB (issue 33). Here a new
model pushes out the least recently used models of other sessions until the total fits
`config.SESSION_MODELS_BUDGET_BYTES`, and a session that lost its model is told so on its next use.

What is kept beside a model (serving.traced's graphs, evaluation.cached_evaluation's results,
runs.origin_of) has weak keys, so it goes with the model.

Example:
    handle = MODELS.put(request.session_hash, model)  # the handle goes in the session's gr.State
    model = MODELS.get(handle)                        # ModelDropped if the server had to free it
    MODELS.drop_session(request.session_hash)         # its tab closed
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import threading
from collections import OrderedDict

from flower_demo import config


@dataclasses.dataclass(frozen=True)
class Handle:
    """What a session's gr.State holds in place of its model: the session and which of its models."""

    session: str
    serial: int


class ModelDropped(LookupError):
    """The handle's model is gone: pushed out for other sessions' models, replaced, or its tab closed."""

    key = "error_model_dropped"


class ModelOverBudget(ValueError):
    """A model that alone would need more memory than all the sessions' models may have together."""

    key = "error_model_over_memory"

    def __init__(self, size_bytes: int, budget_bytes: int):
        super().__init__(f"Expected a model of at most {budget_bytes} bytes in memory. Received: {size_bytes}")
        self.detail = f"{size_bytes / 2**20:.0f} MB > {budget_bytes / 2**20:.0f} MB"


def _variables_bytes(variables) -> int:
    import numpy as np

    # From shape and dtype: reading the values would copy every weight once more.
    return sum(int(np.prod(variable.shape)) * np.dtype(variable.dtype).itemsize for variable in variables)


def model_bytes(model) -> int:
    """About what holding `model` costs the server: its weights, its traced graphs, and for a model
    trained here its optimizer's slots (Adam keeps two per weight) and its training graphs."""
    size = _variables_bytes(model.weights) + config.SESSION_MODEL_GRAPH_BYTES
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.built:
        size += _variables_bytes(optimizer.variables) + config.SESSION_MODEL_TRAINING_BYTES
    return size


@dataclasses.dataclass
class _Entry:
    serial: int
    model: object
    size: int


class SessionModels:
    """One model per session, together within `budget_bytes` (None: config.SESSION_MODELS_BUDGET_BYTES,
    read on each `put`). Thread-safe: every tab's handlers use it at once."""

    def __init__(self, budget_bytes: int | None = None,
                 collect_after_s: float | None = config.SESSION_MODELS_COLLECT_AFTER_S):
        self.budget_bytes = budget_bytes
        self._collect_after_s = collect_after_s
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # session -> its model, least recently used first
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._collect_pending = False

    @property
    def budget(self) -> int:
        return config.SESSION_MODELS_BUDGET_BYTES if self.budget_bytes is None else self.budget_bytes

    def total_bytes(self) -> int:
        with self._lock:
            return sum(entry.size for entry in self._entries.values())

    def sessions(self) -> list[str]:
        """The sessions holding a model, least recently used first."""
        with self._lock:
            return list(self._entries)

    def put(self, session: str, model) -> Handle:
        """Keeps `model` as `session`'s model (its previous one goes at once) and returns its handle.

        Pushes out other sessions' models, least recently used first, until the total fits the budget.
        Raises ModelOverBudget for a model larger than the whole budget (nothing is dropped then).
        """
        size, budget = model_bytes(model), self.budget
        if size > budget:
            raise ModelOverBudget(size, budget)
        with self._lock:
            dropped = [self._entries.pop(session, None)]
            total = sum(entry.size for entry in self._entries.values())
            while total + size > budget:
                _, oldest = self._entries.popitem(last=False)
                total -= oldest.size
                dropped.append(oldest)
            entry = self._entries[session] = _Entry(next(self._serials), model, size)
        if any(dropped):
            self._collect_soon()
        return Handle(session, entry.serial)

    def get(self, handle: Handle):
        """The handle's model (now the most recently used), or ModelDropped if it is no longer kept."""
        with self._lock:
            entry = self._entries.get(handle.session)
            if entry is None or entry.serial != handle.serial:
                raise ModelDropped(f"Expected a kept model. Received: a handle of session {handle.session!r} "
                                   f"whose model #{handle.serial} was freed")
            self._entries.move_to_end(handle.session)
            return entry.model

    def release(self, handle) -> None:
        """Frees the handle's model if it is still its session's (a gr.State's delete_callback: called
        with whatever the state held, None included, when Gradio expires it)."""
        if not isinstance(handle, Handle):
            return
        with self._lock:
            entry = self._entries.get(handle.session)
            if entry is None or entry.serial != handle.serial:
                return
            del self._entries[handle.session]
        self._collect_soon()

    def drop_session(self, session: str) -> None:
        """Frees `session`'s model (its tab closed)."""
        with self._lock:
            dropped = self._entries.pop(session, None)
        if dropped is not None:
            self._collect_soon()

    def _collect_soon(self) -> None:
        """A full garbage collection shortly, one for a burst of drops: a Keras model is a web of
        reference cycles, so its weights are only freed by one, and Python runs one of its own only
        after hundreds of thousands of new objects (dozens of uploads). One holds every thread (0.1-0.8 s
        with TensorFlow loaded, ~0 once the warm-up has frozen what it loaded): never one per drop, never
        on the caller's thread."""
        if self._collect_after_s is None:
            return
        with self._lock:
            if self._collect_pending:
                return
            self._collect_pending = True
        timer = threading.Timer(self._collect_after_s, self._collect)
        timer.daemon = True
        timer.start()

    def _collect(self) -> None:
        with self._lock:
            self._collect_pending = False
        gc.collect()


MODELS = SessionModels()  # the server's: every session of the app


def release(handle) -> None:
    """MODELS.release as a plain function, for gr.State's delete_callback: Gradio deep-copies its
    components' settings into every page's config, and a bound method would take MODELS along, every
    kept model saved and loaded again (a page took ~1 s to open once a few models were kept)."""
    MODELS.release(handle)
