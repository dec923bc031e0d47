"""Issue 19: a class where everyone trains, on this machine alone and on a local Ray cluster.

    python -m benchmarks.cluster_load --data-dir ../shared/flower_photos [--trainers 4] [--epochs 2]
        [--clickers 10] [--cpus 2]

Two rounds, each against a fresh `python app.py`: `embedded` (the default: the app trains one run at a
time in its own process) and `cluster` (a local Ray head started here with `ray start --head
--num-cpus CPUS`, the app pointed at it with FLOWER_RAY_ADDRESS). In each round one student first
trains alone (the per-run cost), then `--trainers` students press Train (`live`, `--epochs`) at the same
moment while `--clickers` students click the light endpoints (benchmarks/load.py's clicks, 1-3 s apart).
Reports the seconds until the last of them finishes, each run's seconds, and the light endpoints'
p50/p95 meanwhile. On one machine the cluster cannot be faster (the same cores, plus a worker process
per run); README "Scaling out" works out what K machines give from the per-run costs measured here.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.app_latency import free_port, launch
from benchmarks.load import Clicks, call, sample_photos


def cpu_flags() -> list[str]:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return sorted(set(re.findall(r"\b(avx512_bf16|amx_bf16|avx512f|avx2)\b", text)))


# Token authentication on (the head and the app read ~/.ray/auth_token), and every address on the
# loopback: the cluster is this machine's alone.
RAY_ENV = {"RAY_AUTH_MODE": "token"}


def start_head(cpus: int) -> str:
    port = free_port()
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    subprocess.run([ray, "start", "--head", f"--port={port}", f"--num-cpus={cpus}", "--node-ip-address=127.0.0.1",
                    "--include-dashboard=false", "--disable-usage-stats"], check=True, capture_output=True,
                   timeout=120, env={**os.environ, **RAY_ENV})
    return f"127.0.0.1:{port}"


def stop_head() -> None:
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)


def train(client, epochs: int) -> tuple[float, str]:
    started = time.monotonic()
    status = client.predict("live", epochs, api_name="/train")[0]
    return time.monotonic() - started, status


def measure(env: dict, args, photos: list[str]) -> dict:
    from tests.clients import local_client

    process, url, _ = launch(env)
    try:
        call(local_client(url), "/classify", random.Random(0), photos)  # the shipped model loaded
        alone, alone_status = train(local_client(url, "en"), args.epochs)
        clicks, runs, done = Clicks(), [], threading.Event()

        def trainer() -> None:
            try:
                seconds, status = train(local_client(url, "en"), args.epochs)
                with clicks.lock:
                    runs.append({"seconds": round(seconds, 1), "status": status[:60]})
            except Exception as problem:  # noqa: BLE001 - every failure is counted with its message
                clicks.failed(f"/train: {str(problem)[:100]}")

        clickers = [threading.Thread(target=clicks.student, args=(url, n, photos, (1.0, 3.0), done), daemon=True)
                    for n in range(args.clickers)]
        trainers = [threading.Thread(target=trainer, daemon=True) for _ in range(args.trainers)]
        for thread in clickers:
            thread.start()
        started = time.monotonic()
        for thread in trainers:
            thread.start()
        for thread in trainers:
            thread.join(timeout=1800)
        last = time.monotonic() - started
        done.set()
        for thread in clickers:
            thread.join(timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "alone_s": round(alone, 1), "alone_status": alone_status[:60],
        "last_finished_s": round(last, 1),
        "runs_s": sorted(run["seconds"] for run in runs),
        "all_done": len(runs) == args.trainers and all(run["status"].startswith("Done") for run in runs),
        "light": clicks.summary(),
        "failures": dict(clicks.failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--trainers", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--clickers", type=int, default=10)
    parser.add_argument("--cpus", type=int, default=2, help="the local cluster's CPUs")
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    photos = sample_photos(data_dir)
    env = {**os.environ, "FLOWER_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("FLOWER_RAY_ADDRESS", None)

    result = {"cpu": cpu_flags(), "cores": os.cpu_count(), "trainers": args.trainers, "epochs": args.epochs,
              "clickers": args.clickers, "embedded": measure(env, args, photos)}
    address = start_head(args.cpus)
    try:
        result["cluster"] = {"cpus": args.cpus, "cpus_per_run": int(env.get("FLOWER_RAY_CPUS_PER_RUN", 1)),
                             **measure({**env, **RAY_ENV, "FLOWER_RAY_ADDRESS": address}, args, photos)}
    finally:
        stop_head()
    result["cluster_over_embedded"] = round(result["cluster"]["last_finished_s"] / result["embedded"]["last_finished_s"], 2)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
