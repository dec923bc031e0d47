"""Reading any picture a student gives us, and the one path from a picture to model input.

Every photo that reaches a model (a dataset file during training, an upload in the Classify tab,
a sample in a test) goes through `prepare_for_model`, so training and serving cannot drift apart.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from flower_demo import config
from flower_demo.errors import KeyedError


class ImageError(KeyedError, ValueError):
    """A picture we refuse."""


# Rows converted at a time from 16-bit, 32-bit or float greyscale: the float64 working copies stay
# ~2 MB each whatever the picture's size, where whole-picture copies of a 16 MP picture took 128 MB each.
_GREY_BAND_PIXELS = 1 << 18


def _bands(values: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, float64 copy) of each band of rows of an (H, W) greyscale picture."""
    rows = max(1, _GREY_BAND_PIXELS // max(1, values.shape[1]))
    for start in range(0, values.shape[0], rows):
        yield start, values[start : start + rows].astype(np.float64)


def _grey_to_rgb(values: np.ndarray, to_uint8: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """(H, W) greyscale values to (H, W, 3) uint8, `to_uint8` applied to each band's float64 values."""
    rgb = np.empty((*values.shape, 3), np.uint8)
    for start, band in _bands(values):
        rgb[start : start + len(band)] = to_uint8(band)[:, :, None]
    return rgb


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
    """Converts any PIL mode to an (H, W, 3) uint8 array, compositing transparency onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: PIL's convert("RGB") would clip to white, so scale to 8 bits ourselves.
        # "I" (32-bit) holds either 16-bit or 8-bit data; only its values can tell which.
        values = np.asarray(image)
        top = 65535.0 if image.mode != "I" or values.max() > 255 else 255.0
        return _grey_to_rgb(values, lambda band: np.clip(np.round(band * 255.0 / top), 0, 255).astype(np.uint8))
    if image.mode == "F":
        values = np.asarray(image)
        # Extremes as np.nan_to_num makes them in float64: NaN counts as 0, infinity as float64's largest.
        low, high = np.inf, -np.inf
        for _, band in _bands(values):
            band = np.nan_to_num(band)
            low, high = min(low, band.min()), max(high, band.max())
        span = high - low
        if span == 0:
            return np.zeros((*values.shape, 3), np.uint8)
        return _grey_to_rgb(values, lambda band: ((np.nan_to_num(band) - low) / span * 255).round().astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    # convert() copies even an RGB picture: a JPEG's pixels are read as they are.
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def _draft_within_budget(image: Image.Image) -> None:
    """Asks a JPEG's decoder for the largest of 1/2, 1/4 or 1/8 scale that fits MAX_FULL_DECODE_PIXELS.

    `draft` picks the largest reduction whose picture is at least the size asked for, so asking for
    exactly the sides a scale gives gets that scale. Formats without a reduced decode ignore it.
    """
    width, height = image.size
    for scale in (2, 4, 8):
        if -(-width // scale) * -(-height // scale) <= config.MAX_FULL_DECODE_PIXELS:
            image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))
            return


def load_image(source: str | Path | bytes) -> np.ndarray:
    """Reads an image file (or its bytes) into an upright (H, W, 3) uint8 RGB array.

    Args:
        source: a path or the file's bytes.

    Returns:
        The pixels, EXIF orientation applied, transparency composited onto white.

    Raises:
        ImageError: `error_empty`, `error_too_large_file`, `error_not_image`, `error_too_many_pixels`
            or `error_broken_image`.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data:
        raise ImageError("error_empty")
    if len(data) > config.MAX_UPLOAD_BYTES:
        raise ImageError("error_too_large_file", f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            # PIL warns (and only raises past twice its limit); we check the size ourselves below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > config.MAX_DECODED_PIXELS:
                raise ImageError("error_too_many_pixels", f"{width}x{height}")
            if width * height > config.MAX_FULL_DECODE_PIXELS:
                _draft_within_budget(image)  # a JPEG shrinks while it decodes; nothing else can
                if image.size[0] * image.size[1] > config.MAX_FULL_DECODE_PIXELS:
                    raise ImageError("error_too_many_pixels", f"{width}x{height} {image.format}")
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # not a copy of the whole picture when upright
            return _pil_to_rgb(image)
    except ImageError:
        raise
    except Image.DecompressionBombError as error:  # PIL's own, larger limit, checked at open
        raise ImageError("error_too_many_pixels", str(error)) from error
    except UnidentifiedImageError as error:
        raise ImageError("error_not_image", str(error)) from error
    except (OSError, ValueError, SyntaxError) as error:  # truncated or corrupt data
        raise ImageError("error_broken_image", str(error)) from error


def to_rgb(array: np.ndarray) -> np.ndarray:
    """Turns a greyscale, RGB or RGBA array of any common dtype into (H, W, 3) uint8 RGB.

    Raises:
        ImageError: `error_not_image` for shapes that are not a picture.
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape:
        raise ImageError("error_not_image", f"shape {array.shape}")
    if array.dtype == np.uint8:
        pixels = array
    elif array.dtype == np.uint16:
        pixels = (array.astype(np.uint32) * 255 // 65535).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating) and np.nanmax(array) <= 1.0:
        pixels = np.clip(np.round(np.nan_to_num(array) * 255), 0, 255).astype(np.uint8)
    else:
        pixels = np.clip(np.round(np.nan_to_num(array.astype(np.float64))), 0, 255).astype(np.uint8)
    if pixels.ndim == 2:
        return np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.shape[2] == 4:
        alpha = pixels[:, :, 3:4].astype(np.float32) / 255.0
        blended = pixels[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
        return np.round(blended).astype(np.uint8)
    return pixels


def fit_within(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Downscales (never upscales) so that neither side exceeds `max_side`, keeping the aspect ratio."""
    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def prepare_for_model(rgb: np.ndarray, image_size: int) -> np.ndarray:
    """The one preprocessing path: RGB pixels to a model's (image_size, image_size, 3) uint8 input.

    Bilinear resize without keeping the aspect ratio, as `image_dataset_from_directory` does, then
    rounded back to uint8 so decoded photos can be cached compactly. The model rescales to 0-1 itself.
    """
    import tensorflow as tf  # lazy: the Kernels tab and the page never wait for TensorFlow

    resized = tf.image.resize(rgb, (image_size, image_size), method="bilinear", antialias=False)
    return np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)
