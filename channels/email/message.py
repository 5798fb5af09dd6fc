"""Outgoing email as Postmark's JSON message: the one shape every sender takes."""
from email.utils import formataddr, parseaddr

from channels.email.render import one_line, render
from channels.email.unsubscribe import list_unsubscribe_headers, unsubscribe_url


def reply_address(token, inbound_domain):
    return f"reply+{token}@{inbound_domain}"


def build_message(item, settings):
    """An Outgoing item -> a Postmark message dict (From, To, ReplyTo, Subject, bodies, Tag, Metadata)."""
    subject, text, html = render(item, settings_url=f"{settings.base_url.rstrip('/')}/settings",
                                 unsubscribe_url=unsubscribe_url(settings, item.user_id))
    to = formataddr((one_line(item.name), item.email))
    message = {
        "From": settings.from_email,
        "To": to,
        "Subject": subject,
        "TextBody": text,
        "HtmlBody": html,
        "Tag": item.kind,
        "Metadata": {"delivery_id": str(item.delivery_id)},
        "MessageStream": settings.postmark_message_stream,
        "Headers": list_unsubscribe_headers(settings, item.user_id),
    }
    if item.kind in ("prompt", "receipt") and item.reply_token:  # replying adds more entries
        from_name = parseaddr(settings.from_email)[0] or "donebot"
        message["ReplyTo"] = formataddr((from_name, reply_address(item.reply_token, settings.inbound_domain)))
    return message
