"""Issue 5: whatever a student uploads or sends, every endpoint answers clearly and keeps serving.

The corpus (tests/image_corpus.py) goes through every image endpoint of the launched app; out-of-range values are clamped or refused with a translated message; one student's work is
never another's.
"""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from flower_demo import config, recipes
from flower_demo.i18n import translate
from tests import image_corpus
from tests.clients import local_client
from tests.image_corpus import BROKEN, UNUSUAL

ENDPOINTS = ("/convolve", "/augment", "/classify", "/feature_maps", "/filters", "/saliency")


@pytest.fixture(scope="module")
def english(app_url):
    return local_client(app_url, "en")


@pytest.fixture(scope="module")
def spanish(app_url):
    return local_client(app_url, "es")


def call(client, endpoint: str, path):
    """The endpoint with only its image given: every other input takes its default."""
    return client.predict(handle_file(str(path)), api_name=endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_but_valid_pictures_work(english, tmp_path, name, endpoint):
    path = image_corpus.write(tmp_path, name, UNUSUAL)
    result = call(english, endpoint, path)
    if endpoint == "/convolve":
        height, width = UNUSUAL[name][2]
        shown = Image.open(result[0])
        scale = min(1.0, 1024 / max(height, width))  # the Kernels tab works on at most 1024 px a side
        assert shown.size == (max(1, round(width * scale)), max(1, round(height * scale)))  # upright, same shape
    elif endpoint == "/augment":
        assert np.asarray(Image.open(result)).shape == (548, 548, 3)  # nine 180 px RGB pictures
    elif endpoint == "/feature_maps":
        assert "- Stage 5: " in result[1] and Image.open(result[0]).mode == "RGB"
    elif endpoint == "/filters":
        assert result[1].count("\n| #") == 32 and Image.open(result[2]).size == Image.open(result[3]).size
    elif endpoint == "/saliency":
        height, width = UNUSUAL[name][2]
        scale = min(1.0, 1024 / max(height, width))  # drawn over the photo as the Kernels tab shows it
        assert Image.open(result[0]).size == (max(1, round(width * scale)), max(1, round(height * scale)))
    else:
        label, _ = result
        assert sum(item["confidence"] for item in label["confidences"]) == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_get_a_translated_message(english, spanish, tmp_path, name, endpoint):
    path = image_corpus.write(tmp_path, name, BROKEN)
    key = BROKEN[name][2]
    for client, lang in ((english, "en"), (spanish, "es")):
        with pytest.raises(Exception) as raised:
            call(client, endpoint, path)
        assert translate(key, lang) in str(raised.value)
    assert len(call(english, "/classify", image_corpus.write(tmp_path, "rgba", UNUSUAL))[0]["confidences"]) == 5


def test_an_upload_over_the_size_limit_is_refused_before_reaching_us(english, spanish, app_url, tmp_path):
    """Gradio's own limit is the largest file anyone may send, a zip of class folders (100 MB); a photo
    over 10 MB gets past it and is refused by images.load_image, in the student's language."""
    import httpx

    header = image_corpus.encode(Image.new("RGB", (8, 8)), "PNG")
    path = tmp_path / "huge.png"
    limit = max(config.MAX_MODEL_BYTES, config.OWN_ZIP_MAX_BYTES)
    path.write_bytes(header + b"\0" * (limit + 1024))
    with pytest.raises(Exception, match=f"exceeds the maximum file size of {limit}"):
        call(english, "/classify", path)  # gradio_client reads the limit from the app and refuses itself
    with path.open("rb") as file:  # a client that ignores the limit: the server refuses the upload
        response = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("huge.png", file, "image/png")},
                              timeout=60)
    assert response.status_code == 413
    large = tmp_path / "large.png"
    large.write_bytes(header + b"\0" * (config.MAX_UPLOAD_BYTES + 1024))
    with pytest.raises(Exception, match="demasiado grande"):
        call(spanish, "/classify", large)
    assert len(call(english, "/classify", image_corpus.write(tmp_path, "greyscale", UNUSUAL))[0]["confidences"]) == 5


def test_a_large_photo_is_downscaled_for_the_kernels_tab(english, tmp_path):
    path = tmp_path / "large.jpg"
    ramp = np.linspace(0, 255, 4000, dtype=np.float32)
    pixels = np.stack([np.broadcast_to(ramp, (3000, 4000)), np.broadcast_to(ramp[::-1], (3000, 4000)),
                       np.full((3000, 4000), 90.0)], axis=-1)
    Image.fromarray(pixels.astype(np.uint8)).save(path, quality=80)  # 12 megapixels, a small file
    picture, notes, *_ = call(english, "/convolve", path)
    assert Image.open(picture).size == (1024, 768)
    assert "4000" in notes and "3000" in notes  # the note says it was reduced, and from what


@pytest.mark.parametrize("cells", [
    [["", 0, 0], [0, 1, 0], [0, 0, 0]],
    [["abc", 0, 0], [0, 1, 0], [0, 0, 0]],
    [["nan", 0, 0], [0, 1, 0], [0, 0, 0]],
    [["inf", 0, 0], [0, 1, 0], [0, 0, 0]],
    [[1e30, 0, 0], [0, 1, 0], [0, 0, 0]],
])
def test_bad_custom_kernel_cells_are_refused(english, tmp_path, cells):
    path = image_corpus.write(tmp_path, "rgba", UNUSUAL)
    grid = {"headers": ["0", "1", "2"], "data": cells}
    with pytest.raises(Exception, match="finite number"):
        english.predict(handle_file(str(path)), "custom", "color", 1, "same", grid, api_name="/convolve")


@pytest.mark.parametrize("rows", [[[1]], [[1, 2], [3, 4]], [[0] * 7] * 7, [[0] * 101] * 101])
def test_custom_kernels_of_absurd_sizes_are_refused(spanish, tmp_path, rows):
    path = image_corpus.write(tmp_path, "rgba", UNUSUAL)
    grid = {"headers": [str(i) for i in range(len(rows[0]))], "data": rows}
    with pytest.raises(Exception, match="3×3 o 5×5"):
        spanish.predict(handle_file(str(path)), "custom", "color", 1, "same", grid, api_name="/convolve")


def test_out_of_range_numbers_are_clamped(english, tmp_path):
    path = image_corpus.write(tmp_path, "rgba", UNUSUAL)  # 32 x 24
    picture, _ = english.predict(handle_file(str(path)), "blur", "color", 99, "same", api_name="/convolve")
    assert Image.open(picture).size == (8, 6)  # stride clamped to 4
    english.predict(handle_file(str(path)), "blur", "color", 1, "same", None, -50, 10**9, api_name="/explain")
    grid = english.predict(handle_file(str(path)), True, 50.0, -3.0, None, "seven", api_name="/augment")
    assert Image.open(grid).size == (548, 548)  # rotation clamped to half a turn, zoom to 0, contrast and seed to defaults
    with pytest.raises(Exception, match="Invalid setting: kernel 'no-such-kernel'"):
        english.predict(handle_file(str(path)), "no-such-kernel", api_name="/convolve")


@pytest.mark.parametrize("choices", [("sepia", 1, "same"), ("grey", 1, "full")])  # mode, stride, padding
def test_unknown_choices_get_a_translated_refusal(spanish, tmp_path, choices):
    path = image_corpus.write(tmp_path, "rgba", UNUSUAL)
    with pytest.raises(Exception, match="Ajuste no válido"):
        spanish.predict(handle_file(str(path)), "edge", *choices, api_name="/convolve")
    with pytest.raises(Exception, match="Preset desconocido"):
        spanish.predict("no-such-preset", api_name="/train")


def test_training_settings_are_clamped_on_the_server(english):
    job = english.submit("live", 10**9, 0, 10**5, "fast", 7.0, "gpu", api_name="/train")
    for _ in range(600):  # until training starts (at most 30 s), then stop it
        outputs = job.outputs()
        if job.done() or (outputs and outputs[-1][0].startswith("Epoch")):
            break
        time.sleep(0.05)
    english.predict(api_name="/stop")
    job.result()
    statuses = [output[0] for output in job.outputs()]
    assert any("of 30" in status for status in statuses)  # epochs clamped to the server's 30
    summary = job.outputs()[-1][3]
    assert "224, 224, 3" in summary  # image size clamped to 224


def test_one_students_model_is_never_anothers(app_url, tmp_path):
    path = image_corpus.write(tmp_path, "rgba", UNUSUAL)
    trainer = local_client(app_url, "en")
    other = local_client(app_url, "en")
    status, *_ = trainer.predict("live", 1, 8, 32, api_name="/train")
    assert status.startswith("Done")
    _, mine = trainer.predict(handle_file(str(path)), api_name="/classify")
    _, theirs = other.predict(handle_file(str(path)), api_name="/classify")
    assert "Model: your run **#1 live**" in mine
    assert "shipped" in theirs and "your run" not in theirs
    other.predict(api_name="/stop")  # another student's Stop with nothing running: harmless, touches no one


@pytest.mark.parametrize("path", ["/etc/passwd", "app.py", "flower_demo/config.py"])
def test_no_file_outside_gradio_uploads_is_served(app_url, path):
    import urllib.error
    import urllib.request

    from tests.fake_flowers import PROJECT_ROOT

    target = path if path.startswith("/") else str(PROJECT_ROOT / path)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app_url}gradio_api/file={target}", timeout=10)
    assert refused.value.code in (403, 404)


def test_the_monitoring_dashboard_is_off(app_url):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{app_url}gradio_api/monitoring", timeout=10)


def test_an_output_picture_file_is_never_rewritten_while_it_may_be_read(monkeypatch, tmp_path):
    """Two students with the same picture share one file: the second answer must not truncate it."""
    from flower_demo.tabs import components

    written = []
    write_bytes = Path.write_bytes

    def watched(path, data):
        written.append(path)
        return write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", watched)
    output = components.PictureOutput(format="png", render=False)
    output.GRADIO_CACHE = str(tmp_path)  # empty: an earlier test run may have left this very picture
    picture = np.random.RandomState(0).randint(0, 255, (300, 400, 3), np.uint8)
    first = output.postprocess(picture)
    assert len(written) == 1 and written[0] != Path(first.path)  # written under another name, then renamed
    second = output.postprocess(picture)
    assert second.path == first.path and len(written) == 1  # gr.Image rewrites the file in place here
    np.testing.assert_array_equal(np.asarray(Image.open(first.path)), picture)
    assert not [p for p in Path(first.path).parent.iterdir() if p.name.endswith(".partial")]


def test_students_asking_for_the_same_picture_at_once_all_get_it_whole(app_url, tmp_path):
    path = tmp_path / "noise.png"
    Image.fromarray(np.random.RandomState(1).randint(0, 255, (300, 400, 3), np.uint8)).save(path)
    clients = [local_client(app_url, "en") for _ in range(6)]

    def convolve(client):
        return [np.asarray(Image.open(client.predict(handle_file(str(path)), "edge", api_name="/convolve")[0]))
                for _ in range(3)]

    with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
        answers = [picture for pictures in pool.map(convolve, clients) for picture in pictures]
    assert all(np.array_equal(answer, answers[0]) for answer in answers)


def test_the_shipped_recipe_validates_when_a_class_trains_it_live():
    """flower_cnn's final fit has no validation photos; its live runs must still draw validation curves."""
    from flower_demo import config
    from flower_demo.tabs import training as tab

    epochs, *_, split = tab.load_preset("flower_cnn")
    assert (epochs, split) == (recipes.LIVE_EPOCH_CAP["flower_cnn"], config.VALIDATION_SPLIT)
