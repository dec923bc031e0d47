"""Finding, downloading and decoding the flower photos, and splitting them as the tutorial does.

Decoding JPEGs is the slow part of a small training run on a CPU, so each photo is decoded and
resized once per image size and kept as uint8 arrays: in memory (shared read-only by every student
on the server) and on disk (`config.CACHE_DIR`), keyed by a fingerprint of the folder so that any
added, removed or edited photo invalidates the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import threading
import urllib.request
import zipfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

from flower_demo import config, images
from flower_demo.errors import KeyedError

Progress = Callable[[int, int], None]  # (done, total)


class DatasetError(KeyedError, RuntimeError):
    """The photos cannot be had."""


@dataclasses.dataclass(frozen=True)
class PhotoIndex:
    """Every image file under a folder of class sub-folders, sorted as Keras lists them."""

    root: Path
    class_names: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: np.ndarray  # int32, one per path

    def fingerprint(self) -> str:
        digest = hashlib.sha1()
        for path in self.paths:
            stat = path.stat()
            digest.update(f"{path.relative_to(self.root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class DecodedPhotos:
    """The decoded photos of a PhotoIndex at one size. Shared between sessions: never mutate."""

    images: np.ndarray  # (N, size, size, 3) uint8
    labels: np.ndarray  # (N,) int32
    file_positions: np.ndarray  # (N,) position of each photo in the PhotoIndex (skipped files leave gaps)
    file_count: int  # files listed, decodable or not: the split shuffles these, as Keras does
    skipped: tuple[str, ...]  # relative paths of files that could not be decoded
    class_names: tuple[str, ...]


def index_photos(root: str | Path) -> PhotoIndex:
    """Lists the photos as `image_dataset_from_directory` does: sorted class folders, sorted files.

    Raises:
        DatasetError: `error_no_photos` when the folder has no class folders with images.
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
    return PhotoIndex(root, class_names, tuple(paths), np.asarray(labels, np.int32))


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


def split_rows(photos: DecodedPhotos, validation_split: float, seed: int = config.SPLIT_SEED):
    """Returns (training rows, validation rows): indices into `photos`, each side in the order the
    split shuffled its files (a prefix of the validation rows is a fair sample of every class)."""
    train_files, val_files = split_positions(photos.file_count, validation_split, seed)
    row_of = np.full(photos.file_count, -1, np.int64)
    row_of[photos.file_positions] = np.arange(len(photos.file_positions))
    train_rows, val_rows = row_of[train_files], row_of[val_files]
    return train_rows[train_rows >= 0], val_rows[val_rows >= 0]  # undecodable files have no row


def split(photos: DecodedPhotos, validation_split: float, seed: int = config.SPLIT_SEED):
    """Returns ((x_train, y_train), (x_val, y_val)) with no photo in both."""
    train_files, val_files = split_positions(photos.file_count, validation_split, seed)
    is_val = np.isin(photos.file_positions, val_files)
    is_train = np.isin(photos.file_positions, train_files)
    return (photos.images[is_train], photos.labels[is_train]), (photos.images[is_val], photos.labels[is_val])


# --- decoding and caching -------------------------------------------------------------------------

_memory_cache: OrderedDict[tuple[str, str, int], DecodedPhotos] = OrderedDict()
_MEMORY_CACHE_ENTRIES = 3  # a few image sizes (~290 MB each at 180 px for the full dataset)
_cache_lock = threading.Lock()  # one decode per (folder, size) even when many students click Train


def _decode_one(path: Path, image_size: int) -> np.ndarray | None:
    try:
        return images.prepare_for_model(images.load_image(path), image_size)
    except images.ImageError:
        return None


def _disk_cache_path(index: PhotoIndex, fingerprint: str, image_size: int) -> Path:
    folder_id = hashlib.sha1(str(index.root.resolve()).encode()).hexdigest()[:8]
    return config.CACHE_DIR / f"photos-{folder_id}-{fingerprint}-{image_size}px.npz"


def _write_atomically(path: Path, photos: DecodedPhotos) -> None:
    """Writes to a temporary file and renames it, so a crash never leaves a half cache behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, images=photos.images, labels=photos.labels, file_positions=photos.file_positions,
                     file_count=photos.file_count, skipped=np.asarray(photos.skipped, dtype=str),
                     class_names=np.asarray(photos.class_names, dtype=str))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_disk_cache(path: Path) -> DecodedPhotos | None:
    try:
        with np.load(path) as archive:
            return DecodedPhotos(
                images=archive["images"], labels=archive["labels"], file_positions=archive["file_positions"],
                file_count=int(archive["file_count"]), skipped=tuple(str(s) for s in archive["skipped"]),
                class_names=tuple(str(s) for s in archive["class_names"]),
            )
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None  # a damaged cache is decoded again, never trusted


def load_photos(root: str | Path, image_size: int, progress: Progress | None = None,
                use_disk_cache: bool = True) -> DecodedPhotos:
    """Decodes every photo under `root` at `image_size`, or returns it from a cache.

    Files that cannot be decoded are skipped and listed in `skipped`.

    Raises:
        DatasetError: `error_no_photos` when nothing under `root` decodes.
    """
    index = index_photos(root)
    fingerprint = index.fingerprint()
    key = (str(index.root.resolve()), fingerprint, image_size)
    with _cache_lock:
        if key in _memory_cache:
            _memory_cache.move_to_end(key)
            return _memory_cache[key]
        disk_path = _disk_cache_path(index, fingerprint, image_size)
        photos = _read_disk_cache(disk_path) if use_disk_cache and disk_path.exists() else None
        if photos is None:
            photos = _decode_all(index, image_size, progress)
            if use_disk_cache:
                try:
                    _write_atomically(disk_path, photos)
                except OSError:
                    pass  # a read-only home only costs the next run a decode
        photos.images.setflags(write=False)
        _memory_cache[key] = photos
        while len(_memory_cache) > _MEMORY_CACHE_ENTRIES:
            _memory_cache.popitem(last=False)
        return photos


def _decode_all(index: PhotoIndex, image_size: int, progress: Progress | None) -> DecodedPhotos:
    total = len(index.paths)
    decoded: list[np.ndarray | None] = [None] * total
    # PIL and TensorFlow release the GIL while decoding and resizing, so two threads use both cores.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        for done, (position, pixels) in enumerate(
            zip(range(total), pool.map(lambda p: _decode_one(p, image_size), index.paths)), start=1
        ):
            decoded[position] = pixels
            if progress and (done % 64 == 0 or done == total):
                progress(done, total)
    kept = [i for i, pixels in enumerate(decoded) if pixels is not None]
    if not kept:
        raise DatasetError("error_no_photos", str(index.root))
    return DecodedPhotos(
        images=np.stack([decoded[i] for i in kept]),
        labels=index.labels[kept],
        file_positions=np.asarray(kept, np.int64),
        file_count=total,
        skipped=tuple(str(index.paths[i].relative_to(index.root)) for i in range(total) if decoded[i] is None),
        class_names=index.class_names,
    )


# --- where the photos are -------------------------------------------------------------------------

def _download(url: str, archive: Path, progress: Progress | None) -> None:
    """Streams `url` into `archive` through a `.part` file renamed only once complete."""
    partial = archive.with_suffix(".tgz.part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as file:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                file.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total and done != total:
            raise OSError(f"incomplete download: {done} of {total} bytes")
        os.replace(partial, archive)
    except http.client.HTTPException as error:  # e.g. IncompleteRead: the connection dropped mid-body
        raise OSError(f"interrupted download ({type(error).__name__})") from error
    finally:
        partial.unlink(missing_ok=True)


def download_dataset(destination: Path, progress: Progress | None = None,
                     url: str = config.DATASET_URL) -> Path:
    """Downloads and extracts the tutorial's archive; returns the folder of class folders.

    The archive is written to a `.part` file and only renamed once complete, and extracted into a
    temporary folder that is renamed into place, so an interrupted download is never used.

    Raises:
        DatasetError: `error_download` with the reason.
    """
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / "flower_photos.tgz"
    final = destination / "flower_photos"
    staging = None
    try:
        if not archive.exists():
            _download(url, archive, progress)
        staging = Path(tempfile.mkdtemp(dir=destination, prefix=".extract-"))
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="data")
            if not (staging / "flower_photos").is_dir():
                raise tarfile.TarError("the archive has no flower_photos folder")
        except (tarfile.TarError, EOFError) as error:
            archive.unlink(missing_ok=True)  # a bad archive must not be reused next time
            raise OSError(str(error)) from error
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging / "flower_photos", final)
    except OSError as error:
        raise DatasetError("error_download", str(error)) from error
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return final


_download_lock = threading.Lock()


def locate_dataset(data_dir: str | Path | None = None, progress: Progress | None = None,
                   allow_download: bool = True) -> Path:
    """The photo folder: `data_dir`, else $FLOWER_DATA_DIR, else a download into the cache folder.

    Raises:
        DatasetError: `error_no_photos` for a folder without photos, `error_download` when the
            download fails (the message names FLOWER_DATA_DIR as the offline way).
    """
    chosen = data_dir or os.environ.get(config.DATA_DIR_ENV)
    if chosen:
        index_photos(chosen)  # raises a clear error for an empty or missing folder
        return Path(chosen)
    downloaded = config.CACHE_DIR / "flower_photos"
    with _download_lock:
        if (downloaded / config.CLASS_NAMES[0]).is_dir():
            return downloaded
        if not allow_download:
            raise DatasetError("error_download", "download disabled")
        return download_dataset(config.CACHE_DIR, progress)


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
