"""A tiny, learnable stand-in for the flowers dataset, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from flower_demo.config import CLASS_NAMES

# One dominant colour per class, so a network can learn the classes in an epoch or two.
CLASS_COLOURS = {"daisy": (240, 240, 240), "dandelion": (240, 220, 20), "roses": (200, 20, 40),
                 "sunflowers": (250, 160, 0), "tulips": (200, 60, 200)}


def flower_picture(name: str, rng: np.random.Generator, size=(40, 30)) -> np.ndarray:
    noise = rng.integers(-40, 40, (size[1], size[0], 3))
    return np.clip(np.array(CLASS_COLOURS[name]) + noise, 0, 255).astype(np.uint8)


def write_flower_folder(root: Path, per_class: int = 6, corrupt: bool = True, seed: int = 0) -> Path:
    """root/<class>/<n>.jpg|png for the five classes, plus one undecodable file when `corrupt`."""
    rng = np.random.default_rng(seed)
    for name in CLASS_NAMES:
        (root / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            suffix = "png" if index % 2 else "jpg"
            Image.fromarray(flower_picture(name, rng)).save(root / name / f"{index}.{suffix}")
    if corrupt:
        (root / "roses" / "broken.jpg").write_bytes(b"this is not a jpeg")
    return root
