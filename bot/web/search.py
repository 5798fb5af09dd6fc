"""Search across the teams I belong to: words, #tag, @person, and a date range."""
import datetime

from flask import Blueprint, abort, render_template, request

from bot.web.common import current_user, login_required, my_memberships
from core.search import parse_query, search

MAX_QUERY = 300


def _date(name):
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        abort(400, description=f"{name} must be a date like 2026-05-04")


def make_blueprint(settings):
    blueprint = Blueprint("search", __name__)

    @blueprint.get("/search")
    @login_required
    def page():
        text = request.args.get("q", "")
        if len(text) > MAX_QUERY:
            abort(400, description=f"a search is at most {MAX_QUERY} characters")
        start, end = _date("from"), _date("to")
        if start and end and start > end:
            abort(400, description="from must be on or before to")
        memberships = my_memberships(current_user())
        team_ids = [m.team_id for m in memberships]
        team = request.args.get("team", "")
        if team:
            team_ids = [m.team_id for m in memberships if m.team.slug == team]
            if not team_ids:
                abort(400, description="team must be one of your teams")
        query = parse_query(text, start, end)
        results = search(team_ids, query)
        return render_template("search.html", q=text, start=start, end=end, team=team, query=query,
                               results=results, memberships=memberships, searched=not query.is_empty)

    return blueprint
