"""Bolt listeners, one module per concern; each has register(app). The context carries
donebot's dependencies as context["donebot"] (a channels.slack.app.SlackDeps)."""
import logging

from slack_sdk.errors import SlackApiError

from channels.slack.people import NotLinked, link

log = logging.getLogger(__name__)


def register_all(app):
    from channels.slack.listeners import actions, commands, home, lifecycle, messages

    for module in (messages, commands, home, actions, lifecycle):
        module.register(app)


def person(context, client):
    """The caller's SlackUser (linked on first sight). Raises NotLinked with a message for them."""
    deps = context["donebot"]
    return link(client, context.team_id, context.user_id, deps.settings, deps.clock())


def tell(client, user_id, text, channel=None):
    """A short message only this person sees: ephemeral where they are, else a DM."""
    try:
        if channel and not channel.startswith("D"):
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        else:
            client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as error:
        log.warning("could not tell %s %r: %s", user_id, text, error)


__all__ = ["NotLinked", "person", "register_all", "tell"]
