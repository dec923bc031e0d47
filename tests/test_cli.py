"""The command line: `python -m flower_demo train` in a subprocess, `evaluate` on the model it saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.fake_flowers import BROKEN_FILE, PHOTOS_PER_CLASS, PROJECT_ROOT, write_flower_folder
from flower_demo import cli, config, recipes
from flower_demo.data import photo_cache
from flower_demo.model import serving

pytestmark = pytest.mark.slow  # the command line trains, in a subprocess that imports TensorFlow afresh

HISTORY_KEYS = {"epoch", "seconds", "loss", "accuracy", "val_loss", "val_accuracy"}
DECODABLE = 5 * PHOTOS_PER_CLASS


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Runs the CLI once for the module: (data folder, model path, completed process)."""
    root = tmp_path_factory.mktemp("cli")
    folder = write_flower_folder(root / "flower_photos")
    out = root / "models" / "tiny.keras"
    environment = dict(os.environ, FLOWER_CACHE_DIR=str(config.cache_dir()),
                       PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]))
    environment.pop(config.DATA_DIR_ENV, None)
    completed = subprocess.run(
        [sys.executable, "-m", "flower_demo", "train", "--preset", "live", "--data-dir", str(folder),
         "--epochs", "1", "--image-size", "32", "--batch-size", "8", "--out", str(out), "--log-json"],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=240,
    )
    return folder, out, completed


def test_train_prints_one_json_line_per_epoch_and_saves(trained):
    folder, out, completed = trained
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, completed.stdout
    row = json.loads(lines[0])
    assert set(row) == HISTORY_KEYS
    assert row["epoch"] == 1
    assert "skipped 1 unreadable file(s): " + BROKEN_FILE in completed.stderr
    assert out.is_file()
    network = serving.load_model(out)
    assert network.input_shape == (None, 32, 32, 3)
    assert network.output_shape == (None, 5)
    assert network.name == "live"


def test_evaluate_prints_accuracy_and_a_confusion_matrix(trained, capsys):
    folder, out, completed = trained
    assert completed.returncode == 0, completed.stderr[-2000:]

    assert cli.main(["evaluate", "--model", str(out), "--data-dir", str(folder)]) == 0

    result = json.loads(capsys.readouterr().out)
    confusion = np.asarray(result["confusion_matrix"])
    assert confusion.shape == (5, 5)
    assert confusion.sum() == result["photos"] == DECODABLE
    assert (confusion.sum(axis=1) == PHOTOS_PER_CLASS).all()  # rows are the true classes
    assert result["class_names"] == list(config.CLASS_NAMES)
    assert result["accuracy"] == pytest.approx(np.trace(confusion) / DECODABLE, abs=1e-4)
    assert set(result["per_class_accuracy"]) == set(config.CLASS_NAMES)
    for i, name in enumerate(config.CLASS_NAMES):
        assert result["per_class_accuracy"][name] == pytest.approx(confusion[i, i] / PHOTOS_PER_CLASS, abs=1e-4)
    assert result["skipped"] == [BROKEN_FILE]


def test_evaluate_agrees_with_the_model(trained):
    """The confusion matrix counts argmax predictions of the saved model on the decoded photos."""
    from flower_demo.data import photo_cache
    from flower_demo.look.evaluation import evaluate

    folder, out, _ = trained
    network = serving.load_model(out)
    photos = photo_cache.load_photos(folder, 32)
    predicted = np.argmax(np.asarray(network(photos.images.astype(np.float32), training=False)), axis=1)
    expected = np.zeros((5, 5), int)
    for true, guess in zip(photos.labels, predicted):
        expected[true, guess] += 1
    assert evaluate(network, folder, batch_size=7)["confusion_matrix"] == expected.tolist()


def test_errors_exit_with_status_1(tmp_path, trained, capsys):
    _, out, _ = trained
    assert cli.main(["evaluate", "--model", str(out), "--data-dir", str(tmp_path / "missing")]) == 1
    assert "There are no photos in the given folder" in capsys.readouterr().err
    assert cli.main(["train", "--data-dir", str(tmp_path / "missing"), "--epochs", "1",
                     "--out", str(tmp_path / "never.keras")]) == 1
    assert "There are no photos in the given folder" in capsys.readouterr().err
    assert not (tmp_path / "never.keras").exists()


def test_unknown_preset_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.main(["train", "--preset", "nope", "--out", "x.keras"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_evaluate_on_the_validation_side_counts_only_held_out_photos(trained, capsys):
    folder, out, _ = trained
    assert cli.main(["evaluate", "--model", str(out), "--data-dir", str(folder), "--subset", "validation"]) == 0
    result = json.loads(capsys.readouterr().out)
    photos = photo_cache.load_photos(folder, serving.load_model(out).input_shape[1])
    _, (val_images, _) = photo_cache.split(photos, config.VALIDATION_SPLIT)
    assert result["subset"] == "validation"
    assert result["photos"] == len(val_images) == np.asarray(result["confusion_matrix"]).sum()


def test_the_split_seed_reaches_training_and_evaluation(trained, monkeypatch):
    from flower_demo.look import evaluation
    from flower_demo.train import training

    chosen = []

    class Recorded(Exception):
        pass

    def recording_run(train_config, **_):
        chosen.append(train_config)
        raise Recorded

    monkeypatch.setattr(training, "TrainingRun", recording_run)
    with pytest.raises(Recorded):
        cli.main(["train", "--preset", "live", "--split-seed", "7", "--out", "never.keras"])
    assert chosen[0].split_seed == 7
    assert chosen[0].seed == recipes.PRESETS["live"].seed
    with pytest.raises(Recorded):
        cli.main(["train", "--preset", "live", "--seed", "8", "--out", "never.keras"])
    assert chosen[1].seed == 8
    assert cli.parser().parse_args(["evaluate", "--model", "m", "--data-dir", "d"]).split_seed == config.SPLIT_SEED

    folder, out, _ = trained
    network = serving.load_model(out)
    photos = photo_cache.load_photos(folder, network.input_shape[1])
    files = {}
    for seed in (7, 8):
        _, rows = photo_cache.split_rows(photos, config.VALIDATION_SPLIT, seed)
        held_out = evaluation.evaluate_folder(network, folder, "validation", split_seed=seed)
        files[seed] = set(held_out.files)
        assert len(files[seed]) == len(rows) == held_out.photos
    assert files[7] != files[8]


def test_a_final_fit_trains_on_every_photo(flower_folder, tmp_path, capsys):
    """`--validation-split 0`, the shipped model's final fit: no photo is held out, no val_ figures."""
    out = tmp_path / "final.keras"
    assert cli.main(["train", "--preset", "seed", "--data-dir", str(flower_folder), "--epochs", "1",
                     "--image-size", "32", "--batch-size", "8", "--validation-split", "0", "--out", str(out)]) == 0
    epoch_line = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("epoch 1/1"))
    assert "loss" in epoch_line and "val_" not in epoch_line
    assert serving.load_model(out).output_shape == (None, 5)
