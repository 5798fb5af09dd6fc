"""Receiving email: the Postmark inbound webhook (store, queue, answer 200) and
`process`, which the worker runs to turn a stored message into entries.

Receiving is separate from parsing: the view never parses, so a parser bug can
never lose a reply; the stored payload can be processed again.
"""
import base64
import datetime
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field

from flask import Blueprint, current_app, jsonify

from channels.email.auth import guarded_body
from core import tokens
from core.dispatch import plan_receipt
from core.db import db, get_by_id, insert_rows
from core.models import InboundMessage, Membership
from core.replies import EmptyReply, record_reply

log = logging.getLogger(__name__)

PROVIDER = "postmark"
MIME_PROVIDER = "mime"
TOKEN_MAX_AGE = datetime.timedelta(days=30)
_REPLY_LOCAL_PART = re.compile(r"(?:^|[\s<,\"])reply\+([a-z2-7]{26})@", re.IGNORECASE)


@dataclass
class InboundResult:
    state: str  # processed, rejected, auto_reply, failed (or the state it already had)
    queued: dict = field(default_factory=dict)  # deliveries planned (a receipt), for the task to enqueue


class BadPayload(ValueError):
    """The request body is not a Postmark inbound payload; the message says why."""


def check_payload(body):
    """Validate a Postmark inbound body -> (payload dict, MessageID). Raises BadPayload."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:  # RecursionError: nested too deeply
        raise BadPayload(f"body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise BadPayload("body must be a JSON object")
    message_id = payload.get("MessageID")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > 255 or "\x00" in message_id:
        raise BadPayload("MessageID is required (a non-empty string of at most 255 characters)")
    if not any(isinstance(payload.get(k), str) for k in ("TextBody", "HtmlBody", "RawEmail")):
        raise BadPayload("one of TextBody, HtmlBody or RawEmail is required")
    for key in ("TextBody", "HtmlBody", "RawEmail", "StrippedTextReply", "MailboxHash", "From", "To", "Cc",
                "OriginalRecipient", "Subject"):
        if key in payload and payload[key] is not None and not isinstance(payload[key], str):
            raise BadPayload(f"{key} must be a string")
    if "Headers" in payload and not isinstance(payload["Headers"], list):
        raise BadPayload("Headers must be a list of {Name, Value}")
    return payload, message_id.strip()


_STORE_COLUMNS = ("provider", "provider_message_id", "payload", "received_at", "state", "entry_count")


def store(payload_text, message_id, now, provider=PROVIDER):
    """Store the raw payload once. -> (id, created).

    One statement, committed on its own (no BEGIN/COMMIT round trips): this runs on every
    webhook call, and a repeated MessageID simply inserts nothing.
    """
    inserted = insert_rows(InboundMessage, _STORE_COLUMNS,
                           [(provider, message_id, payload_text, InboundMessage.received_at.db_value(now),
                             "received", 0)],
                           returning=("id",), ignore_conflicts=True)
    if inserted:
        return inserted[0][0], True
    existing = InboundMessage.get(InboundMessage.provider == provider, InboundMessage.provider_message_id == message_id)
    return existing.id, False


def make_blueprint(settings, enqueue, clock):
    """The inbound webhooks. `enqueue(message_id, provider)` queues processing; `clock()` is naive-UTC now."""
    blueprint = Blueprint("email_inbound", __name__)

    @blueprint.post("/webhooks/postmark/inbound")
    def postmark_inbound():
        body, refusal = guarded_body(settings)
        if refusal:
            return refusal
        try:
            text = body.decode("utf-8")
            _payload, message_id = check_payload(text)
        except UnicodeDecodeError:
            return jsonify(error="body is not UTF-8"), 400
        except BadPayload as error:
            return jsonify(error=str(error)), 400
        stored_id, created = store(text, message_id, clock())
        if not created:
            return jsonify(status="duplicate", id=stored_id), 200
        try:
            enqueue(stored_id, PROVIDER)
        except Exception:  # queue down: the message is stored, and reap will queue it
            current_app.logger.exception("could not queue inbound message %s; reap will retry", stored_id)
        return jsonify(status="queued", id=stored_id), 200

    @blueprint.post("/webhooks/inbound/mime")
    def raw_mime():
        """A raw RFC 5322 message (an SMTP relay, another provider), same auth and limits."""
        body, refusal = guarded_body(settings)
        if refusal:
            return refusal
        if not body.strip():
            return jsonify(error="empty body: expected a raw RFC 5322 message"), 400
        head = body[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        if b":" not in head.split(b"\n", 1)[0]:
            return jsonify(error="body does not start with RFC 5322 headers"), 400
        message_id = _header(head, b"message-id").replace("\x00", "") or "sha256:" + hashlib.sha256(body).hexdigest()
        stored_id, created = store(base64.b64encode(body).decode("ascii"), message_id[:255], clock(),
                                   provider=MIME_PROVIDER)
        if not created:
            return jsonify(status="duplicate", id=stored_id), 200
        try:
            enqueue(stored_id, MIME_PROVIDER)
        except Exception:
            current_app.logger.exception("could not queue inbound message %s; reap will retry", stored_id)
        return jsonify(status="queued", id=stored_id), 200

    return blueprint


def _header(head, name):
    """The first value of header `name` (bytes, lower case) in a raw header block, unfolded."""
    value = None
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        if value is not None:
            if line[:1] in (b" ", b"\t"):
                value += b" " + line.strip()
                continue
            break
        key, sep, rest = line.partition(b":")
        if sep and key.strip().lower() == name:
            value = rest.strip()
    if value is None:
        return ""
    return value.decode("ascii", "replace").strip().strip("<>").strip()


def find_token(parsed, mailbox_hash=""):
    """The reply token: Postmark's MailboxHash, else a reply+<token>@ address in the recipients."""
    candidates = [mailbox_hash.strip()] if mailbox_hash and mailbox_hash.strip() else []
    for address in parsed.recipients:
        match = _REPLY_LOCAL_PART.search(" " + address)
        if match:
            candidates.append(match.group(1))
    for candidate in candidates:
        if len(candidate) == tokens.TOKEN_LENGTH:
            return candidate
    return candidates[0] if candidates else ""


def _finish(message, state, now, error=None, membership=None, reply=None, entry_count=0):
    """Record how processing ended, once: only a message still `received` changes."""
    error = error.replace("\x00", "") if error else error  # PostgreSQL text cannot hold NUL
    param = db.param
    db.execute_sql(
        f'UPDATE "{InboundMessage._meta.table_name}" SET "state" = {param}, "error" = {param}, '
        f'"processed_at" = {param}, "membership_id" = {param}, "reply_id" = {param}, "entry_count" = {param} '
        f'WHERE "id" = {param} AND "state" = {param}',
        (state, error, InboundMessage.processed_at.db_value(now), membership.id if membership else None,
         reply.id if reply else None, entry_count, message.id, "received"))
    return InboundResult(state)


def _parse_stored(message):
    """-> (ParsedEmail, MailboxHash) from a stored Postmark payload or raw MIME message."""
    from channels.email.parse import parse_mime, parse_postmark  # the worker parses; web views never do

    if message.provider == MIME_PROVIDER:
        return parse_mime(base64.b64decode(message.payload)), ""
    payload = json.loads(message.payload)
    mailbox_hash = payload.get("MailboxHash") if isinstance(payload.get("MailboxHash"), str) else ""
    return parse_postmark(payload), mailbox_hash


def process(message_id, now, secret_key):
    """Turn one stored inbound email into entries. Safe to run twice. -> InboundResult."""
    message = get_by_id(InboundMessage, message_id)
    if message is None or message.state != "received":
        return InboundResult(message.state if message else "missing")
    try:
        parsed, mailbox_hash = _parse_stored(message)
    except Exception as error:  # stored payloads passed the view's checks; this is a parser bug
        log.exception("could not parse inbound message %s", message_id)
        return _finish(message, "failed", now, f"parse failed: {error!r}")
    if parsed.auto_reply:
        return _finish(message, "auto_reply", now, parsed.auto_reply_reason)
    token = find_token(parsed, mailbox_hash)
    if not token:
        return _finish(message, "rejected", now, "no reply token in MailboxHash or recipients")
    try:
        membership_id, local_date = tokens.decode(secret_key, token)
    except tokens.InvalidToken as error:
        return _finish(message, "rejected", now, f"invalid reply token: {error}")
    membership = get_by_id(Membership, membership_id)
    if membership is None:
        return _finish(message, "rejected", now, "reply token names a membership that no longer exists")
    if now.date() - local_date > TOKEN_MAX_AGE:
        return _finish(message, "rejected", now, f"reply token for {local_date} has expired")
    # The email's own Message-ID, so the same mail through two routes (Postmark, a relay) counts once.
    source_ref = parsed.message_id or f"{message.provider}:{message.provider_message_id}"
    try:
        recorded = record_reply(membership, local_date, parsed.reply, "email", source_ref[:255], now)
    except EmptyReply:
        return _finish(message, "rejected", now, "the reply has no text above the quoted message",
                       membership=membership)
    result = _finish(message, "processed", now, None, membership=membership, reply=recorded.reply,
                     entry_count=len(recorded.entries))
    if recorded.created:
        result.queued = plan_receipt(membership, local_date, now)
    return result
