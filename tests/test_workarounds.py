"""flower_demo.workarounds: each workaround is still needed (the problem it works around is still
there) and still works. A failure after an upgrade says which one to drop or to redo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from flower_demo import workarounds


def _traced_train_step() -> None:
    """Traces and runs one Keras train step, as a TrainingRun's fit does."""
    import keras

    network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    network.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(np.zeros((8, 4), np.float32), np.zeros(8, np.int64), batch_size=8, epochs=1, verbose=0)


def test_tracing_a_train_step_registers_custom_gradients_for_good():
    """TensorFlow 2.21 keeps each traced step's custom gradients forever: the workaround is needed.

    If this fails after an upgrade, TensorFlow no longer leaks (or moved its registry): check the
    memory of a server training run after run, and drop `forgetting_custom_gradients` if it holds.
    """
    assert workarounds.gradient_registry(), "TensorFlow's gradient registry moved: the workaround does nothing"
    before = workarounds.custom_gradients()
    _traced_train_step()
    assert workarounds.custom_gradients() - before


def test_forgetting_custom_gradients_removes_what_the_block_registered():
    _traced_train_step()  # whatever a first trace in the process registers for good
    before = set(workarounds.gradient_registry())
    with workarounds.forgetting_custom_gradients():
        _traced_train_step()
        registered = workarounds.custom_gradients() - before
    assert registered  # there was something to forget...
    assert set(workarounds.gradient_registry()) == before  # ...and it is gone


def test_gradio_still_records_analytics_and_reads_the_settings_that_quiet_it(monkeypatch):
    """Gradio 6.31 keeps 10,000 events for /monitoring unless told otherwise (needed), and its queue
    takes the two settings (works). A failure: Gradio renamed them or stopped recording."""
    import gradio as gr

    for name in workarounds.ANALYTICS_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    assert gr.Blocks().queue()._queue.ANALYTICS_MAX_EVENTS == 10_000
    workarounds.quiet_gradio_analytics()
    queue = gr.Blocks().queue()._queue
    assert queue.ANALYTICS_MAX_EVENTS == 1
    assert queue.ANAYLTICS_CACHE_FREQUENCY == 2**31  # sic: Gradio's spelling


def test_glibc_takes_the_malloc_arena_cap():
    """Where the C library is glibc, mallopt(M_ARENA_MAX) is accepted (works); elsewhere it is skipped."""
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc: nothing to cap")
    assert workarounds.fewer_malloc_arenas()


@pytest.mark.slow
def test_importing_the_core_turns_on_onednn_before_tensorflow():
    """TF_ENABLE_ONEDNN_OPTS set by `import flower_demo` reaches TensorFlow 2.21, which says so when
    its log is on. (Whether TensorFlow would turn it on by itself depends on the CPU, not the version.)"""
    environment = {name: value for name, value in os.environ.items() if name != "TF_ENABLE_ONEDNN_OPTS"}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "0"
    completed = subprocess.run([sys.executable, "-c", "import flower_demo, tensorflow"], env=environment,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "oneDNN custom operations are on" in completed.stderr


# --- Gradio 6.31's components and flower_demo/tabs/components.py ---------------------------------------


def _upload(path) -> "FileData":
    from gradio.data_classes import FileData

    return FileData(path=str(path))


def test_image_and_file_inputs_refuse_uploads_themselves_and_ours_hand_them_on(tmp_path):
    """Stock gr.Image opens an upload with PIL (an untranslated traceback for a renamed web page) and
    gr.File refuses an ending in English; ours hand the path to the handler, which answers translated."""
    import gradio as gr

    from flower_demo.tabs import components

    page = tmp_path / "photo.jpg"
    page.write_text("<html>not a photo</html>")
    with pytest.raises(Exception, match="cannot identify image"):
        gr.Image(type="filepath").preprocess(_upload(page))
    with pytest.raises(gr.Error, match="Invalid file type"):
        gr.File(file_types=[".keras"]).preprocess(_upload(page))
    assert components.PhotoInput(type="filepath").preprocess(_upload(page)) == str(page)
    assert components.ModelFileInput(file_types=[".keras"]).preprocess(_upload(page)) == str(page)


def test_stock_values_out_of_range_or_null_fail_and_ours_are_clamped_or_passed_on():
    import gradio as gr

    from flower_demo.tabs import components

    with pytest.raises(gr.Error, match="greater than maximum"):
        gr.Slider(0, 10).preprocess(50)
    with pytest.raises(TypeError):
        gr.Slider(0, 10).preprocess(None)
    with pytest.raises(gr.Error, match="greater than maximum"):
        gr.Number(minimum=0, maximum=5).preprocess(9)
    with pytest.raises(gr.Error, match="not in the list of choices"):
        gr.Dropdown(["a", "b"]).preprocess("c")
    with pytest.raises(gr.Error, match="not in the list of choices"):
        gr.Radio(["a", "b"]).preprocess("c")
    with pytest.raises(AttributeError):
        gr.Dataframe().preprocess(None)
    assert components.Slider(0, 10).preprocess(50) == 10
    assert components.Slider(0, 10).preprocess(None) is None
    assert components.Number(minimum=0, maximum=5).preprocess(9) == 5
    assert components.Dropdown(["a", "b"]).preprocess("c") == "c"
    assert components.Radio(["a", "b"]).preprocess("c") == "c"
    assert components.KernelGrid().preprocess(None) is None


def test_stock_image_output_rewrites_a_shared_file_in_place_and_ours_never_does():
    """Two students given the same picture share one file named by its hash: stock gr.Image writes it
    again in place (a browser fetching it meanwhile gets a truncated picture); ours leaves it whole."""
    import gradio as gr

    from flower_demo.tabs import components

    picture = np.random.default_rng(0).integers(0, 256, (8, 8, 3), np.uint8)
    for component, rewrites in ((gr.Image(format="png"), True), (components.PictureOutput(format="png"), False)):
        path = Path(component.postprocess(picture).path)
        encoded, inode = path.read_bytes(), path.stat().st_ino
        with open(path, "r+b") as file:  # marks the file, keeping it the same file
            file.write(b"seen")
        assert Path(component.postprocess(picture).path) == path and path.stat().st_ino == inode
        assert (path.read_bytes() == encoded) is rewrites  # written again in place, or left as it was


@pytest.mark.slow
def test_one_session_cannot_hold_more_than_its_share_of_the_queue():
    """Gradio 6.31 has no per-session limit and serves each line first come, first served (a session
    holding many calls filled the shared queue, and a click waited behind all of them). With the
    workaround, a session's third call of one event is refused with our message while two of it wait
    or run, and another session's later call runs before that session's second."""
    import socket
    import threading

    import gradio as gr
    import httpx
    from gradio_client import Client

    release, order = threading.Event(), []

    def hold(number):
        release.wait(30)
        order.append(number)
        return number

    with gr.Blocks() as demo:
        number_box, answer_box = gr.Number(), gr.Number()
        gr.Button().click(hold, number_box, answer_box, api_name="hold", concurrency_limit=1)
    demo.queue(max_size=100)
    workarounds.share_the_queue(demo, 2, 10, lambda headers: "wait for your calls")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        first, second = Client(url, verbose=False), Client(url, verbose=False)

        def joined(job, *codes):
            while job.status().code.name not in codes:
                threading.Event().wait(0.05)
            return job

        held = [joined(first.submit(1, api_name="/hold"), "PROCESSING")]
        held.append(joined(first.submit(2, api_name="/hold"), "IN_QUEUE"))
        with pytest.raises(Exception, match="400"):
            first.predict(3, api_name="/hold")
        # What the page shows: the refusal's detail (gradio_client keeps only the status).
        fn_index = next(key for key, fn in demo.fns.items() if fn.api_name == "hold")
        refusal = httpx.post(f"{url}gradio_api/queue/join", json={
            "data": [3], "fn_index": fn_index, "session_hash": first.session_hash, "event_data": None,
            "trigger_id": None})
        assert refusal.status_code == 400 and refusal.json()["detail"] == "wait for your calls"
        other = joined(second.submit(4, api_name="/hold"), "IN_QUEUE")
        release.set()
        assert other.result(timeout=30) == 4 and [job.result(timeout=30) for job in held] == [1, 2]
        assert order == [1, 4, 2]  # first come, first served would have run 2 before 4
    finally:
        release.set()
        demo.close()
