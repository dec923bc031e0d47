"""The training slot's waiting line as the Training and Compare tabs show it, and each session's run.

One `SessionRuns` per kind of run (a training, a comparison): a session has at most one of each, and
Stop reaches only that student's. `wait_in_line` is the loop both tabs run while others train.
"""

from __future__ import annotations

import asyncio
import threading

from flower_demo import config
from flower_demo.i18n import translate


def duration(seconds: float | None) -> str:
    """Seconds as a student reads them: "45 s", "3 min 05 s"; "…" when not known yet."""
    if seconds is None:
        return "…"
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def training_slots() -> int:
    """Runs that train at once: one in this process; with a cluster, as many as it has room for now."""
    if not config.ray_address():
        return 1
    from flower_demo.train import cluster

    try:
        return cluster.room()
    except (ImportError, RuntimeError, ConnectionError):  # no Ray, or the cluster is gone: the run will say so
        return 1


def line_status(ticket, lang: str) -> str | None:
    """While `ticket` waits for a training slot: its place and about how long (Stop leaves the line);
    None once it is its turn."""
    from flower_demo.train import turns

    slots = training_slots()
    if not turns.LINE.ahead(ticket, slots):
        return None
    ahead, seconds = turns.LINE.wait_estimate(ticket, slots)
    return translate("status_waiting", lang, count=ahead, wait=duration(seconds))


class Claim:
    """A session's place for one run: Stop reaches whatever run it follows now, or takes it out of the
    line before any run started (a comparison's two runs follow each other under one claim)."""

    def __init__(self):
        self.stopping = False
        self._run = None
        self._lock = threading.Lock()

    def follow(self, run) -> None:
        """Makes `run` the one Stop reaches; stops it at once if Stop came first."""
        with self._lock:
            self._run, stopping = run, self.stopping
        if stopping:
            run.stop()

    def stop(self) -> None:
        with self._lock:
            self.stopping, run = True, self._run
        if run is not None:
            run.stop()  # a finished run ignores it

    @property
    def run(self):
        return self._run


class SessionRuns:
    """Each session's run of one kind: a second click while one runs is refused, Stop reaches only the
    clicking session's run."""

    def __init__(self):
        self._claims: dict[str, Claim] = {}
        self._lock = threading.Lock()

    def claim(self, session: str) -> Claim | None:
        """A new claim for `session`, or None while it has one (its run is not finished)."""
        with self._lock:
            if session in self._claims:
                return None
            claim = self._claims[session] = Claim()
            return claim

    def release(self, session: str, claim: Claim) -> None:
        with self._lock:
            if self._claims.get(session) is claim:
                del self._claims[session]

    def stop(self, session: str | None) -> None:
        """Stops `session`'s run after its current batch (or takes it out of the line); harmless without one."""
        with self._lock:
            claim = self._claims.get(session)
        if claim is not None:
            claim.stop()

    def runs(self) -> list:
        """The runs under way (for tests and the load benchmark)."""
        with self._lock:
            return [claim.run for claim in self._claims.values() if claim.run is not None]

    def __len__(self) -> int:
        with self._lock:
            return len(self._claims)


async def wait_in_line(ticket, claim: Claim, language):
    """Yields the student's place in line and wait about once a second until it is their turn, or until
    they press Stop (then `claim.stopping` is True and the caller says they left the line).

    `language()` gives the page's language at each update: a switch made while waiting shows at once.
    """
    while (status := line_status(ticket, language())) is not None:
        if claim.stopping:
            return
        yield status
        await asyncio.sleep(config.LINE_STATUS_SECONDS)  # on the event loop: no worker thread waits
