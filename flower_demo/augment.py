"""Data augmentation: the one module both training and the Augmentation tab use.

Keras' random layers (the tutorial's RandomFlip, RandomRotation and RandomZoom, plus RandomContrast)
are applied to whole batches in the input pipeline, so the saved model is only the classifier.
"""

from __future__ import annotations

import collections
import threading

import numpy as np

from flower_demo import images
from flower_demo.config import Augmentation


def build_augmentation(augmentation: Augmentation, seed: int | None = None):
    """Returns a keras.Sequential of the enabled random layers, or None when nothing is enabled."""
    if not augmentation.enabled:
        return None
    import keras  # lazy: importing TensorFlow takes seconds

    layers = []
    if augmentation.flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if augmentation.rotation > 0:
        layers.append(keras.layers.RandomRotation(augmentation.rotation, fill_mode="reflect", seed=seed))
    if augmentation.zoom > 0:
        layers.append(keras.layers.RandomZoom(augmentation.zoom, fill_mode="reflect", seed=seed))
    if augmentation.contrast > 0:
        layers.append(keras.layers.RandomContrast(augmentation.contrast, value_range=(0, 255), seed=seed))
    return keras.Sequential(layers, name="augmentation")


class _Preview:
    """One settings' layers, reused across calls, rewound to a seed before each (fresh-layer pictures).

    Building the layers and running them eagerly cost ~100 ms of a /augment call, most of it Python
    holding the GIL while a class is waiting; traced once, the same layers run in ~30 ms. A trace
    costs ~300 ms, so a setting is traced only when it is asked for a second time (a student moving
    a slider makes many settings that are each used once).
    """

    def __init__(self, augmentation: Augmentation):
        self.pipeline = build_augmentation(augmentation, seed=0)
        self.uses = 0
        self.traced = None
        self.lock = threading.Lock()  # rewinding and drawing must not interleave between two students

    def __call__(self, batch: np.ndarray, seed: int) -> np.ndarray:
        with self.lock:
            self.uses += 1
            if self.uses == 2:
                import tensorflow as tf

                self.traced = tf.function(lambda x: self.pipeline(x, training=True))
            # Every random layer draws from a SeedGenerator whose state a fresh one starts at [seed, 0].
            for variable in self.pipeline.non_trainable_variables:
                if variable.path.endswith("seed_generator_state"):
                    variable.assign(np.array([seed, 0], dtype=variable.dtype))
            run = self.traced or (lambda x: self.pipeline(x, training=True))
            return np.asarray(run(batch))


_PREVIEWS: collections.OrderedDict[Augmentation, _Preview] = collections.OrderedDict()
_PREVIEWS_KEPT = 8  # the presets' settings and a few of a class's current slider positions
_PREVIEWS_LOCK = threading.Lock()


def _preview(augmentation: Augmentation) -> _Preview:
    with _PREVIEWS_LOCK:
        preview = _PREVIEWS.pop(augmentation, None) or _Preview(augmentation)
        _PREVIEWS[augmentation] = preview  # most recently used last
        while len(_PREVIEWS) > _PREVIEWS_KEPT:
            _PREVIEWS.popitem(last=False)
        return preview


def augment_grid(rgb: np.ndarray, augmentation: Augmentation, image_size: int, seed: int,
                 count: int = 9) -> list[np.ndarray]:
    """`count` augmented versions of one photo at the size training sees it, as uint8 arrays.

    The same photo, settings and seed always give the same pictures: those of fresh layers built
    with that seed.
    """
    pixels = images.prepare_for_model(images.to_rgb(rgb), image_size)
    batch = np.repeat(pixels[None].astype(np.float32), count, axis=0)
    if augmentation.enabled:
        batch = _preview(augmentation)(batch, seed)
    return [np.clip(np.round(picture), 0, 255).astype(np.uint8) for picture in batch]


def tile(pictures: list[np.ndarray], columns: int = 3, gap: int = 4, fill: int = 255) -> np.ndarray:
    """Same-sized pictures in rows of `columns`, `gap` pixels apart: the tutorial's 3x3 figure as one
    image (one file to encode and fetch per click instead of nine)."""
    height, width, channels = pictures[0].shape
    rows = -(-len(pictures) // columns)
    sheet = np.full((rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, channels),
                    fill, dtype=pictures[0].dtype)
    for index, picture in enumerate(pictures):
        top, left = (index // columns) * (height + gap), (index % columns) * (width + gap)
        sheet[top : top + height, left : left + width] = picture
    return sheet
