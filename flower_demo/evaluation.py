"""Measuring a saved model on a folder of labelled photos: accuracy, per class, confusion matrix."""

from __future__ import annotations

import numpy as np

from flower_demo import data, model as model_lib


def evaluate(network, data_dir, batch_size: int = 64) -> dict:
    """Scores every decodable photo under `data_dir` (class folders) with `network`.

    Returns:
        A JSON-ready dict: photos, accuracy, per_class_accuracy, confusion_matrix (rows: true class,
        columns: predicted class, in `class_names` order), skipped files.
    """
    photos = data.load_photos(data_dir, model_lib.input_size(network))
    predictions = []
    for start in range(0, len(photos.images), batch_size):
        batch = photos.images[start : start + batch_size].astype(np.float32)
        predictions.append(np.argmax(np.asarray(network(batch, training=False)), axis=-1))
    predicted = np.concatenate(predictions)
    num_classes = len(photos.class_names)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (photos.labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {
        "photos": int(len(predicted)),
        "accuracy": round(float(confusion.trace() / max(1, confusion.sum())), 4),
        "class_names": list(photos.class_names),
        "per_class_accuracy": {name: round(float(a), 4) for name, a in zip(photos.class_names, per_class)},
        "confusion_matrix": confusion.tolist(),
        "skipped": list(photos.skipped),
    }
