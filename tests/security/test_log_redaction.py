"""Tokens and email addresses are redacted in logs: bot.logredact, installed by build_runtime, covers our
loggers and third parties' (werkzeug's request log, gunicorn, huey), including handlers added later."""
import datetime
import io
import logging
import threading
import urllib.request

import pytest

from bot.logredact import RedactingFilter, redact
from channels.email.unsubscribe import unsubscribe_url
from core import tokens
from core.teams import add_member, create_team
from tests.conftest import TEST_SECRET, coming

TOKEN = tokens.encode(TEST_SECRET, 12345, coming(3))


@pytest.mark.parametrize("raw,expected", [
    ("mail to ann.lee@example.com failed", "mail to a***@example.com failed"),
    ("To: Ann <ANN+tag@Mail.Example.co.uk>", "To: Ann <A***@Mail.Example.co.uk>"),
    (f"reply to reply+{TOKEN}@in.donebot.test", "reply to reply+<redacted>@in.donebot.test"),
    (f"REPLY+{TOKEN.upper()}@in.donebot.test", "REPLY+<redacted>@in.donebot.test"),
    (f"GET /unsubscribe/{TOKEN} HTTP/1.1", "GET /unsubscribe/<redacted> HTTP/1.1"),
    ("POST /signin/Zx-9_abc.def HTTP/1.1", "POST /signin/<redacted> HTTP/1.1"),
    (f"invalid reply token {TOKEN}", "invalid reply token <redacted>"),
    ("token xoxb-1234-5678-AbCdEf and xoxp-9-8-7", "token xoxb-<redacted> and xoxp-<redacted>"),
    ("app token xapp-1-A0-123-abc", "app token xapp-<redacted>"),
    ("nothing secret: 42 deliveries, team loop", "nothing secret: 42 deliveries, team loop"),
])
def test_redact(raw, expected):
    assert redact(raw) == expected
    assert redact(expected) == expected  # idempotent


def capture(logger_name):
    """A handler added to a logger after start-up, as gunicorn and huey_consumer add theirs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return stream, lambda: logger.removeHandler(handler)


@pytest.mark.parametrize("logger_name", ["gunicorn.error", "huey", "huey.consumer", "channels.email.inbound",
                                         "slack_bolt.App"])
def test_every_logger_is_redacted_after_build_runtime(runtime, logger_name):
    stream, done = capture(logger_name)
    try:
        log = logging.getLogger(logger_name)
        log.info("sent to %s via %s with %s", "ann@example.com", f"reply+{TOKEN}@in.donebot.test",
                 {"token": "xoxb-111-222-secret"})
        try:
            raise ValueError(f"bounced: bob@example.com {TOKEN}")
        except ValueError:
            log.exception("delivery to %s failed", "bob@example.com")
    finally:
        done()
    text = stream.getvalue()
    assert "a***@example.com" in text and "b***@example.com" in text and "reply+<redacted>@" in text
    assert "xoxb-<redacted>" in text and "ValueError: bounced" in text  # the traceback is kept, redacted
    for secret in ("ann@example.com", "bob@example.com", TOKEN, "secret"):
        assert secret not in text, secret


def test_caplog_sees_redacted_records(runtime, caplog):
    with caplog.at_level(logging.WARNING):
        logging.getLogger("channels.slack.people").warning("users.info for %s failed: %s", "U1", "eve@evil.example")
    assert "e***@evil.example" in caplog.text and "eve@evil.example" not in caplog.text


def test_a_filter_on_a_handler_redacts_records_made_elsewhere(runtime):
    """Records not made by a logger (logging.makeLogRecord, e.g. from a socket handler) pass the root
    logger's handlers, which carry the filter too."""
    record = logging.makeLogRecord({"msg": "for %s", "args": ("ann@example.com",), "levelno": logging.INFO})
    assert RedactingFilter().filter(record) is True  # never drops a record
    assert record.getMessage() == "for a***@example.com"


def test_werkzeug_request_log_of_an_unsubscribe_link_is_redacted(runtime, settings, app):
    """A real request through a real HTTP server: werkzeug logs the request line, which holds the
    unsubscribe token; the log must not."""
    from werkzeug.serving import make_server

    team = create_team("Logs", slug="logs")
    member = add_member(team, "ann@example.com", datetime.datetime(2030, 1, 1), name="Ann", tz="UTC")
    url_path = "/" + unsubscribe_url(settings, member.user_id).split("/", 3)[3]
    token = url_path.rsplit("/", 1)[1]
    stream, done = capture("werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{url_path}", timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        thread.join(5)
        done()
    text = stream.getvalue()
    assert "GET /unsubscribe/<redacted> HTTP/1.1" in text, text
    assert token not in text
