"""Serving a network: loading and saving .keras files, the default model, and fast answers.

Every answer goes through one traced graph per model and kind (`traced`), built once and forgotten
with the model: the Classify tab's probabilities here, the Inside tab's feature maps and Grad-CAM
in flower_demo/look/inside.py.
"""

from __future__ import annotations

import functools
import threading
import weakref
from pathlib import Path
from typing import Callable

import numpy as np

from flower_demo import atomic, config
from flower_demo.data import images
from flower_demo.model import model_classes
from flower_demo.model.networks import input_size

_traced: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> {kind: tf.function}
_traced_lock = threading.Lock()


def traced(model, kind: str, build: Callable):
    """`build(model)`'s traced function for this model and kind, built once and kept as long as the
    model lives.

    Calling a Keras model eagerly runs it layer by layer from Python; a traced graph answers several
    times faster on 2 cores. Weak keys: a student's model is forgotten with their session, so what
    `build` returns must not hold `model` itself (a weakref.ref of it, or a sub-model of its layers).
    """
    with _traced_lock:
        functions = _traced.setdefault(model, {})
        if kind not in functions:
            functions[kind] = build(model)
        return functions[kind]


def _probabilities_function(model):
    import tensorflow as tf

    size = input_size(model)
    spec = tf.TensorSpec((None, size, size, 3), tf.float32)
    network = weakref.ref(model)  # a strong reference here would keep the key alive forever
    return tf.function(lambda pixels: tf.nn.softmax(network()(pixels, training=False), axis=-1),
                       input_signature=[spec])


def probabilities_function(model):
    """The model's forward pass and softmax as one tf.function, traced once per model."""
    return traced(model, "probabilities", _probabilities_function)


def class_names(model) -> tuple[str, ...]:
    """The names of `model`'s classes in its output order: the labels of its probabilities, its
    Grad-CAM choices and its confusion matrix. A dataset's own (trained here, or read from the file),
    the flowers for a five-output model that carries none (the shipped file, older exports).
    See flower_demo/model/model_classes.py."""
    return model_classes.class_names(model)


def predict_probabilities(model, rgb: np.ndarray) -> np.ndarray:
    """Class probabilities (softmax of the logits) for one RGB picture of any size."""
    pixels = images.prepare_for_model(images.to_rgb(rgb), input_size(model))
    return batch_probabilities(model, pixels[None])[0]


def batch_probabilities(model, pixels: np.ndarray) -> np.ndarray:
    """Class probabilities for a batch of pictures already at the model's input size, (n, size, size, 3)
    raw 0-255 pixels (prepare_for_model's output, or decoded dataset photos)."""
    return probabilities_function(model)(np.asarray(pixels, np.float32)).numpy()


# Below this top probability Classify calls its answer unsure. Measured by benchmarks/unsure_threshold.py
# on the shipped model (v12; every other photo of the 2,934, and 734 of them seen in ways training never
# showed: the central half zoomed x2, a quarter turn, a blurry 48 px copy), and on 124 pictures that are
# not flowers (plain colours, gradients, noise, drawings, words, the photos installed packages ship):
#   threshold                         0.5    0.6    0.7    0.8
#   photos called unsure, as is      0.4 %  1.4 %  3.4 %   10 %   (the model trained on these)
#   ... zoomed x2 (89 % right overall) 8 %   15 %   23 %   35 %
#   non-flowers called unsure          21 %   37 %   61 %   80 %
# At 0.6 an unsure answer on a zoomed photo is right about half the time (54 %) and a sure one 95 %:
# "unsure" means it. (v7, shipped when this was chosen, flagged more real photos for the same share of
# non-flowers: 12 % as is, 23 % zoomed, 38 %.) No bar catches every non-flower (a grey square: 78 %
# dandelion): softmax always shares 100 % among the five classes, so Classify also says, every time,
# that it can only choose among them.
UNSURE_BELOW = 0.6


def is_unsure(probabilities: np.ndarray) -> bool:
    """True when no class reaches UNSURE_BELOW: a guess between classes, or no flower at all."""
    return float(np.max(probabilities)) < UNSURE_BELOW


def save_model(model, path: str | Path) -> None:
    """Saves as .keras through a temporary file, so a crash never leaves a half model behind, with the
    model's class names inside (model_classes.known: none for a model of unknown classes).

    Only the network is saved, not the optimizer's state: Adam's two moments per weight would triple
    the file (the shipped model must stay under 10 MB) and nothing here resumes a training run.
    """
    import keras

    network = keras.Model.from_config(model.get_config())  # the same layers and names, never compiled
    network.set_weights(model.get_weights())
    names = model_classes.known(model)

    def write(temporary: Path) -> None:
        network.save(temporary)
        if names is not None:  # the class names inside the file, beside the weights (model_classes.py says why)
            model_classes.write_into(temporary, names)

    # Keras picks the format by the file's ending; a shipped model must be readable by everyone.
    atomic.write_atomically(path, write, suffix=".keras", mode=0o644)


def load_model(path: str | Path):
    """Loads a .keras file with safe_mode=True (no arbitrary code from lambda layers), and the class
    names inside it (`class_names(model)`; a file without them: see model_classes.known).

    Raises:
        ValueError: also when the file's class_names.json is not a list of names.
    """
    import keras

    model = keras.models.load_model(path, safe_mode=True, compile=False)
    names = model_classes.read_from(path)
    if names is not None:
        model_classes.remember(model, names)
    return model


def _once(load):
    """`load` called once, by the first caller; a caller meanwhile waits for that answer rather than
    loading a second copy (functools.cache alone lets every thread that finds it empty load it).
    `cache_clear()` forgets it (tests that point FLOWER_MODEL_PATH elsewhere)."""
    cached = functools.cache(load)
    lock = threading.Lock()

    @functools.wraps(load)
    def loaded():
        with lock:
            return cached()

    loaded.cache_clear = cached.cache_clear
    return loaded


@_once
def shipped_model():
    """The model in assets/ (or $FLOWER_MODEL_PATH, read on the first call), loaded once and shared
    read-only by every student; None if absent."""
    path = config.classifier_path()
    if not path.exists():
        return None
    return load_model(path)
