"""The command line on the same core as the app.

    python -m flower_demo train --preset KEY --data-dir DIR [--epochs N --image-size S
        --batch-size B --learning-rate LR --validation-split F --split-seed N --seed N]
        --out PATH.keras [--log-json]
    python -m flower_demo evaluate --model PATH --data-dir DIR [--subset all|training|validation]
        [--validation-split F --split-seed N]

DIR is any folder of 2 to 10 class sub-folders of photos (the flowers by default): the sub-folders'
names are the classes, and the saved model carries them, so `evaluate` reports with the model's own
names and refuses a folder whose classes are not the model's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from flower_demo import config, recipes
from flower_demo.i18n import translate


def _train(args) -> int:
    from flower_demo.model import serving
    from flower_demo.train.training import TrainingRun

    train_config = recipes.with_overrides(
        recipes.PRESETS[args.preset], final_fit=True, epochs=args.epochs, image_size=args.image_size,
        batch_size=args.batch_size, learning_rate=args.learning_rate, validation_split=args.validation_split,
        split_seed=args.split_seed, seed=args.seed)

    def report(row: dict) -> None:
        if args.log_json:
            print(json.dumps(row), flush=True)
        else:
            # A final fit (--validation-split 0) has no validation photos, hence no val_ figures.
            print(f"epoch {row['epoch']}/{train_config.epochs} {row['seconds']:.1f}s "
                  + " ".join(f"{key} {row[key]:.4f}" for key in ("loss", "accuracy", "val_loss", "val_accuracy")
                             if key in row), file=sys.stderr, flush=True)

    started = time.monotonic()
    run = TrainingRun(train_config, data_dir=args.data_dir, device=args.device, on_epoch=report)
    state = run.run()
    if state.phase == "failed":
        print(f"error: {translate(state.error_key, 'en', detail=state.error_detail)}", file=sys.stderr)
        return 1
    if state.skipped:
        print(f"skipped {len(state.skipped)} unreadable file(s): {', '.join(state.skipped[:5])}", file=sys.stderr)
    serving.save_model(state.model, args.out)  # the class names go inside the file
    names = serving.class_names(state.model)
    print(f"saved {args.out} ({train_config.preset}, {train_config.image_size}px, {len(names)} classes: "
          f"{', '.join(names)}; {time.monotonic() - started:.1f}s in all)", file=sys.stderr)
    return 0


def _evaluate(args) -> int:
    from flower_demo import errors
    from flower_demo.model import serving
    from flower_demo.look.evaluation import evaluate

    try:
        model = serving.load_model(args.model)
    except (OSError, ValueError) as error:  # no such file, not a .keras zip, a damaged class_names.json
        print(f"error: cannot read the model {args.model} ({type(error).__name__}: {error})", file=sys.stderr)
        return 1
    try:
        # The model's own class names (from its file) must be the folder's: EvaluationError otherwise.
        result = evaluate(model, args.data_dir, subset=args.subset,
                          validation_split=args.validation_split, split_seed=args.split_seed)
    except errors.KeyedError as error:  # DatasetError (no photos, not 2-10 classes) or EvaluationError
        print(f"error: {translate(error.key, 'en', detail=error.detail)}", file=sys.stderr)
        return 1
    print(json.dumps(result))  # names outside ASCII as \u escapes: any console can print them
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m flower_demo", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a preset and save it as .keras")
    train.add_argument("--preset", choices=sorted(recipes.PRESETS), default=recipes.DEFAULT_PRESET)
    train.add_argument("--data-dir", help=f"folder of {config.MIN_CLASSES}-{config.MAX_CLASSES} class folders, "
                       f"whose names are the classes (default: ${config.DATA_DIR_ENV} or the flowers' download)")
    train.add_argument("--epochs", type=int)
    train.add_argument("--image-size", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--validation-split", type=float,
                       help="fraction held out for validation; 0 trains on every photo (a final fit)")
    train.add_argument("--split-seed", type=int,
                       help=f"which photos are held out (default {config.SPLIT_SEED}, the tutorial's split)")
    train.add_argument("--seed", type=int, help="initial weights, photo order and augmentation (default: the preset's)")
    train.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    train.add_argument("--out", required=True, help="where to save the model (.keras)")
    train.add_argument("--log-json", action="store_true", help="one JSON object per epoch on stdout")
    train.set_defaults(handler=_train)
    evaluate = commands.add_parser("evaluate", help="accuracy of a saved model on a folder (JSON)")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--data-dir", required=True, help="folder of the model's class folders, named as its classes")
    evaluate.add_argument("--subset", choices=("all", "training", "validation"), default="all",
                          help="all photos, or one side of the split training used")
    evaluate.add_argument("--validation-split", type=float, default=config.VALIDATION_SPLIT,
                          help="the fraction training held out (default %(default)s)")
    evaluate.add_argument("--split-seed", type=int, default=config.SPLIT_SEED,
                          help="the seed of training's split (default %(default)s)")
    evaluate.set_defaults(handler=_evaluate)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args)
