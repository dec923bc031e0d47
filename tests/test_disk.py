"""Disk bounded and cleaned (issue 33): the decoded-photo cache keeps to its byte budgets, least recently
used first, and a start removes what killed processes left (temporary files, temporary folders) but never
what a live process, another host or someone else owns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.fake_flowers import PROJECT_ROOT
from flower_demo import atomic, config
from flower_demo.data import photo_cache, photo_index
from flower_demo.server import leftovers

HOST = atomic.host_name()
LONG_AGO = time.time() - 10 * config.STALE_TEMPORARY_SECONDS


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's own, and an empty memory cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(config.CACHE_ENV, str(folder))
    monkeypatch.setenv(config.CLASSIFIER_ENV, str(tmp_path / "models" / "served.keras"))
    monkeypatch.setattr(photo_cache, "_memory_cache", photo_cache.OrderedDict())
    return folder


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The id of a process that has ended (and, seconds later, not yet been reused)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def cache_file(folder: Path, size: int) -> Path:
    index = photo_index.index_photos(folder)
    return photo_cache._disk_cache_path(index, index.fingerprint(), size)


def make(path: Path, modified: float | None = None, folder: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        (path / "gradio" / "0123abcd").mkdir(parents=True)
        (path / "gradio" / "0123abcd" / "photo.jpg").write_bytes(b"x" * 100)
    else:
        path.write_bytes(b"x" * 100)
    if modified is not None:
        os.utime(path, (modified, modified))
    return path


# --- the decoded-photo cache --------------------------------------------------------------------------

def test_the_disk_budget_evicts_the_least_recently_used_file(cache, make_flower_folder, monkeypatch):
    folder = make_flower_folder("budget", per_class=2, broken=False)
    for size, age in ((16, 300), (20, 200)):
        photo_cache.load_photos(folder, size)
        os.utime(cache_file(folder, size), (time.time() - age,) * 2)
    photo_cache._memory_cache.clear()
    photo_cache.load_photos(folder, 16)  # read from disk: used now, so 20 px is the least recently used
    file_sizes = {size: cache_file(folder, size).stat().st_size for size in (16, 20)}
    monkeypatch.setattr(config, "PHOTO_CACHE_DISK_BYTES", file_sizes[16] + 2 * file_sizes[20])

    photo_cache.load_photos(folder, 24)  # 24 px is bigger than 20 px: all three no longer fit

    assert cache_file(folder, 16).is_file() and cache_file(folder, 24).is_file()
    assert not cache_file(folder, 20).exists()
    assert sum(path.stat().st_size for path in cache.glob("photos-*.npz")) <= config.PHOTO_CACHE_DISK_BYTES


def test_the_file_just_written_stays_and_a_size_over_the_whole_budget_is_not_written(cache, make_flower_folder,
                                                                                      monkeypatch):
    folder = make_flower_folder("small_budget", per_class=2, broken=False)
    photo_cache.load_photos(folder, 16)
    os.utime(cache_file(folder, 16), (LONG_AGO, LONG_AGO))
    monkeypatch.setattr(config, "PHOTO_CACHE_DISK_BYTES", cache_file(folder, 16).stat().st_size + 1)
    photo_cache.load_photos(folder, 15)  # fits alone: written, and the older file makes room
    assert [path.name for path in cache.glob("photos-*.npz")] == [cache_file(folder, 15).name]

    photos = photo_cache.load_photos(folder, 40)  # alone over the budget: decoded, served, never written
    assert photos.images.shape == (10, 40, 40, 3)
    assert [path.name for path in cache.glob("photos-*.npz")] == [cache_file(folder, 15).name]


def test_the_memory_cache_is_bounded_in_bytes(cache, make_flower_folder, monkeypatch):
    folder = make_flower_folder("memory", per_class=2, broken=False)
    first = photo_cache.load_photos(folder, 16)
    monkeypatch.setattr(config, "PHOTO_CACHE_MEMORY_BYTES", 4 * photo_cache._size(first))
    second = photo_cache.load_photos(folder, 20)  # 1.56 times the first: both fit
    assert photo_cache.load_photos(folder, 16) is first  # from memory, and now the most recently used
    third = photo_cache.load_photos(folder, 24)  # 2.25 times: the least recently used (20 px) goes
    assert list(photo_cache._memory_cache.values()) == [first, third]
    assert photo_cache.load_photos(folder, 20) is not second

    monkeypatch.setattr(config, "PHOTO_CACHE_MEMORY_BYTES", 1)
    newest = photo_cache.load_photos(folder, 12)
    assert list(photo_cache._memory_cache.values()) == [newest]  # alone over the budget, still kept


# --- leftovers of killed processes --------------------------------------------------------------------

def test_temporary_files_of_gone_writers_are_removed_and_the_others_kept(cache, tmp_path, dead_pid):
    models = tmp_path / "models"
    own_now, own_earlier = f"pid{os.getpid()}-{HOST}", atomic.STARTED - 60
    gone = [
        make(cache / f".photos-a-b-180px.npz.pid{dead_pid}-{HOST}.k2j4h5g6.tmp"),  # its writer has ended
        make(models / f".served.keras.pid{dead_pid}-{HOST}.abcdefgh.keras"),  # the served model's folder
        make(cache / f".photos-c-d-64px.npz.{own_now}.zzzzzzzz.tmp", own_earlier),  # this id, an earlier life
        make(cache / ".photos-e-f-512px.npz.q1w2e3r4.tmp", LONG_AGO),  # named before writers were tagged
        make(cache / ".extract-a1b2c3d4" / "flower_photos" / "daisy" / "1.jpg", LONG_AGO).parent.parent.parent,
    ]
    os.utime(gone[-1], (LONG_AGO, LONG_AGO))
    kept = [
        make(cache / f".photos-a-b-32px.npz.pid{os.getppid()}-{HOST}.k2j4h5g6.tmp"),  # a live process's
        make(cache / f".photos-a-b-48px.npz.{own_now}.abcdefgh.tmp"),  # this process's, being written
        make(cache / f".photos-a-b-96px.npz.pid{dead_pid}-{HOST}x.abcdefgh.tmp"),  # another host's
        make(cache / ".photos-g-h-180px.npz.a1s2d3f4.tmp"),  # untagged but young: perhaps still written
        make(models / ".notes.txt.a1s2d3f4.tmp", LONG_AGO),  # untagged outside the cache: maybe not ours
        make(cache / "photos-a-b-180px.npz"),
    ]

    removed = leftovers.remove_leftovers()

    assert sorted(removed) == sorted(gone)
    assert not any(path.exists() for path in gone)
    assert all(path.exists() for path in kept)


def test_temporary_folders_of_gone_processes_are_removed_and_the_others_kept(cache, dead_pid):
    root = leftovers.temporary_root()
    gone = [make(root / f"pid{dead_pid}-{HOST}.x1y2z3w4", folder=True),
            make(root / f"pid{os.getpid()}-{HOST}.a1b2c3d4", atomic.STARTED - 60, folder=True)]
    kept = [make(root / f"pid{os.getppid()}-{HOST}.x1y2z3w4", folder=True),
            make(root / f"pid{dead_pid}-{HOST}2.x1y2z3w4", folder=True),  # another host's
            make(root / f"pid{os.getpid()}-{HOST}.e5f6g7h8", folder=True)]  # this process's own

    assert sorted(leftovers.remove_leftovers()) == sorted(gone)
    assert not any(path.exists() for path in gone) and all(path.exists() for path in kept)


def test_a_process_gets_a_temporary_folder_of_its_own(cache, monkeypatch):
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)
    folder = leftovers.use_own_temporary_folder()
    assert folder.parent == leftovers.temporary_root() and folder.name.startswith(atomic.writer_tag() + ".")
    assert os.environ["GRADIO_TEMP_DIR"] == str(folder / "gradio")
    assert Path(tempfile.mkdtemp()).parent == folder / "python"  # where Keras unpacks a model's assets
    assert leftovers.remove_leftovers() == []  # alive: not a leftover

    monkeypatch.setenv("GRADIO_TEMP_DIR", "/srv/uploads")  # a teacher's explicit choice wins
    leftovers.use_own_temporary_folder()
    assert os.environ["GRADIO_TEMP_DIR"] == "/srv/uploads"


KILLED_MID_WRITE = """
import sys, tempfile, time
from pathlib import Path
from flower_demo.server import leftovers
from flower_demo.atomic import write_atomically

leftovers.use_own_temporary_folder()
unpacked = Path(tempfile.mkdtemp())  # as Keras unpacks an uploaded model's assets
(unpacked / "asset.bin").write_bytes(b"x" * 1000)

def write(temporary):
    temporary.write_bytes(b"half a cache")
    print("writing", flush=True)
    time.sleep(60)

write_atomically(Path(sys.argv[1]) / "photos-a-b-180px.npz", write)
"""


def test_what_kill_9_leaves_is_removed_at_the_next_start(cache):
    writer = subprocess.Popen([sys.executable, "-c", KILLED_MID_WRITE, str(cache)], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
    left = sorted(path.name for path in cache.iterdir())
    assert len(left) == 2 and left[0].startswith(".photos-a-b-180px.npz.") and left[1] == "temporary"
    assert len(list(leftovers.temporary_root().iterdir())) == 1

    leftovers.remove_leftovers()

    assert [path.name for path in cache.iterdir()] == ["temporary"]
    assert list(leftovers.temporary_root().iterdir()) == []
