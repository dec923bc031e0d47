"""The networks: the tutorial's CNN, a compact one for live demos, and the shipped model's recipe.

Every model takes raw RGB pixels (0-255) at its input size, rescales them itself (Rescaling(1/255)
is the first layer, as in the tutorial) and outputs one logit per class in alphabetical class order.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
import weakref
from pathlib import Path

import numpy as np

from flower_demo import config, images
from flower_demo.config import TrainConfig


def _tutorial(inputs, config_: TrainConfig, num_classes: int):
    """The tutorial's three Conv2D/MaxPooling blocks, Flatten, Dense(128) (and its Dropout(0.2))."""
    from keras import layers

    x = layers.Rescaling(1.0 / 255)(inputs)
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    if config_.dropout:
        x = layers.Dropout(config_.dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    return layers.Dense(num_classes)(x)


# Batch norm's running statistics follow the last ~10 batches, not Keras' default ~100 (momentum
# 0.99): with fast-moving weights the default's averages lag, and validation sits at chance (one
# class for every photo) for the first epochs. Training itself never reads them.
BN_MOMENTUM = 0.9


def _conv_bn_relu(x, filters: int):
    from keras import layers

    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    return layers.ReLU()(x)


def _compact(inputs, config_: TrainConfig, num_classes: int):
    """Four conv/batch-norm/pool blocks and global average pooling: few parameters, fast to train."""
    from keras import layers

    x = layers.Rescaling(1.0 / 255)(inputs)
    for filters in (16, 32, 64, 128):
        x = _conv_bn_relu(x, filters)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    if config_.dropout:
        x = layers.Dropout(config_.dropout)(x)
    return layers.Dense(num_classes)(x)


def _residual_stage(x, filters: int):
    """Two 3x3 convolutions with batch norm, added to a shortcut (a 1x1 projection when widths differ)."""
    from keras import layers

    y = _conv_bn_relu(x, filters)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM)(y)
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, use_bias=False)(x)
        shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM)(shortcut)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def _flower_cnn(inputs, config_: TrainConfig, num_classes: int):
    """A small residual network: a stride-2 stem and a pooling, four residual stages (48-320 filters).

    The stem shrinks the picture four times before any wide layer, as ResNet's does: on 2 CPU cores a
    larger photo seen through a cheap stem beats a small photo seen at full width (more detail for
    the same time). Shortcuts let the eight convolutions train fast.
    """
    from keras import layers

    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.ReLU()(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage, filters in enumerate((48, 96, 192, 320)):
        if stage:
            x = layers.MaxPooling2D()(x)
        x = _residual_stage(x, filters)
    x = layers.GlobalAveragePooling2D()(x)
    if config_.dropout:
        x = layers.Dropout(config_.dropout)(x)
    return layers.Dense(num_classes)(x)


ARCHITECTURES = {"tutorial": _tutorial, "compact": _compact, "flower_cnn": _flower_cnn}


def build_model(train_config: TrainConfig, num_classes: int = len(config.CLASS_NAMES), steps_per_epoch: int = 1):
    """Builds and compiles the network a TrainConfig names (Adam, sparse cross-entropy on logits)."""
    import keras

    if train_config.architecture not in ARCHITECTURES:
        raise ValueError(f"Expected one of {sorted(ARCHITECTURES)}. Received: {train_config.architecture!r}")
    # Progressive resizing trains on several sizes: the same weights, an input of any size.
    side = None if train_config.progressive_sizes else train_config.image_size
    inputs = keras.Input((side, side, 3), name="pixels")
    outputs = ARCHITECTURES[train_config.architecture](inputs, train_config, num_classes)
    model = keras.Model(inputs, outputs, name=train_config.preset)

    learning_rate = train_config.learning_rate
    if train_config.cosine_schedule:
        learning_rate = keras.optimizers.schedules.CosineDecay(
            learning_rate, decay_steps=max(1, train_config.epochs * steps_per_epoch))
    if train_config.weight_decay:
        optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=train_config.weight_decay)
    else:
        optimizer = keras.optimizers.Adam(learning_rate)
    if train_config.label_smoothing:
        # Label smoothing needs one-hot targets; the data pipeline then yields one-hot labels.
        loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=train_config.label_smoothing)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def with_input_size(model, size: int):
    """`model` itself when its input is `size` pixels a side, else the same layers and weights with
    that input (what a progressively resized run hands out: the app needs the size to resize to)."""
    import keras

    if model.input_shape[1:3] == (size, size):
        return model
    network_config = model.get_config()
    for layer in network_config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [None, size, size, model.input_shape[-1]]
    network = keras.Model.from_config(network_config)
    network.set_weights(model.get_weights())
    return network


def with_mirror_average(network):
    """`network` answering for a photo and for its mirror image, its two answers (logits) averaged.

    Two looks at one photo disagree on a few borderline photos; their average is right more often
    (measured on the split: +0.0 to +0.9 points for six trained models, never less). It costs a
    second forward pass per photo. Built from Keras' own operations (no Lambda layer), so the file
    still loads with safe_mode=True wherever Keras is installed.
    """
    import keras

    pixels = keras.Input(network.input_shape[1:], name="pixels")
    mirrored = keras.ops.flip(pixels, axis=2)  # (batch, height, width, channels): left-right
    logits = keras.layers.Average(name="mirror_average")([network(pixels), network(mirrored)])
    return keras.Model(pixels, logits, name=network.name)


def summary_text(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines)


def summary_rows(model) -> list[tuple[str, str, tuple, int]]:
    """(name, layer type, output shape without the batch, parameters) per layer: model.summary()'s
    content as data, for a table each language can title (Keras' own box is English and 100 wide)."""
    rows = []
    for layer in model.layers:
        if layer.__class__.__name__ == "InputLayer":
            continue
        shape = layer.output.shape if hasattr(layer, "output") else ()
        rows.append((layer.name, layer.__class__.__name__, tuple(shape[1:]), int(layer.count_params())))
    return rows


def input_size(model) -> int:
    return int(model.input_shape[1])


_predictors: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> its compiled forward pass
_predictors_lock = threading.Lock()


def _predictor(model):
    """The model's forward pass and softmax as one tf.function, traced once per model.

    Calling a Keras model eagerly runs it layer by layer from Python; a traced graph answers a
    classification several times faster on 2 cores. Weak keys: a student's model is forgotten with
    their session.
    """
    import tensorflow as tf

    with _predictors_lock:
        if model not in _predictors:
            size = input_size(model)
            spec = tf.TensorSpec((None, size, size, 3), tf.float32)
            network = weakref.ref(model)  # a strong reference here would keep the key alive forever
            _predictors[model] = tf.function(
                lambda pixels: tf.nn.softmax(network()(pixels, training=False), axis=-1), input_signature=[spec])
        return _predictors[model]


def predict_probabilities(model, rgb: np.ndarray) -> np.ndarray:
    """Class probabilities (softmax of the logits) for one RGB picture of any size."""
    pixels = images.prepare_for_model(images.to_rgb(rgb), input_size(model))
    return batch_probabilities(model, pixels[None])[0]


def batch_probabilities(model, pixels: np.ndarray) -> np.ndarray:
    """Class probabilities for a batch of pictures already at the model's input size, (n, size, size, 3)
    raw 0-255 pixels (prepare_for_model's output, or decoded dataset photos)."""
    return _predictor(model)(np.asarray(pixels, np.float32)).numpy()


# Below this top probability Classify calls its answer unsure. Measured by benchmarks/unsure_threshold.py
# on the shipped model (every other photo of the 2,934, and 489 of them seen in ways training never
# showed: the central half zoomed x2, a quarter turn, a blurry 48 px copy), and on 124 pictures that are
# not flowers (plain colours, gradients, noise, drawings, words, the photos installed packages ship):
#   threshold                         0.5    0.6    0.7    0.8
#   photos called unsure, as is        6 %   12 %   19 %   31 %   (the model trained on these)
#   ... zoomed x2 (84 % right overall) 13 %   23 %   35 %   50 %
#   non-flowers called unsure          20 %   38 %   48 %   70 %
# At 0.6 an unsure answer is right about half the time (66 % as is, 52 % zoomed) and a sure one
# 93-98 %: "unsure" means it. A higher bar would flag a third of real photos to catch a few more
# non-flowers, and no bar catches them all (a grey square: 81 % dandelion): softmax always shares
# 100 % among the five classes, so Classify also says, every time, that it can only choose among them.
UNSURE_BELOW = 0.6


def is_unsure(probabilities: np.ndarray) -> bool:
    """True when no class reaches UNSURE_BELOW: a guess between classes, or no flower at all."""
    return float(np.max(probabilities)) < UNSURE_BELOW


def save_model(model, path: str | Path) -> None:
    """Saves as .keras through a temporary file, so a crash never leaves a half model behind.

    Only the network is saved, not the optimizer's state: Adam's two moments per weight would triple
    the file (the shipped model must stay under 10 MB) and nothing here resumes a training run.
    """
    import keras

    network = keras.Model.from_config(model.get_config())  # the same layers and names, never compiled
    network.set_weights(model.get_weights())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".keras")
    os.close(handle)
    try:
        network.save(temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a shipped model must be readable
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_model(path: str | Path):
    """Loads a .keras file with safe_mode=True (no arbitrary code from lambda layers)."""
    import keras

    return keras.models.load_model(path, safe_mode=True, compile=False)


@functools.cache
def shipped_model():
    """The model in assets/ (or $FLOWER_MODEL_PATH), loaded once and shared read-only by every
    student; None if absent."""
    if not config.CLASSIFIER_PATH.exists():
        return None
    return load_model(config.CLASSIFIER_PATH)
