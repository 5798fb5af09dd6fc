"""The web app: single-use sign-in links, and a full-text index over entry text.

A frozen copy of the sign-in table as it was; later changes go in new files.
The search index is written per dialect: an FTS5 table kept in step by triggers on
SQLite, an expression GIN index on PostgreSQL (no extra table to keep in step).
"""
import datetime

from peewee import CharField, DateTimeField, IntegerField, Model, SqliteDatabase


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


SQLITE_SEARCH = [
    # External content: the text lives once, in entry; the index stores only tokens.
    """CREATE VIRTUAL TABLE IF NOT EXISTS entry_fts USING fts5(
           text, content='entry', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS entry_fts_insert AFTER INSERT ON entry BEGIN
           INSERT INTO entry_fts(rowid, text) VALUES (new.id, new.text);
       END""",
    """CREATE TRIGGER IF NOT EXISTS entry_fts_delete AFTER DELETE ON entry BEGIN
           INSERT INTO entry_fts(entry_fts, rowid, text) VALUES ('delete', old.id, old.text);
       END""",
    """CREATE TRIGGER IF NOT EXISTS entry_fts_update AFTER UPDATE OF text ON entry BEGIN
           INSERT INTO entry_fts(entry_fts, rowid, text) VALUES ('delete', old.id, old.text);
           INSERT INTO entry_fts(rowid, text) VALUES (new.id, new.text);
       END""",
    "INSERT INTO entry_fts(entry_fts) VALUES ('rebuild')",  # entries written before this migration
]

POSTGRES_SEARCH = [
    "CREATE INDEX IF NOT EXISTS entry_text_search ON entry USING GIN (to_tsvector('english', text))",
]


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class SignInLink(Base):
        email = CharField(index=True)
        user_id = IntegerField(null=True)  # None: nobody has that address (nothing was sent)
        token_hash = CharField(unique=True)
        next_path = CharField(default="/")
        created_at = DateTimeField(default=_now, index=True)
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

    db.create_tables([SignInLink])
    for statement in SQLITE_SEARCH if isinstance(db, SqliteDatabase) else POSTGRES_SEARCH:
        db.execute_sql(statement)
