"""Issue 36, a session's own photos (flower_demo/data/own_photos.py): in memory only, within limits.

Synthetic photos written here with PIL (each class its own colour): adding files, bytes and arrays,
what is skipped and why, every limit (all or nothing), names, zips (a wrapping folder, bad paths, links,
bombs and lies, too many entries, junk), the summary's warnings, the photos for training through the
one preprocessing path, the registry (sessions apart, the server's cap, idle expiry, forget), that
nothing reaches the disk, and what 300 webcam photos cost.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import stat
import struct
import threading
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flower_demo import config
from flower_demo.data import images, own_photos, photo_cache
from flower_demo.data.own_photos import OwnPhotos, OwnPhotosDropped, OwnPhotosError, OwnPhotosRegistry
from flower_demo.i18n import TEXTS, translate

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 40), (20, 40, 230), (240, 220, 20)


def photo_bytes(color=RED, size=(64, 48), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def write_photo(path: Path, color=RED, size=(64, 48), fmt="PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo_bytes(color, size, fmt))
    return path


def small(color=RED, side=4) -> np.ndarray:
    """A tiny photo as an array (the webcam's kind of source): cheap to add by the hundred."""
    return np.full((side, side, 3), color, np.uint8)


def write_zip(path: Path, members: dict, method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def assert_refused(call, key: str) -> OwnPhotosError:
    with pytest.raises(OwnPhotosError) as caught:
        call()
    assert caught.value.key == key, caught.value
    assert caught.value.detail.startswith("Expected"), caught.value.detail
    assert key in TEXTS["en"] and key in TEXTS["es"]
    for language in ("en", "es"):
        text = translate(key, language, **caught.value.values)
        assert "{" not in text and text.strip(), text
    return caught.value


def counts(store: OwnPhotos) -> dict[str, int]:
    return {entry["name"]: entry["photos"] for entry in store.summary()["classes"]}


# --- adding photos ---------------------------------------------------------------------------------

def test_add_files_bytes_and_arrays(tmp_path):
    store = OwnPhotos()
    files = [write_photo(tmp_path / f"red{i}.png", RED) for i in range(3)]
    result = store.add("rojo", [*files, photo_bytes(RED, fmt="JPEG"), str(files[0]), small(RED, 8)])
    assert result.added == {"rojo": 6} and result.skipped == {} and result.added_total == 6
    assert json.loads(json.dumps(result.as_dict())) == {"added": {"rojo": 6}, "skipped": {}, "added_total": 6,
                                                         "skipped_total": 0}
    store.add("verde", write_photo(tmp_path / "g.png", GREEN))  # one source on its own
    assert counts(store) == {"rojo": 6, "verde": 1}
    assert store.class_names == ("rojo", "verde") and len(store) == 7
    kept = store.thumbnails(per_class=10, side=256)["rojo"]
    assert all(p.dtype == np.uint8 and p.shape == (48, 64, 3) and not p.flags.writeable for p in kept[1:])
    assert np.abs(kept[-1].astype(int) - RED).max() <= 2  # the first photo, its colour kept


def test_photos_are_kept_within_256_pixels_with_their_aspect():
    store = OwnPhotos()
    store.add("a", [small(RED, 1)[:1, :1].repeat(480, 0).repeat(640, 1), np.zeros((1000, 200, 3), np.uint8)])
    wide, tall = store.thumbnails(per_class=2, side=256)["a"][::-1]
    assert wide.shape == (192, 256, 3) and tall.shape == (256, 51, 3)
    assert store.nbytes == wide.nbytes + tall.nbytes


def test_a_name_alone_makes_an_empty_class_and_the_order_is_kept():
    store = OwnPhotos()
    assert store.add("zeta", []).added == {"zeta": 0}
    store.add("alfa", [small()])
    store.add("Zeta", [small(GREEN)])  # capitals aside, the same class
    assert store.class_names == ("zeta", "alfa") and counts(store) == {"zeta": 1, "alfa": 1}


def test_non_images_are_skipped_and_counted(tmp_path):
    text_as_jpeg = tmp_path / "notes.jpg"
    text_as_jpeg.write_text("not a photo, whatever the name says")
    store = OwnPhotos()
    result = store.add("gato", [write_photo(tmp_path / "cat.png"), text_as_jpeg, b"hello", b"",
                                photo_bytes()[:60], tmp_path / "missing.png", np.array([["a", "b"]])])
    assert result.added == {"gato": 1}
    assert result.skipped == {"error_not_image": 3, "error_empty": 1, "error_broken_image": 2}
    assert counts(store) == {"gato": 1}


def test_files_over_10_mb_are_not_read(tmp_path, monkeypatch):
    big = tmp_path / "big.png"
    big.write_bytes(photo_bytes() + b"\0" * config.MAX_UPLOAD_BYTES)
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    store = OwnPhotos()
    too_large = photo_bytes() + b"\0" * config.MAX_UPLOAD_BYTES
    result = store.add("a", [big, write_photo(tmp_path / "fine.png"), too_large])
    assert result.added == {"a": 1} and result.skipped == {"error_too_large_file": 2}
    assert read == ["fine.png"]


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels and holds none: decoding it would be the bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IEND", b""))


def test_pictures_over_40_megapixels_are_skipped_undecoded():
    huge_view = np.broadcast_to(np.zeros(3, np.uint8), (8000, 5001, 3))  # 40.008 MP, no memory behind it
    store = OwnPhotos()
    result = store.add("a", [png_header(8000, 5001), huge_view, small()])
    assert result.skipped == {"error_too_many_pixels": 2} and result.added == {"a": 1}


# --- limits: refused whole, nothing stored ---------------------------------------------------------

def test_an_11th_class_is_refused_but_adding_to_the_ten_is_not():
    store = OwnPhotos()
    for index in range(config.MAX_CLASSES):
        store.add(f"clase {index}", [small()])
    error = assert_refused(lambda: store.add("once", [small()]), "error_own_too_many_classes")
    assert error.values == {"classes": 11, "limit": 10}
    assert len(store.class_names) == 10 and "once" not in store.class_names
    store.add("CLASE 3", [small()])
    assert counts(store)["clase 3"] == 2


def test_the_301st_photo_of_a_class_is_refused():
    store = OwnPhotos()
    store.add("a", [small()] * config.OWN_MAX_PER_CLASS)
    error = assert_refused(lambda: store.add("A", [small()]), "error_own_class_full")
    assert error.values == {"name": "a", "photos": 301, "limit": 300}
    assert counts(store) == {"a": 300}
    assert_refused(lambda: store.add("b", [small()] * 301), "error_own_class_full")
    assert store.class_names == ("a",)  # not even the new class is made


def test_a_call_over_the_limit_stops_decoding_early(monkeypatch):
    monkeypatch.setattr(config, "OWN_MAX_PER_CLASS", 5)
    decoded = []
    original = own_photos._read_photo
    monkeypatch.setattr(own_photos, "_read_photo", lambda source: decoded.append(1) or original(source))
    assert_refused(lambda: OwnPhotos().add("a", [small()] * 500), "error_own_class_full")
    assert len(decoded) <= 2 * own_photos._CHUNK


def test_the_session_photo_cap(monkeypatch):
    monkeypatch.setattr(config, "OWN_MAX_PER_SESSION", 5)
    store = OwnPhotos()
    store.add("a", [small()] * 3)
    error = assert_refused(lambda: store.add("b", [small(GREEN)] * 3), "error_own_session_photos")
    assert error.values == {"photos": 6, "limit": 5}
    assert counts(store) == {"a": 3}
    store.add("b", [small(GREEN)] * 2)
    assert len(store) == 5


def test_the_session_byte_cap(monkeypatch):
    one = small(RED, 16).nbytes  # 768 bytes
    monkeypatch.setattr(config, "OWN_MAX_SESSION_BYTES", 2 * one + 10)
    store = OwnPhotos()
    store.add("a", [small(RED, 16)] * 2)
    error = assert_refused(lambda: store.add("a", [small(RED, 16)]), "error_own_session_bytes")
    assert error.values["megabytes"] == pytest.approx(3 * one / 2**20)
    assert store.nbytes == 2 * one and len(store) == 2


def test_concurrent_adds_never_pass_a_limit(monkeypatch):
    monkeypatch.setattr(config, "OWN_MAX_PER_CLASS", 10)
    store, outcomes = OwnPhotos(), []

    def add():
        try:
            outcomes.append(store.add("a", [small()] * 3).added_total)
        except OwnPhotosError as error:
            outcomes.append(error.key)

    threads = [threading.Thread(target=add) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(3) == 3 and outcomes.count("error_own_class_full") == 5
    assert len(store) == 9


# --- names -------------------------------------------------------------------------------------------

def test_class_names_are_trimmed_checked_and_merged_ignoring_case():
    store = OwnPhotos()
    error = assert_refused(lambda: store.add("x" * 500, [small()]), "error_own_class_name")
    assert error.values == {"max_chars": 30}
    for bad in ("", "   ", "two\nlines", None, 7):
        assert_refused(lambda: store.add(bad, [small()]), "error_own_class_name")
    assert store.class_names == ()
    store.add("  Gato  ", [small()])
    store.add("gato", [small()])
    store.add("GATO", [small()])
    store.add("cafe\u0301", [small()])  # decomposed, as macOS writes it
    store.add("CAFÉ", [small()])
    assert counts(store) == {"Gato": 3, "café": 2}


# --- zips --------------------------------------------------------------------------------------------

def test_a_zip_with_a_wrapping_folder_junk_and_non_images(tmp_path):
    path = write_zip(tmp_path / "plantas.zip", {
        "plantas/": b"",
        "plantas/roble/": b"",
        "plantas/roble/1.png": photo_bytes(GREEN),
        "plantas/roble/2.jpg": photo_bytes(GREEN, fmt="JPEG"),
        "plantas/roble/mas/3.png": photo_bytes(GREEN),  # deeper folders belong to the class
        "plantas/roble/notas.txt": b"apuntes",
        "plantas/pino/1.png": photo_bytes(BLUE),
        "plantas/LEEME.txt": b"una carpeta por clase",
        "plantas/.DS_Store": b"\0\0\0\1Bud1",
        "__MACOSX/plantas/roble/._1.png": b"\0\5\26\7 resource fork",
        "plantas/roble/Thumbs.db": b"\xd0\xcf\x11\xe0",
    })
    store = OwnPhotos()
    result = store.add_zip(path)
    assert result.added == {"pino": 1, "roble": 3}  # new classes in the folders' sorted order
    assert result.skipped == {"error_not_image": 1, "error_own_zip_loose": 1}
    assert store.class_names == ("pino", "roble")
    assert np.abs(store.thumbnails(per_class=1)["pino"][0].astype(int) - BLUE).max() <= 2


def test_a_zip_without_a_wrapper_from_bytes_merges_into_existing_classes(tmp_path):
    store = OwnPhotos()
    store.add("Gato", [small()])
    data = write_zip(tmp_path / "z.zip", {"gato/1.png": photo_bytes(RED), "perro/1.png": photo_bytes(BLUE),
                                          "perro/2.png": photo_bytes(BLUE)}).read_bytes()
    assert store.add_zip(data).added == {"Gato": 1, "perro": 2}
    assert counts(store) == {"Gato": 2, "perro": 2}


def test_a_single_class_folder_is_a_class_not_a_wrapper(tmp_path):
    store = OwnPhotos()
    store.add_zip(write_zip(tmp_path / "z.zip", {"gato/1.png": photo_bytes(), "gato/2.png": photo_bytes()}))
    assert counts(store) == {"gato": 2}


@pytest.mark.parametrize("name", ["../evil.png", "a/../../evil.png", "/etc/evil.png", "a\\..\\..\\evil.png",
                                  "C:/evil.png", "__MACOSX/../../evil.png"])
def test_paths_leaving_the_zip_refuse_it_whole(tmp_path, name):
    path = write_zip(tmp_path / "z.zip", {"a/1.png": photo_bytes(), "b/1.png": photo_bytes(BLUE),
                                          name: photo_bytes()})
    store = OwnPhotos()
    error = assert_refused(lambda: store.add_zip(path), "error_own_zip_path")
    assert error.values == {"name": name}
    assert store.class_names == () and store.nbytes == 0
    assert sorted(p.name for p in tmp_path.parent.rglob("evil.png")) == []


def test_links_refuse_the_zip(tmp_path):
    link = zipfile.ZipInfo("a/passwd.png")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/1.png", photo_bytes())
        archive.writestr(link, "/etc/passwd")
    assert_refused(lambda: OwnPhotos().add_zip(path), "error_own_zip_link")


def test_a_member_over_10_mb_refuses_the_zip_before_inflating(tmp_path):
    path = write_zip(tmp_path / "z.zip", {"a/1.png": photo_bytes(),
                                          "a/zeros.png": b"\0" * (config.MAX_UPLOAD_BYTES + 1)})
    assert path.stat().st_size < 100_000  # ten megabytes of zeros deflate to ~10 KB
    store = OwnPhotos()
    error = assert_refused(lambda: store.add_zip(path), "error_own_zip_member_too_large")
    assert error.values == {"name": "a/zeros.png", "limit": 10.0}
    assert store.class_names == ()


def lie_about_size(path: Path, declared: int) -> None:
    """Rewrites the single member's uncompressed size in its local header and its directory entry."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"PK\x03\x04"
    struct.pack_into("<L", data, 22, declared)
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<L", data, central + 24, declared)
    path.write_bytes(bytes(data))


def test_a_member_lying_about_its_size_is_refused_after_its_declared_bytes(tmp_path):
    """The zip bomb that hides: it declares 1 KB and inflates to 30 MB."""
    path = write_zip(tmp_path / "bomb.zip", {"a/bomb.png": b"\0" * 30_000_000})
    lie_about_size(path, 1000)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("a/bomb.png").file_size == 1000
    store = OwnPhotos()
    tracemalloc.start()
    try:
        assert_refused(lambda: store.add_zip(path), "error_own_zip_broken")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # never the 30 MB
    assert store.class_names == ()


def test_many_members_that_inflate_past_the_total_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "OWN_ZIP_MAX_UNPACKED_BYTES", 1_000_000)
    path = write_zip(tmp_path / "z.zip", {f"a/{i}.png": b"\0" * 400_000 for i in range(3)})
    error = assert_refused(lambda: OwnPhotos().add_zip(path), "error_own_zip_unpacked")
    assert error.values["megabytes"] == pytest.approx(1_200_000 / 2**20)


def test_too_many_entries(tmp_path, monkeypatch):
    members = {f"a/{i}.txt": b"x" for i in range(config.OWN_ZIP_MAX_ENTRIES + 1)}
    path = write_zip(tmp_path / "z.zip", members)
    error = assert_refused(lambda: OwnPhotos().add_zip(path), "error_own_zip_entries")
    assert error.values == {"entries": 1501, "limit": 1500}
    # macOS's copies do not count, but a directory far larger than any real zip is refused before parsing it.
    monkeypatch.setattr(config, "OWN_ZIP_MAX_ENTRIES", 5)
    mac = {f"a/{i}.png": photo_bytes() for i in range(5)} | {f"__MACOSX/a/._{i}.png": b"\0" for i in range(5)}
    assert OwnPhotos().add_zip(write_zip(tmp_path / "mac.zip", mac)).added == {"a": 5}
    junk = {f"__MACOSX/a/._{i}.png": b"\0" for i in range(21)}
    path = write_zip(tmp_path / "junk.zip", junk)
    error = assert_refused(lambda: OwnPhotos().add_zip(path), "error_own_zip_entries")
    assert error.values == {"entries": 21, "limit": 5}


def test_zips_we_do_not_read(tmp_path, monkeypatch):
    assert_refused(lambda: OwnPhotos().add_zip(write_photo(tmp_path / "photo.zip")), "error_own_zip_broken")
    assert_refused(lambda: OwnPhotos().add_zip(tmp_path / "missing.zip"), "error_own_zip_broken")
    bzip = write_zip(tmp_path / "b.zip", {"a/1.png": photo_bytes()}, method=zipfile.ZIP_BZIP2)
    assert_refused(lambda: OwnPhotos().add_zip(bzip), "error_own_zip_broken")
    nothing = write_zip(tmp_path / "n.zip", {"1.png": photo_bytes(), "a/notes.txt": b"x", "__MACOSX/a/._1.png": b"x"})
    assert_refused(lambda: OwnPhotos().add_zip(nothing), "error_own_zip_no_photos")
    monkeypatch.setattr(config, "OWN_ZIP_MAX_BYTES", 100)
    error = assert_refused(lambda: OwnPhotos().add_zip(bzip), "error_own_zip_too_large")
    assert error.values["limit"] == pytest.approx(100 / 2**20)


def test_a_zip_that_breaks_a_limit_stores_nothing(tmp_path, monkeypatch):
    store = OwnPhotos()
    store.add("ya", [small()])
    eleven = {f"clase{i:02d}/1.png": photo_bytes() for i in range(10)}
    assert_refused(lambda: store.add_zip(write_zip(tmp_path / "11.zip", eleven)), "error_own_too_many_classes")
    monkeypatch.setattr(config, "OWN_MAX_PER_CLASS", 3)
    full = {"b/1.png": photo_bytes(), "c/1.png": photo_bytes(), "c/2.png": photo_bytes(), "c/3.png": photo_bytes(),
            "c/4.png": photo_bytes()}
    error = assert_refused(lambda: store.add_zip(write_zip(tmp_path / "full.zip", full)), "error_own_class_full")
    assert error.values == {"name": "c", "photos": 4, "limit": 3}
    long = {"b/1.png": photo_bytes(), ("x" * 31) + "/1.png": photo_bytes()}
    assert_refused(lambda: store.add_zip(write_zip(tmp_path / "long.zip", long)), "error_own_class_name")
    assert counts(store) == {"ya": 1}


# --- summary, removing ---------------------------------------------------------------------------

def test_summary_warnings_and_json():
    store = OwnPhotos()
    summary = store.summary()
    assert summary["warnings"] == [["warning_own_few_classes", {"classes": 0, "minimum": 2}]]
    store.add("a", [small()] * 12)
    store.add("b", [small(BLUE)] * 3)
    summary = json.loads(json.dumps(store.summary()))
    assert summary["classes"] == [{"name": "a", "photos": 12}, {"name": "b", "photos": 3}]
    assert summary["photos"] == 15 and summary["bytes"] == 15 * small().nbytes
    assert summary["limits"] == {"classes": 10, "per_class": 300, "per_session": 1000, "bytes": 150 * 2**20}
    assert summary["warnings"] == [
        ["warning_own_few_photos", {"name": "b", "count": 3, "minimum": 10}],
        ["warning_own_unbalanced", {"largest": "a", "most": 12, "smallest": "b", "fewest": 3}]]
    store.add("b", [small(BLUE)] * 7)  # 12 against 10: balanced enough, and enough photos
    assert store.summary()["warnings"] == []
    for key, values in summary["warnings"]:
        assert "{" not in translate(key, "es", **values)
    assert translate("warning_own_few_photos", "en", name="b", count=1, minimum=10).startswith("“b” has 1 photo:")


def test_remove_a_class_and_clear():
    store = OwnPhotos()
    store.add("a", [small()] * 2)
    store.add("b", [small(BLUE)])
    store.remove_class("A")
    assert store.class_names == ("b",) and store.nbytes == small().nbytes
    assert_refused(lambda: store.remove_class("zzz"), "error_own_unknown_class")
    store.clear()
    assert store.class_names == () and store.nbytes == 0 and len(store) == 0


def test_thumbnails_show_the_newest_first_small():
    store = OwnPhotos()
    store.add("a", [small(RED, 100), small(GREEN, 100), small(BLUE, 100)])
    store.add("b", [])
    thumbs = store.thumbnails(per_class=2, side=32)
    assert list(thumbs) == ["a", "b"] and thumbs["b"] == []
    assert [tuple(t[0, 0]) for t in thumbs["a"]] == [BLUE, GREEN]
    assert all(t.shape == (32, 32, 3) for t in thumbs["a"])


# --- for training --------------------------------------------------------------------------------

def test_for_training_goes_through_the_one_preprocessing_path(monkeypatch):
    store = OwnPhotos()
    store.add("rojo", [small(RED, 40)] * 2)
    store.add("verde", [np.full((30, 50, 3), GREEN, np.uint8)] * 3)
    store.add("azul", [small(BLUE, 20)] * 4)
    calls = []
    original = images.prepare_for_model
    monkeypatch.setattr(images, "prepare_for_model", lambda rgb, size: calls.append(size) or original(rgb, size))
    decoded = store.for_training(32)
    assert isinstance(decoded, photo_cache.DecodedPhotos)
    assert calls == [32] * 9
    assert decoded.images.shape == (9, 32, 32, 3) and decoded.images.dtype == np.uint8
    assert decoded.labels.tolist() == [0, 0, 1, 1, 1, 2, 2, 2, 2] and decoded.labels.dtype == np.int32
    assert decoded.class_names == ("rojo", "verde", "azul")
    assert decoded.file_positions.tolist() == list(range(9)) and decoded.file_count == 9 and decoded.skipped == ()
    kept = [photo for photos in store.thumbnails(per_class=10, side=256).values() for photo in photos[::-1]]
    assert np.array_equal(decoded.images, np.stack([original(photo, 32) for photo in kept]))
    (x_train, y_train), (x_val, y_val) = photo_cache.split(decoded, 0.2)
    assert len(x_train) + len(x_val) == 9 and len(y_val) == 1


def test_for_training_needs_two_classes_with_photos():
    store = OwnPhotos()
    store.add("a", [small()])
    error = assert_refused(lambda: store.for_training(32), "error_own_too_few_classes")
    assert error.values == {"classes": 1, "minimum": 2}
    store.add("b", [])
    error = assert_refused(lambda: store.for_training(32), "error_own_empty_class")
    assert error.values == {"name": "b"}
    with pytest.raises(ValueError, match="Expected an image size"):
        store.for_training(10_000)


# --- the registry --------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_are_apart():
    registry = OwnPhotosRegistry()
    registry.store("A").add("gato", [small()])
    assert registry.store("B").summary()["classes"] == []
    assert registry.store("A").class_names == ("gato",)
    assert registry.store("A") is registry.store("A") and registry.sessions() == ["B", "A"]
    with pytest.raises(ValueError):
        registry.store(None)


def test_the_server_cap_drops_the_least_recently_used_other_session_once():
    one = small().nbytes
    registry = OwnPhotosRegistry(server_bytes=4 * one, clock=Clock())
    registry.store("A").add("a", [small()] * 2)
    registry.store("B").add("b", [small()] * 1)
    registry.store("C").add("c", [small()] * 1)
    registry.store("B")  # B used again: A is now the least recently used
    registry.store("C").add("c", [small()] * 2)  # 6 would pass 4: A goes, and only A
    assert registry.total_bytes() == 4 * one
    with pytest.raises(OwnPhotosDropped) as dropped:
        registry.store("A")
    assert dropped.value.key == "error_own_photos_dropped"
    assert "memory" in translate(dropped.value.key, "en", **dropped.value.values)
    assert registry.store("A").class_names == ()  # told once, then an empty store
    assert registry.store("B").class_names == ("b",) and len(registry.store("C")) == 3
    # A session that alone would pass the cap is refused, and nobody else loses anything.
    assert_refused(lambda: registry.store("B").add("b", [small()] * 4), "error_own_server_full")
    assert len(registry.store("B")) == 1 and len(registry.store("C")) == 3


def test_a_store_held_while_dropped_refuses_to_add_once():
    one = small().nbytes
    registry = OwnPhotosRegistry(server_bytes=2 * one)
    held = registry.store("A")
    held.add("a", [small()] * 2)
    registry.store("B").add("b", [small()])  # A goes
    with pytest.raises(OwnPhotosDropped):
        held.add("a", [small()])
    assert registry.store("A").class_names == ()  # the message was given once, by the add


def test_idle_sessions_expire_on_the_next_access():
    clock = Clock()
    registry = OwnPhotosRegistry(clock=clock)
    registry.store("A").add("a", [small()])
    registry.store("B").add("b", [small()])
    clock.now += config.OWN_PHOTOS_IDLE_S - 1
    registry.store("B")
    clock.now += 1
    assert registry.sessions() == ["B"] and registry.total_bytes() == small().nbytes
    with pytest.raises(OwnPhotosDropped) as expired:
        registry.store("A")
    assert expired.value.key == "error_own_photos_expired" and expired.value.values == {"minutes": 60}
    assert translate("error_own_photos_expired", "es", minutes=60).startswith("Tus fotos se borraron tras 60 minutos")
    assert registry.store("A").class_names == ()


def test_forget_drops_a_session_at_once_and_quietly():
    registry = OwnPhotosRegistry()
    held = registry.store("A")
    held.add("a", [small()] * 3)
    registry.forget("A")
    assert registry.total_bytes() == 0 and held.nbytes == 0
    assert registry.store("A").class_names == ()
    registry.forget("never seen")


def test_the_apps_registry_uses_the_config():
    assert isinstance(own_photos.OWN, OwnPhotosRegistry)
    assert own_photos.OWN.budget == config.OWN_PHOTOS_SERVER_BYTES
    assert own_photos.OWN.idle_limit == config.OWN_PHOTOS_IDLE_S == 3600
    # 30 sessions of 300 webcam photos fit without dropping anyone.
    assert 30 * 300 * 256 * 192 * 3 <= config.OWN_PHOTOS_SERVER_BYTES


# --- privacy and memory --------------------------------------------------------------------------

def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    images.prepare_for_model(small(), 8)  # TensorFlow loaded before watching
    sources = [write_photo(tmp_path / "in" / f"{i}.png", RED) for i in range(3)]
    archive = write_zip(tmp_path / "in.zip", {"b/1.png": photo_bytes(BLUE), "b/2.png": photo_bytes(BLUE)})
    before = sorted(p for p in tmp_path.rglob("*")), sorted(config.cache_dir().rglob("*"))
    writes = []
    real_open, real_os_open = builtins.open, os.open

    def watched_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            writes.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    def watched_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            writes.append(str(path))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watched_open)
    monkeypatch.setattr(io, "open", watched_open)
    monkeypatch.setattr(os, "open", watched_os_open)
    registry = OwnPhotosRegistry()
    store = registry.store("A")
    store.add("a", sources)
    store.add_zip(archive)
    store.add_zip(archive.read_bytes())
    store.summary()
    store.thumbnails()
    store.for_training(32)
    registry.forget("A")
    monkeypatch.undo()
    assert writes == []
    assert (sorted(tmp_path.rglob("*")), sorted(config.cache_dir().rglob("*"))) == before


def test_300_webcam_photos_take_at_most_60_mb():
    webcam = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    store = OwnPhotos()
    store.add("a", [webcam] * 300)
    photos = store.thumbnails(per_class=300, side=256)["a"]
    assert len(photos) == 300 and all(photo.shape == (192, 256, 3) for photo in photos)
    assert store.nbytes == sum(photo.nbytes for photo in photos) == 300 * 192 * 256 * 3  # 44.2 MB
    assert store.nbytes <= 60 * 1000 * 1000
    assert len({id(photo) for photo in photos}) == 300  # each its own array: the count is what is held


def test_zip_names_in_utf8_without_the_flag_are_read_as_utf8(tmp_path):
    """Linux's zip writes "niño/1.png" as UTF-8 bytes without saying so; zipfile alone reads "ni├▒o"."""
    path = write_zip(tmp_path / "z.zip", {"ni__o/1.png": photo_bytes(), "b/1.png": photo_bytes(BLUE)})
    data = path.read_bytes()
    assert data.count(b"ni__o/") == 2  # its local header and its directory entry
    path.write_bytes(data.replace(b"ni__o/", "niño/".encode()))
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[0] == "ni├▒o/1.png"
    store = OwnPhotos()
    store.add_zip(path)
    assert store.class_names == ("b", "niño")


def test_damaged_zips_give_only_our_errors(tmp_path):
    """Every single-byte change of a small zip: stored, or refused with one of our keys, never a crash."""
    good = write_zip(tmp_path / "z.zip", {"a/1.png": photo_bytes(size=(8, 8)), "b/1.png": photo_bytes(BLUE, (8, 8))})
    data = good.read_bytes()
    rng = np.random.default_rng(36)
    for position in rng.integers(0, len(data), 150):
        damaged = bytearray(data)
        damaged[position] ^= int(rng.integers(1, 256))
        try:
            OwnPhotos().add_zip(bytes(damaged))
        except OwnPhotosError as error:
            assert error.key.startswith("error_own_"), error


def test_no_sources_is_no_photos():
    assert OwnPhotos().add("a", None).added == {"a": 0}


def test_photo_at_follows_for_trainings_order_and_names_the_class():
    store = OwnPhotos()
    store.add("rojo", [small(RED), small(RED)])
    store.add("verde", [small((0, 200, 0))])
    labels = store.for_training(8).labels
    assert [store.photo_at(row)[0] for row in range(len(store))] == [store.class_names[label] for label in labels]
    assert store.photo_at(2)[1][0, 0].tolist() == [0, 200, 0]
    with pytest.raises(IndexError):
        store.photo_at(3)
