"""The models the class's sessions hold, within one memory budget for the whole server.

A session's models (its last few runs from the Training or Compare tab, the one brought in the Classify
tab) live here, not in the session's gr.State: the state keeps a small `Handle`, this registry the only
strong reference. Gradio keeps a closed tab's state for another hour, and nothing bounded the total: 229
uploads of a 32 MB model from 10 clients took the server from 0.8 to 8.4 GB (issue 33). Here a new
model pushes out older models (other sessions' earlier runs first, least recently used first) until the
total fits `config.SESSION_MODELS_BUDGET_BYTES`, and a session that lost a model is told so on its next use.

What is kept beside a model (serving.traced's graphs, evaluation.cached_evaluation's results,
runs.origin_of) has weak keys, so it goes with the model.

Example:
    handle = MODELS.put(request.session_hash, model, "run3")  # the handle goes in the session's gr.State
    model = MODELS.get(handle)                        # ModelDropped if the server had to free it
    MODELS.kept(request.session_hash)                 # [("run3", handle), ("run2", ...)], newest first
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
    session: str
    serial: int
    name: str
    model: object
    size: int


class SessionModels:
    """A few models per session (`per_session`, None: config.SESSION_MODELS_PER_SESSION), all together
    within `budget_bytes` (None: config.SESSION_MODELS_BUDGET_BYTES; both read on each `put`).
    Thread-safe: every tab's handlers use it at once.

    A session's models have names ("run3", "upload"): a new model replaces the session's model of the
    same name, and past `per_session` the session's oldest goes. Over the budget, other sessions' older
    models go first (least recently used first), and only then anyone's newest, so one student keeping
    three runs never costs another student their only one.
    """

    def __init__(self, budget_bytes: int | None = None,
                 collect_after_s: float | None = config.SESSION_MODELS_COLLECT_AFTER_S,
                 per_session: int | None = None):
        self.budget_bytes = budget_bytes
        self.per_session = per_session
        self._collect_after_s = collect_after_s
        self._entries: OrderedDict[tuple[str, int], _Entry] = OrderedDict()  # least recently used first
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._collect_pending = False

    @property
    def budget(self) -> int:
        return config.SESSION_MODELS_BUDGET_BYTES if self.budget_bytes is None else self.budget_bytes

    @property
    def kept_per_session(self) -> int:
        return config.SESSION_MODELS_PER_SESSION if self.per_session is None else self.per_session

    def total_bytes(self) -> int:
        with self._lock:
            return sum(entry.size for entry in self._entries.values())

    def sessions(self) -> list[str]:
        """The sessions holding a model, least recently used first (by each one's latest use)."""
        with self._lock:
            return list(dict.fromkeys(reversed([entry.session for entry in self._entries.values()])))[::-1]

    def _newest_serials(self) -> set[int]:
        newest: dict[str, int] = {}
        for entry in self._entries.values():
            newest[entry.session] = max(newest.get(entry.session, 0), entry.serial)
        return set(newest.values())

    def put(self, session: str, model, name: str = "model") -> Handle:
        """Keeps `model` as `session`'s newest model, named `name`, and returns its handle.

        The session's model of the same name goes at once, and its oldest past `kept_per_session`. Then
        older models (least recently used first), and last anyone's newest, go until the total fits the
        budget. Raises ModelOverBudget for a model larger than the whole budget (nothing is dropped then).
        """
        size, budget, per_session = model_bytes(model), self.budget, max(1, self.kept_per_session)
        if size > budget:
            raise ModelOverBudget(size, budget)
        with self._lock:
            own = sorted((entry for entry in self._entries.values() if entry.session == session),
                         key=lambda entry: entry.serial)
            replaced = [entry for entry in own if entry.name == name]
            others = [entry for entry in own if entry.name != name]
            dropped = replaced + others[:max(0, len(others) - (per_session - 1))]
            for entry in dropped:
                del self._entries[entry.session, entry.serial]
            newest = self._newest_serials()
            candidates = ([entry for entry in self._entries.values() if entry.serial not in newest]
                          + [entry for entry in self._entries.values() if entry.serial in newest])
            total = sum(entry.size for entry in self._entries.values())
            for entry in candidates:
                if total + size <= budget:
                    break
                del self._entries[entry.session, entry.serial]
                total -= entry.size
                dropped.append(entry)
            entry = _Entry(session, next(self._serials), name, model, size)
            self._entries[session, entry.serial] = entry
        if dropped:
            self._collect_soon()
        return Handle(session, entry.serial)

    def get(self, handle: Handle):
        """The handle's model (now the most recently used), or ModelDropped if it is no longer kept."""
        with self._lock:
            entry = self._entries.get((handle.session, handle.serial))
            if entry is None:
                raise ModelDropped(f"Expected a kept model. Received: a handle of session {handle.session!r} "
                                   f"whose model #{handle.serial} was freed")
            self._entries.move_to_end((handle.session, handle.serial))
            return entry.model

    def peek(self, handle: Handle):
        """The handle's model without marking it used (to name it), or ModelDropped."""
        with self._lock:
            entry = self._entries.get((handle.session, handle.serial))
        if entry is None:
            raise ModelDropped(f"Expected a kept model. Received: freed model #{handle.serial}")
        return entry.model

    def kept(self, session: str) -> list[tuple[str, Handle]]:
        """(name, handle) of each model `session` still has, newest first (none is marked as used)."""
        with self._lock:
            entries = sorted((entry for entry in self._entries.values() if entry.session == session),
                             key=lambda entry: -entry.serial)
            return [(entry.name, Handle(entry.session, entry.serial)) for entry in entries]

    def release(self, handle) -> None:
        """Frees the handle's model and its session's older ones (a gr.State's delete_callback: called
        with whatever the state held, None included, when Gradio expires it)."""
        if not isinstance(handle, Handle):
            return
        with self._lock:
            gone = [key for key, entry in self._entries.items()
                    if entry.session == handle.session and entry.serial <= handle.serial]
            for key in gone:
                del self._entries[key]
        if gone:
            self._collect_soon()

    def drop_session(self, session: str) -> None:
        """Frees all of `session`'s models (its tab closed)."""
        with self._lock:
            gone = [key for key, entry in self._entries.items() if entry.session == session]
            for key in gone:
                del self._entries[key]
        if gone:
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
