"""Data augmentation: the one module both training and the Augmentation tab use.

Keras' random layers (the tutorial's RandomFlip, RandomRotation and RandomZoom, plus RandomContrast)
are applied to whole batches in the input pipeline, so the saved model is only the classifier.
"""

from __future__ import annotations

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


def augment_grid(rgb: np.ndarray, augmentation: Augmentation, image_size: int, seed: int,
                 count: int = 9) -> list[np.ndarray]:
    """`count` augmented versions of one photo at the size training sees it, as uint8 arrays.

    The same photo, settings and seed always give the same pictures (fresh layers, fixed seed).
    """
    pixels = images.prepare_for_model(images.to_rgb(rgb), image_size)
    batch = np.repeat(pixels[None].astype(np.float32), count, axis=0)
    pipeline = build_augmentation(augmentation, seed=seed)
    if pipeline is not None:
        batch = np.asarray(pipeline(batch, training=True))
    return [np.clip(np.round(picture), 0, 255).astype(np.uint8) for picture in batch]
