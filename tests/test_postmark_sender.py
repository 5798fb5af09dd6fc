"""The Postmark sender against the loopback fake: real HTTP, real ledger, no patched donebot code."""
import datetime
import random
import socket
import threading
from collections import Counter

import pytest

from bot.runtime import register_channels
from channels.email.postmark import PostmarkSender
from core import channels, dispatch
from core.db import db
from core.models import Delivery, Membership, User
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, with_settings
from tests.fakes.postmark import FakePostmark

DT = datetime.datetime
# Tuesday 2026-12-01, 17:00 in New York is 22:00 UTC.
PROMPT_TIME = DT(2026, 12, 1, 22, 0)
SEEDED_AT = DT(2026, 12, 1, 12, 0)
GRACE = datetime.timedelta(hours=2)
LATER = PROMPT_TIME + datetime.timedelta(minutes=15)


@pytest.fixture
def fake():
    server = FakePostmark().start()
    server.hang_seconds = 3
    yield server
    server.stop()
    assert server.errors == []


@pytest.fixture
def settings(settings, fake):
    """Overrides conftest's settings: with a Postmark token, build_runtime wires PostmarkSender."""
    return with_settings(settings, postmark_server_token=fake.token, postmark_api_url=fake.url, postmark_timeout=0.5)


@pytest.fixture
def team(runtime):
    sender = channels.get("email").sender
    assert isinstance(sender, PostmarkSender)
    yield create_team("Core team", slug="core")
    channels.get("email").sender.close()


def add_people(team, count):
    """`count` members asked at 17:00 New York time (digests at 23:00, so only prompts are due at PROMPT_TIME).

    Up to 10 go through add_member; a crowd is the first member cloned in bulk (same schedule,
    own user), which keeps the 600- and 1,200-person tests quick.
    """
    def add(i):
        return add_member(team, f"person{i}@example.com", SEEDED_AT, name=f"Person {i}", tz="America/New_York",
                          prompt_at="17:00", digest_at="23:00")

    if count <= 10:
        return [add(i) for i in range(count)]
    first = add(0)
    with db.atomic():
        User.insert_many([{"email": f"person{i}@example.com", "name": f"Person {i}", "tz": "America/New_York"}
                          for i in range(1, count)]).execute()
        users = User.select(User.id).where(User.id != first.user_id).order_by(User.id)
        template = {k: v for k, v in first.__data__.items() if k not in ("id", "user")}
        Membership.insert_many([{**template, "user": u.id} for u in users]).execute()
    assert Membership.select().where(Membership.next_prompt_at == PROMPT_TIME).count() == count
    return list(Membership.select())


def plan():
    return sorted(dispatch.plan_due(PROMPT_TIME, GRACE)["email"])


def deliver(ids, now=PROMPT_TIME):
    return dispatch.deliver("email", ids, now, TEST_SECRET, grace=GRACE)


def states(ids=None):
    query = Delivery.select(Delivery.state)
    if ids is not None:
        query = query.where(Delivery.id.in_(ids))
    return Counter(d.state for d in query)


def accepted_by_delivery(fake):
    return {int(m["Metadata"]["delivery_id"]): m for m in fake.accepted}


def batch_requests(fake):
    return [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/email/batch"]


def assert_sent_once(fake, ids):
    """Every delivery is sent, Postmark has each exactly once, and the ledger holds its MessageID."""
    assert fake.stats() == {"count": len(ids), "distinct_delivery_ids": len(ids), "duplicates": 0}
    accepted = accepted_by_delivery(fake)
    for d in Delivery.select().where(Delivery.id.in_(ids)):
        assert d.state == "sent", (d.id, d.state, d.last_error)
        assert d.provider_message_id == accepted[d.id]["MessageID"]


def test_1200_prompts_go_out_in_three_batches_of_at_most_500(team, fake):
    add_people(team, 1200)
    ids = plan()
    report = deliver(ids)
    assert report.sent == 1200 and report.unknown == report.failed == 0
    assert len(batch_requests(fake)) == 3
    assert sorted(Counter(m["SubmittedAt"] for m in fake.accepted).values()) == [200, 500, 500]
    assert_sent_once(fake, ids)
    # every request carried the token and JSON headers
    for request in batch_requests(fake):
        assert request["headers"]["X-Postmark-Server-Token"] == fake.token
        assert "application/json" in request["headers"]["Content-Type"]
        assert request["status"] == 200
    # what the channel built arrives as built
    people = {u.email: u for u in User.select()}
    for delivery_id, message in accepted_by_delivery(fake).items():
        assert message["Metadata"] == {"delivery_id": str(delivery_id)}
        assert message["Tag"] == "prompt"
        assert message["MessageStream"] == "outbound"
        assert message["ReplyTo"].endswith("@in.donebot.test>") and "reply+" in message["ReplyTo"]
        assert message["From"] == "donebot <donebot@donebot.test>"
        assert message["To"].rpartition("<")[2].rstrip(">") in people
        assert message["TextBody"] and message["Subject"]


@pytest.mark.parametrize("code", [406, 300])
def test_a_rejected_recipient_fails_and_is_marked_bounced_while_the_rest_go_out(team, fake, code):
    add_people(team, 5)
    fake.recipient_errors = {"person2@example.com": code}
    ids = plan()
    report = deliver(ids)
    assert (report.sent, report.failed, report.unknown) == (4, 1, 0)
    bad = Delivery.select().join(Membership).join(User).where(User.email == "person2@example.com").get()
    assert bad.state == "failed" and f"ErrorCode {code}" in bad.last_error
    assert User.get(User.email == "person2@example.com").email_status == "bounced"
    assert User.select().where(User.email_status == "active").count() == 4
    others = [i for i in ids if i != bad.id]
    assert_sent_once(fake, others)
    # the next day nobody sends to the bounced address again
    next_day = PROMPT_TIME + datetime.timedelta(days=1)
    queued = dispatch.plan_due(next_day, GRACE)["email"]
    assert len(queued) == 4
    skipped = Delivery.get(Delivery.membership == bad.membership_id, Delivery.local_date == bad.local_date
                           + datetime.timedelta(days=1))
    assert skipped.state == "skipped" and skipped.last_error == "email bounced"


@pytest.mark.parametrize("kind", ["503", "429"])
def test_throttled_or_unavailable_requeues_everything_then_sends_each_once(team, fake, kind):
    add_people(team, 4)
    ids = plan()
    fake.fail_next(1, kind)
    report = deliver(ids)
    assert (report.sent, report.failed, report.unknown) == (0, 0, 0)
    assert report.retry and sorted(report.retry[0][0]) == ids and report.retry[0][1] >= 1  # honours Retry-After
    assert fake.stats()["count"] == 0
    rows = list(Delivery.select().where(Delivery.id.in_(ids)))
    assert {d.state for d in rows} == {"queued"}
    assert all(d.next_attempt_at > PROMPT_TIME and d.attempts == 1 and kind in d.last_error for d in rows)
    # not due yet: a second deliver at the same instant sends nothing
    assert deliver(ids).sent == 0 and fake.stats()["count"] == 0
    retry_at = max(d.next_attempt_at for d in rows)
    assert deliver(ids, retry_at).sent == 4
    assert_sent_once(fake, ids)


def test_a_500_is_ambiguous_and_reconciles_as_sent_without_a_resend(team, fake):
    add_people(team, 6)
    ids = plan()
    fake.fail_next(1, "500")  # the fake accepts the batch, then the answer is a 500
    report = deliver(ids)
    assert report.unknown == 6 and report.sent == 0
    assert states(ids) == {"unknown": 6}
    assert fake.stats()["count"] == 6
    reaped = dispatch.reap(LATER)
    assert reaped.reconciled_sent == 6 and not reaped.requeued.get("email")
    searches = [r for r in fake.requests if r["path"] == "/messages/outbound"]
    assert len(searches) == 6 and all("metadata_delivery_id=" in r["query"] for r in searches)
    assert deliver(ids, LATER).sent == 0  # nothing left to send
    assert_sent_once(fake, ids)


def test_a_timeout_is_ambiguous_and_reap_tells_accepted_from_lost(team, fake):
    add_people(team, 6)
    ids = plan()
    first, second = ids[:3], ids[3:]
    fake.fail_next(1, "500")  # accepted, answer lost
    assert deliver(first).unknown == 3
    fake.fail_next(1, "hang")  # never answered, never accepted: the client's timeout ends it
    started = DT.now()
    report = deliver(second)
    assert (DT.now() - started).total_seconds() < 2.5
    assert report.unknown == 3
    assert states(ids) == {"unknown": 6}
    assert "reconcile" in Delivery.get_by_id(second[0]).last_error
    assert fake.stats()["count"] == 3

    reaped = dispatch.reap(LATER)
    assert reaped.reconciled_sent == 3
    assert sorted(reaped.requeued["email"]) == second
    assert states(first) == {"sent": 3} and states(second) == {"queued": 3}
    assert deliver(reaped.requeued["email"], LATER).sent == 3
    assert_sent_once(fake, ids)


def test_an_ambiguous_first_request_stops_the_batch_and_the_rest_waits(team, fake):
    add_people(team, 600)
    ids = plan()
    fake.fail_next(1, "500")  # the first 500 are accepted but answered with a 500
    report = deliver(ids)
    assert len(batch_requests(fake)) == 1  # the other 100 are not sent into a failing Postmark
    assert report.unknown == 500 and report.sent == 0 and report.failed == 0
    assert states(ids) == {"unknown": 500, "queued": 100}
    assert fake.stats()["count"] == 500
    reaped = dispatch.reap(LATER)
    waiting = list(Delivery.select().where(Delivery.state == "queued"))
    assert reaped.reconciled_sent == 500
    assert sorted(reaped.requeued["email"]) == sorted(d.id for d in waiting)  # overdue by LATER: re-enqueued
    assert all("not sent" in d.last_error for d in waiting)
    assert deliver([d.id for d in waiting], max(d.next_attempt_at for d in waiting)).sent == 100
    assert_sent_once(fake, ids)


def _seed_for(pattern, rate, kinds):
    """A seed for which the fake's seeded random faults hit exactly the requests marked True in `pattern`
    (the tests assert the faults the fake recorded, so a change in how the fake draws shows up loudly)."""
    for seed in range(10000):
        rng = random.Random(seed)
        hits = []
        for _ in pattern:
            hit = rng.random() < rate
            hits.append(hit)
            if hit:
                rng.choice(kinds)
        if hits == list(pattern):
            return seed
    raise AssertionError("no seed found")


def test_a_later_request_failing_does_not_resend_the_earlier_ones(team, fake):
    add_people(team, 600)
    ids = plan()
    # the first request goes through, the second gets a 503
    fake.configure(fault_rate=0.5, fault_kinds=["503"], seed=_seed_for([False, True], 0.5, ["503"]))
    report = deliver(ids)
    fake.configure(fault_rate=0)
    assert [r["fault"] for r in batch_requests(fake)] == [None, "503"]
    assert report.sent == 500 and report.unknown == 0 and report.failed == 0
    assert states(ids) == {"sent": 500, "queued": 100}
    queued = list(Delivery.select().where(Delivery.state == "queued"))
    assert all("503" in d.last_error for d in queued)
    retry_at = max(d.next_attempt_at for d in queued)
    assert deliver([d.id for d in queued], retry_at).sent == 100
    assert_sent_once(fake, ids)


def test_a_timeout_in_a_later_request_keeps_the_earlier_requests_results(team, fake):
    add_people(team, 600)
    ids = plan()
    # the first request goes through, the second hangs until the client's timeout
    fake.configure(fault_rate=0.5, fault_kinds=["hang"], seed=_seed_for([False, True], 0.5, ["hang"]))
    report = deliver(ids)
    fake.configure(fault_rate=0)
    assert [r["fault"] for r in batch_requests(fake)] == [None, "hang"]
    assert report.sent == 500 and report.unknown == 100
    assert fake.stats()["count"] == 500
    reaped = dispatch.reap(LATER)
    assert reaped.reconciled_sent == 0 and len(reaped.requeued["email"]) == 100
    assert deliver(reaped.requeued["email"], LATER).sent == 100
    assert_sent_once(fake, ids)


def test_a_connection_reset_is_reconciled_then_resent_once(team, fake):
    add_people(team, 4)
    ids = plan()
    fake.fail_next(1, "reset")
    report = deliver(ids)
    assert report.unknown == 4 and report.sent == 0
    assert fake.stats()["count"] == 0
    reaped = dispatch.reap(LATER)
    assert reaped.reconciled_sent == 0 and sorted(reaped.requeued["email"]) == ids
    assert deliver(ids, LATER).sent == 4
    assert_sent_once(fake, ids)


def test_a_wrong_token_fails_nobody_permanently_and_sends_once_fixed(team, fake, runtime):
    add_people(team, 3)
    ids = plan()
    register_channels(with_settings(runtime.settings, postmark_server_token="not-the-token"))
    report = deliver(ids)
    assert (report.sent, report.failed, report.unknown) == (0, 0, 0)
    rows = list(Delivery.select().where(Delivery.id.in_(ids)))
    assert {d.state for d in rows} == {"queued"}
    assert all("POSTMARK_SERVER_TOKEN" in d.last_error for d in rows)
    assert User.select().where(User.email_status != "active").count() == 0
    assert fake.stats()["count"] == 0
    channels.get("email").sender.close()
    register_channels(runtime.settings)  # the operator fixes the token
    assert deliver(ids, max(d.next_attempt_at for d in rows)).sent == 3
    assert_sent_once(fake, ids)


def test_connection_refused_requeues_without_reconciling(team, fake, runtime):
    add_people(team, 3)
    ids = plan()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    register_channels(with_settings(runtime.settings, postmark_api_url=f"http://127.0.0.1:{port}/"))
    report = deliver(ids)
    assert (report.sent, report.failed, report.unknown) == (0, 0, 0)
    rows = list(Delivery.select().where(Delivery.id.in_(ids)))
    assert {d.state for d in rows} == {"queued"}
    assert all("could not connect" in d.last_error for d in rows)
    channels.get("email").sender.close()


def test_find_accepted_answers_for_many_ids_at_once(team, fake):
    add_people(team, 30)
    ids = plan()
    assert deliver(ids[:20]).sent == 20
    sender = channels.get("email").sender
    found = sender.find_accepted(ids)
    accepted = accepted_by_delivery(fake)
    assert found == {i: accepted[i]["MessageID"] if i in ids[:20] else None for i in ids}
    assert sender.find_accepted([]) == {}


def test_a_search_that_fails_leaves_that_delivery_unchecked(team, fake):
    add_people(team, 3)
    ids = plan()
    assert deliver(ids[:1]).sent == 1
    sender = channels.get("email").sender
    fake.fail_next(1, "503")  # one of the three searches gets no answer
    found = sender.find_accepted(ids)
    assert len(found) == 2  # checked: accepted or not; the third is neither, and stays unknown
    assert all(value is None or value == accepted_by_delivery(fake)[i]["MessageID"] for i, value in found.items())


@pytest.mark.parametrize("code, state", [(405, "queued"), (411, "failed")])
def test_other_per_message_codes_are_transient_for_account_problems_and_permanent_otherwise(team, fake, code, state):
    """405 (the account may not send) is the operator's to fix: retried. 411 is about the message: failed."""
    add_people(team, 3)
    fake.recipient_errors = {"person1@example.com": code}
    ids = plan()
    report = deliver(ids)
    assert report.sent == 2
    bad = Delivery.select().join(Membership).join(User).where(User.email == "person1@example.com").get()
    assert bad.state == state and f"ErrorCode {code}" in bad.last_error
    assert User.select().where(User.email_status != "active").count() == 0  # no address is blamed


def test_several_workers_share_one_sender_and_send_each_once(team, fake):
    add_people(team, 40)
    ids = plan()
    barrier = threading.Barrier(4)
    reports, errors = [], []

    def worker(n):
        try:
            barrier.wait()
            # its own slice (concurrent requests through the one sender), then everything (nothing left to win)
            for batch in (ids[n::4], ids):
                reports.append(dispatch.deliver("email", batch, PROMPT_TIME, TEST_SECRET, worker=f"w{n}",
                                                grace=GRACE))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.sent for r in reports) == 40
    assert_sent_once(fake, ids)
