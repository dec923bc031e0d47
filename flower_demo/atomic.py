"""Writing a file so that a reader sees the old file or the new one, never half of either.

The bytes go to a temporary file in the same folder (so the final rename stays on one file system)
and `os.replace` puts it in place in one step; on any failure the temporary file is removed. A crash
or a full disk therefore never leaves a half cache, a half model or a truncated picture behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


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
    # Hidden and named after its target, so a folder listing (or a cache sweep) can tell what it is.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix or ".tmp")
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
