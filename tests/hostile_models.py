"""A corpus of `.keras` files a mischievous student could bring, written by the tests (nothing downloaded).

Each is a small valid model whose `config.json`, members or weights file has been edited by hand the
way an attacker would: what `keras.Model.save` can write is only the start. The patterns follow
issue 33 and the published Keras safe_mode advisories that apply to 3.x files:
- a Lambda whose function is a *registered* Keras function (set_max_epochs, set_floatx, ...), which
  safe_mode loads, changing a process-wide setting;
- `enable_unsafe_deserialization` named as a function inside the config (safe_mode turned off
  mid-load, CVE-2025-9906), `keras.utils.get_file` named as an activation (CVE-2025-8747);
- a `module` outside Keras (module injection, CVE-2025-1550);
- TFSMLayer (a SavedModel loaded from a path the file chooses) and StringLookup reading a vocabulary
  file from the server (CVE-2025-12058);
- a custom registered class; HDF5 external links and external datasets (other files read as weights);
- extra or duplicated zip members, and a member that inflates far past what it claims.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np


def plain_model(side: int = 32):
    """A tiny model with the app's contract: raw pixels (None, side, side, 3) -> five logits."""
    import keras

    inputs = keras.Input((side, side, 3), name="pixels")
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(5)(x), name="plain")


def save(model, path: Path) -> Path:
    model.save(path)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path: Path, contents: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents:
            archive.writestr(name, data)
    return path


def edited(base: Path, path: Path, edit: Callable[[dict], None]) -> Path:
    """`base` with its config.json changed by `edit` (in place on the parsed JSON)."""
    contents = members(base)
    model_config = json.loads(contents["config.json"])
    edit(model_config)
    contents["config.json"] = json.dumps(model_config).encode()
    return write_members(path, list(contents.items()))


def _layers(model_config: dict) -> list:
    return model_config["config"]["layers"]


def _function(name: str, module: str = "keras.config") -> dict:
    return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}


def _insert_after_input(model_config: dict, layer: dict) -> None:
    """Puts `layer` between the input and the next layer (which then reads the new layer's output)."""
    layers = _layers(model_config)
    first, second = layers[0], layers[1]
    layer["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
        "shape": [None, 32, 32, 3], "dtype": "float32", "keras_history": [first["name"], 0, 0]}}], "kwargs": {}}]
    second["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = [layer["name"], 0, 0]
    layers.insert(1, layer)


def lambda_calling(function: str, module: str = "keras.config") -> Callable[[dict], None]:
    """A Lambda layer whose function is a registered Keras function (no marshalled code at all)."""

    def edit(model_config: dict) -> None:
        _insert_after_input(model_config, {
            "module": "keras.layers", "class_name": "Lambda", "registered_name": None, "name": "sneaky",
            "config": {"name": "sneaky", "trainable": True, "dtype": "float32", "function": _function(function, module),
                       "arguments": {}, "output_shape": None}})

    return edit


def activation_named(value) -> Callable[[dict], None]:
    """The Dense layer's activation replaced by `value` (a name string or a function object)."""

    def edit(model_config: dict) -> None:
        dense = next(layer for layer in _layers(model_config) if layer["class_name"] == "Dense")
        dense["config"]["activation"] = value

    return edit


def layer_from(module: str, class_name: str, registered: str | None = None, **arguments) -> Callable[[dict], None]:
    def edit(model_config: dict) -> None:
        _insert_after_input(model_config, {
            "module": module, "class_name": class_name, "registered_name": registered, "name": "extra",
            "config": {"name": "extra", "trainable": True, **arguments}})

    return edit


def dense_units(units: int) -> Callable[[dict], None]:
    """A Dense layer asking for `units` outputs: weights that would fill the server if ever made."""

    def edit(model_config: dict) -> None:
        dense = next(layer for layer in _layers(model_config) if layer["class_name"] == "Dense")
        dense["config"]["units"] = units

    return edit


def weights_with_external_link(base: Path, path: Path) -> Path:
    """The weights file gains an HDF5 external link to another file of the server."""
    import h5py

    contents = members(base)
    buffer = io.BytesIO(contents["model.weights.h5"])
    with h5py.File(buffer, "a") as weights:
        weights["layers/leak"] = h5py.ExternalLink("/etc/passwd", "/")
    contents["model.weights.h5"] = buffer.getvalue()
    return write_members(path, list(contents.items()))


def weights_with_external_dataset(base: Path, path: Path) -> Path:
    """The weights file gains a dataset whose bytes live in another file of the server."""
    import h5py

    contents = members(base)
    buffer = io.BytesIO(contents["model.weights.h5"])
    with h5py.File(buffer, "a") as weights:
        weights.create_dataset("layers/leak", shape=(64,), dtype="uint8", external=[("/etc/hostname", 0, 64)])
    contents["model.weights.h5"] = buffer.getvalue()
    return write_members(path, list(contents.items()))


def member_bomb(base: Path, path: Path, inflated: int = 64 << 20, claimed: int = 100) -> Path:
    """`model.weights.h5` replaced by `inflated` zero bytes whose zip headers claim only `claimed`."""
    contents = members(base)
    contents["model.weights.h5"] = b"\0" * inflated
    write_members(path, list(contents.items()))
    data = bytearray(path.read_bytes())
    name = b"model.weights.h5"
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("model.weights.h5")
    # The local header: uncompressed size at +22. The central directory entry: at +24.
    struct.pack_into("<I", data, info.header_offset + 22, claimed)
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        if position < 0:
            break
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + length] == name:
            struct.pack_into("<I", data, position + 24, claimed)
        position += 4
    path.write_bytes(bytes(data))
    return path


def nan_on_bright_pictures(side: int = 32):
    """A model that answers finite scores for a blank (black) picture and NaN for a white one: its
    logits are ~3e38 x the mean pixel, which overflows to infinity (softmax of inf is NaN)."""
    import keras

    inputs = keras.Input((side, side, 3), name="pixels")
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(5)
    model = keras.Model(inputs, dense(x), name="overflowing")
    dense.set_weights([np.full((3, 5), 3e38, np.float32), np.zeros(5, np.float32)])
    return model


def costly_model(side: int = 256, width: int = 256, depth: int = 4):
    """Full-resolution 3x3 convolutions, `width` channels: tens of GFLOP a picture in a few MB."""
    import keras

    inputs = keras.Input((side, side, 3), name="pixels")
    x = keras.layers.Rescaling(1 / 255)(inputs)
    for _ in range(depth):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(5)(x), name="costly")


def tutorial_cnn(side: int = 180):
    """The tutorial's second network as a student writes it: augmentation inside a Sequential model."""
    import keras

    return keras.Sequential([
        keras.Input((side, side, 3)),
        keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1), keras.layers.RandomZoom(0.1),
        keras.layers.Rescaling(1.0 / 255),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Dropout(0.2), keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"), keras.layers.Dense(5),
    ], name="tutorial")
