"""What an adapter is to the core: a spec it registers, streams it reads, batches it yields.

An adapter parses, validates and maps a platform's payloads to canonical records; it never
touches the store. The sync engine stores each batch, its rejects and its cursor in one
transaction, so a cursor only ever advances with the data it covers.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    runtime_checkable,
)

import orjson
import structlog
from pydantic import BaseModel, ValidationError

from ssj_bridge.model import CanonicalModel
from ssj_bridge.plugins.hookspecs import API_VERSION
from ssj_bridge.settings import PlatformSettings, configuration_error, warn_unknown_fields

if TYPE_CHECKING:
    from ssj_bridge.outbox.queue import OutboxItem, SendOutcome
    from ssj_bridge.simulation.server import SimRequest, SimResponse

ConfigT = TypeVar("ConfigT", bound=BaseModel)
P = ParamSpec("P")


@dataclass(frozen=True)
class Fetched:
    """One valid record from a platform: its key, raw payload, content hash and canonical form."""

    key: str
    payload: bytes
    content_hash: str
    record: CanonicalModel
    source_time: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A record set aside: its key (or a stand-in), the reason naming field and value, the payload."""

    key: str
    reason: str
    payload: bytes = b""


# A record mapping: the raw record first, then whatever else the adapter's mapping takes.
RecordMapping: TypeAlias = Callable[Concatenate[Any, P], "Fetched | Rejected"]


@dataclass
class Batch:
    """What one page or call yields; `cursor` is the stream's position once the batch is stored."""

    entity: str
    records: list[Fetched] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    cursor: str | None = None
    total: int | None = None


class Stream(Protocol):
    """One listing of one entity on a platform, read incrementally from a cursor."""

    name: str
    entity: str

    def read(self, cursor: str | None) -> Iterator[Batch]:
        """Yield batches from `cursor` (None: from the beginning) to the end of the listing."""
        ...


@dataclass(frozen=True)
class ListedRecord:
    """One record of a platform's listing for reconciliation, in canonical field names.

    `version` orders two states of one record (an updateTime or a version number as text);
    the platform being behind the store is told apart from a plain mismatch by it.
    `in_flight` marks a record that changed while the listing ran: its key is left out of
    this comparison (it may show twice, or not where it was, in a listing of live data).
    """

    key: str
    fields: Mapping[str, Any]
    version: str | None = None
    in_flight: bool = False


@runtime_checkable
class Listing(Protocol):
    """Everything a platform holds of one entity, page by page (reconciliation reads it).

    Records are listed in the canonical names and values ssj_bridge.model.compared gives for
    the entity. A listing that reads only part of what the store holds is a `PartialListing`.
    """

    entity: str

    def read(self) -> Iterator[list[ListedRecord]]:
        """Pages of listed records; a failure part-way raises, so nothing is half-compared."""
        ...


class Sink(Protocol):
    """Where the outbox's items of one entity go on a platform (library, tasks, results …).

    `send` receives at most `batch_size` pending items and returns one outcome per item; a
    transient failure raises TransientError and the items stay pending, to be sent again with
    the same request ids (`OutboxItem.request_id`). A platform that takes documents of many
    items and decides them later is served by a `BatchSink` instead.
    """

    entity: str
    batch_size: int

    def send(self, items: list[OutboxItem]) -> list[SendOutcome]:
        """Send the items; one outcome each."""
        ...


@runtime_checkable
class ConfirmingSink(Protocol):
    """A sink whose writes are not idempotent by content, and which can tell from the platform
    whether an earlier send of an item arrived.

    A platform remembers a request id for `request_memory` seconds. An item first sent longer
    ago than that (less a margin) is passed to `confirm` before it goes out again: what the
    platform already holds is recorded as accepted without sending (ssj_bridge.outbox.resend).
    """

    request_memory: float  # seconds the platform remembers a request id

    def confirm(self, items: list[OutboxItem]) -> list[SendOutcome | None]:
        """For each item: `SendOutcome.accepted` when the platform already holds it, else None."""
        ...


@runtime_checkable
class PartialListing(Listing, Protocol):
    """A listing that reads only part of what the store holds (e.g. the evaluation years it is
    configured for): store records it does not cover are left out of the comparison."""

    def covers(self, key: str, fields: Mapping[str, Any]) -> bool:
        """Whether the listing reads the store record `key` with these canonical fields."""
        ...


@runtime_checkable
class BatchSink(Protocol):
    """A sink whose platform takes documents of many items and decides them later.

    `batch_size` items at most per document; `receipt_wait` seconds a run waits for receipts,
    asking every `poll_interval` seconds.
    """

    entity: str
    batch_size: int
    receipt_wait: float
    poll_interval: float

    def check(self, item: OutboxItem) -> str | None:
        """Why the item cannot go into a document (it is rejected at once), or None."""
        ...

    def number(self, day: date, sequence: int) -> str:
        """The number of the day's `sequence`-th batch (unique per sender)."""
        ...

    def document(self, number: str, items: Sequence[OutboxItem]) -> bytes:
        """The document of batch `number`, the items in this order."""
        ...

    def submit(self, number: str, document: bytes) -> None:
        """Send the document; raises DocumentRefused, BatchNumberTaken, BatchTooLarge, or a
        TransientError (the batch stays prepared and is sent again, unchanged)."""
        ...

    def poll(self, number: str, items: Sequence[OutboxItem]) -> list[SendOutcome] | None:
        """One outcome per item once the receipt is done; None while it is processing.

        Raises BatchUnknown when the platform does not know the batch.
        """
        ...


class Adapter(Protocol):
    """A connection to one platform for one run: what every adapter offers.

    What an adapter may offer beside it is declared by the protocols below, each checked with
    `isinstance`: `Writes` (the relay sends the outbox through its sinks) and `Reconcilable`
    (reconciliation compares its listings with the store).
    """

    def streams(self) -> Sequence[Stream]:
        """The streams `sync` reads, in order (none for a platform that is only written)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class Writes(Protocol):
    """An adapter that sends the outbox's items: the relay calls `sinks()` before reading."""

    def sinks(self) -> Sequence[Sink]:
        """One sink per outbox entity, in the order their items go out."""
        ...


@runtime_checkable
class Reconcilable(Protocol):
    """An adapter whose platform can list what it holds: `reconcile` compares each listing with
    the store. An adapter without it is reported as having nothing to compare."""

    def listings(self) -> Sequence[Listing]:
        """One listing per entity the platform holds."""
        ...


@dataclass(frozen=True)
class AdapterContext:
    """What the core hands an adapter: its settings section, the deployment, the allow-list."""

    platform: str
    section: PlatformSettings
    region_code: str
    org_code: str | None = None
    org_name: str | None = None
    allowed_usccs: frozenset[str] = frozenset()
    quarantined_keys: tuple[str, ...] = ()
    logger: Any = field(default_factory=lambda: structlog.get_logger())

    def config(self, model: type[ConfigT]) -> ConfigT:
        """The section validated by the adapter's own model; errors name the variable, and
        fields the model does not know are warned about (a misspelt one would be ignored)."""
        given = self.section.fields()
        known = {name for name, info in model.model_fields.items()}
        known |= {info.alias for info in model.model_fields.values() if info.alias}
        warn_unknown_fields(self.platform, given, known)
        try:
            return model.model_validate(given)
        except ValidationError as exc:
            raise configuration_error(exc, (self.platform,)) from None


class SimulatorApp(Protocol):
    """A platform simulator: answers one HTTP request (see ssj_bridge.simulation.server).

    The conformance suite also steers it through the controls of
    ssj_bridge.testing.controls.SimulatorControls.
    """

    def __call__(self, request: SimRequest) -> SimResponse:
        """Return the response to `request`."""
        ...


@dataclass(frozen=True)
class AdapterSpec:
    """An adapter as a plugin registers it.

    `role` is the platform role it serves (`permit`, `credit`, `province`, `publicity`);
    `factory` builds the adapter for a run; `simulator` builds its simulator from options;
    `api` is the ssj_bridge.api version the adapter was written for.
    """

    name: str
    role: str
    factory: Callable[[AdapterContext], Adapter]
    version: str = "0"
    description: str = ""
    simulator: Callable[[Mapping[str, Any]], SimulatorApp] | None = None
    simulator_options: Mapping[str, Any] = field(default_factory=dict)
    api: str = API_VERSION


def set_aside_on_failure(kind: str, key_of: Callable[[Any], str]
                         ) -> Callable[[RecordMapping[P]], RecordMapping[P]]:
    """Decorate a record mapping `(raw, …) -> Fetched | Rejected` so that whatever it raises
    for one record sets that record aside with the reason, and the batch goes on.

    A mapping turns what it foresaw into a Rejected itself; this is for what it did not: a
    valid JSON record with a field nested deeper than the serialiser goes, a value that trips
    a library. One such record must not stop every sync of the platform.
    """
    def decorate(mapping: RecordMapping[P]) -> RecordMapping[P]:
        @functools.wraps(mapping)
        def guarded(raw: Any, /, *args: P.args, **kwargs: P.kwargs) -> Fetched | Rejected:
            try:
                return mapping(raw, *args, **kwargs)
            except Exception as exc:
                key = _key_or_stand_in(key_of, raw)
                return Rejected(key, f"{kind} {key}: could not be mapped "
                                     f"({type(exc).__name__}: {exc})", safe_payload(raw))
        return guarded
    return decorate


def _key_or_stand_in(key_of: Callable[[Any], str], raw: Any) -> str:
    try:
        return key_of(raw)
    except Exception:
        return "?" + content_hash(safe_payload(raw))[:16]


def safe_payload(raw: Any) -> bytes:
    """`canonical_payload(raw)`, or the best text of it that can be kept when that fails
    (nested deeper than orjson goes): the quarantine keeps what was received."""
    for dump in (canonical_payload, _stdlib_payload):
        try:
            return dump(raw)
        except Exception:  # noqa: S112 - the next way may hold what this one cannot
            continue
    return repr(type(raw)).encode()  # deeper than the interpreter's own recursion limit


def _stdlib_payload(raw: Any) -> bytes:
    return json.dumps(raw, sort_keys=True, ensure_ascii=False, default=repr).encode()


def content_hash(payload: bytes) -> str:
    """Content hash of a canonical payload (BLAKE2b-128): equal content, equal hash."""
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def canonical_payload(raw: Mapping[str, Any]) -> bytes:
    """Stable bytes of a raw record: keys sorted, so equal content hashes equal."""
    # Copied to their own size: orjson ≥ 3.12 returns bytes inside a buffer of 4 KiB or more,
    # which every record held until its batch is stored would otherwise keep.
    return bytes(memoryview(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)))
