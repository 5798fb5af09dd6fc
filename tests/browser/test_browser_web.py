"""The web app in headless Chromium: what a member and an admin do, end to end."""
import datetime

import pytest

from core.models import Entry, Membership, OutboxMessage, User
from core.replies import record_reply
from core.teams import add_member, create_team
from tests.browser.conftest import FRIDAY, NOW, PHONE, seeded_now, sign_in

THURSDAY = FRIDAY - datetime.timedelta(days=1)


@pytest.fixture
def team(runtime):
    alpha = create_team("Alpha", slug="alpha", tz="Europe/London")
    ada = add_member(alpha, "ada@example.com", seeded_now(), name="Ada Lovelace", tz="Europe/London", role="admin")
    max_ = add_member(alpha, "max@example.com", seeded_now(), name="Max Planck", tz="America/New_York")
    return {"alpha": alpha, "ada": ada, "max": max_}


def test_sign_in_through_the_outbox_link(open_page, live, team, shot):
    page = open_page()
    page.goto(f"{live}/today")
    assert "/signin" in page.url  # a stranger is asked to sign in
    sign_in(page, live, "ada@example.com")
    assert page.url.endswith("/today")
    assert page.locator("header").inner_text().count("Ada Lovelace") == 1
    shot(page, "signed-in-today")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("text=Email me a sign-in link")


def test_add_an_entry(open_page, live, team, shot):
    page = open_page(PHONE)
    sign_in(page, live, "max@example.com")
    page.fill("#text", "- shipped the web app #web\n- <script>alert(1)</script>")
    page.click("button:has-text('Add')")
    page.wait_for_selector("text=Recorded 2 done")
    today = page.locator(f"#day-{FRIDAY.isoformat()}")
    assert "shipped the web app #web" in today.inner_text()
    assert "<script>alert(1)</script>" in today.inner_text()  # shown as text, never run
    assert Entry.select().count() == 2
    shot(page, "add-entry-phone")


def test_check_off_a_goal(open_page, live, team, shot):
    record_reply(team["ada"], THURSDAY, "[ ] write the upgrade notes", "email", "g1", NOW)
    page = open_page()
    sign_in(page, live, "ada@example.com")
    assert "write the upgrade notes" in page.locator("#goals").inner_text()
    page.click("button[aria-label='Check off: write the upgrade notes']")
    page.wait_for_selector("text=Goal done: recorded for today.")
    assert page.locator("#goals").count() == 0
    assert "write the upgrade notes" in page.locator(f"#day-{FRIDAY.isoformat()}").inner_text()
    shot(page, "goal-checked-off")


def test_open_yesterdays_digest(open_page, live, team, shot):
    record_reply(team["ada"], THURSDAY, "- shipped the importer #backend\n! waiting on keys", "email", "a1", NOW)
    record_reply(team["max"], THURSDAY, "- reviewed the importer #backend", "email", "m1", NOW)
    for viewport, name in ((None, "digest-desktop"), (PHONE, "digest-phone")):
        page = open_page(viewport) if viewport else open_page()
        sign_in(page, live, "max@example.com")
        page.click("header >> text=Digests")
        page.click("text=Alpha")
        page.click("a[rel=prev]")
        page.wait_for_selector(f"text={THURSDAY.strftime('%A, %B %-d, %Y')}")
        body = page.inner_text("main")
        assert "shipped the importer" in body and "reviewed the importer" in body
        assert page.locator("#participation svg rect").count() == 30
        shot(page, name)
    page.select_option("#person", label="Ada Lovelace")
    page.click("button:has-text('Filter')")
    assert "reviewed the importer" not in page.inner_text("main") and "shipped the importer" in page.inner_text("main")


def test_change_time_zone_and_see_the_preview_move(open_page, live, team, shot):
    page = open_page()
    sign_in(page, live, "ada@example.com")
    page.click("header >> text=Settings")
    first = page.locator("#team-alpha .preview li").first
    before = first.inner_text()
    assert before.startswith(FRIDAY.strftime("%a %b %-d, 17:00"))  # 10:00 in London: today's prompt is to come
    page.fill("#tz", "Asia/Tokyo")  # already 18:00 on Friday there: the next prompt is Monday's
    page.click("#profile button:has-text('Save')")
    page.wait_for_selector("text=Your prompts follow your new time zone")
    after = page.locator("#team-alpha .preview li").first.inner_text()
    assert after != before and after.startswith((FRIDAY + datetime.timedelta(days=3)).strftime("%a %b %-d, 17:00"))
    assert "08:00 UTC" in after
    assert User.get(User.email == "ada@example.com").tz == "Asia/Tokyo"
    shot(page, "settings-moved")


def test_admin_invites_a_member(open_page, live, team, shot):
    page = open_page()
    sign_in(page, live, "ada@example.com")
    page.click("header >> text=Admin")
    page.fill("#invite-email", "nia@example.com")
    page.fill("#invite-name", "Nia Newcomer")
    page.click("#invite button:has-text('Invite')")
    page.wait_for_selector("text=Added nia@example.com to Alpha.")
    assert "nia@example.com" in page.locator("#members").inner_text()
    assert Membership.select().join(User).where(User.email == "nia@example.com").exists()
    assert OutboxMessage.select().where(OutboxMessage.tag == "invite", OutboxMessage.to.contains("nia@")).exists()
    shot(page, "admin-invited")
    # And Nia can sign in with her own link.
    other = open_page(PHONE)
    sign_in(other, live, "nia@example.com")
    shot(other, "nia-today-phone")
