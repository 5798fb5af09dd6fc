"""Redact secrets and personal data from log records: email addresses, reply and unsubscribe tokens,
sign-in links and Slack tokens never reach a log line.

    ann.lee@example.com                 -> a***@example.com
    reply+<26 base32 chars>@in.x        -> reply+<redacted>@in.x
    /unsubscribe/<token>, /signin/<t>   -> /unsubscribe/<redacted>, /signin/<redacted>
    a bare 26-character reply token     -> <redacted>
    xoxb-123-abc (xoxa, xoxp, xoxe, ...), xapp-1-...  -> xoxb-<redacted>, xapp-<redacted>

`install()` (called by bot.runtime.build_runtime, in every process) applies `RedactingFilter` to every
record the moment it is made (a log record factory), so every logger is covered, ours and third
parties' (gunicorn, huey, slack_bolt, werkzeug), including handlers those add after start-up; the
filter is also put on the root logger's handlers, for records made elsewhere (logging.makeLogRecord).
A record's message is formatted with its args, redacted, and stored back with args cleared; a
traceback is formatted and redacted the same way.
"""
import logging
import re

REDACTED = "<redacted>"

_RULES = [
    # reply+<token>@domain: the token is a password for the member's day
    (re.compile(r"(reply\+)[A-Za-z2-7]{26}(?=@)", re.IGNORECASE), r"\1" + REDACTED),
    # links whose last segment is a credential
    (re.compile(r"(/(?:unsubscribe|signin)/)[A-Za-z0-9_\-=.~%]+"), r"\1" + REDACTED),
    # Slack bot, user, app-level and refresh tokens
    (re.compile(r"\b(xox[a-z])-[A-Za-z0-9\-]+"), r"\1-" + REDACTED),
    (re.compile(r"\b(xapp)-[A-Za-z0-9\-]+"), r"\1-" + REDACTED),
    # a reply token on its own (e.g. a MailboxHash in an error message)
    (re.compile(r"(?<![A-Za-z0-9])[a-z2-7]{26}(?![A-Za-z0-9])"), REDACTED),
]
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9])[A-Za-z0-9._%+\-]*@((?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,})")


def redact(text):
    """`text` with tokens and email addresses masked."""
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return _EMAIL.sub(r"\1***@\2", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record in place (message, args, traceback); never drops one."""

    def filter(self, record):
        if record.args is None and getattr(record, "_donebot_redacted", None) is record.msg:
            return True  # already done (and not changed since, as logging.makeLogRecord does)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it when the record is emitted
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._donebot_redacted = record.msg
        return True


_FILTER = RedactingFilter()
_installed_factory = None


def install():
    """Redact every log record from now on, in this process. Safe to call more than once."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is not _installed_factory:
        def factory(*args, **kwargs):
            record = current(*args, **kwargs)
            _FILTER.filter(record)
            return record

        _installed_factory = factory
        logging.setLogRecordFactory(factory)
    root = logging.getLogger()
    for target in (root, *root.handlers):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    return _FILTER
