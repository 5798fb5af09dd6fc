"""CSV export of a team's entries, in the columns of an iDoneThis export (so
`donebot import` reads it back), streamed so a big team never sits in memory."""
import csv
import io

from flask import Blueprint, Response, stream_with_context

from bot.web.common import login_required, membership_in
from core.imports import COLUMNS, guard_formula
from core.models import Entry, Membership, User

STATUS = {"done": "done", "goal": "goal", "blocker": "blocker"}


def _lines(team):
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    entries = (Entry.select(Entry, Membership, User).join(Membership).join(User)
               .where(Membership.team == team).order_by(Entry.local_date, Entry.id))
    for entry in entries.iterator():
        completed = entry.completed_at.date().isoformat() if entry.completed_at else ""
        writer.writerow([entry.membership.user.email, STATUS[entry.kind], guard_formula(entry.text),
                         entry.local_date.isoformat(), completed, entry.created_at.isoformat() + "Z"])
        yield flush()


def make_blueprint(settings):
    blueprint = Blueprint("export", __name__)

    @blueprint.get("/teams/<slug>/export.csv")
    @login_required
    def export(slug):
        team = membership_in(slug).team
        response = Response(stream_with_context(_lines(team)), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="donebot-{team.slug}.csv"'
        return response

    return blueprint
