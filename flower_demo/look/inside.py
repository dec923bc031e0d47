"""Looking inside a trained network: its feature maps, its first layer's filters, where it looked.

Works on every network the app trains and on the shipped, mirror-averaged model (whose network is
found inside its wrapper). A *stage* is what a block of convolutions hands on to the next one (the
tutorial's Conv2D+ReLU before each MaxPooling2D, a residual stage's last ReLU, the last maps before
global average pooling): found by name in a network built by flower_demo.model.networks (`stem`, `stage1`,
...), and by structure in any other (a layer whose output a pooling or flattening layer reads), so an
older file or a student's own .keras works too.

Example:
    maps = feature_maps(model, rgb)            # one StageMaps per stage, strongest channels first
    filters = learned_filters(model)           # the first Conv2D's kernels, (k, k, 3, filters)
    name, similarity = closest_kernel(filters.weights[..., 0])
    cam = grad_cam(model, rgb)                 # heatmap in [0, 1] over the photo, for the top class
"""

from __future__ import annotations

import dataclasses

import numpy as np

from flower_demo.data import images
from flower_demo.look import kernels
from flower_demo.model import networks, serving
from flower_demo.errors import KeyedError

# What a stage hands its output to. Dropout and pooling layers themselves are never stages: they
# pass maps on unchanged or smaller, so the maps worth looking at are the ones that feed them.
_READERS = ("MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Flatten")
_PASS_THROUGH = ("MaxPooling2D", "AveragePooling2D", "Dropout", "SpatialDropout2D")
# The layers that make maps from maps. Before the first of them a "stage" is only the photo (rescaled),
# and a network without any has no stage at all, whatever its layers are called.
_CONVOLUTIONS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D")


class InspectError(KeyedError, ValueError):
    """A view of a network we cannot give (no stages, no such class)."""


def is_mirror_averaged(model) -> bool:
    return networks.unwrap(model) is not model


def stages(network) -> list:
    """The layers whose outputs are a stage's maps, in order from the input (see the module doc); only
    those from the first convolution on (a network of Dense layers has none).

    Raises:
        InspectError: `error_no_stages` when there is none.
    """
    found = list(networks.stage_layers(network).values()) or stages_by_structure(network)
    layers = list(network.layers)  # a functional network lists its layers from the input on
    first = next((index for index, layer in enumerate(layers) if type(layer).__name__ in _CONVOLUTIONS), None)
    found = [] if first is None else [layer for layer in found if layers.index(layer) >= first]
    if not found:
        raise InspectError("error_no_stages", network.name)
    return found


def stages_by_structure(network) -> list:
    """The stages of a network whatever its layers are called: each layer whose output a pooling or
    flattening layer reads (through dropout or pooling layers, which are never stages themselves)."""
    found = []
    for layer in network.layers:
        if type(layer).__name__ not in _READERS:
            continue
        producer = layer.input._keras_history.operation
        if type(producer).__name__ not in _PASS_THROUGH and producer not in found:
            found.append(producer)
    return found


def first_convolution(network):
    """The first Conv2D layer: the filters that look at the pixels themselves."""
    for layer in network.layers:
        if type(layer).__name__ == "Conv2D":
            return layer
    raise InspectError("error_no_stages", network.name)


def _stage_model(model):
    """The stages' maps as one traced function. Like every view's, it holds a sub-model of the
    network's layers, never `model` itself, so a student's model is still forgotten with their session."""
    import keras
    import tensorflow as tf

    network, size = networks.unwrap(model), networks.input_size(model)
    sub_model = keras.Model(network.input, [layer.output for layer in stages(network)])
    spec = tf.TensorSpec((None, size, size, 3), tf.float32)
    return tf.function(lambda pixels: sub_model(pixels, training=False), input_signature=[spec])


def _model_input(model, rgb: np.ndarray) -> np.ndarray:
    """The photo as the model reads it: the one preprocessing path, a batch of one."""
    pixels = images.prepare_for_model(images.to_rgb(rgb), networks.input_size(model))
    return pixels[None].astype(np.float32)


@dataclasses.dataclass(frozen=True)
class StageMaps:
    layer: str  # the Keras layer whose output these maps are
    shape: tuple[int, int, int]  # (height, width, channels) of the whole stage output
    channels: tuple[int, ...]  # the channels shown, strongest mean activation first
    maps: np.ndarray  # (height, width, len(channels)) float32, those channels' activations


def feature_maps(model, rgb: np.ndarray, per_stage: int = 12) -> list[StageMaps]:
    """Each stage's `per_stage` strongest activation maps (highest mean over the picture) for a photo.

    A mirror-averaged model's network looks at the photo as it is (its first look).
    """
    outputs = serving.traced(model, "stages", _stage_model)(_model_input(model, rgb))
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    result = []
    for layer, output in zip(stages(networks.unwrap(model)), outputs):
        maps = output.numpy()[0]
        order = np.argsort(-maps.mean(axis=(0, 1)), kind="stable")[:per_stage]
        result.append(StageMaps(layer.name, tuple(maps.shape), tuple(int(c) for c in order), maps[:, :, order]))
    return result


@dataclasses.dataclass(frozen=True)
class LearnedFilters:
    layer: str
    weights: np.ndarray  # (k, k, input channels, filters), as Conv2D keeps its kernel
    strides: tuple[int, int]


def learned_filters(model) -> LearnedFilters:
    """The first convolution's kernels exactly as trained (they read pixels rescaled to 0-1)."""
    layer = first_convolution(networks.unwrap(model))
    return LearnedFilters(layer.name, np.asarray(layer.kernel.numpy(), np.float32), tuple(layer.strides))


def grey_version(weights: np.ndarray) -> np.ndarray:
    """A (k, k, channels) filter as one (k, k) kernel: what it does to a grey photo (R = G = B),
    where its per-channel kernels simply add up."""
    return weights.sum(axis=-1)


def closest_kernel(kernel: np.ndarray, candidates: dict[str, np.ndarray] | None = None) -> tuple[str, float]:
    """The hand-made kernel most like `kernel` (2-D) by cosine similarity, and that similarity.

    Chosen by the similarity's size: -0.9 (the same pattern, bright and dark swapped) is as close as
    0.9, and the sign is returned. Only kernels of the same shape compete.

    Raises:
        InspectError: `error_filter_size` if no candidate has the kernel's shape (a 7×7 first layer).
    """
    candidates = kernels.KERNELS if candidates is None else candidates
    flat = kernel.astype(np.float64).ravel()
    best_name, best_similarity = None, 0.0
    for name, candidate in candidates.items():
        if candidate.shape != kernel.shape:
            continue
        norms = np.linalg.norm(flat) * np.linalg.norm(candidate)
        similarity = float(flat @ candidate.astype(np.float64).ravel() / norms) if norms else 0.0
        if best_name is None or abs(similarity) > abs(best_similarity):
            best_name, best_similarity = name, similarity
    if best_name is None:
        raise InspectError("error_filter_size", "×".join(str(side) for side in kernel.shape))
    return best_name, best_similarity


def apply_learned_filter(rgb: np.ndarray, weights: np.ndarray, max_side: int = 512) -> np.ndarray:
    """One learned filter on a photo, as its Conv2D computes it: each channel correlated with its own
    kernel (the Kernels tab's convolution) and the three results added; pixels rescaled to 0-1 as the
    network reads them. Stride 1 and `same` padding, so the answer is a picture of the photo's shape."""
    channels = images.fit_within(images.to_rgb(rgb), max_side).astype(np.float32) / 255.0
    return sum(kernels.correlate(channels[:, :, c : c + 1], weights[:, :, c])[:, :, 0]
               for c in range(weights.shape[-1]))


def _cam_model(model):
    """Grad-CAM as keras-io's example computes it, for a batch of looks at one photo."""
    import keras
    import tensorflow as tf

    network, size = networks.unwrap(model), networks.input_size(model)
    last = stages(network)[-1]
    sub_model = keras.Model(network.input, [last.output, network.output])
    specs = [tf.TensorSpec((None, size, size, 3), tf.float32), tf.TensorSpec((), tf.int32)]

    def weighted_maps(pixels, class_index):
        with tf.GradientTape() as tape:
            maps, logits = sub_model(pixels, training=False)
            answer = tf.reduce_mean(logits, axis=0)  # the looks' averaged logits, as the wrapper's
            # A negative index asks for the network's own answer, chosen here: one pass, not two.
            chosen = tf.where(class_index < 0, tf.argmax(answer, output_type=tf.int32), class_index)
            score = tf.gather(answer, chosen)
        gradients = tape.gradient(score, maps)
        channel_weights = tf.reduce_mean(gradients, axis=(1, 2))  # mean gradient over the picture
        return tf.einsum("bhwc,bc->bhw", maps, channel_weights), answer, chosen

    return tf.function(weighted_maps, input_signature=specs)


@dataclasses.dataclass(frozen=True)
class CamResult:
    heatmap: np.ndarray  # (height, width) in [0, 1] at the last stage's resolution, photo orientation
    class_index: int  # the class whose evidence it shows
    probabilities: np.ndarray  # the model's answer for the photo (softmax of its logits)
    layer: str


def grad_cam(model, rgb: np.ndarray, class_index: int | None = None) -> CamResult:
    """Where the network found evidence for `class_index` (default: its answer) in a photo.

    Grad-CAM: the last stage's maps weighted by the mean gradient of the class's logit over each map,
    summed, negative evidence cut at zero, scaled to [0, 1]. For a mirror-averaged model both looks
    count: the mirrored look's map is flipped back before the two are added, as its logits are averaged.

    Raises:
        InspectError: `error_setting` for a class index outside the model's classes.
    """
    classes = int(model.output_shape[-1])
    if class_index is not None and not 0 <= int(class_index) < classes:
        raise InspectError("error_setting", f"class {class_index}")
    pixels = _model_input(model, rgb)
    mirrored = is_mirror_averaged(model)
    looks = np.concatenate([pixels, pixels[:, :, ::-1]]) if mirrored else pixels
    compute = serving.traced(model, "grad_cam", _cam_model)
    maps, logits, chosen = compute(looks, -1 if class_index is None else int(class_index))
    maps = maps.numpy()
    combined = maps[0] + (maps[1][:, ::-1] if mirrored else 0)
    heatmap = np.maximum(combined, 0)
    heatmap = heatmap / heatmap.max() if heatmap.max() > 0 else heatmap
    logits = logits.numpy().astype(np.float64)
    probabilities = np.exp(logits - logits.max())
    layer = stages(networks.unwrap(model))[-1].name
    return CamResult(heatmap.astype(np.float32), int(chosen), probabilities / probabilities.sum(), layer)
