"""The per-minute limit: writes paced and deferred to the next run, FREQ_LIMIT waited out."""

from __future__ import annotations

from pathlib import Path

from support import REGION, Clock, harness, library

from ssj_bridge.api import ExitCode
from ssj_province_gd.simulator import Simulator


def test_a_library_larger_than_a_minute_allows_is_deferred_and_resumed_next_run(
        tmp_path: Path, clock: Clock) -> None:
    simulator = Simulator(region=REGION, tasks=2, calls_per_minute=10, clock=clock)
    with harness(tmp_path, simulator, calls_per_minute=10, read_reserve=4) as (runs, served):
        store = runs.new_store()
        runs.enqueue(store, library(15))

        first = runs.sync(served, store)
        assert first.exit == ExitCode.SET_ASIDE  # done, but writes deferred: exit 3
        assert (first.report.sent, first.report.deferred) == (6, 9)
        assert len(simulator.subjects) == 6

        clock.now += 60  # the next cron run, a minute later
        second = runs.sync(served, store)
        assert (second.report.sent, second.report.deferred) == (6, 3)

        clock.now += 60
        third = runs.sync(served, store)
        assert third.exit == ExitCode.OK
        assert (third.report.sent, third.report.deferred) == (3, 0)
        assert len(simulator.subjects) == 15
    # The client kept under the limit: the platform never had to refuse a call.
    assert simulator.freq_limited == 0


def test_reads_wait_for_the_next_minute_when_the_allowance_is_spent(
        tmp_path: Path, clock: Clock) -> None:
    simulator = Simulator(region=REGION, tasks=12, calls_per_minute=3, clock=clock)
    with harness(tmp_path, simulator, calls_per_minute=3, page_size=2,
                 max_minute_waits=50) as (runs, served):
        run = runs.sync(served, runs.new_store())
    assert run.exit == ExitCode.OK, run.report.error
    assert run.stored("task-listing") == simulator.expected_keys("task-listing")
    assert clock.slept, "the client never waited for a new minute"
    assert all(abs((clock.now - sum(clock.slept[i + 1:])) % 60 - 0.05) < 1e-6
               for i in range(len(clock.slept)))  # every wait ended as a minute began
    assert simulator.freq_limited == 0


def test_freq_limit_is_waited_out_until_the_next_minute_then_the_call_repeats(
        tmp_path: Path, clock: Clock) -> None:
    # The operator lowered the app's limit without telling us: the platform says FREQ_LIMIT.
    simulator = Simulator(region=REGION, tasks=12, calls_per_minute=2, clock=clock)
    with harness(tmp_path, simulator, calls_per_minute=100, page_size=2,
                 max_minute_waits=50) as (runs, served):
        run = runs.sync(served, runs.new_store())
    assert run.exit == ExitCode.OK, run.report.error
    assert simulator.freq_limited >= 1
    assert run.stored("task-listing") == simulator.expected_keys("task-listing")
    assert len(clock.slept) == simulator.freq_limited
    assert all(0 < seconds <= 60.05 for seconds in clock.slept)


def test_a_run_waits_for_at_most_the_configured_number_of_new_minutes(
        tmp_path: Path, clock: Clock) -> None:
    simulator = Simulator(region=REGION, tasks=30, calls_per_minute=1, clock=clock)
    with harness(tmp_path, simulator, calls_per_minute=1, page_size=1,
                 max_minute_waits=2) as (runs, served):
        run = runs.sync(served, runs.new_store())
    assert run.exit == ExitCode.UNAVAILABLE  # try again next run: 75
    assert "next run" in (run.report.error or "")
    assert len(clock.slept) == 2
