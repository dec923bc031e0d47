"""Platform workarounds in one place: each says what it works around, the version it was checked on,
and a test in tests/test_workarounds.py fails when an upgrade makes it unnecessary or broken.

Gradio's component overrides are in flower_demo/tabs/components.py (the core never imports gradio),
tested in the same test file; the link's language is set through Gradio's front end in tabs/ui.py.

To add one: a section below (a header naming the platform and version, the why in a comment or
docstring), a function or context manager the rest of the code calls by name, and its test.
Imports of the platform stay inside the functions, so importing this module stays light.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
from collections import Counter
from typing import Iterator

# --- TensorFlow 2.21: oneDNN is off on some CPUs ------------------------------------------------------


def turn_on_onednn() -> None:
    """Asks TensorFlow for its oneDNN kernels, before TensorFlow is first imported.

    Checked on TensorFlow 2.21. TensorFlow turns oneDNN on by itself only on some Intel CPUs; on
    this project's 2-core AMD machines it makes a training step 2-2.5x faster (the tutorial's CNN at
    180 px, 0.71 s -> 0.29 s per batch). An explicit setting in the environment wins.
    """
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


# --- glibc 2.36: one malloc arena per thread -----------------------------------------------------------

M_ARENA_MAX = -8  # glibc's malloc.h


def fewer_malloc_arenas(arenas: int = 2) -> bool:
    """Caps glibc's per-thread malloc arenas, before any server or TensorFlow thread starts; returns
    whether glibc took the setting (False where the C library is not glibc: macOS, musl).

    Checked on glibc 2.36 (Debian 12) with Gradio 6.31. Dozens of request threads each got an arena
    of their own, and memory freed in one was not reused by another: under benchmarks/load.py with a
    training run every ~85 s the app grew from ~1,070 to ~1,380 MB in 10 minutes; with two arenas it
    held at 1,040-1,130 MB for the last 5 of 10 minutes, with the same latencies.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


# --- Gradio 6.31: analytics kept for a /monitoring page the app turns off ------------------------------

ANALYTICS_SETTINGS = {"GRADIO_ANALYTICS_MAX_EVENTS": "1", "GRADIO_ANALYTICS_CACHE_FREQUENCY": str(2**31)}


def quiet_gradio_analytics() -> None:
    """Before Gradio's queue is made (gradio/queueing.py reads these): one record, never summarised.

    Checked on Gradio 6.31. Gradio tallies every event into a pandas DataFrame of up to 10,000 rows
    for its /monitoring page, which this app turns off: ~5 ms of CPU per click at first, ~20 ms once a
    class has clicked 10,000 times. An explicit setting in the environment wins.
    """
    for name, value in ANALYTICS_SETTINGS.items():
        os.environ.setdefault(name, value)


# --- TensorFlow 2.21: a traced train step's custom gradients are registered for good ----------------

CUSTOM_GRADIENT_PREFIX = "CustomGradient-"  # the names tf.custom_gradient registers in graph mode


def gradient_registry() -> dict:
    """TensorFlow's process-wide table of gradient functions (empty if a TensorFlow version moves it)."""
    from tensorflow.python.framework import ops

    return getattr(getattr(ops, "_gradient_registry", None), "_registry", {})


def custom_gradients() -> set[str]:
    """The names of the custom gradients registered in this process so far."""
    return {name for name in gradient_registry() if name.startswith(CUSTOM_GRADIENT_PREFIX)}


@contextlib.contextmanager
def forgetting_custom_gradients() -> Iterator[None]:
    """Drops the custom gradients registered inside the block, which TensorFlow never drops itself.

    Checked on TensorFlow 2.21 (Keras 3.15). Keras' optimizer step goes through tf.distribute's
    all_reduce, a graph-mode tf.custom_gradient: each trace of a train step registers two entries in
    a process-wide table, and each holds the whole traced step graph, ~16 MB per run kept forever (a
    server training all day grew by that much per run). The table is only read while a gradient
    graph is being built, i.e. during the trace; the finished step (and the saved model) never read
    it again. Only for a block in which no other trace is under way: the app trains one run at a time.

    Example:
        with workarounds.forgetting_custom_gradients():
            network.fit(train, epochs=epochs)
    """
    before = custom_gradients()
    try:
        yield
    finally:
        registry = gradient_registry()
        for name in custom_gradients() - before:
            registry.pop(name, None)


# --- Gradio 6.31: one session can fill the queue that every student shares ----------------------------

def share_the_queue(blocks, per_event: int, per_session: int, message, refusal_delay_s: float = 0.0) -> None:
    """Gives every session its share of the queue: at most `per_event` of one event (and `per_session`
    events in all) waiting or running, and the next event to run taken from the session with the
    fewest of its events before it, running or waiting (first come, first served among equals).

    Checked on Gradio 6.31. The queue's `max_size` counts waiting events of every kind and every
    session together, and Gradio serves each event's line first come, first served, with no limit
    per session: 10 scripted sessions holding 8 calls each filled a 64-slot queue ("Queue is full" for
    students who clicked once), and a student's click waited behind every call those sessions had
    queued (issue 33). `Queue.push` is where an event joins (`pending_event_ids_session` holds a
    session's events until their results are sent; a refusal there is an HTTP 400 whose detail the
    page shows as the error, `message(request)`); `Queue.get_events` takes the first event of a line
    that has a free worker, so putting the lines in fair order just before it is enough. Call after
    `blocks.queue(...)`, which makes a new Queue.

    A refusal is answered after `refusal_delay_s` (an idle wait on the event loop, no thread held):
    a script that retries at once as soon as it is refused sent ~300 refused calls a second from 10
    sessions, and handling those alone slowed every student's click from 0.15 to 1.3-2 s.
    """
    queue = blocks._queue
    join, take = queue.push, queue.get_events

    async def push(body, request, username):
        session = body.session_hash
        if session is not None and body.fn_index is not None:
            pending = [queue.event_ids_to_events.get(event_id)
                       for event_id in queue.pending_event_ids_session.get(session, ())]
            same = sum(1 for event in pending if event is not None and event.fn._id == body.fn_index)
            if same >= per_event or len(pending) >= per_session:
                logging.getLogger(__name__).info("refused a call of session %s: %d of that event, %d in all in flight",
                                                 session[:8], same, len(pending))
                await asyncio.sleep(refusal_delay_s)
                return False, message(request), "error"
        return await join(body, request, username)

    def get_events():
        running = Counter(event.session_hash for job in queue.active_jobs if job for event in job)
        for line in queue.event_queue_per_concurrency_id.values():
            if len(line.queue) > 1:
                ahead = Counter()  # a session's events already placed in this line

                def turn(event):
                    ahead[event.session_hash] += 1
                    return running[event.session_hash] + ahead[event.session_hash]

                # sorted() is stable and calls `turn` once per event, in the line's order.
                line.queue[:] = sorted(line.queue, key=turn)
        return take()

    queue.push = push
    queue.get_events = get_events
