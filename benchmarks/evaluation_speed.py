"""Issue 17: what the Evaluate tab costs on the real photos, in process, on this machine.

    FLOWER_CACHE_DIR=$(mktemp -d) python -m benchmarks.evaluation_speed --data-dir ../shared/flower_photos

For the shipped model (208 px, two looks per photo) and a `live` network (64 px; untrained weights:
the time does not depend on them), times what /evaluate does the first time a server sees a model:
  decode_s    decoding every photo of the folder at the model's size (once per size and folder,
              then kept on disk and in memory, shared with training; an empty FLOWER_CACHE_DIR
              measures it cold);
  score_s     scoring the validation side (586 photos of the tutorial's folder) in batches of 64;
  per_photo_ms  score_s per photo;
  cached_ms   the next /evaluate or /mistakes for the same model and folder (the evaluation is kept).
Prints one JSON object. The machine's other load shows in these numbers: run it on a quiet machine
or read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def measure(network, folder: Path) -> dict:
    from flower_demo.data import photo_cache
    from flower_demo.look import evaluation
    from flower_demo.model import networks

    started = time.perf_counter()
    photo_cache.load_photos(folder, networks.input_size(network))
    decoded = time.perf_counter()
    result = evaluation.cached_evaluation(network, folder)
    scored = time.perf_counter()
    evaluation.cached_evaluation(network, folder)
    again = time.perf_counter()
    return {"image_size": networks.input_size(network), "photos": result.photos, "accuracy": round(result.accuracy, 4),
            "decode_s": round(decoded - started, 1), "score_s": round(scored - decoded, 1),
            "per_photo_ms": round(1000 * (scored - decoded) / result.photos, 1),
            "cached_ms": round(1000 * (again - scored), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="the flower photos (one folder per class)")
    args = parser.parse_args()

    import keras

    from flower_demo import recipes
    from flower_demo.model import networks, serving

    keras.utils.set_random_seed(0)
    live = networks.build_model(recipes.PRESETS["live"])
    print(json.dumps({
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "shipped": measure(serving.shipped_model(), args.data_dir),
        "live": measure(live, args.data_dir),
    }))


if __name__ == "__main__":
    main()
