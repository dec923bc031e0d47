"""Listing the flower photos and splitting them exactly as the tutorial's Keras loader does.

`index_photos` lists a folder of class folders in `image_dataset_from_directory`'s order and
`split_positions` shuffles and cuts that list as it does, so our 80/20 split is the tutorial's. No
photo is opened here: decoding them is flower_demo.data.photo_cache's job.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np

from flower_demo import config
from flower_demo.data import classes
from flower_demo.errors import DatasetError

Progress = Callable[[int, int], None]  # (done, total): how decoding and the download report progress


@dataclasses.dataclass(frozen=True)
class PhotoIndex:
    """Every image file under a folder of class sub-folders, sorted as Keras lists them."""

    root: Path
    class_names: tuple[str, ...]  # the sub-folders' names as classes.clean keeps them (composed, trimmed)
    paths: tuple[Path, ...]
    labels: np.ndarray  # int32, one per path

    def fingerprint(self) -> str:
        digest = hashlib.sha1()
        for path in self.paths:
            stat = path.stat()
            digest.update(f"{path.relative_to(self.root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]


def index_photos(root: str | Path) -> PhotoIndex:
    """Lists the photos as `image_dataset_from_directory` does: sorted class folders, sorted files.

    Any folder of config.MIN_CLASSES to MAX_CLASSES class sub-folders: their names are the classes.

    Raises:
        DatasetError: `error_no_photos` when the folder has no class folders with images,
            `error_class_count` for fewer than 2 or more than 10 class folders, `error_class_names` for
            a folder name that is no class name (flower_demo.data.classes: over 30 characters, two alike).
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError("error_no_photos", str(root))
    class_names = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))
    paths, labels = [], []
    for label, name in enumerate(class_names):
        for dirpath, _, filenames in sorted(os.walk(root / name), key=lambda item: item[0]):
            for filename in sorted(filenames):
                if filename.lower().endswith(config.IMAGE_EXTENSIONS):
                    paths.append(Path(dirpath) / filename)
                    labels.append(label)
    if not paths:
        raise DatasetError("error_no_photos", str(root))
    return PhotoIndex(root, checked_class_names(class_names), tuple(paths), np.asarray(labels, np.int32))


def checked_class_names(names) -> tuple[str, ...]:
    """A dataset's class names as kept (classes.clean), or DatasetError `error_class_count` or
    `error_class_names` saying what is wrong ("Expected ... Received: ..."). Every way photos reach
    training (a folder, the decode cache, photos held in memory) goes through this."""
    names = tuple(names)
    try:
        classes.check_count(len(names))
    except ValueError as error:
        raise DatasetError("error_class_count", f"{error} ({_listed(names)})") from error
    try:
        return classes.clean(names)
    except ValueError as error:
        raise DatasetError("error_class_names", str(error)) from error


def _listed(names: tuple[str, ...]) -> str:
    """The folders an error quotes: a few names, then how many more."""
    shown = ", ".join(names[:4])
    return f"{shown}, … ({len(names)} in all)" if len(names) > 4 else shown or "none"


def split_positions(file_count: int, validation_split: float, seed: int = config.SPLIT_SEED):
    """Returns (training, validation) file positions exactly as Keras' loader splits them.

    Keras shuffles the sorted file list with NumPy's RandomState(seed) and keeps the last
    `int(split * n)` files for validation; doing the same keeps our split equal to the tutorial's.
    """
    order = np.arange(file_count)
    np.random.RandomState(seed).shuffle(order)
    validation_count = int(validation_split * file_count)
    if validation_split > 0 and validation_count == 0:
        validation_count = 1
    return order[: file_count - validation_count], order[file_count - validation_count :]
