"""flower_demo.server.uploads: students' files deleted a while after they are read, never another
upload of the same bytes that came after."""

from __future__ import annotations

import os

from flower_demo.server.uploads import DeferredDeletion


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_read_file_is_deleted_after_the_grace_and_its_folder_with_it(tmp_path):
    clock = Clock()
    folder = tmp_path / "hash"
    folder.mkdir()
    photo = folder / "a.png"
    photo.write_bytes(b"photo")
    deletion = DeferredDeletion(grace_s=300, clock=clock, tick_s=3600)
    deletion.delete_later([str(photo), str(tmp_path / "never there.png")])
    assert deletion.pending() == 1 and deletion.run_due() == 0 and photo.exists()  # not yet
    clock.now = 300
    assert deletion.run_due() == 1 and not photo.exists() and not folder.exists()


def test_the_same_bytes_uploaded_again_after_the_read_are_left_for_their_own_reader(tmp_path):
    clock = Clock()
    photo = tmp_path / "a.png"
    photo.write_bytes(b"photo")
    deletion = DeferredDeletion(grace_s=10, clock=clock, tick_s=3600)
    deletion.delete_later([str(photo)])
    again = tmp_path / "incoming.png"  # Gradio moves a new upload of the same bytes into place
    again.write_bytes(b"photo")
    os.replace(again, photo)
    clock.now = 10
    assert deletion.run_due() == 0 and photo.exists()
