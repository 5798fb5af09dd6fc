"""What every page shares: the clock, who is signed in, and the membership checks.

Strangers are sent to sign in; a team you are not in answers 404 (its existence is not
yours to know); an admin page answers 403 to a member who is not an admin.
"""
import datetime
import functools
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for

from core.models import Membership, Team, User, utcnow
from core.schedule import local_date_of


def now():
    """Naive UTC now. Tests inject a clock as app.config["DONEBOT_CLOCK"]."""
    return current_app.config.get("DONEBOT_CLOCK", utcnow)()


def current_user():
    if "user" not in g:
        user_id = session.get("user_id")
        g.user = User.get_or_none(User.id == user_id) if isinstance(user_id, int) else None
    return g.user


def local_today(user):
    return local_date_of(now(), user.tz)


def safe_next(path):
    """Only a path on this site: never //evil.example or https://evil.example."""
    path = path or "/"
    parts = urlsplit(path)
    if not path.startswith("/") or path.startswith("//") or "\\" in path or parts.scheme or parts.netloc:
        return "/"
    return path[:500]


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            if request.method == "GET":
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            abort(401, description="sign in first")
        return view(*args, **kwargs)

    return wrapped


def my_memberships(user):
    return list(Membership.select(Membership, Team).join(Team)
                .where(Membership.user == user).order_by(Team.name))


def membership_in(slug):
    """The signed-in user's membership of team `slug`, or 404."""
    membership = (Membership.select(Membership, Team).join(Team)
                  .where(Team.slug == slug, Membership.user == current_user()).first())
    if membership is None:
        abort(404, description="no such team (or you are not in it)")
    return membership


def admin_of(slug):
    membership = membership_in(slug)
    if membership.role != "admin":
        abort(403, description="only the team's admins can do that")
    return membership


def parse_date(text, field="date"):
    try:
        day = datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        abort(400, description=f"{field} must be a date like 2026-05-04")
    if not datetime.date(2000, 1, 1) <= day <= datetime.date(2099, 12, 31):
        abort(400, description=f"{field} must be between 2000 and 2099")
    return day


def form_text(name, max_length=200, required=True):
    value = request.form.get(name, "").strip()
    if required and not value:
        abort(400, description=f"{name.replace('_', ' ')} is required")
    if len(value) > max_length:
        abort(400, description=f"{name.replace('_', ' ')} is at most {max_length} characters")
    return value
