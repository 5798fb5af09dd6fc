"""The digest: its period, grouping, open goals, blockers, who did not post."""
import datetime

import pytest

from core.digest import build_digest, morning_digest, morning_period
from core.replies import EmptyReply, record_reply
from core.teams import add_member, create_team

D = datetime.date
NOW = datetime.datetime(2026, 12, 1, 12, 0)


def test_monday_covers_friday_to_sunday_and_tuesday_covers_monday():
    assert morning_period(D(2026, 12, 7)) == (D(2026, 12, 4), D(2026, 12, 6))
    assert morning_period(D(2026, 12, 8)) == (D(2026, 12, 7), D(2026, 12, 7))


def test_period_is_capped_at_seven_days():
    assert morning_period(D(2026, 12, 7), workdays="1") == (D(2026, 11, 30), D(2026, 12, 6))


@pytest.fixture
def team(runtime):
    team = create_team("Digest team", slug="dg")
    ada = add_member(team, "ada@example.com", NOW, name="Ada")
    bob = add_member(team, "bob@example.com", NOW, name="Bob")
    add_member(team, "cy@example.com", NOW, name="Cy")
    away = add_member(team, "away@example.com", NOW, name="Away")
    away.paused_until = D(2026, 12, 31)
    away.save()
    record_reply(ada, D(2026, 12, 2), "[ ] old goal", "web", "r0", NOW)  # before the period
    record_reply(ada, D(2026, 12, 4), "- shipped it #launch\n[ ] new goal\n! stuck on @bob", "email", "r1", NOW)
    record_reply(bob, D(2026, 12, 5), "weekend fix", "slack", "r2", NOW)
    record_reply(bob, D(2026, 12, 7), "not in Monday's digest", "slack", "r3", NOW)
    return team


def test_monday_digest(team):
    digest = morning_digest(team, D(2026, 12, 7))
    assert (digest.start, digest.end) == (D(2026, 12, 4), D(2026, 12, 6))
    by_name = {p.name: p for p in digest.people}
    assert list(by_name) == ["Ada", "Bob"]
    assert [e.text for e in by_name["Ada"].done] == ["shipped it #launch"]
    assert [e.text for e in by_name["Ada"].goals] == ["new goal"]
    assert [e.text for e in by_name["Ada"].blockers] == ["stuck on @bob"]
    assert [e.text for e in by_name["Bob"].done] == ["weekend fix"]
    assert digest.blockers == [("Ada", "stuck on @bob")]
    assert [(g.name, g.text) for g in digest.open_goals] == [("Ada", "old goal")]  # not "new goal" twice
    assert digest.missing == ["Cy"]  # Away is paused
    assert digest.entry_count == 4 and not digest.is_empty


def test_closing_a_goal_removes_it_from_open_goals(team):
    from core.models import Membership

    ada = Membership.get(Membership.user == 1)
    result = record_reply(ada, D(2026, 12, 7), "[x] old goal", "email", "r4", NOW)
    assert [g.text for g in result.closed_goals] == ["old goal"]
    assert [g.text for g in morning_digest(team, D(2026, 12, 8)).open_goals] == ["new goal"]


def test_record_reply_is_idempotent_and_rejects_empty(team):
    from core.models import Entry, Membership

    ada = Membership.get(Membership.user == 1)
    before = Entry.select().count()
    again = record_reply(ada, D(2026, 12, 4), "- something else", "email", "r1", NOW)
    assert again.created is False and Entry.select().count() == before
    with pytest.raises(EmptyReply):
        record_reply(ada, D(2026, 12, 4), "\n  \n", "email", "r9", NOW)
    assert Entry.select().count() == before


def test_empty_team_digest(runtime):
    team = create_team("Nobody", slug="nobody")
    digest = build_digest(team, D(2026, 12, 7), D(2026, 12, 4), D(2026, 12, 6))
    assert digest.is_empty and digest.missing == []


def test_many_teams_at_once_match_one_at_a_time(team):
    from core.digest import build_digests

    other = create_team("Other", slug="other")
    olga = add_member(other, "olga@example.com", NOW, name="Olga")
    record_reply(olga, D(2026, 12, 5), "- other team's work", "email", "o1", NOW)
    together = build_digests([team.id, other.id], D(2026, 12, 7), D(2026, 12, 4), D(2026, 12, 6))
    for each in (team, other):
        alone = build_digest(each, D(2026, 12, 7), D(2026, 12, 4), D(2026, 12, 6))
        mine = together[each.id]
        assert [(p.name, [e.text for e in p.done]) for p in mine.people] == \
            [(p.name, [e.text for e in p.done]) for p in alone.people]
        assert (mine.missing, mine.blockers, [g.text for g in mine.open_goals]) == \
            (alone.missing, alone.blockers, [g.text for g in alone.open_goals])
    assert [p.name for p in together[other.id].people] == ["Olga"]
