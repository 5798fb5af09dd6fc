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
        (OperationalError, "could not receive data from server"),
        (OperationalError, "ssl syscall error"),
    )

    def _reconnect(self, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as error:
            if self.in_transaction() or not self._dropped(error):
                raise
            # The server dropped this connection (a restart, pg_terminate_backend). After a restart the
            # idle pooled connections are dead too, and checkout does not probe them: drop them all,
            # then retry once on a fresh connection (outside a transaction, so nothing is lost).
            self.close_idle()
            if not self.is_closed():
                self.close()
            self.connect()
            return func(*args, **kwargs)

    def _dropped(self, error):
        text = str(error).lower()
        return any(isinstance(error, kind) and fragment.lower() in text for kind, fragment in self.reconnect_errors)

    def _is_closed(self, conn):
        # The pool's own check sends `SELECT 1` on every checkout while holding the process-wide
        # connection lock, which serialised every request of a gunicorn worker behind a round trip.
        # A connection the server dropped is caught on its first statement instead: it raises one
        # of reconnect_errors outside a transaction, and _reconnect empties the pool and retries.
        return bool(conn.closed) or self._adapter.txn_status(conn) == self._adapter.txn_unknown


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


_ARRAY_TYPES = {"INT": "bigint[]", "BIGINT": "bigint[]", "SMALLINT": "bigint[]", "AUTO": "bigint[]",
                "BIGAUTO": "bigint[]", "BOOL": "boolean[]", "DATE": "date[]", "DATETIME": "timestamp[]",
                "FLOAT": "double precision[]", "DOUBLE": "double precision[]", "VARCHAR": "text[]",
                "CHAR": "text[]", "TEXT": "text[]"}


def insert_rows(model, columns, rows, returning=(), ignore_conflicts=False):
    """One multi-row `INSERT` into `model`'s table, optionally `ON CONFLICT DO NOTHING` and
    `RETURNING` columns; -> the returned rows ([] without `returning`).

    Written as SQL text because building inserts through the query builder cost more than the
    database's own work on the hot paths (the tick, recording replies). Values must already be
    in database form (`Field.db_value`). PostgreSQL gets one array per column, unnested: half
    the time of a VALUES list of the same rows (tens of thousands of parameters to parse).
    """
    if not rows:
        return []
    table = model._meta.table_name
    names = ", ".join('"%s"' % c for c in columns)
    if is_sqlite():
        one_row = "(" + ", ".join([db.param] * len(columns)) + ")"
        sql = f'INSERT INTO "{table}" ({names}) VALUES {", ".join([one_row] * len(rows))}'
        params = [value for row in rows for value in row]
    else:
        # A column holding one value in every row (a kind, a state, a timestamp) is bound once.
        fields = model._meta.columns
        selected, arrays, scalars, params = [], [], [], []
        for name, values in zip(columns, zip(*rows)):
            array_type = _ARRAY_TYPES.get(fields[name].field_type)
            if array_type is None:  # text would not cast to it: add the type above
                raise TypeError(f"insert_rows: no array type for {fields[name].field_type} ({table}.{name})")
            if len(values) > 1 and values.count(values[0]) == len(values):
                selected.append(f"%s::{array_type[:-2]}")
                scalars.append(values[0])
            else:
                selected.append(f"u.c{len(arrays)}")
                arrays.append((f"%s::{array_type}", list(values)))
        if arrays:
            unnest = ", ".join(cast for cast, _ in arrays)
            aliases = ", ".join(f"c{i}" for i in range(len(arrays)))
            source = f" FROM unnest({unnest}) AS u({aliases})"
        else:
            source = f" FROM generate_series(1, {len(rows)})"
        sql = f'INSERT INTO "{table}" ({names}) SELECT {", ".join(selected)}{source}'
        params = scalars + [values for _, values in arrays]
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join('"%s"' % c for c in returning)
    cursor = db.execute_sql(sql, params)
    return cursor.fetchall() if returning else []


_BY_ID_SQL = {}


def get_by_id(model, pk):
    """`model` row `pk` as a model instance, or None: `Model.get_or_none` without building the
    query each time (the builder cost three times the lookup itself on the per-reply path)."""
    key = (model, db.param)
    sql = _BY_ID_SQL.get(key)
    if sql is None:
        sql = _BY_ID_SQL[key] = f'SELECT * FROM "{model._meta.table_name}" WHERE "id" = {db.param}'
    return next(iter(model.raw(sql, pk)), None)


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
