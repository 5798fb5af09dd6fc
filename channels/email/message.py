"""Outgoing email as Postmark's JSON message: the one shape every sender takes."""
from email.utils import formataddr, parseaddr
from functools import lru_cache

from channels.email.render import BatchRenderer, one_line
from channels.email.unsubscribe import list_unsubscribe_headers, unsubscribe_url


def reply_address(token, inbound_domain):
    return f"reply+{token}@{inbound_domain}"


@lru_cache(maxsize=8)
def _sender_name(from_email):
    return parseaddr(from_email)[0] or "donebot"


def settings_url(settings):
    return f"{settings.base_url.rstrip('/')}/settings"


def build_message(item, settings, renderer=None):
    """An Outgoing item -> a Postmark message dict (From, To, ReplyTo, Subject, bodies, Tag, Metadata).
    Pass one BatchRenderer for a whole batch to render shared emails once."""
    unsubscribe = unsubscribe_url(settings, item.user_id)
    renderer = renderer or BatchRenderer(settings_url(settings))
    subject, text, html = renderer.render(item, unsubscribe)
    message = {
        "From": settings.from_email,
        "To": formataddr((one_line(item.name), item.email)),
        "Subject": subject,
        "TextBody": text,
        "HtmlBody": html,
        "Tag": item.kind,
        "Metadata": {"delivery_id": str(item.delivery_id)},
        "MessageStream": settings.postmark_message_stream,
        "Headers": list_unsubscribe_headers(unsubscribe),
    }
    if item.kind in ("prompt", "receipt") and item.reply_token:  # replying adds more entries
        address = reply_address(item.reply_token, settings.inbound_domain)
        message["ReplyTo"] = formataddr((_sender_name(settings.from_email), address))
    return message
