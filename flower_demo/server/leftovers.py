"""What a killed app leaves on disk, removed at the next start once the process that left it is gone.

Two kinds, each named after the process (id and host) that made it:

- the temporary file of an interrupted `atomic.write_atomically`, next to its target (`kill -9` during
  training left a 109 MB `.photos-….npz.….tmp` in the cache folder);
- a process's own temporary folder, `<cache folder>/temporary/pid…-host.…/`, holding Gradio's uploads
  and outputs (GRADIO_TEMP_DIR) and Python's `tempfile` files. Keras unpacks a `.keras` that has
  assets into a `tempfile` folder: `kill -9` while a student's upload loaded left a `/tmp/tmp…` folder
  of 80,732 files, and Gradio's half-received uploads (`/tmp/gradio/tmp…`) stay too. In a folder of
  their own, removing a dead process's can never touch a live app's, another program's or another
  user's files, as a sweep of the shared /tmp could.

A process is gone when no process with its id runs on this host, or when the id is this very process's
but the leftover is older than it (a container restarts its app under the same id). Leftovers of another
host (a home folder shared over NFS) and of a live process (a second app, a test run) are never touched.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from flower_demo import atomic, config

_FOLDER_NAME = re.compile(rf"{atomic.WRITER_TAG}\.[a-z0-9_]{{8}}")  # mkdtemp adds 8 characters
# Made before writers put their tag in names, or by download.py's extraction: told apart only by age.
_UNTAGGED = re.compile(r"\..+\.[a-z0-9_]{8}\.(tmp|part|partial|keras)|\.extract-[a-z0-9_]{8}")
# A second of slack for file systems whose timestamps run a clock tick behind time.time().
_CLOCK_SLACK_S = 1.0


def temporary_root() -> Path:
    return config.cache_dir() / "temporary"


def use_own_temporary_folder() -> Path | None:
    """Gives this process a temporary folder of its own, for Gradio and for Python's `tempfile`; call it
    before Gradio is imported. Returns the folder, or None where the cache folder cannot be written (the
    system's temporary folder is then used, as before).

    An explicit GRADIO_TEMP_DIR wins. The folder is removed when the process exits normally (Ctrl+C), and
    by the next start's `remove_leftovers` when it does not (`kill -9`, a crash, or SIGTERM, which skips
    Python's exit handlers).
    """
    try:
        temporary_root().mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{atomic.writer_tag()}.", dir=temporary_root()))
        (folder / "python").mkdir()
    except OSError:
        return None
    if not os.environ.get("GRADIO_TEMP_DIR"):  # empty counts as unset, as for Gradio
        os.environ["GRADIO_TEMP_DIR"] = str(folder / "gradio")
    # Not TMPDIR, which child processes would inherit (Ray would put its sockets' folder in here).
    tempfile.tempdir = str(folder / "python")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def remove_leftovers() -> list[Path]:
    """Removes the leftovers of gone processes and trims the decoded-photo cache to its disk budget;
    returns what it removed. Safe while another app or a test run uses the same folders.

    Swept: the cache folder, its `temporary/`, and the served model's folder (`serving.save_model`).
    """
    removed = []
    for folder in {config.cache_dir(), config.classifier_path().parent}:
        for path in _entries(folder):
            writer = atomic.temporary_writer(path.name)
            if writer is not None:
                gone = path.is_file() and _is_gone(*writer, path)
            else:  # only in the cache folder, all ours: elsewhere such a name could be someone's file
                gone = folder == config.cache_dir() and _UNTAGGED.fullmatch(path.name) is not None and (
                    time.time() - _modified(path) > config.STALE_TEMPORARY_SECONDS)
            if gone:
                removed.append(_remove(path))
    for folder in _entries(temporary_root()):
        match = _FOLDER_NAME.fullmatch(folder.name)
        if match and _is_gone(int(match["pid"]), match["host"], folder):
            removed.append(_remove(folder))
    from flower_demo.data import photo_cache  # here: app.py imports this module before NumPy may load

    return removed + photo_cache.keep_within_disk_budget()


def _is_gone(pid: int, host: str, path: Path) -> bool:
    """Whether process `pid` on `host`, which made `path`, no longer runs."""
    if host != atomic.host_name():
        return False  # another machine's process: no way to know, so never
    if pid == os.getpid():
        return _modified(path) < atomic.STARTED - _CLOCK_SLACK_S  # made under this id before this process
    if os.name != "posix":
        return False  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the process exists is checked
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:  # missing or unreadable: nothing of ours to remove there
        return []


def _modified(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return time.time()  # gone meanwhile: counted as new, so left alone


def _remove(path: Path) -> Path:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)  # rmtree never follows a link out of the folder
    else:
        path.unlink(missing_ok=True)
    return path
