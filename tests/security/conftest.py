"""Fixtures for the security tests: the real app with Slack switched on (pointing at the loopback
fake Slack), webhook credentials, a queue that is not immediate (so a test can run the worker's
process() itself and see every exception), and signed Slack requests."""
import base64
import json
import time
import uuid
from urllib.parse import urlencode

import pytest

from channels.slack.models import SLACK_MODELS
from core.models import Entry, EntryTerm, InboundMessage, Membership, Reply, Team, User
from tests.conftest import with_settings
from tests.fakes.slack import BOT_TOKEN, BOT_USER, TEAM_ID, FakeSlack, sign

SIGNING_SECRET = "security-signing-secret-0123456789"
WEBHOOK_USER = "postmark"
WEBHOOK_PASSWORD = "hunter2-but-longer"
ROW_MODELS = (InboundMessage, Entry, EntryTerm, Reply, User, Membership, Team)


def counts():
    """Row counts of everything a request could write: compare before and after."""
    return {model.__name__: model.select().count() for model in ROW_MODELS}


def basic(user=WEBHOOK_USER, password=WEBHOOK_PASSWORD):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="session")
def _security_fake_slack():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_slack(_security_fake_slack):
    return _security_fake_slack.fresh()


@pytest.fixture
def settings(settings, fake_slack):
    return with_settings(settings, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                         slack_api_url=fake_slack.url, slack_timeout=5.0, slack_default_team="",
                         inbound_user=WEBHOOK_USER, inbound_password=WEBHOOK_PASSWORD,
                         queue_immediate=False)


@pytest.fixture
def runtime(runtime):
    for model in reversed(SLACK_MODELS):
        model.delete().execute()
    runtime.huey.flush()
    yield runtime
    runtime.huey.flush()


class SlackRequests:
    """Signed requests into donebot's /slack/events, shaped like Slack's."""

    def __init__(self, client, secret=SIGNING_SECRET, team_id=TEAM_ID):
        self.client, self.secret, self.team_id = client, secret, team_id

    def post(self, body, content_type, headers=None, timestamp=None, secret=None):
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        signed = sign(secret or self.secret, raw, timestamp or int(time.time()))
        return self.client.post("/slack/events", data=raw, content_type=content_type,
                                headers={**signed, **(headers or {})})

    def event_body(self, event, event_id=None, team_id=None):
        return {"token": "x", "team_id": team_id or self.team_id, "api_app_id": "A0DONEBOT",
                "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
                "event_time": int(time.time()), "event": event,
                "authorizations": [{"team_id": team_id or self.team_id, "user_id": BOT_USER, "is_bot": True,
                                    "is_enterprise_install": False}]}

    def event(self, event, event_id=None, headers=None, team_id=None):
        return self.post(self.event_body(event, event_id, team_id), "application/json", headers)

    def dm(self, user, text, event_id=None, ts=None, headers=None):
        ts = ts or f"{time.time():.6f}"
        event = {"type": "message", "channel": "D" + user, "user": user, "text": text, "ts": ts,
                 "event_ts": ts, "channel_type": "im"}
        return self.event(event, event_id=event_id, headers=headers)

    def command(self, command, text, user, team_id=None, **extra):
        form = {"token": "x", "team_id": team_id or self.team_id, "team_domain": "acme", "channel_id": "D" + user,
                "channel_name": "directmessage", "user_id": user, "user_name": user.lower(), "command": command,
                "text": text, "api_app_id": "A0DONEBOT", "response_url": "https://hooks.slack.invalid/x",
                "trigger_id": f"{uuid.uuid4().int % 10**12}.1.{uuid.uuid4().hex[:8]}", **extra}
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interaction(self, payload):
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.fixture
def slack(client):
    return SlackRequests(client)
