"""Issue 4, targets 1 and 2: whole training processes, the tutorial's pipeline against ours.

    python -m benchmarks.train_speed --data-dir ../shared/flower_photos [--rounds 2] [--epochs 4]

Each round runs, one after the other, whole processes (imports, data, model, fit, exit):
  tutorial         benchmarks/tutorial_pipeline.py with TensorFlow's defaults (oneDNN is off on this
                   kind of CPU unless asked for), i.e. the tutorial exactly as a student runs it;
  tutorial_onednn  the same script with TF_ENABLE_ONEDNN_OPTS=1, the setting flower_demo turns on,
                   so the table shows how much of the gain is that switch and how much our pipeline;
  ours_seed        python -m flower_demo train --preset seed (the same model and optimizer) at the
                   same epochs, image size and batch size, validating on the same held-out photos;
  ours_live        python -m flower_demo train --preset live (the Training tab's default).
Our runs use a decode cache that a first, untimed-as-a-run priming step fills (its time is reported):
a class trains many times, and the tutorial decodes every JPEG again each time.
Prints one JSON object: wall seconds per run, medians, ratios, final validation accuracies, targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(command: list[str], env: dict) -> tuple[float, list[dict]]:
    """Wall seconds of a whole process and the JSON lines it printed."""
    started = time.monotonic()
    finished = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if finished.returncode:
        raise SystemExit(f"{command} failed:\n{finished.stderr[-3000:]}")
    rows = [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{")]
    return seconds, rows


def forward_macs(preset: str, image_size: int) -> int:
    """Multiply-adds of one image's forward pass through a preset's convolutions and dense layers."""
    import dataclasses

    import keras

    from flower_demo import recipes
    from flower_demo.model import networks

    network = networks.build_model(dataclasses.replace(recipes.PRESETS[preset], image_size=image_size))
    macs = 0
    for layer in network.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, filters = layer.output.shape
            kernel_height, kernel_width, channels, _ = layer.kernel.shape
            macs += height * width * filters * kernel_height * kernel_width * channels
        elif isinstance(layer, keras.layers.Dense):
            macs += layer.kernel.shape[0] * layer.kernel.shape[1]
    return int(macs)


def sgemm_gflops() -> float:
    """What these cores really do on a large float32 matrix product (numpy's BLAS): the practical peak."""
    import numpy as np

    a, b = (np.random.RandomState(seed).rand(2048, 2048).astype(np.float32) for seed in (0, 1))
    a @ b
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        a @ b
        runs.append(time.perf_counter() - started)
    return 2 * 2048**3 / statistics.median(runs) / 1e9


def utilisation(rows: list[dict], train_count: int, macs: int, peak_gflops: float) -> dict:
    """Training images per second (median epoch after the first) against the cores' practical peak.

    A training step costs about three forward passes (forward, gradients of activations and of
    weights): 3 x 2 x MACs floating-point operations per image.
    """
    epoch_seconds = statistics.median(row["seconds"] for row in rows[1:] or rows)
    images_per_second = train_count / epoch_seconds
    gflops = images_per_second * 6 * macs / 1e9
    return {"forward_mflops_per_image": round(2 * macs / 1e6, 1), "images_per_second": round(images_per_second, 1),
            "training_gflops": round(gflops, 1), "fraction_of_sgemm_peak": round(gflops / peak_gflops, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"), required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    data_dir = str(Path(args.data_dir).resolve())

    base_env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    base_env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    cache_dir = tempfile.mkdtemp(prefix="train-speed-cache-")
    ours_env = {**base_env, "FLOWER_CACHE_DIR": cache_dir}
    out = str(Path(cache_dir) / "model.keras")
    python = sys.executable

    from flower_demo import config, recipes

    live_size = recipes.PRESETS["live"].image_size
    prime_seconds, _ = run([python, "-c", "import sys; from flower_demo import photo_cache; "
                            f"[photo_cache.load_photos(sys.argv[1], s) for s in (180, {live_size})]", data_dir],
                           ours_env)

    peak = sgemm_gflops()
    commands = {
        "tutorial": ([python, "benchmarks/tutorial_pipeline.py", data_dir, "--epochs", str(args.epochs)], base_env),
        "ours_seed": ([python, "-m", "flower_demo", "train", "--preset", "seed", "--epochs", str(args.epochs),
                       "--image-size", "180", "--batch-size", "32", "--data-dir", data_dir, "--out", out,
                       "--log-json"], ours_env),
        "tutorial_onednn": ([python, "benchmarks/tutorial_pipeline.py", data_dir, "--epochs", str(args.epochs)],
                            {**base_env, "TF_ENABLE_ONEDNN_OPTS": "1"}),
        "ours_live": ([python, "-m", "flower_demo", "train", "--preset", "live", "--data-dir", data_dir,
                       "--out", out, "--log-json"], ours_env),
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    logs: dict[str, list[dict]] = {}
    accuracy: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(args.rounds):
        order = list(commands) if round_number % 2 == 0 else list(reversed(commands))  # alternate
        for name in order:
            wall, rows = run(*commands[name])
            seconds[name].append(round(wall, 2))
            accuracy[name].append(round(rows[-1]["val_accuracy"], 4))
            logs[name] = rows
            print(f"{name}: {wall:.1f}s val_accuracy {rows[-1]['val_accuracy']:.3f}", file=sys.stderr, flush=True)

    median = {name: round(statistics.median(values), 2) for name, values in seconds.items()}
    from flower_demo.data import photo_index

    file_count = len(photo_index.index_photos(data_dir).paths)
    train_count = len(photo_index.split_positions(file_count, config.VALIDATION_SPLIT)[0])
    live = recipes.PRESETS["live"]
    live_accuracy = statistics.median(accuracy["ours_live"])
    print(json.dumps({
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "epochs": args.epochs,
        "rounds": args.rounds,
        "prime_decode_seconds": round(prime_seconds, 2),
        "seconds": seconds,
        "median_seconds": median,
        "val_accuracy": accuracy,
        "ratio_ours_seed_to_tutorial": round(median["ours_seed"] / median["tutorial"], 3),
        "ratio_ours_seed_to_tutorial_onednn": round(median["ours_seed"] / median["tutorial_onednn"], 3),
        "sgemm_peak_gflops": round(peak, 1),
        "machine_limit": {
            "ours_seed": utilisation(logs["ours_seed"], train_count, forward_macs("seed", 180), peak),
            "ours_live": utilisation(logs["ours_live"], train_count, forward_macs("live", live.image_size), peak),
        },
        "targets": {
            "seed_at_most_half_of_tutorial": median["ours_seed"] <= 0.5 * median["tutorial"],
            "live_at_most_60_seconds": median["ours_live"] <= 60,
            "live_at_least_71_percent": live_accuracy >= 0.71,
        },
    }, indent=1))


if __name__ == "__main__":
    main()
