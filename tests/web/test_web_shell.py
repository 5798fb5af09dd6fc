"""The web shell: health, front page, the dev outbox and its reply form."""
import datetime
import re

import pytest

from core import dispatch
from core.models import Entry, InboundMessage, OutboxMessage
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, coming, with_settings

DT = datetime.datetime


def csrf(client):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dev/outbox").get_data(as_text=True)).group(1)


@pytest.fixture
def prompt(runtime):
    team = create_team("Web team", slug="web")
    day = coming(2)  # near today: the reply is processed with the real clock
    add_member(team, "wen@example.com", DT.combine(day, datetime.time(0)), name="Wen <b>", tz="UTC",
               prompt_at="17:00")
    now = DT.combine(day, datetime.time(17))
    for channel_name, ids in dispatch.plan_due(now, datetime.timedelta(hours=2)).items():
        dispatch.deliver(channel_name, ids, now, TEST_SECRET)
    return OutboxMessage.get()


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_front_page_invites_to_sign_in_and_names_no_team(client, prompt):
    page = client.get("/").get_data(as_text=True)
    assert "/signin" in page and "/dev/outbox" in page
    assert "Web team" not in page  # only members learn a team exists


def test_outbox_lists_messages_escaped(client, prompt):
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert prompt.subject.replace("'", "&#39;") in page
    assert "Wen &lt;b&gt;" in page and "Wen <b>" not in page


def test_outbox_html_view_forbids_scripts(client, prompt):
    response = client.get(f"/dev/outbox/{prompt.id}.html")
    assert response.status_code == 200 and "What'd you get done today?" in response.get_data(as_text=True)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_reply_form_records_entries(client, prompt):
    response = client.post(f"/dev/outbox/{prompt.id}/reply", data={"csrf_token": csrf(client), "text": "- one\n- two"})
    assert response.status_code == 302
    assert InboundMessage.get().state == "processed"
    assert [e.text for e in Entry.select().order_by(Entry.id)] == ["one", "two"]
    assert "processed" in client.get("/dev/outbox").get_data(as_text=True)


@pytest.mark.parametrize("form,status,reason", [
    ({"text": "- one"}, 400, "CSRF"),
    ({"csrf_token": "forged", "text": "- one"}, 400, "CSRF"),
    ({"csrf_token": None, "text": "   "}, 400, "write something"),
    ({"csrf_token": None, "text": "x" * 100_001}, 400, "at most 100,000"),
])
def test_reply_form_bad_input(client, prompt, form, status, reason):
    if form.get("csrf_token", "") is None:
        form["csrf_token"] = csrf(client)
    response = client.post(f"/dev/outbox/{prompt.id}/reply", data=form)
    assert response.status_code == status
    assert reason in response.get_data(as_text=True)
    assert InboundMessage.select().count() == 0 and Entry.select().count() == 0


def test_reply_to_a_missing_message_is_404(client, prompt):
    response = client.post("/dev/outbox/9999/reply", data={"csrf_token": csrf(client), "text": "- one"})
    assert response.status_code == 404


def test_outbox_is_not_served_when_postmark_is_configured(runtime):
    from bot.app import create_app

    settings = with_settings(runtime.settings, postmark_server_token="server-token")
    client = create_app(settings, runtime).test_client()
    assert client.get("/dev/outbox").status_code == 404


def test_the_outbox_is_never_served_in_production(runtime):
    """Outbox mode keeps everyone's mail, sign-in links included: production must not show it."""
    from bot.app import create_app

    settings = with_settings(runtime.settings, env="production", secret_key="a-real-secret-key-0123456789",
                             inbound_user="pm", inbound_password="pm-password-1")
    client = create_app(settings, runtime).test_client()
    assert client.get("/dev/outbox").status_code == 404
    assert "/dev/outbox" not in client.get("/").get_data(as_text=True)
