"""The bolt App: single workspace (SLACK_BOT_TOKEN) or OAuth installs (SLACK_CLIENT_ID/SECRET),
with donebot's dependencies in every listener's context["donebot"]."""
import logging
from dataclasses import dataclass
from typing import Callable

from slack_bolt import App, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings

from channels.slack.api import web_client
from channels.slack.clients import Clients
from channels.slack.listeners import register_all
from channels.slack.store import PeeweeOAuthStateStore
from core.models import utcnow

log = logging.getLogger(__name__)

BOT_SCOPES = ["chat:write", "im:history", "im:write", "users:read", "users:read.email", "reactions:write",
              "commands"]
NOT_INSTALLED = "donebot isn't installed in this workspace (any more). Ask an admin to install it again."


@dataclass
class SlackDeps:
    settings: object
    clients: Clients
    enqueue: Callable  # enqueue(inbound message id, provider): queue processing in the worker
    clock: Callable = utcnow  # naive-UTC now


def build_app(settings, deps):
    """The bolt App. Request signatures are checked in front of it (channels.slack.web), with an
    injectable clock, so bolt's own check is off; Socket Mode needs none."""
    common = dict(
        signing_secret=settings.slack_signing_secret or "socket-mode",
        request_verification_enabled=False,
        process_before_response=True,  # run listeners before answering: they only store and queue, or ack fast
        client=web_client(settings),
    )
    if settings.slack_mode == "oauth":
        oauth_settings = OAuthSettings(
            client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, scopes=BOT_SCOPES,
            redirect_uri=f"{settings.base_url.rstrip('/')}/slack/oauth_redirect",
            installation_store=deps.clients.store, installation_store_bot_only=True,
            state_store=PeeweeOAuthStateStore(clock=deps.clock),
        )
        app = App(oauth_flow=OAuthFlow(client=web_client(settings), settings=oauth_settings),
                  installation_store=deps.clients.store, installation_store_bot_only=True,
                  user_facing_authorize_error_message=NOT_INSTALLED, **common)
    else:
        # The client carries SLACK_BOT_TOKEN; auth.test runs at the first request, not at start-up.
        app = App(token_verification_enabled=False, **{**common, "client": web_client(settings, settings.slack_bot_token)})

    @app.middleware
    def donebot_context(context, body, next):
        context["donebot"] = deps
        # One bot token answers for one workspace: refuse another workspace's payloads.
        authorized = context.authorize_result
        if not context.team_id:  # Slack's payloads always name the workspace; nobody can be linked without one
            return BoltResponse(status=400, body={"error": "the payload names no workspace"})
        if (settings.slack_mode == "single" and authorized is not None
                and authorized.team_id and context.team_id != authorized.team_id):
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": NOT_INSTALLED})
        return next()

    register_all(app)
    return app
