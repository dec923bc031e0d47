"""Platform workarounds in one place: each says what it works around, the version it was checked on,
and a test in tests/test_workarounds.py fails when an upgrade makes it unnecessary or broken.

To add one: a section below (a header naming the platform and version, the why in a comment or
docstring), a function or context manager the rest of the code calls by name, and its test.
Imports of the platform stay inside the functions, so importing this module stays light.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

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
