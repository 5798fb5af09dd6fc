"""What a team got done in a period: the data every channel renders as a digest."""
import datetime
from dataclasses import dataclass, field

from core.db import id_set
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


def morning_period(day, workdays="12345"):
    """The local dates a digest sent on the morning of `day` covers: since the previous
    digest (the previous workday), up to yesterday. Monday's digest covers Friday to Sunday."""
    start = max(previous_workday(day, workdays, MAX_PERIOD_DAYS), day - datetime.timedelta(days=MAX_PERIOD_DAYS))
    return start, day - datetime.timedelta(days=1)


def build_digest(team, day, start, end):
    """The digest of `team` for local dates start..end inclusive (dated `day`)."""
    team_id = team if isinstance(team, int) else team.id
    return build_digests([team_id], day, start, end)[team_id]


def build_digests(team_ids, day, start, end):
    """Digests of many teams for one period, in three queries whatever their number
    (members, entries, carried-over goals): the morning fan-out builds hundreds at once."""
    team_ids = list(dict.fromkeys(team_ids))
    teams = {t.id: t for t in Team.select().where(Team.id.in_(id_set(team_ids)))}
    digests = {tid: Digest(t.name, t.slug, day, start, end) for tid, t in teams.items()}
    members = list(
        Membership.select(Membership, User)
        .join(User)
        .where(Membership.team.in_(id_set(list(teams))))
        .order_by(User.name, User.email)
    )
    by_id = {m.id: m for m in members}
    people = {}
    if members:
        entries = (
            Entry.select()
            .where(Entry.membership.in_(id_set(by_id)), Entry.local_date >= start, Entry.local_date <= end)
            .order_by(Entry.local_date, Entry.id)
        )
        for entry in entries:
            member = by_id[entry.membership_id]
            person = people.get(member.id)
            if person is None:
                person = people[member.id] = PersonDigest(member.id, member.user.display_name, member.user.email)
            {"done": person.done, "goal": person.goals, "blocker": person.blockers}[entry.kind].append(entry)
            if entry.kind == "blocker":
                digests[member.team_id].blockers.append((member.user.display_name, entry.text))
        goals = (
            Entry.select()
            .where(Entry.membership.in_(id_set(by_id)), Entry.kind == "goal", Entry.completed_at.is_null(),
                   Entry.local_date < start)
            .order_by(Entry.local_date, Entry.id)
        )
        for goal in goals:
            member = by_id[goal.membership_id]
            digests[member.team_id].open_goals.append(OpenGoal(member.user.display_name, goal.text, goal.local_date))
    for member in members:  # in name order
        digest = digests[member.team_id]
        if member.id in people:
            digest.people.append(people[member.id])
        elif _expected(member, start, end):
            digest.missing.append(member.user.display_name)
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
