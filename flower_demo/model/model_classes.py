"""A model's class names: kept beside it in memory, and inside its `.keras` file on disk.

In memory the names sit in a weak-key dictionary (as runs.origin_of's origins and serving.traced's
graphs do), so they go with the model and nothing is set on Keras' own objects: `class_names(model)`
is the one question every tab, figure and command asks.

On disk they are one small member of the `.keras` zip, `class_names.json` ({"class_names": [...]}),
beside Keras' config.json and weights. Why not inside config.json: Keras rebuilds a model from that
config and drops any key it does not know, so the names would not survive `load_model` nor the
`from_config` copy serving.save_model makes; a layer carrying them would have to be a custom class,
which `safe_mode` loading and the brought-model allow-lists rightly refuse. Keras ignores a member it
did not write, so the file still loads with `keras.models.load_model(path, safe_mode=True)` anywhere
(without the names, then), and the weights inside stay exactly Keras' own.

A file without the member (the shipped assets/flower_cnn.keras, every export before issue 36) is a
flower model when it has five outputs: its names are config.CLASS_NAMES, as they always were.

Example:
    remember(network, ("cat", "dog", "mug"))
    class_names(network)                   # ("cat", "dog", "mug")
    write_into(path, class_names(network))  # after keras' own save
    read_from(path)                          # ("cat", "dog", "mug"), or None for an older file
"""

from __future__ import annotations

import json
import threading
import weakref
import zipfile
from pathlib import Path
from typing import Iterable

from flower_demo import config

MEMBER = "class_names.json"
# config.MAX_CLASSES names of MAX_CLASS_NAME_CHARS characters, each written as \uXXXX\uXXXX (a character
# outside the Basic Multilingual Plane escaped), is ~4 KB: four times that is still nothing to read.
MAX_MEMBER_BYTES = 16 * 1024

_names: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> tuple of names
_names_lock = threading.Lock()


def output_count(model) -> int:
    """How many classes a model scores: its output's last dimension."""
    return int(model.output_shape[-1])


def remember(model, names: Iterable[str]) -> None:
    """Notes `model`'s class names (in its output order), kept as long as the model lives."""
    with _names_lock:
        _names[model] = tuple(names)


def recorded(model) -> tuple[str, ...] | None:
    """The names noted for `model` (trained here, or read from its file), else None."""
    with _names_lock:
        return _names.get(model)


def known(model) -> tuple[str, ...] | None:
    """`recorded` names, else the flower names for a five-output model (the shipped file and older
    exports carry none), else None: a model of another size with no names is nobody's to guess."""
    names = recorded(model)
    if names is None and output_count(model) == len(config.CLASS_NAMES):
        return config.CLASS_NAMES
    return names


def class_names(model) -> tuple[str, ...]:
    """The names of `model`'s classes, in its output order: what every answer, figure and report uses.

    `known` names; for a model that has none (only one built by hand: every model trained, loaded or
    imported here has them) "class 1", "class 2", ..., so a view still draws rather than fails.
    """
    names = known(model)
    return names if names is not None else tuple(f"class {index}" for index in range(1, output_count(model) + 1))


def carry(source, target):
    """`target` (a copy of `source`: another input size, a mirror-averaged wrapper) with `source`'s
    recorded names, if any; returns `target`."""
    names = recorded(source)
    if names is not None and target is not source:
        remember(target, names)
    return target


def to_json(names: Iterable[str]) -> bytes:
    """The member's bytes. UTF-8 as it is (ensure_ascii=False): a student opening the zip reads the names."""
    return json.dumps({"class_names": list(names)}, ensure_ascii=False).encode("utf-8")


def from_json(data: bytes) -> tuple[str, ...]:
    """Parses the member. Only its shape is checked here (a list of strings, not too many): the
    naming rule itself is model_files.check_contract's, with the model's output beside it.

    Raises:
        ValueError: "Expected ... Received: ..." when it is not {"class_names": [text, ...]}.
    """
    if len(data) > MAX_MEMBER_BYTES:
        raise ValueError(f"Expected {MEMBER} of at most {MAX_MEMBER_BYTES} bytes. Received: {len(data)} bytes")
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"Expected {MEMBER} to be UTF-8 JSON. Received: {type(error).__name__}") from error
    names = parsed.get("class_names") if isinstance(parsed, dict) else None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f'Expected {MEMBER} to hold {{"class_names": [names as text]}}. '
                         f"Received: {type(names).__name__ if isinstance(parsed, dict) else type(parsed).__name__}")
    if len(names) > 4 * config.MAX_CLASSES:  # the count itself is the contract's to judge; a page is not a list
        raise ValueError(f"Expected at most {config.MAX_CLASSES} class names. Received: {len(names)}")
    return tuple(names)


def write_into(path: str | Path, names: Iterable[str]) -> None:
    """Adds the member to a `.keras` file Keras has just written (appended: Keras' members untouched)."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, to_json(names))


def read_member(archive: zipfile.ZipFile) -> tuple[str, ...] | None:
    """The names in an open `.keras` zip, or None when it has no such member (an older file)."""
    try:
        info = archive.getinfo(MEMBER)
    except KeyError:
        return None
    if info.file_size > MAX_MEMBER_BYTES:  # refused on its claim, before inflating anything
        raise ValueError(f"Expected {MEMBER} of at most {MAX_MEMBER_BYTES} bytes. Received: {info.file_size} bytes")
    with archive.open(info) as stream:
        return from_json(stream.read(MAX_MEMBER_BYTES + 1))


def read_from(path: str | Path) -> tuple[str, ...] | None:
    """The names inside a `.keras` file, or None when it has none (see `known` for what that means)."""
    with zipfile.ZipFile(path) as archive:
        return read_member(archive)
