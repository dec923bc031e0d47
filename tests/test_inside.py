"""flower_demo.look.inside: feature maps, learned filters and Grad-CAM, each against an independent reference."""

from __future__ import annotations

import dataclasses
import gc
import weakref

import numpy as np
import pytest

from flower_demo import config
from flower_demo.look import inside, kernels, plots
from flower_demo.model import networks, serving
from flower_demo.recipes import PRESETS
from tests.fake_flowers import synthetic_photo

SIZE = 48


def network(architecture: str, seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    preset = {"tutorial": "seed", "compact": "live", "flower_cnn": "flower_cnn"}[architecture]
    train_config = dataclasses.replace(PRESETS[preset], image_size=SIZE, progressive_sizes=())
    return networks.build_model(train_config)


def layer_output(model, layer, pixels: np.ndarray) -> np.ndarray:
    """The reference: a sub-model from the model's input to that layer's output, called directly."""
    import keras

    return np.asarray(keras.Model(model.input, layer.output)(pixels, training=False))


EXPECTED_STAGES = {"tutorial": ("Conv2D", 3), "compact": ("ReLU", 4), "flower_cnn": ("ReLU", 5)}


@pytest.mark.parametrize("architecture", sorted(EXPECTED_STAGES))
def test_stages_are_what_each_block_hands_on(architecture):
    kind, count = EXPECTED_STAGES[architecture]
    found = inside.stages(network(architecture))
    assert [type(layer).__name__ for layer in found] == [kind] * count
    sides = [layer.output.shape[1] for layer in found]
    assert sides == sorted(sides, reverse=True)  # each stage smaller than the one before


@pytest.mark.parametrize("architecture", sorted(EXPECTED_STAGES))
def test_stages_found_by_name_are_those_found_by_structure(architecture):
    model = network(architecture)
    named = networks.stage_layers(model)
    count = EXPECTED_STAGES[architecture][1]
    expected = ["stem"] + [f"stage{n}" for n in range(1, count)] if architecture == "flower_cnn" else \
        [f"stage{n}" for n in range(1, count + 1)]
    assert list(named) == expected
    assert inside.stages(model) == list(named.values()) == inside.stages_by_structure(model)


def test_a_network_without_our_names_is_looked_at_by_structure():
    model = colour_model()  # Keras' default names, as in an older file or a student's own .keras
    assert networks.stage_layers(model) == {}
    assert inside.stages(model) == inside.stages_by_structure(model) == [model.layers[2]]


@pytest.mark.parametrize("architecture", sorted(EXPECTED_STAGES))
def test_feature_maps_equal_the_layers_outputs_strongest_first(architecture):
    model = network(architecture)
    rgb = synthetic_photo("roses", 2, size=(SIZE, SIZE))
    pixels = rgb[None].astype(np.float32)
    result = inside.feature_maps(model, rgb, per_stage=5)
    assert len(result) == EXPECTED_STAGES[architecture][1]
    for stage, layer in zip(result, inside.stages(model)):
        reference = layer_output(model, layer, pixels)[0]
        assert stage.layer == layer.name and stage.shape == reference.shape
        means = reference.mean(axis=(0, 1))
        assert list(stage.channels) == list(np.argsort(-means, kind="stable")[:5])
        np.testing.assert_allclose(stage.maps, reference[:, :, list(stage.channels)], rtol=1e-4, atol=1e-4)


def test_a_mirror_averaged_model_shows_its_networks_maps_and_filters():
    plain = network("flower_cnn")
    wrapped = networks.with_mirror_average(plain)
    assert networks.unwrap(wrapped) is plain and inside.is_mirror_averaged(wrapped)
    assert networks.unwrap(plain) is plain and not inside.is_mirror_averaged(plain)
    rgb = synthetic_photo("tulips", 1, size=(SIZE, SIZE))
    for ours, theirs in zip(inside.feature_maps(wrapped, rgb), inside.feature_maps(plain, rgb)):
        np.testing.assert_allclose(ours.maps, theirs.maps, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(inside.learned_filters(wrapped).weights, inside.learned_filters(plain).weights)


@pytest.mark.parametrize("architecture", sorted(EXPECTED_STAGES))
def test_learned_filters_are_the_first_convolutions_weights(architecture):
    import keras

    model = network(architecture)
    first = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    filters = inside.learned_filters(model)
    np.testing.assert_array_equal(filters.weights, first.get_weights()[0])
    assert filters.layer == first.name and filters.weights.shape[:3] == (3, 3, 3)
    assert filters.strides == ((2, 2) if architecture == "flower_cnn" else (1, 1))


@pytest.mark.parametrize("scale", [0.3, 2.5, -1.7])
def test_closest_kernel_finds_a_scaled_sobel_x(scale):
    rng = np.random.default_rng(0)
    kernel = scale * kernels.KERNELS["sobel_x"] + rng.normal(0, 0.05 * abs(scale), (3, 3))
    name, similarity = inside.closest_kernel(kernel)
    assert name == "sobel_x"
    assert abs(similarity) > 0.95 and np.sign(similarity) == np.sign(scale)


def test_closest_kernel_cosine_and_shape_rules():
    name, similarity = inside.closest_kernel(kernels.KERNELS["blur"] * 7)
    assert name == "blur" and similarity == pytest.approx(1.0)
    expected = float(np.dot(kernels.KERNELS["edge"].ravel(), kernels.KERNELS["sharpen"].ravel())
                     / np.linalg.norm(kernels.KERNELS["edge"]) / np.linalg.norm(kernels.KERNELS["sharpen"]))
    assert inside.closest_kernel(kernels.KERNELS["edge"], {"sharpen": kernels.KERNELS["sharpen"]})[1] == \
        pytest.approx(expected)
    with pytest.raises(inside.InspectError):
        inside.closest_kernel(np.ones((5, 5), np.float32))


def test_grey_version_is_what_the_filter_does_to_a_grey_photo():
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(3, 3, 3)).astype(np.float32)
    grey = rng.integers(0, 256, (20, 20)).astype(np.float32)
    rgb = np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8)
    expected = kernels.correlate(grey[:, :, None] / 255.0, inside.grey_version(weights))[:, :, 0]
    np.testing.assert_allclose(inside.apply_learned_filter(rgb, weights), expected, rtol=1e-4, atol=1e-4)


def test_apply_learned_filter_matches_keras_conv():
    import keras

    rng = np.random.default_rng(2)
    weights = rng.normal(size=(3, 3, 3)).astype(np.float32)
    rgb = rng.integers(0, 256, (17, 23, 3)).astype(np.uint8)
    reference = keras.ops.conv(rgb[None].astype(np.float32) / 255.0, weights[..., None], padding="same")
    np.testing.assert_allclose(inside.apply_learned_filter(rgb, weights), np.asarray(reference)[0, :, :, 0],
                               rtol=1e-4, atol=1e-4)


def colour_model():
    """Two classes whose evidence is known: class 0 counts red pixels, class 1 blue ones."""
    import keras
    from keras import layers

    pixels = keras.Input((32, 32, 3))
    detectors = layers.Conv2D(2, 1, activation="relu")  # channel 0: R - G - B, channel 1: B - R - G
    maps = detectors(layers.Rescaling(1 / 255)(pixels))
    head = layers.Dense(2)
    model = keras.Model(pixels, head(layers.GlobalAveragePooling2D()(maps)))
    detectors.set_weights([np.array([[[[1, -1], [-1, -1], [-1, 1]]]], np.float32), np.zeros(2, np.float32)])
    head.set_weights([10 * np.eye(2, dtype=np.float32), np.zeros(2, np.float32)])
    return model


def red_and_blue_photo(red_size: int = 8) -> np.ndarray:
    photo = np.zeros((32, 32, 3), np.uint8)
    photo[2 : 2 + red_size, 2 : 2 + red_size, 0] = 255  # red, top-left
    photo[22:28, 22:28, 2] = 255  # blue, bottom-right
    return photo


@pytest.mark.parametrize("mirror", [False, True], ids=["plain", "mirror-averaged"])
def test_grad_cam_puts_the_evidence_where_the_class_is(mirror):
    model = colour_model()
    model = networks.with_mirror_average(model) if mirror else model
    photo = red_and_blue_photo()
    red = inside.grad_cam(model, photo, 0)
    blue = inside.grad_cam(model, photo, 1)
    assert red.class_index == 0 and blue.class_index == 1
    assert red.heatmap.shape == (32, 32) and red.heatmap.max() == pytest.approx(1.0)
    assert red.heatmap[:16, :16].sum() / red.heatmap.sum() > 0.95
    assert blue.heatmap[16:, 16:].sum() / blue.heatmap.sum() > 0.95
    # The photo has more red than blue: the model's own answer is red, and its probabilities are softmax.
    answer = inside.grad_cam(model, photo)
    assert answer.class_index == 0
    np.testing.assert_allclose(answer.heatmap, red.heatmap)
    np.testing.assert_allclose(answer.probabilities, serving.predict_probabilities(model, photo), rtol=1e-5)


def test_grad_cam_refuses_a_class_the_model_does_not_have():
    with pytest.raises(inside.InspectError):
        inside.grad_cam(colour_model(), red_and_blue_photo(), 2)


def test_a_forgotten_model_leaves_no_traced_view_behind():
    model = colour_model()
    inside.grad_cam(model, red_and_blue_photo())
    inside.feature_maps(model, red_and_blue_photo())
    assert set(serving._traced[model]) == {"grad_cam", "stages"}
    forgotten = weakref.ref(model)
    del model
    gc.collect()
    assert forgotten() is None  # the traced views did not keep a student's model alive


def test_shipped_model_views():
    shipped = serving.shipped_model()
    assert shipped is not None
    rgb = synthetic_photo("sunflowers", 0, size=(500, 375))
    maps = inside.feature_maps(shipped, rgb, per_stage=8)
    assert [stage.shape[2] for stage in maps] == [32, 48, 96, 192, 320]
    cam = inside.grad_cam(shipped, rgb)
    assert cam.heatmap.shape == maps[-1].shape[:2] and 0 <= cam.heatmap.min() and cam.heatmap.max() <= 1
    np.testing.assert_allclose(cam.probabilities, serving.predict_probabilities(shipped, rgb), rtol=1e-4, atol=1e-6)
    assert cam.class_index == int(np.argmax(cam.probabilities))
    assert len(config.CLASS_NAMES) == cam.probabilities.size


def test_pictures_of_the_insides():
    maps = np.random.default_rng(3).random((6, 6, 3)).astype(np.float32)
    sheet = plots.feature_map_sheet([("Stage 1 · 6 × 6 × 3", maps, (4, 0, 2))], columns=12, tile=72)
    assert sheet.dtype == np.uint8 and sheet.shape[1] == 12 * 76 - 4 and sheet.shape[2] == 3
    zero_filter = plots.filter_picture(np.zeros((3, 3, 3), np.float32))
    assert zero_filter.shape[0] == zero_filter.shape[1]
    assert set(np.unique(zero_filter[:60, :60])) <= {127, 128}  # a zero weight is mid-grey
    weights = np.random.default_rng(4).normal(size=(3, 3, 3, 10)).astype(np.float32)
    filters = plots.filter_sheet(weights, [f"#{i} ≈ Sobel X\n+0.50" for i in range(10)])
    width, height = plots.FILTER_CELL
    assert filters.shape == (3 * height, plots.FILTER_COLUMNS * width, 3)  # three rows of four
    assert [plots.filter_at(x, y, 10) for x, y in ((5, 5), (width - 1, height - 1), (width, 0), (width + 2, 2 * height + 5),
                                                  (2 * width + 5, 2 * height + 5), (-1, 3))] == [0, 0, 1, 9, None, None]
    photo = synthetic_photo("daisy", 0, size=(40, 30))
    np.testing.assert_array_equal(plots.saliency_overlay(photo, np.ones((4, 4), np.float32), 0.0), photo)
    hot = plots.saliency_overlay(photo, np.ones((4, 4), np.float32), 1.0)
    assert hot.shape == photo.shape and hot[..., 0].mean() > 200  # inferno's hot end is near white-yellow
