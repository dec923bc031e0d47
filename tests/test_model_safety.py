"""A brought model is data, never code, and costs the class at most twice the shipped model (issue 33).

Every hostile file of tests/hostile_models.py is refused with its message key, and no process-wide
Keras setting changes (read before and after each).
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest

from flower_demo import config, recipes
from flower_demo.model import model_checks, model_cost, model_files, networks, serving
from tests import hostile_models as hostile


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A valid brought model: the edits below start from it."""
    return hostile.save(hostile.plain_model(), tmp_path_factory.mktemp("base") / "plain.keras")


def refused(path) -> model_files.ModelFileError:
    """Imports `path`, expecting a refusal that leaves every Keras setting as it was."""
    before = model_files.keras_settings()
    with pytest.raises(model_files.ModelFileError) as raised:
        model_files.import_model(path)
    assert model_files.keras_settings() == before
    detail = raised.value.detail  # names from the file at most: no server path, source file or line
    assert str(path.parent) not in detail and "site-packages" not in detail and ".py" not in detail
    assert "line " not in detail and len(detail) <= 120
    return raised.value


def test_the_base_model_and_the_shipped_one_are_accepted(base):
    assert model_files.check_contract(model_files.import_model(base)) == 32
    if config.SHIPPED_MODEL_PATH.exists():
        shipped = model_files.import_model(config.SHIPPED_MODEL_PATH)
        assert networks.input_size(shipped) == 208


@pytest.mark.parametrize("function", ["set_max_epochs", "set_max_steps_per_epoch", "set_floatx",
                                      "set_image_data_format", "enable_unsafe_deserialization", "set_epsilon"])
def test_a_lambda_naming_a_registered_keras_function_is_refused(base, tmp_path, function):
    problem = refused(hostile.edited(base, tmp_path / "sneaky.keras", hostile.lambda_calling(function)))
    assert problem.key == "error_model_unsafe" and "Lambda" in problem.detail


@pytest.mark.parametrize("activation", [
    {"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization",
     "registered_name": "function"},  # CVE-2025-9906
    {"module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "function"},  # CVE-2025-8747
    {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"},
    "set_max_epochs",  # a name Keras would look up
    "os.system",
])
def test_functions_and_unknown_names_in_arguments_are_refused(base, tmp_path, activation):
    problem = refused(hostile.edited(base, tmp_path / "activation.keras", hostile.activation_named(activation)))
    assert problem.key == "error_model_unsafe"


@pytest.mark.parametrize("module,class_name,registered,arguments", [
    ("keras.layers", "TFSMLayer", None, {"filepath": "/tmp/saved_model", "call_endpoint": "serve"}),
    ("keras.layers", "StringLookup", None, {"vocabulary": "/etc/passwd"}),  # CVE-2025-12058
    ("keras.layers", "Lambda", None, {"function": {"class_name": "__lambda__", "config": {"code": "AAAA"}}}),
    ("os", "system", None, {}),  # module injection, CVE-2025-1550
    ("builtins", "eval", None, {}),
    ("keras.layers", "Conv2D", "Custom>Conv2D", {"filters": 4, "kernel_size": 3}),  # a custom registered class
    ("my_package.layers", "Conv2D", None, {"filters": 4, "kernel_size": 3}),
])
def test_layers_outside_the_allow_list_are_refused(base, tmp_path, module, class_name, registered, arguments):
    path = hostile.edited(base, tmp_path / "layer.keras", hostile.layer_from(module, class_name, registered, **arguments))
    assert refused(path).key == "error_model_unsafe"


def test_a_dtype_policy_outside_floats_is_refused(base, tmp_path):
    def int_policy(model_config):
        dense = next(layer for layer in model_config["config"]["layers"] if layer["class_name"] == "Dense")
        dense["config"]["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "int8"},
                                    "registered_name": None}

    assert refused(hostile.edited(base, tmp_path / "policy.keras", int_policy)).key == "error_model_unsafe"


def test_weights_that_point_hdf5_at_other_files_are_refused(base, tmp_path):
    assert refused(hostile.weights_with_external_link(base, tmp_path / "link.keras")).key == "error_model_unsafe"
    assert refused(hostile.weights_with_external_dataset(base, tmp_path / "external.keras")).key == "error_model_unsafe"


def test_extra_and_duplicated_members_are_refused(base, tmp_path):
    contents = hostile.members(base)
    extra = hostile.write_members(tmp_path / "extra.keras", [*contents.items(), ("assets/saved_model.pb", b"x")])
    assert refused(extra).key == "error_model_unsafe"
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate name it writes
        twice = hostile.write_members(tmp_path / "twice.keras", [*contents.items(), ("config.json", b"{}")])
    assert refused(twice).key == "error_model_not_keras"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_member_that_inflates_past_its_claim_is_refused_without_inflating_it(base, tmp_path):
    bomb = hostile.member_bomb(base, tmp_path / "bomb.keras", inflated=256 << 20)
    assert bomb.stat().st_size < 1 << 20
    peak = _peak_rss_mb()
    problem = refused(bomb)
    assert problem.key == "error_model_not_keras" and "model.weights.h5" in problem.detail
    assert _peak_rss_mb() - peak < 64  # never the 256 MB it would inflate to


def test_a_config_asking_for_huge_weights_is_refused_before_any_is_made(base, tmp_path):
    path = hostile.edited(base, tmp_path / "huge.keras", hostile.dense_units(10**9))  # 4 x 10^9 weights: 16 GB
    peak, started = _peak_rss_mb(), time.monotonic()
    problem = refused(path)
    assert problem.key == "error_model_too_large" and problem.detail == "parameters"
    assert _peak_rss_mb() - peak < 64 and time.monotonic() - started < 30


def test_a_model_costing_more_than_twice_the_shipped_one_is_refused_with_its_cost(tmp_path):
    path = hostile.save(hostile.costly_model(), tmp_path / "costly.keras")  # ~1.8 MB, ~30 GFLOP a picture
    problem = refused(path)
    assert problem.key == "error_model_costly"
    assert problem.values["flops"] > problem.values["max_flops"] == pytest.approx(config.MAX_MODEL_FLOPS / 1e9)


def test_inputs_above_the_largest_side_are_refused(tmp_path):
    path = hostile.save(hostile.plain_model(side=config.MAX_MODEL_INPUT + 32), tmp_path / "wide.keras")
    problem = refused(path)
    assert problem.key == "error_model_contract" and f"≤ {config.MAX_MODEL_INPUT}" in problem.detail


def test_a_model_answering_nan_for_real_pictures_is_refused_though_a_blank_one_passes(tmp_path):
    model = hostile.nan_on_bright_pictures()
    assert np.isfinite(serving.batch_probabilities(model, np.zeros((1, 32, 32, 3), np.uint8))).all()
    assert refused(hostile.save(model, tmp_path / "nan.keras")).key == "error_model_nonfinite"


def test_the_probe_pictures_differ_and_are_deterministic():
    pictures = model_files.probe_pictures(32)
    assert pictures.shape == (5, 32, 32, 3) and pictures.dtype == np.uint8
    assert len({picture.tobytes() for picture in pictures}) == 5
    np.testing.assert_array_equal(pictures, model_files.probe_pictures(32))


def test_ordinary_student_networks_are_accepted(tmp_path):
    """The tutorial's network (augmentation inside, Sequential) and the app's own networks at their sizes."""
    tutorial = model_files.import_model(hostile.save(hostile.tutorial_cnn(), tmp_path / "tutorial.keras"))
    assert networks.input_size(tutorial) == 180
    import dataclasses

    largest = networks.build_model(dataclasses.replace(recipes.PRESETS["seed"], image_size=224))
    back = model_files.import_model(model_files.export_model(largest, tmp_path, "seed224.keras"))
    assert back.count_params() == largest.count_params() == 6_446_885


# --- the cost, against hand counts -------------------------------------------------------------------

def test_the_cost_of_a_small_network_matches_a_hand_count():
    import keras

    inputs = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(4, 3, padding="valid", use_bias=False)(inputs)  # 6x6x4 outputs, 27 MACs each
    model = keras.Model(inputs, keras.layers.Dense(5, use_bias=False)(keras.layers.Flatten()(conv)))
    cost = model_cost.measure(model)
    conv_flops, dense_flops = 2 * 6 * 6 * 4 * 27, 2 * 144 * 5
    assert conv_flops + dense_flops <= cost.flops <= conv_flops + dense_flops + 2 * 144  # + the flatten's copy
    assert cost.parameters == 3 * 3 * 3 * 4 + 144 * 5 == model_cost.parameter_count(
        keras.saving.serialize_keras_object(model))


def test_the_shipped_model_fits_its_own_budget():
    if not config.SHIPPED_MODEL_PATH.exists():
        pytest.skip("no shipped model")
    cost = model_cost.measure(serving.load_model(config.SHIPPED_MODEL_PATH))
    assert cost.flops * 2 == pytest.approx(config.MAX_MODEL_FLOPS, rel=0.01)
    assert cost.activation_bytes * 2 == pytest.approx(config.MAX_MODEL_ACTIVATION_BYTES, rel=0.01)


def test_the_allow_list_check_is_pure_data():
    """check_config never imports or calls anything a config names: a dict in, a refusal or None out."""
    with pytest.raises(model_checks.ModelFileError):
        model_checks.check_config({"module": "os", "class_name": "system", "config": {}})
    with pytest.raises(model_checks.ModelFileError):
        model_checks.check_config([1, 2, 3])
