"""The database handle, connecting from a URL, and the numbered migrations.

Models bind to `db`, a proxy, so the same code runs on SQLite (the embedded
default) and PostgreSQL (production); `connect()` decides which at start-up.
"""
import os

from peewee import DatabaseProxy, InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect as connect_url
from playhouse.migrations import Runner
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


class ReconnectingPostgresqlDatabase(ReconnectMixin, PostgresqlDatabase):
    """Reconnects once when the server dropped the connection (restart, pg_terminate_backend)."""

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
            database.database, **database.connect_params
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
