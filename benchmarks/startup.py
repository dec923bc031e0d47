"""Issue 21: a class that starts clicking the moment the page first answers.

    python -m benchmarks.startup --data-dir ../shared/flower_photos [--students 30] [--seconds 30]
        [--think 1 3] [--endpoints /convolve /augment /classify] [--repeat 1] [--baseline REV]

Starts a fresh `python app.py` on a free port (FLOWER_DATA_DIR = --data-dir) and, as soon as GET /
first answers, lets `--students` gradio_client students (load.py's clicks, each its own session)
click from the first second: each picks one of --endpoints at random (by default the light ones
load.py clicks: /convolve, /augment, /classify; /explain is the Kernels tab's figures) with a real photo, waits for the answer, "thinks" for a uniform random time in [--think] seconds, and clicks
again until `--seconds` have passed since the page answered. One more client sends /classify the
moment the page answers and measures when that first classification comes back. Reports:
  page_s            process start until GET / answers 200;
  first_classify_s  process start until the first /classify answer (the call sent at page_s);
  endpoints         per endpoint, requests sent in the window: count, failures, median and p95 seconds,
                    and p95 of those sent in each 10 s of the window (where a slow start shows);
  cpu               cores used by the app and by these simulated clients (they share the machine here;
                    a real class runs them on 30 laptops).
With --baseline REV (a commit, e.g. main), the same measurement also runs on that commit's files
(`git archive REV`, the app as it was), alternating with the working tree, --repeat times each, and
`medians` gives each figure's median over the repeats. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.app_latency import ROOT, launch  # the same launch: a fresh `python app.py` process
from benchmarks.load import LIGHT, CpuUse, call, percentile, sample_photos  # load.py's students' clicks

WINDOW_S = 10  # the p95 of each 10 s of the window: where a slow start shows


def cpu_description() -> dict:
    """The machine: model name, cores, and the bf16 instruction sets oneDNN uses where they exist."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return {"model": model.group(1) if model else platform.processor(), "cores": os.cpu_count(),
            "bf16_flags": sorted(set(re.findall(r"\b(avx512_bf16|amx_bf16)\b", text))),
            "load_average_before": [round(value, 2) for value in os.getloadavg()]}


def extract(revision: str) -> tuple[Path, str]:
    """The files of `revision` (what `git archive` gives) in a fresh folder, and the full commit."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix=f"startup-{commit[:8]}-"))
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(folder)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {revision} failed")
    return folder, commit


def measure(root: Path, photos: list[str], args) -> dict:
    """One start of the app in `root` with a class clicking from the first second; see the docstring."""
    from tests.clients import local_client

    env = {**os.environ, "FLOWER_DATA_DIR": str(args.data_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    process, url, page_s = launch(env, root)
    page_up = time.monotonic()
    records: list[tuple[str, float, float]] = []  # endpoint, seconds after the page answered, latency
    failures: Counter = Counter()
    failed_at: list[float] = []  # seconds after the page answered that each failed request was sent
    first_classify: dict = {}
    lock = threading.Lock()
    stop = threading.Event()

    def first_classification() -> None:
        try:
            call(local_client(url, "en"), "/classify", random.Random(-1), photos)
            first_classify["s"] = round(page_s + time.monotonic() - page_up, 2)
        except Exception as problem:  # noqa: BLE001 - reported with its message
            first_classify["failure"] = str(problem)[:160]

    def student(number: int) -> None:
        rng = random.Random(number)
        try:
            client = local_client(url, rng.choice(["es", "en"]))
        except Exception as problem:  # noqa: BLE001
            with lock:
                failures[f"client: {str(problem)[:120]}"] += 1
            return
        stop.wait(max(0.0, page_up + rng.uniform(0, 1) - time.monotonic()))  # clicking from the first second
        while not stop.is_set():
            endpoint = rng.choice(args.endpoints)
            sent = time.monotonic()
            try:
                call(client, endpoint, rng, photos)
                with lock:
                    records.append((endpoint, sent - page_up, time.monotonic() - sent))
            except Exception as problem:  # noqa: BLE001 - every failure is counted with its message
                with lock:
                    failures[f"{endpoint}: {type(problem).__name__}: {str(problem)[:120]}"] += 1
                    failed_at.append(round(sent - page_up, 1))
            stop.wait(rng.uniform(*args.think))

    threads = [threading.Thread(target=first_classification, daemon=True)]
    threads += [threading.Thread(target=student, args=(n,), daemon=True) for n in range(args.students)]
    use = CpuUse(process.pid)
    for thread in threads:
        thread.start()
    stop.wait(args.seconds)
    stop.set()
    cpu = use.cores(time.monotonic() - page_up)
    for thread in threads:
        thread.join(timeout=120)
    process.terminate()
    process.wait(timeout=30)

    endpoints = {}
    for endpoint in args.endpoints:
        latencies = [latency for name, _, latency in records if name == endpoint]
        windows = [[latency for name, sent, latency in records
                    if name == endpoint and start <= sent < start + WINDOW_S]
                   for start in range(0, int(args.seconds), WINDOW_S)]
        endpoints[endpoint] = {
            "requests": len(latencies),
            "failures": sum(count for message, count in failures.items() if message.startswith(endpoint)),
            "p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "p95_s": percentile(latencies, 0.95) if latencies else None,
            f"p95_s_per_{WINDOW_S}_s": [percentile(window, 0.95) if window else None for window in windows]}
    return {"page_s": round(page_s, 2), "first_classify_s": first_classify.get("s"),
            "first_classify_failure": first_classify.get("failure"), "endpoints": endpoints,
            "failures": dict(failures), "failures_sent_at_s": sorted(failed_at), "cpu": cpu}


def medians(runs: list[dict], endpoints: list[str]) -> dict:
    """Each figure's median over repeated runs (the noise of one start on a shared machine is large)."""

    def median(values):
        values = [value for value in values if value is not None]
        return round(statistics.median(values), 3) if values else None

    return {"page_s": median([run["page_s"] for run in runs]),
            "first_classify_s": median([run["first_classify_s"] for run in runs]),
            "endpoints": {endpoint: {"p50_s": median([run["endpoints"][endpoint]["p50_s"] for run in runs]),
                                     "p95_s": median([run["endpoints"][endpoint]["p95_s"] for run in runs])}
                          for endpoint in endpoints},
            "worst_light_p95_s": median([max(e["p95_s"] or 0 for e in run["endpoints"].values()) for run in runs]),
            "failures": sum(sum(run["failures"].values()) for run in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("FLOWER_DATA_DIR"),
                        required="FLOWER_DATA_DIR" not in os.environ)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--endpoints", nargs="+", default=list(LIGHT),
                        choices=["/convolve", "/explain", "/augment", "/classify"])
    parser.add_argument("--repeat", type=int, default=1, help="starts of each variant (medians reported)")
    parser.add_argument("--baseline", metavar="REV", help="also measure this commit's app, e.g. main")
    args = parser.parse_args()
    args.data_dir = args.data_dir.resolve()
    photos = sample_photos(args.data_dir)

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip())
    variants = {"current": (ROOT, head + ("+uncommitted changes" if dirty else ""))}
    if args.baseline:
        folder, commit = extract(args.baseline)
        variants = {"baseline": (folder, commit), **variants}
    result = {"cpu": cpu_description(), "students": args.students, "seconds": args.seconds, "think_s": args.think,
              "endpoints": args.endpoints,
              "variants": {name: {"commit": commit, "runs": []} for name, (_, commit) in variants.items()}}
    for _ in range(args.repeat):
        for name, (root, _) in variants.items():  # alternating, so slow moments of the machine hit both
            result["variants"][name]["runs"].append(measure(root, photos, args))
            time.sleep(2)  # the last process's exit settles
    for variant in result["variants"].values():
        variant["medians"] = medians(variant["runs"], args.endpoints)
        variant["targets"] = {"light_p95_at_most_3_s": variant["medians"]["worst_light_p95_s"] <= 3,
                              "no_failures": variant["medians"]["failures"] == 0}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
