"""flower_demo.train.turns: first come, first served, with one slot (this process) or several (a cluster)."""

from __future__ import annotations

import pytest

from flower_demo.train import turns


def test_one_slot_lets_the_first_train_and_the_next_wait_for_it():
    line = turns.Line()
    first, second = line.join(60.0), line.join(30.0)
    assert line.ahead(first) == [] and first.turn_started is not None
    assert line.ahead(second) == [first] and second.turn_started is None
    count, seconds = line.wait_estimate(second)
    assert count == 1 and seconds == pytest.approx(60.0, abs=1.0)
    line.leave(first)
    assert line.ahead(second) == [] and len(line) == 1


def test_several_slots_share_the_line_in_order():
    line = turns.Line()
    tickets = [line.join(seconds) for seconds in (100.0, 40.0, 70.0, 10.0)]
    assert [line.ahead(ticket, capacity=2) == [] for ticket in tickets] == [True, True, False, False]
    # The third starts when the second run's slot frees (40 s); the fourth when the next one does: the
    # third then holds that slot until 40 + 70 = 110 s, the first's frees at 100 s.
    assert line.wait_estimate(tickets[2], capacity=2) == (2, pytest.approx(40.0, abs=1.0))
    assert line.wait_estimate(tickets[3], capacity=2) == (3, pytest.approx(100.0, abs=1.0))
    assert line.ahead(tickets[3], capacity=3) == tickets[:3]  # more room: still behind three
    assert line.ahead(tickets[3], capacity=4) == []


def test_a_ticket_that_left_has_nobody_ahead():
    line = turns.Line()
    ticket = line.join(5.0)
    line.leave(ticket)
    line.leave(ticket)  # twice is harmless (a stop, then the tab closed)
    assert line.ahead(ticket, capacity=1) == [] and len(line) == 0
