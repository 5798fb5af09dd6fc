"""The daily loop through Slack: prompt DM -> reply in the DM -> digest DM, through the real ledger,
real HTTP to the fake Slack Web API, and signed requests into /slack/events."""
import datetime
import json

import pytest

from channels.slack.models import SlackChannelPost, SlackUser, SlackWorkspace
from core import dispatch
from core.models import Delivery, Entry, Identity, InboundMessage, Membership, OutboxMessage, Reply, User
from core.replies import record_reply
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, coming, wall, with_settings

GRACE = datetime.timedelta(hours=2)
FRIDAY = coming(5)
MONDAY = FRIDAY + datetime.timedelta(days=3)


def london(day, hhmm):
    return wall(day, hhmm, "Europe/London")


def tick(now):
    reports = {}
    for channel_name, ids in dispatch.plan_due(now, GRACE).items():
        reports[channel_name] = dispatch.deliver(channel_name, ids, now, TEST_SECRET)
    return reports


def ts_at(instant, n=0):
    return f"{instant.replace(tzinfo=datetime.timezone.utc).timestamp() + n:.6f}"


@pytest.fixture
def team(runtime, fake_slack):
    team = create_team("Loop team", slug="loop")
    seeded = datetime.datetime.combine(FRIDAY, datetime.time(12))
    add_member(team, "ann@example.com", seeded, name="Ann", tz="Europe/London", preferred_channel="slack")
    add_member(team, "bob@example.com", seeded, name="Bob", tz="Europe/London", prompt_at="17:00")
    fake_slack.add_user("UANN", "ann@example.com", "Ann", tz="Europe/London")
    return team


def ann():
    return Membership.select().join(User).where(User.email == "ann@example.com").get()


def test_prompt_by_dm_reply_edit_delete_and_digest(team, fake_slack, slack):
    tick(london(FRIDAY, "17:00"))
    # Ann prefers Slack: a DM, and no email; Bob gets his email as before.
    assert [m.to for m in OutboxMessage.select()] == ["Bob <bob@example.com>"]
    [prompt] = fake_slack.messages_to("UANN")
    assert "What'd you get done today?" in prompt["text"]
    button = [b for b in prompt["blocks"] if b["type"] == "actions"][0]["elements"][0]
    assert button["action_id"] == "donebot_open_modal" and button["text"]["text"] == "Add entries"
    assert prompt["metadata"]["event_payload"]["delivery_id"] == Delivery.get(Delivery.channel == "slack").id
    SlackUser.get(SlackUser.slack_user_id == "UANN")  # linked by users.lookupByEmail
    assert Identity.get(Identity.channel == "slack").external_id == "T0DONE:UANN"
    assert Delivery.get(Delivery.channel == "slack").state == "sent"

    # She answers in the DM; Slack retries the event (same id) and sends it again under a new id.
    ts = ts_at(london(FRIDAY, "17:20"))
    text = "shipped the importer #backend\n[ ] write the notes\n! waiting on <@UBOB> &amp; keys"
    response, _ = slack.dm("UANN", text, ts=ts, event_id="EvONE")
    assert response.status_code == 200
    assert slack.dm("UANN", text, ts=ts, event_id="EvONE", retry=1)[0].status_code == 200
    assert slack.dm("UANN", text, ts=ts, event_id="EvTWO")[0].status_code == 200
    assert InboundMessage.select().where(InboundMessage.provider == "slack").count() == 2  # EvONE once, EvTWO
    assert Reply.select().count() == 1
    entries = list(Entry.select().order_by(Entry.id))
    assert [(e.kind, e.text, e.local_date) for e in entries] == [
        ("done", "shipped the importer #backend", FRIDAY), ("goal", "write the notes", FRIDAY),
        ("blocker", "waiting on @UBOB & keys", FRIDAY)]
    assert Reply.get().source == "slack" and Reply.get().source_ref == f"T0DONE:DUANN:{ts}"
    assert {"channel": "DUANN", "timestamp": ts, "name": "white_check_mark"} in fake_slack.reactions

    # Her edit replaces the entries; a bot's message and her own DM channel's bot echo are ignored.
    edited = {"type": "message", "subtype": "message_changed", "channel": "DUANN", "channel_type": "im",
              "hidden": True, "ts": ts_at(london(FRIDAY, "17:25")),
              "message": {"type": "message", "user": "UANN", "text": "shipped the importer #backend #v2", "ts": ts,
                          "edited": {"user": "UANN", "ts": ts_at(london(FRIDAY, "17:25"))}},
              "previous_message": {"type": "message", "user": "UANN", "text": text, "ts": ts}}
    assert slack.event(edited).status_code == 200
    assert [e.text for e in Entry.select()] == ["shipped the importer #backend #v2"]
    slack.dm("UOTHERBOT", "beep", bot_id="B999", subtype="bot_message")
    assert Entry.select().count() == 1

    # Deleting the message removes what it recorded.
    deleted = {"type": "message", "subtype": "message_deleted", "channel": "DUANN", "channel_type": "im",
               "hidden": True, "deleted_ts": ts, "ts": ts_at(london(FRIDAY, "17:30")),
               "previous_message": {"type": "message", "user": "UANN", "text": "x", "ts": ts}}
    assert slack.event(deleted).status_code == 200
    assert Entry.select().count() == 0 and Reply.select().count() == 0

    # She answers again; Bob answers by email with text that would ping the channel if unescaped.
    slack.dm("UANN", "fixed the build", ts=ts_at(london(FRIDAY, "17:40")))
    bob = Membership.select().join(User).where(User.email == "bob@example.com").get()
    record_reply(bob, FRIDAY, "<!channel> look at <https://evil.example|this> & more", "email", "m1",
                 london(FRIDAY, "18:00"))

    # Monday 09:00 London: the digest arrives by DM, user text escaped for mrkdwn.
    tick(london(MONDAY, "09:00"))
    digest = [m for m in fake_slack.messages_to("UANN") if "what got done" in m["text"]]
    assert len(digest) == 1
    rendered = json.dumps(digest[0]["blocks"])
    assert "fixed the build" in rendered
    assert "&lt;!channel&gt; look at &lt;https://evil.example|this&gt; &amp; more" in rendered
    assert "<!channel>" not in rendered and "<https://evil" not in rendered


def test_an_answer_by_email_means_no_slack_prompt_that_day(team, fake_slack):
    record_reply(ann(), FRIDAY, "did it by email", "email", "m-ann", london(FRIDAY, "16:00"))
    tick(london(FRIDAY, "17:00"))
    assert fake_slack.messages_to("UANN") == []
    assert Delivery.get(Delivery.channel == "slack").last_error == "already answered today"
    # ... and a DM answer the same day goes to the same day's entries
    assert OutboxMessage.select().where(OutboxMessage.to.contains("ann@")).count() == 0


def test_account_inactive_is_permanent_and_flagged_like_a_bounce(team, fake_slack):
    fake_slack.user_errors["UANN"] = "account_inactive"
    tick(london(FRIDAY, "17:00"))
    delivery = Delivery.get(Delivery.channel == "slack")
    assert delivery.state == "failed" and "account_inactive" in delivery.last_error
    assert SlackUser.get(SlackUser.slack_user_id == "UANN").status == "inactive"
    assert ann().preferred_channel == "email"  # she is asked by email again
    posts = len(fake_slack.calls_of("chat.postMessage")) + len(fake_slack.calls_of("conversations.open"))
    tick(london(MONDAY, "17:00"))
    assert len(fake_slack.calls_of("chat.postMessage")) + len(fake_slack.calls_of("conversations.open")) == posts
    assert OutboxMessage.select().where(OutboxMessage.to.contains("ann@")).count() == 1


def test_rate_limited_sends_back_off_and_arrive(team, fake_slack):
    fake_slack.fail_next("chat.postMessage", "ratelimited", n=2)
    reports = tick(london(FRIDAY, "17:00"))
    assert reports["slack"].sent == 1
    assert len(fake_slack.messages_to("UANN")) == 1
    assert len(fake_slack.calls_of("chat.postMessage")) == 3


def test_a_new_slack_user_joins_the_workspace_team(runtime, fake_slack, slack):
    fake_slack.add_user("UNEW", "new.person@example.com", "New Person", tz="America/New_York")
    response, ts = slack.dm("UNEW", "set up my laptop")
    assert response.status_code == 200
    user = User.get(User.email == "new.person@example.com")
    assert user.tz == "America/New_York" and user.name == "New Person"
    [membership] = user.memberships
    assert membership.preferred_channel == "slack"
    assert membership.team.name == "Acme" and SlackWorkspace.get().donebot_team_id == membership.team_id
    assert Entry.get().text == "set up my laptop"


def test_a_new_slack_user_joins_slack_default_team(runtime, fake_slack, settings):
    from bot.app import create_app
    from bot.runtime import build_runtime
    from tests.slack.conftest import SlackRequests

    create_team("Platform", slug="platform")
    rt = build_runtime(with_settings(settings, slack_default_team="platform"))
    web = create_app(rt.settings, rt).test_client()
    fake_slack.add_user("UNEW", "new.person@example.com", "New Person")
    SlackRequests(web).dm("UNEW", "set up my laptop")
    assert User.get(User.email == "new.person@example.com").memberships[0].team.slug == "platform"


def test_digest_goes_to_the_team_channel_once(team, fake_slack, settings):
    from bot.runtime import build_runtime

    build_runtime(with_settings(settings, slack_digest_channel="CTEAM"))
    add_member(team, "cat@example.com", datetime.datetime.combine(FRIDAY, datetime.time(12)), name="Cat",
               tz="Europe/London", preferred_channel="slack")
    fake_slack.add_user("UCAT", "cat@example.com", "Cat")
    record_reply(ann(), FRIDAY, "shipped it", "email", "m1", london(FRIDAY, "18:00"))
    tick(london(MONDAY, "09:00"))
    channel_posts = [m for m in fake_slack.messages if m["channel"] == "CTEAM"]
    assert len(channel_posts) == 1 and "shipped it" in json.dumps(channel_posts[0]["blocks"])
    assert SlackChannelPost.get().ts == channel_posts[0]["ts"]
    assert len([m for m in fake_slack.messages if m["channel"].startswith("D")]) == 2  # Ann and Cat


def test_a_threaded_reply_to_a_prompt_counts_for_that_prompts_day(team, fake_slack, slack):
    tick(london(FRIDAY, "17:00"))
    [prompt] = fake_slack.messages_to("UANN")
    after_midnight = ts_at(london(FRIDAY + datetime.timedelta(days=1), "00:30"))
    slack.dm("UANN", "late night deploy", ts=after_midnight, thread_ts=prompt["ts"])
    assert Entry.get().local_date == FRIDAY
    slack.dm("UANN", "a saturday thing", ts=ts_at(london(FRIDAY + datetime.timedelta(days=1), "00:40")))
    assert Entry.get(Entry.text == "a saturday thing").local_date == FRIDAY + datetime.timedelta(days=1)
