"""The team's digest archive: any day's digest, a month calendar of who posted, and a
30-day participation chart drawn as SVG on the server."""
import calendar
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request, url_for

from bot.web.common import current_user, local_today, login_required, membership_in, my_memberships, parse_date
from core.activity import posting_days
from core.digest import build_digest
from core.models import Membership, User

CHART_DAYS = 30
ONE_DAY = datetime.timedelta(days=1)


@dataclass
class Bar:
    day: datetime.date
    posted: int
    x: float
    height: float


def _chart(days, members, end, width=600, height=120):
    """Bars of how many members posted on each of the CHART_DAYS days up to `end`."""
    start = end - (CHART_DAYS - 1) * ONE_DAY
    counts = {}
    for dates in days.values():
        for day in dates:
            if start <= day <= end:
                counts[day] = counts.get(day, 0) + 1
    step = width / CHART_DAYS
    top = max(members, 1)
    return [Bar(start + n * ONE_DAY, counts.get(start + n * ONE_DAY, 0), round(n * step, 1),
                round(height * counts.get(start + n * ONE_DAY, 0) / top, 1)) for n in range(CHART_DAYS)]


def _month(day):
    """Weeks of the month of `day`, Monday first; None outside the month."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)
    return [[d if d.month == day.month else None for d in week] for week in weeks]


def _initials(name):
    parts = name.split()
    return "".join(p[0] for p in parts[:2]).upper() if parts else "?"


def make_blueprint(settings):
    blueprint = Blueprint("archive", __name__)

    @blueprint.get("/teams")
    @login_required
    def teams():
        return render_template("teams.html", memberships=my_memberships(current_user()))

    @blueprint.get("/teams/<slug>")
    @login_required
    def team_home(slug):
        membership_in(slug)
        return redirect(url_for("archive.digest", slug=slug))

    @blueprint.get("/teams/<slug>/digest")
    @blueprint.get("/teams/<slug>/digest/<day>")
    @login_required
    def digest(slug, day=None):
        membership = membership_in(slug)
        team = membership.team
        if day is None and request.args.get("date"):  # the date picker's GET form
            return redirect(url_for("archive.digest", slug=slug, day=parse_date(request.args["date"]).isoformat()))
        day = parse_date(day) if day else local_today(current_user())
        members = list(Membership.select(Membership, User).join(User).where(Membership.team == team)
                       .order_by(User.name, User.email))
        person = request.args.get("person", "")
        if person and not (person.isdigit() and int(person) in {m.id for m in members}):
            abort(400, description="person must be a member of this team")
        tag = request.args.get("tag", "").strip().lstrip("#").lower()
        if len(tag) > 100:
            abort(400, description="a tag is at most 100 characters")

        result = build_digest(team, day, day, day)
        people = result.people
        if person:
            people = [p for p in people if p.membership_id == int(person)]
        if tag:
            for p in people:
                p.done, p.goals, p.blockers = ([e for e in group if tag in e.tag_list]
                                               for group in (p.done, p.goals, p.blockers))
            people = [p for p in people if p.done or p.goals or p.blockers]

        weeks = _month(day)
        month_start = day.replace(day=1)
        month_end = month_start.replace(day=calendar.monthrange(day.year, day.month)[1])
        chart_start = day - (CHART_DAYS - 1) * ONE_DAY
        days = posting_days(team, min(month_start, chart_start), max(month_end, day))
        shown = [m for m in members if not person or m.id == int(person)]
        posted_on = {}
        for m in shown:
            for d in days.get(m.id, ()):
                posted_on.setdefault(d, []).append(m)
        prev_month = month_start - ONE_DAY
        next_month = month_end + ONE_DAY
        participation = [(m, sum(1 for d in days.get(m.id, ()) if chart_start <= d <= day)) for m in members]
        filters = {k: v for k, v in (("person", person), ("tag", tag)) if v}
        return render_template(
            "digest.html", filters=("?" + urlencode(filters)) if filters else "", day_iso=day.isoformat(), team=team, membership=membership, digest=result, people=people, day=day,
            prev_day=day - ONE_DAY, next_day=day + ONE_DAY, members=members, person=person, tag=tag,
            weeks=weeks, posted_on=posted_on, initials=_initials, prev_month=prev_month.replace(day=1),
            next_month=next_month, bars=_chart({m.id: days.get(m.id, set()) for m in shown}, len(shown), day),
            chart_days=CHART_DAYS, member_count=len(shown), participation=participation,
            memberships=my_memberships(current_user()),
        )

    return blueprint
