"""What a brought `.keras` file may hold, checked as data before Keras reads a byte of it.

A `.keras` file is a zip whose `config.json` names the classes and functions Keras will import and
call. `safe_mode=True` refuses marshalled Lambda code, but not a Lambda (or any other layer) that
names a *registered* Keras function: `keras.config.set_max_epochs` loaded that way changed training
for every student on the server until a restart (issue 33). So nothing is refused by a deny-list:
every object the config names must be on the allow-lists below (the layers the app's own networks
and ordinary Keras CNNs use, from `keras.layers`), every string that Keras would look up as a
function must be a known activation or initializer, and the weights file may hold nothing but
plain numeric datasets (no external links or external storage, which make HDF5 read other files).

Example:
    config = check_archive(path)   # or ModelFileError with the reason's i18n key
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

from flower_demo import config
from flower_demo.errors import KeyedError
from flower_demo.model import model_classes

# Members a Keras 3 `.keras` file of the allowed layers has (none of them writes assets), and the class
# names this app adds beside them (model_classes.MEMBER, optional: older files have none).
CONFIG_MEMBER, WEIGHTS_MEMBER, METADATA_MEMBER = "config.json", "model.weights.h5", "metadata.json"
ALLOWED_MEMBERS = {CONFIG_MEMBER, WEIGHTS_MEMBER, METADATA_MEMBER, model_classes.MEMBER}
MAX_CONFIG_BYTES = 1024 * 1024  # the shipped model's config is ~60 KB; JSON this large is no CNN
MAX_CONFIG_OBJECTS = 5000  # named objects (layers, initializers, policies...): the shipped model has ~300
_CHUNK = 1024 * 1024  # bytes inflated at a time while checking members: the peak stays this small

# Layers (module "keras.layers"): the app's networks, the tutorial's (with its augmentation inside
# the model, an identity when serving) and what an ordinary Keras image classifier is built from.
# Not here on purpose: Lambda and TFSMLayer (code, or a SavedModel loaded from a path), lookup and
# text layers (vocabularies read from files), Resizing and UpSampling (a tiny file, any cost), RNNs.
ALLOWED_LAYERS = frozenset({
    "InputLayer", "Rescaling", "Normalization",
    "Conv2D", "SeparableConv2D", "DepthwiseConv2D",
    "Dense", "Flatten", "Reshape", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "BatchNormalization", "LayerNormalization", "GroupNormalization",
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "ZeroPadding2D", "Cropping2D",
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation", "RandomBrightness",
})
# Models, keyed by the module Keras writes for them.
ALLOWED_MODELS = {("keras.src.models.functional", "Functional"), ("keras", "Functional"),
                  ("keras", "Sequential"), ("keras.src.models.sequential", "Sequential")}
# Operations written into a functional model as objects of their own: the shipped model's mirror
# average flips the picture with keras.ops.flip.
ALLOWED_OPERATIONS = {("keras.src.ops.numpy", "Flip")}
ALLOWED_HELPERS = {
    "keras.initializers": {"Zeros", "Ones", "Constant", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
                           "LecunUniform", "LecunNormal", "RandomUniform", "RandomNormal", "TruncatedNormal",
                           "VarianceScaling", "Orthogonal", "Identity"},
    "keras.regularizers": {"L1", "L2", "L1L2", "OrthogonalRegularizer"},
    "keras.constraints": {"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"},
    "keras": {"DTypePolicy", "FloatDTypePolicy"},
    # A nested model's compile settings, which Keras compiles at load even with compile=False (the
    # app's own exports wrap a compiled network in the mirror average).
    "keras.optimizers": {"Adam", "AdamW", "SGD", "RMSprop", "Nadam", "Adamax", "Adagrad", "Adadelta", "Lion"},
    "keras.optimizers.schedules": {"CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
                                   "PiecewiseConstantDecay", "PolynomialDecay"},
    "keras.losses": {"SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy",
                     "CategoricalFocalCrossentropy", "MeanSquaredError"},
    "keras.metrics": {"SparseCategoricalAccuracy", "CategoricalAccuracy", "Accuracy", "BinaryAccuracy",
                      "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy", "Mean",
                      "SparseCategoricalCrossentropy", "CategoricalCrossentropy"},
}
ALLOWED_DTYPES = {"float32", "mixed_float16", "mixed_bfloat16", "float16", "bfloat16"}
# Keras' own serialisation markers for values (tensors flowing between layers, tuples).
ALLOWED_MARKERS = {"__keras_tensor__", "__tuple__"}
# Arguments whose string value Keras looks up as a function or object by name.
ACTIVATIONS = frozenset({"linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "sigmoid",
                         "hard_sigmoid", "hard_silu", "hard_swish", "softmax", "softplus", "softsign", "tanh", "mish",
                         "exponential", "log_softmax"})
COMPILE_NAMES = frozenset({"adam", "adamw", "sgd", "rmsprop", "nadam", "adamax", "adagrad", "adadelta", "lion",
                           "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
                           "mse", "mean_squared_error", "accuracy", "acc", "sparse_categorical_accuracy",
                           "categorical_accuracy", "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy"})
INITIALIZERS = frozenset({"zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                          "lecun_uniform", "lecun_normal", "random_uniform", "random_normal", "truncated_normal",
                          "orthogonal", "identity", "variance_scaling", "constant"})


class ModelFileError(KeyedError, ValueError):
    """A model file we refuse; `key` names the message in flower_demo.i18n, `detail` what was found
    (a class or member name from the file, a number: never a server path or Keras' own text)."""


def _looked_up_names(key: str) -> frozenset | None:
    """The names an argument called `key` may hold as a string, or None if Keras reads it as data."""
    if key in ("activation", "recurrent_activation"):
        return ACTIVATIONS
    if key.endswith("_initializer"):
        return INITIALIZERS
    if key.endswith("_regularizer") or key.endswith("_constraint"):
        return frozenset()  # only the objects in ALLOWED_HELPERS (or null)
    if key in ("dtype", "dtype_policy", "compute_dtype", "variable_dtype"):
        return ALLOWED_DTYPES
    if key in ("optimizer", "loss", "metrics", "weighted_metrics"):
        return COMPILE_NAMES
    return None


def _check_object(node: dict) -> None:
    class_name, module = node.get("class_name"), node.get("module")
    if class_name in ALLOWED_MARKERS and module is None:
        return
    if class_name == "function" or not isinstance(class_name, str) or not isinstance(module, str):
        raise ModelFileError("error_model_unsafe", f"{_short(class_name)} ({_short(module)})")
    registered = node.get("registered_name")
    if module == "keras.layers" and class_name in ALLOWED_LAYERS and registered in (None, class_name):
        return
    if (module, class_name) in ALLOWED_MODELS | ALLOWED_OPERATIONS and registered in (None, class_name):
        return
    if class_name in ALLOWED_HELPERS.get(module, ()) and registered in (None, class_name):
        if class_name.endswith("DTypePolicy") and _policy_name(node) not in ALLOWED_DTYPES:
            raise ModelFileError("error_model_unsafe", f"{class_name} {_short(_policy_name(node))}")
        return
    raise ModelFileError("error_model_unsafe", f"{_short(class_name)} ({_short(module)})")


def _policy_name(node: dict):
    inner = node.get("config")
    return inner.get("name") if isinstance(inner, dict) else None


def _short(value) -> str:
    """A name from the file, cut short: messages quote it, so it must stay a name, not a page."""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def check_config(model_config) -> None:
    """Walks a `.keras` file's config and refuses any object, function or name not allowed above.

    The top level's `compile_config` is skipped: it is loaded with compile=False, which makes Keras
    drop it unread (saving_lib._model_from_config). Everything else, nested models included, is checked.

    Raises:
        ModelFileError: error_model_unsafe, naming the first thing refused.
    """
    if not isinstance(model_config, dict) or (model_config.get("module"), model_config.get("class_name")) \
            not in ALLOWED_MODELS:
        raise ModelFileError("error_model_unsafe", f"top level {_short(model_config.get('class_name') if isinstance(model_config, dict) else type(model_config).__name__)}")
    stack = [(key, value) for key, value in model_config.items() if key != "compile_config"]
    objects = 0
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            if "class_name" in value:
                objects += 1
                if objects > MAX_CONFIG_OBJECTS:
                    raise ModelFileError("error_model_too_large", f"more than {MAX_CONFIG_OBJECTS} objects")
                _check_object(value)
            stack.extend(value.items())
        elif isinstance(value, list):
            stack.extend((key, item) for item in value)
        elif isinstance(value, str):
            allowed = _looked_up_names(str(key))
            if allowed is not None and value not in allowed:
                raise ModelFileError("error_model_unsafe", f"{_short(key)}={_short(value)}")
        elif not (value is None or isinstance(value, (bool, int, float))):
            raise ModelFileError("error_model_unsafe", f"{_short(key)}")


def _check_members(archive: zipfile.ZipFile) -> None:
    """Every member inflated once, a megabyte at a time, counting what it really holds: a member
    that claims 100 bytes but inflates to 1 GB is refused at its claimed size, not after a gigabyte."""
    names = [member.filename for member in archive.infolist()]
    if len(names) != len(set(names)):  # two members of one name: which one Keras reads is the zip reader's choice
        raise ModelFileError("error_model_not_keras", "duplicate members")
    missing = sorted({CONFIG_MEMBER, WEIGHTS_MEMBER} - set(names))
    if missing:
        raise ModelFileError("error_model_not_keras", f"missing {missing}")
    unknown = sorted(set(names) - ALLOWED_MEMBERS)
    if unknown:
        raise ModelFileError("error_model_unsafe", f"members {_short(unknown)}")
    claimed = sum(member.file_size for member in archive.infolist())
    if claimed > config.MAX_MODEL_UNPACKED_BYTES:
        raise ModelFileError("error_model_too_large", f"{claimed} bytes unpacked")
    if archive.getinfo(CONFIG_MEMBER).file_size > MAX_CONFIG_BYTES:
        raise ModelFileError("error_model_too_large", "config.json")
    for member in archive.infolist():
        if member.flag_bits & 0x1:
            raise ModelFileError("error_model_not_keras", "encrypted member")
        seen, checksum = 0, 0
        try:
            # ZipExtFile stops at the claimed size and checks the CRC there: a member that inflates
            # to more than it claims ends with a bad CRC, never with more than a chunk in memory.
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    seen += len(chunk)
                    checksum = zlib.crc32(chunk, checksum)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as error:
            raise ModelFileError("error_model_not_keras", f"{member.filename}: {type(error).__name__}") from error
        if seen != member.file_size or checksum != member.CRC:
            raise ModelFileError("error_model_not_keras", f"{member.filename}: damaged")


def check_weights(data: bytes) -> int:
    """Refuses an HDF5 weights file that could make h5py read anything but itself; returns how many
    numbers it holds.

    External links and external or virtual datasets point HDF5 at other files on the server (their
    bytes would come back as weights); only groups and plain numeric datasets are allowed.
    """
    import h5py
    import numpy as np

    try:
        weights = h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as error:
        raise ModelFileError("error_model_not_keras", "weights file") from error
    numbers = 0
    with weights:
        found: list[tuple[str, object]] = []
        weights.visit_links(lambda name: found.append((name, weights.get(name, getlink=True))))
        for name, link in found:
            if not isinstance(link, h5py.HardLink):
                raise ModelFileError("error_model_unsafe", f"weights link {_short(name)}")
            item = weights[name]
            if isinstance(item, h5py.Dataset):
                if item.external or item.is_virtual:
                    raise ModelFileError("error_model_unsafe", f"weights dataset {_short(name)}")
                if item.dtype.kind not in "fiub":
                    raise ModelFileError("error_model_unsafe", f"weights dtype {_short(item.dtype)}")
                numbers += int(np.prod(item.shape, dtype=np.int64)) if item.shape else 1
    return numbers


def check_archive(path: str | Path) -> dict:
    """Checks a brought `.keras` file as data and returns its parsed config.

    Raises:
        ModelFileError: error_model_too_large (bytes, unpacked size, parameters), error_model_not_keras
            (not a zip of a Keras model, damaged), error_model_unsafe (an object, function, member or
            link that is not allowed) or error_model_contract (class_names.json is not a list of names).
    """
    path = Path(path)
    size = path.stat().st_size
    if size > config.MAX_MODEL_BYTES:
        raise ModelFileError("error_model_too_large", f"{size} bytes")
    if path.suffix.lower() != ".keras":
        raise ModelFileError("error_model_not_keras", path.suffix or "no extension")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive)
            text = archive.read(CONFIG_MEMBER)
            weights = archive.read(WEIGHTS_MEMBER)
            try:  # its shape only; the names against the model's output: model_files.check_contract
                model_classes.read_member(archive)
            except ValueError as error:
                raise ModelFileError("error_model_contract", str(error)) from error
    except zipfile.BadZipFile as error:
        raise ModelFileError("error_model_not_keras", "not a zip") from error
    try:
        model_config = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ModelFileError("error_model_not_keras", "config.json") from error
    check_config(model_config)
    if check_weights(weights) > config.MAX_MODEL_PARAMETERS:
        raise ModelFileError("error_model_too_large", "parameters")
    return model_config
