"""Issue 5: a class of students on one server, through gradio_client against `python app.py`.

    python -m benchmarks.load --data-dir ../shared/flower_photos [--students 30] [--trainers 1]
        [--seconds 60] [--think 1 3] [--own [--own-share 0.5]]

Each simulated student is a gradio_client Client of its own (its own session) that, until time is
up, picks one of the light endpoints (LIGHT) at random with a real photo, waits for the answer, then
"thinks" for a uniform random time in [--think] seconds (a student looking at the result) before
the next click. Meanwhile `--trainers` students each click Train (the live preset) over and over.
Every failure is recorded with its message; the only acceptable one is the queue-full refusal.
The app's resident memory is sampled every 0.5 s from /proc. Prints one JSON object.

With --own (issue 36, a class building its own classes), `--own-share` of each student's clicks add
1-10 synthetic webcam photos (640x480 JPEGs, benchmarks/own_photos.py) to one of three classes of
their own through `/own_add` instead of a light endpoint, and each trainer first adds 3 x 30 such
photos, then trains the `small` preset on them (dataset "own") over and over. Every student's photos
are files of their own (copies that differ in a trailing byte string, as two webcams' captures
differ): Gradio keeps uploads of identical bytes at one path. An add that stores fewer photos than it
sent is counted as a failure. The light target then counts the light endpoints only; `/own_add` is
reported beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.app_latency import launch  # the same launch: a fresh `python app.py` process

# What students click; "Inside the network" (maps, filters, where it looked) included.
LIGHT = ("/convolve", "/augment", "/classify", "/feature_maps", "/filters", "/saliency")
OWN_ADD = "/own_add"  # with --own: a student adds photos to a class of their own
OWN_BATCH = (1, 10)  # photos a student adds in one click: one webcam capture up to a few files


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (its threads included), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample_photos(data_dir: Path, per_class: int = 4) -> list[str]:
    """The first `per_class` photos of every class folder: real photos of real sizes."""
    return [str(p) for folder in sorted(data_dir.iterdir()) if folder.is_dir()
            for p in sorted(folder.iterdir())[:per_class]]


def call(client, endpoint: str, rng: random.Random, photos: list[str]):
    """One student's click on `endpoint` with a random photo and the settings a student would pick."""
    from gradio_client import handle_file

    photo = handle_file(rng.choice(photos))
    if endpoint in ("/convolve", "/explain"):
        return client.predict(photo, rng.choice(["edge", "blur", "sharpen", "sobel_x"]), api_name=endpoint)
    if endpoint == "/augment":
        return client.predict(photo, True, 0.1, 0.2, 0.2, rng.randrange(1000), api_name=endpoint)
    return client.predict(photo, api_name=endpoint)


def add_own(client, rng: random.Random, own: dict[str, list[str]]) -> tuple[int, int]:
    """One student's click on Add: 1-10 of the webcam photos of one of their classes. Returns the
    photos sent and the session's photos after the call."""
    from gradio_client import handle_file

    name = rng.choice(sorted(own))
    chosen = rng.sample(own[name], min(len(own[name]), rng.randint(*OWN_BATCH)))
    _, summary = client.predict(name, [handle_file(path) for path in chosen], api_name=OWN_ADD)
    return len(chosen), summary["photos"]


class CpuUse:
    """Where the two cores went from now on: the app (serving and training) and these simulated
    students' clients, which share the machine with it in a benchmark (a real class runs them on 30 laptops)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.app, self.clients = cpu_seconds(pid), time.process_time()

    def cores(self, wall: float) -> dict:
        return {"app_cores": round((cpu_seconds(self.pid) - self.app) / wall, 2),
                "clients_cores": round((time.process_time() - self.clients) / wall, 2)}


class Clicks:
    """What simulated students' clicks on the light endpoints took, and how they failed (thread-safe)."""

    def __init__(self, own: list[dict[str, list[str]]] | None = None, own_share: float = 0.5):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.failures: Counter = Counter()
        self.lock = threading.Lock()
        # own: per student, class name -> their webcam photos, for /own_add clicks (None: light clicks only)
        self.own, self.own_share = own, own_share

    def student(self, url: str, number: int, photos: list[str], think, stop: threading.Event) -> None:
        """One student (a client of their own, es or en) clicking until `stop`; a page that does not open
        is counted as a failure, not lost with its thread."""
        from tests.clients import local_client

        rng = random.Random(number)
        try:
            client = local_client(url, rng.choice(["es", "en"]))
        except Exception as problem:  # noqa: BLE001 - counted like any other failure
            self.failed(f"page: {str(problem)[:120]}")
            return
        self.clicking(client, rng, photos, think, stop, own=self.own[number % len(self.own)] if self.own else None)

    def clicking(self, client, rng: random.Random, photos: list[str], think, stop: threading.Event,
                 describe=lambda problem: str(problem)[:120], own: dict[str, list[str]] | None = None) -> None:
        """A random light endpoint with a real photo (or, with `own` photos, sometimes Add), then `think`
        seconds looking at the answer, until `stop`; each failure counted as `describe` words it."""
        stop.wait(rng.uniform(0, think[1]))  # students do not all click in the same millisecond
        kept = 0  # with own photos: the session's photos so far
        while not stop.is_set():
            endpoint = self.pick(rng, own)
            started = time.perf_counter()
            try:
                if endpoint == OWN_ADD:
                    sent, now = add_own(client, rng, own)
                    if now - kept < sent:
                        self.failed(f"{OWN_ADD}: fewer photos stored than sent")
                    kept = now
                else:
                    call(client, endpoint, rng, photos)
                with self.lock:
                    self.latencies[endpoint].append(time.perf_counter() - started)
            except Exception as problem:  # noqa: BLE001 - every failure is counted with its message
                self.failed(f"{endpoint}: {describe(problem)}")
            stop.wait(rng.uniform(*think))

    def pick(self, rng: random.Random, own=None) -> str:
        """A light endpoint at random; with own photos, `/own_add` `own_share` of the time."""
        if own and rng.random() < self.own_share:
            return OWN_ADD
        return rng.choice(LIGHT)

    def failed(self, message: str) -> None:
        with self.lock:
            self.failures[message] += 1

    def summary(self) -> dict:
        return {name: {"requests": len(values), "p50_s": round(statistics.median(values), 3) if values else None,
                       "p95_s": percentile(values, 0.95)} for name, values in sorted(self.latencies.items())}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--trainers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--own", action="store_true", help="students add own photos; trainers train on theirs")
    parser.add_argument("--own-share", type=float, default=0.5, help="with --own: the share of /own_add clicks")
    args = parser.parse_args()
    from tests.clients import local_client

    data_dir = Path(args.data_dir).resolve()
    photos = sample_photos(data_dir)
    # The app's usual decode cache (FLOWER_CACHE_DIR or ~/.cache/flower_demo): a class that trains has
    # decoded the photos once already; app_latency.py measures the first-ever decode.
    env = {**os.environ, "FLOWER_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    process, url, _ = launch(env)

    own = own_folder = None
    if args.own:
        import tempfile

        from benchmarks.own_photos import (OWN_CLASSES, PER_CLASS, personal_copies, train_arguments,
                                           write_class_folders)

        own_folder = tempfile.TemporaryDirectory(prefix="load-own-")
        photos_of_class = write_class_folders(Path(own_folder.name) / "photos", OWN_CLASSES, PER_CLASS)
        own = [personal_copies(photos_of_class, Path(own_folder.name) / f"student{number}", PER_CLASS // 3)
               for number in range(args.students)]
        trainer_photos = [personal_copies(photos_of_class, Path(own_folder.name) / f"trainer{number}", PER_CLASS)
                          for number in range(args.trainers)]
    clicks = Clicks(own, args.own_share)
    trainings: list[dict] = []
    memory: list[float] = []
    stop = threading.Event()

    def trainer(number: int) -> None:
        client = local_client(url)
        if own:  # their three classes of 30 first, as a student does before Train
            from gradio_client import handle_file

            for name, paths in trainer_photos[number].items():
                try:
                    client.predict(name, [handle_file(path) for path in paths], api_name=OWN_ADD)
                except Exception as problem:  # noqa: BLE001 - counted; its Train then says what is missing
                    clicks.failed(f"{OWN_ADD} (trainer): {str(problem)[:120]}")
        while not stop.is_set():
            started = time.perf_counter()
            try:
                if own:
                    status = client.predict(*train_arguments("own"), api_name="/train")[0]
                else:
                    status = client.predict("live", 2, api_name="/train")[0]
                with clicks.lock:
                    trainings.append({"seconds": round(time.perf_counter() - started, 1), "status": status[:80]})
            except Exception as problem:  # noqa: BLE001
                clicks.failed(f"/train: {str(problem)[:120]}")

    def sample_memory() -> None:
        while not stop.is_set():
            memory.append(resident_mb(process.pid))
            stop.wait(0.5)

    # Warm up once (the shipped model loaded, the photos decoded for the live preset) before timing.
    warm = local_client(url)
    call(warm, "/classify", random.Random(0), photos)
    threads = [threading.Thread(target=sample_memory, daemon=True)]
    threads += [threading.Thread(target=trainer, args=(n,), daemon=True) for n in range(args.trainers)]
    threads += [threading.Thread(target=clicks.student, args=(url, n, photos, args.think, stop), daemon=True)
                for n in range(args.students)]
    use, started = CpuUse(process.pid), time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    cpu = use.cores(time.monotonic() - started)
    for thread in threads:
        thread.join(timeout=120)
    process.terminate()
    process.wait(timeout=30)
    if own_folder is not None:
        own_folder.cleanup()

    endpoints = clicks.summary()
    failures = clicks.failures
    queue_full = sum(count for message, count in failures.items() if "queue" in message.lower())
    result = {
        "students": args.students, "trainers": args.trainers, "seconds": args.seconds, "think_s": args.think,
        "endpoints": endpoints,
        "failures": dict(failures),
        "trainings_finished": trainings,
        "cpu": cpu,
        "memory_mb": {"start": round(memory[0], 1) if memory else None, "max": round(max(memory), 1) if memory else None,
                      "end": round(memory[-1], 1) if memory else None,
                      # the highest sample of every 30 s: whether the app levels off or keeps growing
                      "max_per_30_s": [round(max(memory[i : i + 60]), 1) for i in range(0, len(memory), 60)]},
    }
    if own:
        result["own"] = {"share": args.own_share, "photos_per_click": list(OWN_BATCH),
                         "trainer": " ".join(map(str, train_arguments("own")))}
    result["targets"] = {
        "no_failures_but_queue_full": sum(failures.values()) == queue_full,
        "light_p95_at_most_3_s": all(e["p95_s"] <= 3 for name, e in endpoints.items() if name in LIGHT),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
