"""Measuring a saved model on a folder of labelled photos: accuracy, per class, confusion matrix."""

from __future__ import annotations

import numpy as np

from flower_demo import config, data, model as model_lib


def evaluate(network, data_dir, batch_size: int = 64, subset: str = "all",
             validation_split: float = config.VALIDATION_SPLIT) -> dict:
    """Scores the decodable photos under `data_dir` (class folders) with `network`.

    `subset` is `all`, or the `training` or `validation` side of the split training uses (seed 123),
    so a model can be scored on exactly the photos it was validated on.

    Returns:
        A JSON-ready dict: photos, accuracy, per_class_accuracy, confusion_matrix (rows: true class,
        columns: predicted class, in `class_names` order), skipped files.
    """
    photos = data.load_photos(data_dir, model_lib.input_size(network))
    images, labels = photos.images, photos.labels
    if subset != "all":
        (train_images, train_labels), (val_images, val_labels) = data.split(photos, validation_split)
        images, labels = (val_images, val_labels) if subset == "validation" else (train_images, train_labels)
    predictions = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)
        predictions.append(np.argmax(np.asarray(network(batch, training=False)), axis=-1))
    predicted = np.concatenate(predictions)
    num_classes = len(photos.class_names)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "subset": subset,
        "photos": int(len(predicted)),
        "accuracy": round(float(confusion.trace() / max(1, confusion.sum())), 4),
        "class_names": list(photos.class_names),
        "per_class_accuracy": {name: round(float(a), 4) for name, a in zip(photos.class_names, per_class)},
        "confusion_matrix": confusion.tolist(),
        "skipped": list(photos.skipped),
    }
