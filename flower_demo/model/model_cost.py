"""What a network costs to run, known before it runs for anyone: parameters, arithmetic, memory.

A brought model is held to a budget close to the shipped model's (config.MAX_MODEL_*), so one
student's file cannot make everyone's answers slow or fill the server's memory (issue 33). Two steps,
both without running the network on a picture:

- `parameter_count(model_config)` builds the network from its (already checked) config with deferred
  variables: Keras knows every weight's shape without allocating it, so a config that asks for 10^10
  weights is refused before a byte of them exists.
- `measure(model)` traces one forward pass of a loaded model on a (1, S, S, 3) picture into a graph
  and adds up its operations' output sizes (activation memory) and multiply-adds (FLOPs, counted as
  2 per multiply-add, the usual convention).

Example:
    cost = measure(model)   # Cost(flops=1.5e9, activation_bytes=..., parameters=2_227_685, side=208)
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from flower_demo.model.networks import input_size

# Graph operations that hold no activation of their own: inputs, weights read, shapes and plumbing.
_NOT_ACTIVATIONS = {"Placeholder", "Const", "ReadVariableOp", "VarHandleOp", "Identity", "NoOp", "Shape",
                    "StridedSlice", "Pack", "Reshape", "Squeeze", "ExpandDims", "Cast"}


@dataclasses.dataclass(frozen=True)
class Cost:
    flops: int  # per picture, one forward pass
    activation_bytes: int  # per picture: every intermediate output added up (an upper bound of the peak)
    parameters: int
    side: int


def parameter_count(model_config: dict) -> int:
    """Weights the network's config asks for, counted without allocating any.

    Call only on a config that flower_demo.model.model_checks.check_config accepted: this deserialises it.
    """
    import keras
    from keras.src.backend.common import global_state
    from keras.src.backend.common.stateless_scope import StatelessScope

    plain = _without_compile_configs(copy.deepcopy(model_config))  # optimizers make variables of their own
    pending = global_state.get_global_attribute("uninitialized_variables", [], set_to_default=True)
    known = len(pending)
    try:
        # initialize_variables=False: leaving the scope must not create the weights we are counting.
        with StatelessScope(initialize_variables=False):
            network = keras.saving.deserialize_keras_object(plain, safe_mode=True)
            return int(sum(int(np.prod(weight.shape, dtype=np.int64)) for weight in network.weights))
    finally:
        # Deferred variables wait in a (per-thread) list for a later scope to create them: forget ours.
        del pending[known:]


def _without_compile_configs(node):
    if isinstance(node, dict):
        node.pop("compile_config", None)
        for value in node.values():
            _without_compile_configs(value)
    elif isinstance(node, list):
        for value in node:
            _without_compile_configs(value)
    return node


def _flops(operation) -> int:
    outputs = sum(_elements(tensor.shape) for tensor in operation.outputs)
    kind = operation.type
    if kind in ("Conv2D", "DepthwiseConv2dNative"):
        filter_height, filter_width, channels_in, _ = operation.inputs[1].shape
        per_output = filter_height * filter_width * (channels_in if kind == "Conv2D" else 1)
        return 2 * outputs * int(per_output)
    if kind in ("MatMul", "BatchMatMulV2", "BatchMatMulV3"):
        left = operation.inputs[0].shape
        inner = left[-2] if operation.get_attr("transpose_a" if kind == "MatMul" else "adj_x") else left[-1]
        return 2 * outputs * int(inner)
    if kind in _NOT_ACTIVATIONS:
        return 0
    return outputs  # element-wise work: one operation per output number


def _elements(shape) -> int:
    dims = shape.as_list() if shape.rank is not None else None
    if dims is None or any(dim is None for dim in dims):
        raise ValueError(f"Expected static shapes in the traced graph. Received: {shape}")
    return int(np.prod(dims, dtype=np.int64))


def measure(model) -> Cost:
    """FLOPs and activation bytes of one picture through `model`, from its traced graph (no run)."""
    import tensorflow as tf

    side = input_size(model)
    spec = tf.TensorSpec((1, side, side, 3), tf.float32)
    graph = tf.function(lambda pixels: model(pixels, training=False)).get_concrete_function(spec).graph
    flops = activation_bytes = 0
    for operation in graph.get_operations():
        flops += _flops(operation)
        if operation.type not in _NOT_ACTIVATIONS:
            activation_bytes += sum(_elements(tensor.shape) * tensor.dtype.size for tensor in operation.outputs
                                    if tensor.dtype != tf.resource)
    return Cost(flops=int(flops), activation_bytes=int(activation_bytes), parameters=int(model.count_params()),
                side=side)
