"""How each canonical record type is written to its table, and what is derived after it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Table

from ssj_bridge.model import CanonicalModel, Permit, beijing_now, iso_beijing
from ssj_bridge.plugins.registry import default_registry
from ssj_bridge.store.holders import derive_subjects
from ssj_bridge.store.schema import permits

if TYPE_CHECKING:
    from ssj_bridge.plugins.registry import Registry

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Writer:
    """Writes records of one canonical type: table, key columns, row mapping, derivation.

    `derive` and `after` run in the batch's transaction on the records that changed: `derive`
    from their rows, `after` from the records themselves. A writer without `after` can be
    applied by the store's writer process, which receives rows only (see `writer_process`).
    """

    table: Table
    keys: tuple[str, ...]
    to_row: Callable[[Any], dict[str, Any]]
    after: Callable[[Connection, Sequence[Any]], None] | None = None
    derive: Callable[[Connection, Sequence[Row]], None] | None = None
    derives: tuple[str, ...] = ()  # the tables `derive` and `after` write to

    @property
    def rows_suffice(self) -> bool:
        """Whether rows alone are enough to apply this type (no hook needs the records)."""
        return self.after is None


_PERMIT_COLUMNS = tuple(column.name for column in permits.columns)
assert set(_PERMIT_COLUMNS) == set(Permit.model_fields), "permits columns are Permit's fields"


def permit_row(permit: Permit) -> dict[str, Any]:
    """A permit as a row of `permits` (its columns are the model's fields)."""
    row = dict(permit.__dict__)
    row["management_class"] = permit.management_class.value
    # orjson writes an enumeration member as its value.
    row["pollutant_types"] = orjson.dumps(permit.pollutant_types).decode()
    row["status"] = permit.status.value
    row["update_time"] = iso_beijing(permit.update_time)
    return row


def _derive_from_permits(conn: Connection, rows: Sequence[Row]) -> None:
    derive_subjects(conn, [row["uscc"] for row in rows], iso_beijing(beijing_now()))


def register(registry: Registry) -> None:
    """Permits, and the subjects derived from them."""
    registry.add_writer(Permit, Writer(permits, ("permit_no",), permit_row,
                                       derive=_derive_from_permits,
                                       derives=("subjects", "subject_changes")))


def model_name(model: type[CanonicalModel]) -> str:
    """`module:QualifiedName`: how a type is named to the writer process."""
    return f"{model.__module__}:{model.__qualname__}"


def written_tables(models: set[str]) -> set[str]:
    """Every table records of these types (`model_name`s) are written to."""
    tables = {"source_records"}
    for name in models:
        writer = writer_named(name)
        tables |= {writer.table.name, *writer.derives}
    return tables


def writer_named(name: str) -> Writer:
    """The registered writer of the type `model_name` gives."""
    for model, writer in default_registry().writers.items():
        if model_name(model) == name:
            return writer
    raise LookupError(f"no store writer for {name}")
