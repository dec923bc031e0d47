"""Every named endpoint through gradio_client against the launched app (offline, synthetic data)."""

from __future__ import annotations


import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from tests.clients import local_client
from tests.fake_flowers import synthetic_photo
from flower_demo.look import kernels, plots
from flower_demo.i18n import translate


@pytest.fixture()
def english(app_url):
    return local_client(app_url, "en-GB,en;q=0.9")


@pytest.fixture()
def spanish(app_url):
    return local_client(app_url, "es-ES")


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("photo") / "rose.png"
    Image.fromarray(synthetic_photo("roses", 1, size=(60, 45))).save(path)
    return str(path)


def test_named_endpoints_are_stable(english):
    names = set(english.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/convolve", "/explain", "/dataset", "/augment", "/train", "/stop", "/classify", "/feature_maps", "/filters",
            "/saliency"} <= names


def test_every_endpoint_needs_at_most_its_first_input(english):
    endpoints = english.view_api(print_info=False, return_format="dict")["named_endpoints"]
    required = {name: [parameter["parameter_name"] for parameter in endpoint["parameters"][1:]
                       if not parameter["parameter_has_default"]] for name, endpoint in endpoints.items()}
    assert {name: names for name, names in required.items() if names} == {}
    assert [parameter["parameter_name"] for parameter in endpoints["/augment"]["parameters"]][-2:] == [
        "cutmix", "second_image"]  # added last: older calls by position still mean what they meant


def test_convolve_blur_matches_numpy_reference(english, photo):
    image_path, notes = english.predict(handle_file(photo), "blur", api_name="/convolve")
    result = np.asarray(Image.open(image_path).convert("RGB"), np.float64)
    source = np.pad(np.asarray(Image.open(photo), np.float64), ((1, 1), (1, 1), (0, 0)))
    expected = sum(source[i : i + 45, j : j + 60] for i in range(3) for j in range(3)) / 9
    np.testing.assert_array_equal(result, np.clip(np.round(expected), 0, 255))
    assert "clipped" in notes


def test_explain_draws_the_kernel_and_one_pixel(english, photo):
    kernel_plot, step_plot = english.predict(handle_file(photo), "sobel_x", "grey", 1, "same", None, 10, 20,
                                             api_name="/explain")  # a null grid is fine for a preset kernel
    assert kernel_plot["type"] == "matplotlib" and step_plot["type"] == "matplotlib"
    with pytest.raises(Exception, match="3×3 or 5×5"):
        english.predict(handle_file(photo), "custom", "color", 1, "same", _grid([[1]]), api_name="/explain")
    with pytest.raises(Exception, match="3×3 or 5×5"):
        english.predict(handle_file(photo), "custom", "color", 1, "same", None, api_name="/explain")


def _grid(rows):
    """A gr.Dataframe value as an API client sends it."""
    return {"headers": [str(i) for i in range(len(rows[0]))], "data": rows}


def test_convolve_custom_kernel_and_refusals(english, spanish, photo):
    image_path, _ = english.predict(handle_file(photo), "custom", "grey", 2, "valid",
                                    _grid([[0, 0, 0], [0, 1, 0], [0, 0, 0]]), api_name="/convolve")
    assert Image.open(image_path).size == (29, 22)  # valid padding, stride 2: (60-3)//2+1, (45-3)//2+1
    with pytest.raises(Exception, match="finite number"):
        english.predict(handle_file(photo), "custom", "color", 1, "same", _grid([[0, "x", 0], [0, 1, 0], [0, 0, 0]]),
                        api_name="/convolve")
    with pytest.raises(Exception, match="3×3 o 5×5"):
        spanish.predict(handle_file(photo), "custom", "color", 1, "same", _grid([[1, 2], [3, 4]]), api_name="/convolve")


def test_augment_is_deterministic_for_a_seed(english, photo):
    first = english.predict(handle_file(photo), True, 0.2, 0.2, 0.1, 7, api_name="/augment")
    second = english.predict(handle_file(photo), True, 0.2, 0.2, 0.1, 7, api_name="/augment")
    other = english.predict(handle_file(photo), True, 0.2, 0.2, 0.1, 8, api_name="/augment")
    grid = np.asarray(Image.open(first))
    assert grid.shape == (3 * 180 + 2 * 4, 3 * 180 + 2 * 4, 3)  # nine 180 px pictures, 4 px apart
    np.testing.assert_array_equal(grid, np.asarray(Image.open(second)))
    assert not np.array_equal(grid, np.asarray(Image.open(other)))


def test_augment_previews_cut_mix_with_a_second_photo(english, photo, tmp_path):
    blue = tmp_path / "blue.png"
    Image.fromarray(np.full((60, 80, 3), (0, 0, 230), np.uint8)).save(blue)
    plain = np.asarray(Image.open(english.predict(handle_file(photo), False, 0, 0, 0, 3, api_name="/augment")))
    mixed = np.asarray(Image.open(english.predict(handle_file(photo), False, 0, 0, 0, 3, 1.0, handle_file(str(blue)),
                                                  api_name="/augment")))
    assert mixed.shape == plain.shape
    changed = np.abs(mixed.astype(int) - plain).max(axis=2) > 40
    assert changed.mean() > 0.05  # boxes of the second photo (and their labels) where the photo was
    deep_blue = (mixed[..., 2] > 180) & (mixed[..., 0] < 60)
    assert deep_blue[changed].mean() > 0.5  # mostly the second photo's blue (the rest: the labels' text)
    present = english.predict(handle_file(photo), False, 0, 0, 0, 3, 1.0, api_name="/augment")  # no second photo
    assert not np.array_equal(np.asarray(Image.open(present)), plain)


def test_dataset_describes_the_folder(english):
    summary, _, _, shapes, normalised = english.predict(api_name="/dataset")
    assert "**40** photos in 5 classes" in summary and "1 unreadable file" in summary
    assert "`image_batch.shape` = (32, 180, 180, 3)" in shapes and "`labels_batch.shape` = (32,)" in shapes
    assert "After dividing by 255" in normalised


def test_classify_uses_the_shipped_model_then_the_students_own(english, photo):
    label, sentence = english.predict(handle_file(photo), api_name="/classify")
    scores = {item["label"]: item["confidence"] for item in label["confidences"]}
    assert set(scores) == {"daisies", "dandelions", "roses", "sunflowers", "tulips"}
    assert sum(scores.values()) == pytest.approx(1, abs=1e-4)
    assert "Most likely:" in sentence and "shipped" in sentence

    job = english.submit("live", 2, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    job.result()
    statuses = [output[0] for output in job.outputs()]
    assert statuses[-1].startswith("Done: 2 epochs")
    accuracy_frame, summary = job.outputs()[-1][1], job.outputs()[-1][3]
    assert {"training", "validation"} <= {row[2] for row in accuracy_frame["data"] if row[1] is not None}
    assert "- `rescaling` (Rescaling) → (batch, 32, 32, 3) · 0 parameters" in summary
    assert "Parameters in all: **98,805**" in summary
    _, sentence = english.predict(handle_file(photo), api_name="/classify")
    assert "Model: your run **#1 live** (validation accuracy " in sentence and sentence.endswith("%).")

    spanish_label, _ = local_client(english.src, "es").predict(
        handle_file(photo), api_name="/classify")
    assert "rosas" in {item["label"] for item in spanish_label["confidences"]}


def test_a_student_picks_among_their_kept_runs_and_never_another_students(english, photo):
    from gradio_client.exceptions import AppError

    for epochs in (1, 2):
        status, *_ = english.predict("live", epochs, 8, 32, api_name="/train")
        assert status.startswith("Done")
    _, latest = english.predict(handle_file(photo), api_name="/classify")
    _, first = english.predict(handle_file(photo), "", "run1", api_name="/classify")
    assert "Model: your run **#2 live**" in latest and "Model: your run **#1 live**" in first
    saved, _ = english.predict("run1", api_name="/export")
    assert saved.endswith("flower-live-run1.keras")
    with pytest.raises(AppError, match="That model \\(run7\\) is no longer kept"):
        english.predict(handle_file(photo), "", "run7", api_name="/classify")
    with pytest.raises(AppError, match="no longer kept"):  # another student's run #1 is not theirs to use
        local_client(english.src, "en").predict(handle_file(photo), "", "run1", api_name="/classify")
    with pytest.raises(AppError, match="Ese modelo \\(run1\\) ya no está guardado"):
        local_client(english.src, "es").predict(handle_file(photo), "run1", api_name="/feature_maps")


def _wait_for(job, text: str, timeout: float = 60) -> str:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for output in job.outputs():
            if isinstance(output[0], str) and text in output[0]:
                return output[0]
        time.sleep(0.1)
    raise AssertionError(f"never saw {text!r} in {[o[0] for o in job.outputs()]}")


def test_a_waiting_student_sees_the_queue_and_can_leave_it(app_url):
    first, second = local_client(app_url, "en"), local_client(app_url, "es")
    running = first.submit("live", 30, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    _wait_for(running, "Epoch 1 of 30")
    waiting = second.submit("live", 1, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    status = _wait_for(waiting, "En la cola: hay 1 entrenamiento antes que el tuyo; empezará en unos ")
    assert "Detener" in status
    second.predict(api_name="/stop")  # Stop while waiting: out of the line, nothing trained
    waiting.result()
    assert waiting.outputs()[-1][0] == "Saliste de la cola: no se entrenó nada."
    assert not running.done()
    first.predict(api_name="/stop")
    running.result()
    assert running.outputs()[-1][0].startswith("Stopped ")
    from flower_demo.train import turns

    assert len(turns.LINE) == 0


def test_bad_uploads_get_a_clear_message_and_the_server_keeps_serving(english, spanish, tmp_path, photo):
    fake = tmp_path / "page.png"
    fake.write_text("<html><body>not a picture</body></html>")
    with pytest.raises(Exception, match="not an image we can read"):
        english.predict(handle_file(str(fake)), api_name="/classify")
    with pytest.raises(Exception, match="no es una imagen"):
        spanish.predict(handle_file(str(fake)), "edge", api_name="/convolve")
    label, _ = english.predict(handle_file(photo), api_name="/classify")
    assert len(label["confidences"]) == 5


def test_stop_without_a_run_is_harmless(english, photo):
    from flower_demo.train import turns
    from flower_demo.tabs import training as training_tab

    assert english.predict(api_name="/stop") == ()  # an endpoint without outputs, and no error
    assert not len(training_tab.RUNS) and len(turns.LINE) == 0  # nothing started, nobody in line
    label, _ = english.predict(handle_file(photo), api_name="/classify")  # the server still answers
    assert len(label["confidences"]) == 5


def test_the_queue_keeps_no_per_click_analytics():
    """app.py's settings reach Gradio's queue (a renamed variable in a Gradio upgrade would fail here)."""
    import app

    queue = app.build_demo()._queue
    assert queue.ANALYTICS_MAX_EVENTS == 1
    assert queue.ANAYLTICS_CACHE_FREQUENCY >= 2**31  # sic: Gradio's spelling


def test_inside_the_network_shows_the_shipped_model_then_the_students_own(english, spanish, photo):
    sheet, notes = english.predict(handle_file(photo), api_name="/feature_maps")
    assert Image.open(sheet).mode == "RGB"
    assert "not trained a model in this session yet" in notes
    assert notes.count("- Stage ") == 5 and "6 × 6 × 320 · the 12 most active channels" in notes
    sheet, listing, learned, handmade, filter_notes = english.predict(handle_file(photo), "shipped", 3,
                                                                      api_name="/filters")
    width, height = plots.FILTER_CELL
    assert Image.open(sheet).size == (plots.FILTER_COLUMNS * width, 8 * height)  # 32 filters, 4 a row
    assert listing.count("\n| #") == 32
    row = next(line for line in listing.splitlines() if line.startswith("| #3 |"))
    nearest = row.split("|")[2].strip()  # whichever hand-made kernel filter #3 is most like
    assert any(translate(f"kernel_{name}", "en").startswith(nearest) for name in kernels.KERNELS)
    assert Image.open(learned).size == Image.open(handmade).size == (60, 45)
    assert filter_notes.startswith("Filter **#3** of `stem_conv` is most like") and nearest in filter_notes
    overlay, saliency_notes = english.predict(handle_file(photo), "shipped", "tulips", 0.6, api_name="/saliency")
    assert Image.open(overlay).size == (60, 45)
    assert "evidence for **tulips**" in saliency_notes and "mirror image" in saliency_notes

    job = english.submit("live", 1, 8, 32, 0.003, 0.2, "cpu", api_name="/train")
    job.result()
    _, notes = english.predict(handle_file(photo), "own", 6, api_name="/feature_maps")
    assert "not trained" not in notes and notes.count("- Stage ") == 4
    assert "4 × 4 × 128 · the 6 most active channels" in notes  # the compact network trained at 32 px
    _, _, _, _, filter_notes = english.predict(handle_file(photo), "own", 99, api_name="/filters")
    assert filter_notes.startswith("Filter **#15**")  # clamped to the 16 filters of its first layer
    _, saliency_notes = english.predict(handle_file(photo), api_name="/saliency")
    assert "mirror image" not in saliency_notes
    _, spanish_notes = spanish.predict(handle_file(photo), "own", api_name="/feature_maps")
    assert "Etapa 1" in spanish_notes and "Aún no has entrenado" in spanish_notes  # another student's session


def test_inside_the_network_refuses_bad_input_in_the_students_language(english, spanish, photo, tmp_path):
    with pytest.raises(Exception, match="Invalid setting: model 'theirs'"):
        english.predict(handle_file(photo), "theirs", api_name="/feature_maps")
    with pytest.raises(Exception, match="Ajuste no válido: clase 'orchids'"):
        spanish.predict(handle_file(photo), "shipped", "orchids", api_name="/saliency")
    fake = tmp_path / "page.png"
    fake.write_text("<html>not a picture</html>")
    with pytest.raises(Exception, match="no es una imagen"):
        spanish.predict(handle_file(str(fake)), api_name="/filters")
    _, notes = english.predict(handle_file(photo), "shipped", None, api_name="/feature_maps")  # null: the default
    assert notes.count("- Stage ") == 5
