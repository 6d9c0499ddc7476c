"""The conformance suite every adapter package runs against its own simulator.

An adapter package enables it in its tests with a target and a subclass::

    # tests/conftest.py
    pytest_plugins = ["ssj_bridge.testing.conformance"]

    @pytest.fixture
    def conformance_target() -> ConformanceTarget:
        return ConformanceTarget(spec=..., region_code="440305", settings={...})

    # tests/test_conformance.py
    class TestConformance(ConformanceSuite):
        pass

Each check runs the real sync engine against the simulator on 127.0.0.1 (ssj_bridge.testing.
harness). A check that does not apply to a platform (signing where nothing is signed, writes
where nothing is written) is skipped because the target declares it so, with the reason, and
never passes silently; every capability not declared is checked.

The suite does not rely on the fixtures an adapter's author writes to be hostile: it makes its
own hostile cases from what the target declares of the platform. It ends sessions at several
points of a run (not only between pages), loses the answers to writes after the platform
applied them and checks the retries carry the same idempotency key (`write_key` finds it in a
request), runs the platform's clock an hour behind this machine's (a cursor must come from the
data, never from the local clock), checks that a second run reads on from its cursor instead
of from the start, and that every write entity of the adapter comes with a good and a bad
sample. From the target's declarations of the platform's paging (`PagingModel`) and error
model (`ErrorModel`) it serves pages shorter than asked mid-listing, every record a second
time and changed records' older versions after the newer, and an answer carrying a code the
platform does not list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from ssj_bridge.errors import ExitCode
from ssj_bridge.model import CanonicalModel, beijing_now, iso_beijing
from ssj_bridge.model.schemas import canonical_schemas
from ssj_bridge.platform.adapter import (
    AdapterSpec,
    Batch,
    BatchSink,
    Fetched,
    Reconcilable,
    Stream,
    Writes,
)
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.settings import is_secret_name
from ssj_bridge.simulation.server import SimRequest, SimResponse
from ssj_bridge.store.schema import source_records
from ssj_bridge.testing.controls import (
    PERMANENT,
    RATE_LIMIT,
    STALE_SIGNATURE,
    TRANSIENT,
    UNDECLARED_CODE,
    SimulatorControls,
)
from ssj_bridge.testing.harness import Harness, Served, SyncRun, WriteSamples

# What a target may declare not applicable, and what each one means.
CAPABILITIES = {
    "reads": "the adapter reads streams into the store",
    "writes": "the adapter sends outbox items through sinks",
    "auth": "the platform checks credentials",
    "reauth": "the platform gives out sessions (tokens) it can end in the middle of a run",
    "signing": "every request is signed and a stale signature is refused",
    "retry_after": "the platform's rate-limit answer carries Retry-After",
    "live_updates": "records can change on the platform while a client pages",
    "incremental": "streams read on from a cursor instead of whole every run",
    "bad_records": "the platform can serve records that are wrong at the source",
    "write_rejects": "the platform refuses single writes and says why",
    "platform_contract": "contracts/ fixes the format of the platform's records",
    "request_ids": "each write carries an idempotency key the platform remembers",
    "listings": "the adapter lists what the platform holds, for `reconcile`",
}

# How long the platform's clock runs behind this machine's in the clock check.
CLOCK_BEHIND = 3600.0
# Sessions ended during a run: before the second request and then every few requests.
REVOKE_EVERY = 4
REVOKE_AT_MOST = 4

WriteKey = Callable[[SimRequest], str | None]


def json_body_key(field: str) -> WriteKey:
    """A `write_key` for platforms whose writes are JSON bodies carrying the key in `field`."""
    def key(request: SimRequest) -> str | None:
        if request.method not in ("POST", "PUT", "PATCH") or not request.body.startswith(b"{"):
            return None
        try:
            value = orjson.loads(request.body).get(field)
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return str(value) if value not in (None, "") else None
    return key

PayloadValidator = Callable[[bytes], list[str]]

# How a listing ends, as a PagingModel declares it.
SHORT_PAGE = "short_page"
NEXT_MARKER = "next_marker"
PAGE_ENDS = {
    SHORT_PAGE: "a page is served as full as asked except the last: the first short page ends "
                "the listing (offset paging, pageNo/pageSize)",
    NEXT_MARKER: "only a page without a next-page marker ends the listing: any page may be "
                "shorter than asked",
}


@dataclass(frozen=True)
class PagingModel:
    """How the platform's listings page, as its interface document says.

    - `ends_with`: SHORT_PAGE or NEXT_MARKER (`PAGE_ENDS`); where a next-page marker ends a listing,
      the suite has the simulator serve short pages mid-listing (`SimulatorControls.short_pages`);
    - `page_size_setting`: the adapter's setting (in the target's `settings`) of how many
      records a page asks for;
    - `source`: where the document says so (named when a check does not apply).
    """

    ends_with: str
    page_size_setting: str = "page_size"
    source: str = ""

    def __post_init__(self) -> None:
        if self.ends_with not in PAGE_ENDS:
            raise ValueError(f"ends_with {self.ends_with!r} is not one of {', '.join(PAGE_ENDS)}")


@dataclass(frozen=True)
class ErrorModel:
    """How the platform says a call failed, as its interface document lists it.

    - `codes`: every code the document lists (success included), as text;
    - `answer`: the platform's answer carrying `code` (status, body, headers), e.g. HTTP 200
      with the envelope `{"code": code, ...}`: the suite serves it with a code `codes` does
      not hold, which a client must not take as success nor retry as if transient.
    """

    codes: Collection[str]
    answer: Callable[[str], SimResponse]

    def undeclared(self) -> str:
        """A code shaped like the declared ones that the declaration does not list."""
        return undeclared_code(self.codes)


def undeclared_code(codes: Collection[str]) -> str:
    """A code shaped like `codes` but not one of them: digits for numeric codes (the leading
    digit of the client errors, then nines: 40001 → 49999, 404 → 499), a prefix and nines for
    "E101"-like codes, else a word."""
    declared = {str(code) for code in codes}
    shapes = [re.fullmatch(r"([A-Za-z_]*)([0-9]+)", code) for code in declared]
    if declared and all(shapes):
        found = [shape for shape in shapes if shape is not None]
        width = max(len(shape.group(2)) for shape in found)
        prefixes = sorted({shape.group(1) for shape in found})
        for prefix in prefixes:
            for lead in "4598":
                candidate = prefix + lead + "9" * (width - 1)
                if candidate not in declared:
                    return candidate
    word = "UNLISTED_CODE"
    while word in declared:
        word += "_X"
    return word if not declared or any(c.isupper() for c in "".join(declared)) else word.lower()


def _next_day(_stored: str | None) -> str:
    return iso_beijing(beijing_now() + timedelta(days=1))


@dataclass(frozen=True)
class ConformanceTarget:
    """One adapter and its simulator, as an adapter package hands them to the suite.

    - `spec`: the adapter's AdapterSpec (its `simulator` builds the simulator unless
      `simulator` is given here);
    - `region_code`: the deployment's region the runs use;
    - `options`: simulator options for every check (a small dataset, no rate limit);
    - `bad_record_options`: options under which the simulator serves records that are wrong
      at the source;
    - `settings`: fields of the adapter's settings section beside the base URL and the
      simulator's credentials (fast retries, small pages);
    - `capabilities`: capability → False for what does not apply (`CAPABILITIES`), with the
      reason in `reasons`;
    - `writes`: the writes to queue (good ones and ones the platform refuses), given the
      running simulator;
    - `contracts`: entity → JSON Schema file of the platform's record (contracts/…), or
      `payload_validators`: entity → a function listing what is wrong with a raw payload;
    - `future_cursor`: from a stream's stored cursor, a cursor later than every record;
    - `write_key`: the idempotency key of a write request (None for other requests), e.g.
      `json_body_key("requestId")`; needed where `request_ids` applies;
    - `unsampled_writes`: write entity → why the target gives no good or bad sample of it
      (each entity the adapter writes needs both, unless named here);
    - `paging`: how the platform's listings page and end (PagingModel), needed where `reads`
      applies; `errors`: the codes it answers with (ErrorModel). From them the suite makes
      short pages, and answers carrying a code the platform does not declare.
    """

    spec: AdapterSpec
    region_code: str
    options: Mapping[str, Any] = field(default_factory=dict)
    bad_record_options: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    capabilities: Mapping[str, bool] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)
    writes: Callable[[SimulatorControls], WriteSamples] | None = None
    contracts: Mapping[str, Path] = field(default_factory=dict)
    payload_validators: Mapping[str, PayloadValidator] = field(default_factory=dict)
    future_cursor: Callable[[str | None], str] = _next_day
    write_key: WriteKey | None = None
    unsampled_writes: Mapping[str, str] = field(default_factory=dict)
    simulator: Callable[[Mapping[str, Any]], Any] | None = None
    org_code: str | None = None  # default: an authority of `region_code`
    org_name: str | None = "生态环境局"
    paging: PagingModel | None = None
    errors: ErrorModel | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.capabilities) - set(CAPABILITIES))
        if unknown:
            raise ValueError(f"unknown capabilities {unknown}; known: {', '.join(CAPABILITIES)}")

    def declared_paging(self) -> PagingModel:
        """The paging model, which every target that reads declares."""
        if self.paging is None:
            raise AssertionError(f"{self.spec.name}: 'reads' applies but the target declares "
                                 "no `paging` (PagingModel): how its listings page and end")
        return self.paging

    def applies(self, capability: str) -> bool:
        """Whether the check of `capability` runs (everything not declared False does)."""
        return self.capabilities.get(capability, True)

    def require(self, *capabilities: str) -> None:
        """Skip the calling check, naming the declaration, when one of these does not apply."""
        for capability in capabilities:
            if not self.applies(capability):
                why = self.reasons.get(capability, "no reason given")
                pytest.skip(f"{self.spec.name}: {capability!r} ({CAPABILITIES[capability]}) "
                            f"declared not applicable: {why}")

    def harness(self, workdir: Path) -> Harness:
        """A harness for this target's runs in `workdir`."""
        simulator = self.simulator or self.spec.simulator
        if simulator is None:
            raise AssertionError(f"adapter {self.spec.name!r} registers no simulator and the "
                                 "target gives none: the suite needs one")
        return Harness(self.spec, workdir, self.region_code, simulator, self.options,
                       self.settings, self.org_code or f"11{self.region_code}MB0000000E",
                       self.org_name)


@pytest.fixture
def conformance_target() -> ConformanceTarget:
    """Overridden by the adapter package: the adapter and simulator the suite checks."""
    raise pytest.UsageError("define a `conformance_target` fixture returning a ConformanceTarget "
                            "(see ssj_bridge.testing.conformance)")


class ConformanceSuite:
    """The checks; subclass it in a test module of the adapter package to run them."""

    @pytest.fixture
    def harness(self, conformance_target: ConformanceTarget, tmp_path: Path
                ) -> Iterator[Harness]:
        """Simulators and stores of one check, stopped and closed after it."""
        harness = conformance_target.harness(tmp_path)
        try:
            yield harness
        finally:
            harness.close()

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _samples(target: ConformanceTarget, served: Served) -> WriteSamples:
        if not target.applies("writes"):
            return WriteSamples()
        if target.writes is None:
            raise AssertionError(f"{target.spec.name}: 'writes' applies but the target gives no "
                                 "write samples; set `writes=` or declare writes False")
        samples = target.writes(served.app)
        assert samples.good, f"{target.spec.name}: the write samples hold no good write"
        return samples

    def _clean_run(self, target: ConformanceTarget, harness: Harness,
                   **options: Any) -> tuple[Served, SyncRun]:
        """A sync of good data (and good writes) that must end with exit 0."""
        served = harness.serve(**options)
        store = harness.new_store()
        harness.enqueue(store, self._samples(target, served).good)
        run = harness.sync(served, store)
        assert run.exit == ExitCode.OK, f"a clean sync exits {int(run.exit)}: {run.report.error}"
        return served, run

    @staticmethod
    def _expected(target: ConformanceTarget, served: Served, entities: set[str]
                  ) -> dict[str, set[str]]:
        if not target.applies("reads"):
            return {}
        expected = {entity: set(served.app.expected_keys(entity)) for entity in entities}
        assert any(expected.values()), (f"{target.spec.name}: the simulator expects no record "
                                        "of any entity; give it a dataset in `options`")
        return expected

    @staticmethod
    def _entities(harness: Harness, served: Served) -> set[str]:
        store = harness.new_store()
        with harness.adapter(served, store) as adapter:
            return {stream.entity for stream in adapter.streams()}

    @staticmethod
    def _assert_complete(run: SyncRun, expected: Mapping[str, set[str]]) -> None:
        for entity, keys in expected.items():
            missing = keys - run.stored(entity)
            assert not missing, (f"{len(missing)} {entity} records the platform holds were not "
                                 f"stored, e.g. {sorted(missing)[:3]}")

    @staticmethod
    def _assert_writes_accepted(harness: Harness, run: SyncRun, samples: WriteSamples) -> None:
        if samples.good:
            assert harness.pending(run.store) == 0, "writes are still pending after the sync"
            assert run.report.sent >= len(samples.good), (
                f"{run.report.sent} writes accepted of {len(samples.good)} sent")

    # -- authentication and signing -----------------------------------------------------------

    def test_wrong_credentials_exit_78_naming_the_setting_without_the_secret(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Credentials the platform refuses: configuration error, the variable named."""
        conformance_target.require("auth")
        served = harness.serve()
        store = harness.new_store()
        harness.enqueue(store, self._samples(conformance_target, served).good)
        real = dict(served.app.demo_credentials())
        secret_names = [n for n in real if is_secret_name(n)] or list(real)
        wrong = {**real, **{n: f"wrong-{n}-Xq7v" for n in secret_names}}
        run = harness.sync(served, store, credentials=wrong)
        assert run.exit == ExitCode.CONFIGURATION, (
            f"refused credentials exit {int(run.exit)}, not 78: {run.report.error}")
        prefix = f"SSJ_{harness.role.upper()}__"
        assert run.report.error and prefix in run.report.error, (
            f"the error does not name an {prefix}… setting: {run.report.error}")
        for name in secret_names:
            for value in (real[name], wrong[name]):
                assert value not in run.report.error, f"the error shows the {name}"

    def test_sessions_ended_at_any_request_are_renewed(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """The platform ends every session before the second request and every few requests
        after it (mid-page, mid-write): the client signs in again each time, nothing is lost."""
        conformance_target.require("auth", "reauth")
        served = harness.serve()
        entities = self._entities(harness, served) if conformance_target.applies("reads") else set()
        expected = self._expected(conformance_target, served, entities)
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        ended: list[int] = []
        calls: list[int] = []

        def end_sessions() -> None:
            calls.append(1)
            # Before the second request, then every few: a new session is always used once.
            if (len(calls) - 2) % REVOKE_EVERY == 0 and len(ended) < REVOKE_AT_MOST:
                served.app.revoke_credentials()
                ended.append(len(calls))

        served.before_request = end_sessions
        run = harness.sync(served, store)
        served.before_request = None
        assert ended, "the run made fewer than two requests: no session was ended"
        assert run.exit == ExitCode.OK, (f"sessions ended before requests {ended}: exit "
                                         f"{int(run.exit)}: {run.report.error}")
        self._assert_complete(run, expected)
        self._assert_writes_accepted(harness, run, samples)

    def test_revoked_session_mid_run_is_renewed_and_nothing_is_lost(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """The platform ends the session after the first page: the client signs in again."""
        conformance_target.require("auth", "reauth", "reads")
        served = harness.serve()
        entities = self._entities(harness, served)
        expected = self._expected(conformance_target, served, entities)
        store = harness.new_store()
        revoked: list[str] = []

        def revoke(stream: str, batch: Batch) -> None:
            if not revoked:
                served.app.revoke_credentials()
                revoked.append(stream)

        run = harness.sync(served, store, after_batch=revoke)
        assert revoked, "the sync read no batch, so no session was ended"
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        self._assert_complete(run, expected)

    def test_every_request_is_signed_and_a_stale_signature_is_renewed(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """No signature the platform refuses; "timestamp expired" is answered by signing anew."""
        conformance_target.require("signing")
        served = harness.serve()
        served.app.forced.force(STALE_SIGNATURE, 1)
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        run = harness.sync(served, store)
        assert served.app.forced.served[STALE_SIGNATURE] == 1, "no call met the stale signature"
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        assert served.app.signature_failures() == 0, (
            f"{served.app.signature_failures()} requests carried a wrong signature")
        self._assert_writes_accepted(harness, run, samples)

    # -- errors and rate limits -------------------------------------------------------------

    def test_transient_errors_are_retried_until_the_data_arrives(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Two transient failures in a row: retried with backoff, the run ends complete."""
        served = harness.serve()
        entities = self._entities(harness, served) if conformance_target.applies("reads") else set()
        expected = self._expected(conformance_target, served, entities)
        served.app.forced.force(TRANSIENT, 2)
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        run = harness.sync(served, store)
        assert served.app.forced.served[TRANSIENT] == 2, "the transient faults were not served"
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        self._assert_complete(run, expected)
        self._assert_writes_accepted(harness, run, samples)

    def test_permanent_error_is_not_retried(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """One permanent refusal: it surfaces (platform failed or write set aside), no retry.

        Only the first call is refused: a client that retried it would get an answer and end
        the run with exit 0.
        """
        served = harness.serve()
        served.app.forced.force(PERMANENT, 1)
        store = harness.new_store()
        harness.enqueue(store, self._samples(conformance_target, served).good)
        run = harness.sync(served, store)
        assert served.app.forced.served[PERMANENT] == 1, "the permanent fault was not served"
        assert run.exit in (ExitCode.UNAVAILABLE, ExitCode.SET_ASIDE), (
            f"a permanent refusal ended the run with exit {int(run.exit)} "
            "(0 means it was retried as if transient)")

    def test_rate_limit_waits_at_least_retry_after(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """A rate-limit answer with Retry-After: the next call comes no sooner, then succeeds."""
        conformance_target.require("retry_after")
        served = harness.serve()
        served.app.forced.force(RATE_LIMIT, 1, retry_after=1.0)
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        run = harness.sync(served, store)
        assert served.app.forced.served[RATE_LIMIT] == 1, "the rate limit was not served"
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        assert served.app.forced.early_retries == 0, "the client came back before Retry-After"
        self._assert_writes_accepted(harness, run, samples)

    # -- reading ------------------------------------------------------------------------------

    def test_a_second_run_reads_on_from_its_cursor(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """After a complete run, each stream has a cursor, and a second run on an unchanged
        platform reads fewer records than the first (only what sits at the cursor's boundary):
        a cursor that never advances reads everything again, every run."""
        conformance_target.require("reads", "incremental")
        served, first = self._clean_run(conformance_target, harness)
        with harness.adapter(served, first.store) as adapter:
            names = [stream.name for stream in adapter.streams()]
        missing = [n for n in names if first.store.cursor(harness.role, n) is None]
        assert not missing, f"streams without a cursor after a complete run: {missing}"
        before = {n: first.store.cursor(harness.role, n) for n in names}
        second = harness.sync(served, first.store)
        assert second.exit == ExitCode.OK, f"exit {int(second.exit)}: {second.report.error}"
        assert len(second.reads) < len(first.reads), (
            f"the second run read {len(second.reads)} records, the first {len(first.reads)}: "
            f"the streams do not read on from their cursors ({before})")

    def test_cursors_come_from_the_data_not_the_local_clock(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """The platform's clock runs an hour behind this machine's: a record changed after a
        run (stamped by the platform's clock) is read by the next run. A cursor taken from the
        local clock is ahead of every platform time and skips it."""
        conformance_target.require("reads", "incremental")
        served = harness.serve()
        served.app.set_clock(-CLOCK_BEHIND)
        store = harness.new_store()
        harness.enqueue(store, self._samples(conformance_target, served).good)
        first = harness.sync(served, store)
        assert first.exit == ExitCode.OK, f"exit {int(first.exit)}: {first.report.error}"
        changed = {entity: served.app.change_first(entity) for entity in first.entities()}
        assert any(changed.values()), "nothing could be changed after the first run"
        second = harness.sync(served, store)
        assert second.exit == ExitCode.OK, f"exit {int(second.exit)}: {second.report.error}"
        read = {(r.entity, r.key) for r in second.reads}
        skipped = sorted((e, k) for e, k in changed.items() if k and (e, k) not in read)
        assert not skipped, (f"records changed on the platform (its clock an hour behind) were "
                             f"not read by the next run: {skipped}; is a cursor taken from the "
                             "local clock?")

    def test_paging_under_live_updates_loses_nothing_and_counts_nothing_twice(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Records change while the client pages: every record arrives, none twice."""
        conformance_target.require("reads", "live_updates")
        served = harness.serve()
        entities = self._entities(harness, served)
        expected = self._expected(conformance_target, served, entities)
        store = harness.new_store()
        requests: list[int] = []
        changed: list[str | None] = []

        def change_what_was_read() -> None:
            # From the second request on (the first page has been served), each request
            # finds the records read first changed and moved behind the rest.
            requests.append(1)
            if len(requests) > 2:
                for entity in sorted(entities):
                    changed.append(served.app.change_first(entity))

        served.before_request = change_what_was_read
        run = harness.sync(served, store)
        served.before_request = None
        assert any(changed), "nothing was changed during the sync (is the dataset empty?)"
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        self._assert_complete(run, expected)
        assert not run.twice(), f"records counted twice: {run.twice()[:5]}"

    def test_short_pages_mid_listing_do_not_end_it(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Where only a missing next-page marker ends a listing, the platform serves pages
        shorter than asked that are not the last: the client reads on to the end. A client
        that takes a short page for the last stops early and loses the rest."""
        conformance_target.require("reads")
        paging = conformance_target.declared_paging()
        if paging.ends_with == SHORT_PAGE:
            pytest.skip(f"{conformance_target.spec.name}: {PAGE_ENDS[SHORT_PAGE]} "
                        f"({paging.source or 'PagingModel'}): no short page comes mid-listing")
        size = conformance_target.settings.get(paging.page_size_setting)
        assert isinstance(size, int) and size >= 2, (
            f"{conformance_target.spec.name}: settings[{paging.page_size_setting!r}] must be a "
            "page size of 2 or more, so that a shorter page can be served")
        served = harness.serve()
        entities = self._entities(harness, served)
        expected = self._expected(conformance_target, served, entities)
        served.app.short_pages(max(1, size // 2))
        run = harness.sync(served, harness.new_store())
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        self._assert_complete(run, expected)

    def test_stale_and_duplicate_records_leave_the_newest_stored(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """After a record changed, a run reads every record a second time (its listing again
        from the start, over the wire) and then the changed records as they were before (an
        older version after the newer, as a lagging replica serves them): nothing is stored
        twice, and the store keeps the newer version. The adapter must give each record's
        version (`Fetched.source_time`, e.g. its updateTime) for the store to tell."""
        conformance_target.require("reads")
        served, first = self._clean_run(conformance_target, harness)
        versions = conformance_target.applies("live_updates")
        changed: dict[tuple[str, str], str] = {}
        if versions:
            for entity in sorted(first.entities()):
                key = served.app.change_first(entity)
                if key is not None:
                    changed[(entity, key)] = _stored_hash(first, entity, key)
            assert changed, "nothing could be changed after the first run"
        old = [read.fetched for read in first.reads
               if read.fetched is not None and (read.entity, read.key) in changed]

        def again_then_stale(stream: Stream) -> Iterator[Batch]:
            for batch in stream.read(None):
                batch.cursor = None  # a cursor read again from the start must not go back
                yield batch
            stale = [f for f in old if _entity_of(first, f.key, stream.entity)]
            if stale:
                yield Batch(stream.entity, records=stale)

        second = harness.sync(served, first.store, after_stream=again_then_stale)
        assert second.exit == ExitCode.OK, f"exit {int(second.exit)}: {second.report.error}"
        keys = {(r.entity, r.key) for r in first.reads if r.fetched is not None}
        again = Counter((r.entity, r.key) for r in second.reads if r.fetched is not None)
        assert all(again[key] >= 2 for key in changed), "the changed records were not read again"
        assert sum(again[key] for key in keys) >= len(keys), "the listing was not read again"
        for (entity, key), before in changed.items():
            now = _stored_hash(second, entity, key)
            assert now != before, (
                f"{entity} {key}: an older version read after the newer replaced it in the "
                "store; does the adapter give each record its version (Fetched.source_time)?")
        assert second.report.stored == len(changed), (
            f"{second.report.stored} records stored by a run in which {len(changed)} changed: "
            "records served again (or older versions) were stored as new; is a content hash "
            "unstable, or a version missing?")

    def test_an_undeclared_error_code_fails_the_run_clearly(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """The first platform call is answered with a code the platform's error model does not
        list: the run fails (or sets the write aside) naming the code; it is neither taken as
        success nor retried as if the platform were busy."""
        errors = conformance_target.errors
        if errors is None:
            raise AssertionError(f"{conformance_target.spec.name}: the target declares no "
                                 "`errors` (ErrorModel): the codes the platform answers with")
        code = errors.undeclared()
        served = harness.serve()
        store = harness.new_store()
        harness.enqueue(store, self._samples(conformance_target, served).good)
        served.app.forced.force(UNDECLARED_CODE, 1)

        def undeclared(request: SimRequest,
                       app: Callable[[SimRequest], SimResponse]) -> SimResponse | None:
            before = served.app.forced.served[UNDECLARED_CODE]
            answer = app(request)
            return errors.answer(code) if served.app.forced.served[UNDECLARED_CODE] > before \
                else answer

        served.intercept = undeclared
        run = harness.sync(served, store)
        served.intercept = None
        assert served.app.forced.served[UNDECLARED_CODE] == 1, "the undeclared code was not served"
        assert run.exit != ExitCode.OK, (
            f"a call answered with the undeclared code {code!r} ended the run with exit 0: "
            "the code was taken as success, or retried as if transient")
        said = [run.report.error or "", *(str(q["reason"]) for q in run.store.quarantined(
            harness.role))]
        assert any(code in text for text in said), (
            f"the run failed (exit {int(run.exit)}) without naming the code {code!r}: "
            f"{run.report.error}")

    def test_second_sync_fetches_nothing_new(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Two runs in a row on an unchanged platform: the second stores and sends nothing."""
        served = harness.serve()
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        first = harness.sync(served, store)
        assert first.exit == ExitCode.OK, f"exit {int(first.exit)}: {first.report.error}"
        if conformance_target.applies("reads"):
            assert first.report.stored > 0, "the first sync stored nothing"
        second = harness.sync(served, store)
        assert second.exit == ExitCode.OK, f"exit {int(second.exit)}: {second.report.error}"
        assert (second.report.stored, second.report.set_aside, second.report.sent) == (0, 0, 0), (
            f"the second sync stored {second.report.stored}, set aside "
            f"{second.report.set_aside}, sent {second.report.sent}")

    def test_cursor_in_the_future_yields_nothing(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """A stream read from a cursor later than every record yields no record."""
        conformance_target.require("reads", "incremental")
        served, run = self._clean_run(conformance_target, harness)
        with harness.adapter(served, run.store) as adapter:
            streams = adapter.streams()
            assert streams, "the adapter has no stream"
            for stream in streams:
                stored = run.store.cursor(harness.role, stream.name)
                future = conformance_target.future_cursor(stored)
                found = [key for batch in stream.read(future)
                         for key in [*(r.key for r in batch.records),
                                     *(r.key for r in batch.rejects)]]
                assert not found, (f"stream {stream.name} read from cursor {future!r} yields "
                                   f"{len(found)} records, e.g. {found[:3]}")

    def test_bad_records_are_quarantined_and_the_rest_goes_on(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Records wrong at the source (and writes the platform refuses) are set aside with a
        reason; every good record is stored and every good write accepted."""
        reads = conformance_target.applies("reads") and conformance_target.applies("bad_records")
        writes = (conformance_target.applies("writes")
                  and conformance_target.applies("write_rejects"))
        if not reads and not writes:
            conformance_target.require("bad_records", "write_rejects")
        served = harness.serve(**(conformance_target.bad_record_options if reads else {}))
        store = harness.new_store()
        samples = self._samples(conformance_target, served) if writes else WriteSamples()
        if writes:
            assert samples.bad, (f"{conformance_target.spec.name}: 'write_rejects' applies but "
                                 "the write samples hold no bad write")
        harness.enqueue(store, [*samples.good, *samples.bad])
        entities = self._entities(harness, served) if reads else set()
        expected = self._expected(conformance_target, served, entities) if reads else {}
        bad = {entity: set(served.app.bad_keys(entity)) for entity in entities}
        if reads:
            assert any(bad.values()), ("the simulator serves no bad record under "
                                       "`bad_record_options`")
        run = harness.sync(served, store)
        assert run.exit == ExitCode.SET_ASIDE, f"exit {int(run.exit)}, not 3: {run.report.error}"
        for entity, keys in bad.items():
            held = run.quarantined(entity)
            assert keys <= set(held), f"{entity} not set aside: {sorted(keys - set(held))[:3]}"
            assert not keys & run.stored(entity), "a bad record was stored"
            for key in keys:
                assert held[key].strip() and held[key] != key, f"{key}: no reason given"
        self._assert_complete(run, expected)
        for sample in samples.bad:
            held = run.quarantined(sample.entity)
            assert sample.key in held, f"refused write {sample.entity} {sample.key} not set aside"
            assert held[sample.key].strip(), f"refused write {sample.key}: no reason given"

    def test_keys_are_unique_and_non_null(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """In one run on an unchanging platform, every record has a key, and no key comes twice."""
        conformance_target.require("reads")
        served, run = self._clean_run(conformance_target, harness)
        assert run.reads, "the sync read nothing"
        blank = [r for r in run.reads if not isinstance(r.key, str) or not r.key.strip()]
        assert not blank, f"{len(blank)} records have no key, e.g. {blank[0]}"
        seen: dict[tuple[str, str], int] = {}
        for read in run.reads:
            seen[(read.entity, read.key)] = seen.get((read.entity, read.key), 0) + 1
        again = sorted(k for k, n in seen.items() if n > 1)
        assert not again, f"keys read more than once: {again[:5]}"
        expected = self._expected(conformance_target, served, run.entities())
        self._assert_complete(run, expected)

    def test_records_are_valid_against_the_contracts(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Every canonical record matches contracts/canonical; every payload the platform's."""
        conformance_target.require("reads")
        jsonschema = pytest.importorskip("jsonschema")
        _served, run = self._clean_run(conformance_target, harness)
        fetched = [r.fetched for r in run.reads if r.fetched is not None]
        assert fetched, "the sync read no valid record"
        schemas = {name.removesuffix(".schema.json"): orjson.loads(text)
                   for name, text in canonical_schemas().items()}
        by_entity: dict[str, list[Fetched]] = {}
        for read in run.reads:
            if read.fetched is not None:
                by_entity.setdefault(read.entity, []).append(read.fetched)
        for records in by_entity.values():
            for record in records:
                schema = _canonical_schema(record.record, schemas)
                problems = [e.message for e in jsonschema.Draft202012Validator(schema)
                            .iter_errors(record.record.model_dump(by_alias=True, mode="json"))]
                assert not problems, f"{record.key}: canonical record: {problems[:3]}"
        if not conformance_target.applies("platform_contract"):
            return
        for entity, records in by_entity.items():
            validate = _payload_validator(conformance_target, entity, jsonschema)
            for record in records:
                problems = validate(record.payload)
                assert not problems, f"{entity} {record.key}: platform contract: {problems[:3]}"

    def test_every_write_entity_has_a_good_and_a_bad_sample(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Each entity the adapter writes is checked with a write the platform takes and, where
        it refuses single writes, one it refuses."""
        conformance_target.require("writes")
        served = harness.serve()
        samples = self._samples(conformance_target, served)
        store = harness.new_store()
        with harness.adapter(served, store) as adapter:
            assert isinstance(adapter, Writes), "'writes' applies but the adapter has no sinks()"
            entities = {sink.entity for sink in adapter.sinks()}
        entities -= set(conformance_target.unsampled_writes)
        good = {s.entity for s in samples.good}
        assert entities <= good, (f"no good write sample of {sorted(entities - good)} (or name "
                                  "it in `unsampled_writes` with the reason)")
        if conformance_target.applies("write_rejects"):
            bad = {s.entity for s in samples.bad}
            assert entities <= bad, (f"no bad write sample of {sorted(entities - bad)} (or name "
                                     "it in `unsampled_writes` with the reason)")

    def test_a_write_whose_answer_is_lost_is_sent_again_with_the_same_key(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """The platform applies a write but its answer never arrives (a 503 instead): the
        client sends it again with the same idempotency key, and across runs too."""
        conformance_target.require("writes", "request_ids")
        key_of = conformance_target.write_key
        if key_of is None:
            raise AssertionError(f"{conformance_target.spec.name}: 'request_ids' applies but the "
                                 "target gives no `write_key`; set it (e.g. json_body_key("
                                 "'requestId')) or declare request_ids False")
        served = harness.serve()
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        lost: list[str] = []

        def lose_first_answer(request: SimRequest,
                              app: Callable[[SimRequest], SimResponse]) -> SimResponse | None:
            key = key_of(request)
            if key is None or key in lost:
                return None
            lost.append(key)
            app(request)  # the platform applies it; the client never hears
            return SimResponse(503, b"service unavailable", "text/plain")

        served.intercept = lose_first_answer
        run = harness.sync(served, store)
        served.intercept = None
        assert lost, "no write request carried a key `write_key` recognises"
        assert run.exit == ExitCode.OK, f"exit {int(run.exit)}: {run.report.error}"
        self._assert_writes_accepted(harness, run, samples)
        keys = [k for k in map(key_of, served.requests) if k is not None]
        again = [k for k in lost if keys.count(k) < 2]
        assert not again, (f"writes whose answers were lost were not sent again with the same "
                           f"key: {again[:3]} (keys seen: {keys[:6]})")
        with harness.adapter(served, store) as adapter:
            documents = isinstance(adapter, Writes) and any(
                isinstance(sink, BatchSink) for sink in adapter.sinks())
        if documents:
            return  # items sent again by a later run go out in a new document, by design
        first_keys = set(keys)
        served.requests.clear()
        assert harness.forget_answers(store) >= 1
        resent = harness.sync(served, store)
        assert resent.exit == ExitCode.OK, f"exit {int(resent.exit)}: {resent.report.error}"
        new = {k for k in map(key_of, served.requests) if k is not None} - first_keys
        assert not new, f"writes sent again by a later run carry new keys: {sorted(new)[:3]}"

    def test_reconcile_compares_every_listing_after_a_sync(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """The adapter's listings are entities the core compares for its role, and after a
        clean sync `reconcile` reads each of them whole: an adapter without listings, or with
        one the core cannot compare, would have `reconcile` compare nothing."""
        conformance_target.require("listings")
        served, run = self._clean_run(conformance_target, harness)
        with harness.adapter(served, run.store) as adapter:
            assert isinstance(adapter, Reconcilable), (
                f"{conformance_target.spec.name}: the adapter has no listings(), so reconcile "
                "compares nothing; add them or declare listings False with the reason")
            entities = [listing.entity for listing in adapter.listings()]
        assert entities, "listings() returns no listing"
        comparable = {entity for role, entity in default_registry().entities
                      if role == harness.role}
        strangers = sorted(set(entities) - comparable)
        assert not strangers, (f"listings of {strangers}: the core compares no such entity for "
                               f"the {harness.role} role (it does: {sorted(comparable)})")
        report = harness.reconcile(served, run.store)
        summary = report.summary[harness.role]
        assert summary["status"] == "reconciled", f"reconcile failed: {summary['error']}"
        assert set(entities) <= set(summary), f"entities not compared: {summary}"

    def test_the_simulator_is_as_strict_as_the_contract(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Every record the simulator serves that the platform's contract forbids is one it
        counts as wrong at the source: a simulator laxer than the contract would let an
        adapter that stores such records pass."""
        conformance_target.require("reads", "platform_contract", "bad_records")
        jsonschema = pytest.importorskip("jsonschema")
        served = harness.serve(**conformance_target.bad_record_options)
        run = harness.sync(served, harness.new_store())
        assert run.reads, "the sync read nothing"
        lax: list[str] = []
        for entity in run.entities():
            validate = _payload_validator(conformance_target, entity, jsonschema)
            bad = served.app.bad_keys(entity)
            for read in run.reads:
                payload = (read.fetched.payload if read.fetched is not None
                           else read.rejected.payload if read.rejected is not None else b"")
                if read.entity != entity or not payload or read.key in bad:
                    continue
                try:
                    problems = validate(payload)
                except ValueError as exc:  # not even JSON
                    problems = [str(exc)]
                if problems:
                    lax.append(f"{entity} {read.key}: {problems[0]}")
        assert not lax, ("the simulator serves, as good, records its platform's contract "
                         f"forbids: {lax[:3]}")

    def test_repeated_writes_are_applied_once(
            self, conformance_target: ConformanceTarget, harness: Harness) -> None:
        """Writes sent again after their answers were lost change nothing a second time."""
        conformance_target.require("writes")
        served = harness.serve()
        store = harness.new_store()
        samples = self._samples(conformance_target, served)
        harness.enqueue(store, samples.good)
        first = harness.sync(served, store)
        assert first.exit == ExitCode.OK, f"exit {int(first.exit)}: {first.report.error}"
        self._assert_writes_accepted(harness, first, samples)
        applied = served.app.applied_writes()
        assert applied >= 1, "the platform applied none of the writes"
        assert harness.forget_answers(store) >= len(samples.good)
        again = harness.sync(served, store)
        assert again.exit == ExitCode.OK, f"exit {int(again.exit)}: {again.report.error}"
        self._assert_writes_accepted(harness, again, samples)
        assert served.app.applied_writes() == applied, (
            f"the repeated writes were applied again: {served.app.applied_writes() - applied} "
            "more changes")


def _stored_hash(run: SyncRun, entity: str, key: str) -> str:
    """The content hash the store holds of `key`, or "" when none."""
    with run.store.engine.connect() as conn:
        found = conn.execute(select(source_records.c.content_hash).where(
            source_records.c.platform == run.role, source_records.c.entity == entity,
            source_records.c.key == key)).scalar()
    return str(found or "")


def _entity_of(run: SyncRun, key: str, entity: str) -> bool:
    """Whether the run read `key` as a record of `entity`."""
    return any(r.key == key and r.entity == entity for r in run.reads)


def _canonical_schema(record: CanonicalModel, schemas: Mapping[str, Any]) -> Any:
    """The published schema of the record's canonical type, else its model's own schema."""
    for kind in type(record).__mro__:
        if kind.__name__ in schemas:
            return schemas[kind.__name__]
    return type(record).model_json_schema(by_alias=True, mode="validation")


def _payload_validator(target: ConformanceTarget, entity: str, jsonschema: Any
                       ) -> PayloadValidator:
    if entity in target.payload_validators:
        return target.payload_validators[entity]
    path = target.contracts.get(entity)
    if path is None:
        raise AssertionError(f"{target.spec.name}: no contract for entity {entity!r}: give "
                             "`contracts` or `payload_validators`, or declare "
                             "platform_contract False")
    validator = jsonschema.Draft202012Validator(orjson.loads(Path(path).read_bytes()))

    def validate(payload: bytes) -> list[str]:
        return [f"{'/'.join(map(str, e.path)) or 'record'}: {e.message}"
                for e in validator.iter_errors(orjson.loads(payload))]

    return validate


def json_schema_validator(path: Path) -> PayloadValidator:
    """A payload validator from a JSON Schema file (for `payload_validators`)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(orjson.loads(Path(path).read_bytes()))

    def validate(payload: bytes) -> list[str]:
        return [e.message for e in validator.iter_errors(orjson.loads(payload))]

    return validate
