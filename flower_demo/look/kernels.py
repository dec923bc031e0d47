"""Kernels and the convolution a Conv2D layer computes, in plain NumPy so students can read it.

Semantics as Keras' Conv2D: cross-correlation (the kernel is not flipped), zero padding for
`same` (split as TensorFlow splits it), and a stride. In colour mode each channel is filtered with the
same kernel and kept separate (a picture you can look at); `explain_pixel` also shows the sum over
the three channels, which is what one Conv2D filter outputs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from flower_demo.data import images
from flower_demo.errors import KeyedError

KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32),
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32),  # Laplacian outline
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32),  # vertical edges
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float32),  # horizontal edges
    "blur": np.full((3, 3), 1 / 9, np.float32),  # box blur: the mean of the 3x3 patch
    "gaussian_blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32),
}
CUSTOM = "custom"
KERNEL_CHOICES = (*KERNELS, CUSTOM)
CUSTOM_SIZES = (3, 5)
MAX_ABS_WEIGHT = 1000.0  # larger weights only saturate the picture; they are refused as a typo

# How a response (any real number) becomes a 0-255 pixel. Edge kernels sum to zero, so their
# response is signed: showing its magnitude makes edges of both directions bright on black.
DISPLAY_CLIP = "clip"  # clip to 0-255 (blur, sharpen, emboss: the per-channel result itself)
DISPLAY_ABS = "abs"  # absolute value, clipped to 0-255 (edges)
_DISPLAY = {"edge": DISPLAY_ABS, "sobel_x": DISPLAY_ABS, "sobel_y": DISPLAY_ABS}

GREY_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 luma, as PIL's "L" mode


class KernelError(KeyedError, ValueError):
    """A kernel or setting we refuse."""


def parse_custom_kernel(rows) -> np.ndarray:
    """Turns a grid of cells (lists, a DataFrame) into a square float32 kernel of side 3 or 5.

    Raises:
        KernelError: `error_kernel_shape` or `error_kernel_value` (empty, text, NaN, infinite, huge).
    """
    if hasattr(rows, "to_numpy"):
        rows = rows.to_numpy().tolist()
    try:
        grid = [list(row) for row in rows]
    except TypeError as error:
        raise KernelError("error_kernel_shape", repr(rows)[:80]) from error
    side = len(grid)
    if side not in CUSTOM_SIZES or any(len(row) != side for row in grid):
        raise KernelError("error_kernel_shape", f"{side} rows")
    values = np.zeros((side, side), np.float32)
    for i, row in enumerate(grid):
        for j, cell in enumerate(row):
            try:
                value = float(str(cell).strip().replace(",", "."))
            except ValueError as error:
                raise KernelError("error_kernel_value", f"row {i + 1}, column {j + 1}: {cell!r}") from error
            if not math.isfinite(value) or abs(value) > MAX_ABS_WEIGHT:
                raise KernelError("error_kernel_value", f"row {i + 1}, column {j + 1}: {cell!r}")
            values[i, j] = value
    return values


def display_mapping(kernel_name: str, kernel: np.ndarray) -> str:
    """`abs` for edge kernels (and custom kernels summing to zero), else `clip`."""
    if kernel_name == CUSTOM:
        return DISPLAY_ABS if abs(float(kernel.sum())) < 1e-6 else DISPLAY_CLIP
    return _DISPLAY.get(kernel_name, DISPLAY_CLIP)


def to_channels(rgb: np.ndarray, mode: str) -> np.ndarray:
    """(H, W, 3) uint8 to float32 channels: all three for `color`, one luma channel for `grey`."""
    if mode not in ("color", "grey"):
        raise KernelError("error_setting", f"mode {mode!r}")
    pixels = rgb.astype(np.float32)
    return pixels if mode == "color" else (pixels @ GREY_WEIGHTS)[:, :, None]


def _padding(size: int, kernel_size: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one axis, as TensorFlow computes them."""
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel_size - size, 0)
        return out, total // 2, total - total // 2
    if padding == "valid":
        if size < kernel_size:
            raise KernelError("error_image_too_small", f"{size} px < kernel {kernel_size}")
        return (size - kernel_size) // stride + 1, 0, 0
    raise KernelError("error_setting", f"padding {padding!r}")


def output_shape(height: int, width: int, kernel_size: int, stride: int = 1, padding: str = "same") -> tuple[int, int]:
    """(rows, columns) of a convolution's output, as TensorFlow computes them."""
    return (_padding(height, kernel_size, stride, padding)[0], _padding(width, kernel_size, stride, padding)[0])


def pad(channels: np.ndarray, kernel_size: int, stride: int, padding: str) -> tuple[np.ndarray, int, int]:
    """Zero-pads (H, W, C) for the convolution; returns the padded array and the output size."""
    if stride < 1:
        raise KernelError("error_setting", f"stride {stride}")
    out_h, top, bottom = _padding(channels.shape[0], kernel_size, stride, padding)
    out_w, left, right = _padding(channels.shape[1], kernel_size, stride, padding)
    return np.pad(channels, ((top, bottom), (left, right), (0, 0))), out_h, out_w


def correlate(channels: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: str = "same") -> np.ndarray:
    """Slides `kernel` over every channel separately: out[y, x, c] = sum(patch * kernel).

    One shifted, strided view of the image per kernel weight: k*k vectorised multiply-adds instead
    of a Python loop over pixels.
    """
    size = kernel.shape[0]
    padded, out_h, out_w = pad(channels, size, stride, padding)
    out = np.zeros((out_h, out_w, channels.shape[2]), np.float32)
    for i in range(size):
        for j in range(size):
            if kernel[i, j] != 0:
                window = padded[i : i + (out_h - 1) * stride + 1 : stride, j : j + (out_w - 1) * stride + 1 : stride]
                out += kernel[i, j] * window
    return out


def to_display(response: np.ndarray, mapping: str) -> np.ndarray:
    """A response to uint8 pixels: (H, W, 3) in colour, (H, W) in grey."""
    values = np.abs(response) if mapping == DISPLAY_ABS else response
    pixels = np.clip(np.round(values), 0, 255).astype(np.uint8)
    return pixels[:, :, 0] if pixels.shape[2] == 1 else pixels


def explain_pixel(channels: np.ndarray, kernel: np.ndarray, row: int, col: int, stride: int = 1,
                  padding: str = "same") -> dict:
    """The arithmetic behind output pixel (row, col): patch, products and sums, channel by channel.

    Row and column are clamped into the output. Returns a dict with `row`, `col`, `patches`
    (C, k, k), `products` (C, k, k), `sums` (C,) and `total` (their sum over channels: one Conv2D
    filter's output at that pixel).
    """
    size = kernel.shape[0]
    padded, out_h, out_w = pad(channels, size, stride, padding)
    row = int(min(max(row, 0), out_h - 1))
    col = int(min(max(col, 0), out_w - 1))
    patch = padded[row * stride : row * stride + size, col * stride : col * stride + size]
    patches = np.moveaxis(patch, 2, 0)
    products = patches * kernel[None]
    sums = products.sum(axis=(1, 2))
    return {"row": row, "col": col, "patches": patches, "products": products, "sums": sums,
            "total": float(sums.sum()), "output_shape": (out_h, out_w)}


@dataclasses.dataclass(frozen=True)
class KernelResult:
    channels: np.ndarray  # the input as filtered: (H, W, 3) colour or (H, W, 1) grey, float32
    response: np.ndarray  # the raw convolution output, any real numbers
    original_size: tuple[int, int]  # (height, width) of the photo before any downscaling

    @property
    def low(self) -> float:
        return float(self.response.min())

    @property
    def high(self) -> float:
        return float(self.response.max())


def apply(rgb: np.ndarray, kernel: np.ndarray, mode: str = "color", stride: int = 1, padding: str = "same",
          max_side: int = 1024) -> KernelResult:
    """Convolves a photo (downscaled to `max_side` if larger) with `kernel` in `mode`."""
    channels = to_channels(images.fit_within(rgb, max_side), mode)
    return KernelResult(channels, correlate(channels, kernel, stride, padding), tuple(rgb.shape[:2]))
