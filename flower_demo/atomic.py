"""Writing a file so that a reader sees the old file or the new one, never half of either.

The bytes go to a temporary file in the same folder (so the final rename stays on one file system)
and `os.replace` puts it in place in one step; on any failure the temporary file is removed. A crash
or a full disk therefore never leaves a half cache, a half model or a truncated picture behind. Only
`kill -9` (or a power cut) can leave the temporary file: its name says which process on which host wrote
it, so flower_demo/server/leftovers.py can remove it at the next start once that process is gone.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable

# This process writes nothing before it imports this module: what carries its id and is older was left by
# an earlier process under the same id (a container restarts its app as the same pid).
STARTED = time.time()
# "pid1234-host": who wrote a temporary file (or owns a temporary folder), for a later sweep to check.
WRITER_TAG = r"pid(?P<pid>[0-9]+)-(?P<host>[A-Za-z0-9-]*)"
_TEMPORARY_NAME = re.compile(rf"\..+\.{WRITER_TAG}\.[a-z0-9_]{{8}}\.[^.]+")  # mkstemp adds 8 characters


def host_name() -> str:
    """This machine's short name, letters, digits and dashes only (it goes into file names)."""
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:32]


def writer_tag() -> str:
    """This process's tag, read at each call: a forked child writes under its own id."""
    return f"pid{os.getpid()}-{host_name()}"


def temporary_writer(name: str) -> tuple[int, str] | None:
    """(process id, host) of the writer that named a temporary file `name`; None for any other name."""
    match = _TEMPORARY_NAME.fullmatch(name)
    return (int(match["pid"]), match["host"]) if match else None


def write_atomically(path: str | Path, write: Callable[[Path], None], *, suffix: str = "",
                     mode: int | None = None) -> None:
    """Calls `write(temporary_path)`, then renames the temporary file to `path`.

    Args:
        path: the file to create or replace; its folder is created if missing.
        write: fills the (empty, already created) temporary file it is given.
        suffix: the temporary file's ending, for writers that choose a format by it (Keras' `.keras`).
        mode: permissions to give the file (`mkstemp` makes it readable by its owner only).

    Raises:
        Whatever `write` raises, or OSError; `path` is then unchanged and no temporary file is left.

    Example:
        >>> write_atomically(folder / "notes.txt", lambda temporary: temporary.write_text("hello"))
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Hidden and named after its target and its writer, so a folder listing (or a sweep) can tell what it
    # is and whether its writer still runs.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{writer_tag()}.", suffix=suffix or ".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
