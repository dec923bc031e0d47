"""The networks: the tutorial's CNN, a compact one for live demos, and the shipped model's recipe.

Every model takes raw RGB pixels (0-255) at its input size, rescales them itself (Rescaling(1/255)
is the first layer, as in the tutorial) and outputs one logit per class in alphabetical class order:
the five flowers by default, or a dataset's own 2-10 classes (their names kept with the model).

Every layer has a stable name, the same in all three: `rescaling`; the flower_cnn's `stem` (`stem_conv`,
`stem_bn`, `stem_relu`, `stem_pool`); the stages `stage1`, `stage2`, ... (`stage1_conv`, `stage1_pool`
for a tutorial block; `stage2_pool`, `stage2_conv1`, ..., `stage2_shortcut_conv`, `stage2_add`,
`stage2_out` for a residual one, then `stage2_block2_conv1`, ... `stage2_block2_out` for a second block
in that stage); and the `head` (`head_pool` or `head_flatten`, `head_dropout`,
`head_dense`, `logits`). The Classify tab's layer table and the Inside tab's captions show them.
"""

from __future__ import annotations

import re

from flower_demo import config
from flower_demo.model import model_classes
from flower_demo.recipes import TrainConfig

# Batch norm's running statistics follow the last ~10 batches, not Keras' default ~100 (momentum
# 0.99): with fast-moving weights the default's averages lag, and validation sits at chance (one
# class for every photo) for the first epochs. Training itself never reads them.
BN_MOMENTUM = 0.9


def _conv_bn_relu(x, filters: int, prefix: str, number: str = "", strides: int = 1):
    """A 3x3 convolution, batch norm and ReLU, named `{prefix}_conv{number}`, `_bn{number}`, `_relu{number}`."""
    from keras import layers

    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=f"{prefix}_conv{number}")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{prefix}_bn{number}")(x)
    return layers.ReLU(name=f"{prefix}_relu{number}")(x)


def _head(x, num_classes: int, dropout: float, flatten: bool = False, hidden: int = 0):
    """The classifier: the last maps to one vector, dropout, an optional hidden layer, one logit per class.

    `flatten` keeps every position's value (the tutorial's Flatten: a weight per position and channel);
    otherwise each map is averaged over the picture (`head_pool`: few weights, any input size). The
    tutorial drops out before it flattens, as the original does; the others after they average.
    """
    from keras import layers

    def drop(x):
        return layers.Dropout(dropout, name="head_dropout")(x) if dropout else x

    if flatten:
        x = layers.Flatten(name="head_flatten")(drop(x))
    else:
        x = drop(layers.GlobalAveragePooling2D(name="head_pool")(x))
    if hidden:
        x = layers.Dense(hidden, activation="relu", name="head_dense")(x)
    return layers.Dense(num_classes, name="logits")(x)


def _tutorial(inputs, config_: TrainConfig, num_classes: int):
    """The tutorial's three Conv2D/MaxPooling blocks, Flatten, Dense(128) (and its Dropout(0.2))."""
    from keras import layers

    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
    for stage, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"stage{stage}_conv")(x)
        x = layers.MaxPooling2D(name=f"stage{stage}_pool")(x)
    return _head(x, num_classes, config_.dropout, flatten=True, hidden=128)


def _compact(inputs, config_: TrainConfig, num_classes: int):
    """Four conv/batch-norm/pool blocks and global average pooling: few parameters, fast to train."""
    from keras import layers

    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
    for stage, filters in enumerate((16, 32, 64, 128), start=1):
        x = _conv_bn_relu(x, filters, f"stage{stage}")
        x = layers.MaxPooling2D(name=f"stage{stage}_pool")(x)
    return _head(x, num_classes, config_.dropout)


def _residual_stage(x, filters: int, name: str):
    """Two 3x3 convolutions with batch norm, added to a shortcut (a 1x1 projection when widths differ)."""
    from keras import layers

    y = _conv_bn_relu(x, filters, name, "1")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn2")(y)
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_shortcut_conv")(x)
        shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_shortcut_bn")(shortcut)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


def _flower_cnn(inputs, config_: TrainConfig, num_classes: int):
    """A small residual network: a stride-2 stem and a pooling, four residual stages (48-320 filters,
    one residual block each unless TrainConfig.stage_blocks says more).

    The stem shrinks the picture four times before any wide layer, as ResNet's does: on 2 CPU cores a
    larger photo seen through a cheap stem beats a small photo seen at full width (more detail for
    the same time). Shortcuts let the eight convolutions train fast.
    """
    from keras import layers

    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
    x = _conv_bn_relu(x, 32, "stem", strides=2)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for stage, (filters, blocks) in enumerate(zip(config_.stage_widths, config_.stage_blocks, strict=True), start=1):
        if stage > 1:
            x = layers.MaxPooling2D(name=f"stage{stage}_pool")(x)
        for block in range(1, blocks + 1):  # a stage's later blocks: `stage2_block2_conv1`, ...
            x = _residual_stage(x, filters, f"stage{stage}" if block == 1 else f"stage{stage}_block{block}")
    return _head(x, num_classes, config_.dropout)


ARCHITECTURES = {"tutorial": _tutorial, "compact": _compact, "flower_cnn": _flower_cnn}


def build_model(train_config: TrainConfig, num_classes: int = len(config.CLASS_NAMES), steps_per_epoch: int = 1,
                class_names=None):
    """Builds and compiles the network a TrainConfig names: AdamW when it sets a weight decay, else Adam;
    categorical cross-entropy on logits when it trains on soft labels (label smoothing, CutMix), else
    sparse categorical cross-entropy; a cosine-decayed learning rate when it asks for one.

    `class_names` (a dataset's, in its label order) sets the number of outputs and is remembered with
    the network (model_classes.class_names), so saving it carries them; without, `num_classes` outputs.
    """
    import keras

    if class_names is not None:
        class_names = tuple(class_names)
        num_classes = len(class_names)

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
    if train_config.soft_labels:
        # Label smoothing and CutMix need class probabilities as targets; the pipeline then yields them.
        loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=train_config.label_smoothing)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    if class_names is not None:
        model_classes.remember(model, class_names)
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
    return model_classes.carry(model, network)


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
    return model_classes.carry(network, keras.Model(pixels, logits, name=network.name))


def unwrap(model):
    """The network itself: the functional model inside a mirror-averaged wrapper, else `model`."""
    import keras

    inner = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    return inner[0] if len(inner) == 1 else model


_STAGE_NAME = re.compile(r"^(stem|stage\d+)_")
_POOLING = ("MaxPooling2D", "AveragePooling2D")


def stage_layers(network) -> dict:
    """{"stem": layer, "stage1": layer, ...}: for each stage of a network built here, the layer whose
    output is its maps (its last layer before pooling), in order from the input.

    Empty for a network without these names (a file saved before they existed, a student's own
    .keras): look at its structure instead (inside.stages does).
    """
    found: dict = {}
    for layer in network.layers:
        match = _STAGE_NAME.match(layer.name)
        if match and type(layer).__name__ not in _POOLING:
            found[match.group(1)] = layer  # the stage's later layers replace its earlier ones
    return found


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
