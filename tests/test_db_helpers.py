"""core.db's hot-path helpers, on the suite's database (SQLite, or PostgreSQL in CI): the raw
multi-row insert (VALUES on SQLite, unnest with constant columns bound once on PostgreSQL) and
the primary-key lookup that skips the query builder."""
import datetime

from core.db import get_by_id, insert_rows
from core.models import Delivery, InboundMessage, Reply
from core.teams import add_member, create_team

NOW = datetime.datetime(2026, 12, 1, 17, 0)
DAY = datetime.date(2026, 12, 1)


def members(count):
    team = create_team("Helpers", slug="helpers")
    return [add_member(team, f"h{i}@example.com", NOW, name=f"H {i}", tz="UTC") for i in range(count)]


def delivery_row(membership_id, kind="prompt", state="queued", last_error=None, day=DAY):
    stamp = Delivery.created_at.db_value(NOW)
    return (membership_id, kind, "email", Delivery.local_date.db_value(day), state, last_error, 0, stamp, stamp, stamp)


COLUMNS = ("membership_id", "kind", "channel", "local_date", "state", "last_error", "attempts", "next_attempt_at",
           "created_at", "updated_at")


def test_insert_rows_returns_each_inserted_row_with_mixed_and_constant_columns(runtime):
    a, b, c = members(3)
    rows = [delivery_row(a.id), delivery_row(b.id, kind="digest", last_error="why"), delivery_row(c.id, state="skipped")]
    returned = insert_rows(Delivery, COLUMNS, rows, returning=("membership_id", "kind", "state", "last_error"))
    assert sorted(returned) == sorted([(a.id, "prompt", "queued", None), (b.id, "digest", "queued", "why"),
                                       (c.id, "prompt", "skipped", None)])
    stored = {d.membership_id: d for d in Delivery.select()}
    assert stored[b.id].local_date == DAY and stored[b.id].created_at == NOW and stored[c.id].attempts == 0


def test_insert_rows_with_every_column_constant_inserts_every_row(runtime):
    # Every value the same in every column: PostgreSQL's path has no array left to unnest.
    a, = members(1)
    rows = [delivery_row(a.id)] * 3
    returned = insert_rows(Delivery, COLUMNS, rows, returning=("id",), ignore_conflicts=True)
    assert len(returned) == 1  # the unique key lets the first in, and ignores the two repeats
    assert Delivery.select().count() == 1


def test_insert_rows_ignoring_conflicts_returns_only_new_rows(runtime):
    a, b = members(2)
    insert_rows(Delivery, COLUMNS, [delivery_row(a.id)])
    returned = insert_rows(Delivery, COLUMNS, [delivery_row(a.id), delivery_row(b.id)], returning=("membership_id",),
                           ignore_conflicts=True)
    assert returned == [(b.id,)]
    assert Delivery.select().count() == 2


def test_insert_rows_with_no_rows_does_nothing(runtime):
    assert insert_rows(Delivery, COLUMNS, [], returning=("id",)) == []
    assert Delivery.select().count() == 0


def test_insert_rows_keeps_text_exactly(runtime):
    a, = members(1)
    texts = ["quote ' and \" and \\ backslash", "{braces}, [brackets] and NULL", "ünïcödé ✓ 日本"]
    stamp = Reply.created_at.db_value(NOW)
    rows = [(a.id, Reply.local_date.db_value(DAY), "test", f"ref-{i}", text, stamp) for i, text in enumerate(texts)]
    insert_rows(Reply, ("membership_id", "local_date", "source", "source_ref", "text", "created_at"), rows)
    assert sorted(r.text for r in Reply.select()) == sorted(texts)


def test_get_by_id_returns_the_row_or_none(runtime):
    [(message_id,)] = insert_rows(
        InboundMessage, ("provider", "provider_message_id", "payload", "received_at", "state", "entry_count"),
        [("postmark", "m-1", "{}", InboundMessage.received_at.db_value(NOW), "received", 0)], returning=("id",))
    message = get_by_id(InboundMessage, message_id)
    assert (message.id, message.provider_message_id, message.received_at) == (message_id, "m-1", NOW)
    assert get_by_id(InboundMessage, message_id + 1000) is None


def test_the_queue_keeps_no_task_results(runtime):
    # Nothing reads a task's return value; a result store would keep one per reply, forever.
    runtime.tasks.reap()
    assert runtime.huey.results is False
    assert runtime.huey.storage.result_store_size() == 0
