"""Evaluation, run history, model files and shared links: the core behind the Evaluate and Compare tabs."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile

import numpy as np
import pytest

from flower_demo import config, recipes
from flower_demo.data import images, photo_cache, photo_index
from flower_demo.look import evaluation, result_plots
from flower_demo.model import model_files, networks, serving
from flower_demo.server import links
from flower_demo.train import runs
from flower_demo.look.evaluation import Evaluation
from tests.fake_flowers import write_flower_folder

CLASSES = len(config.CLASS_NAMES)


def tiny_network(size: int = 32, classes: int = CLASSES, seed: int = 0):
    """An untrained compact network (random weights, fixed by `seed`)."""
    import keras

    keras.utils.set_random_seed(seed)
    return networks.build_model(recipes.TrainConfig(preset="tiny", architecture="compact", epochs=1, image_size=size),
                                classes)


def made_up_evaluation(labels, probabilities) -> Evaluation:
    labels = np.asarray(labels)
    return Evaluation(subset="validation", validation_split=0.2, class_names=config.CLASS_NAMES, labels=labels,
                      probabilities=np.asarray(probabilities, np.float64), files=tuple(f"p{i}.jpg" for i in range(len(labels))),
                      root="/photos", available=len(labels), skipped=())


def scores(winner: int, confidence: float) -> list[float]:
    rest = (1 - confidence) / (CLASSES - 1)
    return [confidence if c == winner else rest for c in range(CLASSES)]


# --- evaluation ------------------------------------------------------------------------------------

def test_the_confusion_matrix_counts_what_the_model_says_photo_by_photo(make_flower_folder):
    """Against an independent count: each validation photo through predict_probabilities, one at a time."""
    folder = make_flower_folder("photos", per_class=10)
    network = tiny_network()
    result = evaluation.evaluate_folder(network, folder, "validation", batch_size=7)

    photos = photo_cache.load_photos(folder, 32)
    _, val_files = photo_index.split_positions(photos.file_count, config.VALIDATION_SPLIT)
    index = photo_index.index_photos(folder)
    expected = np.zeros((CLASSES, CLASSES), int)
    for position in val_files:  # the split's held-out files, opened as a student's upload would be
        path = index.paths[position]
        if str(path.relative_to(folder)) in photos.skipped:
            continue
        said = int(np.argmax(serving.predict_probabilities(network, images.load_image(path))))
        expected[index.labels[position], said] += 1
    assert result.confusion.tolist() == expected.tolist()
    assert result.photos == expected.sum() > 0
    assert result.accuracy == pytest.approx(np.trace(expected) / expected.sum())
    assert set(result.files) == {str(index.paths[p].relative_to(folder)) for p in val_files} - {"roses/broken.jpg"}


def test_the_validation_photos_are_exactly_those_training_holds_out(make_flower_folder):
    folder = make_flower_folder("photos", per_class=10, broken=False)
    photos = photo_cache.load_photos(folder, 32)
    train_rows, val_rows = photo_cache.split_rows(photos, 0.3)
    (x_train, _), (x_val, _) = photo_cache.split(photos, 0.3)
    assert sorted(val_rows) == sorted(set(range(len(photos.labels))) - set(train_rows))
    np.testing.assert_array_equal(np.sort(photos.images[val_rows].reshape(len(val_rows), -1), axis=0),
                                  np.sort(x_val.reshape(len(x_val), -1), axis=0))
    result = evaluation.evaluate_folder(tiny_network(), folder, "validation", validation_split=0.3)
    assert result.photos == len(x_val) == 15 and result.validation_split == 0.3


def test_a_cap_keeps_a_prefix_of_the_shuffled_split_and_says_how_many_there_were(make_flower_folder):
    folder = make_flower_folder("photos", per_class=10, broken=False)
    full = evaluation.evaluate_folder(tiny_network(), folder, "validation")
    capped = evaluation.evaluate_folder(tiny_network(), folder, "validation", max_photos=4)
    assert capped.photos == 4 and capped.available == full.photos == 10
    assert capped.files == full.files[:4]


def test_a_cell_lists_its_photos_surest_first_and_any_lists_only_mistakes():
    result = made_up_evaluation(
        labels=[2, 2, 2, 2, 0, 4, 4],
        probabilities=[scores(4, 0.6), scores(4, 0.9), scores(2, 0.8), scores(4, 0.6), scores(0, 0.99),
                       scores(2, 0.95), scores(4, 0.5)])
    assert result.cell(2, 4).tolist() == [1, 0, 3]  # roses taken for tulips; the 0.6 tie in file order
    assert result.cell(2, 2).tolist() == [2]  # the diagonal lists the right answers
    assert result.cell(None, None).tolist() == [5, 1, 0, 3]  # every mistake, surest first
    assert result.confident_mistakes(2).tolist() == [5, 1]
    assert result.cell(4, None).tolist() == [5] and result.cell(None, 2).tolist() == [5]
    assert result.confusion[2, 4] == 3 and result.confusion.sum() == 7
    assert result.per_class_accuracy[2] == pytest.approx(0.25)


def test_an_evaluation_is_computed_once_per_model_and_again_when_the_photos_change(make_flower_folder):
    folder = make_flower_folder("photos", per_class=6, broken=False)
    network = tiny_network()
    first = evaluation.cached_evaluation(network, folder)
    assert evaluation.cached_evaluation(network, folder) is first
    assert evaluation.cached_evaluation(tiny_network(), folder) is not first  # another model
    write_flower_folder(folder, per_class=7, broken=False)  # a photo more per class
    assert evaluation.cached_evaluation(network, folder).available == int(0.2 * 35)


def test_a_folder_with_other_classes_is_refused(tmp_path):
    folder = tmp_path / "three"
    write_flower_folder(folder, per_class=3, broken=False)
    for extra in ("lilies", "orchids"):
        (folder / extra).mkdir()
        shutil.copy(folder / "roses" / "roses_00.jpg", folder / extra / "copy.jpg")
    with pytest.raises(evaluation.EvaluationError) as raised:
        evaluation.evaluate_folder(tiny_network(), folder)
    assert raised.value.key == "error_evaluation_classes"


def test_a_click_on_the_picture_finds_its_cell():
    confusion = 10 * np.eye(5, dtype=int)
    picture = result_plots.confusion_picture(confusion, list("abcde"), list("abcde"), "title", "true", "predicted")
    height, width, _ = picture.shape
    left, bottom, axes_width, axes_height = result_plots.AXES
    top = 1 - bottom - axes_height
    for row in range(5):
        for col in range(5):
            x = (left + axes_width * (col + 0.3) / 5) * width  # off centre: clear of the number
            y = (top + axes_height * (row + 0.3) / 5) * height
            assert result_plots.cell_at(x, y, 5) == (row, col)
            shade = picture[int(y), int(x)].astype(int)
            assert (shade.sum() < 300) == (row == col)  # the diagonal dark blue, the rest near white
    assert result_plots.cell_at(5, 5, 5) is None and result_plots.cell_at(width - 2, height / 2, 5) is None


# --- the run history -------------------------------------------------------------------------------

@dataclasses.dataclass
class FakeState:
    phase: str = "finished"
    epoch: int = 2
    history: list = dataclasses.field(default_factory=lambda: [
        {"epoch": 1, "seconds": 3.25, "val_accuracy": 0.5}, {"epoch": 2, "seconds": 3.0, "val_accuracy": 0.4}])
    curve: list = dataclasses.field(default_factory=lambda: [
        {"step": 0.1, "value": 0.3, "metric": "accuracy", "series": "training"},
        {"step": 1.0, "value": 0.5, "metric": "accuracy", "series": "validation"},
        {"step": 1.0, "value": 1.2, "metric": "loss", "series": "validation"}])


def test_runs_are_numbered_kept_in_a_new_list_and_capped():
    seed = dataclasses.replace(recipes.PRESETS["seed"], epochs=2)
    history = []
    for _ in range(3):
        history = runs.appended(history, runs.record(seed, FakeState()), keep=2)
    assert [run["number"] for run in history] == [2, 3]
    run = history[-1]
    assert run["seconds"] == 6.2 and run["best_val_accuracy"] == 0.5 and run["last_val_accuracy"] == 0.4
    before = list(history)
    runs.appended(history, run)
    assert history == before  # never changed in place (gr.State keeps the old value otherwise)


def test_the_command_line_trains_the_same_settings(tmp_path):
    """The printed command, parsed by the real command line, gives back the run's TrainConfig."""
    from flower_demo import cli

    chosen = dataclasses.replace(recipes.live_preset("flower_cnn"), epochs=3, batch_size=16, learning_rate=0.0005)
    run = runs.appended([], runs.record(chosen, FakeState(epoch=3)))[-1]
    command = runs.command_line(run)
    assert command == ("python -m flower_demo train --preset flower_cnn --epochs 3 --batch-size 16 "
                       "--learning-rate 0.0005 --validation-split 0.2 --out flower-flower_cnn-run1.keras")
    args = cli.parser().parse_args(command.split()[3:])
    rebuilt = recipes.with_overrides(recipes.PRESETS[args.preset], final_fit=True,
                                    **{name: getattr(args, name) for name in runs.SETTINGS})
    assert rebuilt == runs.train_config(run) == chosen
    assert runs.command_line(None) == "python -m flower_demo train --preset flower_cnn --out flower_cnn.keras"


def test_the_table_and_the_chart_speak_the_students_language():
    history = runs.appended([], runs.record(recipes.PRESETS["seed_augmented"], FakeState(phase="stopped")))
    table = runs.table(history, "es")
    assert list(table.columns) == ["N.º", "Preset", "Ajustes", "Épocas", "Segundos entrenando", "Mejor validación",
                                   "Última validación"]
    assert table.iloc[0].tolist() == ["#1", "seed_augmented",
                                      "180 px · lote 32 · tasa 0,001 · validación 20 % · aumento · dropout 0,2",
                                      "2 de 15 (detenido)", "6", "50,0 %", "40,0 %"]
    assert runs.curve(history[0], "accuracy", "training") == ([0.1], [0.3])
    assert runs.curve(history[0], "loss", "validation") == ([1.0], [1.2])
    chart = result_plots.comparison_figure(history, [1], "accuracy", "es").axes[0]
    assert [line.get_label() for line in chart.lines] == ["#1 seed_augmented · entrenamiento",
                                                         "#1 seed_augmented · validación"]
    assert [line.get_color() for line in chart.lines] == [result_plots.run_colour(history[0])] * 2  # dashed, solid
    assert chart.get_ylim() == (0, 1) and chart.get_xlabel() == "época"
    assert not result_plots.comparison_figure(history, [], "loss", "en").axes[0].lines


def test_a_model_remembers_where_it_came_from_only_while_it_lives():
    import gc

    network = tiny_network()
    runs.remember_origin(network, upload="mine.keras")
    assert runs.origin_of(network) == {"upload": "mine.keras"}
    assert runs.origin_of(tiny_network()) == {}
    gc.collect()  # earlier tests' models, garbage already: not this test's to count
    count = len(runs._origins)
    del network
    gc.collect()
    assert len(runs._origins) == count - 1


# --- model files -----------------------------------------------------------------------------------

def test_an_exported_model_comes_back_with_identical_predictions(tmp_path):
    network = networks.with_mirror_average(tiny_network(48))  # the shipped model's shape of file
    path = model_files.export_model(network, tmp_path / "out", "mine.keras")
    back = model_files.import_model(path)
    pixels = np.random.RandomState(1).randint(0, 256, (6, 48, 48, 3)).astype(np.uint8)
    np.testing.assert_array_equal(serving.batch_probabilities(network, pixels),
                                  serving.batch_probabilities(back, pixels))
    assert model_files.check_contract(back) == 48


def _saved(path, inputs, outputs):
    import keras

    keras.Model(inputs, outputs).save(path)
    return path


@pytest.mark.parametrize("shape,classes,detail", [
    ((32, 32, 3), 3, "Expected 3 class names in the file's class_names.json for an output (None, 3)"),  # issue 36
    ((32, 32, 3), 11, "Expected an output (None, K) with 2 ≤ K ≤ 10. Received: (None, 11)"),
    ((32, 32, 3), 1, "Expected an output (None, K) with 2 ≤ K ≤ 10. Received: (None, 1)"),
    ((None, None, 3), 5, "Received: (None, None, None, 3)"),
    ((16, 16, 3), 5, "32 ≤ S ≤ 256. Received: (None, 16, 16, 3)"),
    ((32, 32, 1), 5, "Received: (None, 32, 32, 1)"),
])
def test_a_model_outside_the_contract_is_refused(tmp_path, shape, classes, detail):
    import keras

    inputs = keras.Input(shape)
    path = _saved(tmp_path / "wrong.keras", inputs, keras.layers.Dense(classes)(keras.layers.GlobalAveragePooling2D()(inputs)))
    with pytest.raises(model_files.ModelFileError) as raised:
        model_files.import_model(path)
    assert raised.value.key == "error_model_contract" and detail in raised.value.detail


def test_code_in_a_model_is_never_run(tmp_path):
    import keras

    inputs = keras.Input((32, 32, 3))
    hidden = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = _saved(tmp_path / "lambda.keras", inputs, keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(hidden)))
    with pytest.raises(model_files.ModelFileError) as raised:
        model_files.import_model(path)
    assert raised.value.key == "error_model_unsafe"


def test_files_that_are_not_keras_models_are_refused_before_keras_reads_them(tmp_path, monkeypatch):
    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    other = tmp_path / "model.h5"
    other.write_bytes(b"\x89HDF\r\n")
    empty_zip = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    for path in (text, other, empty_zip):
        with pytest.raises(model_files.ModelFileError) as raised:
            model_files.import_model(path)
        assert raised.value.key == "error_model_not_keras", path.name

    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\0" * (2 << 20))  # 2 MB of zeros: a few KB zipped
    monkeypatch.setattr(config, "MAX_MODEL_UNPACKED_BYTES", 1 << 20)
    with pytest.raises(model_files.ModelFileError) as raised:
        model_files.import_model(bomb)
    assert raised.value.key == "error_model_too_large" and "unpacked" in raised.value.detail
    monkeypatch.setattr(config, "MAX_MODEL_BYTES", 1000)
    with pytest.raises(model_files.ModelFileError) as raised:
        model_files.import_model(bomb)
    assert raised.value.key == "error_model_too_large"


# --- shared links ----------------------------------------------------------------------------------

def test_a_link_keeps_what_the_app_offers_and_ignores_the_rest():
    assert links.parse({"tab": "training", "preset": "seed_augmented", "epochs": "5", "kernel": "sobel_x",
                        "lang": "en"}) == links.Link("training", "seed_augmented", 5, "sobel_x", "en")
    ignored = links.parse({"tab": "admin", "preset": "big", "epochs": "999", "kernel": "../x", "lang": "fr",
                           "other": "1"})
    assert ignored == links.Link()
    for epochs in ("0", "-3", "abc", "2.5", ""):
        assert links.parse({"epochs": epochs}).epochs is None
    assert links.parse(None) == links.Link()
    assert set(links.TAB_IDS) >= {"kernels", "training", "classify", "compare", "evaluate"}
