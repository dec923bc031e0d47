"""Issue 4, targets 3 and 4: what a student waits for, through gradio_client against `python app.py`.

    python -m benchmarks.app_latency --data-dir ../shared/flower_photos [--calls 40]

Launches the app as a student's teacher would (a fresh process, a fresh decode cache) and measures:
  first_page_seconds       process start until GET / answers 200 (target <= 5 s);
  classify_ms / convolve_ms  per call through gradio_client, upload included, after one warm-up call
                           (targets: median <= 50 ms; a 500x375 photo's convolution median <= 60 ms);
  first_run                the first Train click on a fresh cache (the photos are decoded): seconds
                           until training starts (target <= 30 s) and until the first curve point;
  cached_run               a second Train click, photos cached: seconds until the first curve point
                           (target <= 5 s);
  gradio_floor_ms          in the same run, do-nothing endpoints of a bare Gradio app
                           (benchmarks/gradio_floor.py): what one call costs before any work;
  import_gradio_seconds    in the same run, a bare `python -c "import gradio"` (median of 3): the
                           first page cannot come before Gradio is imported.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(env: dict, root: Path = ROOT) -> tuple[subprocess.Popen, str, float]:
    """Starts `python app.py` in `root` on a free port; returns it, its URL and the seconds until GET /
    first answered 200."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "app.py"], cwd=root, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               env={**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)})
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process, url, time.monotonic() - started
        except OSError:
            if process.poll() is not None:
                raise SystemExit("the app exited before serving its page")
            time.sleep(0.02)


def timed(calls: int, call) -> list[float]:
    call()  # warm-up: the shipped model is loaded, the endpoint's code paths are hot
    durations = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def has_training_point(frame) -> bool:
    """True once a curve frame holds a training value (the frames start with placeholder NaN rows)."""
    rows = (frame or {}).get("data") or []
    return any(row[2] in ("training", "entrenamiento") and row[1] is not None and not math.isnan(row[1])
               for row in rows)


def train_until_first_point(client) -> dict:
    """Clicks Train (the live preset), waits for the first curve point, then stops that run."""
    started = time.monotonic()
    job = client.submit("live", 1, api_name="/train")
    training_started = None
    while True:
        outputs = job.outputs()
        if outputs:
            status, accuracy_frame = outputs[-1][0], outputs[-1][1]
            if training_started is None and status.startswith("Epoch"):
                training_started = time.monotonic() - started
            if has_training_point(accuracy_frame):
                first_point = time.monotonic() - started
                break
        if job.done():
            raise SystemExit(f"the training ended without a curve point: {outputs[-1][0] if outputs else None}")
        time.sleep(0.02)
    client.predict(api_name="/stop")
    job.result()
    return {"seconds_to_training": round(training_started or first_point, 2),
            "seconds_to_first_point": round(first_point, 2)}


def summary(durations: list[float]) -> dict:
    ordered = sorted(durations)
    return {"median": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "calls": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    from gradio_client import handle_file
    from PIL import Image

    from tests.clients import local_client

    data_dir = Path(args.data_dir).resolve()
    work = Path(tempfile.mkdtemp(prefix="app-latency-"))
    env = {**os.environ, "FLOWER_DATA_DIR": str(data_dir), "FLOWER_CACHE_DIR": str(work / "cache"),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    photo = next(p for p in sorted((data_dir / "roses").iterdir()) if p.suffix.lower() == ".jpg")
    convolve_photo = work / "500x375.jpg"
    Image.open(photo).convert("RGB").resize((500, 375)).save(convolve_photo, quality=90)

    from benchmarks.gradio_floor import import_seconds, measure

    floor = measure(args.calls)
    gradio_import = import_seconds()
    process, url, first_page = launch(env)
    try:
        client = local_client(url, "en")
        classify = timed(args.calls, lambda: client.predict(handle_file(str(photo)), api_name="/classify"))
        convolve = timed(args.calls, lambda: client.predict(handle_file(str(convolve_photo)), "edge",
                                                            api_name="/convolve"))
        first_run = train_until_first_point(client)
        cached_run = train_until_first_point(client)
    finally:
        process.terminate()
        process.wait(timeout=30)

    result = {
        "first_page_seconds": round(first_page, 2),
        "classify_ms": summary(classify),
        "convolve_500x375_ms": summary(convolve),
        "first_run": first_run,
        "cached_run": cached_run,
        "gradio_floor_ms": floor,
        "import_gradio_seconds": gradio_import,  # the first page's floor: a bare `import gradio`
    }
    result["targets"] = {
        "first_page_at_most_5_s": first_page <= 5,
        "classify_median_at_most_50_ms": result["classify_ms"]["median"] <= 50,
        "convolve_median_at_most_60_ms": result["convolve_500x375_ms"]["median"] <= 60,
        "first_run_training_within_30_s": first_run["seconds_to_training"] <= 30,
        "cached_first_point_within_5_s": cached_run["seconds_to_first_point"] <= 5,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
