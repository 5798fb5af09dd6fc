"""Sign-in by emailed link: single use, 15 minutes, 5 links per address per hour, sign-out."""
import pytest

from bot.web.models import SignInLink
from core.models import OutboxMessage
from tests.web.conftest import csrf, last_link, post, sign_in


def test_sign_in_through_the_outbox_link(web, world):
    client = web.test_client()
    assert client.get("/today").status_code == 302  # a stranger is sent to sign in
    response = post(client, "/signin", {"email": "  ADA@example.com ", "next": "/settings"})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    [message] = OutboxMessage.select()
    assert "ada@example.com" in message.to and message.delivery_id is None and message.tag == "signin"
    path = last_link("ada@example.com")
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Sign in as ada@example.com" in confirm.get_data(as_text=True)
    assert client.get("/today").status_code == 302  # opening the link alone signs nobody in
    response = post(client, path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings")
    assert "Ada Lovelace" in client.get("/today").get_data(as_text=True)
    # The link is stored only as a hash.
    assert path.rsplit("/", 1)[1] not in {link.token_hash for link in SignInLink.select()}


def test_a_link_works_once(web, world):
    client = sign_in(web.test_client(), "ada@example.com")
    path = last_link("ada@example.com")
    other = web.test_client()
    assert other.get(path).status_code == 410
    response = post(other, path)
    assert response.status_code == 410 and "used already" in response.get_data(as_text=True)
    assert other.get("/today").status_code == 302
    assert client.get("/today").status_code == 200


def test_a_link_expires_after_15_minutes(web, world, clock):
    client = web.test_client()
    post(client, "/signin", {"email": "ada@example.com"})
    path = last_link("ada@example.com")
    clock.advance(minutes=15, seconds=1)
    response = post(client, path)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert client.get("/today").status_code == 302


def test_five_links_per_address_per_hour(web, world, clock):
    client = web.test_client()
    for _ in range(5):
        assert post(client, "/signin", {"email": "max@example.com"}).status_code == 200
    response = post(client, "/signin", {"email": "max@example.com"})
    assert response.status_code == 429 and "last hour" in response.get_data(as_text=True)
    assert OutboxMessage.select().count() == 5
    assert post(client, "/signin", {"email": "ada@example.com"}).status_code == 200  # per address
    clock.advance(hours=1, seconds=1)
    assert post(client, "/signin", {"email": "max@example.com"}).status_code == 200


def test_unknown_address_gets_the_same_answer_and_no_mail(web, world):
    client = web.test_client()
    response = post(client, "/signin", {"email": "nobody@example.com"})
    assert response.status_code == 200 and "If nobody@example.com belongs" in response.get_data(as_text=True)
    assert OutboxMessage.select().count() == 0
    for _ in range(4):
        post(client, "/signin", {"email": "nobody@example.com"})
    assert post(client, "/signin", {"email": "nobody@example.com"}).status_code == 429  # like a real address


@pytest.mark.parametrize("form,status,reason", [
    ({"email": "not an address"}, 400, "not an email address"),
    ({"email": ""}, 400, "not an email address"),
    ({"email": "a@b.c" * 100}, 400, "not an email address"),
])
def test_sign_in_form_rejects_bad_input(web, world, form, status, reason):
    client = web.test_client()
    response = post(client, "/signin", form)
    assert response.status_code == status and reason in response.get_data(as_text=True)
    assert SignInLink.select().count() == 0


def test_sign_in_needs_csrf(web, world):
    client = web.test_client()
    response = client.post("/signin", data={"email": "ada@example.com"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert SignInLink.select().count() == 0


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 200])
def test_forged_links_are_404(web, world, token):
    client = web.test_client()
    assert client.get(f"/signin/{token}").status_code == 404
    assert post(client, f"/signin/{token}").status_code == 404


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_next_never_leaves_the_site(web, world, next_path):
    client = web.test_client()
    post(client, "/signin", {"email": "ada@example.com", "next": next_path})
    response = post(client, last_link("ada@example.com"))
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_sign_out(web, world):
    client = sign_in(web.test_client(), "ada@example.com")
    token = csrf(client)
    response = client.post("/signout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/today").status_code == 302


def test_session_cookie_flags(web, world):
    client = web.test_client()
    post(client, "/signin", {"email": "ada@example.com"})
    response = post(client, last_link("ada@example.com"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_removed_person_is_signed_out(web, world):
    client = sign_in(web.test_client(), "max@example.com")
    world["max"].user.delete_instance()
    assert client.get("/today").status_code == 302
