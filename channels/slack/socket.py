"""Socket Mode: Slack sends events over a WebSocket this process opens (SLACK_APP_TOKEN, xapp-...),
so donebot can run behind a laptop's NAT with no public URL. Same bolt app, same listeners."""
from slack_bolt.adapter.socket_mode import SocketModeHandler

from channels.slack.api import web_client
from channels.slack.app import SlackDeps, build_app
from channels.slack.clients import Clients


def make_handler(settings, enqueue):
    if not settings.slack_app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-...)")
    if settings.slack_mode != "single":
        raise ValueError("Socket Mode needs SLACK_BOT_TOKEN (one workspace)")
    app = build_app(settings, SlackDeps(settings, Clients(settings), enqueue))
    # apps.connections.open goes where the Web API does (SLACK_API_URL)
    return SocketModeHandler(app, settings.slack_app_token, web_client=web_client(settings))
