"""The real app on a loopback port, driven by headless Chromium (Debian's) through playwright.

Skips with the reason when /usr/bin/chromium or playwright is missing; CI installs both and
fails on any skip. Each test saves a screenshot of where it ends under the pytest tmp dir.
"""
import datetime
import os
import socket
import threading

import pytest

from tests.conftest import coming, wall, with_settings

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FRIDAY = coming(5)
NOW = wall(FRIDAY, "10:00", "Europe/London")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live(runtime):
    """The whole app (sign-in links pointing at it) served by werkzeug in a thread."""
    from werkzeug.serving import make_server

    from bot.app import create_app
    from bot.web.models import SignInLink

    SignInLink.delete().execute()
    port = _free_port()
    settings = with_settings(runtime.settings, base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, runtime)
    app.config["DONEBOT_CLOCK"] = Clock(NOW)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def shot(tmp_path):
    """shot(page, name): save a full-page screenshot; returns its path."""
    def take(page, name):
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def open_page(browser):
    contexts = []

    def make(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page, live, email):
    """The way a person signs in: ask for a link, open it from the outbox, press the button."""
    page.goto(f"{live}/signin")
    page.fill("#email", email)
    page.click("text=Email me a sign-in link")
    page.wait_for_selector("text=Check your email")
    page.goto(f"{live}/dev/outbox")
    page.locator("pre a[href*='/signin/']").first.click()
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("text=What'd you get done today?")


def seeded_now():
    return NOW - datetime.timedelta(days=10)
