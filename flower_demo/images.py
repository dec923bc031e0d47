"""Reading any picture a student gives us, and the one path from a picture to model input.

Every photo that reaches a model (a dataset file during training, an upload in the Classify tab,
a sample in a test) goes through `prepare_for_model`, so training and serving cannot drift apart.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from flower_demo import config
from flower_demo.errors import KeyedError


class ImageError(KeyedError, ValueError):
    """A picture we refuse."""


def _pil_to_rgb(image: Image.Image) -> np.ndarray:
    """Converts any PIL mode to an (H, W, 3) uint8 array, compositing transparency onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: PIL's convert("RGB") would clip to white, so scale to 8 bits ourselves.
        # "I" (32-bit) holds either 16-bit or 8-bit data; only its values can tell which.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode != "I" or values.max() > 255 else 255.0
        grey = np.clip(np.round(values * 255.0 / top), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        values = np.nan_to_num(values)
        span = values.max() - values.min()
        grey = np.zeros(values.shape, np.uint8) if span == 0 else ((values - values.min()) / span * 255).round()
        return np.repeat(grey.astype(np.uint8)[:, :, None], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    return np.asarray(image.convert("RGB"))


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
            image.load()
            image = ImageOps.exif_transpose(image)
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
