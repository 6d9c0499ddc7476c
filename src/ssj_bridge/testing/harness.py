"""Running one adapter against its own simulator through the real sync engine.

The conformance checks drive an adapter the way cron does: settings pointing at a simulator on
127.0.0.1, a fresh SQLite store, `run_sync` for the adapter's platform role. What was read is
recorded batch by batch; what was stored and set aside is read back from the store.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from ssj_bridge.errors import ExitCode
from ssj_bridge.outbox.queue import ACCEPTED, PENDING, enqueue
from ssj_bridge.platform.adapter import (
    Adapter,
    AdapterContext,
    AdapterSpec,
    Batch,
    Fetched,
    Rejected,
    Stream,
)
from ssj_bridge.plugins.host import PluginHost, load_plugins
from ssj_bridge.reconcile.run import ReconReport, reconcile
from ssj_bridge.settings import PlatformSettings, Settings
from ssj_bridge.simulation.server import RunningSimulator, SimRequest, SimResponse, serve
from ssj_bridge.store import Store
from ssj_bridge.store.schema import outbox, source_records
from ssj_bridge.sync import PlatformReport, run_sync
from ssj_bridge.testing.controls import SimulatorControls

AfterBatch = Callable[[str, Batch], None]
# Batches a check has a stream yield after its own, given the stream (e.g. records again).
AfterStream = Callable[[Stream], Iterable[Batch]]


@dataclass(frozen=True)
class WriteSample:
    """One write the core would queue for the adapter's platform: entity, key, payload."""

    entity: str
    key: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class WriteSamples:
    """Writes the platform accepts (`good`) and writes it refuses item by item (`bad`)."""

    good: Sequence[WriteSample] = ()
    bad: Sequence[WriteSample] = ()


@dataclass(frozen=True)
class Read:
    """One record a sync yielded: its stream, entity, key, content hash and what it became."""

    stream: str
    entity: str
    key: str
    content_hash: str
    fetched: Fetched | None = None
    rejected: Rejected | None = None


@dataclass
class SyncRun:
    """What one sync did: the platform's report, every record read, and the store after it."""

    report: PlatformReport
    reads: list[Read]
    store: Store
    role: str

    @property
    def exit(self) -> ExitCode:
        """The platform's exit code for the run."""
        return self.report.exit

    def stored(self, entity: str) -> set[str]:
        """Keys of `entity` the store holds from this platform."""
        with self.store.engine.connect() as conn:
            return set(conn.execute(select(source_records.c.key).where(
                source_records.c.platform == self.role,
                source_records.c.entity == entity)).scalars())

    def quarantined(self, entity: str) -> dict[str, str]:
        """Keys of `entity` in the quarantine, with their reasons."""
        return {str(q["key"]): str(q["reason"]) for q in self.store.quarantined(self.role)
                if q["entity"] == entity}

    def twice(self) -> list[tuple[str, str]]:
        """(entity, key) of every record yielded twice with the same content in this run."""
        seen = Counter((r.entity, r.key, r.content_hash) for r in self.reads)
        return sorted((entity, key) for (entity, key, _), n in seen.items() if n > 1)

    def entities(self) -> set[str]:
        """Entities the run read records of."""
        return {r.entity for r in self.reads}


@dataclass
class Served:
    """A simulator serving on loopback, with its controls.

    `before_request`, when set, runs before the simulator answers each request (a check
    changes the platform's data while a client pages with it); `intercept`, when set, may
    answer a request itself (given the request and the simulator), or return None to let the
    simulator answer. Every request is kept in `requests`.
    """

    app: SimulatorControls
    running: RunningSimulator
    before_request: Callable[[], None] | None = None
    intercept: Callable[[SimRequest, Callable[[SimRequest], SimResponse]],
                        SimResponse | None] | None = None
    requests: list[SimRequest] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """Where the simulated platform answers."""
        return self.running.base_url


@dataclass
class Harness:
    """Simulators, stores and sync runs of one adapter, cleaned up by `close()`."""

    spec: AdapterSpec
    workdir: Path
    region_code: str
    simulator: Callable[[Mapping[str, Any]], Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    org_code: str | None = None
    org_name: str | None = None
    _running: list[Served] = field(default_factory=list)
    _stores: list[Store] = field(default_factory=list)
    _host: PluginHost | None = None
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    @property
    def role(self) -> str:
        """The platform role the adapter serves."""
        return self.spec.role

    @property
    def host(self) -> PluginHost:
        """The installed plugins, with the adapter under test registered under its own name."""
        if self._host is None:
            self._host = load_plugins()
            self._host.adapters[self.spec.name] = self.spec
        return self._host

    def serve(self, **options: Any) -> Served:
        """Start the simulator with the target's options and these on top."""
        app = self.simulator({**self.spec.simulator_options, "region": self.region_code,
                              **self.options, **options})
        holder: list[Served] = []

        def tap(request: SimRequest) -> SimResponse:
            served = holder[0]
            served.requests.append(request)
            if served.before_request is not None:
                served.before_request()
            if served.intercept is not None:
                answer = served.intercept(request, app)
                if answer is not None:
                    return answer
            response: SimResponse = app(request)
            return response

        served = Served(app, serve(self.spec.name, tap))
        holder.append(served)
        self._running.append(served)
        return served

    def new_store(self) -> Store:
        """A fresh, migrated SQLite store."""
        store = Store(f"sqlite:///{self.workdir / f'conformance-{next(self._numbers)}.db'}",
                      lock_dir=self.workdir)
        store.migrate()
        self._stores.append(store)
        return store

    def run_settings(self, served: Served, store: Store, *,
                     credentials: Mapping[str, str] | None = None,
                     **overrides: Any) -> Settings:
        """Settings of a run of this adapter against `served`, storing into `store`."""
        section = PlatformSettings(**{
            "adapter": self.spec.name, "base_url": served.base_url,
            **dict(served.app.demo_credentials() if credentials is None else credentials),
            **self.settings, **overrides})
        values: dict[str, Any] = {"database_url": str(store.engine.url),
                                  "region_code": self.region_code, "org_code": self.org_code,
                                  "org_name": self.org_name, self.role: section}
        return Settings(**values)

    def sync(self, served: Served, store: Store, *, after_batch: AfterBatch | None = None,
             after_stream: AfterStream | None = None,
             credentials: Mapping[str, str] | None = None, **overrides: Any) -> SyncRun:
        """One sync of the adapter's role; `after_batch(stream, batch)` runs once each is
        stored; each stream yields the batches of `after_stream(stream)` after its own."""
        reads: list[Read] = []

        def progress(_platform: str, stream: str, batch: Batch) -> None:
            for record in batch.records:
                reads.append(Read(stream, batch.entity, record.key, record.content_hash,
                                  fetched=record))
            for reject in batch.rejects:
                reads.append(Read(stream, batch.entity, reject.key, reject.reason,
                                  rejected=reject))
            if after_batch is not None:
                after_batch(stream, batch)

        settings = self.run_settings(served, store, credentials=credentials, **overrides)
        host = self.host
        if after_stream is not None:
            host.adapters[self.spec.name] = replace(self.spec, factory=_extended(
                self.spec.factory, after_stream))
        try:
            report = run_sync(settings, store, host, only=[self.role], progress=progress)
        finally:
            host.adapters[self.spec.name] = self.spec
        return SyncRun(report.platforms[self.role], reads, store, self.role)

    def reconcile(self, served: Served, store: Store) -> ReconReport:
        """`reconcile` of the adapter's role against `served`."""
        return reconcile(self.run_settings(served, store), store, self.host, platform=self.role)

    def enqueue(self, store: Store, samples: Sequence[WriteSample]) -> None:
        """Queue writes in the outbox, as the core does when a change calls for them."""
        with store.engine.begin() as conn:
            for sample in samples:
                enqueue(conn, self.role, sample.entity, sample.key, dict(sample.payload))

    def forget_answers(self, store: Store) -> int:
        """Put every accepted write back to pending: a run that lost the platform's answers.

        The items keep their key and version, so they go out again with the same request ids.
        """
        with store.engine.begin() as conn:
            changed = conn.execute(update(outbox).where(
                outbox.c.platform == self.role, outbox.c.status == ACCEPTED).values(
                status=PENDING)).rowcount
        return int(changed or 0)

    def pending(self, store: Store) -> int:
        """Writes still pending."""
        with store.engine.connect() as conn:
            return len(conn.execute(select(outbox.c.id).where(
                outbox.c.platform == self.role, outbox.c.status == PENDING)).all())

    @contextmanager
    def adapter(self, served: Served, store: Store) -> Iterator[Adapter]:
        """The adapter for one run against `served`, closed after the block."""
        settings = self.run_settings(served, store)
        context = AdapterContext(platform=self.role, section=settings.platform(self.role),
                                 region_code=self.region_code, org_code=self.org_code,
                                 org_name=self.org_name, allowed_usccs=store.allowed_usccs())
        adapter = self.spec.factory(context)
        try:
            yield adapter
        finally:
            adapter.close()

    def close(self) -> None:
        """Stop every simulator and close every store."""
        for served in self._running:
            served.running.stop()
        for store in self._stores:
            store.dispose()
        self._running.clear()
        self._stores.clear()


def _extended(factory: Callable[[AdapterContext], Adapter], after: AfterStream
              ) -> Callable[[AdapterContext], Adapter]:
    """The adapter factory whose streams yield `after(stream)` once their own batches end."""
    def build(context: AdapterContext) -> Adapter:
        return _ExtendedAdapter(factory(context), after)
    return build


class _ExtendedAdapter:
    """An adapter whose streams go on with a check's batches; everything else is the adapter's."""

    def __init__(self, adapter: Adapter, after: AfterStream) -> None:
        self._adapter = adapter
        self._after = after

    def streams(self) -> list[Stream]:
        """The adapter's streams, each extended."""
        return [_ExtendedStream(stream, self._after) for stream in self._adapter.streams()]

    def close(self) -> None:
        """Close the adapter."""
        self._adapter.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)


class _ExtendedStream:
    """A stream that yields a check's batches after its own."""

    def __init__(self, stream: Stream, after: AfterStream) -> None:
        self.stream = stream
        self.name = stream.name
        self.entity = stream.entity
        self._after = after

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """The stream's batches from `cursor`, then the check's."""
        yield from self.stream.read(cursor)
        yield from self._after(self.stream)
