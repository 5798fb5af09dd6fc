"""App Home: today's entries, open goals to check off, and the person's settings."""
import logging

from slack_sdk.errors import SlackApiError

from channels.slack import blocks
from channels.slack.listeners import NotLinked, person
from channels.slack.people import local_today, membership_for
from core.models import Entry
from core.replies import open_goals
from core.schedule import format_workdays, parse_workdays

log = logging.getLogger(__name__)


def settings_summary(membership, user):
    names = dict(blocks.WEEKDAYS)
    days = ", ".join(names[d] for d in format_workdays(parse_workdays(membership.workdays)))
    paused = f", paused until {membership.paused_until.isoformat()}" if membership.paused_until else ""
    return (f"Asked at {membership.prompt_at}, digest at {membership.digest_at} ({user.tz}), on {days}, "
            f"by {membership.preferred_channel}{paused}.")


def publish(client, context, user_id=None):
    """Build and publish this person's Home tab."""
    deps = context["donebot"]
    user_id = user_id or context.user_id
    try:
        account = person(context, client)
    except NotLinked as error:
        view = {"type": "home", "blocks": [blocks.section(blocks.escape(str(error)))]}
        return client.views_publish(user_id=user_id, view=view)
    user = account.user
    membership = membership_for(user, context.team_id)
    if membership is None:
        view = {"type": "home", "blocks": [blocks.section("You're not in any donebot team yet.")]}
        return client.views_publish(user_id=user_id, view=view)
    today = local_today(user, deps.clock())
    entries = list(Entry.select().where(Entry.membership == membership, Entry.local_date == today)
                   .order_by(Entry.id))
    view = blocks.home(user.display_name, membership.team.name, entries, open_goals([membership.id]),
                       settings_summary(membership, user))
    return client.views_publish(user_id=user_id, view=view)


def register(app):
    @app.event("app_home_opened")
    def opened(event, context, client):
        if event.get("tab", "home") != "home":
            return
        try:
            publish(client, context)
        except SlackApiError as error:
            log.warning("views.publish failed: %s", error)
