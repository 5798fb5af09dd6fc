"""One-click unsubscribe (RFC 8058): a signed link in every email's List-Unsubscribe header.

GET shows a page with a button; POST (the button, or a mail provider's one-click request
with body `List-Unsubscribe=One-Click`) stops all email to that person. The signed token is
the authority, so these POSTs carry no CSRF token.
"""
import datetime

from flask import Blueprint, abort, render_template

from core import tokens
from core.email_status import set_email_status
from core.models import User

PURPOSE = "unsubscribe"
# The token format carries a date; unsubscribe links never expire, so it is fixed.
_LINK_DATE = datetime.date(2000, 1, 1)


def unsubscribe_url(settings, user_id):
    token = tokens.encode(settings.secret_key, user_id, _LINK_DATE, purpose=PURPOSE)
    return f"{settings.base_url.rstrip('/')}/unsubscribe/{token}"


def list_unsubscribe_headers(url):
    return [
        {"Name": "List-Unsubscribe", "Value": f"<{url}>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]


def make_blueprint(settings):
    blueprint = Blueprint("unsubscribe", __name__)

    def user_for(token):
        try:
            user_id, _date = tokens.decode(settings.secret_key, token, purpose=PURPOSE)
        except tokens.InvalidToken:
            abort(404, description="this unsubscribe link is not valid")
        return User.get_or_none(User.id == user_id) or abort(404, description="no such person")

    @blueprint.get("/unsubscribe/<token>")
    def confirm(token):
        user = user_for(token)
        return render_template("unsubscribe.html", user=user, token=token, done=False)

    @blueprint.post("/unsubscribe/<token>")
    def unsubscribe(token):
        user = user_for(token)
        if user.email_status == "active":
            set_email_status(user, "unsubscribed")
        return render_template("unsubscribe.html", user=user, token=token, done=True)

    @blueprint.post("/unsubscribe/<token>/undo")
    def resubscribe(token):
        user = user_for(token)
        if user.email_status == "unsubscribed":  # a bounce or complaint is not undone by a link
            set_email_status(user, "active")
        return render_template("unsubscribe.html", user=user, token=token, done=False, resubscribed=True)

    return blueprint
