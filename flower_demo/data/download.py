"""Where the photos are: a folder the teacher names, or the tutorial's archive downloaded once.

The archive is written through a temporary file renamed only once complete, and extracted into a
staging folder renamed into place, so an interrupted download is never used.
"""

from __future__ import annotations

import http.client
import os
import shutil
import tarfile
import tempfile
import threading
import urllib.request
from pathlib import Path

from flower_demo import config
from flower_demo.atomic import write_atomically
from flower_demo.errors import DatasetError
from flower_demo.data.photo_index import Progress, index_photos


def _download(url: str, archive: Path, progress: Progress | None) -> None:
    """Streams `url` into `archive` through a `.part` file renamed only once complete."""

    def write(partial: Path) -> None:
        with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as file:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                file.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if total and done != total:
            raise OSError(f"incomplete download: {done} of {total} bytes")

    try:
        write_atomically(archive, write, suffix=".part")
    except http.client.HTTPException as error:  # e.g. IncompleteRead: the connection dropped mid-body
        raise OSError(f"interrupted download ({type(error).__name__})") from error


def download_dataset(destination: Path, progress: Progress | None = None,
                     url: str = config.DATASET_URL) -> Path:
    """Downloads and extracts the tutorial's archive; returns the folder of class folders.

    Raises:
        DatasetError: `error_download` with the reason.
    """
    destination.mkdir(parents=True, exist_ok=True)
    archive = destination / "flower_photos.tgz"
    final = destination / "flower_photos"
    staging = None
    try:
        if not archive.exists():
            _download(url, archive, progress)
        # A folder, not a file: write_atomically does not fit; the staging folder is renamed instead.
        staging = Path(tempfile.mkdtemp(dir=destination, prefix=".extract-"))
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="data")
            if not (staging / "flower_photos").is_dir():
                raise tarfile.TarError("the archive has no flower_photos folder")
        except (tarfile.TarError, EOFError) as error:
            archive.unlink(missing_ok=True)  # a bad archive must not be reused next time
            raise OSError(str(error)) from error
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging / "flower_photos", final)
    except OSError as error:
        raise DatasetError("error_download", str(error)) from error
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return final


_download_lock = threading.Lock()


def locate_dataset(data_dir: str | Path | None = None, progress: Progress | None = None,
                   allow_download: bool = True) -> Path:
    """The photo folder: `data_dir`, else $FLOWER_DATA_DIR, else a download into the cache folder.

    Raises:
        DatasetError: `error_no_photos` for a folder without photos, `error_download` when the
            download fails (the message names FLOWER_DATA_DIR as the offline way).
    """
    chosen = data_dir or os.environ.get(config.DATA_DIR_ENV)
    if chosen:
        index_photos(chosen)  # raises a clear error for an empty or missing folder
        return Path(chosen)
    cache_dir = config.cache_dir()
    downloaded = cache_dir / "flower_photos"
    with _download_lock:
        if (downloaded / config.CLASS_NAMES[0]).is_dir():
            return downloaded
        if not allow_download:
            raise DatasetError("error_download", "download disabled")
        return download_dataset(cache_dir, progress)
