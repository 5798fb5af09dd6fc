"""Sign-in by emailed link, and sign-out.

A link is single use (a conditional UPDATE decides who used it), expires after 15
minutes, and at most 5 are made per address per hour (counted in the database, so the
limit holds across processes). Opening a link shows a button; only the POST signs in,
so a mail scanner that follows links cannot burn it.
"""
import datetime
import hashlib
import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from bot.web import mail
from bot.web.common import current_user, now, safe_next
from bot.web.models import SignInLink
from core.models import User
from core.teams import InvalidInput, normalize_email

LINK_LIFETIME = datetime.timedelta(minutes=15)
RATE_WINDOW = datetime.timedelta(hours=1)
RATE_LIMIT = 5


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _usable(token):
    """The unused, unexpired link for this token, or abort with why not."""
    if not token or len(token) > 100:
        abort(404, description="this sign-in link is not valid")
    link = SignInLink.get_or_none(SignInLink.token_hash == _hash(token))
    if link is None or link.user_id is None:
        abort(404, description="this sign-in link is not valid")
    if link.used_at is not None:
        abort(410, description="this sign-in link was used already: ask for a new one")
    if link.expires_at <= now():
        abort(410, description="this sign-in link has expired (links last 15 minutes): ask for a new one")
    return link


def make_blueprint(settings):
    blueprint = Blueprint("auth", __name__)

    @blueprint.get("/signin")
    def sign_in():
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("signin.html", next=safe_next(request.args.get("next")))

    @blueprint.post("/signin")
    def send_link():
        try:
            email = normalize_email(request.form.get("email", ""))
        except InvalidInput:
            abort(400, description="that is not an email address")
        instant = now()
        recent = SignInLink.select().where(SignInLink.email == email,
                                           SignInLink.created_at > instant - RATE_WINDOW).count()
        if recent >= RATE_LIMIT:
            abort(429, description=f"{RATE_LIMIT} sign-in links were sent to this address in the last hour; "
                                   "use one of those or try again later")
        SignInLink.delete().where(SignInLink.created_at < instant - datetime.timedelta(days=1)).execute()
        user = User.get_or_none(User.email == email)
        token = secrets.token_urlsafe(32)
        # Unknown addresses get a row too (and no mail): the limit then says nothing about who exists.
        SignInLink.create(email=email, user_id=user.id if user else None, token_hash=_hash(token),
                          next_path=safe_next(request.form.get("next")), created_at=instant,
                          expires_at=instant + LINK_LIFETIME)
        if user is not None:
            url = f"{settings.base_url.rstrip('/')}{url_for('auth.confirm', token=token)}"
            mail.send(settings, user.email, user.display_name, "Your donebot sign-in link", "signin",
                      url=url, user=user, minutes=int(LINK_LIFETIME.total_seconds() // 60))
        return render_template("signin_sent.html", email=email, uses_outbox=settings.shows_outbox)

    @blueprint.get("/signin/<token>")
    def confirm(token):
        link = _usable(token)
        return render_template("signin_confirm.html", email=link.email, token=token)

    @blueprint.post("/signin/<token>")
    def use_link(token):
        link = _usable(token)
        used = SignInLink.update(used_at=now()).where(
            SignInLink.id == link.id, SignInLink.used_at.is_null()).execute()
        if not used:
            abort(410, description="this sign-in link was used already: ask for a new one")
        user = User.get_or_none(User.id == link.user_id) or abort(404, description="no such person")
        session.clear()  # a fresh session (and CSRF token): nothing carries over from before
        session["user_id"] = user.id
        session.permanent = True
        current_app.logger.info("signed in user %s", user.id)
        return redirect(safe_next(link.next_path))

    @blueprint.post("/signout")
    def sign_out():
        session.clear()
        return redirect(url_for("auth.sign_in"))

    return blueprint
