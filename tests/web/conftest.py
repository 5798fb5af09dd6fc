"""Fixtures for the web app: an injected clock, two teams with an admin, a member and an
outsider, and signing in the way a person does (email a link, open it from the outbox)."""
import datetime
import re

import pytest

from bot.web.models import SignInLink
from core.models import OutboxMessage
from core.teams import add_member, create_team
from tests.conftest import coming, wall

FRIDAY = coming(5)
NOW = wall(FRIDAY, "10:00", "Europe/London")  # Friday morning in London


class Clock:
    """What the app reads as now (app.config["DONEBOT_CLOCK"]); tests move it."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def web(app, clock):
    SignInLink.delete().execute()  # not among core's tables the shared fixture empties
    app.config["DONEBOT_CLOCK"] = clock
    return app


@pytest.fixture
def world(web, clock):
    """Alpha: Ada (admin), Max (member). Beta: Olga (admin) - an outsider to Alpha."""
    alpha = create_team("Alpha", slug="alpha", tz="Europe/London")
    beta = create_team("Beta", slug="beta")
    seeded = clock.now - datetime.timedelta(days=10)
    people = {
        "ada": add_member(alpha, "ada@example.com", seeded, name="Ada Lovelace", tz="Europe/London", role="admin"),
        "max": add_member(alpha, "max@example.com", seeded, name="Max Planck", tz="America/New_York"),
        "olga": add_member(beta, "olga@example.com", seeded, name="Olga Beta", tz="Asia/Tokyo", role="admin"),
    }
    return {"alpha": alpha, "beta": beta, **people}


def csrf(client):
    with client.session_transaction() as session:
        if "csrf" not in session:
            session["csrf"] = "test-csrf-token-0123456789"
        return session["csrf"]


def post(client, path, data=None, **kwargs):
    """A form POST with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def last_link(email):
    """The sign-in link in the newest outbox message to `email`."""
    message = (OutboxMessage.select().where(OutboxMessage.to.contains(email))
               .order_by(OutboxMessage.id.desc()).first())
    assert message is not None, f"no email to {email}"
    return re.search(r"http://donebot\.test(/signin/[\w-]+)", message.text_body).group(1)


def sign_in(client, email):
    """Ask for a link, open it from the outbox, press the button."""
    response = post(client, "/signin", {"email": email})
    assert response.status_code == 200, response.get_data(as_text=True)
    path = last_link(email)
    assert client.get(path).status_code == 200
    response = post(client, path)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def as_user(web, world):
    """as_user("ada") -> a test client signed in as Ada."""
    def make(name):
        return sign_in(web.test_client(), world[name].user.email)

    return make
