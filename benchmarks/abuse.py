"""Issue 33: a class of students while one mischievous student attacks, through gradio_client against
`python app.py`.

    python -m benchmarks.abuse --data-dir ../shared/flower_photos [--cases model_flood image_bomb ...]
        [--students 30] [--seconds 40] [--think 1 3] [--safety-mb 8000]

For each case a fresh app process on a free loopback port (benchmarks/app_latency.py's `launch`), one
warm-up click, the class opens the page (a gradio_client session each), then for `--seconds` the class
of benchmarks/load.py (each student clicking a random light endpoint with a real photo, then thinking
1-3 s; one more student opens the page every 5 s) while one attacker does the case:

  baseline        no attacker: the class alone, measured in the same run, to compare with.
  model_flood     10 sessions uploading valid models back to back to /upload_model: a ~30 MB
                  tutorial-shaped network at 240 px, and the app's own tutorial network at 180 px
                  (the budget's edge); each refusal is recorded with its message.
  heavy_model     uploads the costliest model the server accepts (one wide all-convolution network at
                  512 px, then smaller sides down to 32 px; the first accepted is kept), then keeps 8
                  calls in flight to /classify, /feature_maps and /saliency with it (model "own").
  image_bomb      8 sessions sending a 39.7-megapixel 16-bit PNG (~80 KB) to /classify and /convolve.
  zip_bomb        a .keras whose model.weights.h5 claims 100 bytes in both zip headers but inflates to
                  1 GB, uploaded back to back (2 at once).
  queue_flood     10 sessions, each holding 8 calls in flight on /evaluate, /compare (1 epoch) and
                  /classify: whether a student ever reads "Queue is full".
  hostile_config  uploads of a model passing safe_mode whose Lambda layer calls the registered
                  `keras.config.set_max_epochs(1)` while Keras reads the file; meanwhile one student
                  trains the live preset for 2 epochs: did the run do the epochs asked?

Every attack file is made here, in a temporary folder (nothing downloaded). Per case it prints the
others' (students') requests, median and p95 latency (all light endpoints together, and each), their
failures by message, the attacker's outcomes by message, the server's peak RSS (the app and any child
process it starts, sampled from /proc every 0.5 s) and whether the targets hold: students' p95 <= 3 s,
peak RSS <= 3 GiB, no student failure. A case whose RSS passes `--safety-mb` is cut short (the machine
is shared): its result says so. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import statistics
import struct
import tempfile
import threading
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.app_latency import launch  # a fresh `python app.py` process on a free port
from benchmarks.load import Clicks, CpuUse, percentile, resident_mb, sample_photos  # the class

CASES = ("baseline", "model_flood", "heavy_model", "image_bomb", "zip_bomb", "queue_flood", "hostile_config")
TARGET_P95_S = 3.0  # the issue's target for the others' clicks, throughout
TARGET_RSS_MB = 3 * 1024  # 3 GiB: /proc counts KiB
# The heavy model's ladder, costliest first: 8 px steps where a budget near the shipped model's falls.
HEAVY_SIDES = (512, 384, 320, 288, *range(256, 31, -8))
BOMB_SHAPE = (5440, 7296)  # 39.7 megapixels, under the app's 40 MP claim limit
ZIP_BOMB_BYTES = 1 << 30  # what model.weights.h5 inflates to
ZIP_BOMB_CLAIM = 100  # what its headers say it inflates to
CANCELLED = "cancelled at the end"  # a call still running when the case's time is up
TRAIN_EPOCHS = 2  # what the hostile_config case's student asks for; the hostile file sets the cap to 1


# ---- The attack files -----------------------------------------------------------------------------------

def tutorial_model(folder: Path, side: int) -> Path:
    """The tutorial's network (flower_demo.model.networks, preset "seed") at `side` px, saved as the app saves."""
    from flower_demo import recipes
    from flower_demo.model import networks, serving

    path = folder / f"tutorial_{side}.keras"
    serving.save_model(networks.build_model(dataclasses.replace(recipes.PRESETS["seed"], image_size=side)), path)
    return path


def heavy_model(folder: Path, side: int) -> Path:
    """A wide all-convolution network at `side` px (~80 GFLOP a picture at 512 px, 1.6 MB of weights):
    a valid model under the contract, priced only by its compute."""
    import keras

    inputs = keras.Input((side, side, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    for filters in (32, 64, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    for filters in (128, 256):
        x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    outputs = keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(x))
    path = folder / f"heavy_{side}.keras"
    keras.Model(inputs, outputs, name=f"heavy_{side}").save(path)
    return path


def small_model(folder: Path, name: str) -> Path:
    """A tiny valid model at 64 px: the carrier of the zip bomb and the hostile config."""
    import keras

    inputs = keras.Input((64, 64, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu")(keras.layers.Rescaling(1 / 255)(inputs))
    outputs = keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(x))
    path = folder / name
    keras.Model(inputs, outputs).save(path)
    return path


def keras_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def hostile_config_model(folder: Path) -> Path:
    """A model that passes safe_mode and the contract, with one extra Lambda layer in its config.json:
    its function is the registered `keras.config.set_max_epochs` and its input a serialised constant 1,
    so Keras calls set_max_epochs(1) while it rebuilds the graph. The layer reaches no output, so the
    loaded model is the plain one."""
    members = keras_members(small_model(folder, "carrier.keras"))
    network = json.loads(members["config.json"])
    network["config"]["layers"].insert(1, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None, "name": "settings",
        "config": {"name": "settings", "trainable": True, "dtype": "float32", "output_shape": [1], "arguments": {},
                   "function": {"module": "keras.config", "class_name": "function", "config": "set_max_epochs",
                                "registered_name": "function"}},
        "inbound_nodes": [{"args": [{"class_name": "__tensor__", "config": {"value": 1, "dtype": "int32"}}],
                           "kwargs": {}}]})
    members["config.json"] = json.dumps(network).encode()
    path = folder / "hostile_config.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def zip_bomb_model(folder: Path) -> Path:
    """A .keras (a real model's config.json and metadata) whose model.weights.h5 is 1 GB of zeros, deflated
    to ~1 MB, with the uncompressed size patched to 100 bytes in its local header and central directory."""
    members = keras_members(small_model(folder, "bomb_carrier.keras"))
    path = folder / "zip_bomb.keras"
    chunk = bytes(16 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name != "model.weights.h5":
                archive.writestr(name, data)
        with archive.open("model.weights.h5", "w") as member:
            for _ in range(ZIP_BOMB_BYTES // len(chunk)):
                member.write(chunk)
    with zipfile.ZipFile(path) as archive:
        local_offset = archive.getinfo("model.weights.h5").header_offset
    data = bytearray(path.read_bytes())
    assert data[local_offset:local_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local_offset + 22, ZIP_BOMB_CLAIM)  # local header: uncompressed size
    end = data.rindex(b"PK\x05\x06")  # end of central directory: where the directory starts
    entry = struct.unpack_from("<I", data, end + 16)[0]
    while data[entry:entry + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, entry + 28)
        if data[entry + 46:entry + 46 + name_length] == b"model.weights.h5":
            struct.pack_into("<I", data, entry + 24, ZIP_BOMB_CLAIM)  # central directory: uncompressed size
        entry += 46 + name_length + extra_length + comment_length
    path.write_bytes(data)
    return path


def image_bomb(folder: Path) -> Path:
    """A 39.7-megapixel 16-bit greyscale PNG of faint stripes: ~80 KB on disk, 79 MB as 16-bit pixels."""
    import numpy as np
    from PIL import Image

    pixels = np.zeros(BOMB_SHAPE, np.uint16)
    pixels[::64] = 40000
    path = folder / "image_bomb.png"
    Image.fromarray(pixels).save(path)
    return path


def make_files(cases: list[str], folder: Path) -> dict:
    """Only the files the chosen cases use."""
    files: dict = {}
    if "model_flood" in cases:
        files["flood"] = [tutorial_model(folder, 240), tutorial_model(folder, 180)]
    if "heavy_model" in cases:
        files["heavy"] = folder  # made one by one while uploading (upload_costliest)
    if "image_bomb" in cases:
        files["image_bomb"] = image_bomb(folder)
    if "zip_bomb" in cases:
        files["zip_bomb"] = zip_bomb_model(folder)
    if "hostile_config" in cases:
        files["hostile"] = hostile_config_model(folder)
    return files


# ---- The attacker ---------------------------------------------------------------------------------------

class Attacker:
    """`sessions` gradio_client sessions, each with `lanes` threads that submit `action(session, lane, rng)`
    = (label, endpoint, args) back to back (after `think` seconds), until `stop`; a call still running then
    is cancelled. Outcomes are counted by label and message ("ok" for an answer)."""

    def __init__(self, sessions: int, lanes: int, action, think: float = 0.0):
        self.sessions, self.lanes, self.action, self.think = sessions, lanes, action, think
        self.outcomes: Counter = Counter()
        self.seconds: list[float] = []
        self.lock = threading.Lock()
        self.first_done = threading.Event()

    def threads(self, clients: list, stop: threading.Event) -> list[threading.Thread]:
        return [threading.Thread(target=self.lane, args=(clients[session], session, lane, stop), daemon=True)
                for session in range(self.sessions) for lane in range(self.lanes)]

    def lane(self, client, session: int, lane: int, stop: threading.Event) -> None:
        rng = random.Random(1000 * session + lane)
        while not stop.is_set():
            label, endpoint, args = self.action(session, lane, rng)
            started = time.perf_counter()
            outcome = f"{label}: {attempt(client, endpoint, args, stop)}"
            with self.lock:
                self.outcomes[outcome] += 1
                if not outcome.endswith(CANCELLED):
                    self.seconds.append(time.perf_counter() - started)
            self.first_done.set()
            stop.wait(self.think)

    def summary(self) -> dict:
        return {"sessions": self.sessions, "in_flight_per_session": self.lanes, "calls": sum(self.outcomes.values()),
                "median_s": round(statistics.median(self.seconds), 3) if self.seconds else None,
                "outcomes": dict(self.outcomes.most_common())}


def attempt(client, endpoint: str, args: tuple, stop: threading.Event) -> str:
    """One call: "ok", the server's message, or "cancelled at the end" when time ran out first."""
    try:
        job = client.submit(*args, api_name=endpoint)
        while not job.done():
            if stop.wait(0.1):
                job.cancel()
                return CANCELLED
        job.result()
        return "ok"
    except Exception as problem:  # noqa: BLE001 - every refusal is counted with its message
        return CANCELLED if stop.is_set() else message(problem)


def message(problem: Exception, limit: int = 140) -> str:
    """An exception as one short line; for an HTTP refusal (gradio_client raises httpx's with a generic
    text), the server's own answer."""
    response = getattr(problem, "response", None)
    text = f"{response.status_code} {response.text}" if response is not None else str(problem)
    return f"{type(problem).__name__}: {' '.join(text.split())[:limit]}"


def open_pages(url: str, count: int) -> tuple[list, list[float], Counter]:
    """The class opens the app before the case starts: `count` sessions (es or en, as in load.py), a few
    at a time, each tried up to 3 times; their clients, seconds each took, and failures by message."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.clients import local_client

    seconds, failures = [], Counter()

    def open_page(number: int):
        language = random.Random(number).choice(["es", "en"])
        for _ in range(3):
            started = time.perf_counter()
            try:
                client = local_client(url, language)
                seconds.append(time.perf_counter() - started)
                return client
            except Exception as problem:  # noqa: BLE001
                failures[message(problem)] += 1
        raise RuntimeError(f"a student could not open the page: {failures.most_common(1)}")

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(open_page, range(count))), seconds, failures


def student(clicks: Clicks, client, number: int, photos: list[str], think, stop: threading.Event) -> None:
    """benchmarks/load.py's student in a session opened before the attack began (open_pages)."""
    rng = random.Random(number)
    rng.choice(["es", "en"])  # the language open_pages chose: the same random sequence as load.py's
    clicks.clicking(client, rng, photos, think, stop, describe=lambda problem: message(problem, 120))


def late_student(url: str, opened: list[float], failures: Counter, stop: threading.Event) -> None:
    """A student arriving during the attack: opens the page (a new session) every 5 s, until `stop`."""
    from tests.clients import local_client

    while not stop.wait(5):
        started = time.perf_counter()
        try:
            local_client(url, "en")
            opened.append(time.perf_counter() - started)
        except Exception as problem:  # noqa: BLE001
            failures[message(problem)] += 1


def upload(path: Path) -> tuple[str, str, tuple]:
    from gradio_client import handle_file

    return f"/upload_model {path.name}", "/upload_model", (handle_file(str(path)),)


def attacker_for(case: str, files: dict, photos: list[str]) -> Attacker:
    from gradio_client import handle_file

    if case == "model_flood":
        return Attacker(10, 1, lambda session, lane, rng: upload(rng.choice(files["flood"])))
    if case == "heavy_model":
        views = (("/classify", lambda photo: (photo, "", "own")), ("/feature_maps", lambda photo: (photo, "own")),
                 ("/saliency", lambda photo: (photo, "own")))

        def look(session, lane, rng):
            endpoint, args = views[rng.randrange(len(views))]
            return endpoint, endpoint, args(handle_file(rng.choice(photos)))
        return Attacker(1, 8, look)
    if case == "image_bomb":
        def bomb(session, lane, rng):
            if rng.random() < 0.5:
                return "/classify", "/classify", (handle_file(str(files["image_bomb"])), "", "shipped")
            return "/convolve", "/convolve", (handle_file(str(files["image_bomb"])), "edge")
        return Attacker(8, 1, bomb)
    if case == "zip_bomb":
        return Attacker(1, 2, lambda session, lane, rng: upload(files["zip_bomb"]))
    if case == "queue_flood":
        def flood(session, lane, rng):
            kind = lane % 3
            if kind == 0:
                return "/evaluate", "/evaluate", ("shipped",)
            if kind == 1:
                return "/compare", "/compare", (1,)
            return "/classify", "/classify", (handle_file(rng.choice(photos)), "", "shipped")
        return Attacker(10, 8, flood)
    if case == "hostile_config":
        return Attacker(1, 1, lambda session, lane, rng: upload(files["hostile"]), think=2.0)
    raise ValueError(f"Expected one of {CASES}. Received: {case!r}")


def upload_costliest(client, folder: Path) -> dict:
    """Uploads the heavy network at each side of HEAVY_SIDES, costliest first (each file made just before
    its upload), until the server accepts one; which sides each answer refused (numbers in the answers
    written as #), and the refusal of the side just above the accepted one in full."""
    from gradio_client import handle_file

    refused: dict[str, list[int]] = defaultdict(list)
    started, answer = time.monotonic(), None
    for side in HEAVY_SIDES:
        path = heavy_model(folder, side)
        try:
            client.predict(handle_file(str(path)), api_name="/upload_model")
            return {"accepted": path.name, "bytes": path.stat().st_size, "refused": dict(refused),
                    "closest_refusal": answer, "seconds": round(time.monotonic() - started, 1)}
        except Exception as problem:  # noqa: BLE001
            answer = message(problem, 300)
            refused[re.sub(r"\d+(?:\.\d+)?", "#", answer)[:140]].append(side)
            path.unlink()
    return {"accepted": None, "refused": dict(refused), "seconds": round(time.monotonic() - started, 1)}


# ---- Measuring one case ---------------------------------------------------------------------------------

def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and every process under it (a loader subprocess counts too)."""
    parents: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as stat:
                    parents[int(stat.read().rsplit(")", 1)[1].split()[1])].append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += resident_mb(current)
        except OSError:
            continue
        pending += parents.get(current, [])
    return total


def trained_epochs(status: str) -> int | None:
    """The epochs a finished run reports ("Done: 2 epochs, …"), or None for any other ending."""
    found = re.match(r"Done: (\d+) epoch", status)
    return int(found.group(1)) if found else None


def run_case(case: str, args, files: dict, photos: list[str], env: dict) -> dict:
    from gradio_client import handle_file

    from tests.clients import local_client

    try:
        process, url, _ = launch(env)
    except SystemExit:  # other work may be mid-edit in the tree: one more try a minute later
        time.sleep(60)
        process, url, _ = launch(env)
    stop = threading.Event()
    memory: list[tuple[float, float]] = []  # (app and children, app alone)
    result: dict = {}
    trainings: list[dict] = []

    def sample_memory() -> None:
        while not stop.is_set():
            try:
                memory.append((tree_rss_mb(process.pid), resident_mb(process.pid)))
            except OSError:  # the app is gone
                stop.set()
                return
            if memory[-1][0] > args.safety_mb:
                result["cut_short_at_safety_mb"] = args.safety_mb
                stop.set()
            stop.wait(0.5)

    sampler = threading.Thread(target=sample_memory, daemon=True)  # from the start: the setup counts too
    sampler.start()
    try:
        local_client(url).predict(handle_file(photos[0]), api_name="/classify")  # warm, as load.py
        attacker = None if case == "baseline" else attacker_for(case, files, photos)
        clients = [local_client(url, "en") for _ in range(attacker.sessions)] if attacker else []
        if case == "heavy_model":
            result["setup"] = upload_costliest(clients[0], files["heavy"])

        def trainer() -> None:  # hostile_config: a student training once the attacker has uploaded
            client = local_client(url, "en")
            attacker.first_done.wait(timeout=30)
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.predict("live", TRAIN_EPOCHS, api_name="/train")[0]
                except Exception as problem:  # noqa: BLE001
                    status = message(problem)
                trainings.append({"seconds": round(time.perf_counter() - started, 1), "status": status[:120],
                                  "epochs_done": trained_epochs(status)})

        clicks, late_opened, late_failures = Clicks(), [], Counter()
        students, opened, open_failures = open_pages(url, args.students)
        threads = [threading.Thread(target=late_student, args=(url, late_opened, late_failures, stop), daemon=True)]
        threads += [threading.Thread(target=student, args=(clicks, client, n, photos, args.think, stop), daemon=True)
                    for n, client in enumerate(students)]
        if attacker:
            threads += attacker.threads(clients, stop)
        trainer_thread = threading.Thread(target=trainer, daemon=True) if case == "hostile_config" else None
        use, started, window_start = CpuUse(process.pid), time.monotonic(), len(memory)
        for thread in threads + ([trainer_thread] if trainer_thread else []):
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        wall = time.monotonic() - started
        cpu = use.cores(wall)
        for thread in threads:
            thread.join(timeout=60)
        if trainer_thread:
            trainer_thread.join(timeout=180)  # a run under way finishes (2 live epochs, photos maybe decoded)
        died = process.poll()  # the app ended by itself (a crash, the kernel's OOM killer)
    finally:
        stop.set()
        sampler.join(timeout=5)
        process.terminate()
        try:
            process.wait(timeout=30)
        except Exception:  # noqa: BLE001
            process.kill()
            process.wait(timeout=30)

    latencies = [value for values in clicks.latencies.values() for value in values]
    failures = dict(clicks.failures.most_common())
    peak = max((total for total, _ in memory), default=float("nan"))
    result.update({
        "seconds": round(wall, 1),
        "students": {"requests": len(latencies),
                     "p50_s": round(statistics.median(latencies), 3) if latencies else None,
                     "p95_s": percentile(latencies, 0.95),
                     "failures": failures,
                     "queue_full": sum(count for message, count in failures.items() if "queue" in message.lower()),
                     "endpoints": clicks.summary()},
        # Opening the page through gradio_client: the class before the case began, one student every 5 s during it.
        "page_opens": {"before_s": {"median": round(statistics.median(opened), 2), "max": round(max(opened), 2),
                                    "failures": dict(open_failures)},
                       "during_s": {"count": len(late_opened), "failures": dict(late_failures),
                                    "median": round(statistics.median(late_opened), 2) if late_opened else None,
                                    "max": round(max(late_opened), 2) if late_opened else None}},
        "attacker": attacker.summary() if attacker else None,
        "memory_mb": {"start": round(memory[0][0], 1) if memory else None,
                      "class_begins": round(memory[min(window_start, len(memory) - 1)][0], 1) if memory else None,
                      "peak": round(peak, 1),
                      "peak_app_alone": round(max((alone for _, alone in memory), default=float("nan")), 1),
                      "end": round(memory[-1][0], 1) if memory else None},
        "cpu": cpu,
        "app_exited_by_itself": died,
    })
    if trainer_thread:
        result["trainings"] = trainings
    result["targets"] = {
        "students_p95_at_most_3_s": bool(latencies) and percentile(latencies, 0.95) <= TARGET_P95_S,
        "peak_rss_at_most_3_gib": peak <= TARGET_RSS_MB,
        "students_no_failures": not failures,
    }
    if case == "hostile_config":
        result["targets"]["training_did_epochs_asked"] = bool(trainings) and all(
            run["epochs_done"] == TRAIN_EPOCHS for run in trainings)
    return result


def guarded(case: str, args, files: dict, photos: list[str], env: dict) -> dict:
    """run_case, or what went wrong (the next cases still run)."""
    try:
        return run_case(case, args, files, photos, env)
    except Exception as problem:  # noqa: BLE001
        return {"error": message(problem), "targets": {"case_ran": False}}
    except SystemExit as problem:  # launch(): the app exited before serving its page, twice
        return {"error": f"the app did not start: {problem}", "targets": {"case_ran": False}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES),
                        help="baseline is always measured too")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--safety-mb", type=float, default=8000,
                        help="a case whose server passes this RSS is cut short (the machine is shared)")
    args = parser.parse_args()
    cases = ["baseline"] + [case for case in args.cases if case != "baseline"]

    data_dir = Path(args.data_dir).resolve()
    photos = sample_photos(data_dir)
    # The app's usual decode cache, as benchmarks/load.py: a class that trains has decoded its photos once.
    env = {**os.environ, "FLOWER_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    with tempfile.TemporaryDirectory(prefix="abuse-") as folder:
        files = make_files(cases, Path(folder))
        sizes = {path.name: path.stat().st_size for value in files.values()
                 for path in (value if isinstance(value, list) else [value]) if path.is_file()}
        results = {case: guarded(case, args, files, photos, env) for case in cases}

    base = results["baseline"].get("students") or {}
    for case, result in results.items():
        students = result.get("students")
        if case != "baseline" and students and students["requests"] and base.get("requests"):
            students["p50_vs_baseline"] = round(students["p50_s"] / base["p50_s"], 2)
            students["p95_vs_baseline"] = round(students["p95_s"] / base["p95_s"], 2)
    flags = sorted(set(re.findall(r"avx512_bf16|amx_bf16", Path("/proc/cpuinfo").read_text())))
    print(json.dumps({
        "students": args.students, "seconds": args.seconds, "think_s": args.think,
        "cpu": {"cores": os.cpu_count(), "flags": flags},
        "attack_files_bytes": sizes,
        "cases": results,
        "all_targets_hold": all(all(result["targets"].values()) for result in results.values()),
    }, indent=1))


if __name__ == "__main__":
    main()
