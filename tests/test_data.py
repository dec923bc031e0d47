"""The photo modules (photo_index, photo_cache, download, dataset_overview): listing and splitting as Keras
does, decoding once, caching, the download, the Dataset tab's summary."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.fake_flowers import BROKEN_FILE, PHOTOS_PER_CLASS, synthetic_photo, write_flower_folder
from flower_demo import config
from flower_demo.data import dataset_overview, download, images, photo_cache, photo_index
from flower_demo.errors import DatasetError

CLASS_COUNT = 5
DECODABLE = CLASS_COUNT * PHOTOS_PER_CLASS


def keras_dataset(folder: Path, **options):
    import keras

    return keras.utils.image_dataset_from_directory(folder, image_size=(16, 16), batch_size=4, verbose=False,
                                                    **options)


def test_index_photos_lists_files_as_keras_does(flower_folder):
    # Odd cases: a nested folder, upper-case extensions, files that are not images, hidden folders.
    (flower_folder / "daisy" / "sub").mkdir()
    Image.new("RGB", (4, 4)).save(flower_folder / "daisy" / "sub" / "nested.png")
    Image.new("RGB", (4, 4)).save(flower_folder / "tulips" / "UPPER.JPG", "JPEG")
    Image.new("RGB", (4, 4)).save(flower_folder / "tulips" / "a_first.bmp")
    (flower_folder / "tulips" / "notes.txt").write_text("not a photo")
    (flower_folder / ".hidden").mkdir()
    Image.new("RGB", (4, 4)).save(flower_folder / ".hidden" / "x.png")
    (flower_folder / "README.txt").write_text("a file at the top level")

    index = photo_index.index_photos(flower_folder)
    reference = keras_dataset(flower_folder, shuffle=False)

    assert index.class_names == tuple(reference.class_names) == config.CLASS_NAMES
    assert [str(path) for path in index.paths] == list(reference.file_paths)
    for path, label in zip(index.paths, index.labels):
        assert path.relative_to(flower_folder).parts[0] == index.class_names[label]
    assert index.labels.dtype == np.int32
    assert np.bincount(index.labels).tolist() == [7, 6, 7, 6, 8]


def test_fingerprint_changes_with_the_files(flower_folder):
    before = photo_index.index_photos(flower_folder).fingerprint()
    assert photo_index.index_photos(flower_folder).fingerprint() == before
    Image.new("RGB", (4, 4)).save(flower_folder / "daisy" / "new.png")
    assert photo_index.index_photos(flower_folder).fingerprint() != before


@pytest.mark.parametrize("validation_split,seed", [(0.2, 123), (0.35, 7)])
def test_split_positions_match_keras(clean_flower_folder, validation_split, seed):
    index = photo_index.index_photos(clean_flower_folder)
    train_positions, val_positions = photo_index.split_positions(len(index.paths), validation_split, seed)

    options = dict(validation_split=validation_split, seed=seed, shuffle=True)
    keras_train = keras_dataset(clean_flower_folder, subset="training", **options)
    keras_val = keras_dataset(clean_flower_folder, subset="validation", **options)

    assert [str(index.paths[i]) for i in train_positions] == list(keras_train.file_paths)
    assert [str(index.paths[i]) for i in val_positions] == list(keras_val.file_paths)


def test_split_positions_is_a_partition():
    train, val = photo_index.split_positions(31, 0.2)
    assert len(val) == int(0.2 * 31) == 6
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(31))
    tiny_train, tiny_val = photo_index.split_positions(3, 0.2)  # int(0.6) == 0: still one validation photo
    assert len(tiny_val) == 1 and len(tiny_train) == 2
    all_train, no_val = photo_index.split_positions(10, 0.0)
    assert len(all_train) == 10 and len(no_val) == 0


def test_load_photos_skips_the_corrupt_file(flower_folder):
    progress = []
    photos = photo_cache.load_photos(flower_folder, 16, progress=lambda done, total: progress.append((done, total)))
    index = photo_index.index_photos(flower_folder)

    assert photos.skipped == (BROKEN_FILE,)
    assert photos.file_count == len(index.paths) == DECODABLE + 1
    assert photos.images.shape == (DECODABLE, 16, 16, 3)
    assert photos.images.dtype == np.uint8
    assert not photos.images.flags.writeable  # shared between sessions: read-only
    broken_position = [str(p.relative_to(flower_folder)) for p in index.paths].index(BROKEN_FILE)
    assert broken_position not in photos.file_positions.tolist()
    assert photos.class_names == config.CLASS_NAMES
    np.testing.assert_array_equal(photos.labels, index.labels[photos.file_positions])
    for row in (0, 7, DECODABLE - 1):
        path = index.paths[photos.file_positions[row]]
        np.testing.assert_array_equal(photos.images[row], images.prepare_for_model(images.load_image(path), 16))
    assert progress[-1] == (DECODABLE + 1, DECODABLE + 1)


def test_memory_cache_returns_the_same_photos(flower_folder):
    first = photo_cache.load_photos(flower_folder, 16)
    assert photo_cache.load_photos(flower_folder, 16) is first
    assert photo_cache.load_photos(flower_folder, 20) is not first


def test_disk_cache_is_reused_and_invalidated(flower_folder, monkeypatch):
    first = photo_cache.load_photos(flower_folder, 16)
    index = photo_index.index_photos(flower_folder)
    assert photo_cache._disk_cache_path(index, index.fingerprint(), 16).is_file()
    assert photo_cache._disk_cache_path(index, index.fingerprint(), 16).parent == config.cache_dir()

    decodes = []
    real_decode_all = photo_cache._decode_all

    def counting_decode_all(*args, **kwargs):
        decodes.append(args)
        return real_decode_all(*args, **kwargs)

    monkeypatch.setattr(photo_cache, "_decode_all", counting_decode_all)
    photo_cache._memory_cache.clear()
    again = photo_cache.load_photos(flower_folder, 16)
    assert decodes == []  # read from disk, not decoded
    np.testing.assert_array_equal(again.images, first.images)
    np.testing.assert_array_equal(again.labels, first.labels)
    np.testing.assert_array_equal(again.file_positions, first.file_positions)
    assert (again.skipped, again.class_names, again.file_count) == (first.skipped, first.class_names,
                                                                     first.file_count)

    Image.fromarray(synthetic_photo("daisy", 99)).save(flower_folder / "daisy" / "added.png")
    photo_cache._memory_cache.clear()
    changed = photo_cache.load_photos(flower_folder, 16)
    assert len(decodes) == 1  # a new photo: decoded again
    assert changed.file_count == first.file_count + 1
    assert len(changed.images) == len(first.images) + 1


def test_without_disk_cache_nothing_is_written(make_flower_folder):
    folder = make_flower_folder("no_disk", per_class=2, broken=False)
    photo_cache.load_photos(folder, 16, use_disk_cache=False)
    index = photo_index.index_photos(folder)
    assert not photo_cache._disk_cache_path(index, index.fingerprint(), 16).exists()


def test_a_garbage_disk_cache_is_decoded_again(make_flower_folder):
    folder = make_flower_folder("garbage_cache", per_class=2, broken=False)
    index = photo_index.index_photos(folder)
    path = photo_cache._disk_cache_path(index, index.fingerprint(), 16)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not an npz file at all")
    photos = photo_cache.load_photos(folder, 16)
    assert photos.images.shape == (10, 16, 16, 3)


def test_a_truncated_disk_cache_is_decoded_again(make_flower_folder):
    folder = make_flower_folder("truncated_cache", per_class=2, broken=False)
    first = photo_cache.load_photos(folder, 16)
    index = photo_index.index_photos(folder)
    path = photo_cache._disk_cache_path(index, index.fingerprint(), 16)
    path.write_bytes(path.read_bytes()[:200])  # a zip whose central directory is missing
    photo_cache._memory_cache.clear()
    photos = photo_cache.load_photos(folder, 16)
    np.testing.assert_array_equal(photos.images, first.images)


def test_split_has_no_photo_in_both_parts(flower_folder):
    photos = photo_cache.load_photos(flower_folder, 16)
    (x_train, y_train), (x_val, y_val) = photo_cache.split(photos, 0.2)

    assert len(x_train) + len(x_val) == DECODABLE
    assert len(x_train) == len(y_train) and len(x_val) == len(y_val)
    train_rows = {picture.tobytes() for picture in x_train}
    val_rows = {picture.tobytes() for picture in x_val}
    assert len(train_rows) == len(x_train) and len(val_rows) == len(x_val)  # noisy photos are all distinct
    assert not train_rows & val_rows
    _, val_files = photo_index.split_positions(photos.file_count, 0.2)
    decodable_val = [p for p in val_files if p in set(photos.file_positions.tolist())]
    assert len(x_val) == len(decodable_val)


def test_locate_dataset_refuses_missing_and_empty_folders(tmp_path):
    for folder in (tmp_path / "missing", tmp_path / "empty", tmp_path / "only_text"):
        if folder.name != "missing":
            (folder / "daisy").mkdir(parents=True)
        if folder.name == "only_text":
            (folder / "daisy" / "notes.txt").write_text("no photos here")
        with pytest.raises(DatasetError) as raised:
            download.locate_dataset(folder, allow_download=False)
        assert raised.value.key == "error_no_photos"


def test_locate_dataset_prefers_the_argument_then_the_environment(flower_folder, make_flower_folder, monkeypatch,
                                                                   tmp_path):
    other = make_flower_folder("other", per_class=1, broken=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(other))
    assert download.locate_dataset(flower_folder) == flower_folder
    assert download.locate_dataset() == other
    monkeypatch.delenv(config.DATA_DIR_ENV)
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(DatasetError) as raised:
        download.locate_dataset(allow_download=False)
    assert raised.value.key == "error_download"
    write_flower_folder(tmp_path / "cache" / "flower_photos", per_class=1, broken=False)
    assert download.locate_dataset(allow_download=False) == tmp_path / "cache" / "flower_photos"


def test_download_from_an_unreachable_url_fails_cleanly(tmp_path):
    with pytest.raises(DatasetError) as raised:
        download.download_dataset(tmp_path, url="http://127.0.0.1:9/x.tgz")
    assert raised.value.key == "error_download"
    assert list(tmp_path.iterdir()) == []  # no .part file, no archive


def make_archive(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for class_name in config.CLASS_NAMES:
            buffer = io.BytesIO()
            Image.fromarray(synthetic_photo(class_name, 0)).save(buffer, "PNG")
            info = tarfile.TarInfo(f"flower_photos/{class_name}/{class_name}_0.png")
            info.size = len(buffer.getvalue())
            buffer.seek(0)
            tar.addfile(info, buffer)
    return path


def test_download_extracts_the_archive(tmp_path):
    archive = make_archive(tmp_path / "served.tgz")
    destination = tmp_path / "cache"
    progress = []

    folder = download.download_dataset(destination, progress=lambda done, total: progress.append((done, total)),
                                   url=archive.as_uri())

    assert folder == destination / "flower_photos"
    assert np.bincount(photo_index.index_photos(folder).labels).tolist() == [1] * len(config.CLASS_NAMES)
    assert (destination / "flower_photos.tgz").read_bytes() == archive.read_bytes()
    assert progress[-1] == (archive.stat().st_size, archive.stat().st_size)
    assert sorted(p.name for p in destination.iterdir()) == ["flower_photos", "flower_photos.tgz"]


def test_a_corrupt_archive_is_not_kept(tmp_path):
    served = tmp_path / "served.tgz"
    served.write_bytes(b"this is not a gzip archive" * 10)
    destination = tmp_path / "cache"
    with pytest.raises(DatasetError) as raised:
        download.download_dataset(destination, url=served.as_uri())
    assert raised.value.key == "error_download"
    assert not (destination / "flower_photos.tgz").exists()  # the next try downloads again
    assert not (destination / "flower_photos").exists()


def test_a_failed_extraction_leaves_no_staging_folder(tmp_path):
    served = tmp_path / "served.tgz"
    served.write_bytes(b"this is not a gzip archive" * 10)
    destination = tmp_path / "cache"
    with pytest.raises(DatasetError):
        download.download_dataset(destination, url=served.as_uri())
    assert list(destination.iterdir()) == []


def test_describe(flower_folder):
    overview = dataset_overview.describe(flower_folder, 24, batch_size=8)
    photos = photo_cache.load_photos(flower_folder, 24)
    index = photo_index.index_photos(flower_folder)
    train_files, _ = photo_index.split_positions(len(index.paths), config.VALIDATION_SPLIT)
    decodable = set(photos.file_positions.tolist())
    train_decodable = [int(p) for p in train_files if int(p) in decodable]

    assert overview.count == DECODABLE
    assert overview.counts == {"daisy": 6, "dandelion": 6, "roses": 6, "sunflowers": 6, "tulips": 6}
    assert overview.train_count == len(train_decodable)
    assert overview.train_count + overview.val_count == DECODABLE
    assert overview.skipped == (BROKEN_FILE,)
    assert overview.samples.shape == (9, 24, 24, 3) and overview.samples.dtype == np.uint8
    assert overview.sample_names == tuple(index.paths[p].parent.name for p in train_decodable[:9])
    first_row = photos.file_positions.tolist().index(train_decodable[0])
    np.testing.assert_array_equal(overview.samples[0], photos.images[first_row])
    assert overview.batch_shape == (8, 24, 24, 3)
    assert overview.label_shape == (8,)
    assert overview.pixel_range == (int(overview.samples[0].min()), int(overview.samples[0].max()))
    assert dataset_overview.describe(flower_folder, 24, batch_size=64).batch_shape == (overview.train_count, 24, 24, 3)


def test_pick_photo_draws_only_validation_photos(clean_flower_folder):
    index = photo_index.index_photos(clean_flower_folder)
    _, val_files = photo_index.split_positions(len(index.paths), config.VALIDATION_SPLIT)
    held_out = {index.paths[i] for i in val_files}
    rng = np.random.default_rng(0)
    picked = {dataset_overview.pick_photo(clean_flower_folder, rng) for _ in range(40)}
    assert picked <= held_out and len(picked) > 1


class _DroppingHandler(http.server.BaseHTTPRequestHandler):
    """Serves the first half of a real archive, then closes the connection (an interrupted download)."""

    body = b""
    chunked = False

    def do_GET(self):  # noqa: N802 - the http.server API
        half = self.body[: len(self.body) // 2]
        self.send_response(200)
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(f"{len(self.body):x}\r\n".encode() + half)  # promises more than it sends
        else:
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(half)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("chunked", [False, True])
def test_an_interrupted_download_is_never_used(tmp_path, chunked):
    archive = make_archive(tmp_path / "served.tgz")
    handler = type("Handler", (_DroppingHandler,), {"body": archive.read_bytes(), "chunked": chunked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    destination = tmp_path / "cache"
    try:
        with pytest.raises(DatasetError) as raised:
            download.download_dataset(destination, url=f"http://127.0.0.1:{server.server_port}/flower_photos.tgz")
    finally:
        server.shutdown()
        server.server_close()
    assert raised.value.key == "error_download"
    assert list(destination.iterdir()) == []  # no .part, no archive, no half-extracted folder
    # The next try, with the archive served whole, downloads it again and works.
    assert download.download_dataset(destination, url=archive.as_uri()) == destination / "flower_photos"
