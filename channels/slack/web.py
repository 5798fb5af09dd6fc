"""Flask routes for Slack: /slack/events (events, commands, interactions), /slack/install and
/slack/oauth_redirect. The signature is checked here, before bolt parses anything."""
import logging
import time

from flask import Blueprint, jsonify, request
from slack_bolt.adapter.flask.handler import SlackRequestHandler, to_bolt_request, to_flask_response
from slack_sdk.signature import Clock, SignatureVerifier

log = logging.getLogger(__name__)


class _InjectedClock(Clock):
    """slack_sdk's verifier rejects timestamps more than 5 minutes from now(); tests choose now."""

    def __init__(self, clock):
        self.clock = clock

    def now(self):
        return float(self.clock())


def make_verifier(signing_secret, clock=time.time):
    return SignatureVerifier(signing_secret, clock=_InjectedClock(clock))


# Fields of Slack's payloads and their types. Bolt's own middleware and logging read them (with .get(),
# [0], `in`) before any listener runs, so a wrong type would be its 500. Slack's own payloads always fit.
_OBJECTS = ("event", "view", "container", "message", "state")  # when present, an object (never null)
_OBJECTS_OR_NULL = ("enterprise", "previous_message", "response_urls")
_OBJECTS_OR_IDS = ("team", "user", "channel")  # an object in interactions, an id string in events
_LISTS_OF_OBJECTS = ("actions", "authorizations")  # when present, a list of objects (never null)
_STRINGS = ("type", "team_id", "enterprise_id", "event_id", "api_app_id", "user_id", "channel_id", "trigger_id",
            "callback_id")


def _well_formed(payload, depth=0):
    """Does this signed payload have the shape bolt relies on?"""
    if any(key in payload and not isinstance(payload[key], dict) for key in _OBJECTS):
        return False
    if any(payload.get(key) is not None and not isinstance(payload[key], dict) for key in _OBJECTS_OR_NULL):
        return False
    if any(payload.get(key) is not None and not isinstance(payload[key], (dict, str)) for key in _OBJECTS_OR_IDS):
        return False
    if any(payload.get(key) is not None and not isinstance(payload[key], str) for key in _STRINGS):
        return False
    for key in _LISTS_OF_OBJECTS:
        if key in payload and not (isinstance(payload[key], list) and all(isinstance(v, dict) for v in payload[key])):
            return False
    actions = payload.get("actions")
    if actions is not None and not (actions and all(isinstance(a.get("action_id"), str) for a in actions)):
        return False  # bolt reads actions[0]["action_id"]
    nested = [payload[key] for key in ("event", "message", "previous_message", "view") if isinstance(payload.get(key), dict)]
    return depth > 3 or all(_well_formed(inner, depth + 1) for inner in nested)


def make_blueprint(bolt_app, signing_secret, clock=time.time):
    """`clock()` is Unix seconds, for the replay window."""
    blueprint = Blueprint("slack", __name__)
    verifier = make_verifier(signing_secret, clock)
    handler = SlackRequestHandler(bolt_app)

    @blueprint.post("/slack/events")
    def events():
        body = request.get_data()
        timestamp = request.headers.get("X-Slack-Request-Timestamp") or ""
        signature = request.headers.get("X-Slack-Signature") or ""
        try:
            body.decode("utf-8")  # Slack signs UTF-8 text; slack_sdk's verifier raises on anything else
        except UnicodeDecodeError:
            return jsonify(error="invalid or missing signature"), 401
        if not timestamp.isdigit() or not verifier.is_valid(body, timestamp, signature):
            return jsonify(error="invalid or missing signature"), 401
        try:
            bolt_request = to_bolt_request(request)
        except (ValueError, UnicodeDecodeError, AttributeError, TypeError, KeyError, IndexError,
                RecursionError) as error:  # bolt reads the payload's fields as it builds the request
            return jsonify(error=f"malformed body: {error.__class__.__name__}"), 400
        if not isinstance(bolt_request.body, dict) or not bolt_request.body or not _well_formed(bolt_request.body):
            return jsonify(error="malformed body"), 400
        return to_flask_response(bolt_app.dispatch(bolt_request))

    @blueprint.get("/slack/install")
    @blueprint.get("/slack/oauth_redirect")
    def oauth():
        if bolt_app.oauth_flow is None:
            return jsonify(error="Slack is set up for one workspace (SLACK_BOT_TOKEN); there is nothing to install"), 404
        return handler.handle(request)

    return blueprint


def blueprint_for(settings, enqueue, clock=time.time):
    """Everything /slack/* needs, from the settings; `enqueue(message_id, provider)` queues inbound work."""
    from channels.slack.app import SlackDeps, build_app
    from channels.slack.clients import Clients

    bolt_app = build_app(settings, SlackDeps(settings, Clients(settings), enqueue))
    return make_blueprint(bolt_app, settings.slack_signing_secret, clock)
