"""flower_demo.priority: a training run waits while requests are served, but never for long."""

from __future__ import annotations

import threading
import time

from flower_demo.priority import Priority


def test_without_requests_training_never_waits():
    assert Priority().yield_to_requests() < 0.01


def test_training_waits_until_the_request_and_its_grace_period_are_over():
    priority = Priority(grace=0.05, max_wait=5)
    release = threading.Event()

    def serve():
        with priority.request():
            release.wait()

    server = threading.Thread(target=serve)
    server.start()
    time.sleep(0.02)  # the request is in progress
    threading.Timer(0.2, release.set).start()
    waited = priority.yield_to_requests()
    server.join()
    assert 0.2 + 0.05 - 0.02 <= waited < 2  # until the request ended, plus the grace period
    assert not priority.busy()


def test_a_stream_of_requests_cannot_stop_training():
    priority = Priority(grace=0.05, max_wait=0.2)
    stop = threading.Event()

    def serve_forever():
        while not stop.is_set():
            with priority.request():
                time.sleep(0.01)

    servers = [threading.Thread(target=serve_forever) for _ in range(2)]
    for server in servers:
        server.start()
    try:
        time.sleep(0.02)
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
