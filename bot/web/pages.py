"""The front page, error pages, and what every template gets (who is signed in)."""
from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from bot.web.common import current_user
from core.models import Membership

# These answer machines, not people: their errors stay as their views made them.
MACHINE_PREFIXES = ("/webhooks/", "/slack/", "/healthz")


def make_pages_blueprint(settings):
    blueprint = Blueprint("pages", __name__)

    @blueprint.app_context_processor
    def globals_for_templates():
        user = current_user()
        admin_of = []
        if user is not None:
            admin_of = [m.team for m in Membership.select().where(Membership.user == user,
                                                                  Membership.role == "admin")]
        return {"current_user": user, "uses_outbox": settings.shows_outbox, "admin_teams": admin_of}

    @blueprint.app_errorhandler(HTTPException)
    def error_page(error):
        if request.path.startswith(MACHINE_PREFIXES) or error.code is None or error.code < 400:
            return error
        return render_template("error.html", error=error), error.code

    @blueprint.get("/")
    def index():
        if current_user() is not None:
            return redirect(url_for("today.today"))
        return render_template("index.html")

    return blueprint
