"""flower_demo.atomic.write_atomically: a file is replaced whole or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from flower_demo.atomic import host_name, temporary_writer, write_atomically


def test_a_write_creates_the_folder_and_the_file(tmp_path):
    path = tmp_path / "new" / "folder" / "notes.txt"
    write_atomically(path, lambda temporary: temporary.write_text("hello"))
    assert path.read_text() == "hello"
    assert os.listdir(path.parent) == ["notes.txt"]  # no temporary file left


def test_a_success_replaces_the_old_file_in_one_step(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    seen = []

    def write(temporary):
        assert temporary.parent == path.parent and temporary != path  # same folder: os.replace is one step
        assert temporary.name.startswith(".notes.txt.") and temporary.name.endswith(".keras")
        temporary.write_text("new")
        seen.append(path.read_text())  # while writing, a reader still sees the whole old file

    write_atomically(path, write, suffix=".keras")
    assert seen == ["old"] and path.read_text() == "new"
    assert os.listdir(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "notes.txt"
    path.write_text("old")

    def half_then_fail(temporary):
        temporary.write_text("half")
        raise error

    with pytest.raises(type(error)):
        write_atomically(path, half_then_fail)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_a_failing_writer_leaves_no_file_at_all(tmp_path):
    with pytest.raises(ValueError):
        write_atomically(tmp_path / "model.keras", lambda temporary: (_ for _ in ()).throw(ValueError("bad")))
    assert os.listdir(tmp_path) == []


def test_mode_sets_the_permissions(tmp_path):
    path = tmp_path / "model.keras"
    write_atomically(path, lambda temporary: temporary.write_bytes(b"x"), mode=0o644)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    private = tmp_path / "private.bin"
    write_atomically(private, lambda temporary: temporary.write_bytes(b"x"))
    assert stat.S_IMODE(private.stat().st_mode) == 0o600  # mkstemp's own: the owner only


def test_the_temporary_name_says_which_process_writes_it(tmp_path):
    seen = []
    write_atomically(tmp_path / "photos.npz", lambda temporary: seen.append(temporary_writer(temporary.name)))
    assert seen == [(os.getpid(), host_name())]  # a later start removes it only once this process is gone
    assert temporary_writer("photos.npz") is None and temporary_writer(".photos.npz.k2j4h5g6.tmp") is None
