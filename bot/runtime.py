"""Start-up wiring shared by the web app, the worker and the CLI."""
import logging
from dataclasses import dataclass

from channels.email import inbound as email_inbound
from channels.email.channel import EmailChannel
from channels.email.outbox import OutboxSender
from channels import slack
from bot import logredact
from core import channels
from core.db import connect
from scheduler.queue import make_huey
from scheduler.tasks import Tasks, register

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: object
    database: object
    huey: object
    tasks: Tasks


def email_sender(settings):
    if settings.uses_outbox:
        return OutboxSender()
    from channels.email.postmark import PostmarkSender  # only production needs postmarker

    return PostmarkSender(settings)


def register_channels(settings):
    """Fill core's registry with the channels these settings configure."""
    channels.clear()
    channels.register(EmailChannel(settings, email_sender(settings)))
    def process_email(message_id, now):
        return email_inbound.process(message_id, now, settings.secret_key)

    for provider in (email_inbound.PROVIDER, email_inbound.MIME_PROVIDER):
        channels.register_inbound(provider, process_email)
    if settings.slack_mode:  # SLACK_BOT_TOKEN, or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET
        slack.register(settings, channels)


def build_runtime(settings):
    logredact.install()  # tokens and email addresses never reach a log line, in any process
    database = connect(settings.database_url)
    register_channels(settings)
    huey = make_huey(settings)
    tasks = register(huey, settings)
    return Runtime(settings, database, huey, tasks)
