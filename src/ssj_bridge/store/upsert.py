"""The statements the store runs a whole batch at a time: INSERT … ON CONFLICT (the one dialect
difference the store needs) and SELECT … WHERE key IN (…).

A sync writes and looks up a thousand rows per table and batch, so each statement is compiled
once per shape, and rows go to and come from the driver as tuples, with the same conversions
SQLAlchemy applies (its types' bind and result processors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

# Lookups are chunked under SQLite's bound-parameter limit and padded to one of a few sizes,
# so a handful of statements serve every batch.
IN_CHUNK = 900
_IN_SIZES = (16, 128, 512, IN_CHUNK)


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


def select_in(conn: Connection, columns: Sequence[Column[Any]], key: Column[Any],
              values: Sequence[Any], where: Mapping[Column[Any], Any] | None = None
              ) -> list[tuple[Any, ...]]:
    """Rows of `columns` whose `key` is one of `values` and each `where` column equals its value."""
    fixed = tuple((where or {}).items())
    plan = _select_plan(conn.dialect, tuple(columns), key, tuple(c for c, _ in fixed))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = list(values[start:start + IN_CHUNK])
        size = next(n for n in _IN_SIZES if n >= len(chunk))
        chunk += chunk[-1:] * (size - len(chunk))  # a value listed twice matches once
        sql, order = plan.sql(size)
        given = {f"eq_{i}": value for i, (_, value) in enumerate(fixed)}
        given.update((f"in_{i}", value) for i, value in enumerate(chunk, start=1))
        params: Any = (tuple(given[name] for name in order) if plan.positional else given)
        rows = conn.exec_driver_sql(sql, params).all()
        if plan.converters:
            for row in rows:
                items = list(row)
                for i, convert in plan.converters:
                    items[i] = convert(items[i])
                found.append(tuple(items))
        else:
            found.extend(tuple(row) for row in rows)
    return found


class _SelectPlan:
    """One SELECT … IN shape, compiled per padded size on first use."""

    def __init__(self, dialect: Dialect, columns: tuple[Column[Any], ...], key: Column[Any],
                 fixed: tuple[Column[Any], ...]) -> None:
        self.dialect = dialect
        self.columns = columns
        self.key = key
        self.fixed = fixed
        self.positional = dialect.positional
        self.converters = tuple(
            (i, process) for i, column in enumerate(columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None)
        self._compiled: dict[int, tuple[str, tuple[str, ...]]] = {}

    def sql(self, size: int) -> tuple[str, tuple[str, ...]]:
        """The statement for `size` values and its parameter names in order."""
        try:
            return self._compiled[size]
        except KeyError:
            pass
        conditions = [column == bindparam(f"eq_{i}", "", type_=column.type)
                      for i, column in enumerate(self.fixed)]
        conditions.append(self.key.in_(bindparam("in", [""] * size, expanding=True,
                                                 type_=self.key.type)))
        compiled = select(*self.columns).where(*conditions).compile(
            dialect=self.dialect, compile_kwargs={"render_postcompile": True})
        order = tuple(compiled.positiontup or ()) if compiled.positional else ()
        self._compiled[size] = (compiled.string, order)
        return self._compiled[size]


_SELECTS: dict[tuple[Any, ...], _SelectPlan] = {}


def _select_plan(dialect: Dialect, columns: tuple[Column[Any], ...], key: Column[Any],
                 fixed: tuple[Column[Any], ...]) -> _SelectPlan:
    cache_key = (dialect.name, dialect.driver, dialect.paramstyle, columns, key, fixed)
    plan = _SELECTS.get(cache_key)
    if plan is None:
        plan = _SELECTS[cache_key] = _SelectPlan(dialect, columns, key, fixed)
    return plan
