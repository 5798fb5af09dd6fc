"""/dev/outbox: the email donebot kept instead of sending (only when no Postmark token is set).

Each message has a reply form. Replying builds a Postmark-shaped inbound payload and
posts it to /webhooks/postmark/inbound, the endpoint Postmark calls, so the reply
travels the same path as real mail: stored, queued, parsed by the worker.
"""
import base64
import datetime
import json
import uuid
from email.utils import format_datetime, parseaddr

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from core.models import InboundMessage, OutboxMessage, utcnow

PAGE_SIZE = 50


def postmark_payload(message, reply_text, now):
    """What Postmark would post if the recipient replied to `message` with `reply_text`."""
    name, sender = parseaddr(message.to)
    _, reply_to = parseaddr(message.reply_to or message.sender)
    local, _, domain = reply_to.partition("@")
    mailbox_hash = local.split("+", 1)[1] if "+" in local else ""
    quoted = "\n".join("> " + line for line in message.text_body.splitlines())
    sent_on = format_datetime(message.created_at.replace(tzinfo=datetime.timezone.utc))
    text_body = f"{reply_text}\n\nOn {sent_on}, donebot <{reply_to}> wrote:\n{quoted}\n"
    return {
        "FromName": name,
        "MessageStream": "inbound",
        "From": sender,
        "FromFull": {"Email": sender, "Name": name, "MailboxHash": ""},
        "To": reply_to,
        "ToFull": [{"Email": reply_to, "Name": "", "MailboxHash": mailbox_hash}],
        "Cc": "",
        "CcFull": [],
        "OriginalRecipient": reply_to,
        "Subject": "Re: " + message.subject,
        "MessageID": str(uuid.uuid4()),
        "ReplyTo": "",
        "MailboxHash": mailbox_hash,
        "Date": format_datetime(now.replace(tzinfo=datetime.timezone.utc)),
        "TextBody": text_body,
        "HtmlBody": "",
        "StrippedTextReply": reply_text,
        "Tag": "",
        "Headers": [{"Name": "In-Reply-To", "Value": f"<outbox-{message.id}@donebot>"}],
        "Attachments": [],
    }


def make_dev_blueprint(settings):
    blueprint = Blueprint("dev", __name__, url_prefix="/dev")

    @blueprint.get("/outbox")
    def outbox():
        messages = list(OutboxMessage.select().order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE))
        replies = list(InboundMessage.select().order_by(InboundMessage.id.desc()).limit(10))
        return render_template("outbox.html", messages=messages, replies=replies)

    @blueprint.get("/outbox/<int:message_id>.html")
    def outbox_html(message_id):
        message = OutboxMessage.get_or_none(OutboxMessage.id == message_id) or abort(404)
        # Our own rendered email, shown as the recipient's mail client would; no scripts allowed.
        response = Response(message.html_body, mimetype="text/html")
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response

    @blueprint.post("/outbox/<int:message_id>/reply")
    def outbox_reply(message_id):
        message = OutboxMessage.get_or_none(OutboxMessage.id == message_id) or abort(404)
        text = request.form.get("text", "")
        if not text.strip():
            abort(400, description="write something to reply with")
        if len(text) > 100_000:
            abort(400, description="a reply is at most 100,000 characters")
        payload = json.dumps(postmark_payload(message, text, utcnow()))
        headers = {"Content-Type": "application/json"}
        if settings.inbound_user:
            credentials = f"{settings.inbound_user}:{settings.inbound_password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        # Through the real webhook endpoint, in-process (no network, no self-deadlock).
        answer = current_app.test_client().post("/webhooks/postmark/inbound", data=payload, headers=headers)
        flash(f"Reply posted to /webhooks/postmark/inbound: {answer.status_code} {answer.get_data(as_text=True)}")
        return redirect(url_for("dev.outbox"))

    return blueprint
