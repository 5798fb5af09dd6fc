"""The database handle, connecting from a URL, and the numbered migrations.

Models bind to `db`, a proxy, so the same code runs on SQLite (the embedded
default) and PostgreSQL (production); `connect()` decides which at start-up.
"""
import os

from peewee import (
    SQL, DatabaseProxy, DateField, DateTimeField, InterfaceError, OperationalError, SqliteDatabase,
)
from playhouse.db_url import connect as connect_url
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase
from playhouse.shortcuts import ReconnectMixin

db = DatabaseProxy()

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")

# WAL lets the web process read while a worker writes; busy_timeout makes
# writers queue instead of failing with "database is locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


POOL_SIZE = 32  # per process: gunicorn threads and huey worker threads each hold one at a time


class ReconnectingPostgresqlDatabase(ReconnectMixin, PooledPostgresqlDatabase):
    """Pooled connections (a web request or a task borrows one instead of opening a new
    connection, which cost more than the request's own work); reconnects once when the server
    dropped the connection (restart, pg_terminate_backend)."""

    reconnect_errors = (
        (OperationalError, "terminating connection"),
        (OperationalError, "server closed the connection"),
        (InterfaceError, "connection already closed"),
    )


def connect(url):
    """Open the database named by `url` and bind the models to it."""
    if url.startswith("sqlite"):
        database = connect_url(url, pragmas=SQLITE_PRAGMAS, timeout=10)
    elif url.startswith(("postgres://", "postgresql://")):
        database = connect_url(url)
        database = ReconnectingPostgresqlDatabase(
            database.database, max_connections=POOL_SIZE, stale_timeout=300, timeout=30, **database.connect_params
        )
    else:
        raise ValueError(f"unsupported DATABASE_URL scheme: {url.split(':', 1)[0]!r}")
    db.initialize(database)
    return database


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


def migrate(database=None):
    """Apply pending migrations in order; returns the names applied."""
    return Runner(database or db.obj, MIGRATIONS_DIR).up()


def pending_migrations(database=None):
    runner = Runner(database or db.obj, MIGRATIONS_DIR)
    return [m.name for m in runner.status() if not m.applied and m.path]


def id_set(ids):
    """`(1,2,3)` for `field.in_(...)`: ids are integers we read ourselves, written inline because
    binding hundreds of parameters through the query builder costs more than the query."""
    return SQL("(" + (",".join(str(int(i)) for i in ids) or "NULL") + ")")


def fetch_tuples(query, fields, row_type=None):
    """Run `query` (selecting `fields`, in order) on a raw cursor and return `row_type` rows.

    Skips the ORM's per-value conversion, which dominates on hot paths; SQLite hands dates
    and times back as text, so those columns are converted here."""
    make = row_type or (lambda *values: values)
    rows = db.execute(query).fetchall()
    dated = [(i, f.python_value) for i, f in enumerate(fields) if isinstance(f, (DateField, DateTimeField))]
    if rows and dated and is_sqlite():
        converted = []
        for row in rows:
            row = list(row)
            for i, convert in dated:
                if isinstance(row[i], str):
                    row[i] = convert(row[i])
            converted.append(make(*row))
        return converted
    return [make(*row) for row in rows]
