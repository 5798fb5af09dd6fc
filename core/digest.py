"""What a team got done in a period: the data every channel renders as a digest."""
import datetime
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from core.db import fetch_tuples, id_set
from core.models import Entry, Membership, Team, User
from core.schedule import parse_workdays, previous_workday

MAX_PERIOD_DAYS = 7


@dataclass
class PersonDigest:
    membership_id: int
    name: str
    email: str
    done: list = field(default_factory=list)
    goals: list = field(default_factory=list)
    blockers: list = field(default_factory=list)


@dataclass
class OpenGoal:
    name: str
    text: str
    since: datetime.date


@dataclass
class Digest:
    team_name: str
    team_slug: str
    date: datetime.date  # the day the digest is for (sent that morning)
    start: datetime.date  # first local date covered
    end: datetime.date  # last local date covered
    people: list = field(default_factory=list)  # PersonDigest, only those who posted
    missing: list = field(default_factory=list)  # names of members who did not post
    open_goals: list = field(default_factory=list)  # goals set before the period and still open
    blockers: list = field(default_factory=list)  # (name, text)

    @property
    def entry_count(self):
        return sum(len(p.done) + len(p.goals) + len(p.blockers) for p in self.people)

    @property
    def is_empty(self):
        return not self.people

    @property
    def period_label(self):
        if self.start == self.end:
            return self.start.strftime("%A, %B %-d")
        return f"{self.start.strftime('%A, %B %-d')} – {self.end.strftime('%A, %B %-d')}"


@lru_cache(maxsize=4096)  # asked once per recipient in a fan-out; a pure function of its arguments
def morning_period(day, workdays="12345"):
    """The local dates a digest sent on the morning of `day` covers: since the previous
    digest (the previous workday), up to yesterday. Monday's digest covers Friday to Sunday."""
    start = max(previous_workday(day, workdays, MAX_PERIOD_DAYS), day - datetime.timedelta(days=MAX_PERIOD_DAYS))
    return start, day - datetime.timedelta(days=1)


def build_digest(team, day, start, end):
    """The digest of `team` for local dates start..end inclusive (dated `day`)."""
    team_id = team if isinstance(team, int) else team.id
    return build_digests([team_id], day, start, end)[team_id]


class DigestEntry(NamedTuple):
    """One entry as a digest shows it: read as a plain row (model instances cost more than the
    rest of assembling a digest)."""

    id: int
    membership_id: int
    local_date: datetime.date
    kind: str
    text: str
    tags: str

    @property
    def tag_list(self):
        return self.tags.split() if self.tags else []


class _Member(NamedTuple):
    id: int
    team_id: int
    workdays: str
    paused_until: datetime.date | None
    name: str
    email: str

    @property
    def display_name(self):
        return self.name or self.email.split("@", 1)[0]


_ENTRY_FIELDS = [Entry.id, Entry.membership, Entry.local_date, Entry.kind, Entry.text, Entry.tags]


def build_digests(team_ids, day, start, end):
    """Digests of many teams for one period, in five queries whatever their number
    (teams, members, their users, entries, carried-over goals): the morning fan-out builds hundreds at once."""
    team_ids = list(dict.fromkeys(team_ids))
    teams = {t.id: t for t in Team.select(Team.id, Team.name, Team.slug).where(Team.id.in_(id_set(team_ids)))}
    digests = {tid: Digest(t.name, t.slug, day, start, end) for tid, t in teams.items()}
    # Members, then their users by id: joined in one query, PostgreSQL chose to hash the whole
    # user table for every batch of teams.
    member_fields = [Membership.id, Membership.team, Membership.workdays, Membership.paused_until, Membership.user]
    rows = fetch_tuples(Membership.select(*member_fields).where(Membership.team.in_(id_set(list(teams)))),
                        member_fields)
    users = {}  # id -> (name, email), in the database's name order (its collation, as before)
    if rows:
        users = {uid: (name, email) for uid, name, email in
                 User.select(User.id, User.name, User.email).where(User.id.in_(id_set({row[4] for row in rows})))
                 .order_by(User.name, User.email).tuples()}
    rank = {uid: i for i, uid in enumerate(users)}
    members = [_Member(*row[:4], *users[row[4]])
               for row in sorted((r for r in rows if r[4] in users), key=lambda r: rank[r[4]])]
    by_id = {m.id: m for m in members}
    people = {}
    if members:
        entries = fetch_tuples(
            Entry.select(*_ENTRY_FIELDS)
            .where(Entry.membership.in_(id_set(by_id)), Entry.local_date >= start, Entry.local_date <= end)
            .order_by(Entry.local_date, Entry.id),
            _ENTRY_FIELDS, DigestEntry)
        for entry in entries:
            member = by_id[entry.membership_id]
            person = people.get(member.id)
            if person is None:
                person = people[member.id] = PersonDigest(member.id, member.display_name, member.email)
            {"done": person.done, "goal": person.goals, "blocker": person.blockers}[entry.kind].append(entry)
            if entry.kind == "blocker":
                digests[member.team_id].blockers.append((member.display_name, entry.text))
        goal_fields = [Entry.membership, Entry.text, Entry.local_date]
        goals = fetch_tuples(
            Entry.select(*goal_fields)
            .where(Entry.membership.in_(id_set(by_id)), Entry.kind == "goal", Entry.completed_at.is_null(),
                   Entry.local_date < start)
            .order_by(Entry.local_date, Entry.id),
            goal_fields)
        for membership_id, text, since in goals:
            member = by_id[membership_id]
            digests[member.team_id].open_goals.append(OpenGoal(member.display_name, text, since))
    for member in members:  # in name order
        digest = digests[member.team_id]
        if member.id in people:
            digest.people.append(people[member.id])
        elif _expected(member, start, end):
            digest.missing.append(member.display_name)
    return digests


def _expected(member, start, end):
    """Was this member asked on some day of the period (a workday, not paused)?"""
    workdays = parse_workdays(member.workdays)
    day = start
    while day <= end:
        paused = member.paused_until is not None and day <= member.paused_until
        if day.isoweekday() in workdays and not paused:
            return True
        day += datetime.timedelta(days=1)
    return False


def morning_digest(team, day, workdays="12345"):
    start, end = morning_period(day, workdays)
    return build_digest(team, day, start, end)
