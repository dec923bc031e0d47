"""Issue 36, "Speed and memory": a class's own photos against today's flowers path, in one run.

    python -m benchmarks.own_photos [--quick] [--repeats N] [--sessions 30] [--load-seconds 30]
        [--load-rounds 2] [--students 30] [--data-dir DIR]

Writes its own photos under a temporary folder: synthetic webcam photos (640x480 JPEGs, a blurred
colour-noise background, one shape of a class's own form and colour, sensor noise; ~45 KB each) for
three own classes, and a synthetic flower folder of the same total count (5 classes x 18 = 90 photos,
the same kind of JPEG) for the flowers path's baseline. Measures:
  add_30                adding 30 webcam photos to a class (target <= 1 s): in process
                        (OwnPhotos.add) against the flowers path decoding the same 30 files
                        (photo_cache's threads, load_image + prepare_for_model at 64 px, as a cold
                        flowers Train does); and through `/own_add` on a launched `python app.py`
                        against a do-nothing Gradio endpoint taking the same 30 files (the upload floor);
  train                 3 classes x 30 photos: from the `/train` submit (dataset "own", the `small`
                        preset as the tab sets it) to the first streamed output whose accuracy chart
                        has a point (the validation photos' score before training, at epoch 0), to the
                        first training point (after the first batch: what app_latency.py calls the
                        first curve point), both against the target <= 2 s, and to the run's end
                        (target <= 20 s on 2 cores); the same for the flowers path in the same app
                        (`live`, dataset "flowers", on the 90 synthetic flower photos, decode cache
                        warm). One first run of each (the process' first training, the flowers' cold
                        decode) is reported apart; then --repeats rounds, the order alternating;
  first_point_breakdown in process, without the app: where those seconds go (pipeline, network, the
                        validation pass's and the first batch's first calls, which trace graphs, and a
                        batch again), own and flowers;
  memory                a session with 300 photos (3 classes x 100): OwnPhotos.nbytes and the
                        process' resident memory growth, in process (fresh stores; median) and in the
                        launched app, where --sessions students each send a zip of those 300 photos
                        to `/own_add` (target <= 60 MB a session, the app <= 4 GB with 30 sessions);
  load                  benchmarks/load.py, each run launching its own app: as it is (30 students
                        clicking the light endpoints, one training `live` on the flowers) and with
                        `--own` (half the clicks add 1-10 webcam photos through `/own_add`, the trainer
                        trains `small` on its own 3 x 30 photos), --load-rounds of each, the order
                        alternating; light endpoints' p95 <= 3 s (the slowest endpoint's, median of runs);
  identical_uploads     a check, not a target: 6 students at once adding the same 5 files (identical
                        bytes, as a teacher's zip handed to the class), 5 times each: adds that stored
                        fewer photos than they sent.
Medians over repeats; the machine's other jobs make single figures noisy. Only 127.0.0.1 is used.
The synthetic flower folder is the app's FLOWER_DATA_DIR; --data-dir (or FLOWER_DATA_DIR) gives a
real folder to the load runs only (their light photos and the `live` trainer's photos).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks.app_latency import ROOT, launch
from benchmarks.load import resident_mb
from benchmarks.startup import cpu_description

WEBCAM_SIZE = (640, 480)  # width, height: what a laptop's webcam gives Gradio's webcam input
JPEG_QUALITY = 85  # ~45 KB a photo, as a webcam capture saved by a browser
# One shape and colour per class: each of the own classes, and the flowers' five in the baseline.
SHAPES = (("ellipse", (200, 40, 40)), ("rectangle", (40, 90, 200)), ("triangle", (40, 160, 60)),
          ("bar", (230, 170, 20)), ("ring", (150, 50, 170)))
OWN_CLASSES = ("círculo", "cuadrado", "triángulo")  # a student's names: any script
FLOWER_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
PER_CLASS = 30  # the lesson's size: ~30 webcam photos a class
SESSION_PER_CLASS = 100  # a session of 300 photos: 3 classes x 100
TARGETS = {"add_30_s": 1.0, "first_point_s": 2.0, "small_run_s": 20.0, "session_mb": 60.0, "app_mb": 4096.0,
           "light_p95_s": 3.0}


# --- photos ---------------------------------------------------------------------------------------

def webcam_photo(class_number: int, index: int, size: tuple[int, int] = WEBCAM_SIZE):
    """A (PIL) photo-like picture: a blurred colour-noise room, the class's shape in its colour (size,
    place and shade vary photo by photo), sensor noise."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    width, height = size
    rng = np.random.default_rng(1000 * class_number + index)
    room = rng.integers(60, 200, (6, 8, 3)).astype(np.uint8)  # a few blotches of colour, blown up smooth
    background = Image.fromarray(room).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(background)
    shape, colour = SHAPES[class_number % len(SHAPES)]
    side = int(rng.integers(height * 3 // 10, height * 5 // 10))
    x, y = int(rng.integers(20, width - side - 20)), int(rng.integers(20, height - side - 20))
    fill = tuple(int(np.clip(value + rng.integers(-25, 26), 0, 255)) for value in colour)
    if shape == "ellipse":
        draw.ellipse((x, y, x + side, y + side), fill=fill)
    elif shape == "rectangle":
        draw.rectangle((x, y, x + side, y + side), fill=fill)
    elif shape == "triangle":
        draw.polygon([(x, y + side), (x + side, y + side), (x + side // 2, y)], fill=fill)
    elif shape == "bar":
        draw.rectangle((x, y + side // 3, x + side, y + 2 * side // 3), fill=fill)
    else:
        draw.ellipse((x, y, x + side, y + side), outline=fill, width=side // 6)
    pixels = np.asarray(background.filter(ImageFilter.GaussianBlur(1.2)), np.int16)
    pixels = pixels + rng.normal(0, 6, pixels.shape).astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_class_folders(root: Path, names, per_class: int, first_index: int = 0) -> dict[str, list[str]]:
    """Class folders of webcam JPEGs under `root` (class i drawn as SHAPES[i]); their paths per class."""
    written = {}
    for number, name in enumerate(names):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for index in range(first_index, first_index + per_class):
            path = folder / f"{index:04d}.jpg"
            webcam_photo(number, index).save(path, quality=JPEG_QUALITY)
            paths.append(str(path))
        written[name] = paths
    return written


def personal_copies(classes: dict[str, list[str]], folder: Path, per_class: int) -> dict[str, list[str]]:
    """One student's own files of the first `per_class` photos of each class: copies that end in a few
    bytes naming the folder (after the JPEG's end, which decoders ignore), so no two students send
    identical bytes, as no two webcams do. Gradio stores uploads by their content's hash."""
    copies = {}
    for name, paths in classes.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        copies[name] = []
        for path in paths[:per_class]:
            copy = folder / name / Path(path).name
            copy.write_bytes(Path(path).read_bytes() + folder.name.encode())
            copies[name].append(str(copy))
    return copies


def zip_of(classes: dict[str, list[str]], path: Path) -> Path:
    """A teacher's zip: one folder per class (stored: JPEGs do not compress)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, paths in classes.items():
            for photo in paths:
                archive.write(photo, f"{name}/{Path(photo).name}")
    return path


def train_arguments(dataset: str) -> tuple:
    """`/train`'s inputs as the Training tab sets them when the student picks `dataset` (flowers: the
    `live` preset; own: `small`), in the endpoint's order, `dataset` last."""
    from flower_demo import recipes

    preset = "small" if dataset == "own" else recipes.DEFAULT_PRESET
    chosen = recipes.live_preset(preset)
    epochs = min(chosen.epochs, recipes.live_epoch_cap(chosen.preset))
    return (preset, epochs, chosen.batch_size, chosen.image_size, chosen.learning_rate, chosen.validation_split,
            "cpu", dataset)


# --- small helpers --------------------------------------------------------------------------------

def median(values) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def own_rss_mb() -> float:
    return resident_mb(os.getpid())


def time_calls(calls: dict, repeats: int) -> dict[str, list[float]]:
    """Seconds of each named call, one warm-up call each first, then `repeats` rounds in alternating order."""
    for call in calls.values():
        call()
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for round_number in range(repeats):
        for name in (list(calls) if round_number % 2 == 0 else list(reversed(calls))):
            started = time.perf_counter()
            calls[name]()
            seconds[name].append(round(time.perf_counter() - started, 4))
    return seconds


# --- 1 and 3, in process --------------------------------------------------------------------------

def core_memory(session: dict[str, list[str]], sessions: int) -> dict:
    """Fresh OwnPhotos stores of the same 300 photos, each kept: nbytes and resident growth per store.

    Runs before anything imports TensorFlow or Gradio in this process, with the app's malloc setting."""
    from flower_demo import workarounds
    from flower_demo.data.own_photos import OwnPhotos

    workarounds.fewer_malloc_arenas()
    kept, growth, nbytes, seconds = [], [], [], []
    for _ in range(sessions):
        before = own_rss_mb()
        started = time.perf_counter()
        store = OwnPhotos()
        for name, paths in session.items():
            store.add(name, paths)
        seconds.append(time.perf_counter() - started)
        kept.append(store)
        growth.append(round(own_rss_mb() - before, 1))
        nbytes.append(store.nbytes)
    return {"sessions": sessions, "photos_per_session": len(kept[0]), "nbytes_mb": round(nbytes[0] / 2**20, 1),
            "rss_growth_mb": growth, "median_rss_growth_mb": median(growth),
            "add_300_seconds_median": median(seconds)}


def core_add(paths: list[str], repeats: int) -> dict:
    """OwnPhotos.add of 30 photos into a fresh store, against the flowers path's decode of the same files."""
    from flower_demo.data import photo_cache
    from flower_demo.data.own_photos import OwnPhotos

    size = train_arguments("flowers")[3]
    seconds = time_calls({
        "own_add": lambda: OwnPhotos().add("círculo", paths),
        "flowers_decode": lambda: photo_cache.decoded_in_chunks(lambda path: photo_cache._decode_one(Path(path), size),
                                                                paths),
    }, repeats)
    medians = {name: median(values) for name, values in seconds.items()}
    return {"photos": len(paths), "seconds": seconds, "median_s": medians,
            "ratio_own_to_flowers_decode": round(medians["own_add"] / medians["flowers_decode"], 2)}


def upload_floor(paths: list[str], repeats: int) -> dict:
    """A bare Gradio app's do-nothing endpoint taking the same files as `/own_add` (a list of files):
    what gradio_client's uploads and the queue cost before any work."""
    import gradio as gr
    from gradio_client import handle_file

    from tests.clients import local_client

    def received(sent) -> str:
        """Nothing but deleting the uploaded copies, as `/own_add` does: none is left behind."""
        for path in sent or []:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return str(len(sent or []))

    with gr.Blocks() as demo:
        files, text = gr.File(file_count="multiple", type="filepath"), gr.Textbox()
        gr.Button().click(received, files, text, api_name="files_in")
    demo.queue(default_concurrency_limit=4, api_open=False)  # as app.py
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = local_client(f"http://127.0.0.1:{port}/")
        seconds = time_calls({"floor": lambda: client.predict([handle_file(p) for p in paths],
                                                              api_name="/files_in")}, repeats)["floor"]
    finally:
        with contextlib.redirect_stdout(sys.stderr):  # Gradio announces the closing: stdout stays JSON
            demo.close()
    return {"seconds": seconds, "median_s": median(seconds)}


def first_step_breakdown(own: dict[str, list[str]], flowers: Path, repeats: int) -> dict:
    """Where a run's seconds before its first curve point go, in process and without the app: the
    pipeline, the network, the validation pass before training (its first call traces the graph), and
    the first training batch (its first call traces the training step) against the same call again.
    Every run builds a new network, so the app pays both traces on every Train click."""
    from flower_demo import recipes
    from flower_demo.data import photo_cache
    from flower_demo.data.own_photos import OwnPhotos
    from flower_demo.data.pipeline import make_datasets
    from flower_demo.model import networks

    store = OwnPhotos()
    for name, paths in own.items():
        store.add(name, paths[:PER_CLASS])
    sources = {"own": ("small", lambda size: store.for_training(size)),
               "flowers": (recipes.DEFAULT_PRESET,
                           lambda size: photo_cache.load_photos(flowers, size, use_disk_cache=False))}
    steps: dict[str, dict[str, list[float]]] = {name: {} for name in sources}
    for round_number in range(repeats + 1):  # the first round warms TensorFlow up and is left out
        for name in (list(sources) if round_number % 2 == 0 else list(reversed(sources))):
            preset, photos_at = sources[name]
            run = recipes.live_preset(preset)
            marks, clock = {}, time.perf_counter()

            def mark(key: str) -> None:
                nonlocal clock
                now = time.perf_counter()
                marks[key], clock = now - clock, now

            photos = photos_at(run.image_size)
            mark("photos")
            train_ds, val_ds, train_count, _ = make_datasets(photos, run)
            mark("pipeline")
            steps_per_epoch = math.ceil(train_count / run.batch_size)
            network = networks.build_model(run, len(photos.class_names), steps_per_epoch=steps_per_epoch,
                                           class_names=photos.class_names)
            mark("network")
            network.evaluate(val_ds, verbose=0)
            mark("validation_first_call")
            network.fit(train_ds, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
            mark("first_batch_first_call")
            network.fit(train_ds, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
            mark("one_batch_again")
            if round_number:
                for key, seconds in marks.items():
                    steps[name].setdefault(key, []).append(seconds)
    return {name: {key: median(values) for key, values in timings.items()} for name, timings in steps.items()}


# --- 1, 2 and 3 through the app -------------------------------------------------------------------

def accuracy_rows(frame) -> list:
    """The rows of an accuracy output: a frame, or a LinePlot update holding one."""
    if not isinstance(frame, dict):
        return []
    return frame.get("data") or (frame.get("value") or {}).get("data") or []


def last_value(rows, names: tuple[str, ...]) -> float | None:
    values = [row[1] for row in rows if row[2] in names and row[1] is not None and not math.isnan(row[1])]
    return round(values[-1], 3) if values else None


def train_once(client, dataset: str) -> dict:
    """Clicks Train (as the tab sets it for `dataset`) and follows the run to its end: seconds to the
    first epoch status, to the first output whose accuracy chart has a point (the validation photos'
    score before training, at epoch 0), to the first training point (after the first batch, what
    app_latency.py calls the first curve point) and to the last output; final accuracies."""
    started = time.monotonic()
    job = client.submit(*train_arguments(dataset), api_name="/train")
    first_epoch = first_point = first_training_point = None
    any_series = ("training", "validation", "entrenamiento", "validación")
    while not job.done():
        outputs = job.outputs()
        if outputs:
            now = time.monotonic() - started
            if first_epoch is None and any(str(output[0]).startswith(("Epoch", "Época")) for output in outputs):
                first_epoch = now
            if first_point is None and any(last_value(accuracy_rows(output[1]), any_series) is not None
                                           for output in outputs):
                first_point = now
            if first_training_point is None and any(
                    last_value(accuracy_rows(output[1]), ("training", "entrenamiento")) is not None
                    for output in outputs):
                first_training_point = now
        time.sleep(0.02)
    status, accuracy, *_ = job.result()
    whole = time.monotonic() - started
    rows = accuracy_rows(accuracy)
    return {"seconds_to_first_epoch": round(first_epoch or whole, 2),
            "seconds_to_first_point": round(first_point or whole, 2),
            "seconds_to_first_training_point": round(first_training_point or whole, 2),
            "seconds_whole_run": round(whole, 2),
            "training_accuracy": last_value(rows, ("training",)),
            "validation_accuracy": last_value(rows, ("validation",)),
            "status": str(status)[:80]}


def own_add(client, name: str, paths: list[str]) -> tuple[float, dict]:
    from gradio_client import handle_file

    started = time.perf_counter()
    _, summary = client.predict(name, [handle_file(p) for p in paths], api_name="/own_add")
    return time.perf_counter() - started, summary


def identical_uploads(url: str, paths: list[str], students: int = 6, calls: int = 5) -> dict:
    """`students` sessions at once each adding the same files (identical bytes, as a teacher's zip handed
    to the class) `calls` times: adds that stored fewer photos than sent, and adds that failed."""
    import threading

    from gradio_client import handle_file

    from tests.clients import local_client

    short, failed, lock = [], [], threading.Lock()

    def student(number: int) -> None:
        client, kept = local_client(url, "en"), 0
        for _ in range(calls):
            try:
                _, summary = client.predict(f"igual{number}", [handle_file(p) for p in paths], api_name="/own_add")
                with lock:
                    short.append(summary["photos"] - kept < len(paths))
                kept = summary["photos"]
            except Exception as problem:  # noqa: BLE001 - counted with its message
                with lock:
                    failed.append(str(problem)[:100])

    threads = [threading.Thread(target=student, args=(number,)) for number in range(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return {"students": students, "calls": students * calls, "photos_per_call": len(paths),
            "calls_storing_fewer_than_sent": sum(short), "failed_calls": len(failed),
            "failures": sorted(set(failed))[:3]}


def app_measurements(env: dict, own: dict[str, list[str]], session_zip: Path, repeats: int,
                     sessions: int) -> dict:
    """/own_add timings, training against the flowers, and memory with `sessions` students' 300 photos."""
    from tests.clients import local_client

    process, url, first_page = launch(env)
    print(f"app up in {first_page:.1f} s", file=sys.stderr, flush=True)
    try:
        student, flowers_student = local_client(url, "en"), local_client(url, "en")
        add_seconds = []
        for round_number in range(max(2, repeats)):  # each round: the three classes of 30, from empty
            student.predict(api_name="/own_clear")
            for name, paths in own.items():
                seconds, summary = own_add(student, name, paths[:PER_CLASS])
                if round_number:  # the first round warms up the endpoint and the decoding threads
                    add_seconds.append(round(seconds, 3))
        assert summary["photos"] == len(own) * PER_CLASS, summary

        training: dict = {"first_runs": {}, "runs": {"own": [], "flowers": []}}
        for dataset, client in (("flowers", flowers_student), ("own", student)):  # the cold decode, the first trace
            training["first_runs"][dataset] = train_once(client, dataset)
            print(f"first {dataset} run: {training['first_runs'][dataset]}", file=sys.stderr, flush=True)
        for round_number in range(repeats):
            order = (("own", student), ("flowers", flowers_student))
            for dataset, client in (order if round_number % 2 == 0 else order[::-1]):
                result = train_once(client, dataset)
                training["runs"][dataset].append(result)
                print(f"{dataset}: {result}", file=sys.stderr, flush=True)
        training["median"] = {dataset: {key: median([run[key] for run in runs])
                                        for key in ("seconds_to_first_epoch", "seconds_to_first_point",
                                                    "seconds_to_first_training_point", "seconds_whole_run")}
                              for dataset, runs in training["runs"].items()}
        own_median, flowers_median = training["median"]["own"], training["median"]["flowers"]
        training["ratio_own_to_flowers"] = {key: round(own_median[key] / flowers_median[key], 2)
                                            for key in own_median}

        same_files = identical_uploads(url, own[OWN_CLASSES[1]][:5])
        print(f"identical uploads: {same_files}", file=sys.stderr, flush=True)

        from gradio_client import handle_file

        before = resident_mb(process.pid)
        rss, kept, nbytes = [before], [], []
        for number in range(sessions):
            client = local_client(url, "en")
            _, summary = client.predict("", [handle_file(str(session_zip))], api_name="/own_add")
            kept.append(client)  # the session stays open (its photos are kept until it closes or idles)
            nbytes.append(summary["bytes"])
            rss.append(resident_mb(process.pid))
            print(f"session {number + 1}: {summary['photos']} photos, app {rss[-1]:.0f} MB", file=sys.stderr,
                  flush=True)
        growth = [round(after - earlier, 1) for earlier, after in zip(rss, rss[1:])]
        memory = {"sessions": sessions, "photos_per_session": summary["photos"],
                  "nbytes_mb_per_session": round(statistics.median(nbytes) / 2**20, 1),
                  "rss_before_mb": round(before, 1), "rss_after_mb": round(rss[-1], 1),
                  "rss_growth_mb_per_session_mean": round((rss[-1] - before) / sessions, 1),
                  "rss_growth_mb_per_session_median": median(growth),
                  "rss_after_each_session_mb": [round(value) for value in rss[1:]]}
        # Each session's photos are still there: the last add of 30 to the first session's store.
        seconds, summary = own_add(kept[0], OWN_CLASSES[0], own[OWN_CLASSES[0]][:PER_CLASS])
        memory["first_session_photos_at_end"] = summary["photos"]
        memory["rss_end_mb"] = round(resident_mb(process.pid), 1)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"first_page_s": round(first_page, 1),
            "own_add_30": {"seconds": add_seconds, "median_s": median(add_seconds)},
            "training": training, "memory": memory, "identical_uploads": same_files}


# --- 4: load.py, flowers and own ------------------------------------------------------------------

def load_run(data_dir: Path, seconds: float, students: int, own: bool, cache_dir: Path | None) -> dict:
    """One `python -m benchmarks.load` (its own app), summarised: the light endpoints' p95, failures."""
    command = [sys.executable, "-m", "benchmarks.load", "--data-dir", str(data_dir), "--seconds", str(seconds),
               "--students", str(students)] + (["--own"] if own else [])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if cache_dir is not None:  # the synthetic folder's decode cache goes with it, not into the user's cache
        env["FLOWER_CACHE_DIR"] = str(cache_dir)
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    if finished.returncode:
        raise SystemExit(f"{command} failed:\n{finished.stderr[-3000:]}")
    result = json.loads(finished.stdout[finished.stdout.index("{"):])
    light = {name: values for name, values in result["endpoints"].items() if name != "/own_add"}
    summary = {"requests": sum(values["requests"] for values in result["endpoints"].values()),
               "light_p95_s": {name: values["p95_s"] for name, values in light.items()},
               "light_p95_max_s": max(values["p95_s"] for values in light.values()),
               "light_p50_s": {name: values["p50_s"] for name, values in light.items()},
               "failures": result["failures"], "trainings_finished": len(result["trainings_finished"]),
               "training_seconds": [run["seconds"] for run in result["trainings_finished"]],
               "cpu": result["cpu"], "memory_mb": result["memory_mb"]}
    if "/own_add" in result["endpoints"]:
        summary["own_add"] = result["endpoints"]["/own_add"]
    return summary


# --- the run --------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="1 training round, 10 memory sessions, one 20 s load run each (~2.5 min on 2 cores)")
    parser.add_argument("--repeats", type=int, default=None, help="rounds of each timing (default 5 in process, "
                        "2 training rounds; --quick 3 and 1)")
    parser.add_argument("--sessions", type=int, default=None, help="students with 300 photos (30; --quick 10)")
    parser.add_argument("--load-seconds", type=float, default=None, help="each load run (30; --quick 20)")
    parser.add_argument("--load-rounds", type=int, default=None,
                        help="load runs of each kind, the order alternating (2; --quick 1)")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        help="a real flower folder for the load runs only (default: the synthetic one)")
    args = parser.parse_args()
    quick = args.quick
    train_rounds = args.repeats or (1 if quick else 2)
    core_repeats = args.repeats or (3 if quick else 5)
    sessions = args.sessions or (10 if quick else 30)
    load_seconds = args.load_seconds or (20 if quick else 30)
    load_rounds = args.load_rounds or (1 if quick else 2)
    machine = cpu_description()
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="own-photos-bench-") as folder:
        work = Path(folder)
        own = write_class_folders(work / "own", OWN_CLASSES, SESSION_PER_CLASS)  # 3 x 100: one session's 300
        flowers = work / "flower_photos"
        write_class_folders(flowers, FLOWER_CLASSES, len(OWN_CLASSES) * PER_CLASS // len(FLOWER_CLASSES),
                            first_index=500)
        session_zip = zip_of(own, work / "session-300.zip")
        photo_bytes = int(statistics.median(Path(p).stat().st_size for p in own[OWN_CLASSES[0]]))
        print(f"photos written in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

        core = {"memory": core_memory(own, 3 if quick else 5)}
        core["add_30"] = core_add(own[OWN_CLASSES[0]][:PER_CLASS], core_repeats)
        floor = upload_floor(own[OWN_CLASSES[0]][:PER_CLASS], core_repeats)
        print(f"in process: {core}", file=sys.stderr, flush=True)

        env = {**os.environ, "FLOWER_DATA_DIR": str(flowers), "FLOWER_CACHE_DIR": str(work / "cache"),
               "TF_CPP_MIN_LOG_LEVEL": "2"}
        app = app_measurements(env, own, session_zip, train_rounds, sessions)
        app["own_add_30"]["floor_same_30_files"] = floor
        app["own_add_30"]["ratio_to_floor"] = round(app["own_add_30"]["median_s"] / floor["median_s"], 2)

        breakdown = first_step_breakdown(own, flowers, core_repeats)
        print(f"first point, in process: {breakdown}", file=sys.stderr, flush=True)

        load_dir = Path(args.data_dir).resolve() if args.data_dir else flowers
        load: dict = {"data_dir": "given" if args.data_dir else "synthetic (90 photos)", "seconds": load_seconds,
                      "students": args.students, "runs": {"flowers": [], "own": []}}
        for round_number in range(load_rounds):
            order = (("flowers", False), ("own", True))
            for name, with_own in (order if round_number % 2 == 0 else order[::-1]):
                result = load_run(load_dir, load_seconds, args.students, with_own,
                                  None if args.data_dir else work / "load-cache")
                load["runs"][name].append(result)
                print(f"load {name}: {result}", file=sys.stderr, flush=True)
        load["median"] = {name: {"light_p95_max_s": median([run["light_p95_max_s"] for run in runs]),
                                 "light_p95_s": {endpoint: median([run["light_p95_s"][endpoint] for run in runs])
                                                 for endpoint in runs[0]["light_p95_s"]},
                                 "failures": sum(sum(run["failures"].values()) for run in runs)}
                          for name, runs in load["runs"].items()}
        load["median"]["own"]["own_add_p95_s"] = median([run["own_add"]["p95_s"] for run in load["runs"]["own"]])

    training, memory = app["training"]["median"], app["memory"]
    targets = {
        "add_30_in_process_at_most_1_s": core["add_30"]["median_s"]["own_add"] <= TARGETS["add_30_s"],
        "add_30_through_app_at_most_1_s": app["own_add_30"]["median_s"] <= TARGETS["add_30_s"],
        "own_first_point_at_most_2_s": training["own"]["seconds_to_first_point"] <= TARGETS["first_point_s"],
        "own_first_training_point_at_most_2_s":
            training["own"]["seconds_to_first_training_point"] <= TARGETS["first_point_s"],
        "small_whole_run_at_most_20_s": training["own"]["seconds_whole_run"] <= TARGETS["small_run_s"],
        "session_nbytes_at_most_60_mb": core["memory"]["nbytes_mb"] <= TARGETS["session_mb"],
        "session_rss_growth_at_most_60_mb": max(core["memory"]["median_rss_growth_mb"],
                                                memory["rss_growth_mb_per_session_mean"]) <= TARGETS["session_mb"],
        "app_with_sessions_within_4_gb": memory["rss_end_mb"] <= TARGETS["app_mb"],
        "light_p95_at_most_3_s_with_own": load["median"]["own"]["light_p95_max_s"] <= TARGETS["light_p95_s"],
        "no_failures_with_own": not load["median"]["own"]["failures"],
    }
    print(json.dumps({
        "machine": machine, "quick": quick, "command": " ".join(["python -m benchmarks.own_photos", *sys.argv[1:]]),
        "photo": {"size": list(WEBCAM_SIZE), "jpeg_quality": JPEG_QUALITY,
                  "bytes_median": photo_bytes},
        "in_process": {**core, "first_point_breakdown_s": breakdown}, "app": app, "load": load,
        "targets": targets, "target_values": TARGETS,
        "checks": {"identical_uploads_all_stored": not (app["identical_uploads"]["calls_storing_fewer_than_sent"]
                                                        or app["identical_uploads"]["failed_calls"])},
        "total_seconds": round(time.monotonic() - started, 1),
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
