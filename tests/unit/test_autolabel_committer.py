"""The hand-over between a run's worker slots and its committer: bounded, batched, closable."""

from __future__ import annotations

import threading

import pytest

from avala_desktop.jobs.committer import Handover


def test_a_full_handover_holds_producers_back_until_the_committer_takes() -> None:
    handover: Handover[int] = Handover(3)
    accepted: list[int] = []
    room = threading.Condition()

    def produce() -> None:
        for i in range(10):
            assert handover.put(i)
            with room:
                accepted.append(i)
                room.notify_all()

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    with room:
        assert room.wait_for(lambda: len(accepted) == 3, timeout=10)
    producer.join(0.3)  # it would finish here if nothing held it back
    assert producer.is_alive() and accepted == [0, 1, 2]

    taken = handover.take(timeout=5, limit=2)
    assert taken == [0, 1]  # never more than asked for, in order
    with room:
        assert room.wait_for(lambda: len(accepted) == 5, timeout=10)
    producer.join(0.3)
    assert accepted == [0, 1, 2, 3, 4]
    assert handover.take(timeout=5, limit=32) == [2, 3, 4]

    got: list[int] = []
    while len(got) < 5:
        got += handover.take(timeout=5, limit=32, linger=0.01)
    producer.join(10)
    assert got == [5, 6, 7, 8, 9] and not producer.is_alive()
    assert handover.take(timeout=0.01, limit=32) == []


def test_closing_releases_blocked_producers_and_drain_keeps_what_was_handed_over() -> None:
    handover: Handover[str] = Handover(2)
    assert handover.put("a") and handover.put("b")
    outcome: list[bool] = []
    blocked = threading.Thread(target=lambda: outcome.append(handover.put("c")), daemon=True)
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # full: the third producer waits

    handover.close()
    blocked.join(10)
    assert outcome == [False]  # dropped, not blocked for good
    assert handover.drain() == ["a", "b"]  # what was handed over before the close survives
    assert handover.put("d") is False and handover.empty()


def test_a_handover_needs_room() -> None:
    with pytest.raises(ValueError):
        Handover(0)
