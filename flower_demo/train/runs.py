"""A session's training runs: what each one was, the command that repeats it, their curves side by
side, and where a model in memory came from.

A run is kept as a small JSON-ready dict (settings, seconds, accuracies, curves; never the model),
so a session can remember every run of a lesson for a few kilobytes each. The history is a list
that is only ever replaced, never changed in place (`appended`), as per-session state wants.

Example:
    history = appended(history, record(run_config, state))
    print(command_line(history[-1]))   # python -m flower_demo train --preset seed --epochs 5 --out ...
    steps, values = curve(history[-1], "accuracy", "validation")
"""

from __future__ import annotations

import dataclasses
import threading
import weakref

import pandas as pd

from flower_demo import config, recipes
from flower_demo.recipes import TrainConfig
from flower_demo.i18n import percent, translate

# One colour pair per run (tab20's pairs): validation in the dark one, training in the light one.
RUN_COLOURS = (("#1f77b4", "#aec7e8"), ("#ff7f0e", "#ffbb78"), ("#2ca02c", "#98df8a"), ("#d62728", "#ff9896"),
               ("#9467bd", "#c5b0d5"), ("#8c564b", "#c49c94"), ("#e377c2", "#f7b6d2"), ("#7f7f7f", "#c7c7c7"),
               ("#bcbd22", "#dbdb8d"), ("#17becf", "#9edae5"))
SETTINGS = ("epochs", "image_size", "batch_size", "learning_rate", "validation_split")  # what a student can change
OWN_FOLDER = "your_photos"  # in a run's command line: a folder with one sub-folder of photos per class
FLAGS = {"epochs": "--epochs", "image_size": "--image-size", "batch_size": "--batch-size",
         "learning_rate": "--learning-rate", "validation_split": "--validation-split"}


def record(run_config: TrainConfig, state, dataset: str = "flowers", photos: int | None = None) -> dict:
    """A finished or stopped run (a training.RunState) as the history keeps it; `dataset` "own" for a
    session's own photos (their class names and how many there were kept, never the photos)."""
    validation = [row["val_accuracy"] for row in state.history if "val_accuracy" in row]
    return {
        "number": 0,  # given by `appended`
        "dataset": dataset,
        "photos": photos,  # a session's own photos at the time: its split is theirs only while they stay
        "class_names": list(getattr(state, "class_names", None) or ()),
        "preset": run_config.preset,
        "settings": {name: getattr(run_config, name) for name in SETTINGS},
        "epochs_done": int(state.epoch),
        "stopped": state.phase == "stopped",
        "seconds": round(sum(row["seconds"] for row in state.history), 1),  # training only, not the decoding
        "best_val_accuracy": max(validation) if validation else None,
        "last_val_accuracy": validation[-1] if validation else None,
        "curve": [dict(row, step=round(row["step"], 3), value=round(row["value"], 4)) for row in state.curve],
    }


def appended(history: list | None, run: dict, keep: int = config.MAX_RUNS_KEPT) -> list:
    """A new history with `run` numbered after the last one; only the latest `keep` runs stay."""
    history = list(history or [])
    number = history[-1]["number"] + 1 if history else 1
    return (history + [dict(run, number=number)])[-keep:]


def train_config(run: dict) -> TrainConfig:
    """The TrainConfig a run trained with (its preset with the student's settings)."""
    return dataclasses.replace(recipes.PRESETS[run["preset"]], **run["settings"])


def _number(value) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))  # repr: the shortest exact form


def is_own(run: dict | None) -> bool:
    """Whether a run trained on a session's own photos (not the flowers)."""
    return bool(run) and run.get("dataset") == "own"


def file_name(run: dict) -> str:
    return f"{'own' if is_own(run) else 'flower'}-{run['preset']}-run{run['number']}.keras"


def command_line(run: dict | None, out: str | None = None) -> str:
    """The command that trains the same network with the same settings (`None`: the shipped model).

    Only settings that differ from the preset's own (the command line's defaults) are written out,
    and the epochs always.
    """
    if run is None:  # the shipped file is the flower_cnn preset's final fit on every photo
        return f"python -m flower_demo train --preset flower_cnn --out {out or 'flower_cnn.keras'}"
    preset = recipes.PRESETS[run["preset"]]
    parts = ["python -m flower_demo train", f"--preset {run['preset']}"]
    if is_own(run):  # the same classes as folders of photos: the command line's classes are its folders
        parts.append(f"--data-dir {OWN_FOLDER}")
    for name in SETTINGS:
        value = run["settings"][name]
        if name == "epochs" or value != getattr(preset, name):
            parts.append(f"{FLAGS[name]} {_number(value)}")
    parts.append(f"--out {out or file_name(run)}")
    return " ".join(parts)


def settings_text(run: dict, language: str) -> str:
    settings = run["settings"]
    preset = recipes.PRESETS[run["preset"]]
    text = translate("run_settings", language, size=settings["image_size"], batch=settings["batch_size"],
                     rate=float(settings["learning_rate"]), split=round(100 * settings["validation_split"]))
    if preset.augmentation.enabled:
        text += translate("run_augmented", language)
    if preset.dropout:
        text += translate("run_dropout", language, dropout=preset.dropout)
    return text


def _percent(value, language: str) -> str:
    return "—" if value is None else percent(value, language)


def label(run: dict) -> str:
    return f"#{run['number']} {run['preset']}"


def table(history: list | None, language: str) -> pd.DataFrame:
    """One row per run: number, preset, settings, epochs, seconds, best and last validation accuracy."""
    rows = []
    for run in history or []:
        epochs = str(run["epochs_done"])
        if run["stopped"]:
            epochs = translate("run_epochs_stopped", language, done=run["epochs_done"],
                               asked=run["settings"]["epochs"])
        preset = run["preset"] + (f" ({translate('run_own_photos', language)})" if is_own(run) else "")
        rows.append([f"#{run['number']}", preset, settings_text(run, language), epochs,
                     f"{run['seconds']:.0f}", _percent(run["best_val_accuracy"], language),
                     _percent(run["last_val_accuracy"], language)])
    columns = [translate(key, language) for key in ("run_number", "preset", "run_settings_column", "epochs",
                                                    "run_seconds", "run_best", "run_last")]
    return pd.DataFrame(rows, columns=columns, dtype=str)


def colours(run: dict) -> tuple[str, str]:
    """The run's (dark, light) colours: validation, training."""
    return RUN_COLOURS[(run["number"] - 1) % len(RUN_COLOURS)]


def curve(run: dict, metric: str, kind: str) -> tuple[list[float], list[float]]:
    """(steps in epochs, values) of one of a run's curves: `kind` training or validation."""
    points = [(point["step"], point["value"]) for point in run["curve"]
              if point["metric"] == metric and point["series"] == kind]
    return [step for step, _ in points], [value for _, value in points]


# --- where a model in memory came from ------------------------------------------------------------

_origins: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # model -> {"run": dict} or {"upload": name}
_origins_lock = threading.Lock()


def remember_origin(model, **origin) -> None:
    """Notes what `model` is: `run=` a history record, or `upload=` the file name a student brought.

    Kept beside the model, not in it, and forgotten with it (weak keys): only the session that holds
    the model can ask.
    """
    with _origins_lock:
        _origins[model] = origin


def origin_of(model) -> dict:
    """{"run": record} for a model trained here, {"upload": file name} for one brought in, else {}."""
    with _origins_lock:
        return dict(_origins.get(model, {}))
