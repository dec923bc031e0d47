"""flower_demo.server.priority: a training run waits while requests are served, but never for long."""

from __future__ import annotations

import threading
import time

from flower_demo.server.priority import Priority


def test_without_requests_training_never_waits():
    assert Priority().yield_to_requests() < 0.01


def test_training_waits_until_the_request_and_its_grace_period_are_over():
    priority = Priority(grace=0.05, max_wait=5)
    serving, release = threading.Event(), threading.Event()
    last_moment = []

    def serve():
        with priority.request():
            serving.set()
            release.wait()
            last_moment.append(time.monotonic())  # the request ends just after this

    server = threading.Thread(target=serve)
    server.start()
    assert serving.wait(5)  # the request is in progress
    threading.Timer(0.2, release.set).start()  # and ends in 0.2 s, while training waits
    waited = priority.yield_to_requests()
    returned = time.monotonic()
    server.join()
    # Not before the request ended plus the grace period (both read on the same clock: no slack), nor long.
    assert returned >= last_moment[0] + 0.05
    assert waited < 2
    assert not priority.busy()


def test_a_stream_of_requests_cannot_stop_training():
    priority = Priority(grace=0.05, max_wait=0.2)
    stop = threading.Event()
    serving = [threading.Event() for _ in range(2)]

    def serve_forever(started: threading.Event):
        while not stop.is_set():
            with priority.request():
                started.set()
                time.sleep(0.01)  # the request's own work

    servers = [threading.Thread(target=serve_forever, args=(started,)) for started in serving]
    for server in servers:
        server.start()
    try:
        assert all(started.wait(5) for started in serving)  # both serve, one request after another
        waits = [priority.yield_to_requests() for _ in range(3)]
    finally:
        stop.set()
        for server in servers:
            server.join()
    assert all(0.19 <= waited < 1 for waited in waits)


def test_a_failing_request_still_ends():
    priority = Priority(grace=0)
    try:
        with priority.request():
            raise ValueError
    except ValueError:
        pass
    assert not priority.busy()
