"""/done, /digest, the modal, App Home and bad input, through signed requests and the fake Slack."""
import datetime
import json

import pytest

from channels.slack import blocks
from core.models import Entry, InboundMessage, Membership, Reply, User
from core.replies import record_reply
from core.schedule import local_date_of
from core.teams import add_member, create_team
from tests.conftest import with_settings
from tests.fakes.slack import TEAM_ID, sign


def today(tz="Europe/London"):
    return local_date_of(datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None), tz)


@pytest.fixture
def people(runtime, fake_slack):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    loop = create_team("Loop", slug="loop")
    other = create_team("Secret project", slug="secret")
    add_member(loop, "ann@example.com", now, name="Ann", tz="Europe/London", preferred_channel="slack")
    add_member(loop, "bob@example.com", now, name="Bob", tz="Europe/London")
    add_member(other, "zed@example.com", now, name="Zed", tz="Europe/London")
    fake_slack.add_user("UANN", "ann@example.com", "Ann")
    fake_slack.add_user("UBOB", "bob@example.com", "Bob")
    return loop, other


def member(email):
    return Membership.select().join(User).where(User.email == email).get()


def test_done_records_and_confirms_escaped(people, slack):
    response = slack.command("/done", "shipped &lt;!channel&gt; fix #backend\n[ ] write docs", "UANN")
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["response_type"] == "ephemeral" and "1 done, 1 goal" in answer["text"]
    assert "&lt;!channel&gt;" in json.dumps(answer["blocks"]) and "<!channel>" not in json.dumps(answer["blocks"])
    entries = list(Entry.select().order_by(Entry.id))
    assert [(e.kind, e.text) for e in entries] == [("done", "shipped <!channel> fix #backend"), ("goal", "write docs")]
    assert entries[0].local_date == today() and Reply.get().source == "slack"


def test_done_alone_opens_the_modal_and_the_modal_records(people, slack, fake_slack):
    assert slack.command("/done", "  ", "UANN").status_code == 200
    [opened] = fake_slack.opened
    assert opened["view"]["callback_id"] == blocks.ENTRIES_VIEW
    empty = slack.submit(blocks.ENTRIES_VIEW, {"entries": {"text": {"type": "plain_text_input", "value": " "}}},
                         "UANN")
    assert empty.status_code == 200 and empty.get_json()["response_action"] == "errors"
    assert Entry.select().count() == 0
    ok = slack.submit(blocks.ENTRIES_VIEW, {"entries": {"text": {"type": "plain_text_input",
                                                                   "value": "reviewed PRs\n! blocked on CI"}}},
                      "UANN", view_id="VONE")
    assert ok.status_code == 200
    assert [e.kind for e in Entry.select().order_by(Entry.id)] == ["done", "blocker"]
    slack.submit(blocks.ENTRIES_VIEW, {"entries": {"text": {"type": "plain_text_input", "value": "reviewed PRs"}}},
                 "UANN", view_id="VONE")
    assert Entry.select().count() == 2  # the same view submitted twice counts once


def test_the_prompt_button_opens_the_modal_for_that_day(people, slack, fake_slack):
    value = json.dumps({"membership": member("ann@example.com").id, "date": today().isoformat()})
    assert slack.button(blocks.OPEN_MODAL, value, "UANN", channel="DUANN").status_code == 200
    metadata = json.loads(fake_slack.opened[0]["view"]["private_metadata"])
    assert metadata == {"membership": member("ann@example.com").id, "date": today().isoformat()}


def test_digest_for_the_callers_team_with_filters(people, slack):
    ann, bob = member("ann@example.com"), member("bob@example.com")
    yesterday = today() - datetime.timedelta(days=1)
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    record_reply(ann, yesterday, "shipped search #backend\nwrote notes #docs", "email", "a", now)
    record_reply(bob, yesterday, "fixed <!here> bug #backend", "email", "b", now)
    plain = slack.command("/digest", "yesterday", "UANN").get_json()
    text = json.dumps(plain["blocks"])
    assert plain["response_type"] == "ephemeral"
    assert "shipped search" in text and "fixed &lt;!here&gt; bug" in text and "<!here>" not in text
    tagged = json.dumps(slack.command("/digest", "loop yesterday #docs", "UANN").get_json()["blocks"])
    assert "wrote notes" in tagged and "shipped search" not in tagged and "fixed" not in tagged
    person = json.dumps(slack.command("/digest", "yesterday <@UBOB|bob>", "UANN").get_json()["blocks"])
    assert "fixed" in person and "shipped search" not in person
    week = slack.command("/digest", "week", "UANN").get_json()
    assert week["response_type"] == "ephemeral"


def test_digest_refuses_a_team_the_caller_is_not_in(people, slack):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    record_reply(member("zed@example.com"), today(), "top secret thing", "email", "z", now)
    answer = slack.command("/digest", "secret today", "UANN").get_json()
    assert "not in a team called secret" in answer["text"] and "top secret" not in json.dumps(answer)
    nowhere = slack.command("/digest", "nosuchteam", "UANN").get_json()
    assert "not in a team called nosuchteam" in nowhere["text"]  # same answer: existence is not revealed


@pytest.mark.parametrize("args", ["help", "2026-13-45", "week week", "yesterday today", "!!", "#a #b"])
def test_digest_usage_for_help_and_unparseable_args(people, slack, args):
    response = slack.command("/digest", args, "UANN")
    assert response.status_code == 200
    assert response.get_json()["text"].startswith("Usage: `/digest")


def test_unknown_command_gets_a_friendly_answer(people, slack):
    answer = slack.command("/frobnicate", "x", "UANN").get_json()
    assert answer["response_type"] == "ephemeral" and "doesn't know /frobnicate" in answer["text"]


def test_home_lists_today_and_checks_off_goals(people, slack, fake_slack):
    ann = member("ann@example.com")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    record_reply(ann, today() - datetime.timedelta(days=2), "[ ] write the <b>guide</b>", "email", "g", now)
    record_reply(ann, today(), "fixed login", "email", "t", now)
    zed_goal = record_reply(member("zed@example.com"), today(), "[ ] zed's goal", "email", "z", now).entries[0]
    assert slack.event({"type": "app_home_opened", "user": "UANN", "channel": "DUANN", "tab": "home",
                        "event_ts": "1.0"}).status_code == 200
    home = fake_slack.published["UANN"]
    text = json.dumps(home)
    assert "fixed login" in text and "write the &lt;b&gt;guide&lt;/b&gt;" in text and "zed" not in text
    goal = Entry.get(Entry.kind == "goal", Entry.membership == ann)
    button = [b for b in home["blocks"] if b.get("accessory", {}).get("action_id") == blocks.COMPLETE_GOAL][0]
    assert button["accessory"]["value"] == str(goal.id)
    # someone else's goal cannot be checked off from Ann's Home
    slack.button(blocks.COMPLETE_GOAL, str(zed_goal.id), "UANN", view={"id": "VH", "type": "home"})
    assert Entry.get_by_id(zed_goal.id).completed_at is None
    slack.button(blocks.COMPLETE_GOAL, str(goal.id), "UANN", view={"id": "VH", "type": "home"})
    assert Entry.get_by_id(goal.id).completed_at is not None
    done = Entry.get(Entry.kind == "done", Entry.text == "write the <b>guide</b>")
    assert done.local_date == today()
    assert "write the &lt;b&gt;guide&lt;/b&gt;" not in json.dumps(
        [b for b in fake_slack.published["UANN"]["blocks"] if "accessory" in b])


def settings_values(**overrides):
    values = {"prompt_at": "16:30", "digest_at": "08:15", "tz": "America/New_York", "workdays": ["1", "2", "3", "4"],
              "paused_until": None, "channel": "slack"}
    values.update(overrides)
    return {
        "prompt_at": {"value": {"type": "timepicker", "selected_time": values["prompt_at"]}},
        "digest_at": {"value": {"type": "timepicker", "selected_time": values["digest_at"]}},
        "tz": {"value": {"type": "plain_text_input", "value": values["tz"]}},
        "workdays": {"value": {"type": "checkboxes", "selected_options": [{"value": d} for d in values["workdays"]]}},
        "paused_until": {"value": {"type": "datepicker", "selected_date": values["paused_until"]}},
        "channel": {"value": {"type": "radio_buttons", "selected_option": {"value": values["channel"]}}},
    }


def test_settings_open_with_the_slack_zone_and_save_recomputes_the_schedule(people, slack, fake_slack):
    fake_slack.add_user("UNEW", "new@example.com", "New", tz="Asia/Tokyo")
    slack.dm("UNEW", "first day")  # joins; a new Slack user's zone is their profile's
    assert User.get(User.email == "new@example.com").tz == "Asia/Tokyo"
    slack.button(blocks.OPEN_SETTINGS, "", "UANN", view={"id": "VH", "type": "home"})
    modal = fake_slack.opened[-1]["view"]
    assert modal["callback_id"] == blocks.SETTINGS_VIEW
    ann = member("ann@example.com")
    before = ann.next_prompt_at
    bad = slack.submit(blocks.SETTINGS_VIEW, settings_values(tz="Mars/Base", workdays=[]), "UANN",
                       private_metadata=json.dumps({"membership": ann.id}))
    assert set(bad.get_json()["errors"]) == {"tz", "workdays"}
    assert member("ann@example.com").prompt_at == ann.prompt_at  # nothing half-written
    pause = (today() + datetime.timedelta(days=3)).isoformat()
    ok = slack.submit(blocks.SETTINGS_VIEW, settings_values(paused_until=pause, channel="email"), "UANN",
                      private_metadata=json.dumps({"membership": ann.id}))
    assert ok.status_code == 200 and not ok.get_data()
    ann = member("ann@example.com")
    assert (ann.prompt_at, ann.digest_at, ann.workdays, ann.paused_until.isoformat(), ann.preferred_channel) == \
        ("16:30", "08:15", "1234", pause, "email")
    assert ann.user.tz == "America/New_York" and ann.next_prompt_at != before
    assert local_date_of(ann.next_prompt_at, "America/New_York") > datetime.date.fromisoformat(pause)


# -- bad input ------------------------------------------------------------------------------------------------
def test_bad_signatures_get_401(people, slack, client):
    body = "command=%2Fdone&text=hi&user_id=UANN&team_id=" + TEAM_ID
    form = "application/x-www-form-urlencoded"
    assert client.post("/slack/events", data=body, content_type=form).status_code == 401
    stale = sign(slack.secret, body, int(datetime.datetime.now().timestamp()) - 6 * 60)
    assert client.post("/slack/events", data=body, content_type=form, headers=stale).status_code == 401
    wrong = sign("not-the-secret", body, int(datetime.datetime.now().timestamp()))
    assert client.post("/slack/events", data=body, content_type=form, headers=wrong).status_code == 401
    garbage = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=zz"}
    assert client.post("/slack/events", data=body, content_type=form, headers=garbage).status_code == 401
    assert Entry.select().count() == 0


@pytest.mark.parametrize("body,content_type", [
    ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    ("[1, 2, 3]", "application/json"),
    ("{\"type\": ", "application/json"),
    ("", "application/x-www-form-urlencoded"),
    ("%%%&&&===", "application/x-www-form-urlencoded"),
])
def test_malformed_bodies_are_4xx(people, slack, body, content_type):
    response = slack.post(body, content_type)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


def test_unknown_users_and_odd_interactions_get_friendly_answers(people, slack, fake_slack):
    fake_slack.add_user("UNOMAIL", None, "No Mail")
    answer = slack.command("/done", "did a thing", "UNOMAIL").get_json()
    assert "no email address" in answer["text"] and Entry.select().count() == 0
    assert "couldn't look up your Slack profile" in slack.command("/done", "did a thing", "UGHOST").get_json()["text"]
    assert slack.button(blocks.COMPLETE_GOAL, "not-a-number", "UANN", view={"id": "V", "type": "home"}).status_code == 200
    assert slack.button("some_other_action", "x", "UANN").status_code == 404
    response, _ = slack.dm("UNOMAIL", "hello there")
    assert response.status_code == 200
    assert InboundMessage.get().state == "rejected" and User.select().count() == 3
    assert any("no email address" in m["text"] for m in fake_slack.messages)


def test_another_workspace_in_single_mode_is_refused(people, slack):
    answer = slack.command("/done", "sneaky", "UANN", team_id="TOTHER").get_json()
    assert "isn't installed" in answer["text"] and Entry.select().count() == 0
    response, _ = slack.dm("UANN", "sneaky", team_id="TOTHER")
    assert response.status_code == 200 and Entry.select().count() == 0 and InboundMessage.select().count() == 0


def test_slack_off_without_tokens(runtime, settings, fake_slack):
    from bot.app import create_app
    from bot.runtime import build_runtime

    plain = with_settings(settings, slack_bot_token="", slack_signing_secret="")
    rt = build_runtime(plain)
    assert create_app(plain, rt).test_client().post("/slack/events", data="x").status_code == 404
