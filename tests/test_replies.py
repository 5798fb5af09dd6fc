"""Editing, deleting and checking off: the changes Slack and the web make after a reply."""
import datetime

import pytest

from core.models import Entry, EntryTerm, Reply
from core.replies import (
    EmptyReply, complete_goal, delete_entry, delete_reply, edit_entry, record_reply, replace_reply,
)
from core.teams import add_member, create_team

NOW = datetime.datetime(2026, 12, 1, 12, 0)
DAY = datetime.date(2026, 12, 1)


@pytest.fixture
def member(runtime):
    return add_member(create_team("R", slug="r"), "r@example.com", NOW)


def test_replace_reply_swaps_entries_and_terms(member):
    record_reply(member, DAY, "- one #a\n- two", "slack", "T1:D1:1.0", NOW)
    replaced = replace_reply("slack", "T1:D1:1.0", "- one #b\n[ ] three @sam", NOW)
    assert [(e.kind, e.text) for e in replaced.entries] == [("done", "one #b"), ("goal", "three @sam")]
    assert Entry.select().count() == 2 and Reply.select().count() == 1
    assert sorted((t.kind, t.value) for t in EntryTerm.select()) == [("mention", "sam"), ("tag", "b")]
    assert replace_reply("slack", "unknown", "x", NOW) is None
    with pytest.raises(EmptyReply):
        replace_reply("slack", "T1:D1:1.0", "   ", NOW)
    assert Entry.select().count() == 2  # nothing lost on a bad edit


def test_delete_reply(member):
    record_reply(member, DAY, "- one #a", "slack", "m1", NOW)
    assert delete_reply("slack", "m1") is True
    assert Entry.select().count() == 0 and EntryTerm.select().count() == 0 and Reply.select().count() == 0
    assert delete_reply("slack", "m1") is False


def test_complete_goal_records_done_once(member):
    goal = record_reply(member, DAY, "[ ] write docs #docs", "web", "w1", NOW).entries[0]
    later = DAY + datetime.timedelta(days=2)
    done = complete_goal(goal, later, "web", NOW)
    assert (done.kind, done.text, done.local_date) == ("done", "write docs #docs", later)
    assert Entry.get_by_id(goal.id).completed_at == NOW
    assert complete_goal(goal, later, "web", NOW) is None
    assert EntryTerm.select().where(EntryTerm.entry == done.id).count() == 1


def test_edit_and_delete_one_entry(member):
    entry = record_reply(member, DAY, "- tpyo #x", "web", "w2", NOW).entries[0]
    edit_entry(entry, "! typo fixed #y", NOW)
    fresh = Entry.get_by_id(entry.id)
    assert (fresh.kind, fresh.text, fresh.tags) == ("blocker", "typo fixed #y", "y")
    assert [t.value for t in EntryTerm.select()] == ["y"]
    with pytest.raises(EmptyReply):
        edit_entry(fresh, "  ", NOW)
    with pytest.raises(ValueError):
        edit_entry(fresh, "one\ntwo", NOW)
    assert Entry.get_by_id(entry.id).text == "typo fixed #y"
    delete_entry(fresh)
    assert Entry.select().count() == 0 and EntryTerm.select().count() == 0
