"""flower_demo.data.images: reading any picture a student gives, and the one path to model input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flower_demo import config
from flower_demo.data import images
from flower_demo.data.images import ImageError
from tests.image_corpus import BROKEN, UNUSUAL, encode, exif_rotated_jpeg, noise, png_header_claiming


def test_rgb_png_from_path_and_bytes(tmp_path):
    rgb = noise(30, 40)
    path = tmp_path / "photo.png"
    Image.fromarray(rgb).save(path)
    for source in (path, str(path), path.read_bytes()):
        loaded = images.load_image(source)
        assert loaded.dtype == np.uint8
        np.testing.assert_array_equal(loaded, rgb)


def test_rgba_is_composited_onto_white():
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 0)  # fully transparent red: white
    rgba[0, 1] = (0, 0, 255, 255)  # opaque blue
    rgba[0, 2] = (0, 0, 0, 128)  # half-transparent black: mid grey
    rgba[1, :] = (0, 200, 0, 64)
    loaded = images.load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    alpha = rgba[..., 3:4] / 255.0
    expected = rgba[..., :3] * alpha + 255 * (1 - alpha)
    assert loaded.shape == (2, 3, 3)
    assert np.abs(loaded.astype(float) - expected).max() <= 1
    np.testing.assert_array_equal(loaded[0, 0], (255, 255, 255))
    np.testing.assert_array_equal(loaded[0, 1], (0, 0, 255))


def test_greyscale_becomes_three_equal_channels():
    grey = noise(5, 7, channels=0)
    loaded = images.load_image(encode(Image.fromarray(grey, "L"), "PNG"))
    assert loaded.shape == (5, 7, 3)
    for channel in range(3):
        np.testing.assert_array_equal(loaded[..., channel], grey)


def test_palette_image():
    rgb = np.zeros((4, 6, 3), np.uint8)
    rgb[:, :3] = (10, 200, 30)
    rgb[:, 3:] = (250, 20, 90)
    palette = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    data = encode(palette, "PNG")
    assert Image.open(io.BytesIO(data)).mode == "P"
    np.testing.assert_array_equal(images.load_image(data), rgb)


def test_palette_with_transparency_is_composited_onto_white():
    palette = Image.new("P", (3, 1))
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.putpixel((0, 0), 0)
    palette.putpixel((1, 0), 1)
    palette.putpixel((2, 0), 0)
    loaded = images.load_image(encode(palette, "PNG", transparency=0))  # index 0 (red) is transparent
    np.testing.assert_array_equal(loaded[0], [(255, 255, 255), (0, 0, 255), (255, 255, 255)])


def test_16_bit_png_is_scaled_not_clipped_to_white():
    values = np.linspace(0, 65535, 12 * 10).round().astype(np.uint16).reshape(12, 10)
    data = encode(Image.fromarray(values), "PNG")
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")
    loaded = images.load_image(data)
    expected = np.round(values / 65535.0 * 255).astype(np.uint8)
    assert loaded.shape == (12, 10, 3)
    np.testing.assert_array_equal(loaded[..., 0], expected)
    np.testing.assert_array_equal(loaded[..., 2], expected)
    assert loaded.min() == 0 and loaded.max() == 255
    assert len(np.unique(loaded)) > 100  # a gradient, not a white sheet


def test_cmyk_jpeg():
    cmyk = Image.new("CMYK", (16, 8), (0, 255, 255, 0))  # no cyan, full magenta and yellow: red
    data = encode(cmyk, "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    loaded = images.load_image(data)
    assert loaded.shape == (8, 16, 3)
    assert np.abs(loaded.astype(int) - (255, 0, 0)).max() <= 8


def test_exif_orientation_6_is_shown_upright():
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :20] = (250, 0, 0)  # left half red
    rgb[:, 20:] = (0, 0, 250)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    data = encode(Image.fromarray(rgb), "JPEG", quality=95, exif=exif.tobytes())

    loaded = images.load_image(data)

    assert loaded.shape == (40, 20, 3)  # width and height swapped
    stored = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))  # the pixels as stored, unrotated
    assert stored.shape == (20, 40, 3)
    np.testing.assert_array_equal(loaded, np.rot90(stored, k=-1))  # a clockwise quarter turn
    assert loaded[:15, :, 0].mean() > 200 and loaded[25:, :, 2].mean() > 200  # red on top, blue below


def test_one_pixel_image():
    data = encode(Image.new("RGB", (1, 1), (12, 34, 56)), "PNG")
    loaded = images.load_image(data)
    np.testing.assert_array_equal(loaded, [[[12, 34, 56]]])
    prepared = images.prepare_for_model(loaded, 32)
    assert prepared.shape == (32, 32, 3)
    assert (prepared == (12, 34, 56)).all()


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError) as raised:
        images.load_image(path)
    assert raised.value.key == "error_empty"


def test_text_renamed_png_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not a picture\n" * 5)
    with pytest.raises(ImageError) as raised:
        images.load_image(path)
    assert raised.value.key == "error_not_image"


def test_truncated_jpeg_is_broken():
    data = encode(Image.fromarray(noise(60, 80)), "JPEG", quality=95)
    with pytest.raises(ImageError) as raised:
        images.load_image(data[: len(data) // 2])
    assert raised.value.key == "error_broken_image"


def test_more_pixels_than_the_limit_are_refused_before_decoding():
    side = int(config.MAX_DECODED_PIXELS ** 0.5) + 100  # over our limit, under PIL's own bomb limit
    with pytest.raises(ImageError) as raised:
        images.load_image(png_header_claiming(side, side))
    assert raised.value.key == "error_too_many_pixels"


def test_a_decompression_bomb_claim_is_refused():
    with pytest.raises(ImageError) as raised:
        images.load_image(png_header_claiming(100_000, 100_000))
    assert raised.value.key in ("error_too_many_pixels", "error_not_image")


def test_files_over_the_upload_limit_are_refused(monkeypatch):
    data = encode(Image.fromarray(noise(30, 40)), "PNG")
    monkeypatch.setattr(config, "MAX_UPLOAD_BYTES", len(data) - 1)
    with pytest.raises(ImageError) as raised:
        images.load_image(data)
    assert raised.value.key == "error_too_large_file"
    monkeypatch.setattr(config, "MAX_UPLOAD_BYTES", len(data))
    assert images.load_image(data).shape == (30, 40, 3)


@pytest.mark.parametrize("image_size", [17, 32, 64])
def test_prepare_for_model_matches_image_dataset_from_directory(tmp_path, image_size):
    import keras

    folder = tmp_path / "one"
    folder.mkdir()
    rgb = noise(30, 40, seed=image_size)
    Image.fromarray(rgb).save(folder / "photo.png")  # lossless: both decoders see the same pixels

    dataset = keras.utils.image_dataset_from_directory(folder, labels=None, image_size=(image_size, image_size),
                                                       batch_size=1, shuffle=False, verbose=False)
    reference = next(iter(dataset)).numpy()[0]

    prepared = images.prepare_for_model(images.load_image(folder / "photo.png"), image_size)
    assert prepared.shape == (image_size, image_size, 3)
    assert prepared.dtype == np.uint8
    np.testing.assert_array_equal(prepared, np.clip(np.round(reference), 0, 255).astype(np.uint8))


def test_to_rgb_conversions():
    grey = noise(3, 4, channels=0)
    np.testing.assert_array_equal(images.to_rgb(grey), np.repeat(grey[..., None], 3, axis=2))
    np.testing.assert_array_equal(images.to_rgb(grey[..., None]), np.repeat(grey[..., None], 3, axis=2))
    np.testing.assert_array_equal(images.to_rgb(np.full((2, 2, 3), 65535, np.uint16)), np.full((2, 2, 3), 255))
    np.testing.assert_array_equal(images.to_rgb(np.full((2, 2, 3), 0.5, np.float32)), np.full((2, 2, 3), 128))
    np.testing.assert_array_equal(images.to_rgb(np.full((2, 2, 3), 300.0)), np.full((2, 2, 3), 255))
    rgba = np.zeros((1, 2, 4), np.uint8)
    rgba[0, 1] = (0, 0, 0, 255)
    np.testing.assert_array_equal(images.to_rgb(rgba), [[(255, 255, 255), (0, 0, 0)]])


@pytest.mark.parametrize("shape", [(4, 4, 2), (4, 4, 5), (0, 4, 3), (4,), (2, 2, 2, 3)])
def test_to_rgb_refuses_shapes_that_are_not_pictures(shape):
    with pytest.raises(ImageError) as raised:
        images.to_rgb(np.zeros(shape, np.uint8))
    assert raised.value.key == "error_not_image"


def test_fit_within_downscales_only():
    rgb = noise(50, 100)
    small = images.fit_within(rgb, 40)
    assert small.shape == (20, 40, 3)
    np.testing.assert_array_equal(small, np.asarray(Image.fromarray(rgb).resize((40, 20), Image.Resampling.LANCZOS)))
    assert images.fit_within(rgb, 100) is rgb
    assert images.fit_within(rgb, 500) is rgb


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_the_unusual_corpus_loads_upright(name):
    _, make, (height, width) = UNUSUAL[name]
    loaded = images.load_image(make())
    assert loaded.shape == (height, width, 3) and loaded.dtype == np.uint8


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_broken_corpus_is_refused_with_its_key(name):
    _, make, key = BROKEN[name]
    with pytest.raises(ImageError) as raised:
        images.load_image(make())
    assert raised.value.key == key


# --- pictures over the full-decode budget (issue 33: a 77 KB 16-bit PNG cost ~1 GB a request) -------

_PEAK_SCRIPT = """
import json, sys
from flower_demo.data import images
def megabytes(field):
    return next(int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith(field))
data = open(sys.argv[1], "rb").read()
before = megabytes("VmRSS:")
try:
    answer = list(images.load_image(data).shape)
except images.ImageError as error:
    answer = error.key
print(json.dumps([megabytes("VmHWM:") - before, answer]))
"""
# Far under the 532 MB (JPEG) and 987 MB (16-bit PNG) that decoding a 39.7 MP picture whole cost,
# above the ~100 MB that a picture of MAX_FULL_DECODE_PIXELS at most costs.
PEAK_BOUND_MB = 200


def peak_of_loading(path) -> tuple[float, object]:
    """images.load_image(path) in a fresh process: (peak RSS above what it held before, in MB; shape or key)."""
    root = Path(__file__).resolve().parent.parent
    ran = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path)], cwd=root, capture_output=True,
                         text=True, timeout=120, check=True)
    return tuple(json.loads(ran.stdout))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux's /proc")
def test_a_40_megapixel_16_bit_png_is_refused_without_decoding(tmp_path):
    path = tmp_path / "bomb16.png"
    Image.new("I;16", (7300, 5440)).save(path)  # 39.7 MP in a 77 KB file, as the issue sent
    peak, answer = peak_of_loading(path)
    assert answer == "error_too_many_pixels"
    assert peak < PEAK_BOUND_MB


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux's /proc")
def test_a_40_megapixel_jpeg_is_decoded_at_half_scale_with_a_bounded_peak(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (7300, 5440), (90, 140, 60)).save(path, quality=90)
    peak, answer = peak_of_loading(path)
    assert answer == [2720, 3650, 3]  # libjpeg's 1/2 scale: 9.9 MP, under MAX_FULL_DECODE_PIXELS
    assert peak < PEAK_BOUND_MB


def smooth_picture(height: int, width: int) -> np.ndarray:
    """Gradients: a reduced JPEG decode and a full decode shrunk afterwards agree on them closely."""
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack([rows * 255 // height, cols * 255 // width, (rows + cols) * 255 // (height + width)],
                    axis=2).astype(np.uint8)


@pytest.mark.parametrize("budget, scale", [(10_000, 2), (2_500, 4), (600, 8)])
def test_a_jpeg_over_the_budget_is_decoded_at_the_largest_scale_that_fits(monkeypatch, budget, scale):
    rgb = smooth_picture(160, 240)  # 38,400 pixels
    data = encode(Image.fromarray(rgb), "JPEG", quality=95)
    monkeypatch.setattr(config, "MAX_FULL_DECODE_PIXELS", budget)
    loaded = images.load_image(data)
    assert loaded.shape == (160 // scale, 240 // scale, 3)
    assert loaded.shape[0] * loaded.shape[1] <= budget
    shrunk = np.asarray(Image.fromarray(rgb).reduce(scale), np.int16)
    assert np.abs(loaded.astype(np.int16) - shrunk).mean() < 3  # the same picture, smaller


def test_a_reduced_jpeg_is_still_turned_upright(monkeypatch):
    monkeypatch.setattr(config, "MAX_FULL_DECODE_PIXELS", 200)  # the 20x40 picture decodes at half scale
    assert images.load_image(exif_rotated_jpeg()).shape == (20, 10, 3)


def test_a_jpeg_even_an_eighth_of_which_is_over_the_budget_is_refused(monkeypatch):
    monkeypatch.setattr(config, "MAX_FULL_DECODE_PIXELS", 599)  # 1/8 of 240x160 is 600 pixels
    with pytest.raises(ImageError) as raised:
        images.load_image(encode(Image.fromarray(smooth_picture(160, 240)), "JPEG"))
    assert raised.value.key == "error_too_many_pixels"


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "BMP", "WEBP"])
def test_other_formats_over_the_budget_are_refused(monkeypatch, fmt):
    data = encode(Image.fromarray(smooth_picture(160, 240)), fmt)
    monkeypatch.setattr(config, "MAX_FULL_DECODE_PIXELS", 160 * 240 - 1)
    with pytest.raises(ImageError) as raised:
        images.load_image(data)
    assert raised.value.key == "error_too_many_pixels"
    monkeypatch.setattr(config, "MAX_FULL_DECODE_PIXELS", 160 * 240)
    assert images.load_image(data).shape == (160, 240, 3)


def test_the_refusal_says_both_limits_in_both_languages():
    from flower_demo.i18n import translate

    assert "16 megap" in translate("error_too_many_pixels", "es") and "40" in translate("error_too_many_pixels", "es")
    assert "16 megap" in translate("error_too_many_pixels", "en") and "40" in translate("error_too_many_pixels", "en")
    assert (config.MAX_FULL_DECODE_PIXELS, config.MAX_DECODED_PIXELS) == (16_000_000, 40_000_000)


def test_16_bit_greyscale_is_converted_without_whole_picture_float_copies():
    """The old conversion held several float64 copies (8 bytes a pixel each): 92 MB for 4 MP."""
    grey = Image.fromarray(np.random.RandomState(0).randint(0, 65536, (2000, 2000)).astype(np.uint16))
    grey.load()
    tracemalloc.start()
    try:
        rgb = images._pil_to_rgb(grey)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(rgb[:, :, 0], np.round(np.asarray(grey) / 257.0).astype(np.uint8))
    assert peak < rgb.nbytes + 2 * grey.width * grey.height + 16 * 2**20  # the answer, the 16-bit values, bands
