"""Issue 3: the shipped model's accuracy when called the way a student calls it, through /classify.

    python -m benchmarks.serving_accuracy --data-dir ../shared/flower_photos [--model PATH.keras]

Launches `python app.py` (serving `--model` through $FLOWER_MODEL_PATH; default the shipped model),
sends every held-out validation photo (the original JPEG file, as a student would upload it) through
gradio_client's /classify, and compares the top class with the photo's folder. Also scores the same
photos offline (`flower_demo.look.evaluation.evaluate`, the cached uint8 pipeline training uses): any gap
between the two would be a skew between training and serving preprocessing. Prints one JSON object.

The shipped file is a final fit on every photo, so its score here is on photos it trained on: it
shows the two paths agree, not its accuracy. Pass the recipe's validation-split model
(docs/model-card.md) for the accuracy on photos the model never saw.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from benchmarks.app_latency import launch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--model", type=Path, help="a .keras model to serve (default: the shipped model)")
    args = parser.parse_args()
    from gradio_client import handle_file

    from tests.clients import local_client

    from flower_demo import config
    from flower_demo.data import photo_index
    from flower_demo.model import serving
    from flower_demo.look.evaluation import evaluate
    from flower_demo.i18n import class_label

    data_dir = Path(args.data_dir).resolve()
    index = photo_index.index_photos(data_dir)
    _, validation = photo_index.split_positions(len(index.paths), config.VALIDATION_SPLIT)
    labels_en = {class_label(name, "en"): position for position, name in enumerate(index.class_names)}

    env = {**os.environ, "FLOWER_DATA_DIR": str(data_dir),
           "FLOWER_CACHE_DIR": tempfile.mkdtemp(prefix="serving-"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    model_path = (args.model or config.SHIPPED_MODEL_PATH).resolve()
    env[config.CLASSIFIER_ENV] = str(model_path)
    process, url, _ = launch(env)
    served = []
    try:
        client = local_client(url, "en")
        for position in validation:
            label, _ = client.predict(handle_file(str(index.paths[position])), api_name="/classify")
            served.append(labels_en[label["label"]])
    finally:
        process.terminate()
        process.wait(timeout=30)

    truth = [int(index.labels[p]) for p in validation]
    offline = evaluate(serving.load_model(model_path), data_dir, subset="validation")
    served_correct = sum(int(s == t) for s, t in zip(served, truth))
    print(json.dumps({
        "model": str(model_path),
        "photos": len(truth),
        "served_accuracy": round(served_correct / len(truth), 4),
        "offline_accuracy": offline["accuracy"],
        "offline_photos": offline["photos"],
        "target_served_at_least_85_percent": served_correct / len(truth) >= 0.85,
    }, indent=1))


if __name__ == "__main__":
    main()
