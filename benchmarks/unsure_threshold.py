"""Issue 23: how sure the shipped model is on real flower photos and on pictures that are not flowers,
to choose when Classify says "unsure" (flower_demo/model/serving.py, UNSURE_BELOW).

    python -m benchmarks.unsure_threshold --data-dir ../shared/flower_photos [--every 1] [--views-every 4]

For every photo of the folder (the original JPEG, through the one path Classify uses), and for every
picture of tests/non_flowers.py (generated colours, gradients, noise, drawings, words, and the
photos installed packages ship), records the top-1 probability and the gap to the second. The
shipped model trained on every photo of the folder, so "as is" is optimistic; harder views of a
sample of them (--views-every: the central half zoomed ×2, a quarter turn, a blurry 48 px copy),
transforms outside its training augmentation, stand in for photos it never saw. Prints one JSON
object: quantiles per group and, for each candidate threshold, the share of real photos it would call
unsure and the share of non-flowers it catches.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

THRESHOLDS = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def centre_zoom(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    return rgb[height // 4 : height - height // 4, width // 4 : width - width // 4]


def quarter_turn(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(rgb))


def blurry(rgb: np.ndarray) -> np.ndarray:
    small = Image.fromarray(rgb).resize((48, 48 * rgb.shape[0] // rgb.shape[1] or 1), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=30)
    return np.asarray(Image.open(buffer).convert("RGB"))


VIEWS = {"centre zoom x2": centre_zoom, "quarter turn": quarter_turn, "blurry 48 px": blurry}


def probabilities(network, pictures: list[np.ndarray]) -> np.ndarray:
    from flower_demo.model import serving

    return np.stack([serving.predict_probabilities(network, picture) for picture in pictures])


def summary(tops: np.ndarray) -> dict:
    return {"count": int(len(tops)), **{f"p{q}": round(float(np.percentile(tops, q)), 3) for q in (5, 10, 25, 50, 75)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--every", type=int, default=1, help="every n-th photo as is (1: all)")
    parser.add_argument("--views-every", type=int, default=4, help="every n-th photo for the harder views")
    args = parser.parse_args()

    from tests.non_flowers import generated, packaged
    from flower_demo import config
    from flower_demo.data import images, photo_index
    from flower_demo.model import serving

    network = serving.shipped_model()
    started = time.monotonic()
    index = photo_index.index_photos(args.data_dir)
    real: dict[str, list[np.ndarray]] = {"as is": [], **{name: [] for name in VIEWS}}
    labels: dict[str, list[int]] = {name: [] for name in real}
    for position, (path, label) in enumerate(zip(index.paths, index.labels)):
        if position % args.every and position % args.views_every:
            continue
        rgb = images.load_image(path)
        if position % args.every == 0:
            probs = probabilities(network, [rgb])[0]
            real["as is"].append(probs)
            labels["as is"].append(int(label))
        if position % args.views_every == 0:
            for name, view in VIEWS.items():
                real[name].append(probabilities(network, [view(rgb)])[0])
                labels[name].append(int(label))
    others: dict[str, list[np.ndarray]] = {}
    examples = {}
    for kind, name, picture in [*generated(), *packaged()]:
        probs = probabilities(network, [picture])[0]
        others.setdefault(kind, []).append(probs)
        examples[name] = round(float(probs.max()), 3)

    def tops(groups):
        return {name: np.array([p.max() for p in values]) for name, values in groups.items()}

    real_tops, other_tops = tops(real), tops(others)
    right = {name: np.array([int(p.argmax()) for p in values]) == np.array(labels[name]) for name, values in real.items()}
    all_others = np.concatenate(list(other_tops.values()))
    table = []
    for threshold in THRESHOLDS:
        table.append({
            "threshold": threshold,
            "real_unsure_pct": {name: round(100 * float((t < threshold).mean()), 1) for name, t in real_tops.items()},
            # How often the photos called unsure, and the others, are classified right.
            "real_accuracy_unsure_vs_sure_pct": {
                name: [round(100 * float(right[name][t < threshold].mean()), 1) if (t < threshold).any() else None,
                       round(100 * float(right[name][t >= threshold].mean()), 1) if (t >= threshold).any() else None]
                for name, t in real_tops.items()},
            "non_flowers_caught_pct": round(100 * float((all_others < threshold).mean()), 1),
            "caught_by_kind_pct": {name: round(100 * float((t < threshold).mean()), 1) for name, t in other_tops.items()},
        })
    print(json.dumps({
        "model": str(config.classifier_path().name),
        "real_accuracy_pct": {name: round(100 * float(values.mean()), 1) for name, values in right.items()},
        "real_top1": {name: summary(t) for name, t in real_tops.items()},
        "non_flower_top1": {**{name: summary(t) for name, t in other_tops.items()}, "all": summary(all_others)},
        "thresholds": table,
        "non_flower_examples_top1": examples,
        "seconds": round(time.monotonic() - started, 1),
    }, indent=1))


if __name__ == "__main__":
    main()
