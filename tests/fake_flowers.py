"""A tiny, learnable stand-in for the flowers dataset, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# One colour and one stripe direction per class: easy for a network, distinct for a human eye.
CLASS_COLOURS = {
    "daisy": (235, 235, 235),
    "dandelion": (230, 200, 30),
    "roses": (200, 30, 40),
    "sunflowers": (240, 130, 10),
    "tulips": (170, 50, 190),
}
PHOTO_SIZE = (40, 30)  # width, height
PHOTOS_PER_CLASS = 6
BROKEN_FILE = "roses/broken.jpg"


def synthetic_photo(class_name: str, number: int, size=PHOTO_SIZE) -> np.ndarray:
    """A (height, width, 3) uint8 photo: the class colour, a class-specific stripe, some noise."""
    width, height = size
    rng = np.random.RandomState(1000 * sorted(CLASS_COLOURS).index(class_name) + number)
    pixels = np.empty((height, width, 3), np.float64)
    pixels[:] = CLASS_COLOURS[class_name]
    index = sorted(CLASS_COLOURS).index(class_name)
    if index % 2:
        pixels[:, (index * 3) % width : (index * 3) % width + 6] *= 0.5  # a vertical stripe
    else:
        pixels[(index * 2) % height : (index * 2) % height + 5] *= 0.6  # a horizontal stripe
    pixels += rng.normal(0, 12, pixels.shape)
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def write_flower_folder(root: Path, per_class: int = PHOTOS_PER_CLASS, broken: bool = True,
                        png_only: bool = False) -> Path:
    """Writes class folders of JPEG and PNG photos (and optionally one corrupt file) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for class_name in CLASS_COLOURS:
        folder = root / class_name
        folder.mkdir(exist_ok=True)
        for number in range(per_class):
            picture = Image.fromarray(synthetic_photo(class_name, number))
            if png_only or number % 2:
                picture.save(folder / f"{class_name}_{number:02d}.png")
            else:
                picture.save(folder / f"{class_name}_{number:02d}.jpg", quality=95)
    if broken:
        (root / BROKEN_FILE).write_bytes(b"not a jpeg")
    return root
