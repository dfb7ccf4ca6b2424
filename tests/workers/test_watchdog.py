"""The watchdog's judgement (workers/watchdog.py): only a connected worker with room, work
waiting and nothing taken for the whole stretch counts as stalled. The restart itself is tested
in the topology (tests/topology/test_topology.py), with a real worker and its supervisor."""

from __future__ import annotations

from workers.watchdog import Observation, StallClock

CONNECTED_AT = 100.0


def seen(now: float, **changes) -> Observation:
    values = {
        "now": now,
        "connected_since": CONNECTED_AT,
        "waiting": 3,
        "free_slots": 1,
        "last_received": 50.0,
    }
    values.update(changes)
    return Observation(**values)


def test_work_waiting_with_room_and_nothing_taken_is_a_stall_that_grows():
    clock = StallClock()
    assert clock.observe(seen(200.0)) == 0.0  # first sight starts the clock
    assert clock.observe(seen(205.0)) == 5.0
    assert clock.observe(seen(230.0)) == 30.0


def test_a_task_taken_during_the_stretch_starts_it_again():
    clock = StallClock()
    clock.observe(seen(200.0))
    assert clock.observe(seen(210.0, last_received=204.0)) == 0.0
    assert clock.observe(seen(215.0, last_received=204.0)) == 0.0  # a new stretch from 215
    assert clock.observe(seen(220.0, last_received=204.0)) == 5.0


def test_an_empty_queue_a_full_pool_or_an_unreadable_broker_is_no_stall():
    for change in ({"waiting": 0}, {"free_slots": 0}, {"waiting": None}):
        clock = StallClock()
        clock.observe(seen(200.0))
        assert clock.observe(seen(210.0, **change)) == 0.0, change
        assert clock.observe(seen(220.0)) == 0.0, change  # the stretch starts again


def test_a_worker_retrying_its_connection_is_not_judged_until_connected_long_enough():
    clock = StallClock()
    assert clock.observe(seen(200.0, connected_since=None)) == 0.0
    assert clock.observe(seen(210.0, connected_since=None)) == 0.0
    # connected again at 212: the stall counts from then, not from when the work arrived
    clock.observe(seen(213.0, connected_since=212.0))
    assert clock.observe(seen(222.0, connected_since=212.0)) == 9.0
