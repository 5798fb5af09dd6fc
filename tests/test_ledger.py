"""The delivery ledger: no double sends, lost tasks re-enqueued, crashed sends reconciled."""
import datetime
import threading

import pytest

from core import channels, dispatch, ledger, tokens
from core.channels import Outgoing
from core.db import db
from core.models import Delivery, Membership, OutboxMessage, utcnow
from core.teams import add_member, create_team
from scheduler.queue import make_huey
from scheduler.tasks import register
from tests.conftest import TEST_SECRET, with_settings

DT = datetime.datetime
# Tuesday 2026-12-01, 17:00 in New York is 22:00 UTC.
PROMPT_TIME = DT(2026, 12, 1, 22, 0)
SEEDED_AT = DT(2026, 12, 1, 12, 0)


@pytest.fixture
def team(runtime):
    return create_team("Core team", slug="core")


def add_people(team, count, tz="America/New_York", prompt_at="17:00"):
    # digests at 23:00 local, so only prompts are due at PROMPT_TIME
    return [add_member(team, f"person{i}@example.com", SEEDED_AT, name=f"Person {i}", tz=tz, prompt_at=prompt_at,
                       digest_at="23:00")
            for i in range(count)]


def test_a_second_tick_for_the_same_minute_plans_nothing(team):
    people = add_people(team, 3)
    first = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))
    assert sorted(first["email"]) == sorted(d.id for d in Delivery.select())
    assert len(first["email"]) == 3
    again = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))
    assert again == {}
    # even if next_prompt_at were not advanced (two ticks racing), the unique ledger row holds
    for person in people:
        type(person).update(next_prompt_at=PROMPT_TIME).where(type(person).id == person.id).execute()
    raced = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))
    assert raced == {}
    assert Delivery.select().count() == 3


def test_claims_are_exclusive(team):
    add_people(team, 5)
    ids = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))["email"]
    a = ledger.claim(ids, PROMPT_TIME, "worker-a")
    b = ledger.claim(ids, PROMPT_TIME, "worker-b")
    assert sorted(a) == sorted(ids) and b == []
    assert ledger.mark_sent([(i, "x") for i in ids], "worker-b", PROMPT_TIME) == 0  # not the holder
    assert ledger.mark_sent([(i, "x") for i in ids], "worker-a", PROMPT_TIME) == 5


def test_two_workers_delivering_the_same_ids_at_once_send_each_once(team, runtime):
    add_people(team, 40)
    ids = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))["email"]
    barrier = threading.Barrier(4)
    reports, errors = [], []

    def worker(name):
        try:
            barrier.wait()
            reports.append(dispatch.deliver("email", ids, PROMPT_TIME, TEST_SECRET, worker=name))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.sent for r in reports) == 40
    assert OutboxMessage.select().count() == 40
    assert Delivery.select().where(Delivery.state == "sent").count() == 40


def test_transient_error_requeues_with_backoff_then_permanent_failure(team):
    add_people(team, 1)
    [delivery_id] = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))["email"]
    token = "w"
    assert ledger.claim([delivery_id], PROMPT_TIME, token) == [delivery_id]
    delay = ledger.backoff(1)
    assert 15 <= delay <= 30
    retried, failed = ledger.mark_retry([delivery_id], token, PROMPT_TIME, "HTTP 503", delay)
    assert (retried, failed) == (1, 0)
    row = Delivery.get_by_id(delivery_id)
    assert row.state == "queued" and row.next_attempt_at > PROMPT_TIME
    # not claimable before its time
    assert ledger.claim([delivery_id], PROMPT_TIME, "w2") == []
    later = row.next_attempt_at
    assert ledger.claim([delivery_id], later, "w2") == [delivery_id]
    assert ledger.mark_failed([delivery_id], "w2", later, "406 inactive recipient") == 1
    assert Delivery.get_by_id(delivery_id).state == "failed"


def test_backoff_grows_and_honours_retry_after():
    assert ledger.backoff(6) > ledger.backoff(1) * 4
    assert ledger.backoff(1, retry_after=120) >= 120
    assert ledger.backoff(50) <= ledger.BACKOFF_CAP


def test_attempts_run_out(team):
    add_people(team, 1)
    [delivery_id] = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))["email"]
    now = PROMPT_TIME
    for attempt in range(ledger.MAX_ATTEMPTS):
        assert ledger.claim([delivery_id], now, f"w{attempt}") == [delivery_id]
        ledger.mark_retry([delivery_id], f"w{attempt}", now, "HTTP 503", 1)
        now += datetime.timedelta(seconds=2)
    row = Delivery.get_by_id(delivery_id)
    assert row.state == "failed" and "gave up" in row.last_error


def test_stale_sending_becomes_unknown_and_reconciles_without_a_duplicate(team, runtime):
    add_people(team, 2)
    ids = dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))["email"]
    # A worker claimed and sent the first, then died before recording it; it claimed the
    # second and died before sending.
    assert sorted(ledger.claim(ids, PROMPT_TIME, "dead-worker")) == sorted(ids)
    first, second = sorted(ids)
    row = Delivery.get_by_id(first)
    person = row.membership.user
    channels.get("email").send([Outgoing(
        delivery_id=first, kind="prompt", local_date=row.local_date, user_id=person.id, membership_id=row.membership_id,
        email=person.email, name=person.name, team_name="Core team", team_slug="core",
        reply_token=tokens.encode(TEST_SECRET, row.membership_id, row.local_date), context={"open_goals": []},
    )])
    assert OutboxMessage.select().count() == 1

    later = PROMPT_TIME + datetime.timedelta(minutes=15)
    report = dispatch.reap(later)
    assert report.made_unknown == 2
    assert report.reconciled_sent == 0  # just marked unknown: give the provider's search time to settle
    assert Delivery.select().where(Delivery.state == "unknown").count() == 2
    later += datetime.timedelta(minutes=2)
    report = dispatch.reap(later)
    assert report.reconciled_sent == 1
    assert report.requeued == {"email": [second]}
    assert Delivery.get_by_id(first).state == "sent"
    assert Delivery.get_by_id(second).state == "queued"
    dispatch.deliver("email", [first, second], later, TEST_SECRET)
    assert OutboxMessage.select().count() == 2
    assert sorted(m.delivery_id for m in OutboxMessage.select()) == sorted(ids)


def test_a_lost_huey_task_is_reenqueued_by_reap(team, runtime, settings, tmp_path):
    """The queue loses a deliver task (a killed consumer, a flushed Redis): reap finds the
    queued ledger rows and enqueues them again. Runs on RedisHuey when REDIS_URL is set."""
    import os

    queue_settings = with_settings(settings, queue_immediate=False, redis_url=os.environ.get("REDIS_URL", ""))
    huey = make_huey(queue_settings)
    tasks = register(huey, queue_settings)
    huey.flush()
    add_people(team, 3)
    # Due a minute ago by the real clock, because the task below runs with the real clock.
    tick_at = utcnow() - datetime.timedelta(minutes=1)
    Membership.update(next_prompt_at=tick_at).execute()
    queued = tasks.run_tick(tick_at)
    assert huey.pending_count() == 1  # one deliver task for three ids
    huey.flush()  # the task is lost
    assert huey.pending_count() == 0
    assert Delivery.select().where(Delivery.state == "queued").count() == 3

    # Too early to call them lost: reap leaves them.
    assert dispatch.reap(tick_at + datetime.timedelta(seconds=30)).requeued == {}
    report = dispatch.reap(tick_at + datetime.timedelta(minutes=5))
    assert sorted(report.requeued["email"]) == sorted(queued["email"])
    tasks.enqueue_deliveries(report.requeued)
    assert huey.pending_count() == 1
    task = huey.dequeue()
    huey.execute(task)
    assert Delivery.select().where(Delivery.state == "sent").count() == 3
    assert OutboxMessage.select().count() == 3
    huey.flush()


def test_mark_sent_records_each_provider_id_and_tolerates_none(team):
    add_people(team, 3)
    ids = sorted(dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2))["email"])
    ledger.claim(ids, PROMPT_TIME, "w")
    assert ledger.mark_sent([(ids[0], "pm-0"), (ids[1], None), (ids[2], "pm-2")], "w", PROMPT_TIME) == 3
    assert [Delivery.get_by_id(i).provider_message_id for i in ids] == ["pm-0", None, "pm-2"]
    assert all(Delivery.get_by_id(i).state == "sent" for i in ids)


def _committed_deliveries(ids):
    """Count these deliveries as another process sees them: on a connection of its own."""
    url = db.obj.database if db.obj.__class__.__name__.endswith("SqliteDatabase") else None
    id_list = ",".join(str(int(i)) for i in ids)
    if url is not None:
        import sqlite3

        other = sqlite3.connect(url)
    else:
        import psycopg2

        other = psycopg2.connect(dbname=db.obj.database, **db.obj.connect_params)
    try:
        cursor = other.cursor()
        cursor.execute(f'SELECT count(*) FROM "delivery" WHERE "id" IN ({id_list})')
        return cursor.fetchone()[0]
    finally:
        other.close()


@pytest.mark.parametrize("batch", [100, 2])  # one batch; three (planned side by side on PostgreSQL)
def test_workers_are_handed_only_committed_deliveries(team, batch, monkeypatch):
    # A worker claims on its own connection: a batch handed over before its commit would claim nothing.
    monkeypatch.setattr(dispatch, "PLAN_BATCH", batch)
    add_people(team, 5)
    seen = []
    dispatch.plan_due(PROMPT_TIME, datetime.timedelta(hours=2),
                      on_batch=lambda planned: seen.append((len(planned["email"]),
                                                            _committed_deliveries(planned["email"]))))
    assert sum(handed for handed, _ in seen) == 5 and len(seen) == (1 if batch == 100 else 3)
    assert all(handed == visible for handed, visible in seen), seen
