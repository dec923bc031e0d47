"""flower_demo.look.kernels against TensorFlow's convolution, the reference a Conv2D layer runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from PIL import Image

from flower_demo.look import kernels
from flower_demo.look.kernels import KernelError


def random_channels(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randint(0, 256, (height, width, channels)).astype(np.float32)


def tf_per_channel(channels: np.ndarray, kernel: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """Each channel convolved on its own with tf.nn.conv2d and a (k, k, 1, 1) filter."""
    weights = tf.constant(kernel[:, :, None, None], tf.float32)
    outputs = [
        tf.nn.conv2d(tf.constant(channels[None, :, :, c : c + 1], tf.float32), weights, stride, padding.upper())
        for c in range(channels.shape[2])
    ]
    return np.concatenate([output.numpy()[0] for output in outputs], axis=2)


def tf_one_filter(channels: np.ndarray, kernel: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """One Conv2D filter with the same kernel on every input channel: a (k, k, C, 1) filter."""
    weights = np.repeat(kernel[:, :, None, None], channels.shape[2], axis=2)
    output = tf.nn.conv2d(tf.constant(channels[None]), tf.constant(weights), stride, padding.upper())
    return output.numpy()[0, :, :, 0]


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel_size", [3, 5])
@pytest.mark.parametrize("height,width", [(13, 17), (7, 10), (5, 5)])
def test_correlate_matches_tf_conv2d(height, width, kernel_size, stride, padding):
    channels = random_channels(height, width, seed=height * width)
    kernel = np.random.RandomState(kernel_size).uniform(-2, 2, (kernel_size, kernel_size)).astype(np.float32)

    ours = kernels.correlate(channels, kernel, stride, padding)

    expected = tf_per_channel(channels, kernel, stride, padding)
    assert ours.shape == expected.shape
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-2)


def test_correlate_does_not_flip_the_kernel():
    """Cross-correlation, as Conv2D: sobel_x is positive where the image brightens to the right."""
    step = np.zeros((5, 6, 1), np.float32)
    step[:, 3:] = 255
    response = kernels.correlate(step, kernels.KERNELS["sobel_x"])
    assert response[2, 2, 0] == pytest.approx(4 * 255)
    assert response[2, 3, 0] == pytest.approx(4 * 255)
    assert response[2, 0, 0] == 0


def test_correlate_single_channel_grey():
    channels = random_channels(9, 11, channels=1, seed=3)
    kernel = kernels.KERNELS["emboss"]
    np.testing.assert_allclose(kernels.correlate(channels, kernel, 2, "same"),
                               tf_per_channel(channels, kernel, 2, "same"), rtol=1e-5, atol=1e-2)


@pytest.mark.parametrize("stride,padding", [(1, "same"), (2, "same"), (3, "valid"), (2, "valid")])
def test_explain_pixel_total_is_one_conv2d_filter(stride, padding):
    channels = random_channels(11, 14, seed=7)
    kernel = np.random.RandomState(1).uniform(-1, 1, (3, 3)).astype(np.float32)
    reference = tf_one_filter(channels, kernel, stride, padding)
    per_channel = kernels.correlate(channels, kernel, stride, padding)
    out_h, out_w = reference.shape

    for row, col in [(0, 0), (out_h - 1, out_w - 1), (out_h // 2, 1), (1, out_w // 2)]:
        explained = kernels.explain_pixel(channels, kernel, row, col, stride, padding)
        assert (explained["row"], explained["col"]) == (row, col)
        assert explained["output_shape"] == (out_h, out_w)
        assert explained["patches"].shape == (3, 3, 3)
        np.testing.assert_allclose(explained["products"], explained["patches"] * kernel[None], rtol=1e-6)
        np.testing.assert_allclose(explained["sums"], per_channel[row, col], rtol=1e-5, atol=1e-2)
        assert explained["total"] == pytest.approx(float(explained["sums"].sum()), rel=1e-6)
        assert explained["total"] == pytest.approx(float(reference[row, col]), rel=1e-5, abs=1e-2)


def test_explain_pixel_clamps_row_and_column_into_the_output():
    channels = random_channels(8, 9, seed=2)
    kernel = kernels.KERNELS["blur"]
    low = kernels.explain_pixel(channels, kernel, -5, -1)
    high = kernels.explain_pixel(channels, kernel, 10**6, 10**6, stride=2)
    assert (low["row"], low["col"]) == (0, 0)
    assert (high["row"], high["col"]) == (3, 4)  # ceil(8 / 2) - 1, ceil(9 / 2) - 1


def test_preset_weights():
    presets = kernels.KERNELS
    np.testing.assert_array_equal(presets["identity"], np.pad([[1.0]], 1))
    np.testing.assert_allclose(presets["blur"], np.full((3, 3), 1 / 9), rtol=1e-6)
    np.testing.assert_allclose(presets["gaussian_blur"], np.outer([1, 2, 1], [1, 2, 1]) / 16, rtol=1e-6)
    np.testing.assert_array_equal(presets["sobel_y"], presets["sobel_x"].T)
    assert presets["sharpen"].sum() == pytest.approx(1)  # keeps the average brightness
    for name in ("edge", "sobel_x", "sobel_y"):
        assert presets[name].sum() == 0  # flat regions give no response
    assert set(kernels.KERNEL_CHOICES) == set(presets) | {kernels.CUSTOM}


def test_identity_leaves_the_image_unchanged():
    rgb = random_channels(9, 12, seed=4).astype(np.uint8)
    for mode, expected in (("color", rgb), ("grey", None)):
        channels = kernels.to_channels(rgb, mode)
        response = kernels.correlate(channels, kernels.KERNELS["identity"])
        np.testing.assert_array_equal(response, channels)
        if expected is not None:
            shown = kernels.to_display(response, kernels.display_mapping("identity", kernels.KERNELS["identity"]))
            np.testing.assert_array_equal(shown, expected)


@pytest.mark.parametrize("name", sorted(kernels.KERNELS))
@pytest.mark.parametrize("mode", ["color", "grey"])
def test_preset_display_matches_tf(name, mode):
    rgb = random_channels(12, 15, seed=5).astype(np.uint8)
    channels = kernels.to_channels(rgb, mode)
    kernel = kernels.KERNELS[name]
    mapping = kernels.display_mapping(name, kernel)
    assert mapping == (kernels.DISPLAY_ABS if name in ("edge", "sobel_x", "sobel_y") else kernels.DISPLAY_CLIP)

    shown = kernels.to_display(kernels.correlate(channels, kernel), mapping)

    reference = tf_per_channel(channels, kernel, 1, "same")
    if mapping == kernels.DISPLAY_ABS:
        reference = np.abs(reference)
    reference = np.clip(np.round(reference), 0, 255)
    if mode == "grey":
        reference = reference[:, :, 0]
    assert shown.dtype == np.uint8
    assert shown.shape == reference.shape
    # float32 sums in another order may land on the other side of .5: at most one level apart
    assert np.abs(shown.astype(np.int16) - reference.astype(np.int16)).max() <= 1


def test_display_mapping_of_custom_kernels():
    assert kernels.display_mapping(kernels.CUSTOM, np.array([[0, 0, 0], [-1, 0, 1], [0, 0, 0]], np.float32)) == "abs"
    assert kernels.display_mapping(kernels.CUSTOM, np.full((3, 3), 1 / 9, np.float32)) == "clip"


def test_to_display_abs_and_clip():
    response = np.array([[[-300.0], [-20.4], [20.6], [300.0]]], np.float32)
    np.testing.assert_array_equal(kernels.to_display(response, "abs"), [[255, 20, 21, 255]])
    np.testing.assert_array_equal(kernels.to_display(response, "clip"), [[0, 0, 21, 255]])


@pytest.mark.parametrize("cell,expected", [("0,5", 0.5), (" -2 ", -2.0), ("1e2", 100.0), (3, 3.0), ("-1000", -1000.0)])
def test_parse_custom_kernel_accepts_numbers(cell, expected):
    grid = [[0, 0, 0], [0, cell, 0], [0, 0, 0]]
    parsed = kernels.parse_custom_kernel(grid)
    assert parsed.dtype == np.float32
    assert parsed.shape == (3, 3)
    assert parsed[1, 1] == pytest.approx(expected)
    assert np.count_nonzero(parsed) == 1


def test_parse_custom_kernel_accepts_a_5x5_dataframe():
    frame = pd.DataFrame(np.arange(25).reshape(5, 5).astype(str))
    np.testing.assert_array_equal(kernels.parse_custom_kernel(frame), np.arange(25).reshape(5, 5))


@pytest.mark.parametrize("cell", ["", "   ", "abc", "nan", float("nan"), "inf", "-inf", float("inf"), None, "1001",
                                  "1e9"])
def test_parse_custom_kernel_refuses_bad_cells(cell):
    grid = [["1", "1", "1"], ["1", cell, "1"], ["1", "1", "1"]]
    with pytest.raises(KernelError) as raised:
        kernels.parse_custom_kernel(grid)
    assert raised.value.key == "error_kernel_value"
    assert "row 2, column 2" in str(raised.value)


@pytest.mark.parametrize("rows", [
    [[1] * 4] * 4,  # 4x4
    [[1] * 2] * 2,
    [[1, 1, 1], [1, 1], [1, 1, 1]],  # ragged
    [[1, 1, 1, 1], [1, 1, 1], [1, 1, 1]],
    [[1, 1, 1]],
    [],
    None,
    5,
])
def test_parse_custom_kernel_refuses_bad_shapes(rows):
    with pytest.raises(KernelError) as raised:
        kernels.parse_custom_kernel(rows)
    assert raised.value.key == "error_kernel_shape"


def test_to_channels_grey_is_itu_601_luma():
    rgb = random_channels(6, 7, seed=9).astype(np.uint8)
    grey = kernels.to_channels(rgb, "grey")
    assert grey.shape == (6, 7, 1)
    assert grey.dtype == np.float32
    expected = 0.299 * rgb[..., 0].astype(np.float64) + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    np.testing.assert_allclose(grey[..., 0], expected, atol=1e-3)
    # PIL's "L" conversion uses the same weights (rounded to integers)
    pil_grey = np.asarray(Image.fromarray(rgb).convert("L"), np.float32)
    assert np.abs(np.round(grey[..., 0]) - pil_grey).max() <= 1


def test_to_channels_colour_keeps_the_pixels():
    rgb = random_channels(4, 5, seed=1).astype(np.uint8)
    channels = kernels.to_channels(rgb, "color")
    assert channels.dtype == np.float32
    np.testing.assert_array_equal(channels, rgb)


@pytest.mark.parametrize("call,key", [
    (lambda: kernels.to_channels(np.zeros((3, 3, 3), np.uint8), "rgb"), "error_setting"),
    (lambda: kernels.correlate(np.zeros((3, 3, 1), np.float32), np.ones((3, 3), np.float32), 0), "error_setting"),
    (lambda: kernels.correlate(np.zeros((3, 3, 1), np.float32), np.ones((3, 3), np.float32), 1, "full"),
     "error_setting"),
    (lambda: kernels.correlate(np.zeros((4, 9, 1), np.float32), np.ones((5, 5), np.float32), 1, "valid"),
     "error_image_too_small"),
])
def test_refused_settings(call, key):
    with pytest.raises(KernelError) as raised:
        call()
    assert raised.value.key == key


def test_apply_downscales_large_photos_and_records_the_original_size():
    rgb = random_channels(50, 80, seed=11).astype(np.uint8)
    result = kernels.apply(rgb, kernels.KERNELS["identity"], mode="color", max_side=40)
    assert result.original_size == (50, 80)
    assert result.channels.shape == (25, 40, 3)
    np.testing.assert_array_equal(result.response, result.channels)
    expected = np.asarray(Image.fromarray(rgb).resize((40, 25), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(result.channels, expected)
    assert result.low == float(result.response.min()) and result.high == float(result.response.max())
