"""Bounce, spam-complaint and subscription webhooks; one-click unsubscribe; suppression."""
import datetime
import json
import re

import pytest

from core import dispatch
from core.models import Delivery, Identity, Membership, OutboxMessage, User
from core.teams import add_member, create_team
from tests.conftest import CORPORA, TEST_SECRET, with_settings

EVENTS = CORPORA / "postmark" / "anymail" / "webhook_events"
DT = datetime.datetime


def event(name, **changes):
    payload = json.loads((EVENTS / name).read_text())
    payload.update(changes)
    return payload


@pytest.fixture
def member(runtime):
    team = create_team("Status team", slug="st")
    return add_member(team, "pat@example.com", DT(2026, 12, 1, 0, 0), name="Pat", tz="UTC", prompt_at="17:00")


def post_event(client, payload, **kwargs):
    return client.post("/webhooks/postmark/events", data=json.dumps(payload), content_type="application/json", **kwargs)


@pytest.mark.parametrize("name,changes,status", [
    ("test_bounce_event.json", {"Email": "pat@example.com"}, "bounced"),
    ("test_spam_event.json", {"Email": "Pat@Example.com"}, "complained"),
    ("test_unsubscribe.json", {"Recipient": "pat@example.com"}, "unsubscribed"),
    ("test_subscription_change_bounce.json", {"Recipient": "pat@example.com"}, "bounced"),
    ("test_bounce_unsubscribe_variant.json", {"Email": "pat@example.com"}, "unsubscribed"),
])
def test_postmark_events_update_the_email_status(client, member, name, changes, status):
    response = post_event(client, event(name, **changes))
    assert response.status_code == 200 and response.json["status"] == "updated"
    assert User.get().email_status == status


def test_a_soft_bounce_changes_nothing(client, member):
    response = post_event(client, event("test_bounce_event.json", Email="pat@example.com", Type="SoftBounce",
                                        Inactive=False))
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert User.get().email_status == "active"


def test_resubscribe_event_reactivates(client, member):
    post_event(client, event("test_unsubscribe.json", Recipient="pat@example.com"))
    post_event(client, event("test_resubscribe.json", Recipient="pat@example.com"))
    assert User.get().email_status == "active"


def test_unknown_addresses_and_tracking_events_are_acknowledged(client, member):
    assert post_event(client, event("test_bounce_event.json")).json["status"] == "unknown address"
    assert post_event(client, event("test_open_event.json")).json["status"] == "ignored"


@pytest.mark.parametrize("body,reason", [
    ("{oops", "not valid JSON"), ("[]", "JSON object"), ('{"RecordType": "Mystery"}', "unknown RecordType"),
    ('{"RecordType": "SubscriptionChange", "Recipient": "pat@example.com"}', "SuppressSending"),
    ('{"RecordType": "Bounce", "Email": 5, "Inactive": true}', "must be a string"),
])
def test_malformed_events_are_400(client, member, body, reason):
    response = client.post("/webhooks/postmark/events", data=body, content_type="application/json")
    assert response.status_code == 400 and reason in response.json["error"]
    assert User.get().email_status == "active"


def test_events_need_the_webhook_credentials(runtime, member):
    from bot.app import create_app

    locked = with_settings(runtime.settings, inbound_user="pm", inbound_password="pw-123456")
    client = create_app(locked, runtime).test_client()
    assert post_event(client, event("test_bounce_event.json", Email="pat@example.com")).status_code == 401
    assert User.get().email_status == "active"


def test_no_more_email_to_a_suppressed_address(client, member):
    post_event(client, event("test_bounce_event.json", Email="pat@example.com"))
    now = DT(2026, 12, 1, 17, 0)
    for channel_name, ids in dispatch.plan_due(now, datetime.timedelta(hours=2)).items():
        dispatch.deliver(channel_name, ids, now, TEST_SECRET)
    assert OutboxMessage.select().count() == 0
    assert Delivery.get(Delivery.kind == "prompt").last_error == "email bounced"


def test_a_member_with_slack_moves_to_slack_when_email_stops(client, member):
    Identity.create(user=member.user, channel="slack", external_id="U123")
    post_event(client, event("test_spam_event.json", Email="pat@example.com"))
    assert Membership.get().preferred_channel == "slack"


def test_every_email_has_one_click_unsubscribe(client, member):
    now = DT(2026, 12, 1, 17, 0)
    for channel_name, ids in dispatch.plan_due(now, datetime.timedelta(hours=2)).items():
        dispatch.deliver(channel_name, ids, now, TEST_SECRET)
    message = OutboxMessage.get()
    headers = {h["Name"]: h["Value"] for h in json.loads(message.headers)}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(http://donebot\.test/unsubscribe/[a-z2-7]{26})>", headers["List-Unsubscribe"]).group(1)
    assert url in message.text_body and url in message.html_body
    path = url.removeprefix("http://donebot.test")

    page = client.get(path)
    assert page.status_code == 200 and "Stop emails" in page.get_data(as_text=True)
    assert User.get().email_status == "active"  # looking is not unsubscribing (link scanners GET)
    # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click, with no cookies or CSRF token
    one_click = client.post(path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert one_click.status_code == 200 and User.get().email_status == "unsubscribed"
    undo = client.post(path + "/undo")
    assert undo.status_code == 200 and User.get().email_status == "active"


def test_forged_unsubscribe_links_are_404(client, member):
    assert client.get("/unsubscribe/" + "a" * 26).status_code == 404
    assert client.post("/unsubscribe/not-a-token").status_code == 404
    assert User.get().email_status == "active"


def test_undo_does_not_lift_a_bounce(client, member):
    from channels.email.unsubscribe import unsubscribe_url

    post_event(client, event("test_bounce_event.json", Email="pat@example.com"))
    path = unsubscribe_url(client.application.extensions["donebot"].settings, member.user.id)
    client.post(path.removeprefix("http://donebot.test") + "/undo")
    assert User.get().email_status == "bounced"
