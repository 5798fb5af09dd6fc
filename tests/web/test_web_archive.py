"""The digest archive: any day, previous/next, person and #tag filters, calendar, SVG chart."""
import datetime
import re

import pytest

from core.replies import record_reply
from tests.web.conftest import FRIDAY

THURSDAY = FRIDAY - datetime.timedelta(days=1)


@pytest.fixture
def posted(world, clock):
    record_reply(world["ada"], THURSDAY, "- shipped the importer #backend\n! waiting on keys", "email", "a1", clock.now)
    record_reply(world["max"], THURSDAY, "- wrote the <script>alert(1)</script> guide #docs", "email", "m1", clock.now)
    record_reply(world["max"], FRIDAY - datetime.timedelta(days=3), "- older work", "email", "m2", clock.now)
    record_reply(world["olga"], THURSDAY, "- beta secret", "email", "o1", clock.now)
    return world


def test_yesterdays_digest(as_user, posted):
    page = as_user("ada").get(f"/teams/alpha/digest/{THURSDAY.isoformat()}").get_data(as_text=True)
    assert "shipped the importer" in page and "waiting on keys" in page and "guide" in page
    assert "beta secret" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)</script>" not in page
    assert f"/teams/alpha/digest/{(THURSDAY - datetime.timedelta(days=1)).isoformat()}" in page  # previous
    assert f"/teams/alpha/digest/{FRIDAY.isoformat()}" in page  # next


def test_default_is_today_in_my_zone(as_user, posted):
    page = as_user("ada").get("/teams/alpha/digest").get_data(as_text=True)
    assert FRIDAY.strftime("%A, %B %-d, %Y") in page and "Nobody posted on this day" in page


def test_date_picker_redirects(as_user, posted):
    response = as_user("ada").get(f"/teams/alpha/digest?date={THURSDAY.isoformat()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(THURSDAY.isoformat())


def test_filter_by_person(as_user, posted):
    max_id = posted["max"].id
    page = as_user("ada").get(f"/teams/alpha/digest/{THURSDAY.isoformat()}?person={max_id}").get_data(as_text=True)
    assert "guide" in page and "shipped the importer" not in page


def test_filter_by_tag(as_user, posted):
    page = as_user("ada").get(f"/teams/alpha/digest/{THURSDAY.isoformat()}?tag=%23backend").get_data(as_text=True)
    assert "shipped the importer" in page and "guide" not in page and "waiting on keys" not in page


@pytest.mark.parametrize("path,reason", [
    ("/teams/alpha/digest/2026-13-01", "must be a date"),
    ("/teams/alpha/digest/yesterday", "must be a date"),
    ("/teams/alpha/digest/1999-01-01", "between 2000 and 2099"),
    ("/teams/alpha/digest?date=nope", "must be a date"),
    ("/teams/alpha/digest/2026-01-01?person=abc", "person must be a member"),
    ("/teams/alpha/digest/2026-01-01?person=999999", "person must be a member"),
    ("/teams/alpha/digest/2026-01-01?tag=" + "x" * 101, "at most 100"),
])
def test_bad_archive_input_is_400(as_user, posted, path, reason):
    response = as_user("ada").get(path)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)


def test_filtering_by_someone_of_another_team_is_refused(as_user, posted):
    response = as_user("ada").get(f"/teams/alpha/digest/{THURSDAY.isoformat()}?person={posted['olga'].id}")
    assert response.status_code == 400


def test_calendar_marks_who_posted(as_user, posted):
    page = as_user("ada").get(f"/teams/alpha/digest/{THURSDAY.isoformat()}").get_data(as_text=True)
    calendar = page.split('id="calendar"', 1)[1].split('id="participation"', 1)[0]
    marked = re.findall(r'class="posted[^"]*" title="([^"]+)"', calendar)
    assert "Ada Lovelace, Max Planck" in marked
    assert "Olga" not in calendar


def test_participation_chart_is_svg_for_30_days(as_user, posted):
    page = as_user("ada").get(f"/teams/alpha/digest/{FRIDAY.isoformat()}").get_data(as_text=True)
    chart = page.split('id="participation"', 1)[1]
    assert "<svg" in chart and len(re.findall(r"<rect ", chart)) == 30
    assert f"{THURSDAY.strftime('%a %b %-d')}: 2 of 2" in chart
    assert "Max Planck</td><td>2 of 30" in chart


def test_teams_page_lists_only_my_teams(as_user, posted):
    page = as_user("ada").get("/teams").get_data(as_text=True)
    assert "Alpha" in page and "Beta" not in page
    assert as_user("ada").get("/teams/alpha").status_code == 302
