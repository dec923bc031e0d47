"""Taking a model home and bringing one back: `.keras` files with the app's contract.

The contract is the shipped file's (see the README): one input of raw RGB pixels, (None, S, S, 3)
with S between config.MIN_MODEL_INPUT and MAX_MODEL_INPUT, rescaled inside; one output of five
logits in alphabetical class order. A file a student brings is checked before Keras reads it (size,
a zip holding a Keras model, what it unpacks to), loaded with `safe_mode=True` (no code from Lambda
layers), then held to the contract and run once on a blank picture.

Example:
    path = export_model(model, folder, "flower-seed-run1.keras")
    model = import_model(path)   # or ModelFileError with the reason's i18n key
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from flower_demo import config, serving

# What a Keras 3 `.keras` file holds: the network's config, its weights, a note of the Keras version,
# and optionally assets of its layers (none of ours has any).
KERAS_MEMBERS = ("config.json", "model.weights.h5")


class ModelFileError(ValueError):
    """A model file we refuse; `key` names the message in flower_demo.i18n."""

    def __init__(self, key: str, detail: str = ""):
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


def export_model(model, folder: str | Path, name: str) -> Path:
    """Saves `model` (the network only, no optimizer state) as `folder/name`; returns the path."""
    path = Path(folder) / Path(name).name
    serving.save_model(model, path)
    return path


def _check_archive(path: Path) -> None:
    """Refuses, before Keras reads a byte, what is too large, not a zip or not a Keras model."""
    size = path.stat().st_size
    if size > config.MAX_MODEL_BYTES:
        raise ModelFileError("error_model_too_large", f"{size} bytes")
    if path.suffix.lower() != ".keras":
        raise ModelFileError("error_model_not_keras", f"{path.suffix or 'no extension'}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise ModelFileError("error_model_not_keras", str(error)) from error
    names = {member.filename for member in members}
    if not set(KERAS_MEMBERS) <= names:
        raise ModelFileError("error_model_not_keras", f"missing {sorted(set(KERAS_MEMBERS) - names)}")
    unpacked = sum(member.file_size for member in members)
    if unpacked > config.MAX_MODEL_UNPACKED_BYTES:  # a zip bomb would fill the server's memory
        raise ModelFileError("error_model_too_large", f"{unpacked} bytes unpacked")


def check_contract(model) -> int:
    """Returns the model's input side S, or raises ModelFileError('error_model_contract').

    Expected: one input (None, S, S, 3) with MIN_MODEL_INPUT <= S <= MAX_MODEL_INPUT, one output
    (None, number of classes), finite scores for a blank picture.
    """
    classes = len(config.CLASS_NAMES)
    inputs, outputs = list(model.inputs), list(model.outputs)
    input_shape = tuple(inputs[0].shape) if len(inputs) == 1 else tuple(tuple(i.shape) for i in inputs)
    output_shape = tuple(outputs[0].shape) if len(outputs) == 1 else tuple(tuple(o.shape) for o in outputs)
    side = input_shape[1] if len(input_shape) == 4 else None
    if (len(inputs) != 1 or len(input_shape) != 4 or input_shape[3] != 3 or side is None
            or input_shape[2] != side or not config.MIN_MODEL_INPUT <= side <= config.MAX_MODEL_INPUT):
        raise ModelFileError("error_model_contract",
                             f"Expected an input (None, S, S, 3) with {config.MIN_MODEL_INPUT} ≤ S ≤ "
                             f"{config.MAX_MODEL_INPUT}. Received: {input_shape}")
    if len(outputs) != 1 or len(output_shape) != 2 or output_shape[1] != classes:
        raise ModelFileError("error_model_contract",
                             f"Expected an output (None, {classes}). Received: {output_shape}")
    try:
        scores = serving.batch_probabilities(model, np.zeros((1, side, side, 3), np.uint8))
    except Exception as error:  # noqa: BLE001 (any failure to run is a refusal, not a crash)
        raise ModelFileError("error_model_contract", f"{type(error).__name__}: {error}") from error
    if scores.shape != (1, classes) or not np.isfinite(scores).all():
        raise ModelFileError("error_model_contract", f"scores {scores.shape} for a blank picture")
    return int(side)


def import_model(path: str | Path):
    """Loads a `.keras` file a student brings, or raises ModelFileError with the reason.

    Keys: error_model_too_large, error_model_not_keras, error_model_unsafe (what safe_mode refuses:
    Lambda layers, custom code), error_model_contract.
    """
    path = Path(path)
    _check_archive(path)
    try:
        model = serving.load_model(path)
    except Exception as error:  # noqa: BLE001 (Keras raises many kinds for a bad file; each is a refusal)
        text = str(error)
        unsafe = "safe_mode" in text or "Lambda" in text or "custom" in text.lower()
        raise ModelFileError("error_model_unsafe" if unsafe else "error_model_not_keras",
                             f"{type(error).__name__}: {text[:300]}") from error
    check_contract(model)
    return model
