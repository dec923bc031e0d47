"""flower_demo.workarounds: each workaround is still needed (the problem it works around is still
there) and still works. A failure after an upgrade says which one to drop or to redo."""

from __future__ import annotations

import numpy as np

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
