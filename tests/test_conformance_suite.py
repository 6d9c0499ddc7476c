"""The conformance suite itself: it fails adapters that break the rules, it skips only what a
target declares not applicable, and the forced faults of a simulator behave as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_conformance_permit import permit_target

from ssj_bridge.errors import PermanentError, TransientError
from ssj_bridge.platform.adapter import Batch, Fetched
from ssj_bridge.testing.conformance import ConformanceSuite, ConformanceTarget
from ssj_bridge.testing.controls import PERMANENT, RATE_LIMIT, TRANSIENT, ForcedFaults
from ssj_bridge.testing.harness import Harness
from ssj_permit.client import PermitClient
from ssj_permit.mapping import map_record
from ssj_permit.stream import PermitStream


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """The permit adapter's target."""
    return permit_target()


@pytest.fixture
def harness(conformance_target: ConformanceTarget, tmp_path: Path) -> Iterator[Harness]:
    runs = conformance_target.harness(tmp_path)
    yield runs
    runs.close()


def naive_offset_paging(self: PermitStream, cursor: str | None) -> Iterator[Batch]:
    """Page 1, 2, 3 … over the live listing, ignoring the cursor: what permit.md warns of."""
    page = 1
    while True:
        data = self.client.list_permits(self.context.region_code, updated_since=None,
                                        page_no=page, page_size=self.config.page_size)
        batch = Batch("permit")
        for index, raw in enumerate(data["records"]):
            mapped = map_record(raw, f"{page}#{index}", frozenset())
            (batch.records if isinstance(mapped, Fetched) else batch.rejects).append(mapped)
        yield batch
        if len(data["records"]) < self.config.page_size:
            return
        page += 1


def test_naive_offset_paging_fails_the_live_update_check(
        conformance_target: ConformanceTarget, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PermitStream, "read", naive_offset_paging)
    with pytest.raises(AssertionError, match="were not stored"):
        ConformanceSuite().test_paging_under_live_updates_loses_nothing_and_counts_nothing_twice(
            conformance_target, harness)


def test_a_stream_that_ignores_its_cursor_fails_the_future_cursor_check(
        conformance_target: ConformanceTarget, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PermitStream, "read", naive_offset_paging)
    with pytest.raises(AssertionError, match="yields"):
        ConformanceSuite().test_cursor_in_the_future_yields_nothing(conformance_target, harness)


def test_a_client_that_retries_permanent_errors_fails_the_check(
        conformance_target: ConformanceTarget, harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    original = PermitClient._data

    def retry_everything(self: PermitClient, response: object, what: str) -> object:
        try:
            return original(self, response, what)  # type: ignore[arg-type]
        except PermanentError as exc:
            raise TransientError(str(exc)) from exc

    monkeypatch.setattr(PermitClient, "_data", retry_everything)
    with pytest.raises(AssertionError, match="retried"):
        ConformanceSuite().test_permanent_error_is_not_retried(conformance_target, harness)


def test_a_check_declared_not_applicable_is_skipped_with_its_reason(
        conformance_target: ConformanceTarget, harness: Harness) -> None:
    with pytest.raises(pytest.skip.Exception, match="nothing is signed"):
        ConformanceSuite().test_every_request_is_signed_and_a_stale_signature_is_renewed(
            conformance_target, harness)


def test_an_unknown_capability_is_refused(conformance_target: ConformanceTarget) -> None:
    with pytest.raises(ValueError, match="unknown capabilities"):
        ConformanceTarget(spec=conformance_target.spec, region_code="371000", capabilities={"sgning": False})


def test_forced_faults_are_served_in_order_and_counted() -> None:
    faults = ForcedFaults()
    faults.force(TRANSIENT, 2)
    faults.force(PERMANENT)
    taken = [faults.take() for _ in range(4)]
    assert [f.kind if f else None for f in taken] == [TRANSIENT, TRANSIENT, PERMANENT, None]
    assert faults.served == {TRANSIENT: 2, PERMANENT: 1}
    with pytest.raises(ValueError, match="not one of"):
        faults.force("teapot")


def test_a_call_sooner_than_retry_after_counts_as_an_early_retry() -> None:
    faults = ForcedFaults()
    faults.force(RATE_LIMIT, retry_after=30)
    assert faults.take() is not None
    assert faults.take() is None  # came back at once
    assert faults.early_retries == 1
    faults.force(RATE_LIMIT, retry_after=0)
    faults.take()
    faults.take()
    assert faults.early_retries == 1
