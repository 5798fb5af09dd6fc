"""Slack as a channel: prompts and digests by DM, replies, /done and /digest, App Home, OAuth installs.

bot/ wires it: `register(settings)` puts the SlackChannel and the inbound processor into core's
registry (every process); `web.blueprint_for(settings, enqueue)` mounts /slack/* (the web process).
"""


def register(settings, registry):
    """Register the Slack channel and its inbound processor into `registry` (core.channels)."""
    from channels.slack import inbound
    from channels.slack.channel import SlackChannel
    from channels.slack.clients import Clients

    clients = Clients(settings)
    registry.register(SlackChannel(settings, clients))

    def process(message_id, now):
        return inbound.process(message_id, now, settings, clients)

    registry.register_inbound(inbound.PROVIDER, process)
    return clients
