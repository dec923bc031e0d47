"""flower_demo.server.warm_up: the readiness flag the Classify and Augmentation tabs follow, and the page's
honest buttons and waiting message while it is not ready (issue 21). No timing assertions: a test's
"loading" is a threading.Event it releases itself."""

from __future__ import annotations

import logging
import shutil
import socket
import sys
import threading
import time

import gradio as gr
import pytest

import tests.test_architecture as architecture
from flower_demo.i18n import translate
from flower_demo.tabs import ui, waiting_line
from flower_demo.server.warm_up import WARM_UP_SWITCH_INTERVAL_S, WarmUp
from tests.clients import local_client

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


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


def test_importing_it_loads_no_tensorflow():
    architecture.test_light_imports_do_not_load_tensorflow(["flower_demo.server.warm_up"])


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


def test_the_cluster_is_joined_beside_the_load_and_ready_never_waits_for_it():
    loading, joining = Loading(), Loading()
    warm_up = WarmUp(loading, join=joining)
    warm_up.start()
    deadline = time.monotonic() + 10
    while joining.calls == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert joining.calls == 1 and not warm_up.ready()  # joining while the model still loads
    loading.release.set()
    assert warm_up.wait(timeout=10)  # ready although the join still has not returned
    joining.release.set()


def test_a_cluster_that_cannot_be_joined_is_logged_and_one_run_at_a_time_goes_on(monkeypatch, caplog):
    pytest.importorskip("ray", reason="Ray is an optional extra (requirements-cluster.txt)")
    from flower_demo import config
    from flower_demo.server import warm_up
    from flower_demo.train import cluster

    def unreachable(*args, **kwargs):
        raise ConnectionError("Could not find any running Ray instance at head.invalid:6379")

    monkeypatch.setenv(config.RAY_ADDRESS_ENV, "head.invalid:6379")
    monkeypatch.setattr(cluster, "connect", unreachable)
    with caplog.at_level(logging.ERROR, logger="flower_demo.server.warm_up"):
        warm_up.join_cluster()  # never raises: each run tries again and says so (tests/test_cluster.py)
    assert "could not join the training cluster at head.invalid:6379" in caplog.text
    assert waiting_line.training_slots() == 1


@pytest.mark.slow
def test_loading_for_serving_leaves_the_graphs_traced():
    """After the real warm-up, the first classification and augmentation trace nothing new."""
    import numpy as np

    from flower_demo import config, recipes
    from flower_demo.data import augment
    from flower_demo.model import serving
    from flower_demo.server import warm_up

    warm_up.load_for_serving()
    network = serving.shipped_model()
    assert network is not None and network in serving._traced
    assert augment._preview_graph.cache_info().currsize == 1
    traces = serving.probabilities_function(network).experimental_get_tracing_count()
    serving.predict_probabilities(network, np.full((50, 40, 3), 120, np.uint8))
    assert serving.probabilities_function(network).experimental_get_tracing_count() == traces
    photo = np.zeros((20, 30, 3), np.uint8)
    before = augment._preview_graph().experimental_get_tracing_count()
    augment.augment_grid(photo, recipes.Augmentation(True, 0.2, 0.0, 0.3), config.TUTORIAL_IMAGE_SIZE, 5)
    assert augment._preview_graph().experimental_get_tracing_count() == before


@pytest.fixture
def loading_app(monkeypatch):
    """A small app with a warm-up that loads until the test releases it: the Classify button made
    honest by `ui.active_when_warm` and an endpoint that waits with `ui.wait_for_warm_up`."""
    loading = Loading()
    monkeypatch.setattr(ui, "WARM_UP", WarmUp(loading))

    def classify_when_warm(request: gr.Request = None, progress=gr.Progress()):
        ui.wait_for_warm_up(ui.language(request), progress)
        return "classified"

    with gr.Blocks() as demo:
        button = gr.Button(ui.t("classify_button"), variant="primary", elem_id="classify")
        ui.active_when_warm(button, ui.t("classify_button"), ui.t("classify_button_loading"))
        answer = gr.Textbox()
        button.click(classify_when_warm, None, answer, api_name="classify")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        i18n=ui.I18N)
    yield f"http://127.0.0.1:{port}/", loading
    loading.release.set()
    demo.close()


def test_a_request_before_ready_says_why_it_waits_then_answers(loading_app):
    url, loading = loading_app
    job = local_client(url, "es").submit(api_name="/classify")
    deadline = time.monotonic() + 60
    descriptions = []
    while not descriptions and time.monotonic() < deadline:
        descriptions = [unit.desc for unit in (job.status().progress_data or []) if unit.desc]
        time.sleep(0.05)
    assert descriptions == [translate("status_warming_up", "es")]
    assert not job.done()
    loading.release.set()
    assert job.result(timeout=60) == "classified"


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("language,loading_text,ready_text", [
    ("en", "Loading the model…", "Classify"),
    ("es", "Cargando el modelo…", "Clasificar"),
])
@pytest.mark.browser
def test_the_classify_button_says_the_model_is_loading_until_it_is_ready(loading_app, language, loading_text,
                                                                          ready_text):
    from playwright.sync_api import expect, sync_playwright

    url, loading = loading_app
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(locale=language, extra_http_headers={"Accept-Language": language})
        page.set_default_timeout(60_000)
        page.goto(url)
        button = page.locator("#classify")
        expect(button).to_have_text(loading_text)
        expect(button).to_be_disabled()
        loading.release.set()
        expect(button).to_have_text(ready_text)
        expect(button).to_be_enabled()
        browser.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_app_opens_its_port_once_loaded_or_when_waiting_runs_out(monkeypatch):
    """app.launch serves the first page only after the warm-up (so the first clicks are answered as
    fast as later ones), but never waits past `ready_within`: then the honest buttons take over."""
    import app
    from flower_demo.server import warm_up

    for finished_before_page in (True, False):
        loading = Loading()
        monkeypatch.setattr(warm_up, "WARM_UP", WarmUp(loading))
        if finished_before_page:
            threading.Timer(0.3, loading.release.set).start()
        with gr.Blocks() as demo:
            gr.Markdown("page")
        app.launch(demo, ready_within=30 if finished_before_page else 0.2, server_name="127.0.0.1",
                   server_port=_free_port(), prevent_thread_lock=True, quiet=True)
        try:
            assert warm_up.WARM_UP.ready() is finished_before_page
            assert loading.calls == 1
        finally:
            loading.release.set()
            demo.close()
