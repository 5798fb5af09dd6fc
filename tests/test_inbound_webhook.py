"""POST /webhooks/postmark/inbound: check, store, queue, 200 — and every bad input a 4xx."""
import base64
import json

import pytest

from core.models import InboundMessage
from tests.conftest import CORPORA, with_settings

SAMPLE = CORPORA / "postmark" / "anymail" / "postmark-inbound-test-payload.json"
URL = "/webhooks/postmark/inbound"


def sample(**changes):
    payload = json.loads(SAMPLE.read_text())
    payload.update(changes)
    return payload


def post(client, body, auth=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, headers=headers)


def app_with(runtime, **changes):
    """The real app on a real queue (not immediate), so tests see what was enqueued."""
    from bot.app import create_app
    from bot.runtime import build_runtime

    settings = with_settings(runtime.settings, queue_immediate=False, **changes)
    queue_runtime = build_runtime(settings)
    queue_runtime.huey.flush()
    return create_app(settings, queue_runtime), queue_runtime.huey


def pending_ids(huey):
    return [task.args[0] for task in huey.pending() if task.name.endswith("process_inbound")]


@pytest.fixture
def queue(runtime):
    app, huey = app_with(runtime)
    yield app.test_client(), huey
    huey.flush()


@pytest.fixture
def client(queue):
    return queue[0]


@pytest.fixture
def huey(queue):
    return queue[1]


def test_a_postmark_payload_is_stored_and_queued(client, huey):
    response = post(client, sample())
    assert response.status_code == 200
    assert response.json["status"] == "queued"
    stored = InboundMessage.get()
    assert stored.provider_message_id == "00000000-0000-0000-0000-000000000000"
    assert stored.state == "received"
    assert json.loads(stored.payload)["TextBody"] == "This is a test text body."
    assert pending_ids(huey) == [stored.id]


def test_a_repeated_message_id_is_200_and_nothing_more(client, huey):
    assert post(client, sample()).status_code == 200
    again = post(client, sample(TextBody="something else"))
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert InboundMessage.select().count() == 1
    assert len(pending_ids(huey)) == 1


@pytest.mark.parametrize("body,reason", [
    (b"{not json", "not valid JSON"),
    (b"", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (json.dumps({"TextBody": "hi"}), "MessageID is required"),
    (json.dumps({"MessageID": "", "TextBody": "hi"}), "MessageID is required"),
    (json.dumps({"MessageID": 12, "TextBody": "hi"}), "MessageID is required"),
    (json.dumps({"MessageID": "abc"}), "TextBody, HtmlBody or RawEmail"),
    (json.dumps({"MessageID": "abc", "TextBody": ["x"]}), "TextBody, HtmlBody or RawEmail"),
    (json.dumps({"MessageID": "abc", "TextBody": "x", "Headers": "nope"}), "Headers must be a list"),
    (json.dumps({"MessageID": "abc", "TextBody": "x", "MailboxHash": 5}), "MailboxHash must be a string"),
])
def test_malformed_bodies_get_400_with_the_reason_and_nothing_is_stored(client, huey, body, reason):
    response = post(client, body)
    assert response.status_code == 400
    assert reason in response.json["error"]
    assert InboundMessage.select().count() == 0
    assert pending_ids(huey) == []


def test_oversize_body_is_413(runtime):
    app, _huey = app_with(runtime, max_inbound_bytes=2000)
    client = app.test_client()
    response = post(client, sample(TextBody="x" * 5000))
    assert response.status_code == 413
    assert InboundMessage.select().count() == 0


@pytest.fixture
def authed(runtime):
    app, huey = app_with(runtime, inbound_user="postmark", inbound_password="s3cret-pass")
    yield app.test_client(), huey
    huey.flush()


@pytest.mark.parametrize("auth", [None, "postmark:wrong", "other:s3cret-pass", "postmark:", ":"])
def test_basic_auth_is_required_when_configured(authed, auth):
    client, huey = authed
    response = post(client, sample(), auth=auth)
    assert response.status_code == 401
    assert "Basic" in response.headers["WWW-Authenticate"]
    assert InboundMessage.select().count() == 0
    assert pending_ids(huey) == []


def test_right_credentials_pass(authed):
    client, huey = authed
    assert post(client, sample(), auth="postmark:s3cret-pass").status_code == 200
    assert pending_ids(huey) == [InboundMessage.get().id]


def test_queue_down_still_answers_200_and_keeps_the_message_for_reap(runtime):
    from bot.app import create_app
    from bot.runtime import build_runtime

    # A Redis nobody listens on: every enqueue fails with a real connection error.
    settings = with_settings(runtime.settings, queue_immediate=False, redis_url="redis://127.0.0.1:9/0")
    client = create_app(settings, build_runtime(settings)).test_client()
    assert post(client, sample()).status_code == 200
    assert InboundMessage.get().state == "received"
