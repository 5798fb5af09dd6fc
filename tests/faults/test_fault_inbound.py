"""Replies under duress: the same email posted three times at once, processed by two workers at
once, and a web process that died after storing a reply but before queueing it."""
import datetime
import json
import threading
import uuid

import pytest
import requests
from werkzeug.serving import make_server

from channels.email import inbound
from core import dispatch, tokens
from core.models import Entry, InboundMessage, Reply
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, coming
from tests.faults.conftest import needs_services, utcnow

pytestmark = [needs_services]

DAY = coming(2)


@pytest.fixture
def member(runtime):
    team = create_team("Replay team", slug="replay")
    return add_member(team, "rae@example.com", datetime.datetime.combine(DAY, datetime.time(0)), name="Rae", tz="UTC")


def payload(member, text, message_id):
    token = tokens.encode(TEST_SECRET, member.id, DAY)
    return {"MessageID": message_id, "MailboxHash": token, "To": f"reply+{token}@in.donebot.test",
            "From": "rae@example.com", "TextBody": text, "Headers": [{"Name": "Message-ID", "Value": f"<{message_id}@x>"}]}


@pytest.fixture
def server(app):
    """The real app on a loopback port, threaded like gunicorn's gthread workers."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_the_same_email_posted_three_times_at_once_is_recorded_once(server, member):
    body = json.dumps(payload(member, "- one\n- two", "replay-1"))
    barrier = threading.Barrier(3)
    answers = []

    def post():
        barrier.wait()
        answers.append(requests.post(server + "/webhooks/postmark/inbound", data=body,
                                     headers={"Content-Type": "application/json"}, timeout=10))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200]
    assert sorted(a.json()["status"] for a in answers) == ["duplicate", "duplicate", "queued"]
    assert InboundMessage.select().count() == 1
    assert Reply.select().count() == 1 and Entry.select().count() == 2


def test_two_workers_processing_the_same_message_record_it_once(runtime, member):
    message_id, _ = inbound.store(json.dumps(payload(member, "- alpha\n- beta", "race-1")), "race-1", utcnow())
    barrier = threading.Barrier(4)
    errors = []

    def work():
        try:
            barrier.wait()
            inbound.process(message_id, utcnow(), TEST_SECRET)
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Reply.select().count() == 1 and Entry.select().count() == 2
    assert InboundMessage.get_by_id(message_id).state == "processed"


def test_a_reply_stored_by_a_web_process_that_died_before_queueing_is_still_processed(runtime, member):
    # What the webhook view had done when its process was killed: stored, never queued.
    five_minutes_ago = utcnow() - datetime.timedelta(minutes=5)
    message_id = str(uuid.uuid4())
    stored_id, _ = inbound.store(json.dumps(payload(member, "- survived", message_id)), message_id, five_minutes_ago)
    report = dispatch.reap(utcnow())
    assert (stored_id, "postmark") in report.inbound
    runtime.tasks.reap.call_local()  # the periodic task: reap, then queue what it found
    assert InboundMessage.get_by_id(stored_id).state == "processed"
    assert [e.text for e in Entry.select()] == ["survived"]
