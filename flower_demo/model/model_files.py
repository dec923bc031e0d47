"""Taking a model home and bringing one back: `.keras` files with the app's contract.

The contract is the shipped file's (see the README), for any set of classes: one input of raw RGB
pixels, (None, S, S, 3) with S between config.MIN_MODEL_INPUT and MAX_MODEL_INPUT, rescaled inside;
one output of K logits, config.MIN_CLASSES <= K <= MAX_CLASSES, in the order of the K class names the
file carries (model_classes.py; a five-output file without names is a flower model, as every file
before issue 36). A file a student brings is data, never code, and costs the class no more than
twice the shipped model. In order, each step only if the one before passed:

1. `model_checks.check_archive`: size, members (each inflated in bounded chunks), the config's every
   object and looked-up name against allow-lists, the weights file's links and datasets.
2. `model_cost.parameter_count`: the weights the config asks for, counted without allocating them.
3. Keras loads it (`safe_mode=True`, `compile=False`); Keras' global settings must be unchanged.
4. The contract's shapes and class names; `model_cost.measure`: FLOPs and activation memory per
   picture, traced.
5. A run on a few varied test pictures: finite scores.

Example:
    path = export_model(model, folder, "flower-seed-run1.keras")
    model = import_model(path)   # or ModelFileError with the reason's i18n key
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flower_demo import config
from flower_demo.data import classes
from flower_demo.model import model_checks, model_classes, model_cost, serving
from flower_demo.model.model_checks import ModelFileError


def export_model(model, folder: str | Path, name: str) -> Path:
    """Saves `model` (the network only, no optimizer state, its class names inside) as `folder/name`;
    returns the path."""
    path = Path(folder) / Path(name).name
    serving.save_model(model, path)
    return path


def check_contract(model) -> int:
    """Returns the model's input side S, or raises ModelFileError('error_model_contract').

    Expected: one input (None, S, S, 3) with MIN_MODEL_INPUT <= S <= MAX_MODEL_INPUT, one output
    (None, K) with MIN_CLASSES <= K <= MAX_CLASSES, and K class names (the file's, read by
    serving.load_model; for K = 5 without names, the flowers') that keep flower_demo.data.classes' rule:
    1-30 characters once trimmed, any script, no two alike.
    """
    inputs, outputs = list(model.inputs), list(model.outputs)
    input_shape = tuple(inputs[0].shape) if len(inputs) == 1 else tuple(tuple(i.shape) for i in inputs)
    output_shape = tuple(outputs[0].shape) if len(outputs) == 1 else tuple(tuple(o.shape) for o in outputs)
    side = input_shape[1] if len(input_shape) == 4 else None
    if (len(inputs) != 1 or len(input_shape) != 4 or input_shape[3] != 3 or side is None
            or input_shape[2] != side or not config.MIN_MODEL_INPUT <= side <= config.MAX_MODEL_INPUT):
        raise ModelFileError("error_model_contract",
                             f"Expected an input (None, S, S, 3) with {config.MIN_MODEL_INPUT} ≤ S ≤ "
                             f"{config.MAX_MODEL_INPUT}. Received: {input_shape}")
    count = output_shape[1] if len(outputs) == 1 and len(output_shape) == 2 else None
    if count is None or not config.MIN_CLASSES <= count <= config.MAX_CLASSES:
        raise ModelFileError("error_model_contract",
                             f"Expected an output (None, K) with {config.MIN_CLASSES} ≤ K ≤ {config.MAX_CLASSES}. "
                             f"Received: {output_shape}")
    names = model_classes.known(model)
    if names is None:
        raise ModelFileError("error_model_contract",
                             f"Expected {count} class names in the file's {model_classes.MEMBER} for an output "
                             f"(None, {count}); only a five-class model may leave them out (the flowers). "
                             f"Received: no class names")
    if len(names) != count:
        raise ModelFileError("error_model_contract",
                             f"Expected {count} class names, one per output. Received: {len(names)} names")
    try:
        classes.clean(names)
    except ValueError as error:
        raise ModelFileError("error_model_contract", str(error)) from error
    return int(side)


def check_cost(model) -> model_cost.Cost:
    """Refuses a model that costs the class more than config.MAX_MODEL_FLOPS or _ACTIVATION_BYTES a
    picture (error_model_costly, quoting its cost and the limits); returns the cost."""
    try:
        cost = model_cost.measure(model)
    except Exception as error:  # noqa: BLE001 (TensorFlow refuses some graphs Keras built, e.g. a layer named "<x>")
        raise ModelFileError("error_model_not_keras", type(error).__name__) from error
    if cost.flops > config.MAX_MODEL_FLOPS or cost.activation_bytes > config.MAX_MODEL_ACTIVATION_BYTES:
        raise ModelFileError("error_model_costly", f"{cost.flops} FLOP, {cost.activation_bytes} bytes",
                             flops=cost.flops / 1e9, memory=cost.activation_bytes / 1e6,
                             max_flops=config.MAX_MODEL_FLOPS / 1e9, max_memory=config.MAX_MODEL_ACTIVATION_BYTES / 1e6)
    return cost


def probe_pictures(side: int) -> np.ndarray:
    """Five test pictures no model should answer NaN for: black, white, mid grey, a colour gradient and
    noise (a blank picture alone lets a model that divides by its input's spread pass)."""
    ramp = np.linspace(0, 255, side)
    gradient = np.stack([np.tile(ramp, (side, 1)), np.tile(ramp[:, None], (1, side)),
                         np.full((side, side), 128.0)], axis=-1)
    noise = np.random.default_rng(0).integers(0, 256, (side, side, 3))
    plain = [np.full((side, side, 3), value) for value in (0, 255, 128)]
    return np.stack([*plain, gradient, noise]).astype(np.uint8)


def check_answers(model, side: int) -> None:
    """Runs the model once on `probe_pictures`: it must run, and answer finite scores."""
    try:
        scores = serving.batch_probabilities(model, probe_pictures(side))
    except Exception as error:  # noqa: BLE001 (any failure to run is a refusal, not a crash)
        raise ModelFileError("error_model_contract", type(error).__name__) from error
    if not np.isfinite(scores).all():
        raise ModelFileError("error_model_nonfinite")


def keras_settings() -> dict:
    """Every process-wide Keras setting a loaded file could change (read before and after a load)."""
    import keras
    from keras.src.saving import serialization_lib

    settings = {name: getattr(keras.config, name)() for name in (
        "floatx", "epsilon", "image_data_format", "backend", "max_epochs", "max_steps_per_epoch",
        "is_flash_attention_enabled", "is_interactive_logging_enabled", "is_traceback_filtering_enabled")}
    settings["dtype_policy"] = keras.config.dtype_policy().name
    settings["safe_mode"] = serialization_lib.in_safe_mode()
    return settings


def _restore(settings: dict) -> None:
    import keras
    from keras.src.backend.common import global_state

    keras.config.set_floatx(settings["floatx"])
    keras.config.set_epsilon(settings["epsilon"])
    keras.config.set_image_data_format(settings["image_data_format"])
    keras.config.set_max_epochs(settings["max_epochs"])
    keras.config.set_max_steps_per_epoch(settings["max_steps_per_epoch"])
    keras.config.set_dtype_policy(settings["dtype_policy"])
    global_state.set_global_attribute("safe_mode_saving", settings["safe_mode"])


def import_model(path: str | Path):
    """Loads a `.keras` file a student brings, or raises ModelFileError with the reason.

    Keys: error_model_too_large, error_model_not_keras, error_model_unsafe (anything but the allowed
    layers), error_model_settings, error_model_contract (shapes or class names), error_model_costly,
    error_model_nonfinite. The model comes back with its class names (serving.class_names).
    """
    path = Path(path)
    model_config = model_checks.check_archive(path)
    before = keras_settings()
    try:
        if model_cost.parameter_count(model_config) > config.MAX_MODEL_PARAMETERS:
            raise ModelFileError("error_model_too_large", "parameters")
        model = serving.load_model(path)
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 (Keras raises many kinds for a bad file; each is a refusal)
        # Only the kind of error: Keras' text quotes server paths and source lines.
        raise ModelFileError("error_model_not_keras", type(error).__name__) from error
    finally:
        after = keras_settings()
        if after != before:  # the allow-lists make this impossible; if it happens, heal the server first
            _restore(before)
    if after != before:
        changed = sorted(name for name in before if before[name] != after[name])
        raise ModelFileError("error_model_settings", ", ".join(changed))
    side = check_contract(model)
    # The names as every view shows them: composed and trimmed (a flower file's are the flowers').
    model_classes.remember(model, classes.clean(model_classes.known(model)))
    check_cost(model)
    check_answers(model, side)
    return model
