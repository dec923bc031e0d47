"""The tf.data pipeline: decoded photos into shuffled, augmented training batches and validation batches.

Example:
    train, validation, train_count, val_count = make_datasets(photos, train_config)
    network.fit(train, validation_data=validation, epochs=train_config.epochs,
                steps_per_epoch=math.ceil(train_count / train_config.batch_size))
"""

from __future__ import annotations

import math

from flower_demo.data import photo_cache
from flower_demo.data.augment import cut_mix, random_augment
from flower_demo.recipes import TrainConfig


def make_datasets(photos: photo_cache.DecodedPhotos, train_config: TrainConfig):
    """tf.data pipelines: shuffled, augmented training batches and held-out validation batches.

    The training pipeline runs through all the epochs in one go (fit it with `steps_per_epoch`), so
    each batch knows its epoch and the size that epoch trains at. Unlike the tutorial (whose
    `val_ds = train_ds.cache()...` line validates on training photos), validation uses the photos
    the split set aside, always at image_size (None when validation_split is 0).
    """
    import tensorflow as tf

    (x_train, y_train), (x_val, y_val) = photo_cache.split(photos, train_config.validation_split,
                                                            train_config.split_seed)
    num_classes = len(photos.class_names)
    one_hot = train_config.soft_labels
    steps = math.ceil(len(x_train) / train_config.batch_size)
    epoch_sizes = train_config.epoch_sizes()
    resizing = any(size != train_config.image_size for size in epoch_sizes)
    sizes = tf.constant(epoch_sizes, tf.int32)

    def to_inputs(x, y, seed=None, batch_number=None):
        x = tf.cast(x, tf.float32)
        if seed is not None:
            output_size = sizes[batch_number // steps] if resizing else None
            x = random_augment(x, train_config.augmentation, seed, output_size)
        y = tf.one_hot(y, num_classes) if one_hot and y.dtype.is_integer else y
        if seed is not None and train_config.cutmix > 0:
            x, y = cut_mix(x, y, tf.random.experimental.stateless_fold_in(seed, 1), train_config.cutmix)
        return x, y

    train = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
             .shuffle(len(x_train), seed=train_config.seed, reshuffle_each_iteration=True)
             .batch(train_config.batch_size)
             .repeat(train_config.epochs))
    if train_config.augmentation.enabled or resizing or train_config.cutmix > 0:
        # A fresh stateless seed per batch, reproducible for the run's seed, and the batch's number.
        seeds = tf.data.Dataset.random(seed=train_config.seed).batch(2)
        train = tf.data.Dataset.zip(train, seeds, tf.data.Dataset.range(train_config.epochs * steps)).map(
            lambda xy, seed, number: to_inputs(*xy, seed, number), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        train = train.map(to_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.prefetch(tf.data.AUTOTUNE)
    if not len(x_val):  # a final fit: every photo trains
        return train, None, len(x_train), 0
    validation = (tf.data.Dataset.from_tensor_slices((x_val, y_val))
                  .batch(train_config.batch_size)
                  .map(to_inputs)
                  .prefetch(tf.data.AUTOTUNE))
    return train, validation, len(x_train), len(x_val)
