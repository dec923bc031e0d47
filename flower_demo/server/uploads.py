"""Students' own files in Gradio's upload folder, deleted soon after they are read.

Gradio keeps an upload at `<upload folder>/<sha256 of its bytes>/<name>`: two students who send the same
bytes (a teacher's zip, the same photo) share one path, and a second upload of those bytes before the
first is deleted does not write the file again. Deleting at once, as each handler reads its file, made
the other student's handler find nothing ("damaged", "not a zip"; benchmarks/own_photos.py's
`identical_uploads_all_stored`). So a file is deleted a grace period after it is read, and only if it is
still the file that was read (same inode and modification time): an upload of the same bytes after it
was read is a new file, which that upload's own handler schedules in turn. Gradio's own cleanup
(app.py's delete_cache) removes what is left after an hour in any case.

Example:
    UPLOADS.delete_later(paths)   # after reading them
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from pathlib import Path

from flower_demo import config


class DeferredDeletion:
    """Deletes files `grace_s` seconds after `delete_later`, unless they were replaced meanwhile; one
    daemon thread for all of them, started on first use."""

    def __init__(self, grace_s: float | None = None, tick_s: float = 5.0, clock=time.monotonic):
        self.grace_s = grace_s
        self.tick_s = tick_s
        self._clock = clock
        self._due: list[tuple[float, str, int, int]] = []  # (when, path, inode, mtime_ns), soonest first
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def grace(self) -> float:
        return config.OWN_UPLOAD_GRACE_S if self.grace_s is None else self.grace_s

    def delete_later(self, paths) -> None:
        """Schedules each existing file for deletion (a path that is gone or not a file is skipped)."""
        when = self._clock() + self.grace
        with self._lock:
            for path in paths:
                try:
                    status = os.stat(path)
                except (OSError, TypeError, ValueError):
                    continue
                heapq.heappush(self._due, (when, str(path), status.st_ino, status.st_mtime_ns))
            if self._thread is None and self._due:
                self._thread = threading.Thread(target=self._loop, name="upload-deletion", daemon=True)
                self._thread.start()

    def pending(self) -> int:
        with self._lock:
            return len(self._due)

    def run_due(self) -> int:
        """Deletes the files whose time has come; returns how many were deleted."""
        now, deleted = self._clock(), 0
        while True:
            with self._lock:
                if not self._due or self._due[0][0] > now:
                    return deleted
                _, path, inode, mtime = heapq.heappop(self._due)
            try:
                status = os.stat(path)
                if (status.st_ino, status.st_mtime_ns) == (inode, mtime):  # not another upload of the same bytes
                    os.unlink(path)
                    deleted += 1
                    os.rmdir(Path(path).parent)  # Gradio's folder for it, if nothing else is left there
            except OSError:
                pass

    def _loop(self) -> None:
        while True:
            time.sleep(self.tick_s)
            self.run_due()


UPLOADS = DeferredDeletion()  # the app's
