"""Files a public classroom server will be sent: unusual but valid pictures, and broken ones.

Written by the tests themselves (no fixtures on disk). `UNUSUAL` maps a name to (file name, bytes
factory, upright (height, width)); `BROKEN` maps a name to (file name, bytes factory, the i18n key a
student must see).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def encode(picture: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    shape = (height, width, channels) if channels else (height, width)
    return np.random.RandomState(seed).randint(0, 256, shape).astype(np.uint8)


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk claiming width x height RGB pixels (and almost no data)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
            + chunk(b"IEND", b""))


def exif_rotated_jpeg() -> bytes:
    """A 20x40 JPEG whose EXIF orientation (6) says: turn a quarter clockwise to show it upright."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(Image.fromarray(noise(20, 40, seed=3)), "JPEG", quality=90, exif=exif.tobytes())


def palette_png() -> bytes:
    return encode(Image.fromarray(noise(24, 32, seed=4)).convert("P", palette=Image.Palette.ADAPTIVE), "PNG")


def truncated_jpeg() -> bytes:
    data = encode(Image.fromarray(noise(60, 80, seed=5)), "JPEG", quality=95)
    return data[: len(data) // 2]


@functools.cache  # compressing 144 megapixels takes a second: once per test session is enough
def bomb_png() -> bytes:
    """A real, tiny-on-disk PNG of 12,000 x 12,000 one-bit pixels: 144 megapixels once decoded."""
    return encode(Image.new("1", (12_000, 12_000)), "PNG", optimize=True)


UNUSUAL = {
    "rgba": ("rgba.png", lambda: encode(Image.fromarray(noise(24, 32, 4, seed=1), "RGBA"), "PNG"), (24, 32)),
    "greyscale": ("grey.png", lambda: encode(Image.fromarray(noise(24, 32, 0, seed=2), "L"), "PNG"), (24, 32)),
    "palette": ("palette.png", palette_png, (24, 32)),
    "cmyk_jpeg": ("cmyk.jpg", lambda: encode(Image.new("CMYK", (32, 24), (0, 255, 255, 0)), "JPEG"), (24, 32)),
    "16_bit_png": ("deep.png", lambda: encode(Image.fromarray(
        np.linspace(0, 65535, 24 * 32).astype(np.uint16).reshape(24, 32)), "PNG"), (24, 32)),
    "exif_rotated": ("rotated.jpg", exif_rotated_jpeg, (40, 20)),
    "one_pixel": ("dot.png", lambda: encode(Image.new("RGB", (1, 1), (200, 30, 40)), "PNG"), (1, 1)),
    "very_wide": ("wide.png", lambda: encode(Image.fromarray(noise(3, 3000, seed=6)), "PNG"), (3, 3000)),
    "very_tall": ("tall.png", lambda: encode(Image.fromarray(noise(2000, 2, seed=7)), "PNG"), (2000, 2)),
    "webp": ("photo.webp", lambda: encode(Image.fromarray(noise(24, 32, seed=8)), "WEBP"), (24, 32)),
    "animated_gif": ("moving.gif", lambda: encode(Image.fromarray(noise(24, 32, seed=9)), "GIF", save_all=True,
                                                  append_images=[Image.fromarray(noise(24, 32, seed=10))]), (24, 32)),
}

BROKEN = {
    "random_bytes": ("noise.png", lambda: bytes(np.random.RandomState(11).randint(0, 256, 4096, np.uint8)),
                     "error_not_image"),
    "zero_bytes": ("empty.jpg", lambda: b"", "error_empty"),
    "truncated_jpeg": ("cut.jpg", truncated_jpeg, "error_broken_image"),
    "html_renamed": ("page.png", lambda: b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>",
                     "error_not_image"),
    "svg_renamed": ("drawing.png", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
                    b'<script>alert(1)</script><rect width="9" height="9"/></svg>', "error_not_image"),
    "pixel_count_claim": ("claim.png", lambda: png_header_claiming(50_000, 50_000), "error_too_many_pixels"),
    "decompression_bomb": ("bomb.png", bomb_png, "error_too_many_pixels"),
}


def write(folder: Path, name: str, table: dict) -> Path:
    """Writes one corpus entry into `folder` and returns its path."""
    file_name, make = table[name][0], table[name][1]
    path = folder / file_name
    path.write_bytes(make())
    return path
