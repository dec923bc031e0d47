"""Data augmentation: the one module both training and the Augmentation tab use.

The tutorial stacks Keras' RandomFlip, RandomRotation and RandomZoom layers (plus RandomContrast in
the shipped recipe): each geometric layer resamples every picture again. Here a flip, a rotation and
a zoom are one affine map, so each picture is resampled once (bilinear, edges reflected, as those
layers do), with the same ranges: rotation by up to `rotation` of a full turn either way, zoom by up
to `zoom` of the side in or out, then contrast scaled by up to `contrast` either way about each
channel's mean. Draws are stateless: a seed fixes the pictures, so a preview can be shown again.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from flower_demo.data import images
from flower_demo.recipes import Augmentation


def affine_transform(batch, flips, angles, scales, output_size=None):
    """Resamples each picture of a float batch (N, H, W, C) through its own flip, turn and zoom.

    Output pixel p takes the input at c + scale * R(angle) * F * (p - c), where c is the centre and
    F mirrors left-right when flips[i] is true: a scale above 1 shows more of the photo (zoom out).
    With `output_size` (a side, int or scalar tensor), the same view is resampled onto that many
    pixels a side, as a bilinear resize with half-pixel centres would map them.
    """
    import tensorflow as tf

    batch = tf.convert_to_tensor(batch, tf.float32)
    height, width = tf.shape(batch)[1], tf.shape(batch)[2]
    if output_size is None:
        out_height, out_width = height, width
    else:
        out_height = out_width = tf.cast(output_size, tf.int32)
    in_x, in_y, out_x, out_y = (tf.cast(side, tf.float32) for side in (width, height, out_width, out_height))
    ratio_x, ratio_y = in_x / out_x, in_y / out_y  # input pixels per output pixel
    mirror = tf.where(tf.cast(flips, tf.bool), -1.0, 1.0)
    cos, sin = tf.cos(angles) * scales, tf.sin(angles) * scales
    a0, a1, b0, b1 = cos * mirror * ratio_x, -sin * ratio_x, sin * mirror * ratio_y, cos * ratio_y
    zeros = tf.zeros_like(a0)
    # Centres (side - 1) / 2 of the output map onto centres of the input.
    transforms = tf.stack([a0, a1, (in_x - 1) / 2 - a0 * (out_x - 1) / 2 - a1 * (out_y - 1) / 2,
                           b0, b1, (in_y - 1) / 2 - b0 * (out_x - 1) / 2 - b1 * (out_y - 1) / 2, zeros, zeros],
                          axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=batch, transforms=transforms, output_shape=tf.stack([out_height, out_width]), fill_value=0.0,
        interpolation="BILINEAR", fill_mode="REFLECT")


def random_augment(batch, augmentation: Augmentation, seed, output_size=None):
    """`batch` (N, H, W, 3 floats, 0-255) randomly transformed as `augmentation` says; same seed, same result.

    `seed` is two integers (a stateless seed). With `output_size`, the pictures come out that many
    pixels a side (the same resampling does the resize). Works eagerly and inside tf.data or tf.function.
    """
    geometry = augmentation.flip or augmentation.rotation > 0 or augmentation.zoom > 0 or output_size is not None
    return _augment(batch, seed, float(augmentation.flip), augmentation.rotation, augmentation.zoom,
                    augmentation.contrast, geometry=geometry, contrast_stage=augmentation.contrast > 0,
                    output_size=output_size)


def _augment(batch, seed, flip, rotation, zoom, contrast, geometry=True, contrast_stage=True, output_size=None):
    """The draws and transforms; the four settings may be tensors (one traced graph serves them all)."""
    import tensorflow as tf

    batch = tf.convert_to_tensor(batch, tf.float32)
    count = tf.shape(batch)[0]
    flip_seed, angle_seed, scale_seed, contrast_seed = tf.unstack(
        tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4))

    def uniform(draw_seed, half_width, centre=0.0):
        draw = tf.random.stateless_uniform([count], draw_seed, -1.0, 1.0)
        return centre + draw * tf.cast(half_width, tf.float32)

    if geometry:
        flips = uniform(flip_seed, 1.0) < tf.cast(flip, tf.float32) - 1  # half the time when flip is 1
        angles = uniform(angle_seed, 2 * math.pi * tf.cast(rotation, tf.float32))
        scales = uniform(scale_seed, zoom, centre=1.0)
        batch = affine_transform(batch, flips, angles, scales, output_size)
    if contrast_stage:
        factors = uniform(contrast_seed, contrast, centre=1.0)
        means = tf.reduce_mean(batch, axis=(1, 2), keepdims=True)
        batch = tf.clip_by_value((batch - means) * factors[:, None, None, None] + means, 0.0, 255.0)
    return batch


def cut_mix(batch, labels, seed, share: float, partners=None, partner_labels=None):
    """CutMix (Yun et al., 2019): `share` of the pictures get a box of the next picture pasted in.

    `batch` is (N, H, W, C) floats, `labels` (N, classes) one-hot (or already soft); `seed` is a stateless
    seed. The box's area is uniform between none and the whole picture (CutMix's Beta(1, 1)), its
    centre anywhere, its sides cut at the edges; the label becomes the two labels weighted by the area
    each picture shows, so the network is asked for "60 % daisy, 40 % roses" where it sees that much of
    each. The partner is the next picture in the batch (the batch is already shuffled), unless
    `partners` and `partner_labels` give one per picture (the Augmentation tab's second photo).
    Returns the mixed batch and labels.
    """
    import tensorflow as tf

    batch = tf.convert_to_tensor(batch, tf.float32)
    labels = tf.convert_to_tensor(labels, tf.float32)
    if partners is None:
        partners, partner_labels = tf.roll(batch, 1, axis=0), tf.roll(labels, 1, axis=0)
    partners = tf.convert_to_tensor(partners, tf.float32)
    partner_labels = tf.convert_to_tensor(partner_labels, tf.float32)
    count, height, width = tf.shape(batch)[0], tf.shape(batch)[1], tf.shape(batch)[2]
    pick_seed, area_seed, row_seed, column_seed = tf.unstack(
        tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 4))
    chosen = tf.random.stateless_uniform([count], pick_seed) < share
    side = tf.sqrt(tf.random.stateless_uniform([count], area_seed))  # the box's side, as a share of the picture's
    box_h = tf.cast(tf.round(side * tf.cast(height, tf.float32)), tf.int32)
    box_w = tf.cast(tf.round(side * tf.cast(width, tf.float32)), tf.int32)
    centre_y = tf.random.stateless_uniform([count], row_seed, 0, height, tf.int32)
    centre_x = tf.random.stateless_uniform([count], column_seed, 0, width, tf.int32)
    top, bottom = tf.maximum(centre_y - box_h // 2, 0), tf.minimum(centre_y - box_h // 2 + box_h, height)
    left, right = tf.maximum(centre_x - box_w // 2, 0), tf.minimum(centre_x - box_w // 2 + box_w, width)
    rows, columns = tf.range(height)[None, :], tf.range(width)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < bottom[:, None])
    in_columns = (columns >= left[:, None]) & (columns < right[:, None])
    inside = in_rows[:, :, None] & in_columns[:, None, :] & chosen[:, None, None]
    mixed = tf.where(inside[..., None], partners, batch)
    pasted = tf.reduce_mean(tf.cast(inside, tf.float32), axis=(1, 2))[:, None]  # the share the partner shows
    return mixed, (1 - pasted) * labels + pasted * partner_labels


@functools.cache
def _preview_graph():
    """One traced graph for every setting and seed: nine 180 px previews cost ~23 ms, where Keras'
    layers run eagerly took ~100 ms, and settings sent by a whole class never add graphs (a graph per
    setting would grow forever)."""
    import tensorflow as tf

    return tf.function(_augment, input_signature=[
        tf.TensorSpec([None, None, None, 3], tf.float32), tf.TensorSpec([2], tf.int64),
        *[tf.TensorSpec([], tf.float32)] * 4])


def augment_grid(rgb: np.ndarray, augmentation: Augmentation, image_size: int, seed: int,
                 count: int = 9) -> list[np.ndarray]:
    """`count` augmented versions of one photo at the size training sees it, as uint8 arrays.

    The same photo, settings and seed always give the same pictures.
    """
    return _as_pictures(_augmented(rgb, augmentation, image_size, (seed, 0), count))


def cut_mix_grid(rgb: np.ndarray, second: np.ndarray, augmentation: Augmentation, image_size: int, seed: int,
                 share: float, count: int = 9) -> tuple[list[np.ndarray], list[float]]:
    """augment_grid's pictures with CutMix, as training mixes them: `share` of them get a box of the
    second photo (augmented with draws of its own) pasted in.

    Returns the pictures and, for each, the share of its area the second photo shows: the second
    photo's weight in that picture's label. The same photos, settings and seed give the same pictures.
    """
    first = _augmented(rgb, augmentation, image_size, (seed, 0), count)
    partners = _augmented(second, augmentation, image_size, (seed, 1), count)
    photo = np.tile(np.float32([1, 0]), (count, 1))  # two "classes": the photo and the second photo
    mixed, labels = cut_mix(first, photo, np.array([seed, 2], np.int64), share, partners, photo[:, ::-1])
    return _as_pictures(np.asarray(mixed)), [float(weight) for weight in np.asarray(labels)[:, 1]]


def _augmented(rgb: np.ndarray, augmentation: Augmentation, image_size: int, seed: tuple[int, int],
               count: int) -> np.ndarray:
    """`count` copies of one photo prepared as training sees it, augmented: a float32 batch."""
    pixels = images.prepare_for_model(images.to_rgb(rgb), image_size)
    batch = np.repeat(pixels[None].astype(np.float32), count, axis=0)
    if not augmentation.enabled:
        return batch
    settings = (float(augmentation.flip), augmentation.rotation, augmentation.zoom, augmentation.contrast)
    return np.asarray(_preview_graph()(batch, np.array(seed, np.int64), *map(np.float32, settings)))


def _as_pictures(batch: np.ndarray) -> list[np.ndarray]:
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
