"""The floor under benchmarks/app_latency.py: do-nothing endpoints through gradio_client.

    python -m benchmarks.gradio_floor

A bare Gradio app with three queued endpoints that do no work (text in and out; an uploaded image
in, text out; an image in and a 500x375 PNG out), called as app_latency.py calls ours (which runs
this too, in the same run). Whatever our endpoints take beyond these medians is our code. Part of
every call is gradio_client's own: it checks for the server's messages every 50 ms
(`time.sleep(0.05)` in gradio_client.utils.stream_sse_v1plus), so no call can return in under ~50 ms.
Also the seconds a bare `import gradio` takes, the floor under the first page.
"""

from __future__ import annotations

import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def measure(calls: int = 30) -> dict:
    """Median milliseconds per call of each do-nothing endpoint."""
    import gradio as gr
    import numpy as np
    from gradio_client import handle_file
    from PIL import Image

    from tests.clients import local_client

    photo = str(Path(tempfile.mkdtemp()) / "noise.jpg")
    Image.fromarray(np.random.RandomState(0).randint(0, 255, (375, 500, 3), np.uint8)).save(photo)
    with gr.Blocks() as demo:
        text, image = gr.Textbox(), gr.Image(type="filepath")
        out_text, out_image = gr.Textbox(), gr.Image(format="png")
        gr.Button().click(lambda x: x, text, out_text, api_name="text")
        gr.Button().click(lambda x: "ok", image, out_text, api_name="image_in")
        gr.Button().click(lambda x: np.zeros((375, 500, 3), np.uint8), image, out_image, api_name="image_out")
    demo.queue(default_concurrency_limit=4, api_open=False)  # as app.py
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo.launch(server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = local_client(f"http://127.0.0.1:{port}/")
        medians = {}
        for name, args in [("text", ("hi",)), ("image_in", (handle_file(photo),)),
                           ("image_out", (handle_file(photo),))]:
            client.predict(*args, api_name=f"/{name}")
            durations = []
            for _ in range(calls):
                started = time.perf_counter()
                client.predict(*args, api_name=f"/{name}")
                durations.append(1000 * (time.perf_counter() - started))
            medians[name] = round(statistics.median(durations), 1)
        return medians
    finally:
        with contextlib.redirect_stdout(sys.stderr):  # Gradio announces the closing: stdout stays JSON
            demo.close()


def import_seconds(runs: int = 3) -> float:
    """Median wall seconds of a whole `python -c "import gradio"`: the first page cannot come sooner."""
    durations = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import gradio"], check=True)
        durations.append(time.monotonic() - started)
    return round(statistics.median(durations), 2)


if __name__ == "__main__":
    print(json.dumps({**measure(), "import_gradio_seconds": import_seconds()}))
