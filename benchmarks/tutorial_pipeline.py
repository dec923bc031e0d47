"""The tutorial's own pipeline, as its notebook writes it: the baseline of benchmarks/train_speed.py.

    python -m benchmarks.tutorial_pipeline DATA_DIR [--epochs 4] [--image-size 180] [--batch-size 32]

image_dataset_from_directory (80/20, seed 123), .cache().shuffle(1000).prefetch(AUTOTUNE), the
tutorial's first model and optimizer. One change from the notebook: validation uses the held-out
photos (its `val_ds = train_ds.cache()...` line validated on training photos, which would also make
this baseline slower). It imports nothing from flower_demo, so TensorFlow runs with its own defaults
unless the caller's environment says otherwise. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

started = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=180)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import tensorflow as tf
    from tensorflow.keras import layers

    imported = time.monotonic()
    size = (args.image_size, args.image_size)
    train_ds = tf.keras.utils.image_dataset_from_directory(
        args.data_dir, validation_split=0.2, subset="training", seed=123, image_size=size,
        batch_size=args.batch_size, verbose=False)
    val_ds = tf.keras.utils.image_dataset_from_directory(
        args.data_dir, validation_split=0.2, subset="validation", seed=123, image_size=size,
        batch_size=args.batch_size, verbose=False)
    num_classes = len(train_ds.class_names)
    autotune = tf.data.AUTOTUNE
    train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=autotune)
    val_ds = val_ds.cache().prefetch(buffer_size=autotune)

    model = tf.keras.Sequential([
        layers.Input((*size, 3)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(num_classes),
    ])
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, verbose=0)
    print(json.dumps({
        "import_seconds": round(imported - started, 2),
        "seconds": round(time.monotonic() - started, 2),
        "val_accuracy": history.history["val_accuracy"][-1],
        "params": model.count_params(),
    }))


if __name__ == "__main__":
    main()
