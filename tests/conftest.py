"""Shared fixtures: a real database (SQLite by default, PostgreSQL when DATABASE_URL is set),
settings for tests, the wired runtime, the Flask test client, and a clock."""
import dataclasses
import datetime
import os
import uuid
from pathlib import Path

import pytest

from bot.config import Settings
from core.db import connect, db, migrate
from core.models import ALL_MODELS

ROOT = Path(__file__).resolve().parents[1]


def _corpora():
    """The shared corpora, read by relative path (../shared/corpora beside the checkout);
    DONEBOT_CORPORA overrides it for a checkout kept elsewhere."""
    candidates = [os.environ.get("DONEBOT_CORPORA"), ROOT.parent / "shared" / "corpora", "/work/shared/corpora"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return ROOT.parent / "shared" / "corpora"


CORPORA = _corpora()
TEST_SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("DATABASE_URL")
    if url:
        database = connect(url)
        # A clean slate: the suite owns this database.
        database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
        database.execute_sql("CREATE SCHEMA public")
        database.close()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'donebot-test.db'}"


@pytest.fixture(scope="session")
def migrated(database_url):
    database = connect(database_url)
    migrate(database)
    return database


def _empty_tables(database):
    tables = [m._meta.table_name for m in ALL_MODELS]
    if database.__class__.__name__.endswith("SqliteDatabase"):
        with database.atomic():
            for table in reversed(tables):
                database.execute_sql(f'DELETE FROM "{table}"')
    else:
        database.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture
def settings(database_url, tmp_path):
    return Settings(
        env="test",
        database_url=database_url,
        redis_url="",
        queue_path=str(tmp_path / "queue.db"),
        queue_name=f"donebot-test-{uuid.uuid4().hex[:8]}",
        queue_immediate=True,
        secret_key=TEST_SECRET,
        base_url="http://donebot.test",
        from_email="donebot <donebot@donebot.test>",
        inbound_domain="in.donebot.test",
    )


@pytest.fixture
def runtime(migrated, settings):
    from bot.runtime import build_runtime

    rt = build_runtime(settings)
    _empty_tables(rt.database)
    yield rt
    if not db.is_closed():
        db.close()


@pytest.fixture
def app(runtime):
    from bot.app import create_app

    flask_app = create_app(runtime.settings, runtime)
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def client(app):
    return app.test_client()


def with_settings(settings, **changes):
    return dataclasses.replace(settings, **changes)


def coming(isoweekday, at_least_days=2):
    """The next date with this ISO weekday, at least `at_least_days` after today (UTC).

    Tests that send a reply through the worker, which reads the real clock, use dates near
    today, so a reply token never looks expired however far in the future the suite runs."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    day = today + datetime.timedelta(days=at_least_days)
    return day + datetime.timedelta(days=(isoweekday - day.isoweekday()) % 7)


def wall(day, hhmm, tz):
    """Naive UTC instant of a local wall-clock time."""
    from core.schedule import local_instant, parse_hhmm

    return local_instant(day, parse_hhmm(hhmm), tz)


def pytest_sessionfinish(session, exitstatus):
    """CI runs on the real services: a skipped test there is a failure."""
    if not os.environ.get("DONEBOT_CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"DONEBOT_CI: {skipped} test(s) skipped; CI allows none", red=True)
        session.exitstatus = 1


def _hypothesis_profiles():
    """In CI, property tests draw the same examples every run: a red CI then means a change broke
    something, not that a new random draw found an old bug. Locally they explore anew each run."""
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("DONEBOT_CI"):
        hypothesis_settings.load_profile("ci")


_hypothesis_profiles()
