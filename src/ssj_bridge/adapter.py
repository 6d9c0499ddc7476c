"""What an adapter is to the core: a spec it registers, streams it reads, batches it yields.

An adapter parses, validates and maps a platform's payloads to canonical records; it never
touches the store. The sync engine stores each batch, its rejects and its cursor in one
transaction, so a cursor only ever advances with the data it covers.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, Protocol, TypeAlias, TypeVar

import orjson
import structlog
from pydantic import BaseModel, ValidationError

from ssj_bridge.model import CanonicalModel
from ssj_bridge.settings import PlatformSettings, configuration_error, warn_unknown_fields

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


class Listing(Protocol):
    """Everything a platform holds of one entity, page by page (reconciliation reads it).

    A listing that reads only part of what the store holds (e.g. the evaluation years it is
    configured for) may also offer `covers(key, fields) -> bool`: store records it does not
    cover are left out of the comparison instead of showing as missing on the platform.
    """

    entity: str

    def read(self) -> Iterator[list[ListedRecord]]:
        """Pages of listed records; a failure part-way raises, so nothing is half-compared."""
        ...


class Sink(Protocol):
    """Where the outbox's items of one entity go on a platform (library, tasks, results …).

    `send` receives at most `batch_size` pending items and returns one outcome per item
    (ssj_bridge.outbox.SendOutcome); a transient failure raises TransientError and the items
    stay pending, to be sent again with the same request ids.
    """

    entity: str
    batch_size: int

    def send(self, items: list[Any]) -> list[Any]:
        """Send the items; one outcome each."""
        ...


class Adapter(Protocol):
    """A connection to one platform for one run."""

    def streams(self) -> list[Stream]:
        """The streams `sync` reads, in order."""
        ...

    def close(self) -> None:
        """Release connections."""
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
    """A platform simulator: answers one HTTP request (see ssj_bridge.simulate)."""

    def __call__(self, request: Any) -> Any:
        """Return the response to `request`."""
        ...


@dataclass(frozen=True)
class AdapterSpec:
    """An adapter as a plugin registers it.

    `role` is the platform role it serves (`permit`, `credit`, `province`, `publicity`);
    `factory` builds the adapter for a run; `simulator` builds its simulator from options.
    """

    name: str
    role: str
    factory: Callable[[AdapterContext], Adapter]
    version: str = "0"
    description: str = ""
    simulator: Callable[[Mapping[str, Any]], SimulatorApp] | None = None
    simulator_options: Mapping[str, Any] = field(default_factory=dict)


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
