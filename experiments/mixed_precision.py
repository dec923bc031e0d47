"""Issue 18: is Keras' mixed_bfloat16 policy faster than float32 for `live` on this CPU?

    python experiments/mixed_precision.py [--steps 60] [--rounds 2]

Times the compact network's training step (batch 32 at 64 px, `live`'s optimizer and loss) and a
forward pass of a batch, in float32 and under keras.mixed_precision's "mixed_bfloat16" policy, each in
a fresh process (the policy is global), the two policies taking turns. Random pixels: the speed of a
step does not depend on what the pictures show. Under the mixed policy every layer computes in
bfloat16, the logits too (a model meant for use would keep its last layer in float32; for speed alone
it makes no difference worth the code). Prints one JSON object with the median seconds per
step, the ratio bf16/fp32 and the CPU's bf16 flags (avx512_bf16, amx_bf16): without them TensorFlow
emulates bfloat16 and it can only be slower.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(policy: str, steps: int) -> dict:
    import numpy as np

    from flower_demo import config, recipes  # config turns oneDNN on before TensorFlow loads
    from flower_demo.model import networks

    import keras
    import tensorflow as tf

    keras.mixed_precision.set_global_policy(policy)
    live = recipes.PRESETS["live"]
    network = networks.build_model(live, len(config.CLASS_NAMES), steps_per_epoch=74)
    random = np.random.default_rng(0)
    pixels = tf.constant(random.uniform(0, 255, (live.batch_size, live.image_size, live.image_size, 3)), tf.float32)
    labels = tf.constant(random.integers(0, 5, live.batch_size))
    times = {"train_step": [], "forward": []}
    for _ in range(5):  # traces and warms the kernels
        network.train_on_batch(pixels, labels)
        network(pixels, training=False)
    for _ in range(steps):
        started = time.perf_counter()
        network.train_on_batch(pixels, labels)
        times["train_step"].append(time.perf_counter() - started)
        started = time.perf_counter()
        np.asarray(network(pixels, training=False))
        times["forward"].append(time.perf_counter() - started)
    return {"policy": policy, "compute_dtype": network.get_layer("stage1_conv").compute_dtype,
            **{name: statistics.median(values) for name, values in times.items()}}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--steps", type=int, default=60)
    options.add_argument("--rounds", type=int, default=2)
    args = options.parse_args()
    flags = Path("/proc/cpuinfo").read_text().split() if Path("/proc/cpuinfo").exists() else []
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "") if flags else ""
    runs: dict[str, list[dict]] = {"float32": [], "mixed_bfloat16": []}
    for _ in range(args.rounds):
        for policy in runs:
            finished = subprocess.run([sys.executable, __file__, "--child", policy, str(args.steps)], cwd=ROOT,
                                      capture_output=True, text=True, check=True)
            runs[policy].append(json.loads(finished.stdout.strip().splitlines()[-1]))
    medians = {policy: {name: statistics.median(row[name] for row in rows) for name in ("train_step", "forward")}
               for policy, rows in runs.items()}
    print(json.dumps({
        "cpu": model, "bf16_flags": sorted({flag for flag in flags if "bf16" in flag}),
        "runs": runs, "median_seconds": medians,
        "ratio_bf16_to_fp32": {name: round(medians["mixed_bfloat16"][name] / medians["float32"][name], 3)
                               for name in ("train_step", "forward")},
    }, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
