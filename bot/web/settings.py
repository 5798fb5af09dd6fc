"""Settings: my time zone and name, and per team my prompt and digest times, workdays,
vacation pause, channel and receipts; my email status; a preview of my next prompts.
Every change recomputes the schedule (refresh_schedule), so the next tick sees it."""
import datetime
from functools import lru_cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from bot.web.common import current_user, form_text, local_today, login_required, membership_in, my_memberships, now
from core import channels
from core.db import db
from core.dispatch import refresh_schedule, rule_for
from core.email_status import set_email_status
from core.models import Membership
from core.schedule import ScheduleError, parse_hhmm, upcoming, zone
from core.schedule import all_zones as _all_zones

PREVIEW_COUNT = 5
WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


@lru_cache(maxsize=1)
def all_zones():
    return [z for z in _all_zones() if "/" in z or z == "UTC"]  # drop legacy names like "EST5EDT"


def preview(membership, user, instant):
    """The next prompt times of `membership`, as local datetimes in the user's zone."""
    tzinfo = zone(user.tz)
    times = upcoming(rule_for(membership, user, "prompt"), instant, PREVIEW_COUNT)
    return [t.replace(tzinfo=datetime.timezone.utc).astimezone(tzinfo) for t in times]


def channel_choices():
    return ["email"] + (["slack"] if "slack" in channels.available() else [])


def make_blueprint(settings):
    blueprint = Blueprint("settings", __name__)

    @blueprint.get("/settings")
    @login_required
    def show():
        user = current_user()
        instant = now()
        memberships = my_memberships(user)
        previews = {m.id: preview(m, user, instant) for m in memberships}
        return render_template("settings.html", user=user, memberships=memberships, previews=previews,
                               zones=all_zones(), weekdays=WEEKDAYS, channels=channel_choices(),
                               today=local_today(user), utc=datetime.timezone.utc)

    @blueprint.post("/settings/profile")
    @login_required
    def profile():
        user = current_user()
        name = form_text("name", required=False)
        tz = form_text("tz", max_length=64)
        try:
            zone(tz)
        except ScheduleError:
            abort(400, description=f"unknown time zone {tz!r}: pick one from the list, e.g. Europe/Berlin")
        with db.atomic():
            user.name, user.tz = name, tz
            user.save()
            for membership in Membership.select().where(Membership.user == user):
                membership.user = user
                refresh_schedule(membership, now())
        flash("Saved. Your prompts follow your new time zone.")
        return redirect(url_for("settings.show"))

    @blueprint.post("/settings/teams/<slug>")
    @login_required
    def team(slug):
        membership = membership_in(slug)
        form = request.form
        try:
            prompt_at = parse_hhmm(form.get("prompt_at", "")).strftime("%H:%M")
            digest_at = parse_hhmm(form.get("digest_at", "")).strftime("%H:%M")
        except ScheduleError as error:
            abort(400, description=str(error))
        days = form.getlist("workdays")
        if not days or any(d not in {str(n) for n, _ in WEEKDAYS} for d in days):
            abort(400, description="pick at least one workday")
        paused = form.get("paused_until", "").strip()
        paused_until = None
        if paused:
            try:
                paused_until = datetime.date.fromisoformat(paused)
            except ValueError:
                abort(400, description="pause until must be a date like 2026-08-31 (or empty)")
            if not local_today(current_user()) <= paused_until <= datetime.date(2099, 12, 31):
                abort(400, description="pause until must be today or later, before 2100 (or empty)")
        channel = form.get("preferred_channel", "email")
        if channel not in channel_choices():
            abort(400, description=f"preferred channel must be one of {', '.join(channel_choices())}")
        membership.prompt_at, membership.digest_at = prompt_at, digest_at
        membership.workdays = "".join(sorted(set(days)))
        membership.paused_until = paused_until
        membership.preferred_channel = channel
        membership.receipts = form.get("receipts") == "on"
        membership.user = current_user()
        refresh_schedule(membership, now())
        flash(f"Saved your schedule for {membership.team.name}.")
        return redirect(url_for("settings.show") + f"#team-{membership.team.slug}")

    @blueprint.post("/settings/resubscribe")
    @login_required
    def resubscribe():
        user = current_user()
        if user.email_status == "active":
            abort(400, description="email to you is not stopped")
        # Signing in by an emailed link showed that mail reaches this address again.
        set_email_status(user, "active")
        flash(f"donebot will email {user.email} again.")
        return redirect(url_for("settings.show"))

    return blueprint
