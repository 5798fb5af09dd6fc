"""Slack messages in: the events listener stores each event once (by event id) and queues it;
process() turns it into entries in the worker, through core.replies like every channel.

    a DM to the bot             -> record_reply(source "slack", source_ref "<team>:<channel>:<ts>"), then ✅
    message_changed (an edit)   -> replace_reply (or delete_reply when nothing is left)
    message_deleted             -> delete_reply
"""
import json
import logging
from dataclasses import dataclass, field

from peewee import IntegrityError
from slack_sdk.errors import SlackApiError

from channels.slack.api import call
from channels.slack.people import NotLinked, link, membership_for, plain_text, ts_instant
from core.db import db
from core.dispatch import plan_receipt
from core.models import Delivery, InboundMessage, Membership
from core.replies import EmptyReply, delete_reply, record_reply, replace_reply
from core.schedule import local_date_of

log = logging.getLogger(__name__)
PROVIDER = "slack"
SOURCE = "slack"
PERSON_SUBTYPES = (None, "thread_broadcast", "file_share", "message_changed", "message_deleted")


@dataclass
class InboundResult:
    state: str
    queued: dict = field(default_factory=dict)


def wanted(event):
    """Is this event a person's DM to the bot (or an edit or deletion of one)?"""
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return False
    if event.get("bot_id") or event.get("subtype") not in PERSON_SUBTYPES:
        return False
    edited = event.get("message") or {}
    return not edited.get("bot_id")


def store_event(body, now):
    """Store the event once; a retry or a repeated event id is a no-op. -> (message, created)."""
    event_id = str(body.get("event_id") or "").replace("\x00", "")[:255]  # PostgreSQL text cannot hold NUL
    try:
        with db.atomic():
            return InboundMessage.create(provider=PROVIDER, provider_message_id=event_id, payload=json.dumps(body),
                                         received_at=now), True
    except IntegrityError:
        return None, False


def _finish(message, state, now, error=None, **changes):
    InboundMessage.update(state=state, error=error, processed_at=now, **changes).where(
        InboundMessage.id == message.id).execute()
    return InboundResult(state)


def _say(client, channel, text, thread_ts=None):
    try:
        call(client.chat_postMessage, channel=channel, text=text, thread_ts=thread_ts)
    except Exception as error:  # noqa: BLE001 - a courtesy message; the outcome is already stored
        log.warning("could not answer in %s: %s", channel, error)


def _react(client, channel, ts):
    try:
        call(client.reactions_add, channel=channel, timestamp=ts, name="white_check_mark")
    except SlackApiError as error:
        if error.response.get("error") != "already_reacted":
            log.warning("could not add ✅ to %s/%s: %s", channel, ts, error)
    except Exception as error:  # noqa: BLE001
        log.warning("could not add ✅ to %s/%s: %s", channel, ts, error)


def _target(user, team_id, event):
    """(membership, local date) a DM counts for: the prompt it answers in a thread, else today where they are."""
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        delivery = (Delivery.select(Delivery, Membership).join(Membership)
                    .where(Delivery.provider_message_id == f"{event['channel']}:{thread_ts}",
                           Membership.user == user.id).first())
        if delivery is not None:
            return delivery.membership, delivery.local_date
    membership = membership_for(user, team_id)
    return membership, local_date_of(ts_instant(event["ts"]), user.tz)


def _well_formed(current, channel):
    """A person's message as Slack sends it: user, channel and a Unix-time ts as strings, text a string."""
    if not isinstance(current, dict) or not isinstance(channel, str) or not channel:
        return False
    if not isinstance(current.get("user"), str) or not current["user"]:
        return False
    if not isinstance(current.get("text") or "", str) or not isinstance(current.get("ts"), str):
        return False
    try:
        ts_instant(current["ts"])
    except (ValueError, OverflowError, OSError):
        return False
    return True


def process(message_id, now, settings, clients):
    """Turn one stored Slack event into entries. Safe to run twice. -> InboundResult."""
    message = InboundMessage.get_or_none(InboundMessage.id == message_id)
    if message is None or message.state != "received":
        return InboundResult(message.state if message else "missing")
    body = json.loads(message.payload)
    event = body.get("event") or {}
    team_id = body.get("team_id") or event.get("team") or ""
    client = clients.for_team(team_id)
    if client is None:
        return _finish(message, "rejected", now, f"donebot is not installed in workspace {team_id}")
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        ref = f"{team_id}:{event.get('channel')}:{event.get('deleted_ts')}"
        return _finish(message, "processed", now, None if delete_reply(SOURCE, ref) else "nothing recorded for it")
    current = event.get("message") if subtype == "message_changed" else event
    if not _well_formed(current, event.get("channel")):
        return _finish(message, "rejected", now, "not a person's message")
    try:
        account = link(client, team_id, current["user"], settings, now)
    except NotLinked as error:
        _say(client, event["channel"], str(error), current["ts"])
        return _finish(message, "rejected", now, str(error))
    ref = f"{team_id}:{event['channel']}:{current['ts']}"
    text = plain_text(current.get("text"))
    if subtype == "message_changed":
        try:
            recorded = replace_reply(SOURCE, ref, text, now)
        except EmptyReply:
            delete_reply(SOURCE, ref)
            return _finish(message, "processed", now, "edited to nothing: entries removed")
        if recorded is not None:
            return _finish(message, "processed", now, membership=recorded.reply.membership_id, reply=recorded.reply,
                           entry_count=len(recorded.entries))
    membership, local_date = _target(account.user, team_id, {**current, "channel": event["channel"]})
    if membership is None:
        return _finish(message, "rejected", now, "not a member of any team")
    try:
        recorded = record_reply(membership, local_date, text, SOURCE, ref, now)
    except EmptyReply:
        _say(client, event["channel"], "I didn't find anything to record in that. Write one thing per line.",
             current["ts"])
        return _finish(message, "rejected", now, "the message has no entries", membership=membership)
    result = _finish(message, "processed", now, membership=membership, reply=recorded.reply,
                     entry_count=len(recorded.entries))
    _react(client, event["channel"], current["ts"])
    if recorded.created:
        result.queued = plan_receipt(membership, local_date, now)
    return result
