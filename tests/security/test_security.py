"""Security: webhook auth, Slack signatures and replays, reply tokens, who may read a digest, XSS through
every place entries are shown, header injection through names, and production start-up checks."""
import datetime
import json
import re
import time
import uuid
from types import SimpleNamespace
from email.utils import getaddresses

import pytest

from bot.config import DEV_SECRET_KEY, ConfigError, load_settings
from channels.email.inbound import process
from channels.email.message import build_message
from channels.email.unsubscribe import PURPOSE as UNSUBSCRIBE, unsubscribe_url
from channels.slack import blocks
from core import dispatch, tokens
from core.channels import Outgoing
from core.digest import morning_digest
from core.models import Entry, InboundMessage, Membership, OutboxMessage, Reply, User
from core.replies import record_reply
from core.teams import InvalidInput, add_member, create_team
from tests.conftest import TEST_SECRET, coming
from tests.security.conftest import SIGNING_SECRET, basic, counts

DAY = coming(3)  # a Wednesday in the future
NOW = datetime.datetime.combine(DAY, datetime.time(18))
NEXT_MORNING = datetime.datetime.combine(DAY + datetime.timedelta(days=1), datetime.time(9))
GRACE = datetime.timedelta(hours=2)
XSS = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">']
WEBHOOKS = ["/webhooks/postmark/inbound", "/webhooks/postmark/events", "/webhooks/inbound/mime"]


@pytest.fixture
def team(runtime):
    team = create_team("Alpha", slug="alpha")
    ann = add_member(team, "ann@example.com", NOW, name="Ann", tz="UTC")
    bob = add_member(team, "bob@example.com", NOW, name="Bob", tz="UTC")
    other = create_team("Secret project", slug="secret")
    zed = add_member(other, "zed@example.com", NOW, name="Zed", tz="UTC")
    return {"team": team, "ann": ann, "bob": bob, "other": other, "zed": zed}


def reply_json(token, text="- shipped the importer", sender="ann@example.com", to_token=None):
    address = f"reply+{to_token or token}@in.donebot.test"
    return {"MessageID": str(uuid.uuid4()), "From": sender,
            "FromFull": {"Email": sender, "Name": "", "MailboxHash": ""}, "To": address,
            "ToFull": [{"Email": address, "Name": "", "MailboxHash": to_token or token}],
            "MailboxHash": token, "Subject": "Re: What'd you get done today?", "TextBody": text,
            "Headers": [{"Name": "Message-ID", "Value": f"<{uuid.uuid4()}@mail.example.com>"}]}


def receive(client, payload, now=NOW):
    """Post a reply through the real webhook, then run the worker's process() on it."""
    response = client.post("/webhooks/postmark/inbound", data=json.dumps(payload), content_type="application/json",
                           headers=basic())
    assert response.status_code == 200, response.get_data(as_text=True)
    result = process(response.get_json()["id"], now, TEST_SECRET)
    for channel_name, ids in result.queued.items():  # what the task does next: send the receipt
        dispatch.deliver(channel_name, ids, now, TEST_SECRET)
    return InboundMessage.get_by_id(response.get_json()["id"])


def tick(now):
    for channel_name, ids in dispatch.plan_due(now, GRACE).items():
        dispatch.deliver(channel_name, ids, now, TEST_SECRET)


# --------------------------------------------------------------------------- webhook basic auth

def _header(value):
    return {"Authorization": value}


@pytest.mark.parametrize("url", WEBHOOKS)
@pytest.mark.parametrize("headers", [
    {}, basic("postmark", "wrong"), basic("other", "hunter2-but-longer"), basic("", ""), basic("postmark", ""),
    basic("postmark", "hunter2-but-longer ".strip() + "x"), _header("Bearer hunter2-but-longer"),
    _header("Basic !!!not-base64"), _header("Basic"), _header("Digest username=postmark"),
])
def test_webhooks_refuse_missing_or_wrong_basic_auth(client, team, url, headers):
    body = json.dumps(reply_json(tokens.encode(TEST_SECRET, team["ann"].id, DAY)))
    if url.endswith("mime"):
        body = "From: ann@example.com\r\nTo: x@y\r\n\r\n- shipped"
    if url.endswith("events"):
        body = json.dumps({"RecordType": "SpamComplaint", "Email": "ann@example.com"})
    before = counts()
    response = client.post(url, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert counts() == before
    assert User.get(User.email == "ann@example.com").email_status == "active"


@pytest.mark.parametrize("url", WEBHOOKS)
def test_webhooks_accept_the_right_credentials(client, team, url):
    body = {"RecordType": "Delivery"} if url.endswith("events") else reply_json("x")
    data = "From: a@b\r\n\r\nhi" if url.endswith("mime") else json.dumps(body)
    assert client.post(url, data=data, content_type="application/json", headers=basic()).status_code == 200


# --------------------------------------------------------------------------- Slack signatures and replays

FORM = "application/x-www-form-urlencoded"


def signed_headers(body, timestamp, secret=SIGNING_SECRET):
    from tests.fakes.slack import sign
    return sign(secret, body, timestamp)


def test_slack_unsigned_stale_future_tampered_and_wrong_secret_are_401(client, slack, fake_slack, team):
    fake_slack.add_user("UANN", "ann@example.com", "Ann")
    body = "command=%2Fdone&text=sneaky&user_id=UANN&team_id=T0DONE&trigger_id=1.2.3"
    now = int(time.time())
    cases = {
        "unsigned": {},
        "stale": signed_headers(body, now - 6 * 60),
        "future": signed_headers(body, now + 6 * 60),
        "wrong secret": signed_headers(body, now, secret="not-the-secret"),
        "signature for another timestamp": {**signed_headers(body, now - 1), "X-Slack-Request-Timestamp": str(now)},
        "v1 scheme": {**signed_headers(body, now),
                      "X-Slack-Signature": signed_headers(body, now)["X-Slack-Signature"].replace("v0=", "v1=")},
        "empty signature": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": ""},
        "non-numeric timestamp": {**signed_headers(body, now), "X-Slack-Request-Timestamp": f"{now}.0"},
    }
    before = counts()
    for name, headers in cases.items():
        response = client.post("/slack/events", data=body, content_type=FORM, headers=headers)
        assert response.status_code == 401, name
    tampered = body.replace("sneaky", "tampered")
    response = client.post("/slack/events", data=tampered, content_type=FORM, headers=signed_headers(body, now))
    assert response.status_code == 401
    assert counts() == before and Entry.select().count() == 0
    # the same request, correctly signed, is accepted: the refusals above were about the signature
    ok = client.post("/slack/events", data=body, content_type=FORM, headers=signed_headers(body, now))
    assert ok.status_code == 200 and Entry.select().count() == 1


def test_a_replayed_slack_event_is_recorded_once(client, slack, fake_slack, team):
    """Slack's retries (and a replay of the very same signed request inside the 5-minute window) carry the
    same event id: stored once, processed once, one set of entries."""
    fake_slack.add_user("UANN", "ann@example.com", "Ann")
    ts = f"{time.time():.6f}"
    body = json.dumps(slack.event_body({"type": "message", "channel": "DUANN", "user": "UANN", "text": "- fixed CI",
                                        "ts": ts, "event_ts": ts, "channel_type": "im"}, event_id="EvREPLAY1"))
    headers = signed_headers(body, int(time.time()))
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    answers = [client.post("/slack/events", data=body, content_type="application/json", headers=h)
               for h in (headers, headers, retry)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    [stored] = InboundMessage.select().where(InboundMessage.provider == "slack")
    assert stored.provider_message_id == "EvREPLAY1"
    from core import channels
    processor = channels.inbound_processor("slack")
    assert processor(stored.id, NOW).state == "processed"
    assert processor(stored.id, NOW).state == "processed"  # a second run of the task does nothing
    assert Entry.select().count() == 1 and Reply.select().count() == 1


def test_a_replayed_slash_command_records_once(client, fake_slack, team):
    """A /done replayed byte for byte within the window carries the same trigger_id: one reply."""
    fake_slack.add_user("UANN", "ann@example.com", "Ann")
    body = "command=%2Fdone&text=shipped+it&user_id=UANN&team_id=T0DONE&channel_id=DUANN&trigger_id=99.1.abc"
    headers = signed_headers(body, int(time.time()))
    for _ in range(3):
        assert client.post("/slack/events", data=body, content_type=FORM, headers=headers).status_code == 200
    assert Entry.select().count() == 1 and Reply.select().count() == 1


# --------------------------------------------------------------------------- reply tokens

def test_a_forged_token_is_rejected_recorded_and_writes_no_entry(client, team):
    ann = team["ann"]
    real = tokens.encode(TEST_SECRET, ann.id, DAY)
    forged = {
        "random": "abcdefghijklmnopqrstuvwxyz",
        "flipped mac": real[:-1] + ("a" if real[-1] != "a" else "b"),
        "other secret": tokens.encode("someone-elses-secret-key-000000", ann.id, DAY),
        "other member, same mac": tokens.encode(TEST_SECRET, team["zed"].id, DAY)[:11] + real[11:],
        "unsubscribe token": tokens.encode(TEST_SECRET, ann.user_id, DAY, purpose=UNSUBSCRIBE),
        "too short": real[:-2],
        "non-base32": real[:-1] + "1",
    }
    for name, token in forged.items():
        message = receive(client, reply_json(token, to_token=token))
        assert message.state == "rejected", name
        assert "token" in message.error, (name, message.error)
    assert Entry.select().count() == 0 and Reply.select().count() == 0
    assert InboundMessage.select().count() == len(forged)  # every attempt is kept, with its reason


def test_an_expired_token_is_rejected(client, team):
    ann = team["ann"]
    old = NOW.date() - datetime.timedelta(days=31)
    message = receive(client, reply_json(tokens.encode(TEST_SECRET, ann.id, old)))
    assert message.state == "rejected" and "expired" in message.error
    assert Entry.select().count() == 0
    edge = NOW.date() - datetime.timedelta(days=30)  # 30 days is still good
    assert receive(client, reply_json(tokens.encode(TEST_SECRET, ann.id, edge))).state == "processed"
    assert Entry.get().local_date == edge


def test_the_token_not_the_from_address_is_the_authority(client, team):
    """Bob forwards Ann's prompt and replies from his own address: the entry is Ann's, for Ann's day.
    A bare From address proves nothing (it is trivially forged); the unguessable token does. A token
    is only ever sent to its member, so holding it is the proof (like a password-reset link)."""
    ann_token = tokens.encode(TEST_SECRET, team["ann"].id, DAY)
    message = receive(client, reply_json(ann_token, "- written by Bob", sender="bob@example.com"))
    assert message.state == "processed"
    entry = Entry.get()
    assert entry.membership_id == team["ann"].id and entry.local_date == DAY
    assert Entry.select().where(Entry.membership == team["bob"].id).count() == 0
    # and a From of Ann's address with no token at all is not enough
    stranger = reply_json("", sender="ann@example.com")
    stranger["To"], stranger["ToFull"] = "hello@in.donebot.test", []
    message = receive(client, stranger)
    assert message.state == "rejected" and "no reply token" in message.error
    assert Entry.select().count() == 1


def test_a_token_naming_a_deleted_membership_is_rejected(client, team):
    gone = add_member(team["team"], "gone@example.com", NOW, name="Gone", tz="UTC")
    token = tokens.encode(TEST_SECRET, gone.id, DAY)
    Membership.delete().where(Membership.id == gone.id).execute()
    message = receive(client, reply_json(token, sender="gone@example.com"))
    assert message.state == "rejected" and "no longer exists" in message.error
    assert Entry.select().count() == 0


def test_a_reply_token_is_not_an_unsubscribe_link(client, team, settings):
    reply_token = tokens.encode(TEST_SECRET, team["ann"].user_id, datetime.date(2000, 1, 1))
    assert client.post(f"/unsubscribe/{reply_token}").status_code == 404
    assert client.post("/unsubscribe/" + "a" * 26).status_code == 404
    assert User.get(User.email == "ann@example.com").email_status == "active"
    good = unsubscribe_url(settings, team["ann"].user_id).rsplit("/", 1)[1]
    assert client.post(f"/unsubscribe/{good}").status_code == 200
    assert User.get(User.email == "ann@example.com").email_status == "unsubscribed"


# --------------------------------------------------------------------------- reading another team's digest

def test_slack_digest_refuses_a_team_the_caller_is_not_in(slack, fake_slack, team):
    fake_slack.add_user("UANN", "ann@example.com", "Ann")
    record_reply(team["zed"], DAY, "top secret launch plan", "email", "z1", NOW)
    for args in ("secret", "Secret project", "secret week", "SECRET yesterday", "secret <@UZED|zed>"):
        answer = slack.command("/digest", args, "UANN").get_json()
        assert "top secret" not in json.dumps(answer), args
        assert "not in a team called" in answer["text"] or answer["text"].startswith("Usage"), args
    # a team Ann is in, filtered by a person from the other team, shows nothing of theirs either
    fake_slack.add_user("UZED", "zed@example.com", "Zed")
    answer = slack.command("/digest", "alpha week <@UZED|zed>", "UANN").get_json()
    assert "top secret" not in json.dumps(answer)


# --------------------------------------------------------------------------- XSS

def test_entries_are_escaped_in_the_html_receipt_and_digest_and_the_outbox(client, team):
    Membership.update(receipts=True).where(Membership.id == team["ann"].id).execute()
    ann_token = tokens.encode(TEST_SECRET, team["ann"].id, DAY)
    message = receive(client, reply_json(ann_token, "\n".join(XSS) + "\n[ ] <b>bold</b> goal"))
    assert message.state == "processed"
    assert [e.text for e in Entry.select().order_by(Entry.id)][:2] == XSS  # stored as typed
    tick(NEXT_MORNING)  # the digest, to Ann and Bob
    sent = {m.tag: m for m in OutboxMessage.select()}
    assert {"receipt", "digest"} <= set(sent)
    for tag in ("receipt", "digest"):
        html = sent[tag].html_body
        assert "<script" not in html and "<img" not in html and "<b>bold" not in html, tag
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, tag
        assert "&lt;img src=x onerror=" in html, tag
        assert "<script>alert(1)</script>" in sent[tag].text_body  # plain text is shown as text
    # /dev/outbox lists the text bodies on an HTML page: escaped there too
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    # the rendered email viewed on its own page runs no script whatever it holds
    shown = client.get(f"/dev/outbox/{sent['digest'].id}.html")
    assert shown.status_code == 200 and "default-src 'none'" in shown.headers["Content-Security-Policy"]
    assert "script-src" not in shown.headers["Content-Security-Policy"]


def test_names_and_team_names_are_escaped_in_email_html(runtime, settings):
    team = create_team("<script>alert('team')</script>", slug="xss")
    member = add_member(team, "x@example.com", NOW, name='<img src=x onerror="alert(3)">', tz="UTC")
    record_reply(member, DAY, "- did it", "email", "x1", NOW)
    tick(NEXT_MORNING)
    digest = OutboxMessage.get(OutboxMessage.tag == "digest")
    assert "<script>alert('team')" not in digest.html_body and "<img src=x" not in digest.html_body
    assert "&lt;script&gt;" in digest.html_body


def test_slack_escapes_mentions_and_links_in_entries(slack, fake_slack, team):
    fake_slack.add_user("UANN", "ann@example.com", "Ann")
    hostile = ["<!channel> ship it", "<https://evil.example|click here>", "<@UBOSS> approved", "a & b > c"]
    record_reply(team["bob"], DAY, "\n".join(hostile), "email", "b1", NOW)
    answer = slack.command("/digest", DAY.isoformat(), "UANN").get_json()
    rendered = json.dumps(answer)
    assert "bob" in rendered.lower() and "&lt;!channel&gt; ship it" in rendered
    for raw in ("<!channel>", "<https://evil.example|click here>", "<@UBOSS>"):
        assert raw not in rendered, raw
    assert "&lt;https://evil.example|click here&gt;" in rendered and "a &amp; b &gt; c" in rendered
    # /done typed in Slack: Slack escapes <, > and & as entities; the confirmation must not undo that
    typed = slack.command("/done", "&lt;!here&gt; and &lt;https://evil|x&gt;", "UANN").get_json()
    assert "<!here>" not in json.dumps(typed["blocks"]) and "<https://evil|x>" not in json.dumps(typed["blocks"])
    assert "&lt;!here&gt;" in json.dumps(typed["blocks"])
    assert blocks.escape("<!everyone>") == "&lt;!everyone&gt;"


# --------------------------------------------------------------------------- CRLF / header injection

INJECTIONS = ["Eve\r\nBcc: x@evil.example", "Eve\nBcc: x@evil.example", "Eve\rBcc: x@evil.example",
              "Eve\u2028Bcc: x@evil.example", "Eve\x85Bcc: x@evil.example", "Eve\x0bBcc: x@evil.example",
              "Eve\x0cBcc: x@evil.example", "Eve\x1cBcc: x@evil.example"]
BREAKS = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def outgoing(kind, name, team_name, settings, context=None):
    return Outgoing(delivery_id=1, kind=kind, local_date=DAY, user_id=1, membership_id=1, email="eve@example.com",
                    name=name, team_name=team_name, team_slug="t", reply_token="a" * 26, context=context or {})


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_cannot_inject_mail_headers(runtime, settings, name):
    team = create_team("Plain", slug="plain")
    digest = morning_digest(team, DAY)
    entry = SimpleNamespace(local_date=DAY, kind="done", text=name)
    for kind, context in (("prompt", {}), ("digest", {"digest": digest}),
                          ("receipt", {"entries": [entry], "summary": "1 done"})):
        item = outgoing(kind, name, name, settings, context)
        try:
            message = build_message(item, settings)
        except Exception as error:  # a template may need more context; the headers are what matter here
            pytest.fail(f"{kind}: {error!r}")
        for header in ("To", "Subject", "ReplyTo", "From"):
            if header in message:
                assert not BREAKS.search(message[header]), (kind, header, message[header])
        [(_, address)] = getaddresses([message["To"]])
        assert address == "eve@example.com"  # still one recipient
        assert "evil" not in "".join(a for _, a in getaddresses([message["To"], message.get("ReplyTo", "")]))
        for extra in message["Headers"]:
            assert not BREAKS.search(extra["Name"] + extra["Value"])


@pytest.mark.parametrize("name", ["Eve\r\nBcc: x@evil.example", "Eve\nBcc: x", "Eve\rBcc: x"])
def test_core_teams_refuse_line_breaks_in_names(runtime, name):
    with pytest.raises(InvalidInput):
        create_team(name, slug="evil")
    team = create_team("Fine", slug="fine")
    with pytest.raises(InvalidInput):
        add_member(team, "eve@example.com", NOW, name=name)
    with pytest.raises(InvalidInput):
        add_member(team, "eve@example.com\r\nBcc: x@evil.example", NOW, name="Eve")
    assert User.select().count() == 0


def test_a_slack_profile_name_with_line_breaks_cannot_inject_or_crash(slack, fake_slack, team):
    fake_slack.add_user("UEVE", "eve@example.com", "Eve\r\nBcc: x@evil.example")
    response = slack.command("/done", "shipped it", "UEVE")
    assert response.status_code < 500
    eve = User.get_or_none(User.email == "eve@example.com")
    assert eve is None or not BREAKS.search(eve.name)


# --------------------------------------------------------------------------- start-up

@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY, "short"])
def test_production_refuses_to_start_without_a_real_secret_key(secret, tmp_path):
    environ = {"DONEBOT_ENV": "production", "INBOUND_WEBHOOK_USER": "u", "INBOUND_WEBHOOK_PASSWORD": "p"}
    if secret is not None:
        environ["SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(environ, dotenv_path=str(tmp_path / "none.env"))
    environ["SECRET_KEY"] = "a-real-secret-of-32-characters!!"
    assert load_settings(environ, dotenv_path=str(tmp_path / "none.env")).production


def test_production_refuses_to_start_without_webhook_credentials(tmp_path):
    environ = {"DONEBOT_ENV": "production", "SECRET_KEY": "a-real-secret-of-32-characters!!"}
    with pytest.raises(ConfigError, match="INBOUND_WEBHOOK_USER"):
        load_settings(environ, dotenv_path=str(tmp_path / "none.env"))
