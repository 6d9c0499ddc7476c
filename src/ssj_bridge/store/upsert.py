"""The statements the store runs a whole batch at a time: INSERT … ON CONFLICT (the one dialect
difference the store needs), SELECT … WHERE key IN (…), and a list of any length as one
parameter (`listed`).

A sync writes and looks up a thousand rows per table and batch, so each statement is compiled
once per shape, and rows go to and come from the driver as tuples, with the same conversions
SQLAlchemy applies (its types' bind and result processors).

On SQLite, a lookup returns its rows as one JSON array. The sqlite3 driver lets go of the GIL
around every step of a statement, which is every row of a result; while the thread reading the
platform holds the GIL, the store's thread waits for it again after each row (up to the
interpreter's 5 ms switch interval). One row is one step.

On PostgreSQL, a batch whose keys are distinct is one INSERT … SELECT unnest(…) statement
instead of a round of statements per row, and a lookup takes its values as one array.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

# Lookups are chunked under SQLite's bound-parameter limit and padded to one of a few sizes,
# so a handful of statements serve every batch.
IN_CHUNK = 900
_IN_SIZES = (16, 128, 512, IN_CHUNK)

Converter = Callable[[Any], Any]


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
           keys: Sequence[str]) -> None:
    """Insert `rows`, replacing every non-key column of rows whose `keys` already exist."""
    _write(conn, table, rows, tuple(keys))


def insert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the same columns) in one statement: a key already there fails
    it, as `table.insert()` would, without SQLAlchemy building each row's parameters."""
    _write(conn, table, rows, None)


def _write(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
           keys: tuple[str, ...] | None) -> None:
    if not rows:
        return
    columns = tuple(rows[0])
    plan = _plan(conn.dialect, table, columns, keys)
    if plan is None:
        conn.execute(_statement(conn.dialect, table, columns, keys), list(rows))
        return
    if plan.arrays is not None and (keys is None or _distinct(rows, keys)):
        conn.exec_driver_sql(plan.arrays.sql, plan.arrays.parameters(rows))
        return
    conn.exec_driver_sql(plan.sql, plan.parameters(rows))


def _distinct(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> bool:
    """No key twice: PostgreSQL refuses to update one row twice in one statement."""
    if len(keys) == 1:
        key = keys[0]
        return len({row[key] for row in rows}) == len(rows)
    return len({tuple(row[k] for k in keys) for row in rows}) == len(rows)


def _statement(dialect: Dialect, table: Table, columns: Sequence[str],
               keys: Sequence[str] | None) -> Insert:
    make = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    stmt = make(table)
    if keys is None:
        return stmt
    updated = [c for c in columns if c not in keys]
    if updated:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in updated})
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


@dataclass(frozen=True)
class _ArrayPlan:
    """PostgreSQL: all rows in one statement, one array per column, spread by unnest()."""

    sql: str
    converters: tuple[tuple[str, Converter | None], ...]  # column, processor of its array

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """One list per column."""
        params = {}
        for name, convert in self.converters:
            values = [row[name] for row in rows]
            params[name] = convert(values) if convert is not None else values
        return params


@dataclass(frozen=True)
class _Plan:
    """A compiled upsert: its SQL and how a row becomes the driver's parameters."""

    sql: str
    names: tuple[str, ...]  # row keys, in the order of the statement's parameters
    converters: tuple[tuple[int, Converter], ...]  # (position, bind processor)
    positional: bool
    arrays: _ArrayPlan | None = None

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """One parameter tuple per row (a dict for named paramstyles)."""
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
          keys: tuple[str, ...] | None) -> _Plan | None:
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
            plan = _Plan(compiled.string, names, tuple(converters), bool(compiled.positional),
                         _array_plan(dialect, table, columns, keys))
    _PLANS[cache_key] = plan
    return plan


def _array_plan(dialect: Dialect, table: Table, columns: tuple[str, ...],
                keys: tuple[str, ...] | None) -> _ArrayPlan | None:
    """On PostgreSQL, INSERT … SELECT unnest(…), … ON CONFLICT: a batch is one statement."""
    if dialect.name != "postgresql":
        return None
    arrays = [bindparam(name, [], type_=ARRAY(table.c[name].type)) for name in columns]
    stmt = postgresql.insert(table).from_select(
        list(columns), select(*[func.unnest(array) for array in arrays]))
    if keys is not None:
        updated = [c for c in columns if c not in keys]
        if updated:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys), set_={c: stmt.excluded[c] for c in updated})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    compiled = stmt.compile(dialect=dialect)
    if compiled.positional or compiled.escaped_bind_names or set(compiled.binds) != set(columns):
        return None
    return _ArrayPlan(compiled.string, tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in columns))


def select_in(conn: Connection, columns: Sequence[Column[Any]], key: Column[Any],
              values: Sequence[Any], where: Mapping[Column[Any], Any] | None = None
              ) -> list[tuple[Any, ...]]:
    """Rows of `columns` whose `key` is one of `values` and each `where` column equals its value."""
    fixed = tuple((where or {}).items())
    plan = _select_plan(conn.dialect, tuple(columns), key, tuple(c for c, _ in fixed))
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = list(values[start:start + IN_CHUNK])
        given = {f"eq_{i}": value for i, (_, value) in enumerate(fixed)}
        if plan.as_array:
            sql, order = plan.sql(0)
            given["in"] = chunk
        else:
            size = next(n for n in _IN_SIZES if n >= len(chunk))
            chunk += chunk[-1:] * (size - len(chunk))  # a value listed twice matches once
            sql, order = plan.sql(size)
            given.update((f"in_{i}", value) for i, value in enumerate(chunk, start=1))
        params: Any = (tuple(given[name] for name in order) if plan.positional else given)
        result = conn.exec_driver_sql(sql, params)
        rows: list[Any]
        if plan.as_json:
            rows = orjson.loads(result.scalar_one())
        else:
            rows = list(result.all())
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
        # Text, whole numbers and booleans survive a JSON round trip unchanged (REAL and BLOB
        # would not), and SQLite has JSON functions built in since 3.38.
        version = getattr(dialect.dbapi, "sqlite_version_info", (0, 0, 0))
        self.as_json = (dialect.name == "sqlite" and version >= (3, 38, 0)
                        and all(isinstance(c.type, String | Integer | Boolean) for c in columns))
        # PostgreSQL takes the values as one array parameter: one statement for every size.
        self.as_array = dialect.name == "postgresql"
        self._compiled: dict[int, tuple[str, tuple[str, ...]]] = {}

    def sql(self, size: int) -> tuple[str, tuple[str, ...]]:
        """The statement for `size` values and its parameter names in order."""
        try:
            return self._compiled[size]
        except KeyError:
            pass
        conditions = [column == bindparam(f"eq_{i}", "", type_=column.type)
                      for i, column in enumerate(self.fixed)]
        if self.as_array:
            conditions.append(self.key == any_(bindparam("in", [""],
                                                         type_=ARRAY(self.key.type))))
        else:
            conditions.append(self.key.in_(bindparam("in", [""] * size, expanding=True,
                                                     type_=self.key.type)))
        labelled = [column.label(f"c{i}") for i, column in enumerate(self.columns)]
        compiled = select(*labelled).where(*conditions).compile(
            dialect=self.dialect, compile_kwargs={"render_postcompile": True})
        sql = compiled.string
        if self.as_json:
            names = ", ".join(f"c{i}" for i in range(len(self.columns)))
            sql = f"SELECT json_group_array(json_array({names})) FROM ({sql})"
        order = tuple(compiled.positiontup or ()) if compiled.positional else ()
        self._compiled[size] = (sql, order)
        return self._compiled[size]


_SELECTS: dict[tuple[Any, ...], _SelectPlan] = {}


def _select_plan(dialect: Dialect, columns: tuple[Column[Any], ...], key: Column[Any],
                 fixed: tuple[Column[Any], ...]) -> _SelectPlan:
    cache_key = (dialect.name, dialect.driver, dialect.paramstyle, columns, key, fixed)
    plan = _SELECTS.get(cache_key)
    if plan is None:
        plan = _SELECTS[cache_key] = _SelectPlan(dialect, columns, key, fixed)
    return plan


def listed(dialect: str, column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """`column` is one of the values of the parameter `name`, a list of any length given as one
    value (`list_parameter`): an array on PostgreSQL, a JSON array read by json_each on SQLite.

    One statement serves any number of values: no chunks under SQLite's parameter limit, and a
    set of keys costs the same few statements whether it holds a hundred or a million.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(listed_rows(dialect, name, column.type))


def listed_rows(dialect: str, name: str, type_: Any = String) -> Select[Any]:
    """The values of the list parameter `name` as rows of one column, `value`."""
    if dialect == "postgresql":
        return select(func.unnest(bindparam(name, type_=ARRAY(type_))).label("value"))
    values = func.json_each(bindparam(name, type_=String)).table_valued("value")
    # The WHERE lets SQLite read `INSERT … SELECT … ON CONFLICT` unambiguously.
    return select(values.c.value).where(true())


def list_parameter(dialect: str, values: Sequence[Any]) -> Any:
    """The value of a `listed` parameter: the list itself, or its JSON text on SQLite."""
    return list(values) if dialect == "postgresql" else orjson.dumps(list(values)).decode()
