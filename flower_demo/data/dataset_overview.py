"""What the app shows of the dataset: the Dataset tab's summary, a random held-out photo to try, and
Classify's example photos. All read from the photos on this machine at run time."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from flower_demo import config
from flower_demo.data import images
from flower_demo.data.photo_cache import load_photos
from flower_demo.data.photo_index import Progress, index_photos, split_positions


@dataclasses.dataclass(frozen=True)
class DatasetOverview:
    """What the Dataset tab shows: the tutorial's counts, first labelled photos and a batch's shapes."""

    count: int
    counts: dict[str, int]
    train_count: int
    val_count: int
    skipped: tuple[str, ...]
    samples: np.ndarray  # the first nine training photos, uint8
    sample_names: tuple[str, ...]
    batch_shape: tuple[int, ...]  # (batch, size, size, 3), as image_batch.shape
    label_shape: tuple[int, ...]  # (batch,), as labels_batch.shape
    pixel_range: tuple[int, int]  # min and max of the first photo's raw pixels


def describe(root: str | Path, image_size: int, batch_size: int, progress: Progress | None = None,
             validation_split: float = config.VALIDATION_SPLIT) -> DatasetOverview:
    photos = load_photos(root, image_size, progress)
    train_files, _ = split_positions(photos.file_count, validation_split)
    position_to_row = {int(p): row for row, p in enumerate(photos.file_positions)}
    train_rows = [position_to_row[int(p)] for p in train_files if int(p) in position_to_row]
    first = train_rows[:9]
    batch = min(batch_size, len(train_rows))
    return DatasetOverview(
        count=len(photos.labels),
        counts={name: int((photos.labels == i).sum()) for i, name in enumerate(photos.class_names)},
        train_count=len(train_rows),
        val_count=len(photos.labels) - len(train_rows),
        skipped=photos.skipped,
        samples=photos.images[first],
        sample_names=tuple(photos.class_names[photos.labels[row]] for row in first),
        batch_shape=(batch, image_size, image_size, 3),
        label_shape=(batch,),
        pixel_range=(int(photos.images[first[0]].min()), int(photos.images[first[0]].max())),
    )


def pick_photo(root: str | Path, rng: np.random.Generator,
               validation_split: float = config.VALIDATION_SPLIT) -> Path:
    """A random photo from the validation side of the tutorial's split: one no model trained here saw."""
    index = index_photos(root)
    _, val_files = split_positions(len(index.paths), validation_split)
    return index.paths[int(rng.choice(val_files))]


def example_photos(root: str | Path, validation_split: float = config.VALIDATION_SPLIT) -> list[tuple[Path, str]]:
    """(path, class name): the first readable validation photo of each class, for Classify's Examples.

    Read from the dataset on this machine at run time: the app ships no dataset photos.
    """
    index = index_photos(root)
    _, val_files = split_positions(len(index.paths), validation_split)
    chosen: dict[str, Path] = {}
    for position in sorted(int(p) for p in val_files):
        name = index.class_names[index.labels[position]]
        if name in chosen:
            continue
        try:
            images.load_image(index.paths[position])
        except images.ImageError:
            continue
        chosen[name] = index.paths[position]
    return [(chosen[name], name) for name in index.class_names if name in chosen]
