"""flower_demo.workarounds: each workaround is still needed (the problem it works around is still
there) and still works. A failure after an upgrade says which one to drop or to redo."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from flower_demo import workarounds


def _traced_train_step() -> None:
    """Traces and runs one Keras train step, as a TrainingRun's fit does."""
    import keras

    network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    network.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(np.zeros((8, 4), np.float32), np.zeros(8, np.int64), batch_size=8, epochs=1, verbose=0)


def test_tracing_a_train_step_registers_custom_gradients_for_good():
    """TensorFlow 2.21 keeps each traced step's custom gradients forever: the workaround is needed.

    If this fails after an upgrade, TensorFlow no longer leaks (or moved its registry): check the
    memory of a server training run after run, and drop `forgetting_custom_gradients` if it holds.
    """
    assert workarounds.gradient_registry(), "TensorFlow's gradient registry moved: the workaround does nothing"
    before = workarounds.custom_gradients()
    _traced_train_step()
    assert workarounds.custom_gradients() - before


def test_forgetting_custom_gradients_removes_what_the_block_registered():
    _traced_train_step()  # whatever a first trace in the process registers for good
    before = set(workarounds.gradient_registry())
    with workarounds.forgetting_custom_gradients():
        _traced_train_step()
        registered = workarounds.custom_gradients() - before
    assert registered  # there was something to forget...
    assert set(workarounds.gradient_registry()) == before  # ...and it is gone


def test_gradio_still_records_analytics_and_reads_the_settings_that_quiet_it(monkeypatch):
    """Gradio 6.31 keeps 10,000 events for /monitoring unless told otherwise (needed), and its queue
    takes the two settings (works). A failure: Gradio renamed them or stopped recording."""
    import gradio as gr

    for name in workarounds.ANALYTICS_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert gr.Blocks().queue()._queue.ANALYTICS_MAX_EVENTS == 10_000
    workarounds.quiet_gradio_analytics()
    queue = gr.Blocks().queue()._queue
    assert queue.ANALYTICS_MAX_EVENTS == 1
    assert queue.ANAYLTICS_CACHE_FREQUENCY == 2**31  # sic: Gradio's spelling


def test_glibc_takes_the_malloc_arena_cap():
    """Where the C library is glibc, mallopt(M_ARENA_MAX) is accepted (works); elsewhere it is skipped."""
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc: nothing to cap")
    assert workarounds.fewer_malloc_arenas()


def test_importing_the_core_turns_on_onednn_before_tensorflow():
    """TF_ENABLE_ONEDNN_OPTS set by `import flower_demo` reaches TensorFlow 2.21, which says so when
    its log is on. (Whether TensorFlow would turn it on by itself depends on the CPU, not the version.)"""
    environment = {name: value for name, value in os.environ.items() if name != "TF_ENABLE_ONEDNN_OPTS"}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "0"
    completed = subprocess.run([sys.executable, "-c", "import flower_demo, tensorflow"], env=environment,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "oneDNN custom operations are on" in completed.stderr
