"""Issue 36, the core: any dataset of 2 to 10 classes with its own names, the flowers staying the default.

Synthetic class folders written here (each class its own colour and shape) with 2, 3 and 10 classes:
the network's output size, the names through save, plain Keras' safe_mode load and our import path,
the brought-model contract, the dataset's limits, evaluation's K x K matrix and its figure, Grad-CAM
and feature maps, and the command line training and evaluating a 3-class folder.
"""

from __future__ import annotations

import colorsys
import dataclasses
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flower_demo import cli, config, recipes
from flower_demo.data import classes, photo_cache, photo_index
from flower_demo.errors import DatasetError
from flower_demo.look import evaluation, inside, result_plots
from flower_demo.model import model_classes, model_files, networks, serving
from flower_demo.model.model_files import ModelFileError
from flower_demo.train.training import TrainingRun
from tests.test_figure_text import assert_readable, drawn_figure

TWO = ("cat", "dog")
THREE = ("bottle", "mug", "plant")
TEN = tuple(f"class {index:02d}" for index in range(10))
# Any script counts: Cyrillic, Chinese, an accent written as a combining mark (NFD, as macOS names
# folders), an emoji; the longest a name may be is 30 characters.
WORLD = ("гриб", "猫", "cafe\u0301 ☕", "x" * config.MAX_CLASS_NAME_CHARS)
SHAPES = ("square", "disc", "stripes", "triangle", "cross")
PHOTO_SIDE = 24


def class_photo(index: int, count: int, number: int) -> np.ndarray:
    """Class `index` of `count`: its own hue (spread around the wheel) and shape on a grey ground,
    a little noise per photo so no two are the same."""
    rng = np.random.RandomState(97 * index + number)
    red, green, blue = colorsys.hsv_to_rgb(index / count, 0.9, 0.95)
    pixels = np.full((PHOTO_SIDE, PHOTO_SIDE, 3), 110.0)
    rows, cols = np.mgrid[:PHOTO_SIDE, :PHOTO_SIDE]
    centre = PHOTO_SIDE / 2
    mask = {
        "square": (abs(rows - centre) < 7) & (abs(cols - centre) < 7),
        "disc": (rows - centre) ** 2 + (cols - centre) ** 2 < 64,
        "stripes": (cols // 3) % 2 == 0,
        "triangle": (rows > 4) & (abs(cols - centre) < (rows - 4) / 2),
        "cross": (abs(rows - centre) < 3) | (abs(cols - centre) < 3),
    }[SHAPES[index % len(SHAPES)]]
    pixels[mask] = (255 * red, 255 * green, 255 * blue)
    pixels += rng.normal(0, 8, pixels.shape)
    return np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def write_classes(root: Path, names, per_class: int = 6) -> Path:
    """One sub-folder of PNG photos per name (lossless: the tests' pixels are exactly what is read)."""
    for index, name in enumerate(names):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(per_class):
            Image.fromarray(class_photo(index, len(names), number)).save(folder / f"{number:02d}.png")
    return root


def network_for(names, size: int = 32, seed: int = 0):
    """An untrained compact network with `names` as its classes (random weights, fixed by `seed`)."""
    import keras

    keras.utils.set_random_seed(seed)
    return networks.build_model(recipes.TrainConfig(preset="tiny", architecture="compact", epochs=1, image_size=size),
                                class_names=names)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- the network and its file ----------------------------------------------------------------------

@pytest.mark.parametrize("names", [TWO, THREE, TEN], ids=len)
def test_the_network_has_one_output_per_class_and_knows_their_names(names):
    network = network_for(names)
    assert network.output_shape == (None, len(names))
    assert serving.class_names(network) == names
    assert serving.class_names(networks.with_mirror_average(network)) == names  # the serving wrapper too


def test_a_progressive_networks_serving_copy_keeps_the_names():
    network = networks.build_model(dataclasses.replace(recipes.PRESETS["live"], image_size=48), class_names=THREE)
    assert network.input_shape == (None, None, None, 3)  # progressive: any size while training
    served = networks.with_input_size(network, 48)
    assert served is not network and serving.class_names(served) == THREE


@pytest.mark.parametrize("names", [TWO, THREE, TEN, WORLD], ids=lambda names: f"{len(names)}-{names[0]}")
def test_the_names_survive_saving_plain_keras_safe_mode_and_our_import(tmp_path, names):
    import keras

    network = networks.with_mirror_average(network_for(names))
    path = model_files.export_model(network, tmp_path, "mine.keras")
    # Beside Keras' own members, one small JSON member of the names, readable as text in the zip.
    contents = members(path)
    assert set(contents) == {"config.json", "model.weights.h5", "metadata.json", model_classes.MEMBER}
    assert json.loads(contents[model_classes.MEMBER].decode("utf-8")) == {"class_names": list(names)}
    # Plain Keras, safe_mode: the file loads as ever (it ignores the member it did not write).
    plain = keras.models.load_model(path, safe_mode=True, compile=False)
    assert plain.output_shape == (None, len(names))
    pixels = np.random.RandomState(3).randint(0, 256, (2, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(plain(pixels)), np.asarray(network(pixels)), rtol=1e-5, atol=1e-5)
    # Ours: serving's loader, and the path a brought file takes (the names composed and trimmed).
    assert serving.class_names(serving.load_model(path)) == names
    imported = model_files.import_model(path)
    assert serving.class_names(imported) == classes.clean(names)
    assert model_files.check_contract(imported) == 32


def test_a_file_without_names_is_a_flower_model_when_it_has_five_outputs(tmp_path):
    import keras

    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs)))
    path = tmp_path / "older.keras"
    keras.Model(inputs, outputs).save(path)  # as every export before issue 36: no class_names.json
    assert model_classes.read_from(path) is None
    assert serving.class_names(serving.load_model(path)) == config.CLASS_NAMES
    assert serving.class_names(model_files.import_model(path)) == config.CLASS_NAMES
    # The shipped file is left as it was (never retrained nor rewritten): its names are the default.
    if config.SHIPPED_MODEL_PATH.exists():
        assert model_classes.MEMBER not in members(config.SHIPPED_MODEL_PATH)
        assert serving.class_names(serving.load_model(config.SHIPPED_MODEL_PATH)) == config.CLASS_NAMES
    # A network of another size built by hand, with no names: numbered, never the flowers'.
    by_hand = networks.build_model(recipes.TrainConfig(preset="t", architecture="compact", epochs=1, image_size=32), 3)
    assert serving.class_names(by_hand) == ("class 1", "class 2", "class 3")


# --- the contract for a brought model --------------------------------------------------------------

def dense_model(outputs: int, side: int = 32):
    import keras

    inputs = keras.Input((side, side, 3))
    hidden = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(outputs)(hidden))


@pytest.mark.parametrize("count", range(config.MIN_CLASSES, config.MAX_CLASSES + 1))
def test_the_contract_takes_two_to_ten_named_classes(count):
    model = dense_model(count)
    model_classes.remember(model, [f"c{index}" for index in range(count)])
    assert model_files.check_contract(model) == 32


def contract_problem(model) -> str:
    with pytest.raises(ModelFileError) as raised:
        model_files.check_contract(model)
    assert raised.value.key == "error_model_contract"
    return raised.value.detail


@pytest.mark.parametrize("count", [1, 11])
def test_the_contract_refuses_one_class_and_eleven(count):
    model = dense_model(count)
    model_classes.remember(model, [f"c{index}" for index in range(count)])
    assert contract_problem(model) == (f"Expected an output (None, K) with 2 ≤ K ≤ 10. "
                                       f"Received: (None, {count})")


@pytest.mark.parametrize("names,detail", [
    (None, "Expected 3 class names in the file's class_names.json for an output (None, 3)"),
    (("a", "b"), "Expected 3 class names, one per output. Received: 2 names"),
    (("a", "b", "c", "d"), "Expected 3 class names, one per output. Received: 4 names"),
    (("a", "b", "y" * 31), "1 to 30 characters once trimmed. Received: '" + "y" * 31 + "' (31 characters)"),
    (("a", "b", "   "), "Received: '' (0 characters)"),
    (("Cat", "dog", "cat "), "Expected different class names. Received: 'Cat' and 'cat'"),
    (("a", "b", "line\nbreak"), "without control characters"),
])
def test_the_contract_refuses_missing_miscounted_and_badly_named_classes(names, detail):
    model = dense_model(3)
    if names is not None:
        model_classes.remember(model, names)
    assert detail in contract_problem(model)


def with_member(source: Path, path: Path, data: bytes) -> Path:
    """`source`'s members with class_names.json replaced by `data` (a student's hand-edited file)."""
    contents = {**members(source), model_classes.MEMBER: data}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return path


def test_a_brought_file_with_names_that_do_not_fit_is_refused(tmp_path):
    good = model_files.export_model(network_for(THREE), tmp_path, "good.keras")
    cases = {
        "two names": json.dumps({"class_names": ["a", "b"]}).encode(),
        "twice": json.dumps({"class_names": ["a", "b", "A"]}).encode(),
        "not a list": json.dumps({"class_names": "a,b,c"}).encode(),
        "not json": b"\xff\xfe not json",
        "a page": json.dumps({"class_names": ["a"] * 1000}).encode(),
    }
    for case, data in cases.items():
        with pytest.raises(ModelFileError) as raised:
            model_files.import_model(with_member(good, tmp_path / "edited.keras", data))
        assert raised.value.key == "error_model_contract", case
        assert raised.value.detail.startswith("Expected"), (case, raised.value.detail)
    renamed = with_member(good, tmp_path / "renamed.keras", json.dumps({"class_names": ["x", "y", "z"]}).encode())
    assert serving.class_names(model_files.import_model(renamed)) == ("x", "y", "z")


# --- datasets of 2 to 10 classes, and what is not one -----------------------------------------------

@pytest.mark.parametrize("names", [TWO, THREE, TEN], ids=len)
def test_a_folder_of_two_to_ten_classes_is_indexed_with_its_names(tmp_path, names):
    folder = write_classes(tmp_path / "photos", names, per_class=2)
    index = photo_index.index_photos(folder)
    assert index.class_names == names and np.bincount(index.labels).tolist() == [2] * len(names)


@pytest.mark.parametrize("count", [1, 11])
def test_a_folder_of_one_class_or_eleven_is_refused_with_a_clear_key(tmp_path, count):
    folder = write_classes(tmp_path / "photos", [f"c{index:02d}" for index in range(count)], per_class=1)
    with pytest.raises(DatasetError) as raised:
        photo_index.index_photos(folder)
    assert raised.value.key == "error_class_count"
    assert raised.value.detail.startswith(f"Expected 2 to 10 classes. Received: {count} (c00")
    # A training run says so as a failed run, never an exception, and trains nothing.
    state = TrainingRun(dataclasses.replace(recipes.PRESETS["live"], image_size=32, epochs=1), data_dir=folder).run()
    assert (state.phase, state.error_key, state.model) == ("failed", "error_class_count", None)


def test_folder_names_that_no_class_can_have_are_refused(tmp_path):
    for case, names in {"too long": ("a", "b" * 31), "alike": ("Rosa", "rosa")}.items():
        folder = write_classes(tmp_path / case, names, per_class=1)
        with pytest.raises(DatasetError) as raised:
            photo_index.index_photos(folder)
        assert raised.value.key == "error_class_names", case


def test_a_decomposed_folder_name_is_the_composed_class_name(tmp_path):
    folder = write_classes(tmp_path / "photos", ("cafe\u0301", "te"), per_class=1)  # as macOS writes "café"
    assert photo_index.index_photos(folder).class_names == ("café", "te")


@pytest.mark.slow
def test_training_on_three_classes_records_their_names_on_the_model(tmp_path):
    folder = write_classes(tmp_path / "photos", THREE, per_class=8)
    run_config = recipes.with_overrides(recipes.PRESETS["live"], epochs=1, image_size=32, batch_size=8)
    state = TrainingRun(run_config, data_dir=folder).run()
    assert state.phase == "finished", (state.error_key, state.error_detail)
    assert state.class_names == THREE
    assert state.model.output_shape == (None, 3) and serving.class_names(state.model) == THREE
    path = tmp_path / "three.keras"
    serving.save_model(state.model, path)
    assert serving.class_names(serving.load_model(path)) == THREE


def test_photos_held_in_memory_are_checked_as_a_folder_is():
    """A session's own photos reach training decoded, without a folder: the same limits apply."""
    photos = photo_cache.DecodedPhotos(images=np.zeros((2, 32, 32, 3), np.uint8), labels=np.zeros(2, np.int32),
                                       file_positions=np.arange(2), file_count=2, skipped=(), class_names=("only",))
    state = TrainingRun(dataclasses.replace(recipes.PRESETS["live"], image_size=32, epochs=1), photos=photos).run()
    assert (state.phase, state.error_key) == ("failed", "error_class_count")


# --- evaluation, its figure, and looking inside -----------------------------------------------------

@pytest.mark.parametrize("names", [TWO, THREE, TEN], ids=len)
def test_evaluation_counts_a_k_by_k_matrix_in_the_models_names(tmp_path, names):
    folder = write_classes(tmp_path / "photos", names, per_class=4)
    network = network_for(names)
    result = evaluation.evaluate_folder(network, folder, "all", batch_size=7)
    count = len(names)
    assert result.confusion.shape == (count, count) and result.class_names == names
    assert result.confusion.sum() == 4 * count and (result.confusion.sum(axis=1) == 4).all()
    expected = np.zeros((count, count), int)
    photos = photo_cache.load_photos(folder, 32)
    for label, scores in zip(photos.labels, serving.batch_probabilities(network, photos.images)):
        expected[label, np.argmax(scores)] += 1
    assert result.confusion.tolist() == expected.tolist()
    assert set(result.to_json()["per_class_accuracy"]) == set(names)
    # The same photos held in memory (a session's own): the same report, each photo known by its row.
    in_memory = evaluation.evaluate_photos(network, photos, "all", batch_size=5)
    assert in_memory.confusion.tolist() == expected.tolist() and in_memory.rows.tolist() == list(range(4 * count))


def test_evaluation_refuses_photos_of_other_classes_than_the_models(tmp_path):
    network = network_for(THREE)
    for case, names in {"other names": ("bottle", "cup", "plant"), "fewer": ("bottle", "mug")}.items():
        folder = write_classes(tmp_path / case, names, per_class=2)
        with pytest.raises(evaluation.EvaluationError) as raised:
            evaluation.evaluate_folder(network, folder)
        assert raised.value.key == "error_evaluation_classes", case
        assert raised.value.detail.startswith("Expected the model's 3 classes (bottle, mug, plant). Received:"), case


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("count", [2, 3, 6, 10])
def test_the_confusion_figure_reads_on_a_phone_for_any_number_of_classes(count, language):
    rng = np.random.default_rng(count)
    matrix = rng.integers(0, 120, (count, count)) + np.diag(rng.integers(200, 999, count))
    # The longest names allowed, in several scripts: cut or listed, never overlapping. (Scripts that
    # matplotlib's DejaVu Sans draws: Chinese would need a CJK font installed on the server.)
    drawn = ("гриб", "Ελιά", "cafe\u0301 ☕", "x" * config.MAX_CLASS_NAME_CHARS)
    names = [f"{drawn[index % len(drawn)]}{index}"[: config.MAX_CLASS_NAME_CHARS] for index in range(count)]
    rows = [f"{name} · {100 * matrix[index, index] / matrix[index].sum():.0f} %" for index, name in enumerate(names)]
    title = "Matriz de confusión · 80,9 % de acierto" if language == "es" else "Confusion matrix · 80.9 % right"
    figure = result_plots.confusion_figure(matrix, rows, names, title, "true", "predicted")
    texts, width, height = drawn_figure(figure)
    assert width == 600
    assert_readable(texts, width, height)
    assert sum(text.text == str(int(value)) for text in texts for value in matrix.ravel()) >= count * count


@pytest.mark.parametrize("count", [3, 10])
def test_a_click_finds_its_cell_in_a_matrix_of_any_size(count):
    picture = result_plots.confusion_picture(10 * np.eye(count, dtype=int), [f"c{i}" for i in range(count)],
                                             [f"c{i}" for i in range(count)], "title", "true", "predicted")
    height, width, _ = picture.shape
    left, top, side = result_plots._matrix_box(count)
    for row in range(count):
        for col in range(count):
            x, y = left + side * (col + 0.2) / count, top + side * (row + 0.2) / count  # off centre: clear of the number
            assert result_plots.cell_at(x, y, count) == (row, col)
            assert (picture[int(y), int(x)].astype(int).sum() < 300) == (row == col)  # the diagonal dark blue
    assert result_plots.cell_at(5, 5, count) is None and result_plots.cell_at(width - 2, height - 2, count) is None


@pytest.mark.parametrize("names", [TWO, THREE, TEN], ids=len)
def test_grad_cam_and_feature_maps_work_for_any_number_of_classes(names):
    network = networks.with_mirror_average(network_for(names))
    photo = class_photo(1, len(names), 0)
    maps = inside.feature_maps(network, photo, per_stage=4)
    assert [stage.layer for stage in maps] == [f"stage{index}_relu" for index in range(1, 5)]
    cam = inside.grad_cam(network, photo)
    assert cam.probabilities.shape == (len(names),)
    np.testing.assert_allclose(cam.probabilities, serving.predict_probabilities(network, photo), atol=1e-4)
    last = inside.grad_cam(network, photo, class_index=len(names) - 1)
    assert last.class_index == len(names) - 1 and 0 <= last.heatmap.min() and last.heatmap.max() <= 1
    with pytest.raises(inside.InspectError):
        inside.grad_cam(network, photo, class_index=len(names))


# --- the command line -----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_command_line_trains_and_evaluates_a_three_class_folder(tmp_path, capsys):
    folder = write_classes(tmp_path / "desk", THREE, per_class=8)
    out = tmp_path / "desk.keras"
    assert cli.main(["train", "--preset", "live", "--data-dir", str(folder), "--epochs", "1", "--image-size", "32",
                     "--batch-size", "8", "--out", str(out)]) == 0
    assert "3 classes: bottle, mug, plant" in capsys.readouterr().err
    assert model_classes.read_from(out) == THREE

    assert cli.main(["evaluate", "--model", str(out), "--data-dir", str(folder)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["class_names"] == list(THREE) and set(report["per_class_accuracy"]) == set(THREE)
    assert np.asarray(report["confusion_matrix"]).shape == (3, 3) and report["photos"] == 24

    other = write_classes(tmp_path / "kitchen", ("bottle", "cup", "plant"), per_class=2)
    assert cli.main(["evaluate", "--model", str(out), "--data-dir", str(other)]) == 1
    error = capsys.readouterr().err
    assert "The photo folders do not match the model's classes" in error and "bottle, mug, plant" in error

    lonely = write_classes(tmp_path / "lonely", ("mug",), per_class=2)
    assert cli.main(["train", "--data-dir", str(lonely), "--epochs", "1", "--image-size", "32",
                     "--out", str(tmp_path / "never.keras")]) == 1
    assert "You need 2 to 10 classes" in capsys.readouterr().err
    assert not (tmp_path / "never.keras").exists()
