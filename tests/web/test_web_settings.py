"""Settings: time zone, schedule, workdays, pause, channel, receipts, email status, preview."""
import datetime
import re

import pytest

from core.models import Membership, User
from tests.web.conftest import FRIDAY, post


def schedule(**changes):
    form = {"prompt_at": "17:00", "digest_at": "09:00", "workdays": ["1", "2", "3", "4", "5"],
            "preferred_channel": "email", "paused_until": ""}
    form.update(changes)
    return form


def preview(page, slug="alpha"):
    card = page.split(f'id="team-{slug}"', 1)[1].split('class="card"', 1)[0]
    return re.findall(r"<li>([^<]+)<span", card.split('class="preview"', 1)[1])


def test_settings_page_shows_a_preview_of_five_prompts(as_user, world):
    page = as_user("ada").get("/settings").get_data(as_text=True)
    times = preview(page)
    assert len(times) == 5 and all(t.endswith("17:00") for t in times)
    assert times[0] == FRIDAY.strftime("%a %b %-d, 17:00")
    assert '<option value="Europe/Berlin">' in page  # the searchable list of zones


def test_changing_the_time_zone_moves_the_schedule(as_user, world, clock):
    ada = as_user("ada")
    before = Membership.get_by_id(world["ada"].id).next_prompt_at
    response = post(ada, "/settings/profile", {"name": "Ada L.", "tz": "Asia/Kathmandu"})
    assert response.status_code == 302
    user = User.get_by_id(world["ada"].user_id)
    assert (user.name, user.tz) == ("Ada L.", "Asia/Kathmandu")
    after = Membership.get_by_id(world["ada"].id).next_prompt_at
    assert after != before and (after.hour, after.minute) == (11, 15)  # 17:00 at +05:45
    page = ada.get("/settings").get_data(as_text=True)
    assert preview(page)[0].endswith("17:00") and "(Asia/Kathmandu)" in page


def test_team_schedule(as_user, world, clock):
    ada = as_user("ada")
    pause = (FRIDAY + datetime.timedelta(days=10)).isoformat()
    response = post(ada, "/settings/teams/alpha", schedule(prompt_at="8:30", digest_at="07:15", workdays=["2", "4"],
                                                           paused_until=pause, receipts="on"))
    assert response.status_code == 302
    m = Membership.get_by_id(world["ada"].id)
    assert (m.prompt_at, m.digest_at, m.workdays, m.paused_until.isoformat(), m.receipts) == \
        ("08:30", "07:15", "24", pause, True)
    assert m.next_prompt_at.date() > FRIDAY + datetime.timedelta(days=10)
    times = preview(ada.get("/settings").get_data(as_text=True))
    assert times and all(t.startswith(("Tue", "Thu")) and t.endswith("08:30") for t in times)


@pytest.mark.parametrize("changes,reason", [
    ({"prompt_at": "25:00"}, "malformed time"),
    ({"digest_at": "soon"}, "malformed time"),
    ({"workdays": []}, "at least one workday"),
    ({"workdays": ["8"]}, "at least one workday"),
    ({"paused_until": "next week"}, "pause until must be a date"),
    ({"paused_until": "2001-01-01"}, "today or later"),
    ({"preferred_channel": "carrier-pigeon"}, "preferred channel must be one of"),
])
def test_team_schedule_rejects_bad_input(as_user, world, changes, reason):
    ada = as_user("ada")
    before = Membership.get_by_id(world["ada"].id)
    response = post(ada, "/settings/teams/alpha", schedule(**changes))
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    after = Membership.get_by_id(world["ada"].id)
    assert (after.prompt_at, after.workdays, after.next_prompt_at) == \
        (before.prompt_at, before.workdays, before.next_prompt_at)


@pytest.mark.parametrize("form,reason", [
    ({"tz": "Mars/Olympus"}, "unknown time zone"),
    ({"tz": "../../etc/passwd"}, "unknown time zone"),
    ({"tz": ""}, "tz is required"),
    ({"tz": "UTC", "name": "x" * 201}, "at most 200"),
])
def test_profile_rejects_bad_input(as_user, world, form, reason):
    ada = as_user("ada")
    response = post(ada, "/settings/profile", form)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert User.get_by_id(world["ada"].user_id).tz == "Europe/London"


def test_schedule_of_a_team_i_am_not_in_is_404(as_user, world):
    assert post(as_user("ada"), "/settings/teams/beta", schedule()).status_code == 404


def test_resubscribe(as_user, world):
    ada = as_user("ada")
    User.update(email_status="unsubscribed").where(User.id == world["ada"].user_id).execute()
    page = ada.get("/settings").get_data(as_text=True)
    assert "not receiving email" in page and "unsubscribed" in page
    assert post(ada, "/settings/resubscribe").status_code == 302
    assert User.get_by_id(world["ada"].user_id).email_status == "active"
    response = post(ada, "/settings/resubscribe")
    assert response.status_code == 400 and "not stopped" in response.get_data(as_text=True)


def test_name_is_escaped(as_user, world):
    ada = as_user("ada")
    post(ada, "/settings/profile", {"name": "<script>alert(1)</script>", "tz": "UTC"})
    page = ada.get("/settings").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
