"""Today: my entries for today and the last few days (add, edit, delete) and my open goals."""
import datetime
import re
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from bot.web.common import current_user, local_today, login_required, my_memberships, now
from core.entries import MAX_ENTRY_CHARS
from core.models import Entry, Membership, Team
from core.replies import EmptyReply, complete_goal, delete_entry, edit_entry, open_goals, record_reply

DAYS_SHOWN = 7
MAX_REPLY_CHARS = 20_000
_REF = re.compile(r"^[0-9a-f]{32}$")


def _my_entry(entry_id):
    entry = (Entry.select(Entry, Membership).join(Membership)
             .where(Entry.id == entry_id, Membership.user == current_user()).first())
    if entry is None:
        abort(404, description="no such entry (or it is not yours)")
    return entry


def make_blueprint(settings):
    blueprint = Blueprint("today", __name__)

    @blueprint.get("/today")
    @login_required
    def today():
        user = current_user()
        memberships = my_memberships(user)
        day = local_today(user)
        since = day - datetime.timedelta(days=DAYS_SHOWN - 1)
        entries = list(
            Entry.select(Entry, Membership, Team).join(Membership).join(Team)
            .where(Membership.user == user, Entry.local_date >= since, Entry.local_date <= day)
            .order_by(Entry.local_date.desc(), Entry.id)
        ) if memberships else []
        by_day = {}
        for entry in entries:
            by_day.setdefault(entry.local_date, []).append(entry)
        days = [day - datetime.timedelta(days=n) for n in range(DAYS_SHOWN)]
        goals = open_goals([m.id for m in memberships])
        teams = {m.id: m.team for m in memberships}
        return render_template("today.html", memberships=memberships, day=day, days=days, by_day=by_day,
                               goals=goals, teams=teams, ref=uuid.uuid4().hex)

    @blueprint.post("/entries")
    @login_required
    def add():
        user = current_user()
        memberships = {m.id: m for m in my_memberships(user)}
        if not memberships:
            abort(400, description="you are not in a team yet")
        try:
            membership = memberships[int(request.form.get("membership") or next(iter(memberships)))]
        except (KeyError, ValueError):
            abort(400, description="pick one of your teams")
        day = local_today(user)
        try:
            when = datetime.date.fromisoformat(request.form.get("date") or day.isoformat())
        except ValueError:
            abort(400, description="date must be a date like 2026-05-04")
        if not day - datetime.timedelta(days=DAYS_SHOWN - 1) <= when <= day:
            abort(400, description=f"entries can be added for today and the {DAYS_SHOWN - 1} days before")
        text = request.form.get("text", "")
        if len(text) > MAX_REPLY_CHARS:
            abort(400, description=f"at most {MAX_REPLY_CHARS:,} characters at once")
        ref = request.form.get("ref", "")
        if not _REF.match(ref):  # the form's own id: submitting it twice records it once
            abort(400, description="the form is missing its id: reload the page and try again")
        try:
            recorded = record_reply(membership, when, text, "web", f"{user.id}:{ref}", now())
        except EmptyReply:
            abort(400, description="write at least one thing you got done")
        flash(f"Recorded {recorded.summary()}.")
        return redirect(url_for("today.today"))

    @blueprint.get("/entries/<int:entry_id>/edit")
    @login_required
    def edit_form(entry_id):
        entry = _my_entry(entry_id)
        prefix = {"goal": "[ ] ", "blocker": "! "}.get(entry.kind, "")
        return render_template("entry_edit.html", entry=entry, text=prefix + entry.text)

    @blueprint.post("/entries/<int:entry_id>/edit")
    @login_required
    def edit(entry_id):
        entry = _my_entry(entry_id)
        text = request.form.get("text", "")
        if len(text) > MAX_ENTRY_CHARS:
            abort(400, description=f"an entry is at most {MAX_ENTRY_CHARS:,} characters")
        try:
            edit_entry(entry, text, now())
        except EmptyReply:
            abort(400, description="an entry needs some text (or delete it)")
        except ValueError:
            abort(400, description="an entry is one line of text; add more as new entries")
        flash("Entry saved.")
        return redirect(url_for("today.today"))

    @blueprint.post("/entries/<int:entry_id>/delete")
    @login_required
    def delete(entry_id):
        delete_entry(_my_entry(entry_id))
        flash("Entry deleted.")
        return redirect(url_for("today.today"))

    @blueprint.post("/goals/<int:entry_id>/done")
    @login_required
    def check_off(entry_id):
        goal = _my_entry(entry_id)
        if goal.kind != "goal":
            abort(400, description="only goals can be checked off")
        done = complete_goal(goal, local_today(current_user()), "web", now())
        flash("Goal done: recorded for today." if done else "That goal was already done.")
        return redirect(url_for("today.today"))

    return blueprint
