"""Fault tests run real worker processes against real PostgreSQL and Redis and the loopback
Postmark fake. They need DATABASE_URL (PostgreSQL) and REDIS_URL; CI sets both."""
import datetime
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT, with_settings
from tests.fakes.postmark import FakePostmark

needs_services = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
    reason="fault tests need DATABASE_URL=postgresql://... and REDIS_URL (CI sets both)",
)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def fake():
    server = FakePostmark().start()
    yield server
    server.stop()


@pytest.fixture
def fault_settings(runtime, fake):
    """Settings that send through the fake Postmark on a real Redis queue of this test's own."""
    return with_settings(
        runtime.settings, queue_immediate=False, redis_url=os.environ.get("REDIS_URL", ""),
        queue_name=f"faults-{uuid.uuid4().hex[:8]}", postmark_server_token=fake.token,
        postmark_api_url=fake.url, postmark_timeout=2.0, retry_base_seconds=0.5,
    )


@pytest.fixture
def fault_runtime(fault_settings):
    from bot.runtime import build_runtime

    rt = build_runtime(fault_settings)
    rt.huey.flush()
    yield rt
    rt.huey.flush()


class WorkerProcess:
    """One `huey_consumer bot.main.huey` process with the test's settings in its environment."""

    def __init__(self, settings, threads=4):
        self.env = {
            **os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url, "HUEY_NAME": settings.queue_name, "SECRET_KEY": settings.secret_key,
            "POSTMARK_SERVER_TOKEN": settings.postmark_server_token, "POSTMARK_API_URL": settings.postmark_api_url,
            "POSTMARK_TIMEOUT": str(settings.postmark_timeout), "INBOUND_DOMAIN": settings.inbound_domain,
            "BASE_URL": settings.base_url, "RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
        }
        self.threads = threads
        self.process = None

    def start(self):
        consumer = str(Path(sys.executable).parent / "huey_consumer")
        self.process = subprocess.Popen(
            [consumer, "bot.main.huey", "-n", "-w", str(self.threads), "-k", "thread", "-q"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        return self

    def kill(self):
        """kill -9: no cleanup, whatever it held is lost."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def seed_members(team, count, due):
    """`count` members of `team` due for a prompt at `due` (bulk: thousands of add_member calls are slow)."""
    from peewee import chunked

    from core.db import db
    from core.models import Membership, User

    with db.atomic():
        for batch in chunked(range(count), 1000):
            User.insert_many([{"email": f"f{i}@example.com", "name": f"F {i}", "tz": "UTC"} for i in batch]).execute()
        users = [u.id for u in User.select(User.id).order_by(User.id)]
        for batch in chunked(users, 1000):
            Membership.insert_many([{"user": u, "team": team.id, "prompt_at": due.strftime("%H:%M"),
                                     "digest_at": "23:59", "workdays": "1234567", "next_prompt_at": due,
                                     "next_digest_at": due + datetime.timedelta(days=1)} for u in batch]).execute()
