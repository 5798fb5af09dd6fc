"""The front page. (Sign-in, entries, the digest archive and settings come with the web-app issue.)"""
from flask import Blueprint, render_template

from core.models import Membership, Team


def make_pages_blueprint(settings):
    blueprint = Blueprint("pages", __name__)

    @blueprint.get("/")
    def index():
        teams = [(team, Membership.select().where(Membership.team == team).count())
                 for team in Team.select().order_by(Team.name)]
        return render_template("index.html", teams=teams, uses_outbox=settings.uses_outbox)

    return blueprint
