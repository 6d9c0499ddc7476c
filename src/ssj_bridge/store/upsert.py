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

On PostgreSQL, rows are copied (COPY, binary) into a temporary staging table and merged
with one INSERT … SELECT … ON CONFLICT: building one array parameter per column cost the
client five times what COPY does, and the server a fifth more. A plain insert is copied
straight into its table. A lookup takes its values as one array.
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
    Date,
    Float,
    Integer,
    LargeBinary,
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

# Fewer rows than this go as one statement: COPY and its merge cost more than they save.
COPY_FROM = 64


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
    if (plan.copy is not None and len(rows) >= COPY_FROM
            and (keys is None or _distinct(rows, keys))):
        plan.copy.write(conn, rows)
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


# PostgreSQL's binary COPY format of the column types the store uses (the rest go as text).
_COPY_TYPES: tuple[tuple[type[Any], str], ...] = (
    (LargeBinary, "bytea"), (Boolean, "bool"), (Date, "date"), (Float, "float8"),
    (Integer, "int4"), (String, "text"))


@dataclass(frozen=True)
class _CopyPlan:
    """PostgreSQL: the rows COPY'd into a staging table, merged by one INSERT … SELECT."""

    table: str
    columns: tuple[str, ...]
    types: tuple[str, ...] | None  # binary COPY's types; None: text COPY
    stage: str | None  # the staging table; None: copied straight into `table`
    merge: str | None  # INSERT … SELECT … FROM stage ON CONFLICT …

    def write(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Copy the rows and merge them, in the connection's transaction."""
        raw = conn.connection.driver_connection
        assert raw is not None
        values = itemgetter(*self.columns)
        target = self.stage or self.table
        listed_columns = ", ".join(f'"{c}"' for c in self.columns)
        form = " (FORMAT BINARY)" if self.types is not None else ""
        if self.stage is not None:
            # Temporary: seen by this session alone, emptied after each merge and at each
            # commit; IF NOT EXISTS costs a catalog look-up once it is there.
            conn.exec_driver_sql(f'CREATE TEMPORARY TABLE IF NOT EXISTS "{self.stage}" '
                                 f'(LIKE "{self.table}") ON COMMIT DELETE ROWS')
        with raw.cursor() as cursor:
            with cursor.copy(f'COPY "{target}" ({listed_columns}) FROM STDIN{form}') as copy:
                if self.types is not None:
                    copy.set_types(list(self.types))
                if len(self.columns) == 1:
                    for row in rows:
                        copy.write_row((row[self.columns[0]],))
                else:
                    for row in rows:
                        copy.write_row(values(row))
        if self.merge is not None:
            conn.exec_driver_sql(self.merge)
            # DELETE, not TRUNCATE: a new file for the table at every batch costs more than
            # the dead rows the next merge steps over (the commit empties it).
            conn.exec_driver_sql(f'DELETE FROM "{self.stage}"')


@dataclass(frozen=True)
class _Plan:
    """A compiled upsert: its SQL and how a row becomes the driver's parameters."""

    sql: str
    names: tuple[str, ...]  # row keys, in the order of the statement's parameters
    converters: tuple[tuple[int, Converter], ...]  # (position, bind processor)
    positional: bool
    copy: _CopyPlan | None = None

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
                         _copy_plan(dialect, table, columns, keys))
    _PLANS[cache_key] = plan
    return plan


def _copy_plan(dialect: Dialect, table: Table, columns: tuple[str, ...],
               keys: tuple[str, ...] | None) -> _CopyPlan | None:
    """On PostgreSQL: COPY into a staging table and merge (or, with no keys, straight in)."""
    if dialect.name != "postgresql" or getattr(dialect, "driver", "") != "psycopg":
        return None
    types: list[str] | None = []
    for name in columns:
        kind = next((pg for sa, pg in _COPY_TYPES
                     if isinstance(table.c[name].type, sa)), None)
        if kind is None or types is None:
            types = None
            continue
        types.append(kind)
    if keys is None:
        return _CopyPlan(table.name, columns, tuple(types) if types else None, None, None)
    stage = f"ssj_stage_{table.name}"
    listed_columns = ", ".join(f'"{c}"' for c in columns)
    updated = [c for c in columns if c not in keys]
    conflict = ", ".join(f'"{k}"' for k in keys)
    action = ("DO UPDATE SET " + ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in updated)
              if updated else "DO NOTHING")
    merge = (f'INSERT INTO "{table.name}" ({listed_columns}) SELECT {listed_columns} '
             f'FROM "{stage}" ON CONFLICT ({conflict}) {action}')
    return _CopyPlan(table.name, columns, tuple(types) if types else None, stage, merge)


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
