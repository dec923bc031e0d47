"""flower_demo.model.networks, flower_demo.model.serving and recipes.clamp_config: networks, saving, predicting, limits."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from flower_demo import config, recipes
from flower_demo.model import networks, serving
from flower_demo.recipes import PRESETS, TrainConfig, clamp_config
from tests.fake_flowers import synthetic_photo


def small(train_config: TrainConfig, **changes) -> TrainConfig:
    return dataclasses.replace(train_config, image_size=64, **changes)


@pytest.mark.parametrize("architecture", sorted(networks.ARCHITECTURES))
def test_each_architecture(architecture):
    import keras

    network = networks.build_model(small(PRESETS["seed"], architecture=architecture))
    assert network.input_shape == (None, 64, 64, 3)
    assert network.output_shape == (None, len(config.CLASS_NAMES))
    first = network.layers[1]  # layers[0] is the InputLayer
    assert isinstance(first, keras.layers.Rescaling)
    assert first.scale == pytest.approx(1 / 255)
    assert networks.input_size(network) == 64
    assert network.optimizer is not None  # compiled


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset(preset):
    import keras

    train_config = small(PRESETS[preset])
    network = networks.build_model(train_config, steps_per_epoch=3)
    assert network.output_shape == (None, 5)
    assert network.name == preset
    assert isinstance(network.layers[1], keras.layers.Rescaling)
    has_dropout = any(isinstance(layer, keras.layers.Dropout) for layer in network.layers)
    assert has_dropout == bool(train_config.dropout)
    expected_loss = (keras.losses.CategoricalCrossentropy if train_config.soft_labels
                     else keras.losses.SparseCategoricalCrossentropy)
    assert isinstance(network.loss, expected_loss)
    expected_optimizer = keras.optimizers.AdamW if train_config.weight_decay else keras.optimizers.Adam
    assert type(network.optimizer) is expected_optimizer


def test_number_of_classes_and_unknown_architectures():
    assert networks.build_model(small(PRESETS["live"]), num_classes=3).output_shape == (None, 3)
    with pytest.raises(ValueError, match="Received: 'resnet'"):
        networks.build_model(small(PRESETS["live"], architecture="resnet"))


def test_save_and_load_round_trip(tmp_path):
    # A fixed input size, as a finished run hands out (a progressive run's network takes any size).
    network = networks.build_model(dataclasses.replace(PRESETS["live"], image_size=32, progressive_sizes=()))
    pixels = np.random.RandomState(0).randint(0, 256, (4, 32, 32, 3)).astype(np.float32)
    before = np.asarray(network(pixels, training=False))

    path = tmp_path / "nested" / "model.keras"
    serving.save_model(network, path)
    loaded = serving.load_model(path)

    assert sorted(p.name for p in path.parent.iterdir()) == ["model.keras"]  # no temporary file left
    np.testing.assert_allclose(np.asarray(loaded(pixels, training=False)), before, rtol=1e-6, atol=1e-6)
    assert networks.input_size(loaded) == 32


def test_load_model_refuses_lambda_layers(tmp_path):
    import keras

    inputs = keras.Input((4,))
    unsafe = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = tmp_path / "unsafe.keras"
    unsafe.save(path)
    with pytest.raises(ValueError, match="(?i)lambda|safe_mode"):
        serving.load_model(path)


def test_predict_probabilities_on_any_size():
    import keras

    network = networks.build_model(dataclasses.replace(PRESETS["seed"], image_size=32))
    rgb = np.random.RandomState(1).randint(0, 256, (50, 70, 3)).astype(np.uint8)

    probabilities = serving.predict_probabilities(network, rgb)

    assert probabilities.shape == (5,)
    assert (probabilities >= 0).all()
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    logits = np.asarray(network(keras.ops.convert_to_tensor(
        np.asarray(keras.ops.image.resize(rgb[None].astype(np.float32), (32, 32))).round()), training=False))[0]
    expected = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(probabilities, expected, rtol=1e-4, atol=1e-6)
    grey = serving.predict_probabilities(network, rgb[:, :, 0])
    assert grey.shape == (5,) and grey.sum() == pytest.approx(1.0, abs=1e-5)


def test_clamp_config_keeps_values_inside_the_limits():
    base = PRESETS["seed"]
    low = clamp_config(dataclasses.replace(base, epochs=0, image_size=8, batch_size=1, learning_rate=1e-9,
                                           validation_split=0.0))
    assert (low.epochs, low.image_size, low.batch_size) == (1, config.MIN_IMAGE_SIZE, config.MIN_BATCH_SIZE)
    assert (low.learning_rate, low.validation_split) == (config.MIN_LEARNING_RATE, config.MIN_VALIDATION_SPLIT)
    high = clamp_config(dataclasses.replace(base, epochs=10**6, image_size=5000, batch_size=10**4,
                                            learning_rate=5.0, validation_split=0.99), max_epochs=30)
    assert (high.epochs, high.image_size, high.batch_size) == (30, config.MAX_IMAGE_SIZE, config.MAX_BATCH_SIZE)
    assert (high.learning_rate, high.validation_split) == (config.MAX_LEARNING_RATE, config.MAX_VALIDATION_SPLIT)
    fractional = clamp_config(dataclasses.replace(base, epochs=3.7, image_size=100.9, batch_size=16.2))
    assert (fractional.epochs, fractional.image_size, fractional.batch_size) == (3, 100, 16)
    assert all(type(value) is int for value in (fractional.epochs, fractional.image_size, fractional.batch_size))
    assert clamp_config(base) == base  # the presets are inside the limits already
    for key, preset in PRESETS.items():
        assert clamp_config(preset, final_fit=True) == preset
        assert clamp_config(recipes.live_preset(key)) == recipes.live_preset(key)


def test_only_a_final_fit_trains_without_validation_photos():
    every_photo = dataclasses.replace(PRESETS["seed"], validation_split=0.0)
    assert clamp_config(every_photo, final_fit=True).validation_split == 0.0
    assert clamp_config(every_photo).validation_split == config.MIN_VALIDATION_SPLIT  # the app's limit
    assert clamp_config(dataclasses.replace(every_photo, validation_split=0.01), final_fit=True).validation_split \
        == config.MIN_VALIDATION_SPLIT
    # The shipped recipe's final fit validates on the usual split when a class trains it live.
    assert PRESETS["flower_cnn"].validation_split == 0.0
    live = recipes.live_preset("flower_cnn")
    assert live == dataclasses.replace(PRESETS["flower_cnn"], validation_split=config.VALIDATION_SPLIT)
    assert recipes.live_preset("live") is PRESETS["live"]


def test_epoch_sizes_end_at_the_served_size():
    staged = dataclasses.replace(PRESETS["seed"], image_size=64, progressive_sizes=(32, 48), epochs=6)
    assert staged.epoch_sizes() == (32, 32, 48, 48, 64, 64)  # equal parts, smallest first
    assert dataclasses.replace(staged, epochs=2).epoch_sizes() == (32, 64)
    assert dataclasses.replace(staged, epochs=1).epoch_sizes() == (64,)  # never ends below image_size
    assert PRESETS["seed"].epoch_sizes() == (180,) * 10
    clamped = clamp_config(dataclasses.replace(staged, image_size=40, progressive_sizes=(8, 48)))
    assert clamped.progressive_sizes == (config.MIN_IMAGE_SIZE, 40)


def test_a_progressive_network_takes_any_size_and_is_fixed_for_serving():
    network = networks.build_model(small(PRESETS["seed"], architecture="flower_cnn", progressive_sizes=(32,)))
    assert network.input_shape == (None, None, None, 3)
    pixels = np.random.RandomState(2).randint(0, 256, (2, 64, 64, 3)).astype(np.float32)
    assert network(pixels[:, :48, :48]).shape == (2, 5)
    fixed = networks.with_input_size(network, 64)
    assert fixed.input_shape == (None, 64, 64, 3) and networks.input_size(fixed) == 64
    np.testing.assert_allclose(np.asarray(fixed(pixels)), np.asarray(network(pixels)), atol=1e-5)
    assert networks.with_input_size(fixed, 64) is fixed


@pytest.mark.parametrize("field", ["epochs", "image_size", "batch_size", "learning_rate", "validation_split"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "10", None])
def test_clamp_config_refuses_values_that_are_not_numbers(field, value):
    with pytest.raises(ValueError, match="Expected finite numbers"):
        clamp_config(dataclasses.replace(PRESETS["live"], **{field: value}))


def test_the_mirror_average_is_the_mean_of_the_two_answers_and_loads_safely(tmp_path):
    import keras

    network = networks.build_model(small(PRESETS["live"]))
    averaged = networks.with_mirror_average(network)
    assert averaged.name == network.name and averaged.input_shape == network.input_shape
    assert averaged.count_params() == network.count_params()  # the same weights, looking twice
    pixels = np.random.RandomState(4).randint(0, 256, (3, 64, 64, 3)).astype(np.float32)
    expected = (np.asarray(network(pixels)) + np.asarray(network(pixels[:, :, ::-1]))) / 2
    np.testing.assert_allclose(np.asarray(averaged(pixels)), expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(np.asarray(network(pixels)), expected, atol=1e-4)  # the mirror does count

    path = tmp_path / "mirror.keras"
    serving.save_model(averaged, path)
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)  # plain Keras, no flower_demo code
    np.testing.assert_allclose(np.asarray(loaded(pixels)), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(loaded(pixels[:, :, ::-1])), expected, rtol=1e-5, atol=1e-5)


def test_summary_text_keeps_every_column():
    text = networks.summary_text(networks.build_model(dataclasses.replace(recipes.PRESETS["live"], image_size=64)))
    assert "Param #" in text and "Total params: 98,805" in text  # no column cut off by a narrow console


def test_the_shipped_model_keeps_its_contract():
    """assets/flower_cnn.keras: safe_mode loading, raw RGB in at its size, one score per class out.

    Its accuracy needs the dataset (docs/model-card.md); this checks what the app relies on.
    """
    assert config.SHIPPED_MODEL_PATH.stat().st_size < 10 * 1024 * 1024  # Spaces without LFS
    network = serving.load_model(config.SHIPPED_MODEL_PATH)
    size = PRESETS["flower_cnn"].image_size
    assert network.input_shape == (None, size, size, 3)
    assert network.output_shape == (None, len(config.CLASS_NAMES))
    # The recipe's network, called on the photo and on its mirror image (the mirror average):
    assert [type(layer).__name__ for layer in network.layers] == ["InputLayer", "Functional", "Average"]
    assert type(network.layers[1].layers[1]).__name__ == "Rescaling"  # raw 0-255 pixels in, rescaled inside
    for class_name in config.CLASS_NAMES:
        photo = synthetic_photo(class_name, 0, size=(90, 70))
        probabilities = serving.predict_probabilities(network, photo)
        assert probabilities.shape == (5,) and np.isfinite(probabilities).all()
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        mirrored = serving.predict_probabilities(network, photo[:, ::-1])
        np.testing.assert_allclose(mirrored, probabilities, atol=1e-4)  # float summation order only


def test_the_shipped_models_layers_have_the_networks_names():
    """The Classify tab's layer table and the Inside tab's captions name the stages: `stage2_out`, not `re_lu_4`."""
    network = serving.load_model(config.SHIPPED_MODEL_PATH)
    assert network.name == "flower_cnn" and [layer.name for layer in network.layers] == [
        "pixels", "flower_cnn", "mirror_average"]
    inner = networks.unwrap(network)
    names = [layer.name for layer in inner.layers]
    assert names[:6] == ["pixels", "rescaling", "stem_conv", "stem_bn", "stem_relu", "stem_pool"]
    assert {"stage1_conv1", "stage1_shortcut_conv", "stage1_add", "stage1_out", "stage4_pool"} <= set(names)
    assert names[-3:] == ["head_pool", "head_dropout", "logits"]
    assert list(networks.stage_layers(inner)) == ["stem", "stage1", "stage2", "stage3", "stage4"]
    # The recipe's network as built today, layer for layer and weight for weight:
    built = networks.build_model(dataclasses.replace(PRESETS["flower_cnn"], progressive_sizes=()))
    assert [layer.name for layer in built.layers] == names
    assert [w.shape for w in built.get_weights()] == [w.shape for w in inner.get_weights()]


def test_a_deeper_flower_cnn_stacks_named_blocks_and_its_stages_end_at_their_last():
    """stage_blocks/stage_widths (experiments/recipes.py's deeper candidates): each extra block is a
    whole residual block named after its stage, so the Inside tab still shows one map per stage."""
    deeper = networks.build_model(small(PRESETS["flower_cnn"], progressive_sizes=(), stage_blocks=(2, 1, 3, 1),
                                        stage_widths=(8, 16, 24, 32)))
    names = [layer.name for layer in deeper.layers]
    assert {"stage1_block2_conv1", "stage1_block2_add", "stage3_block2_out", "stage3_block3_out"} <= set(names)
    assert not any(name.startswith(("stage2_block", "stage4_block")) for name in names)
    # The first block of a stage changes the width (a projected shortcut); the later ones add the identity.
    assert "stage3_shortcut_conv" in names and "stage3_block2_shortcut_conv" not in names
    ends = networks.stage_layers(deeper)
    assert [ends[stage].name for stage in ("stage1", "stage2", "stage3", "stage4")] == [
        "stage1_block2_out", "stage2_out", "stage3_block3_out", "stage4_out"]
    assert ends["stage4"].output.shape[-1] == 32
    one_block = networks.build_model(small(PRESETS["flower_cnn"], progressive_sizes=()))
    convolutions = sum(isinstance(layer, type(one_block.get_layer("stem_conv"))) for layer in deeper.layers)
    assert convolutions == 1 + 2 * 7 + 4  # the stem, two per block, each stage's first shortcut

def test_flower_model_path_names_the_classify_tabs_default_model(tmp_path, monkeypatch):
    own = tmp_path / "teachers.keras"
    serving.save_model(networks.build_model(dataclasses.replace(PRESETS["live"], image_size=32)), own)
    monkeypatch.delenv(config.CLASSIFIER_ENV, raising=False)
    assert config.classifier_path() == config.SHIPPED_MODEL_PATH  # unset: the shipped model
    monkeypatch.setenv(config.CLASSIFIER_ENV, str(own))  # read when the model is first needed
    serving.shipped_model.cache_clear()
    try:
        assert serving.shipped_model().name == "live"
    finally:
        serving.shipped_model.cache_clear()


def test_a_crash_while_saving_keeps_the_previous_model(tmp_path, monkeypatch):
    network = networks.build_model(dataclasses.replace(PRESETS["live"], image_size=32))
    path = tmp_path / "model.keras"
    serving.save_model(network, path)
    before = path.read_bytes()

    def crash(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as half:
            half.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(type(network), "save", crash)
    with pytest.raises(KeyboardInterrupt):
        serving.save_model(network, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


@pytest.mark.slow
def test_saved_models_leave_the_optimizer_state_out(tmp_path):
    network = networks.build_model(dataclasses.replace(PRESETS["flower_cnn"], image_size=32))
    pixels = np.random.RandomState(2).randint(0, 256, (4, 32, 32, 3)).astype(np.float32)
    network.train_on_batch(pixels, np.eye(5, dtype=np.float32)[[0, 1, 2, 3]])  # Adam's moments now exist
    path = tmp_path / "trained.keras"
    serving.save_model(network, path)
    weight_bytes = 4 * network.count_params()
    assert path.stat().st_size < 1.2 * weight_bytes  # the weights once, not three times
    np.testing.assert_allclose(np.asarray(serving.load_model(path)(pixels, training=False)),
                               np.asarray(network(pixels, training=False)), rtol=1e-5, atol=1e-5)


def test_a_forgotten_model_frees_its_compiled_predictor():
    import gc
    import weakref

    network = networks.build_model(dataclasses.replace(PRESETS["live"], image_size=32, progressive_sizes=()))
    serving.predict_probabilities(network, np.zeros((8, 8, 3), np.uint8))
    assert network in serving._traced
    alive = weakref.ref(network)
    del network
    gc.collect()
    assert alive() is None  # nothing, the predictor cache included, keeps the model alive


def test_students_asking_for_the_shipped_model_at_once_load_it_once(monkeypatch):
    import threading

    loads = []
    started = threading.Event()

    def slow_load(path):
        loads.append(path)
        started.set()
        release.wait(10)
        return "the model"

    release = threading.Event()
    monkeypatch.setattr(serving, "load_model", slow_load)
    serving.shipped_model.cache_clear()
    answers = []
    try:
        students = [threading.Thread(target=lambda: answers.append(serving.shipped_model())) for _ in range(4)]
        for student in students:
            student.start()
        started.wait(10)
        release.set()
        for student in students:
            student.join(10)
    finally:
        serving.shipped_model.cache_clear()
    assert answers == ["the model"] * 4 and len(loads) == 1
