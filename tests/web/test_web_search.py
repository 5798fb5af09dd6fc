"""Search across my teams: words (full-text, stemmed, prefixes), #tag, @person, dates."""
import datetime

import pytest

from core.replies import edit_entry, record_reply
from core.models import Entry
from tests.web.conftest import FRIDAY

MONDAY = FRIDAY - datetime.timedelta(days=4)


@pytest.fixture
def posted(world, clock):
    record_reply(world["ada"], MONDAY, "- shipped the migration guide #docs\n- fixed the deploy script #infra",
                 "email", "a1", clock.now)
    record_reply(world["max"], FRIDAY, "- reviewed the migrations with @ada #infra\n- <b>bold</b> move",
                 "email", "m1", clock.now)
    record_reply(world["olga"], FRIDAY, "- migration of the beta secrets", "email", "o1", clock.now)
    return world


def texts(client, **params):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    return {t for t in ("migration guide", "deploy script", "reviewed the migrations", "beta secrets", "bold")
            if t in page}, page


def test_words_are_stemmed_and_prefixed(as_user, posted):
    found, _ = texts(as_user("ada"), q="migration")
    assert found == {"migration guide", "reviewed the migrations"}  # not Beta's
    assert texts(as_user("ada"), q="migra")[0] == {"migration guide", "reviewed the migrations"}
    assert texts(as_user("ada"), q="ship")[0] == {"migration guide"}  # "shipped"
    assert texts(as_user("ada"), q="migration guide")[0] == {"migration guide"}  # every word


def test_tags_people_and_dates(as_user, posted):
    ada = as_user("ada")
    assert texts(ada, q="#infra")[0] == {"deploy script", "reviewed the migrations"}
    assert texts(ada, q="@max")[0] == {"reviewed the migrations", "bold"}  # written by Max
    assert texts(ada, q="@ada")[0] == {"migration guide", "deploy script", "reviewed the migrations"}  # or mentioning
    assert texts(ada, q="#infra", **{"from": FRIDAY.isoformat()})[0] == {"reviewed the migrations"}
    assert texts(ada, q="", to=MONDAY.isoformat())[0] == {"migration guide", "deploy script"}
    assert texts(ada, q="migration #docs @ada")[0] == {"migration guide"}


def test_other_teams_are_not_searched(as_user, posted):
    assert texts(as_user("olga"), q="migration")[0] == {"beta secrets"}
    response = as_user("olga").get("/search", query_string={"q": "x", "team": "alpha"})
    assert response.status_code == 400


def test_query_syntax_is_never_an_error(as_user, posted):
    ada = as_user("ada")
    for q in ['"', "AND OR NOT", "migra*", "(", "NEAR(a b)", "' OR 1=1 --", "#", "@", "ü", "::*&|!", "_", "__ migration", "the"]:
        assert ada.get("/search", query_string={"q": q}).status_code == 200, q


def test_results_are_escaped(as_user, posted):
    found, page = texts(as_user("ada"), q="bold")
    assert found == {"bold"} and "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page


def test_the_index_follows_edits_and_deletes(as_user, posted, clock):
    entry = Entry.get(Entry.text.contains("deploy script"))
    edit_entry(entry, "- rewrote the rollout tool", clock.now)
    ada = as_user("ada")
    assert texts(ada, q="deploy")[0] == set()
    assert "rewrote the rollout tool" in ada.get("/search", query_string={"q": "rollout"}).get_data(as_text=True)
    entry.delete_instance()
    assert "rewrote" not in ada.get("/search", query_string={"q": "rollout"}).get_data(as_text=True)


@pytest.mark.parametrize("params,reason", [
    ({"q": "x" * 301}, "at most 300"),
    ({"q": "x", "from": "last week"}, "from must be a date"),
    ({"q": "x", "to": "2026-02-30"}, "to must be a date"),
    ({"q": "x", "from": "2026-05-02", "to": "2026-05-01"}, "on or before"),
])
def test_bad_search_input_is_400(as_user, posted, params, reason):
    response = as_user("ada").get("/search", query_string=params)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
