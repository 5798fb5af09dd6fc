"""Fixtures for the Slack tests: a loopback fake Slack Web API, settings that point at it,
and signed requests into donebot's /slack/events."""
import json
import time
import uuid
from urllib.parse import urlencode

import pytest

from channels.slack.models import SLACK_MODELS
from tests.conftest import with_settings
from tests.fakes.slack import BOT_TOKEN, BOT_USER, TEAM_ID, FakeSlack, sign

SIGNING_SECRET = "test-signing-secret-0123456789"


@pytest.fixture(scope="session")
def _fake_server():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_slack(_fake_server):
    return _fake_server.fresh()


@pytest.fixture
def settings(settings, fake_slack):
    return with_settings(settings, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                         slack_api_url=fake_slack.url, slack_timeout=5.0, slack_default_team="")


@pytest.fixture(autouse=True)
def _empty_slack_tables(request):
    if "runtime" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("runtime")
    for model in reversed(SLACK_MODELS):
        model.delete().execute()
    yield


class SlackRequests:
    """Signed requests into donebot, shaped like Slack's."""

    def __init__(self, client, secret=SIGNING_SECRET, team_id=TEAM_ID, response_url="https://hooks.slack.invalid/x"):
        self.client, self.secret, self.team_id, self.response_url = client, secret, team_id, response_url

    def post(self, body, content_type, headers=None, timestamp=None, secret=None):
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        signed = sign(secret or self.secret, raw, timestamp or int(time.time()))
        return self.client.post("/slack/events", data=raw, content_type=content_type,
                                headers={**signed, **(headers or {})})

    def event(self, event, event_id=None, retry=None, team_id=None):
        body = {"token": "x", "team_id": team_id or self.team_id, "api_app_id": "A0DONEBOT", "type": "event_callback",
                "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": team_id or self.team_id, "user_id": BOT_USER, "is_bot": True,
                                    "is_enterprise_install": False}]}
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.post(body, "application/json", headers)

    def dm(self, user, text, ts=None, thread_ts=None, event_id=None, retry=None, team_id=None, **extra):
        ts = ts or f"{time.time():.6f}"
        event = {"type": "message", "channel": "D" + user, "user": user, "text": text, "ts": ts,
                 "event_ts": ts, "channel_type": "im", **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, event_id=event_id, retry=retry, team_id=team_id), ts

    def command(self, command, text, user, team_id=None, trigger_id=None):
        form = {"token": "x", "team_id": team_id or self.team_id, "team_domain": "acme", "channel_id": "D" + user,
                "channel_name": "directmessage", "user_id": user, "user_name": user.lower(), "command": command,
                "text": text, "api_app_id": "A0DONEBOT", "response_url": self.response_url,
                "trigger_id": trigger_id or f"{uuid.uuid4().int % 10**12}.1.{uuid.uuid4().hex[:8]}"}
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interaction(self, payload, user, team_id=None):
        payload = {"team": {"id": team_id or self.team_id, "domain": "acme"},
                   "user": {"id": user, "team_id": team_id or self.team_id}, "api_app_id": "A0DONEBOT",
                   "token": "x", "trigger_id": f"{uuid.uuid4().int % 10**12}.1.x", **payload}
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def button(self, action_id, value, user, view=None, channel=None):
        payload = {"type": "block_actions", "actions": [{"action_id": action_id, "block_id": "b", "value": value,
                                                         "type": "button", "action_ts": f"{time.time():.6f}"}],
                   "container": {"type": "view" if view else "message"}}
        if view:
            payload["view"] = view
        if channel:
            payload["channel"] = {"id": channel}
        return self.interaction(payload, user)

    def submit(self, callback_id, values, user, private_metadata="{}", view_id=None):
        view = {"id": view_id or f"V{uuid.uuid4().hex[:8].upper()}", "type": "modal", "callback_id": callback_id,
                "private_metadata": private_metadata, "state": {"values": values}, "team_id": self.team_id}
        return self.interaction({"type": "view_submission", "view": view}, user)


@pytest.fixture
def slack(client, fake_slack):
    return SlackRequests(client, response_url=fake_slack.response_url())
