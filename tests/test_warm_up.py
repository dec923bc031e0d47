"""flower_demo.warm_up: the readiness flag the Classify and Augmentation tabs follow (issue 21).
No timing assertions: a test's "loading" is a threading.Event it releases itself."""

from __future__ import annotations

import sys
import threading

import pytest

from flower_demo.warm_up import WARM_UP_SWITCH_INTERVAL_S, WarmUp


class Loading:
    """A load step that blocks until released, counting its calls."""

    def __init__(self, failure: Exception | None = None):
        self.release = threading.Event()
        self.calls = 0
        self.failure = failure
        self.switch_interval = None

    def __call__(self) -> None:
        self.calls += 1
        self.switch_interval = sys.getswitchinterval()
        self.release.wait()
        if self.failure:
            raise self.failure


def test_ready_only_once_the_load_has_finished():
    loading = Loading()
    warm_up = WarmUp(loading)
    assert not warm_up.ready()
    warm_up.start()
    warm_up.start()
    assert not warm_up.wait(timeout=0.01) and not warm_up.ready()
    loading.release.set()
    assert warm_up.wait(timeout=60) and warm_up.ready()
    assert loading.calls == 1 and warm_up.error is None


def test_wait_starts_the_load_when_nobody_has():
    loading = Loading()
    loading.release.set()
    warm_up = WarmUp(loading)
    assert warm_up.wait(timeout=60) and loading.calls == 1


def test_a_failed_load_counts_as_ready_and_is_kept():
    """Whoever needs the model then meets the problem and reports it, rather than waiting forever."""
    loading = Loading(failure=OSError("no model file"))
    loading.release.set()
    warm_up = WarmUp(loading)
    assert warm_up.wait(timeout=60)
    assert isinstance(warm_up.error, OSError)


def test_threads_switch_more_often_only_while_loading():
    default = sys.getswitchinterval()
    loading = Loading()
    loading.release.set()
    WarmUp(loading).wait(timeout=60)
    assert loading.switch_interval == pytest.approx(min(default, WARM_UP_SWITCH_INTERVAL_S))
    assert sys.getswitchinterval() == default


def test_loading_for_serving_leaves_the_graphs_traced():
    """After the real warm-up, the first classification and augmentation trace nothing new."""
    import numpy as np

    from flower_demo import augment, config, model, warm_up

    warm_up.load_for_serving()
    network = model.shipped_model()
    assert network is not None and network in model._predictors
    assert augment._preview_graph.cache_info().currsize == 1
    traces = model._predictors[network].experimental_get_tracing_count()
    model.predict_probabilities(network, np.full((50, 40, 3), 120, np.uint8))
    assert model._predictors[network].experimental_get_tracing_count() == traces
    photo = np.zeros((20, 30, 3), np.uint8)
    before = augment._preview_graph().experimental_get_tracing_count()
    augment.augment_grid(photo, config.Augmentation(True, 0.2, 0.0, 0.3), config.TUTORIAL_IMAGE_SIZE, 5)
    assert augment._preview_graph().experimental_get_tracing_count() == before
