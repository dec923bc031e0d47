"""A session's own classes and photos, in memory only, within limits the server enforces.

A student names 2 to 10 classes and adds photos to each (webcam captures, uploads, a teacher's zip of
class folders). The photos are personal data (minors' faces, their rooms), so they live here and
nowhere else: never written to disk, never in photo_cache's caches, never in a log, visible only to
their session, and gone when the tab closes (`OwnPhotosRegistry.forget`), after an idle hour, or when
the server needs the memory for the rest of the class (the least recently used sessions' first).

Each photo is kept once, as a uint8 RGB array fitted within config.OWN_PHOTO_SIDE (a webcam's 640x480
becomes 256x192, 147 KB); a training run asks `for_training` for them at its own size, through the
app's one preprocessing path (images.prepare_for_model), as DecodedPhotos like the flowers'.

Example:
    photos = OWN.store(request.session_hash)        # OwnPhotosDropped once if the server dropped them
    result = photos.add("gato", [path1, path2])     # AddResult: added per class, skipped per reason
    photos.add_zip("plantas.zip")                   # one folder per class, all or nothing
    photos.summary()                                # counts, bytes and warnings, JSON-ready
    decoded = photos.for_training(64)               # DecodedPhotos, labels in class order
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import stat
import struct
import threading
import time
import unicodedata
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from flower_demo import config
from flower_demo.data import classes, images
from flower_demo.data.photo_cache import DecodedPhotos, decoded_in_chunks
from flower_demo.errors import KeyedError

MEGABYTE = 1024 * 1024  # the messages' MB, as config's byte limits count them

# Photos read and decoded between two limit checks: a call that would break a limit stops within a
# chunk of it instead of decoding 1,500 photos first.
_CHUNK = 32
# The zip's central directory is parsed in full by zipfile before anything else can be checked, so
# its entry count and size are read first from the end record: a 100 MB zip of empty members holds
# ~1 M entries, hundreds of MB of parsed ZipInfo. Macs add a "__MACOSX/._name" copy of every file, hence 4x.
_DIRECTORY_ENTRIES_PER_COUNTED = 4
# A real entry is ~100-150 bytes (46, its path, a timestamp field); a directory of tiny made-up entries
# within this bound parses into at most ~30,000 ZipInfo objects (~12 MB) before their count is refused.
_DIRECTORY_BYTES_PER_ENTRY = 256
_END_RECORD, _END_RECORD_SIZE = b"PK\x05\x06", 22
_ZIP64_LOCATOR, _ZIP64_END_RECORD = b"PK\x06\x07", b"PK\x06\x06"
# Members compressed otherwise (bzip2, LZMA) are inflated by zipfile without an output bound per read:
# a few KB of bzip2 can give gigabytes. Every system's "compress" tool writes these two.
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_JUNK_NAMES = frozenset({"__macosx", "thumbs.db", "desktop.ini"})  # what macOS and Windows add to a zip
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_LOOSE = "error_own_zip_loose"  # the skip reason of a file outside any class folder


class OwnPhotosError(KeyedError, ValueError):
    """Own photos we refuse, or cannot give: `key` names the message in flower_demo.i18n, `values` the
    numbers and names it quotes, `detail` says in English what was expected and received."""


class OwnPhotosDropped(OwnPhotosError):
    """The session's photos are gone: `error_own_photos_dropped` (memory for the rest of the class) or
    `error_own_photos_expired` (unused too long). Raised once; the session then starts empty."""


@dataclasses.dataclass(frozen=True)
class AddResult:
    """What one `add` or `add_zip` did.

    `added`: photos added per class (as the class is named), in class order; a class this call made
    counts even with none. `skipped`: files not stored, per reason key (error_not_image,
    error_too_large_file, error_too_many_pixels, error_broken_image, error_empty, error_own_zip_loose).
    """

    added: dict[str, int]
    skipped: dict[str, int]

    @property
    def added_total(self) -> int:
        return sum(self.added.values())

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict:
        return {"added": dict(self.added), "skipped": dict(self.skipped),
                "added_total": self.added_total, "skipped_total": self.skipped_total}


def _short(text: str, limit: int = 40) -> str:
    """A name as a message quotes it: cut short (a message quotes a name, not a page)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _class_key(name: str) -> str:
    """Names alike once composed, trimmed and case is ignored are one class ("Gato" and "gato")."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def _clean_name(name) -> str:
    try:
        return classes.clean_name(name)
    except ValueError as error:
        raise OwnPhotosError("error_own_class_name", str(error), max_chars=config.MAX_CLASS_NAME_CHARS) from error


# --- reading one photo ----------------------------------------------------------------------------

def _fitted(rgb: np.ndarray) -> np.ndarray:
    """The photo as kept: within OWN_PHOTO_SIDE, in an array of its own (never a view that holds a
    larger picture alive), read-only (shared by for_training and thumbnails without copies)."""
    kept = np.array(images.fit_within(rgb, config.OWN_PHOTO_SIDE), dtype=np.uint8, order="C", copy=True)
    kept.setflags(write=False)
    return kept


def _read_photo(source) -> np.ndarray | str:
    """A source (a path, a file's bytes, or an RGB/RGBA/grey array such as a webcam frame) as kept, or
    the key saying why it is skipped. Files are checked against MAX_UPLOAD_BYTES before they are read."""
    try:
        if isinstance(source, np.ndarray):
            if source.ndim >= 2 and source.shape[0] * source.shape[1] > config.MAX_DECODED_PIXELS:
                return "error_too_many_pixels"
            return _fitted(images.to_rgb(source))
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        elif isinstance(source, (str, os.PathLike)):
            try:
                if os.stat(source).st_size > config.MAX_UPLOAD_BYTES:
                    return "error_too_large_file"  # not read: a large file's bytes would sit in memory
                data = Path(source).read_bytes()
            except OSError:
                return "error_broken_image"  # gone or unreadable: nothing to keep
        else:
            return "error_not_image"
        return _fitted(images.load_image(data))
    except images.ImageError as error:
        return error.key
    except (TypeError, ValueError):  # an array of strings or objects, not of numbers
        return "error_not_image"


def _decode_limited(items: list, read: Callable[[object], np.ndarray | str], check: Callable[[list], None],
                    before_batch: Callable[[], object] | None) -> list[np.ndarray | str]:
    """`read` over `items` on photo_cache's decoding threads, `check` on what is read so far after each
    chunk (it raises when a limit is already broken, so the rest is never decoded)."""
    results: list[np.ndarray | str] = []
    for start in range(0, len(items), _CHUNK):
        results.extend(decoded_in_chunks(read, items[start:start + _CHUNK], before_batch))
        check(results)
    return results


# --- reading a zip without unpacking it -----------------------------------------------------------

def _directory_size(file) -> tuple[int, int]:
    """(entries, bytes) of the zip's central directory as its end record declares them, ZIP64 included.

    Raises OwnPhotosError `error_own_zip_broken` when there is no end record (not a zip).
    """
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_size = min(size, _END_RECORD_SIZE + 0xFFFF)  # the record, then a comment of up to 64 KB
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise OwnPhotosError("error_own_zip_broken", "Expected a zip file. Received: no zip end record",
                             reason="not a zip")
    *_, entries, directory_bytes, _, _ = struct.unpack("<4s4H2LH", tail[at:at + _END_RECORD_SIZE])
    record = size - tail_size + at
    if (entries == 0xFFFF or directory_bytes == 0xFFFFFFFF) and record >= 20:
        file.seek(record - 20)
        locator = file.read(20)
        if locator[:4] == _ZIP64_LOCATOR:
            file.seek(struct.unpack("<4sLQL", locator)[2])
            zip64 = file.read(56)
            if len(zip64) == 56 and zip64[:4] == _ZIP64_END_RECORD:
                fields = struct.unpack("<4sQ2H2L4Q", zip64)
                entries, directory_bytes = fields[7], fields[8]
    file.seek(0)
    return entries, directory_bytes


def _member_name(member: zipfile.ZipInfo) -> str:
    """The member's path as its maker wrote it. Without the UTF-8 flag zipfile reads names as CP437
    (the zip format's old default, and the Spanish Windows' ñ and accents in lower case); Linux's and
    older macOS's zip tools write UTF-8 without the flag, so a name that is valid UTF-8 is read as such."""
    if member.flag_bits & 0x800:
        return member.filename
    try:
        return member.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return member.filename


def _member_parts(member: zipfile.ZipInfo) -> tuple[str, ...]:
    """The member's path as folder names and a file name, or OwnPhotosError for a path that leads out of
    the zip (absolute, "..", a drive letter, a backslash that Windows reads as a separator) or a link."""
    name = _member_name(member)
    if not name or name.startswith("/") or "\\" in name or _WINDOWS_DRIVE.match(name):
        raise OwnPhotosError("error_own_zip_path", f"Expected paths inside the zip. Received: {_short(name)!r}",
                             name=_short(name))
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise OwnPhotosError("error_own_zip_path", f"Expected paths inside the zip. Received: {_short(name)!r}",
                             name=_short(name))
    mode = member.external_attr >> 16
    # Unix zips keep the file type: only plain files and folders (a type of 0 is a tool that wrote none).
    if member.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise OwnPhotosError("error_own_zip_link", f"Expected files and folders. Received: {_short(name)!r}",
                             name=_short(name))
    return parts


def _is_junk(parts: tuple[str, ...]) -> bool:
    """macOS's "__MACOSX" copies and ".DS_Store", other dotfiles, Windows' Thumbs.db: never photos."""
    return any(part.startswith(".") or part.casefold() in _JUNK_NAMES for part in parts)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The member's bytes, at most its declared size and MAX_UPLOAD_BYTES (+1 to see a lie), or
    OwnPhotosError `error_own_zip_broken` when they are not what the zip declares."""
    limit = min(member.file_size, config.MAX_UPLOAD_BYTES)
    try:
        # ZipExtFile inflates at most what is asked for and stops at the declared size, checking the
        # CRC there: a member that declares 1 KB and inflates to 1 GB ends here, after 1 KB, as damaged.
        with archive.open(member) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as error:
        shown = _short(_member_name(member))
        raise OwnPhotosError("error_own_zip_broken", f"Expected an intact member. Received: {shown!r} "
                             f"({type(error).__name__})", reason=shown) from error
    if len(data) != member.file_size:
        shown = _short(_member_name(member))
        raise OwnPhotosError("error_own_zip_broken", f"Expected {member.file_size} bytes in {shown!r}. "
                             f"Received: {len(data)}", reason=shown)
    return data


@dataclasses.dataclass
class _ZipPlan:
    """The class folders of a zip, checked and not yet read."""

    folders: dict[str, str]  # class key -> the name the zip spells (the first folder of that key)
    members: list[tuple[str, zipfile.ZipInfo]]  # (class key, member) in the order they are read
    loose: int  # files outside any class folder


def _plan_zip(archive: zipfile.ZipFile) -> _ZipPlan:
    """Which members are photos of which class, with every path, link, size and method checked first."""
    most, entries = _DIRECTORY_ENTRIES_PER_COUNTED * config.OWN_ZIP_MAX_ENTRIES, len(archive.infolist())
    if entries > most:  # an end record that understated them
        raise OwnPhotosError("error_own_zip_entries", f"Expected at most {most} entries. Received: {entries}",
                             entries=entries, limit=config.OWN_ZIP_MAX_ENTRIES)
    files = []
    for member in archive.infolist():
        parts = _member_parts(member)  # every member, junk too: a bad path refuses the whole zip
        if member.is_dir() or not parts or _is_junk(parts):
            continue
        files.append((parts, member))
    if len(files) > config.OWN_ZIP_MAX_ENTRIES:
        raise OwnPhotosError("error_own_zip_entries",
                             f"Expected at most {config.OWN_ZIP_MAX_ENTRIES} files. Received: {len(files)}",
                             entries=len(files), limit=config.OWN_ZIP_MAX_ENTRIES)
    # One folder around the class folders ("plantas/roble/1.jpg", as a teacher zips a folder) is skipped:
    # a single top folder with sub-folders. A single top folder of files alone is one class.
    if len({parts[0] for parts, _ in files}) == 1 and any(len(parts) >= 3 for parts, _ in files):
        files = [(parts[1:], member) for parts, member in files]
    folders: dict[str, str] = {}
    members, loose = [], 0
    for parts, member in sorted(files, key=lambda item: item[0]):
        if len(parts) < 2:
            loose += 1
            continue
        name = _clean_name(parts[0])  # composed (NFC): macOS writes "rosá" decomposed, Windows composed
        key = _class_key(name)
        folders.setdefault(key, name)
        members.append((key, member))
    for _, member in members:
        shown = _short(_member_name(member))
        if member.flag_bits & 0x1:
            raise OwnPhotosError("error_own_zip_broken", f"Expected members without a password. Received: "
                                 f"{shown!r}", reason="password")
        if member.compress_type not in _READABLE_METHODS:
            raise OwnPhotosError("error_own_zip_broken", f"Expected stored or deflated members. Received: "
                                 f"method {member.compress_type}", reason=f"method {member.compress_type}")
        if member.file_size > config.MAX_UPLOAD_BYTES:
            raise OwnPhotosError("error_own_zip_member_too_large",
                                 f"Expected members of at most {config.MAX_UPLOAD_BYTES} bytes. Received: "
                                 f"{member.file_size} in {shown!r}", name=shown,
                                 limit=config.MAX_UPLOAD_BYTES / MEGABYTE)
    unpacked = sum(member.file_size for _, member in members)
    if unpacked > config.OWN_ZIP_MAX_UNPACKED_BYTES:
        raise OwnPhotosError("error_own_zip_unpacked",
                             f"Expected at most {config.OWN_ZIP_MAX_UNPACKED_BYTES} bytes unpacked. "
                             f"Received: {unpacked}",
                             megabytes=unpacked / MEGABYTE, limit=config.OWN_ZIP_MAX_UNPACKED_BYTES / MEGABYTE)
    return _ZipPlan(folders, members, loose)


# --- one session's photos -------------------------------------------------------------------------

class OwnPhotos:
    """One session's classes (in the order they were made) and their photos, in memory only.

    Thread-safe: one lock guards the classes (shared with the registry when it made this store); photos
    are read and decoded outside it, and a call's limits are checked again under it before anything is
    stored, so an `add` either stores all its photos or none.
    """

    def __init__(self, *, _lock=None, _registry: "OwnPhotosRegistry | None" = None, _session: str | None = None):
        self._lock = _lock if _lock is not None else threading.RLock()
        self._registry = _registry
        self._session = _session
        self._classes: OrderedDict[str, list[np.ndarray]] = OrderedDict()  # name as kept -> photos
        self._bytes = 0
        self._gone: str | None = None  # the key of why the registry dropped these photos

    # --- reading ---

    @property
    def class_names(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._classes)

    @property
    def nbytes(self) -> int:
        """Bytes of the stored arrays: what this session's photos cost the server."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return sum(len(photos) for photos in self._classes.values())

    def summary(self) -> dict:
        """Classes with their counts, totals, limits and warnings; JSON-ready.

        Returns:
            {"classes": [{"name": "gato", "photos": 12}, ...], "photos": 24, "bytes": 3538944,
             "limits": {"classes": 10, "per_class": 300, "per_session": 1000, "bytes": 157286400},
             "warnings": [["warning_own_few_photos", {"name": "gato", "count": 4, "minimum": 10}], ...]}
            Warning keys: warning_own_few_classes (classes, minimum), warning_own_few_photos (name,
            count, minimum; one per class), warning_own_unbalanced (largest, most, smallest, fewest).
        """
        with self._lock:
            counts = [(name, len(photos)) for name, photos in self._classes.items()]
            total_bytes = self._bytes
        warnings: list[list] = []
        if len(counts) < config.MIN_CLASSES:
            warnings.append(["warning_own_few_classes", {"classes": len(counts), "minimum": config.MIN_CLASSES}])
        for name, count in counts:
            if count < config.OWN_FEW_PHOTOS:
                warnings.append(["warning_own_few_photos",
                                 {"name": name, "count": count, "minimum": config.OWN_FEW_PHOTOS}])
        filled = [(name, count) for name, count in counts if count]  # an empty class is warned of above
        if len(filled) >= 2:
            largest = max(filled, key=lambda item: item[1])
            smallest = min(filled, key=lambda item: item[1])
            if largest[1] > config.OWN_UNBALANCED_RATIO * smallest[1]:
                warnings.append(["warning_own_unbalanced", {"largest": largest[0], "most": largest[1],
                                                            "smallest": smallest[0], "fewest": smallest[1]}])
        return {
            "classes": [{"name": name, "photos": count} for name, count in counts],
            "photos": sum(count for _, count in counts),
            "bytes": total_bytes,
            "limits": {"classes": config.MAX_CLASSES, "per_class": config.OWN_MAX_PER_CLASS,
                       "per_session": config.OWN_MAX_PER_SESSION, "bytes": config.OWN_MAX_SESSION_BYTES},
            "warnings": warnings,
        }

    def thumbnails(self, per_class: int = 6, side: int = 96) -> dict[str, list[np.ndarray]]:
        """Per class (in class order) its `per_class` newest photos within `side` pixels: what the student
        just added shows first. The arrays are read-only; one no larger than `side` is the kept photo."""
        with self._lock:
            newest = {name: photos[::-1][:max(0, per_class)] for name, photos in self._classes.items()}
        return {name: [images.fit_within(photo, side) for photo in photos] for name, photos in newest.items()}

    def photo_at(self, row: int) -> tuple[str, np.ndarray]:
        """(class, kept photo) at `row` in `for_training`'s order (the classes in order, each one's photos
        in the order added): an evaluation's mistake shown back. IndexError past the last photo."""
        with self._lock:
            for name, photos in self._classes.items():
                if row < len(photos):
                    return name, photos[row]
                row -= len(photos)
        raise IndexError(f"Expected a photo's row. Received: one past the {len(self)} photos")

    def for_training(self, image_size: int, before_batch: Callable[[], object] | None = None,
                     progress: Callable[[int, int], object] | None = None) -> DecodedPhotos:
        """The photos at `image_size` pixels square through images.prepare_for_model, as a training run,
        an evaluation or the augmentation preview takes the flowers' DecodedPhotos.

        Labels follow the class order; every photo is a "file" (file_positions = arange, nothing
        skipped), so photo_cache.split keeps its Keras-like split. Made on each call and not kept: it
        costs 0.2-0.5 ms a photo on 2 cores (300 photos at 64 px: ~0.1 s), and a kept copy would double a
        session's memory for nothing.

        Raises:
            OwnPhotosError: `error_own_too_few_classes` with fewer than config.MIN_CLASSES classes,
                `error_own_empty_class` when a class has no photos.
        """
        if not isinstance(image_size, (int, np.integer)) or not 1 <= image_size <= config.MAX_MODEL_INPUT:
            raise ValueError(f"Expected an image size of 1 to {config.MAX_MODEL_INPUT} pixels. "
                             f"Received: {image_size!r}")
        with self._lock:
            snapshot = [(name, list(photos)) for name, photos in self._classes.items()]
        if len(snapshot) < config.MIN_CLASSES:
            raise OwnPhotosError("error_own_too_few_classes",
                                 f"Expected at least {config.MIN_CLASSES} classes. Received: {len(snapshot)}",
                                 classes=len(snapshot), minimum=config.MIN_CLASSES)
        for name, photos in snapshot:
            if not photos:
                raise OwnPhotosError("error_own_empty_class",
                                     f"Expected photos in every class. Received: none in {_short(name)!r}", name=name)
        every = [photo for _, photos in snapshot for photo in photos]
        labels = np.concatenate([np.full(len(photos), label, np.int32) for label, (_, photos) in enumerate(snapshot)])
        pictures = np.stack(decoded_in_chunks(lambda photo: images.prepare_for_model(photo, int(image_size)),
                                              every, before_batch, progress))
        pictures.setflags(write=False)
        return DecodedPhotos(images=pictures, labels=labels, file_positions=np.arange(len(every), dtype=np.int64),
                             file_count=len(every), skipped=(), class_names=tuple(name for name, _ in snapshot))

    # --- changing ---

    def add(self, class_name: str, sources: Iterable, before_batch: Callable[[], object] | None = None) -> AddResult:
        """Adds photos to the class `class_name`, made (last in the order) if no class has that name.

        Args:
            class_name: any script, trimmed; a name that differs from a class's only in capitals is that class.
            sources: file paths, files' bytes, or RGB/RGBA/grey arrays (a webcam frame). Files larger
                than config.MAX_UPLOAD_BYTES are not read; pictures over 40 megapixels not decoded.
            before_batch: called before each few photos are decoded (the app yields to clicks there).

        Returns:
            AddResult. Files that are not photos we can keep are skipped and counted by reason; they
            never fail the call.

        Raises:
            OwnPhotosError: `error_own_class_name`, `error_own_too_many_classes`, `error_own_class_full`,
                `error_own_session_photos`, `error_own_session_bytes`, `error_own_server_full`; nothing is
                stored then. OwnPhotosDropped if the registry dropped this store meanwhile.
        """
        name = _clean_name(class_name)
        if sources is None:
            sources = []
        elif isinstance(sources, (str, bytes, os.PathLike, np.ndarray)):
            sources = [sources]  # one source on its own
        else:
            sources = list(sources)
        key = _class_key(name)
        with self._lock:
            existing = self._name_of(key)
            if existing is None:  # refused before reading a file, when it is already clear
                self._check_limits({key: []}, {key: name})
        read = _decode_limited(sources, _read_photo, lambda done: self._check_now(key, name, done), before_batch)
        photos = [item for item in read if not isinstance(item, str)]
        skipped = _count_reasons(item for item in read if isinstance(item, str))
        added = self._commit({key: photos}, {key: name})
        return AddResult(added=added, skipped=skipped)

    def add_zip(self, source: str | Path | bytes, before_batch: Callable[[], object] | None = None) -> AddResult:
        """Adds a zip of class folders ("gato/1.jpg", or "plantas/gato/1.jpg": one top folder around
        class folders is skipped), read in memory, nothing unpacked to disk. All or nothing: a zip that breaks a limit
        stores nothing. Folders merge with the classes of the same name (capitals ignored); a new class
        is made for each folder holding at least one photo, in the folders' sorted order.

        Ignored: folders' own entries, macOS's "__MACOSX" and dotfiles, Thumbs.db. Skipped and counted:
        files outside any class folder (`error_own_zip_loose`) and files that are not photos.

        Raises:
            OwnPhotosError: `error_own_zip_too_large`, `error_own_zip_broken` (not a zip, damaged, a
                password, an unusual compression), `error_own_zip_entries`, `error_own_zip_path`,
                `error_own_zip_link`, `error_own_zip_member_too_large`, `error_own_zip_unpacked`,
                `error_own_zip_no_photos`, and add's limits (`error_own_class_name`, ...).
        """
        try:
            size = len(source) if isinstance(source, (bytes, bytearray)) else os.stat(source).st_size
        except OSError as error:
            raise OwnPhotosError("error_own_zip_broken", f"Expected a readable zip. Received: {type(error).__name__}",
                                 reason="unreadable") from error
        if size > config.OWN_ZIP_MAX_BYTES:
            raise OwnPhotosError("error_own_zip_too_large",
                                 f"Expected a zip of at most {config.OWN_ZIP_MAX_BYTES} bytes. Received: {size}",
                                 megabytes=size / MEGABYTE, limit=config.OWN_ZIP_MAX_BYTES / MEGABYTE)
        with (io.BytesIO(bytes(source)) if isinstance(source, (bytes, bytearray)) else open(source, "rb")) as file:
            entries, directory_bytes = _directory_size(file)
            most = _DIRECTORY_ENTRIES_PER_COUNTED * config.OWN_ZIP_MAX_ENTRIES
            if entries > most:
                raise OwnPhotosError("error_own_zip_entries", f"Expected at most {most} entries. Received: {entries}",
                                     entries=entries, limit=config.OWN_ZIP_MAX_ENTRIES)
            if directory_bytes > most * _DIRECTORY_BYTES_PER_ENTRY:
                raise OwnPhotosError("error_own_zip_broken", f"Expected a zip directory of at most "
                                     f"{most * _DIRECTORY_BYTES_PER_ENTRY} bytes. Received: {directory_bytes}",
                                     reason="directory too large")
            try:
                with zipfile.ZipFile(file) as archive:
                    plan = _plan_zip(archive)
                    if not plan.members:
                        raise OwnPhotosError("error_own_zip_no_photos",
                                             "Expected photos in class folders. Received: none")
                    reading = threading.Lock()  # zipfile's open() counts its readers without a lock

                    def read(item: tuple[str, zipfile.ZipInfo]) -> np.ndarray | str:
                        with reading:  # inflating is quick; decoding, the slow part, runs on every thread
                            data = _read_member(archive, item[1])
                        return _read_photo(data)

                    read_photos = _decode_limited(plan.members, read,
                                                  lambda done: self._check_now_zip(plan, done), before_batch)
            except OwnPhotosError:
                raise
            # zipfile's own errors for a damaged directory or header, and what its parsing lets through
            # (a name that is not the UTF-8 its flag says, a truncated ZIP64 field).
            except (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, ValueError,
                    NotImplementedError) as error:
                raise OwnPhotosError("error_own_zip_broken",
                                     f"Expected a zip file. Received: {type(error).__name__}: {error}",
                                     reason="not a zip") from error
        staged: dict[str, list[np.ndarray]] = {}
        for (key, _), item in zip(plan.members, read_photos):
            if not isinstance(item, str):
                staged.setdefault(key, []).append(item)
        if not staged:
            raise OwnPhotosError("error_own_zip_no_photos", "Expected photos in class folders. Received: none")
        skipped = _count_reasons([_LOOSE] * plan.loose + [item for item in read_photos if isinstance(item, str)])
        added = self._commit(staged, plan.folders)
        return AddResult(added=added, skipped=skipped)

    def remove_class(self, name: str) -> None:
        """Removes a class and its photos (`name` as add takes it: capitals ignored).

        Raises:
            OwnPhotosError: `error_own_unknown_class` when there is no such class.
        """
        key = _class_key(name) if isinstance(name, str) else None
        with self._lock:
            kept = self._name_of(key) if key is not None else None
            if kept is None:
                raise OwnPhotosError("error_own_unknown_class", f"Expected one of {list(self._classes)}. "
                                     f"Received: {_short(str(name))!r}", name=_short(str(name)))
            self._bytes -= sum(photo.nbytes for photo in self._classes.pop(kept))
            self._used()

    def clear(self) -> None:
        """Removes every class and photo."""
        with self._lock:
            self._classes.clear()
            self._bytes = 0
            self._used()

    # --- inside (callers hold self._lock where it says so) ---

    def _name_of(self, key: str) -> str | None:
        """The kept name of the class `key` names, or None. Under the lock."""
        return next((name for name in self._classes if _class_key(name) == key), None)

    def _used(self) -> None:
        if self._registry is not None:
            self._registry._touch(self._session)

    def _check_now(self, key: str, name: str, read: list) -> None:
        with self._lock:
            self._check_limits({key: [item for item in read if not isinstance(item, str)]}, {key: name})

    def _check_now_zip(self, plan: _ZipPlan, read: list) -> None:
        staged: dict[str, list] = {}
        for (key, _), item in zip(plan.members, read):
            if not isinstance(item, str):
                staged.setdefault(key, []).append(item)
        with self._lock:
            self._check_limits(staged, plan.folders)

    def _check_limits(self, staged: dict[str, list[np.ndarray]], names: dict[str, str]) -> None:
        """Raises the first limit that storing `staged` (class key -> photos) would break. Under the lock.
        A class in `names` with no staged photo is made only by `add` (a name given on its own)."""
        new = [key for key in staged if self._name_of(key) is None]
        if len(self._classes) + len(new) > config.MAX_CLASSES:
            raise OwnPhotosError("error_own_too_many_classes",
                                 f"Expected at most {config.MAX_CLASSES} classes. Received: "
                                 f"{len(self._classes) + len(new)}",
                                 classes=len(self._classes) + len(new), limit=config.MAX_CLASSES)
        for key, photos in staged.items():
            kept = self._name_of(key)
            count = len(self._classes[kept]) + len(photos) if kept is not None else len(photos)
            if count > config.OWN_MAX_PER_CLASS:
                name = kept or names[key]
                raise OwnPhotosError("error_own_class_full", f"Expected at most {config.OWN_MAX_PER_CLASS} photos "
                                     f"in {_short(name)!r}. Received: {count}",
                                     name=name, photos=count, limit=config.OWN_MAX_PER_CLASS)
        total = sum(len(photos) for photos in self._classes.values()) + sum(len(p) for p in staged.values())
        if total > config.OWN_MAX_PER_SESSION:
            raise OwnPhotosError("error_own_session_photos",
                                 f"Expected at most {config.OWN_MAX_PER_SESSION} photos. Received: {total}",
                                 photos=total, limit=config.OWN_MAX_PER_SESSION)
        stored = self._bytes + sum(photo.nbytes for photos in staged.values() for photo in photos)
        if stored > config.OWN_MAX_SESSION_BYTES:
            raise OwnPhotosError("error_own_session_bytes",
                                 f"Expected at most {config.OWN_MAX_SESSION_BYTES} bytes of photos. "
                                 f"Received: {stored}",
                                 megabytes=stored / MEGABYTE, limit=config.OWN_MAX_SESSION_BYTES / MEGABYTE)

    def _commit(self, staged: dict[str, list[np.ndarray]], names: dict[str, str]) -> dict[str, int]:
        """Stores `staged` after checking every limit again (the store may have changed while its photos
        were decoded), and the server's room; returns the photos added per class, in class order."""
        with self._lock:
            if self._gone is not None:
                if self._registry is not None:
                    self._registry._forget_mark(self._session)  # the student hears it once, here
                raise OwnPhotosDropped(self._gone, "Expected photos kept. Received: a store the server dropped")
            self._check_limits(staged, names)
            size = sum(photo.nbytes for photos in staged.values() for photo in photos)
            if self._registry is not None:
                self._registry._make_room(self._session, size)
            added: dict[str, int] = {}
            for key, photos in staged.items():
                kept = self._name_of(key)
                if kept is None:
                    kept = names[key]
                    self._classes[kept] = []
                self._classes[kept].extend(photos)
                added[kept] = len(photos)
            self._bytes += size
            self._used()
            return {name: added[name] for name in self._classes if name in added}

    def _discard(self, key: str) -> None:
        """The registry dropped these photos (under its lock, which is this store's)."""
        self._classes.clear()
        self._bytes = 0
        self._gone = key


def _count_reasons(reasons: Iterable[str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for reason in reasons:
        counted[reason] = counted.get(reason, 0) + 1
    return counted


# --- every session's photos -----------------------------------------------------------------------

class OwnPhotosRegistry:
    """Every session's OwnPhotos, within one memory budget for the whole server.

    `store(session)` gives the session's photos (made on first use). When storing a session's photos
    would pass `server_bytes` (None: config.OWN_PHOTOS_SERVER_BYTES), the least recently used other
    sessions' photos are dropped first; a session unused for `idle_s` (None: config.OWN_PHOTOS_IDLE_S)
    is dropped at the next access to the registry. A dropped session's next `store` raises
    OwnPhotosDropped once, then gives it an empty store. One lock for the registry and its stores, so a
    store's limits and the server's are checked in one step; decoding happens outside it.
    """

    def __init__(self, server_bytes: int | None = None, idle_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.server_bytes = server_bytes
        self.idle_s = idle_s
        self._clock = clock
        self._lock = threading.RLock()
        self._stores: OrderedDict[str, OwnPhotos] = OrderedDict()  # least recently used first
        self._last_used: dict[str, float] = {}
        self._marks: dict[str, tuple[str, float]] = {}  # dropped session -> (key, when), told once

    @property
    def budget(self) -> int:
        return config.OWN_PHOTOS_SERVER_BYTES if self.server_bytes is None else self.server_bytes

    @property
    def idle_limit(self) -> float:
        return config.OWN_PHOTOS_IDLE_S if self.idle_s is None else self.idle_s

    def store(self, session: str) -> OwnPhotos:
        """The session's photos, now its most recently used.

        Raises:
            OwnPhotosDropped: once after the server dropped the session's photos (`error_own_photos_dropped`,
                `error_own_photos_expired`, with `minutes`); the next call gives an empty store.
        """
        if not isinstance(session, str) or not session:
            raise ValueError(f"Expected a session id. Received: {session!r}")
        with self._lock:
            self._expire()
            mark = self._marks.pop(session, None)
            if mark is not None:
                raise OwnPhotosDropped(mark[0], "Expected photos kept. Received: photos the server dropped",
                                       minutes=round(self.idle_limit / 60))
            photos = self._stores.get(session)
            if photos is None:
                photos = self._stores[session] = OwnPhotos(_lock=self._lock, _registry=self, _session=session)
            self._touch(session)
            return photos

    def forget(self, session: str) -> None:
        """Drops the session's photos at once and without a message (its tab closed)."""
        with self._lock:
            photos = self._stores.pop(session, None)
            self._last_used.pop(session, None)
            self._marks.pop(session, None)
            if photos is not None:
                photos._discard("error_own_photos_dropped")
            self._expire()

    def total_bytes(self) -> int:
        with self._lock:
            self._expire()
            return sum(photos._bytes for photos in self._stores.values())

    def sessions(self) -> list[str]:
        """Sessions holding a store, least recently used first."""
        with self._lock:
            self._expire()
            return list(self._stores)

    # --- inside (under self._lock) ---

    def _touch(self, session: str | None) -> None:
        if session in self._stores:
            self._stores.move_to_end(session)
            self._last_used[session] = self._clock()

    def _drop(self, session: str, key: str) -> None:
        photos = self._stores.pop(session)
        self._last_used.pop(session, None)
        photos._discard(key)
        self._marks[session] = (key, self._clock())

    def _forget_mark(self, session: str | None) -> None:
        self._marks.pop(session, None)

    def _expire(self) -> None:
        now = self._clock()
        for session in [s for s in self._stores if now - self._last_used.get(s, now) >= self.idle_limit]:
            self._drop(session, "error_own_photos_expired")
        # A mark older than the idle limit is for a page whose own state has expired as well.
        for session in [s for s, (_, when) in self._marks.items() if now - when >= self.idle_limit]:
            del self._marks[session]

    def _make_room(self, session: str | None, size: int) -> None:
        """Drops other sessions' photos, least recently used first, until `size` more bytes fit the
        budget. Raises OwnPhotosError `error_own_server_full`, dropping nobody, when they never would."""
        self._expire()
        if session not in self._stores:  # expired (or forgotten) while its photos were decoded
            mark = self._marks.pop(session, ("error_own_photos_dropped", 0.0))
            raise OwnPhotosDropped(mark[0], "Expected photos kept. Received: a store the server dropped",
                                   minutes=round(self.idle_limit / 60))
        own = self._stores[session]._bytes
        total = sum(photos._bytes for photos in self._stores.values())
        if own + size > self.budget:
            raise OwnPhotosError("error_own_server_full",
                                 f"Expected at most {self.budget} bytes of photos on the server. "
                                 f"Received: {own + size}",
                                 megabytes=(own + size) / MEGABYTE, limit=self.budget / MEGABYTE)
        for other in [s for s in self._stores if s != session]:  # least recently used first
            if total + size <= self.budget:
                break
            if self._stores[other]._bytes:
                total -= self._stores[other]._bytes
                self._drop(other, "error_own_photos_dropped")


OWN = OwnPhotosRegistry()  # the app's one registry: every session's own photos
