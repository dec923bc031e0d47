"""Your photos through gradio_client against the launched app: two students, each with their own
classes, photos and model, and nothing of theirs left on disk once read (issue 36)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageDraw

from flower_demo import config
from tests.clients import local_client

SHAPES = {"círculo": "ellipse", "cuadrado": "rectangle", "barra": "bar"}  # each class a shape of its own


def shape_photo(shape: str, index: int, size=(96, 72)) -> np.ndarray:
    """A light background (its shade varies) with one dark shape, moved a little photo by photo."""
    rng = np.random.default_rng(index + 100 * len(shape))
    picture = Image.new("RGB", size, tuple(int(v) for v in rng.integers(170, 255, 3)))
    draw = ImageDraw.Draw(picture)
    x, y = 20 + index % 5 * 4, 12 + index % 3 * 4
    if shape == "ellipse":
        draw.ellipse((x, y, x + 40, y + 40), fill=(30, 30, 160))
    elif shape == "rectangle":
        draw.rectangle((x, y, x + 40, y + 40), fill=(160, 30, 30))
    else:
        draw.rectangle((x, y + 15, x + 50, y + 25), fill=(30, 140, 30))
    return np.asarray(picture)


def write_photos(folder: Path, shape: str, count: int, start: int = 0) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(start, start + count):
        path = folder / f"{shape}-{index}.png"
        Image.fromarray(shape_photo(shape, index)).save(path)
        paths.append(str(path))
    return paths


def uploads_of(root: str, names) -> list[str]:
    """Files under Gradio's upload folder whose names are one of `names`."""
    names = set(names)
    return [os.path.join(folder, name) for folder, _, files in os.walk(root) for name in files if name in names]


def test_two_students_each_train_on_their_own_photos_and_none_is_left_on_disk(app_url, tmp_path):
    student_a, student_b = local_client(app_url, "es"), local_client(app_url, "es")
    sent = []
    for name, shape in SHAPES.items():
        paths = write_photos(tmp_path / "a", shape, 20)
        sent += [Path(path).name for path in paths]
        summary, data = student_a.predict(name, [handle_file(path) for path in paths], api_name="/own_add")
        assert f"Añadidas 20 fotos: **{name}** +20." in summary
    assert [entry["name"] for entry in data["classes"]] == list(SHAPES) and data["photos"] == 60

    from gradio.utils import get_upload_folder

    from flower_demo.server import uploads

    assert len(uploads_of(get_upload_folder(), sent)) == 60 and uploads.UPLOADS.pending() >= 60  # kept a while
    later = uploads.UPLOADS._clock
    uploads.UPLOADS._clock = lambda: later() + config.OWN_UPLOAD_GRACE_S  # the grace over (the app is in here)
    try:
        uploads.UPLOADS.run_due()
    finally:
        uploads.UPLOADS._clock = later
    assert uploads_of(get_upload_folder(), sent) == []  # each file deleted once the grace is over

    status, *_ = student_a.predict("small", 12, 16, 48, 0.003, 0.2, "cpu", "own", api_name="/train")
    assert status.startswith("Listo")
    new_photo = tmp_path / "new-circle.png"
    Image.fromarray(shape_photo("ellipse", 99)).save(new_photo)
    scores, sentence = student_a.predict(handle_file(str(new_photo)), api_name="/classify")
    assert {item["label"] for item in scores["confidences"]} == set(SHAPES)  # A's names, never translated
    assert scores["label"] == "círculo", sentence

    # B sees none of A's classes, nor A's model.
    _, theirs = student_b.predict(api_name="/own_clear")
    assert theirs["classes"] == []
    scores, _ = student_b.predict(handle_file(str(new_photo)), api_name="/classify")
    assert "círculo" not in {item["label"] for item in scores["confidences"]}
    with pytest.raises(AppError, match="al menos 2 clases"):
        student_b.predict("small", 2, 16, 48, 0.003, 0.2, "cpu", "own", api_name="/train")

    saved, notes = student_a.predict("own", api_name="/export")
    assert Path(saved).name == "own-small-run1.keras" and "--data-dir your_photos" in notes
    with zipfile.ZipFile(saved) as archive:  # the exported model holds names and weights, no photo
        assert not [name for name in archive.namelist() if name.lower().endswith((".png", ".jpg", ".jpeg"))]
    picture, summary, numbers = student_a.predict("own", api_name="/evaluate")
    assert numbers["class_names"] == list(SHAPES) and len(numbers["confusion_matrix"]) == 3
    assert sum(map(sum, numbers["confusion_matrix"])) == numbers["photos"] == 12  # a fifth of 60 held out
    gallery, listing = student_a.predict("any", "any", "own", api_name="/mistakes")
    served = list(Path(get_upload_folder()).glob("own-*/*.png"))  # the mistakes shown: the session's own files
    assert len(served) == len(gallery)
    assert "Ojo: tenías" not in summary  # the photos it split are still the ones there
    student_a.predict("barra", [handle_file(write_photos(tmp_path / "more", "bar", 1, start=50)[0])],
                      api_name="/own_add")
    _, summary, _ = student_a.predict("own", api_name="/evaluate")
    assert "Ojo: tenías 60 fotos al entrenarlo y ahora tienes 61" in summary  # another split: said
    cleared, data = student_a.predict(api_name="/own_clear")
    assert data["photos"] == 0 and not any(path.exists() for path in served)


def test_a_zip_of_class_folders_is_added_and_bad_input_is_refused_with_nothing_stored(app_url, tmp_path):
    student = local_client(app_url, "en")
    good = tmp_path / "plants.zip"
    with zipfile.ZipFile(good, "w") as archive:
        for name, shape in (("mint", "ellipse"), ("sage", "rectangle")):
            for path in write_photos(tmp_path / name, shape, 4):
                archive.write(path, f"plants/{name}/{Path(path).name}")
        archive.writestr("plants/notes.txt", "not a photo")
    summary, data = student.predict("", [handle_file(str(good))], api_name="/own_add")
    assert [entry["photos"] for entry in data["classes"]] == [4, 4] and "Added 8 photos" in summary
    assert "mint" in summary and "has 4 photos" in summary  # the few-photos warning

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("mint/../../escape.png", Path(write_photos(tmp_path / "x", "bar", 1)[0]).read_bytes())
    with pytest.raises(AppError, match="leads outside it"):
        student.predict("", [handle_file(str(evil))], api_name="/own_add")
    with pytest.raises(AppError, match="1 to 30 characters"):
        student.predict("x" * 500, [handle_file(write_photos(tmp_path / "y", "bar", 1)[0])], api_name="/own_add")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    summary, data = student.predict("mint", [handle_file(str(text))], api_name="/own_add")
    assert summary.startswith("No photo was added.\n\n1 file was not added (not photos: 1).")
    assert data["photos"] == 8  # nothing stored
    with pytest.raises(AppError, match="Choose photos"):
        student.predict("mint", [], api_name="/own_add")


def test_students_who_send_the_same_files_at_once_each_keep_them_all(app_url, tmp_path):
    """Gradio keeps identical uploads at one path: one student's reading must not delete another's."""
    from concurrent.futures import ThreadPoolExecutor

    paths = write_photos(tmp_path / "shared", "ellipse", 6)  # a teacher's photos, the same bytes for all
    students = [local_client(app_url, "en") for _ in range(4)]

    def add(student) -> int:
        total = 0
        for _ in range(3):
            _, data = student.predict("mug", [handle_file(path) for path in paths], api_name="/own_add")
            total = data["photos"]
        return total

    with ThreadPoolExecutor(len(students)) as pool:
        assert list(pool.map(add, students)) == [18] * len(students)
    for student in students:
        student.predict(api_name="/own_clear")
