"""Email the web app sends itself (sign-in links, invitations), straight through the
configured sender: the delivery ledger's one-per-kind-per-day key does not fit them.
In the embedded default they land in the outbox, at /dev/outbox."""
import logging
from email.utils import formataddr

from flask import current_app, render_template

from bot.runtime import email_sender

log = logging.getLogger(__name__)


def _sender(settings):
    senders = current_app.extensions.setdefault("donebot_web_senders", {})
    if "email" not in senders:
        senders["email"] = email_sender(settings)
    return senders["email"]


def send(settings, to_email, to_name, subject, template, **context):
    """Render templates/web/mail/<template>.txt and .html and send them; True if accepted."""
    message = {
        "From": settings.from_email,
        "To": formataddr((" ".join(to_name.split()), to_email)),
        "Subject": " ".join(subject.split()),  # one line: nothing can inject a header
        "TextBody": render_template(f"mail/{template}.txt", **context),
        "HtmlBody": render_template(f"mail/{template}.html", **context),
        "Tag": template,
        "MessageStream": settings.postmark_message_stream,
    }
    try:
        [result] = _sender(settings).send_batch([message])
    except Exception as error:  # noqa: BLE001 - a provider outage must not become a 500
        log.warning("sending %s to %s failed: %r", template, to_email, error)
        return False
    if not result.ok:
        log.warning("sending %s to %s failed: %s", template, to_email, result.error)
    return result.ok
