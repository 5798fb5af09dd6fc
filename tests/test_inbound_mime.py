"""Raw MIME in (an SMTP relay, another provider) and Postmark's RawEmail: real MIME, real parser."""
import datetime
import json
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from core import tokens
from core.models import Entry, InboundMessage, OutboxMessage
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, coming, with_settings

DAY = coming(3)


@pytest.fixture
def token(runtime):
    team = create_team("Mime team", slug="mime")
    member = add_member(team, "mia@example.com", datetime.datetime.combine(DAY, datetime.time(0)), name="Mia",
                        tz="UTC", prompt_at="17:00")
    return tokens.encode(TEST_SECRET, member.id, DAY)


def gmail_reply(token, text, message_id="<CAF1@mail.gmail.com>"):
    """multipart/alternative, quoted-printable, with Gmail's quote markers, as Gmail sends it."""
    message = MIMEMultipart("alternative")
    message["From"] = "Mia <mia@example.com>"
    message["To"] = f"donebot <reply+{token}@in.donebot.test>"
    message["Subject"] = "=?UTF-8?Q?Re:_What'd_you_get_done_today=3F?="
    message["Message-ID"] = message_id
    quoted = "On Thu, Dec 3, 2026 at 5:00 PM donebot <donebot@donebot.test> wrote:\n> What'd you get done today?\n"
    message.attach(MIMEText(f"{text}\n\n{quoted}", "plain", "utf-8"))
    html = (f"<div dir=\"ltr\">{text.replace(chr(10), '<br>')}</div><div class=\"gmail_quote\">"
            f"<div class=\"gmail_attr\">On Thu, Dec 3, 2026 at 5:00 PM donebot wrote:</div>"
            f"<blockquote class=\"gmail_quote\">What'd you get done today?</blockquote></div>")
    message.attach(MIMEText(html, "html", "utf-8"))
    return message.as_bytes()


def post_mime(client, raw, **headers):
    return client.post("/webhooks/inbound/mime", data=raw, content_type="message/rfc822", headers=headers)


def test_a_raw_gmail_reply_becomes_entries(client, token):
    response = post_mime(client, gmail_reply(token, "- café opening prep #ops\n[ ] order the espresso machine"))
    assert response.status_code == 200 and response.json["status"] == "queued"
    stored = InboundMessage.get()
    assert stored.provider == "mime" and stored.provider_message_id == "CAF1@mail.gmail.com"
    assert stored.state == "processed", stored.error
    assert [(e.kind, e.text, e.local_date) for e in Entry.select().order_by(Entry.id)] == [
        ("done", "café opening prep #ops", DAY), ("goal", "order the espresso machine", DAY)]


def test_iso_2022_jp_reply(client, token):
    message = EmailMessage()
    message["From"] = "mia@example.com"
    message["To"] = f"reply+{token}@in.donebot.test"
    message["Message-ID"] = "<jp-1@example.jp>"
    message.set_content("仕様書を書きました\n\n2026年12月3日(木) 17:00 donebot <donebot@donebot.test>:\n> 今日は何をしましたか？\n",
                        charset="iso-2022-jp")
    assert post_mime(client, message.as_bytes()).status_code == 200
    assert [e.text for e in Entry.select()] == ["仕様書を書きました"]


def test_postmark_raw_email_field_goes_through_the_same_parser(client, token):
    raw = gmail_reply(token, "- shipped via RawEmail", message_id="<raw-1@mail.gmail.com>").decode()
    payload = {"MessageID": "pm-raw-1", "RawEmail": raw, "TextBody": "", "MailboxHash": token,
               "From": "mia@example.com", "Headers": []}
    assert client.post("/webhooks/postmark/inbound", data=json.dumps(payload),
                       content_type="application/json").status_code == 200
    assert [e.text for e in Entry.select()] == ["shipped via RawEmail"]


def test_the_same_message_twice_is_stored_once(client, token):
    raw = gmail_reply(token, "- once")
    assert post_mime(client, raw).json["status"] == "queued"
    assert post_mime(client, raw).json["status"] == "duplicate"
    assert InboundMessage.select().count() == 1 and Entry.select().count() == 1


def test_an_out_of_office_is_stored_and_not_answered(client, token):
    message = EmailMessage()
    message["From"] = "mia@example.com"
    message["To"] = f"reply+{token}@in.donebot.test"
    message["Auto-Submitted"] = "auto-replied"
    message["Message-ID"] = "<ooo@example.com>"
    message.set_content("I am away until Monday.")
    post_mime(client, message.as_bytes())
    assert InboundMessage.get().state == "auto_reply"
    assert Entry.select().count() == 0 and OutboxMessage.select().count() == 0


@pytest.mark.parametrize("body,reason", [
    (b"", "empty body"), (b"   \r\n", "empty body"), (b"just some words\n\nand more", "RFC 5322 headers"),
])
def test_malformed_mime_is_400_and_nothing_stored(client, token, body, reason):
    response = post_mime(client, body)
    assert response.status_code == 400 and reason in response.json["error"]
    assert InboundMessage.select().count() == 0


def test_broken_mime_is_stored_and_fails_softly(client, token):
    raw = (f"From: mia@example.com\r\nTo: reply+{token}@in.donebot.test\r\nMessage-ID: <broken@x>\r\n"
           "Content-Type: multipart/alternative; boundary=\"nope\"\r\n\r\n--other\r\nContent-Transfer-Encoding: "
           "base64\r\n\r\n!!!not base64!!!\r\n").encode()
    assert post_mime(client, raw).status_code == 200
    assert InboundMessage.get().state in ("processed", "rejected")  # never a crash, never "received" forever


def test_mime_needs_credentials_when_configured(runtime, token):
    from bot.app import create_app

    locked = with_settings(runtime.settings, inbound_user="relay", inbound_password="relay-pass-1")
    client = create_app(locked, runtime).test_client()
    assert post_mime(client, gmail_reply(token, "- x")).status_code == 401
    assert InboundMessage.select().count() == 0
