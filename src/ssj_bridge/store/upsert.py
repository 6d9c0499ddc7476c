"""INSERT … ON CONFLICT for SQLite and PostgreSQL, the one dialect difference the store needs.

A sync upserts a thousand rows per table and batch, so the statement is compiled once per
table and set of columns, and each row becomes a parameter tuple with the same conversions
SQLAlchemy would apply (its types' bind processors), handed to the driver's executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
           keys: Sequence[str]) -> None:
    """Insert `rows`, replacing every non-key column of rows whose `keys` already exist."""
    if not rows:
        return
    columns = tuple(rows[0])
    plan = _plan(conn.dialect, table, columns, tuple(keys))
    if plan is None:
        conn.execute(_statement(conn.dialect, table, columns, keys), list(rows))
        return
    conn.exec_driver_sql(plan.sql, plan.parameters(rows))


def _statement(dialect: Dialect, table: Table, columns: Sequence[str],
               keys: Sequence[str]) -> Insert:
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    updated = [c for c in columns if c not in keys]
    if updated:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in updated})
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    """A compiled upsert: its SQL and how a row becomes the driver's parameters."""

    sql: str
    names: tuple[str, ...]  # row keys, in the order of the statement's parameters
    converters: tuple[tuple[int, Converter], ...]  # (position, bind processor)
    positional: bool

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The executemany parameters of `rows`: tuples, or dicts for named paramstyles."""
        names = self.names
        if not self.positional:
            converted = dict(self.converters)
            by_position = list(enumerate(names))
            return [{name: (converted[i](row[name]) if i in converted else row[name])
                     for i, name in by_position} for row in rows]
        if len(names) == 1:
            name = names[0]
            convert = self.converters[0][1] if self.converters else None
            return [((convert(row[name]) if convert else row[name]),) for row in rows]
        values = itemgetter(*names)
        if not self.converters:
            return [values(row) for row in rows]
        out = []
        for row in rows:
            items = list(values(row))
            for i, convert in self.converters:
                items[i] = convert(items[i])
            out.append(tuple(items))
        return out


_PLANS: dict[tuple[Any, ...], _Plan | None] = {}


def _plan(dialect: Dialect, table: Table, columns: tuple[str, ...],
          keys: tuple[str, ...]) -> _Plan | None:
    """The compiled upsert, or None when SQLAlchemy must build each row (Python defaults)."""
    cache_key = (dialect.name, dialect.driver, dialect.paramstyle, table, columns, keys)
    try:
        return _PLANS[cache_key]
    except KeyError:
        pass
    plan: _Plan | None = None
    # Column defaults computed in Python are filled in by SQLAlchemy per row: leave those
    # tables to it.
    if not any(c.default is not None or c.onupdate is not None for c in table.columns):
        compiled = _statement(dialect, table, columns, keys).compile(
            dialect=dialect, column_keys=list(columns))
        order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        binds = [compiled.binds[name] for name in order]
        names = tuple(str(bind.key) for bind in binds)
        # Anything unusual (a bind renamed for the driver, a column missing) goes the long way.
        usable = (set(names) == set(columns) and len(names) == len(columns)
                  and (compiled.positional or names == tuple(order))
                  and not compiled.escaped_bind_names)
        if usable:
            converters = []
            for i, bind in enumerate(binds):
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    converters.append((i, process))
            plan = _Plan(compiled.string, names, tuple(converters), bool(compiled.positional))
    _PLANS[cache_key] = plan
    return plan
