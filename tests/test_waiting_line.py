"""Each session's run and the waiting loop the Training and Compare tabs share (flower_demo/tabs/waiting_line.py)."""

from __future__ import annotations

import asyncio
import inspect

from flower_demo import config
from flower_demo.tabs import compare, training, waiting_line
from flower_demo.train import turns


class FakeRun:
    def __init__(self):
        self.stopping = False

    def stop(self):
        self.stopping = True


def test_a_session_has_one_run_of_a_kind_and_stop_reaches_only_its_own():
    registry = waiting_line.SessionRuns()
    first, other = registry.claim("a"), registry.claim("b")
    assert registry.claim("a") is None  # a second click while the first run goes on
    runs = {name: FakeRun() for name in "ab"}
    first.follow(runs["a"])
    other.follow(runs["b"])
    registry.stop("a")
    assert runs["a"].stopping and not runs["b"].stopping
    assert registry.runs() == [runs["a"], runs["b"]] and len(registry) == 2
    registry.release("a", first)
    assert len(registry) == 1 and registry.claim("a") is not None
    registry.stop("nobody")  # harmless


def test_stop_before_a_run_starts_stops_the_run_it_then_follows():
    """A comparison pressed Stop while in line or between its two runs: the next run stops at once."""
    claim = waiting_line.SessionRuns().claim("a")
    claim.stop()
    run = FakeRun()
    claim.follow(run)
    assert claim.stopping and run.stopping


def test_an_old_claim_does_not_release_a_newer_one():
    registry = waiting_line.SessionRuns()
    old = registry.claim("a")
    registry.release("a", old)
    new = registry.claim("a")
    registry.release("a", old)  # the old run's `finally` running late
    assert len(registry) == 1 and registry.claim("a") is None and new is not None


def test_waiting_in_line_says_the_place_in_the_pages_language_until_stop(monkeypatch):
    monkeypatch.setattr(config, "LINE_STATUS_SECONDS", 0.001)
    line = turns.Line()
    monkeypatch.setattr(turns, "LINE", line)
    ahead = line.join(60)
    mine = line.join(60)
    claim = waiting_line.Claim()
    page = ["en"]

    async def collect():
        texts = []
        async for text in waiting_line.wait_in_line(mine, claim, lambda: page[0]):
            texts.append(text)
            page[0] = "es"  # the student switched the page's language while waiting
            if len(texts) == 3:
                claim.stop()
        return texts

    texts = asyncio.run(collect())
    assert texts == [waiting_line.line_status(mine, "en"), *[waiting_line.line_status(mine, "es")] * 2]
    assert "1" in texts[0] and texts[0] != texts[1] and claim.stopping
    line.leave(ahead)

    async def first_in_line():
        return [text async for text in waiting_line.wait_in_line(mine, waiting_line.Claim(), lambda: "en")]

    assert asyncio.run(first_in_line()) == []  # its turn: nothing to wait for


def test_training_and_compare_share_one_registry_kind_and_run_on_the_event_loop():
    assert isinstance(training.RUNS, waiting_line.SessionRuns) and isinstance(compare.RUNS, waiting_line.SessionRuns)
    assert training.RUNS is not compare.RUNS  # a student may train while comparing: Stop on each tab is its own
    assert inspect.isasyncgenfunction(training.train) and inspect.isasyncgenfunction(compare.compare)


def test_durations_read_as_a_student_reads_them():
    assert [waiting_line.duration(s) for s in (None, 4.6, 59.4, 185)] == ["…", "5 s", "59 s", "3 min 05 s"]
