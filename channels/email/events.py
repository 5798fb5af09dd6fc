"""Postmark's delivery-event webhooks: Bounce, SpamComplaint and SubscriptionChange update
the person's email status, so no more email goes to an address that cannot or will not take it.

One URL takes every record type (Postmark lets each type point at its own URL; pointing them
all here is simplest). Events about addresses donebot does not know are acknowledged and ignored.
"""
import json

from flask import Blueprint, jsonify

from channels.email.auth import guarded_body
from core.email_status import set_email_status
from core.models import User

# Bounce types that mean "this address is gone" even when Postmark did not deactivate it.
_HARD_BOUNCE_TYPES = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "AddressChange"}
_STATUS_FOR_SUPPRESSION = {"HardBounce": "bounced", "SpamComplaint": "complained", "ManualSuppression": "unsubscribed"}


class BadEvent(ValueError):
    pass


def _text(value):
    """A field's value if it is a string, else None (a list or object in its place is not hashable)."""
    return value if isinstance(value, str) else None


def status_for(event):
    """-> (email address, new status or None to leave it), from one webhook record."""
    kind = event.get("RecordType")
    if kind == "Bounce":
        address = event.get("Email")
        if event.get("Type") == "Unsubscribe":
            return address, "unsubscribed"
        if event.get("Inactive") is True or _text(event.get("Type")) in _HARD_BOUNCE_TYPES:
            return address, "bounced"
        return address, None  # soft bounces and delays: Postmark keeps trying
    if kind == "SpamComplaint":
        return event.get("Email"), "complained"
    if kind == "SubscriptionChange":
        address = event.get("Recipient")
        if event.get("SuppressSending") is True:
            return address, _STATUS_FOR_SUPPRESSION.get(_text(event.get("SuppressionReason")), "unsubscribed")
        if event.get("SuppressSending") is False:
            return address, "active"  # reactivated in Postmark
        raise BadEvent("SubscriptionChange needs SuppressSending true or false")
    if kind in ("Delivery", "Open", "Click"):
        return None, None
    raise BadEvent(f"unknown RecordType {kind!r}")


def make_blueprint(settings):
    blueprint = Blueprint("email_events", __name__)

    @blueprint.post("/webhooks/postmark/events")
    def postmark_events():
        body, refusal = guarded_body(settings)
        if refusal:
            return refusal
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as error:  # RecursionError: nested too deeply
            return jsonify(error=f"body is not valid JSON: {error}"), 400
        if not isinstance(event, dict):
            return jsonify(error="body must be a JSON object"), 400
        try:
            address, status = status_for(event)
        except BadEvent as error:
            return jsonify(error=str(error)), 400
        if address is not None and not isinstance(address, str):
            return jsonify(error="the address must be a string"), 400
        if not address or status is None:
            return jsonify(status="ignored"), 200
        user = User.get_or_none(User.email == address.strip().lower())
        if user is None:
            return jsonify(status="unknown address"), 200
        changed = set_email_status(user, status)
        return jsonify(status="updated" if changed else "unchanged", email_status=status), 200

    return blueprint
