"""Issue 18: does a trained network answer better when it is served larger photos than it ended training on?

    python experiments/serving_size.py --data-dir ../shared/flower_photos --models /tmp/models \
        --recipe half_e112_cutmix [--split-seeds 1 2 3] [--sizes 104 112 120 128]

A network trained with random zoom and crops sees its flowers larger, on average, than a whole photo
shows them ("FixRes", Touvron et al. 2019); its global pooling takes any size, so the same weights can
be served at a larger side for more arithmetic per photo. This scores the models that
`experiments/recipes.py --models DIR` kept (DIR/RECIPE-splitSEED.keras) on their own split's validation
photos, mirror-averaged as served, at each size, and the average of the log-probabilities at every
pair of sizes (two scales, both mirrored: what a served model that looks twice would answer).
Split seed 123 is not among the defaults: it stays for the final estimate.

Prints one JSON object: per size (and pair) the accuracies per split, their mean ± sd, and the paired
difference to the size the recipe trained for (the first of --sizes); the CPU and its bf16 flags.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import recipes  # noqa: E402  (experiments/recipes.py: model_path, cpu)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--data-dir", required=True)
    options.add_argument("--models", required=True, help="the folder recipes.py --models kept its models in")
    options.add_argument("--recipe", required=True)
    options.add_argument("--split-seeds", type=int, nargs="+", default=[1, 2, 3])
    options.add_argument("--sizes", type=int, nargs="+", required=True,
                         help="the first is the size the recipe serves (its image_size)")
    options.add_argument("--validation-split", type=float, default=0.2)
    args = options.parse_args()

    import numpy as np

    from flower_demo.model import networks, serving
    from flower_demo.look.evaluation import evaluate_folder

    log_probabilities: dict[int, dict[int, np.ndarray]] = {seed: {} for seed in args.split_seeds}
    labels: dict[int, np.ndarray] = {}
    for seed in args.split_seeds:
        network = networks.unwrap(serving.load_model(recipes.model_path(args.models, args.recipe, seed)))
        for size in args.sizes:
            served = networks.with_mirror_average(networks.with_input_size(network, size))
            result = evaluate_folder(served, args.data_dir, "validation", args.validation_split, split_seed=seed)
            log_probabilities[seed][size] = np.log(np.clip(result.probabilities, 1e-12, 1.0))
            labels[seed] = result.labels
            print(json.dumps({"split_seed": seed, "size": size, "accuracy": round(result.accuracy, 4)}),
                  file=sys.stderr, flush=True)

    def accuracy(seed: int, sizes: tuple[int, ...]) -> float:
        mean = sum(log_probabilities[seed][size] for size in sizes) / len(sizes)
        return float((mean.argmax(axis=1) == labels[seed]).mean())

    variants = [(size,) for size in args.sizes] + list(itertools.combinations(args.sizes, 2))
    reference = {seed: accuracy(seed, (args.sizes[0],)) for seed in args.split_seeds}
    table = {}
    for sizes in variants:
        scores = [accuracy(seed, sizes) for seed in args.split_seeds]
        gains = [score - reference[seed] for score, seed in zip(scores, args.split_seeds)]
        table["+".join(map(str, sizes))] = {
            "accuracies": [round(value, 4) for value in scores],
            "mean_accuracy": round(statistics.mean(scores), 4),
            "sd_accuracy": round(statistics.stdev(scores), 4) if len(scores) > 1 else None,
            "gain_over_trained_size": [round(value, 4) for value in gains],
            "mean_gain": round(statistics.mean(gains), 4),
            # Forward passes per photo relative to serving at the trained size (arithmetic ~ pixels).
            "relative_cost": round(sum((size / args.sizes[0]) ** 2 for size in sizes), 2),
        }
    print(json.dumps({"cpu": recipes.cpu(), "python": platform.python_version(), "recipe": args.recipe,
                      "models": args.models, "split_seeds": args.split_seeds, "variants": table}, indent=1))


if __name__ == "__main__":
    main()
