"""DMs to the bot: store the event once (by event id) and queue it for the worker."""
from channels.slack.inbound import PROVIDER, store_event, wanted


def register(app):
    @app.event("message")
    def on_message(body, event, context):
        # Bolt acks events itself; Slack's retries (X-Slack-Retry-Num) carry the same event id.
        if not wanted(event) or not body.get("event_id"):
            return
        deps = context["donebot"]
        message, created = store_event(body, deps.clock())
        if created:
            deps.enqueue(message.id, PROVIDER)
