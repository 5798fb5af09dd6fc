"""The whole daily loop on the embedded default: prompt out, reply in, digest out."""
import datetime
import json
import re
import uuid

import pytest

from channels.email.render import render_digest_text
from core import dispatch
from core.digest import morning_digest
from core.models import Delivery, Entry, InboundMessage, Membership, OutboxMessage
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, coming, wall

GRACE = datetime.timedelta(hours=2)
FRIDAY = coming(5)
SATURDAY = FRIDAY + datetime.timedelta(days=1)
MONDAY = FRIDAY + datetime.timedelta(days=3)


def london(day, hhmm):
    return wall(day, hhmm, "Europe/London")


def ny(day, hhmm):
    return wall(day, hhmm, "America/New_York")


def utc(day, hour):
    return datetime.datetime.combine(day, datetime.time(hour))


def tick(now):
    """What the periodic task does: plan, then deliver each chunk."""
    for channel_name, ids in dispatch.plan_due(now, GRACE).items():
        dispatch.deliver(channel_name, ids, now, TEST_SECRET)


def csrf(client, path="/dev/outbox"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def team(runtime):
    team = create_team("Loop team", slug="loop")
    seeded = utc(FRIDAY, 12)  # Friday noon UTC
    add_member(team, "lena@example.com", seeded, name="Lena", tz="Europe/London", prompt_at="17:00")
    add_member(team, "nate@example.com", seeded, name="Nate", tz="America/New_York", prompt_at="17:00")
    add_member(team, "quiet@example.com", seeded, name="Quinn", tz="Europe/London", prompt_at="18:00")
    return team


def reply_payload(message, text, message_id=None):
    """A reply as Postmark posts it: the token in MailboxHash and the To address."""
    reply_to = re.search(r"<([^>]+)>", message.reply_to).group(1)
    token = reply_to.split("+", 1)[1].split("@", 1)[0]
    return {
        "From": "someone@example.com", "FromFull": {"Email": "someone@example.com", "Name": "", "MailboxHash": ""},
        "To": reply_to, "ToFull": [{"Email": reply_to, "Name": "", "MailboxHash": token}],
        "MailboxHash": token, "MessageID": message_id or str(uuid.uuid4()), "Subject": "Re: " + message.subject,
        "TextBody": text, "HtmlBody": "", "Headers": [{"Name": "Message-ID", "Value": f"<{uuid.uuid4()}@mail.example.com>"}],
    }


def test_prompt_reply_digest(team, client):
    # Friday 17:00 in London: Lena's prompt, nobody else's.
    tick(london(FRIDAY, "17:00"))
    [lena_prompt] = OutboxMessage.select()
    assert "lena@example.com" in lena_prompt.to
    assert lena_prompt.reply_to.endswith("@in.donebot.test>") and "reply+" in lena_prompt.reply_to
    assert "What'd you get done today?" in lena_prompt.text_body
    assert "<html" in lena_prompt.html_body and "<link" not in lena_prompt.html_body

    # Lena replies through the outbox form: it goes through the real inbound webhook.
    answer = client.post(f"/dev/outbox/{lena_prompt.id}/reply", data={
        "csrf_token": csrf(client),
        "text": "- shipped the importer #backend\n[ ] write the upgrade notes\n! waiting on @nate for keys",
    })
    assert answer.status_code == 302
    inbound = InboundMessage.get()
    assert inbound.state == "processed", inbound.error
    lena_entries = list(Entry.select().order_by(Entry.id))
    assert [(e.kind, e.text, e.local_date) for e in lena_entries] == [
        ("done", "shipped the importer #backend", FRIDAY),
        ("goal", "write the upgrade notes", FRIDAY),
        ("blocker", "waiting on @nate for keys", FRIDAY),
    ]
    # the quoted prompt below the reply did not become entries
    assert not any("What'd you get done" in e.text for e in lena_entries)

    # 17:00 in New York: Nate's prompt; he replies by email.
    tick(ny(FRIDAY, "17:00"))
    nate_prompt = OutboxMessage.select().where(OutboxMessage.to.contains("nate@")).get()
    assert "upgrade notes" not in nate_prompt.text_body  # Lena's goals are hers
    body = ("Fixed the flaky login test #ci\n\nOn Fri, Dec 4, 2026 at 5:00 PM donebot wrote:\n"
            "> What'd you get done today?\n")
    response = client.post("/webhooks/postmark/inbound", data=json.dumps(reply_payload(nate_prompt, body)),
                           content_type="application/json")
    assert response.status_code == 200
    assert Entry.select().where(Entry.text == "Fixed the flaky login test #ci").count() == 1

    # The weekend: nothing is due.
    for saturday_hour in range(0, 24, 3):
        tick(utc(SATURDAY, saturday_hour))
    assert Delivery.select().where(Delivery.kind == "prompt", Delivery.local_date > FRIDAY).count() == 0

    # Monday 09:00 in London: Lena's and Quinn's digests cover Friday.
    tick(london(MONDAY, "09:00"))
    digests = list(OutboxMessage.select().where(OutboxMessage.tag == "digest").order_by(OutboxMessage.id))
    assert sorted(d.to for d in digests) == ['Lena <lena@example.com>', 'Quinn <quiet@example.com>']
    text = digests[0].text_body
    for expected in ("shipped the importer #backend", "write the upgrade notes", "waiting on @nate for keys",
                     "Fixed the flaky login test #ci", "Didn't post: Quinn"):
        assert expected in text
    sunday = MONDAY - datetime.timedelta(days=1)
    assert f"{FRIDAY.strftime('%A, %B %-d')} – {sunday.strftime('%A, %B %-d')}" in text
    assert "shipped the importer #backend" in digests[0].html_body

    # `donebot digest` prints the same text.
    printed = render_digest_text(morning_digest(team, MONDAY), "http://donebot.test/settings")
    personal = [line for line in text.splitlines() if line.startswith("Unsubscribe: http://donebot.test/unsubscribe/")]
    assert len(personal) == 1  # the only line that differs: each recipient's own unsubscribe link
    assert printed.splitlines() == [line for line in text.splitlines() if line not in personal]

    # 09:00 in New York: Nate's digest; no duplicates for anyone.
    tick(ny(MONDAY, "09:00"))
    tick(ny(MONDAY, "09:00"))
    assert OutboxMessage.select().where(OutboxMessage.tag == "digest").count() == 3


def test_a_goal_closed_by_a_later_reply(team, client):
    tick(london(FRIDAY, "17:00"))
    friday = OutboxMessage.get()
    client.post("/webhooks/postmark/inbound", data=json.dumps(reply_payload(friday, "[ ] write the upgrade notes")),
                content_type="application/json")
    tick(london(MONDAY, "17:00"))
    monday = OutboxMessage.select().where(OutboxMessage.tag == "prompt").order_by(OutboxMessage.id.desc()).get()
    assert "write the upgrade notes" in monday.text_body  # open goals are listed in the prompt
    client.post("/webhooks/postmark/inbound",
                data=json.dumps(reply_payload(monday, "- [x] Write the upgrade notes.")),
                content_type="application/json")
    goal = Entry.get(Entry.kind == "goal")
    assert goal.completed_at is not None
    assert Entry.get(Entry.kind == "done").local_date == MONDAY


def test_paused_members_and_suppressed_addresses_are_skipped(team):
    lena = Membership.select().join(Membership.user.rel_model).where(
        Membership.user.rel_model.email == "lena@example.com").get()
    lena.paused_until = FRIDAY
    lena.save()  # paused after next_prompt_at was computed: the plan still skips it
    tick(london(FRIDAY, "17:00"))
    assert Delivery.get().state == "skipped" and "paused" in Delivery.get().last_error
    assert OutboxMessage.select().count() == 0
    dispatch.refresh_schedule(lena, london(FRIDAY, "18:00"))
    assert lena.next_prompt_at == london(MONDAY, "17:00")  # Monday

    nate = Membership.select().join(Membership.user.rel_model).where(
        Membership.user.rel_model.email == "nate@example.com").get()
    nate.user.email_status = "bounced"
    nate.user.save()
    tick(ny(FRIDAY, "17:00"))
    skipped = Delivery.get(Delivery.membership == nate, Delivery.kind == "prompt")
    assert skipped.state == "skipped" and skipped.last_error == "email bounced"
    assert OutboxMessage.select().count() == 0


def test_downtime_longer_than_the_grace_period_skips_instead_of_sending_late(team):
    # The scheduler was down from before Lena's 17:00 (London) until 18:30 in New York.
    tick(ny(FRIDAY, "18:30"))
    lena = Delivery.select().join(Membership).where(Delivery.kind == "prompt").order_by(Delivery.id)
    states = {d.membership.user.email: (d.state, d.last_error or "") for d in lena}
    assert states["lena@example.com"][0] == "skipped" and "grace" in states["lena@example.com"][1]
    assert states["nate@example.com"][0] == "sent"  # 17:00 in New York is within the grace period
    # and the next prompt is Monday's, not a burst of missed ones
    assert Membership.select().where(Membership.next_prompt_at <= utc(SATURDAY, 0)).count() == 0


def test_no_prompt_when_the_member_already_answered_today(team, client):
    tick(london(FRIDAY, "17:00"))
    friday = OutboxMessage.get()
    client.post("/webhooks/postmark/inbound", data=json.dumps(reply_payload(friday, "did it")),
                content_type="application/json")
    # Somebody re-plans Friday's prompt for Lena (e.g. a second channel): it is skipped.
    lena = Membership.get_by_id(Entry.get().membership_id)
    Delivery.delete().execute()
    lena.next_prompt_at = london(FRIDAY, "17:30")
    lena.save()
    tick(london(FRIDAY, "17:30"))
    assert Delivery.get().state == "skipped" and Delivery.get().last_error == "already answered today"


def test_forged_and_unknown_tokens_are_rejected_and_recorded(team, client):
    tick(london(FRIDAY, "17:00"))
    prompt = OutboxMessage.get()
    payload = reply_payload(prompt, "sneaky entry")
    forged = payload["MailboxHash"][:-1] + ("a" if payload["MailboxHash"][-1] != "a" else "b")
    payload["MailboxHash"] = forged
    payload["ToFull"][0]["MailboxHash"] = forged
    payload["To"] = f"reply+{forged}@in.donebot.test"
    assert client.post("/webhooks/postmark/inbound", data=json.dumps(payload),
                       content_type="application/json").status_code == 200
    stored = InboundMessage.get()
    assert stored.state == "rejected" and "invalid reply token" in stored.error
    assert Entry.select().count() == 0

    no_token = reply_payload(prompt, "hello", message_id="m-2")
    no_token.update(MailboxHash="", To="someone@in.donebot.test", ToFull=[])
    client.post("/webhooks/postmark/inbound", data=json.dumps(no_token), content_type="application/json")
    assert InboundMessage.get(InboundMessage.provider_message_id == "m-2").state == "rejected"
    assert Entry.select().count() == 0


def test_auto_replies_never_become_entries(team, client):
    tick(london(FRIDAY, "17:00"))
    payload = reply_payload(OutboxMessage.get(), "I am out of the office until Monday.")
    payload["Headers"].append({"Name": "Auto-Submitted", "Value": "auto-replied"})
    client.post("/webhooks/postmark/inbound", data=json.dumps(payload), content_type="application/json")
    assert InboundMessage.get().state == "auto_reply"
    assert Entry.select().count() == 0
    # and nothing is sent back
    assert OutboxMessage.select().count() == 1


def test_the_same_email_posted_twice_records_once(team, client):
    tick(london(FRIDAY, "17:00"))
    payload = json.dumps(reply_payload(OutboxMessage.get(), "- one\n- two", message_id="same-id"))
    # also the same mail arriving with another Postmark MessageID (e.g. through a second route)
    twin = json.loads(payload)
    twin["MessageID"] = "another-id"
    for _ in range(3):
        assert client.post("/webhooks/postmark/inbound", data=payload,
                           content_type="application/json").status_code == 200
    assert InboundMessage.select().count() == 1
    assert Entry.select().count() == 2
    assert client.post("/webhooks/postmark/inbound", data=json.dumps(twin),
                       content_type="application/json").status_code == 200
    assert InboundMessage.select().count() == 2
    assert Entry.select().count() == 2  # the email's own Message-ID makes it count once


def test_a_receipt_goes_back_when_the_member_asks_for_one(team, client):
    Membership.update(receipts=True).execute()
    tick(london(FRIDAY, "17:00"))
    prompt = OutboxMessage.get()
    client.post("/webhooks/postmark/inbound", data=json.dumps(reply_payload(prompt, "- one\n[ ] two")),
                content_type="application/json")
    receipt = OutboxMessage.get(OutboxMessage.tag == "receipt")
    assert receipt.subject.endswith(": 1 done, 1 goal") and receipt.to == prompt.to
    assert "reply+" in receipt.reply_to  # replying to the receipt adds more
    assert "- one" in receipt.text_body and "[ ] two" in receipt.text_body

    # an auto-reply gets nothing back; a second reply the same day is recorded, one receipt a day
    auto = reply_payload(prompt, "Out of office")
    auto["Headers"].append({"Name": "X-Autoreply", "Value": "yes"})
    client.post("/webhooks/postmark/inbound", data=json.dumps(auto), content_type="application/json")
    client.post("/webhooks/postmark/inbound", data=json.dumps(reply_payload(prompt, "- three")),
                content_type="application/json")
    assert Entry.select().count() == 3
    assert OutboxMessage.select().where(OutboxMessage.tag == "receipt").count() == 1


def test_no_receipt_unless_asked(team, client):
    tick(london(FRIDAY, "17:00"))
    client.post("/webhooks/postmark/inbound", data=json.dumps(reply_payload(OutboxMessage.get(), "- one")),
                content_type="application/json")
    assert Entry.select().count() == 1
    assert OutboxMessage.select().where(OutboxMessage.tag == "receipt").count() == 0


def test_recipients_of_one_batch_each_get_their_own_name_and_unsubscribe_link(team):
    from core.models import User

    User.update(name="Nate <b>&").where(User.email == "nate@example.com").execute()
    Membership.update(prompt_at="17:00", next_prompt_at=london(FRIDAY, "17:00")).execute()
    tick(london(FRIDAY, "17:00"))  # three prompts in one batch, rendered once and filled in
    messages = {m.to: m for m in OutboxMessage.select()}
    assert len(messages) == 3
    nate = next(m for to, m in messages.items() if "nate@" in to)
    assert "Hi Nate <b>&," in nate.text_body and "Hi Nate &lt;b&gt;&amp;," in nate.html_body
    links = {re.search(r"Unsubscribe: (\S+)", m.text_body).group(1) for m in messages.values()}
    assert len(links) == 3
    for message in messages.values():
        link = re.search(r"Unsubscribe: (\S+)", message.text_body).group(1)
        assert f'href="{link}"' in message.html_body
        assert "\x00" not in message.text_body + message.html_body
