"""Issue 18: how much would several networks' averaged answers gain over one?

    python experiments/ensemble_headroom.py --data-dir ../shared/flower_photos --models /tmp/models \
        --recipes half_e112_cutmix half_e168_cutmix half_e112_cutmix_224 [--split-seeds 1 2 3]

Distillation teaches one network what several answer together, so their average bounds what it can
hope to gain (the literature's students come close to it, rarely above). This scores the models that
`experiments/recipes.py --models DIR` kept (DIR/RECIPE-splitSEED.keras), each as saved (the mirror
average, as served), on its own split's validation photos, and the average of their log-probabilities
for every group of two or more. Split seed 123 is not among the defaults: it stays for final estimates.

Prints one JSON object: per model and per group the accuracies per split, their mean ± sd, and the
paired difference to the first recipe named; the CPU and its bf16 flags.
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
    options.add_argument("--recipes", nargs="+", required=True, help="the first is the one the others are compared to")
    options.add_argument("--split-seeds", type=int, nargs="+", default=[1, 2, 3])
    options.add_argument("--validation-split", type=float, default=0.2)
    args = options.parse_args()

    import numpy as np

    from flower_demo.model import serving
    from flower_demo.look.evaluation import evaluate_folder

    log_probabilities: dict[int, dict[str, np.ndarray]] = {seed: {} for seed in args.split_seeds}
    labels: dict[int, np.ndarray] = {}
    for seed in args.split_seeds:
        for recipe in args.recipes:
            network = serving.load_model(recipes.model_path(args.models, recipe, seed))
            result = evaluate_folder(network, args.data_dir, "validation", args.validation_split, split_seed=seed)
            log_probabilities[seed][recipe] = np.log(np.clip(result.probabilities, 1e-12, 1.0))
            labels[seed] = result.labels

    def accuracy(seed: int, group: tuple[str, ...]) -> float:
        mean = sum(log_probabilities[seed][recipe] for recipe in group) / len(group)
        return float((mean.argmax(axis=1) == labels[seed]).mean())

    groups = [group for count in range(1, len(args.recipes) + 1) for group in itertools.combinations(args.recipes, count)]
    reference = {seed: accuracy(seed, (args.recipes[0],)) for seed in args.split_seeds}
    table = {}
    for group in groups:
        scores = [accuracy(seed, group) for seed in args.split_seeds]
        gains = [score - reference[seed] for score, seed in zip(scores, args.split_seeds)]
        table[" + ".join(group)] = {
            "accuracies": [round(value, 4) for value in scores],
            "mean_accuracy": round(statistics.mean(scores), 4),
            "sd_accuracy": round(statistics.stdev(scores), 4) if len(scores) > 1 else None,
            "gain_over_first": [round(value, 4) for value in gains],
            "mean_gain": round(statistics.mean(gains), 4),
            "sd_gain": round(statistics.stdev(gains), 4) if len(gains) > 1 else None,
        }
    print(json.dumps({"cpu": recipes.cpu(), "python": platform.python_version(), "models": args.models,
                      "split_seeds": args.split_seeds, "groups": table}, indent=1))


if __name__ == "__main__":
    main()
