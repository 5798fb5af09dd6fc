"""Today: add, edit and delete my entries; check off my goals; everything escaped."""
import datetime
import re

import pytest

from core.models import Entry, Reply
from core.replies import record_reply
from tests.web.conftest import FRIDAY, post

THURSDAY = FRIDAY - datetime.timedelta(days=1)


def ref():
    import uuid

    return uuid.uuid4().hex


def test_add_entries_for_today(as_user, world, clock):
    ada = as_user("ada")
    response = post(ada, "/entries", {"text": "- shipped it #backend\n[ ] write docs\n! blocked on @max", "ref": ref()})
    assert response.status_code == 302
    entries = list(Entry.select().order_by(Entry.id))
    assert [(e.kind, e.text) for e in entries] == [("done", "shipped it #backend"), ("goal", "write docs"),
                                                   ("blocker", "blocked on @max")]
    assert all(e.local_date == FRIDAY for e in entries)
    assert Reply.get().source == "web"
    page = ada.get("/today").get_data(as_text=True)
    assert "Recorded 1 done, 1 goal, 1 blocker" in page and "shipped it #backend" in page


def test_today_follows_my_time_zone(as_user, world, clock):
    # 10:00 in London is 05:00 in New York: still Friday there. At 02:00 UTC Saturday it's Friday night in NY.
    clock.now = datetime.datetime.combine(FRIDAY + datetime.timedelta(days=1), datetime.time(2))
    max_ = as_user("max")
    post(max_, "/entries", {"text": "late night fix", "ref": ref()})
    assert Entry.get().local_date == FRIDAY


def test_submitting_the_same_form_twice_records_once(as_user, world):
    ada = as_user("ada")
    form = {"text": "- one thing", "ref": ref()}
    post(ada, "/entries", form)
    post(ada, "/entries", form)
    assert Entry.select().count() == 1


def test_add_for_yesterday(as_user, world):
    ada = as_user("ada")
    post(ada, "/entries", {"text": "forgot this", "ref": ref(), "date": THURSDAY.isoformat()})
    assert Entry.get().local_date == THURSDAY


@pytest.mark.parametrize("form,reason", [
    ({"text": "   "}, "write at least one thing"),
    ({"text": "x" * 20_001}, "at most 20,000"),
    ({"text": "ok", "ref": "not-a-ref"}, "missing its id"),
    ({"text": "ok", "date": "someday"}, "date must be a date"),
    ({"text": "ok", "date": (FRIDAY + datetime.timedelta(days=1)).isoformat()}, "today and the 6 days before"),
    ({"text": "ok", "date": (FRIDAY - datetime.timedelta(days=30)).isoformat()}, "today and the 6 days before"),
    ({"text": "ok", "membership": "abc"}, "pick one of your teams"),
])
def test_add_rejects_bad_input(as_user, world, form, reason):
    ada = as_user("ada")
    form = {"ref": ref(), **form}
    response = post(ada, "/entries", form)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert Entry.select().count() == 0 and Reply.select().count() == 0


def test_cannot_add_to_someone_elses_team(as_user, world):
    ada = as_user("ada")
    response = post(ada, "/entries", {"text": "sneaky", "ref": ref(), "membership": str(world["olga"].id)})
    assert response.status_code == 400 and Entry.select().count() == 0


def test_edit_and_delete(as_user, world, clock):
    ada = as_user("ada")
    recorded = record_reply(world["ada"], FRIDAY, "- first draft", "email", "m1", clock.now)
    entry = recorded.entries[0]
    form = ada.get(f"/entries/{entry.id}/edit").get_data(as_text=True)
    assert 'value="first draft"' in form
    assert post(ada, f"/entries/{entry.id}/edit", {"text": "[ ] final draft #docs"}).status_code == 302
    entry = Entry.get_by_id(entry.id)
    assert (entry.kind, entry.text, entry.tags) == ("goal", "final draft #docs", "docs")
    assert post(ada, f"/entries/{entry.id}/delete").status_code == 302
    assert Entry.select().count() == 0


@pytest.mark.parametrize("text,reason", [
    ("", "needs some text"),
    ("two\nlines", "one line"),
    ("x" * 2001, "at most 2,000"),
])
def test_edit_rejects_bad_input(as_user, world, clock, text, reason):
    ada = as_user("ada")
    entry = record_reply(world["ada"], FRIDAY, "- keep me", "email", "m1", clock.now).entries[0]
    response = post(ada, f"/entries/{entry.id}/edit", {"text": text})
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert Entry.get_by_id(entry.id).text == "keep me"


def test_cannot_touch_someone_elses_entry(as_user, world, clock):
    max_entry = record_reply(world["max"], FRIDAY, "- mine", "email", "m2", clock.now).entries[0]
    ada = as_user("ada")  # same team, still not hers
    assert ada.get(f"/entries/{max_entry.id}/edit").status_code == 404
    assert post(ada, f"/entries/{max_entry.id}/edit", {"text": "hacked"}).status_code == 404
    assert post(ada, f"/entries/{max_entry.id}/delete").status_code == 404
    assert Entry.get_by_id(max_entry.id).text == "mine"


def test_check_off_a_goal_records_it_done_today(as_user, world, clock):
    goal = record_reply(world["ada"], THURSDAY, "[ ] write the upgrade notes", "email", "m3", clock.now).entries[0]
    ada = as_user("ada")
    page = ada.get("/today").get_data(as_text=True)
    assert "Open goals" in page and "write the upgrade notes" in page
    assert post(ada, f"/goals/{goal.id}/done").status_code == 302
    assert Entry.get_by_id(goal.id).completed_at == clock.now
    done = Entry.get(Entry.kind == "done")
    assert (done.text, done.local_date) == ("write the upgrade notes", FRIDAY)
    assert "Open goals" not in ada.get("/today").get_data(as_text=True)
    # Twice is harmless.
    assert post(ada, f"/goals/{goal.id}/done").status_code == 302
    assert Entry.select().where(Entry.kind == "done").count() == 1


def test_only_goals_can_be_checked_off(as_user, world, clock):
    done = record_reply(world["ada"], FRIDAY, "- a done thing", "email", "m4", clock.now).entries[0]
    response = post(as_user("ada"), f"/goals/{done.id}/done")
    assert response.status_code == 400 and "only goals" in response.get_data(as_text=True)


def test_entry_text_is_escaped(as_user, world, clock):
    ada = as_user("ada")
    post(ada, "/entries", {"text": "<script>alert(1)</script>\n[ ] <img src=x onerror=alert(2)>", "ref": ref()})
    page = ada.get("/today").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    entry = Entry.get(Entry.kind == "done")
    edit = ada.get(f"/entries/{entry.id}/edit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in edit


def test_the_page_lists_the_last_seven_days(as_user, world, clock):
    record_reply(world["ada"], FRIDAY - datetime.timedelta(days=6), "- a week ago", "email", "m5", clock.now)
    record_reply(world["ada"], FRIDAY - datetime.timedelta(days=7), "- too old", "email", "m6", clock.now)
    page = as_user("ada").get("/today").get_data(as_text=True)
    assert "a week ago" in page and "too old" not in page
    assert len(re.findall(r'id="day-', page)) == 7
