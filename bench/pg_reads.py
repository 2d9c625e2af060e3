"""Benchmark: one primary-key read on PostgreSQL in a transaction (BEGIN, read, ROLLBACK) against autocommit.

    .venv/bin/python bench/pg_reads.py [--url postgresql://127.0.0.1/test] [--reads 3000] [--rounds 3]

Makes a schema of its own in the database at URL, migrates it, and reads the change board's
sequence row (what every request on a PostgreSQL store reads first) through the store's engine:
`engine.connect()` as the repositories read before, and `engine.reading()` as they read now. The
two alternate for --rounds rounds of --reads reads, so both see the same machine. It checks what
it claims: the first kind leaves a transaction open until the connection goes back to the pool,
the second none. Prints microseconds per read and writes bench/results/pg_reads.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import psycopg
import sqlalchemy as sa
from figures import save  # bench/figures.py (the script's own directory is on sys.path)

from academichub.storage import listened_board
from academichub.storage.engine import make_engine, migrate, reading

READ = sa.text(listened_board.SEQUENCE_SQL)


def _in_transaction(conn: sa.Connection) -> bool:
    return conn.connection.dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://127.0.0.1/test")
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(args.url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = make_engine(f"{args.url}?options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        with engine.connect() as conn:
            conn.execute(READ).all()
            assert _in_transaction(conn), "a plain connection should have opened a transaction"
        with reading(engine) as conn:
            conn.execute(READ).all()
            assert not _in_transaction(conn), "engine.reading left a transaction open"

        def in_transaction() -> None:
            with engine.connect() as conn:
                conn.execute(READ).all()

        def autocommit() -> None:
            with reading(engine) as conn:
                conn.execute(READ).all()

        timings: dict[str, list[float]] = {"transaction": [], "autocommit": []}
        for _ in range(args.rounds):
            for name, read in (("transaction", in_transaction), ("autocommit", autocommit)):
                read()
                started = time.perf_counter()
                for _ in range(args.reads):
                    read()
                timings[name].append((time.perf_counter() - started) / args.reads * 1e6)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()
    medians = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    print(f"one read of the board sequence, median of {args.rounds} rounds of {args.reads}: "
          f"in a transaction {medians['transaction']} µs, autocommit {medians['autocommit']} µs "
          f"({medians['transaction'] / medians['autocommit']:.2f}×)")
    save("pg_reads", {"reads": args.reads, "rounds": args.rounds, "microseconds": timings, "median_us": medians})


if __name__ == "__main__":
    main()
