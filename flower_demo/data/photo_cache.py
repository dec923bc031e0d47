"""Decoding the flower photos once, keeping them, and splitting the decoded photos as Keras does.

Decoding JPEGs is the slow part of a small training run on a CPU, so each photo is decoded and
resized once per image size and kept as uint8 arrays: in memory (shared read-only by every student
on the server) and on disk (`config.cache_dir()`), keyed by a fingerprint of the folder so that any
added, removed or edited photo invalidates the cache. Both are bounded in bytes: the least recently used
size goes first (config.PHOTO_CACHE_MEMORY_BYTES, config.PHOTO_CACHE_DISK_BYTES).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import threading
import zipfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

from flower_demo import config
from flower_demo.data import images
from flower_demo.atomic import write_atomically
from flower_demo.errors import DatasetError
from flower_demo.data.photo_index import PhotoIndex, Progress, index_photos, split_positions


@dataclasses.dataclass(frozen=True)
class DecodedPhotos:
    """The decoded photos of a PhotoIndex at one size. Shared between sessions: never mutate."""

    images: np.ndarray  # (N, size, size, 3) uint8
    labels: np.ndarray  # (N,) int32
    file_positions: np.ndarray  # (N,) position of each photo in the PhotoIndex (skipped files leave gaps)
    file_count: int  # files listed, decodable or not: the split shuffles these, as Keras does
    skipped: tuple[str, ...]  # relative paths of files that could not be decoded
    class_names: tuple[str, ...]


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
_cache_lock = threading.Lock()  # one decode per (folder, size) even when many students click Train
# PIL and TensorFlow release the GIL while decoding and resizing, so two threads use both cores.
_DECODE_THREADS = max(1, min(4, os.cpu_count() or 1))
_DECODE_CHUNK = 16  # photos decoded between two chances to give way: ~0.1 s on 2 cores


def _decode_one(path: Path, image_size: int) -> np.ndarray | None:
    try:
        return images.prepare_for_model(images.load_image(path), image_size)
    except images.ImageError:
        return None


def _disk_cache_path(index: PhotoIndex, fingerprint: str, image_size: int) -> Path:
    folder_id = hashlib.sha1(str(index.root.resolve()).encode()).hexdigest()[:8]
    return config.cache_dir() / f"photos-{folder_id}-{fingerprint}-{image_size}px.npz"


def _size(photos: DecodedPhotos) -> int:
    """Bytes of the arrays, about the size of the .npz file too (np.savez does not compress)."""
    return photos.images.nbytes + photos.labels.nbytes + photos.file_positions.nbytes


def keep_within_disk_budget(keep: Path | None = None) -> list[Path]:
    """Deletes the least recently used decoded-photo files of the cache folder, never `keep`, until they
    fit in config.PHOTO_CACHE_DISK_BYTES; returns the deleted files. A file's time is when it was last
    written or used (`load_photos` touches it, even when its photos come from memory).
    """
    files = []
    for path in config.cache_dir().glob("photos-*.npz"):
        try:
            status = path.stat()
        except FileNotFoundError:  # another app's sweep removed it meanwhile
            continue
        files.append((status.st_mtime, status.st_size, path))
    total = sum(size for _, size, _ in files)
    removed = []
    for _, size, path in sorted(files):  # oldest first
        if total <= config.PHOTO_CACHE_DISK_BYTES:
            break
        if path == keep:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            continue  # read-only, or open elsewhere on Windows: still counted
        total -= size
        removed.append(path)
    return removed


def _write_disk_cache(path: Path, photos: DecodedPhotos) -> None:
    """Written atomically, so a crash never leaves a half cache behind."""

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as file:  # a file object: given a name, np.savez would append .npz
            np.savez(file, images=photos.images, labels=photos.labels, file_positions=photos.file_positions,
                     file_count=photos.file_count, skipped=np.asarray(photos.skipped, dtype=str),
                     class_names=np.asarray(photos.class_names, dtype=str))

    write_atomically(path, write)


def _touch(path: Path) -> None:
    """Marks a cache file as used now: the disk budget evicts the least recently used first."""
    with contextlib.suppress(OSError):  # gone, or a read-only cache: nothing to keep track of
        os.utime(path)


def _read_disk_cache(path: Path) -> DecodedPhotos | None:
    _touch(path)
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
                use_disk_cache: bool = True, before_batch: Callable[[], object] | None = None) -> DecodedPhotos:
    """Decodes every photo under `root` at `image_size`, or returns it from a cache.

    Files that cannot be decoded are skipped and listed in `skipped`. `before_batch` runs before each
    few photos decoded (the app passes priority.PRIORITY.yield_to_requests: clicks before decoding).

    Raises:
        DatasetError: `error_no_photos` when nothing under `root` decodes.
    """
    index = index_photos(root)
    fingerprint = index.fingerprint()
    key = (str(index.root.resolve()), fingerprint, image_size)
    disk_path = _disk_cache_path(index, fingerprint, image_size)
    with _cache_lock:
        if key in _memory_cache:
            _memory_cache.move_to_end(key)
            if use_disk_cache:
                _touch(disk_path)  # in use, so not the file to evict
            return _memory_cache[key]
        photos = _read_disk_cache(disk_path) if use_disk_cache and disk_path.exists() else None
        if photos is None:
            photos = _decode_all(index, image_size, progress, before_batch)
            # A size larger than the whole budget would only push every other size out, and then itself.
            if use_disk_cache and _size(photos) <= config.PHOTO_CACHE_DISK_BYTES:
                try:
                    _write_disk_cache(disk_path, photos)
                    keep_within_disk_budget(keep=disk_path)
                except OSError:
                    pass  # a read-only home only costs the next run a decode
        photos.images.setflags(write=False)
        _memory_cache[key] = photos
        # The least recently used go first, never the one just asked for (its caller holds it anyway).
        while len(_memory_cache) > 1 and (len(_memory_cache) > config.PHOTO_CACHE_MEMORY_ENTRIES or sum(
                _size(kept) for kept in _memory_cache.values()) > config.PHOTO_CACHE_MEMORY_BYTES):
            _memory_cache.popitem(last=False)
        return photos


def decoded_in_chunks(function: Callable, items, before_batch: Callable[[], object] | None = None,
                      progress: Progress | None = None) -> list:
    """`function` over `items` on the decoding threads, a few items at a time, `before_batch` before each
    few. Decoding keeps both cores busy for seconds (2,934 photos: ~10 s): a student's first Train, or an
    evaluation, slowed every click of the class to 2-5 s until it gave way between chunks (issue 33)."""
    results: list = []
    total = len(items)
    with ThreadPoolExecutor(max_workers=_DECODE_THREADS) as pool:
        for start in range(0, total, _DECODE_CHUNK):
            if before_batch:
                before_batch()
            results.extend(pool.map(function, items[start:start + _DECODE_CHUNK]))
            if progress and (len(results) % 64 == 0 or len(results) == total):
                progress(len(results), total)
    return results


def _decode_all(index: PhotoIndex, image_size: int, progress: Progress | None,
                before_batch: Callable[[], object] | None = None) -> DecodedPhotos:
    total = len(index.paths)
    decoded = decoded_in_chunks(lambda path: _decode_one(path, image_size), list(index.paths), before_batch, progress)
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


# --- photos decoded for one use and not kept (sizes the cache is not for) --------------------------

_readable: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # (folder, fingerprint) -> a bool per file
_READABLE_ENTRIES = 4  # a few folders; each entry is a byte per file
_readable_lock = threading.Lock()


def readable_files(index: PhotoIndex, progress: Progress | None = None,
                   before_batch: Callable[[], object] | None = None) -> np.ndarray:
    """Whether each file of `index` decodes: a bool per file, False exactly for load_photos' `skipped`.

    Found by decoding every file once at its own size (nothing kept), then remembered per folder
    fingerprint, so later calls on an unchanged folder cost nothing.
    """
    key = (str(index.root.resolve()), index.fingerprint())
    with _readable_lock:
        if key in _readable:
            _readable.move_to_end(key)
            return _readable[key]
    readable = np.asarray(decoded_in_chunks(_reads, list(index.paths), before_batch, progress), bool)
    readable.setflags(write=False)
    with _readable_lock:
        _readable[key] = readable
        while len(_readable) > _READABLE_ENTRIES:
            _readable.popitem(last=False)
    return readable


def _reads(path: Path) -> bool:
    try:
        images.load_image(path)
        return True
    except images.ImageError:
        return False


def decode_files(index: PhotoIndex, positions: np.ndarray, image_size: int,
                 before_batch: Callable[[], object] | None = None) -> list[np.ndarray | None]:
    """The files at `positions` decoded and resized as load_photos does, in order; None where one does not decode."""
    return decoded_in_chunks(lambda position: _decode_one(index.paths[position], image_size), list(positions),
                             before_batch)
