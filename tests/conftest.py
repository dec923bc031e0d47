"""Shared fixtures: a private cache folder and tiny synthetic flower folders written per test.

A fresh machine has neither the dataset nor a network, so every test writes the photos it needs.
FLOWER_CACHE_DIR is set here for the whole session, so the apps and commands the tests start use it too
(config.cache_dir() reads it when used; a test may still monkeypatch it).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from pathlib import Path

_CACHE_DIR = tempfile.mkdtemp(prefix="flower-test-cache-")
os.environ["FLOWER_CACHE_DIR"] = _CACHE_DIR
os.environ.pop("FLOWER_DATA_DIR", None)  # a developer's real dataset must not leak into the tests
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
atexit.register(shutil.rmtree, _CACHE_DIR, True)

import pytest  # noqa: E402

from tests.fake_flowers import write_flower_folder  # noqa: E402


@pytest.fixture
def flower_folder(tmp_path) -> Path:
    """Five class folders of six small photos each, plus one corrupt file in roses/."""
    return write_flower_folder(tmp_path / "flower_photos")


@pytest.fixture
def clean_flower_folder(tmp_path) -> Path:
    """The same photos without the corrupt file (Keras would fail on it when decoding)."""
    return write_flower_folder(tmp_path / "clean_photos", broken=False)


@pytest.fixture
def make_flower_folder(tmp_path):
    """A factory: make_flower_folder(name, per_class=..., broken=..., png_only=...)."""

    def make(name: str = "photos", **options) -> Path:
        return write_flower_folder(tmp_path / name, **options)

    return make


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The whole app, launched once on a free port over a synthetic photo folder (FLOWER_DATA_DIR)."""
    folder = write_flower_folder(tmp_path_factory.mktemp("app") / "flower_photos", per_class=8)
    patch = pytest.MonkeyPatch()
    patch.setenv("FLOWER_DATA_DIR", str(folder))
    import app

    demo = app.build_demo()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()
    patch.undo()


def pytest_collection_modifyitems(items):
    """A test that uses the launched app (`app_url`, directly or through a fixture) is `slow`: the quick
    run, `pytest -m "not slow and not browser"`, leaves the app out."""
    for item in items:
        if "app_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session, exitstatus):
    """Lets the app's background warm-up finish before the interpreter exits: a daemon thread still
    inside TensorFlow's import at exit can abort the process ("terminate called without an active
    exception") after every test has passed, and the run would fail on its exit code."""
    from flower_demo.server.warm_up import WARM_UP

    WARM_UP.finish(timeout=120)
