"""Many rows into one table at once, through the driver: multi-row INSERTs on SQLite, COPY on PostgreSQL
(a multi-row INSERT there too below COPY_FROM_ROWS rows).

SQLAlchemy's executemany builds and processes a parameter dictionary per row: at 51,698 works
with 346,310 author rows that was a third of a first load (66 µs a row against 20 µs through the
driver). Rows here are tuples in a fixed column order, converted by the columns' own bind
processors (the same values SQLAlchemy would send), and sent in the caller's transaction.

On SQLite, ROWS_PER_STATEMENT rows go in one INSERT: the sqlite3 module gives the GIL up around
every statement it runs, and a row-by-row executemany beside one busy Python thread waited for it
back at every row (346,310 author rows: 0.8 s alone, 543 s beside a thread counting in a loop;
500 rows a statement: 0.5 s alone, 5.5 s beside it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from academichub.storage.engine import BULK_CACHE_KB

ROWS_PER_STATEMENT = 500
# Below this many rows PostgreSQL gets one multi-row INSERT instead of COPY: COPY takes two round
# trips (the command, then the data and its end) where an INSERT takes one, and a 换一批's claim
# writes its ten rows twice while it holds the radar's lock.
COPY_FROM_ROWS = 100
BULK_ROWS = 1000  # rows of one insert from which its connection takes the bulk page cache
_SQLITE_VARIABLES = 32_766  # SQLite's limit on a statement's parameters since 3.32 (older: 999)


@cache
def _copy(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


@cache
def _values(table: str, columns: tuple[str, ...], rows: int, mark: str) -> str:
    """A multi-row INSERT with the driver's parameter `mark` ("?" for sqlite3, "%s" for psycopg)."""
    one = f"({', '.join([mark] * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * rows)}"


IN_LIST = 5000  # values per IN (...) list: under every backend's parameter limit (SQLite 32,766, PostgreSQL 65,535)


def chunks(values: Sequence, size: int = IN_LIST) -> Iterator[Sequence]:
    """Consecutive slices of `values` short enough for one IN (...) list (`one_of`)."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def one_of(conn: Connection, column: sa.ColumnElement, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    """`column IN (values)` as the backend takes a long list best: on PostgreSQL a semi-join with one
    array parameter. With thousands of parameters (or `= ANY` of one), a table grown during a bulk
    load but not analysed yet was scanned by its index's first column and every row compared with
    the whole list: a corpus ingest's lookups took 30 s instead of 0.3 s."""
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column.in_(sa.select(sa.func.unnest(array)).scalar_subquery())
    return column.in_(values)


def _processors(dialect: sa.Dialect, table: sa.Table, columns: Sequence[str]) -> list[tuple[int, Callable]]:
    found = []
    for position, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, sa.LargeBinary):  # both drivers take bytes as they are
            continue
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            found.append((position, process))
    return found


@dataclass(frozen=True)
class Converted:
    """Rows already converted for one backend (`convert`): `insert` sends them as they are."""

    dialect: str
    rows: list[tuple[Any, ...]]


def convert(dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> Converted:
    """Rows converted by the columns' bind processors, ahead of the transaction that inserts them
    (converting is Python work a writer would otherwise do while holding the store's write lock)."""
    processors = _processors(dialect, table, columns)
    return Converted(dialect.name, _processed(rows, processors) if processors and rows else list(rows))


def insert(conn: Connection, table: sa.Table, columns: tuple[str, ...],
           rows: Sequence[tuple[Any, ...]] | Converted) -> None:
    """Insert rows (tuples in `columns` order, Python values as for SQLAlchemy, or `convert`ed for
    this backend) in the current transaction."""
    if not isinstance(rows, Converted):
        rows = convert(conn.dialect, table, columns, rows)
    elif rows.dialect != conn.dialect.name:
        raise ValueError(f"storage: rows converted for {rows.dialect} sent to {conn.dialect.name}")
    if not rows.rows:
        return
    cursor = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql" and len(rows.rows) < COPY_FROM_ROWS:
            cursor.execute(_values(table.name, columns, len(rows.rows), "%s"),
                           tuple(chain.from_iterable(rows.rows)))
        elif conn.dialect.name == "postgresql":
            with cursor.copy(_copy(table.name, columns)) as copy:
                for row in rows.rows:
                    copy.write_row(row)
        else:
            _insert_sqlite(cursor, table.name, columns, rows.rows)
    finally:
        cursor.close()


def _insert_sqlite(cursor: Any, table: str, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    if len(rows) >= BULK_ROWS:  # this connection keeps a larger page cache: inserting random keys
        cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KB}")  # into big indexes thrashes the default
    per = max(1, min(ROWS_PER_STATEMENT, _SQLITE_VARIABLES // len(columns)))
    whole = len(rows) - len(rows) % per
    if whole:
        statement = _values(table, columns, per, "?")
        cursor.executemany(statement, (tuple(chain.from_iterable(rows[start:start + per]))
                                       for start in range(0, whole, per)))
    if whole < len(rows):  # the rest in one statement too, not row by row: each row would give the GIL up and wait
        cursor.execute(_values(table, columns, len(rows) - whole, "?"), tuple(chain.from_iterable(rows[whole:])))


def _processed(rows: Sequence[tuple[Any, ...]], processors: list[tuple[int, Callable]]) -> list[tuple[Any, ...]]:
    """Rows with their values converted; equal values (a day, empty affiliations, one source) are
    converted once: most of a bulk load's dates and JSON values repeat."""
    done: list[dict[Any, Any]] = [{} for _ in processors]
    result = []
    for row in rows:
        values = list(row)
        for (position, process), seen in zip(processors, done, strict=True):
            value = values[position]
            if value is None:
                continue
            try:
                values[position] = seen[value] if value in seen else seen.setdefault(value, process(value))
            except TypeError:  # an unhashable value (a dict of links): converted on its own
                values[position] = process(value)
        result.append(tuple(values))
    return result
