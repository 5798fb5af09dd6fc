"""The delivery state machine. Every transition is a conditional UPDATE.

    queued --claim--> sending --ok------------------> sent
                       |--transient error-----------> queued (next_attempt_at = now + backoff)
                       |--permanent error-----------> failed
                       '--stale (worker died)-------> unknown --reconcile--> sent | queued
    queued / sending --paused, suppressed, too late-> skipped

The WHERE clause names the state a row must be in, and for rows being sent the
claim token of the worker holding it; whoever's UPDATE touches the row won.
That holds on SQLite and PostgreSQL alike, for any number of workers.
"""
import datetime
import random
import uuid
from collections import defaultdict

from peewee import chunked

from core.db import db, id_set, insert_rows
from core.models import Delivery

MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds; doubled per attempt
BACKOFF_CAP = 3600
CHUNK = 500  # ids per IN (...) list: well inside every database's parameter limit
PLAN_CHUNK = 2000  # rows per INSERT: 20,000 parameters, under SQLite's 32,766


def backoff(attempts, retry_after=None, base=BACKOFF_BASE):
    """Seconds to wait before attempt `attempts + 1`: exponential, with jitter."""
    delay = min(BACKOFF_CAP, base * 2 ** max(0, attempts - 1))
    delay = delay * random.uniform(0.5, 1.0)
    if retry_after:
        delay = max(delay, float(retry_after))
    return round(delay, 3)


_PLAN_COLUMNS = ("membership_id", "kind", "channel", "local_date", "state", "last_error", "attempts",
                 "next_attempt_at", "created_at", "updated_at")


def plan(rows, now):
    """Insert deliveries: rows of (membership id, kind, channel, local date, state, last_error).

    A row that already exists (same membership, kind, channel and date) is left alone: the
    unique key is what makes a second tick, or two at once, harmless.
    Returns {channel: [ids]} of the rows this call inserted as queued.

    Written as one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING per chunk (SQLite 3.35+
    and PostgreSQL both speak it); building it through the ORM cost more than the insert.
    """
    queued = defaultdict(list)
    stamp = Delivery.created_at.db_value(now)
    for batch in chunked(rows, PLAN_CHUNK):
        values = [(membership_id, kind, channel, Delivery.local_date.db_value(local_date), state, last_error,
                   0, stamp, stamp, stamp)
                  for membership_id, kind, channel, local_date, state, last_error in batch]
        inserted = insert_rows(Delivery, _PLAN_COLUMNS, values,
                               returning=("id", "channel", "state"), ignore_conflicts=True)
        for delivery_id, channel, state in inserted:
            if state == "queued":
                queued[channel].append(delivery_id)
    return dict(queued)


def new_claim_token(worker=""):
    return f"{worker[:40]}:{uuid.uuid4().hex}" if worker else uuid.uuid4().hex


def claim(ids, now, token):
    """Move queued rows that are due to `sending` under `token`; returns the ids won.
    The row count of this conditional UPDATE, not a read before it, decides who won."""
    won = []
    for batch in chunked(ids, CHUNK):
        query = (
            Delivery.update(state="sending", claimed_by=token, claimed_at=now, attempts=Delivery.attempts + 1,
                            updated_at=now)
            .where(Delivery.id.in_(id_set(batch)), Delivery.state == "queued", Delivery.next_attempt_at <= now)
            .returning(Delivery.id)
            .tuples()
        )
        won += [row[0] for row in query.execute()]
    return won


def _from_sending(ids, token, now, *conditions, **changes):
    """Move rows still `sending` under `token`; returns how many moved."""
    changes["updated_at"] = now
    moved = 0
    for batch in chunked(ids, CHUNK):
        moved += (
            Delivery.update(**changes)
            .where(Delivery.id.in_(id_set(batch)), Delivery.state == "sending", Delivery.claimed_by == token,
                   *conditions)
            .execute()
        )
    return moved


def mark_sent(sent, token, now):
    """`sent` is [(delivery_id, provider_message_id)]. Returns how many rows moved.

    One UPDATE per chunk, written as SQL text: the provider ids go in through a CASE on the id
    (ids are integers we read ourselves, inline), which the query builder took longer to build
    than the database took to run."""
    moved = 0
    table, param = Delivery._meta.table_name, db.param
    with db.atomic():
        for batch in chunked(sent, CHUNK):
            pairs = [(int(d), p) for d, p in batch if p]
            provider_id = '"provider_message_id"'
            if pairs:
                whens = " ".join(f"WHEN {d} THEN {param}" for d, _ in pairs)
                provider_id = f'CASE "id" {whens} ELSE "provider_message_id" END'
            cursor = db.execute_sql(
                f'UPDATE "{table}" SET "state" = {param}, "last_error" = NULL, "updated_at" = {param}, '
                f'"provider_message_id" = {provider_id} '
                f'WHERE "id" IN {id_set(d for d, _ in batch).sql} AND "state" = {param} AND "claimed_by" = {param}',
                ["sent", Delivery.updated_at.db_value(now)] + [p for _, p in pairs] + ["sending", token])
            moved += cursor.rowcount
    return moved


def mark_retry(ids, token, now, error, delay):
    """Back to queued after a transient error, or failed once attempts run out."""
    with db.atomic():
        failed = _from_sending(ids, token, now, Delivery.attempts >= MAX_ATTEMPTS, state="failed",
                               last_error=f"gave up after {MAX_ATTEMPTS} attempts: {error}")
        later = now + datetime.timedelta(seconds=delay)
        retried = _from_sending(ids, token, now, state="queued", next_attempt_at=later, claimed_by=None,
                                last_error=str(error))
    return retried, failed


def mark_failed(ids, token, now, error):
    return _from_sending(ids, token, now, state="failed", last_error=str(error))


def mark_skipped(ids, token, now, reason):
    return _from_sending(ids, token, now, state="skipped", last_error=reason)


def mark_unknown(ids, token, now, error):
    """The provider may or may not have the message: reconcile before any re-send."""
    return _from_sending(ids, token, now, state="unknown", last_error=str(error))


def stale_to_unknown(now, stale_after):
    """Rows left in `sending` by a worker that died."""
    cutoff = now - stale_after
    return (
        Delivery.update(state="unknown", updated_at=now, last_error="worker stopped while sending")
        .where(Delivery.state == "sending", Delivery.claimed_at < cutoff)
        .execute()
    )


def unknown_by_channel(unknown_since, limit=5000):
    """Rows that have been `unknown` since before `unknown_since`, by channel."""
    found = defaultdict(list)
    query = (
        Delivery.select(Delivery.id, Delivery.channel)
        .where(Delivery.state == "unknown", Delivery.updated_at <= unknown_since)
        .limit(limit)
    )
    for row in query:
        found[row.channel].append(row.id)
    return dict(found)


def resolve_unknown(accepted, not_accepted, now):
    """After asking the provider: accepted {id: provider id} -> sent; the rest -> queued."""
    with db.atomic():
        for delivery_id, provider_id in accepted.items():
            Delivery.update(state="sent", provider_message_id=provider_id, updated_at=now,
                            last_error=None).where(
                Delivery.id == delivery_id, Delivery.state == "unknown"
            ).execute()
        for batch in chunked(not_accepted, CHUNK):
            Delivery.update(state="queued", claimed_by=None, next_attempt_at=now, updated_at=now).where(
                Delivery.id.in_(batch), Delivery.state == "unknown"
            ).execute()


def lost_queued(now, lost_after, limit=50000):
    """Queued rows that should have been picked up a while ago: their task was lost."""
    cutoff = now - lost_after
    found = defaultdict(list)
    query = (
        Delivery.select(Delivery.id, Delivery.channel)
        .where(Delivery.state == "queued", Delivery.next_attempt_at < cutoff)
        .order_by(Delivery.id)
        .limit(limit)
    )
    for row in query:
        found[row.channel].append(row.id)
    return dict(found)
