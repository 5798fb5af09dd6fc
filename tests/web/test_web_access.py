"""Every route, requested as a stranger, a member of another team, a member and an admin.

The table names each route by its Flask rule; test_every_route_is_in_the_table fails when a
route is added without saying who may use it.
"""
import datetime
import io
import uuid

import pytest

from channels.email.unsubscribe import unsubscribe_url
from core.models import OutboxMessage
from core.replies import record_reply
from tests.web.conftest import FRIDAY, csrf, last_link, post, sign_in

S, O, M, A = "stranger", "outsider", "member", "admin"
ROLES = {O: "olga", M: "max", A: "ada"}  # olga is in Beta only; max and ada are in Alpha


def everyone(status):
    return {S: status, O: status, M: status, A: status}


def signed_in(status, stranger):
    return {S: stranger, O: status, M: status, A: status}


TEAM_READ = {S: 302, O: 404, M: 200, A: 200}
OWN_ENTRY = {S: 401, O: 404, M: 302, A: 404}  # the entries are Max's: not even his admin may change them
ADMIN_POST = {S: 401, O: 404, M: 403, A: 302}
SCHEDULE = {"prompt_at": "17:00", "digest_at": "09:00", "workdays": ["1", "2"], "preferred_channel": "email"}

# (method, rule, path, form, expected status by role)
TABLE = [
    ("GET", "/", "/", None, {S: 200, O: 302, M: 302, A: 302}),
    ("GET", "/healthz", "/healthz", None, everyone(200)),
    ("GET", "/signin", "/signin", None, {S: 200, O: 302, M: 302, A: 302}),
    ("POST", "/signin", "/signin", {"email": "max@example.com"}, everyone(200)),
    ("GET", "/signin/<token>", "/signin/{token}", None, everyone(200)),
    ("POST", "/signin/<token>", "/signin/{token}", None, everyone(302)),
    ("POST", "/signout", "/signout", None, everyone(302)),
    ("GET", "/today", "/today", None, signed_in(200, 302)),
    ("POST", "/entries", "/entries", {"text": "- a thing", "ref": "{ref}"}, signed_in(302, 401)),
    ("GET", "/entries/<int:entry_id>/edit", "/entries/{entry}/edit", None, {S: 302, O: 404, M: 200, A: 404}),
    ("POST", "/entries/<int:entry_id>/edit", "/entries/{entry}/edit", {"text": "changed"}, OWN_ENTRY),
    ("POST", "/entries/<int:entry_id>/delete", "/entries/{entry}/delete", None, OWN_ENTRY),
    ("POST", "/goals/<int:entry_id>/done", "/goals/{goal}/done", None, OWN_ENTRY),
    ("GET", "/teams", "/teams", None, signed_in(200, 302)),
    ("GET", "/teams/<slug>", "/teams/alpha", None, {S: 302, O: 404, M: 302, A: 302}),
    ("GET", "/teams/<slug>/digest", "/teams/alpha/digest", None, TEAM_READ),
    ("GET", "/teams/<slug>/digest/<day>", "/teams/alpha/digest/{day}", None, TEAM_READ),
    ("GET", "/teams/<slug>/export.csv", "/teams/alpha/export.csv", None, TEAM_READ),
    ("GET", "/search", "/search?q=thing", None, signed_in(200, 302)),
    ("GET", "/settings", "/settings", None, signed_in(200, 302)),
    ("POST", "/settings/profile", "/settings/profile", {"tz": "UTC"}, signed_in(302, 401)),
    ("POST", "/settings/teams/<slug>", "/settings/teams/alpha", SCHEDULE, {S: 401, O: 404, M: 302, A: 302}),
    ("POST", "/settings/resubscribe", "/settings/resubscribe", None, signed_in(400, 401)),  # all are active
    ("GET", "/teams/<slug>/admin", "/teams/alpha/admin", None, {S: 302, O: 404, M: 403, A: 200}),
    ("POST", "/teams/<slug>/admin/team", "/teams/alpha/admin/team",
     {"name": "A", "default_tz": "UTC", "default_prompt_at": "17:00", "default_digest_at": "09:00"}, ADMIN_POST),
    ("POST", "/teams/<slug>/admin/invite", "/teams/alpha/admin/invite", {"email": "z@example.com"}, ADMIN_POST),
    ("POST", "/teams/<slug>/admin/members/<int:membership_id>/role", "/teams/alpha/admin/members/{max}/role",
     {"role": "admin"}, ADMIN_POST),
    ("POST", "/teams/<slug>/admin/members/<int:membership_id>/remove", "/teams/alpha/admin/members/{max}/remove",
     None, ADMIN_POST),
    ("POST", "/teams/<slug>/admin/import", "/teams/alpha/admin/import", "upload", {S: 401, O: 404, M: 403, A: 200}),
    # The dev outbox exists only with the outbox sender (never with Postmark): it is for trying donebot out.
    ("GET", "/dev/outbox", "/dev/outbox", None, everyone(200)),
    ("GET", "/dev/outbox/<int:message_id>.html", "/dev/outbox/{outbox}.html", None, everyone(200)),
    ("POST", "/dev/outbox/<int:message_id>/reply", "/dev/outbox/{outbox}/reply", {"text": "- hi"}, everyone(302)),
    # Signed links: the token is the authority, whoever holds it.
    ("GET", "/unsubscribe/<token>", "{unsubscribe}", None, everyone(200)),
    ("POST", "/unsubscribe/<token>", "{unsubscribe}", None, everyone(200)),
    ("POST", "/unsubscribe/<token>/undo", "{unsubscribe}/undo", None, everyone(200)),
]
# Machine endpoints authenticate with HTTP basic auth or signatures; their own tests cover them.
ELSEWHERE = {"/static/<path:filename>", "/webhooks/postmark/inbound", "/webhooks/inbound/mime",
             "/webhooks/postmark/events"}


def test_every_route_is_in_the_table(web):
    covered = {(method, rule) for method, rule, *_ in TABLE}
    for rule in web.url_map.iter_rules():
        if rule.rule in ELSEWHERE or rule.rule.startswith("/slack/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in covered, f"{method} {rule.rule} is not in the access table"


@pytest.mark.parametrize("role", [S, O, M, A])
@pytest.mark.parametrize("method,rule,path,form,expected", TABLE, ids=[f"{m} {r}" for m, r, *_ in TABLE])
def test_route_access(web, world, clock, role, method, rule, path, form, expected):
    entry = record_reply(world["max"], FRIDAY, "- max's thing", "email", "m1", clock.now).entries[0]
    goal = record_reply(world["max"], FRIDAY, "[ ] max's goal", "email", "m2", clock.now).entries[0]
    # A sign-in link for Max, asked for by someone else's browser.
    post(web.test_client(), "/signin", {"email": "max@example.com"})
    token = last_link("max@example.com").rsplit("/", 1)[1]
    outbox = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    client = web.test_client()
    if role != S:
        sign_in(client, world[ROLES[role]].user.email)
    values = {"token": token, "entry": entry.id, "goal": goal.id, "day": (FRIDAY - datetime.timedelta(days=1)),
              "max": world["max"].id, "outbox": outbox.id, "ref": uuid.uuid4().hex,
              "unsubscribe": unsubscribe_url(web.extensions["donebot"].settings, world["max"].user_id)
              .removeprefix("http://donebot.test")}
    url = path.format(**values)
    if method == "GET":
        response = client.get(url)
    elif form == "upload":
        upload = b"user_email_address,status,body,occurred_on,completed_on,created_at\n"
        response = post(client, url, {"file": (io.BytesIO(upload), "x.csv")}, content_type="multipart/form-data")
    else:
        data = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in (form or {}).items()}
        response = post(client, url, data)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]
    if role == S and response.status_code == 302 and expected[M] != 302:
        assert "/signin?next=" in response.headers["Location"]


def test_posts_without_csrf_are_refused_for_everyone(web, world):
    client = sign_in(web.test_client(), "ada@example.com")
    csrf(client)
    for path, data in [("/entries", {"text": "x", "ref": uuid.uuid4().hex}), ("/settings/profile", {"tz": "UTC"}),
                       ("/teams/alpha/admin/invite", {"email": "q@example.com"}), ("/signout", {})]:
        response = client.post(path, data=data)
        assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True), path
