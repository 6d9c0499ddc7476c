"""A batch as the store writes it: plain values only, so it can cross to a writer process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ssj_bridge.model import CanonicalModel
from ssj_bridge.platform.adapter import Batch, Rejected
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.store.canonical import model_name


class PreparedRecord(NamedTuple):
    """One valid record: what `source_records` keeps of it and its canonical table's row."""

    key: str
    payload: bytes
    content_hash: str
    source_time: str | None
    model: str  # `model_name` of its canonical type, which names its writer
    row: dict[str, Any]


@dataclass
class PreparedBatch:
    """A batch with each record mapped to its row; rejects and cursor as the adapter gave them."""

    entity: str
    records: list[PreparedRecord] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    cursor: str | None = None

    def __len__(self) -> int:
        return len(self.records) + len(self.rejects)

    def __reduce__(self) -> tuple[Any, ...]:
        # Records cross as plain tuples: pickling a named tuple calls Python code per record.
        return (_rebuild, (self.entity, [tuple(r) for r in self.records], self.rejects,
                           self.cursor))


def _rebuild(entity: str, records: list[tuple[Any, ...]], rejects: list[Rejected],
             cursor: str | None) -> PreparedBatch:
    return PreparedBatch(entity, list(map(PreparedRecord._make, records)), rejects, cursor)


_NAMES: dict[type[CanonicalModel], str] = {}


def prepare(batch: Batch) -> tuple[PreparedBatch, list[CanonicalModel]]:
    """The batch's rows, and its canonical records in the same order."""
    records = [fetched.record for fetched in batch.records]
    writers = default_registry().writers
    prepared = []
    for fetched, record in zip(batch.records, records, strict=True):
        model = type(record)
        name = _NAMES.get(model)
        if name is None:
            name = _NAMES[model] = model_name(model)
        prepared.append(PreparedRecord(fetched.key, fetched.payload, fetched.content_hash,
                                       fetched.source_time, name, writers[model].to_row(record)))
    return PreparedBatch(batch.entity, prepared, list(batch.rejects), batch.cursor), records


def rows_suffice(batch: Batch) -> bool:
    """Whether every record type in the batch can be written from its rows alone."""
    writers = default_registry().writers
    return all(writers[model].rows_suffice for model in {type(f.record) for f in batch.records})
