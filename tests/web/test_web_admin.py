"""Team admin: invite, roles, removal, team name and defaults, who is not receiving mail."""
import pytest

from core.models import Membership, OutboxMessage, Team, User
from tests.web.conftest import post


def test_admin_page(as_user, world):
    User.update(email_status="bounced").where(User.id == world["max"].user_id).execute()
    page = as_user("ada").get("/teams/alpha/admin").get_data(as_text=True)
    assert "max@example.com" in page and "Olga" not in page
    not_receiving = page.split('id="not-receiving"', 1)[1].split('class="card"', 1)[0]
    assert "max@example.com" in not_receiving and "bounced" in not_receiving


def test_invite_adds_a_member_and_emails_them(as_user, world):
    ada = as_user("ada")
    response = post(ada, "/teams/alpha/admin/invite", {"email": "New.Person@Example.com", "name": "Nia", "role": "member"})
    assert response.status_code == 302
    member = Membership.select().join(User).where(User.email == "new.person@example.com").get()
    assert (member.team.slug, member.role, member.user.tz, member.prompt_at) == ("alpha", "member", "Europe/London", "17:00")
    assert member.next_prompt_at is not None
    invite = OutboxMessage.get(OutboxMessage.tag == "invite")
    assert "new.person@example.com" in invite.to and "Ada Lovelace added you to Alpha" in invite.subject
    assert "http://donebot.test/signin" in invite.text_body


def test_inviting_someone_who_uses_donebot_keeps_their_zone(as_user, world):
    post(as_user("ada"), "/teams/alpha/admin/invite", {"email": "olga@example.com", "role": "member"})
    assert User.get(User.email == "olga@example.com").tz == "Asia/Tokyo"
    assert Membership.select().join(User).where(User.email == "olga@example.com").count() == 2


@pytest.mark.parametrize("form,reason", [
    ({"email": "not-an-email"}, "not an email address"),
    ({"email": ""}, "not an email address"),
    ({"email": "max@example.com"}, "in Alpha already"),
    ({"email": "z@example.com", "role": "owner"}, "role must be one of"),
    ({"email": "z@example.com", "name": "two\nlines"}, "one line"),
])
def test_invite_rejects_bad_input(as_user, world, form, reason):
    response = post(as_user("ada"), "/teams/alpha/admin/invite", {"role": "member", **form})
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert Membership.select().count() == 3 and OutboxMessage.select().where(OutboxMessage.tag == "invite").count() == 0


def test_change_role_and_keep_one_admin(as_user, world):
    ada = as_user("ada")
    max_id, ada_id = world["max"].id, world["ada"].id
    response = post(ada, f"/teams/alpha/admin/members/{ada_id}/role", {"role": "member"})
    assert response.status_code == 400 and "at least one admin" in response.get_data(as_text=True)
    assert post(ada, f"/teams/alpha/admin/members/{max_id}/role", {"role": "admin"}).status_code == 302
    assert Membership.get_by_id(max_id).role == "admin"
    assert post(ada, f"/teams/alpha/admin/members/{ada_id}/role", {"role": "member"}).status_code == 302
    assert Membership.get_by_id(ada_id).role == "member"
    assert ada.get("/teams/alpha/admin").status_code == 403  # no longer an admin


@pytest.mark.parametrize("role", ["", "owner", "ADMIN"])
def test_change_role_rejects_bad_roles(as_user, world, role):
    response = post(as_user("ada"), f"/teams/alpha/admin/members/{world['max'].id}/role", {"role": role})
    assert response.status_code == 400 and Membership.get_by_id(world["max"].id).role == "member"


def test_remove_member(as_user, world):
    ada = as_user("ada")
    assert post(ada, f"/teams/alpha/admin/members/{world['max'].id}/remove").status_code == 302
    assert not Membership.select().where(Membership.id == world["max"].id).exists()
    response = post(ada, f"/teams/alpha/admin/members/{world['ada'].id}/remove")
    assert response.status_code == 400 and "at least one admin" in response.get_data(as_text=True)


def test_members_of_other_teams_cannot_be_changed_through_mine(as_user, world):
    ada = as_user("ada")
    olga_id = world["olga"].id
    assert post(ada, f"/teams/alpha/admin/members/{olga_id}/role", {"role": "member"}).status_code == 404
    assert post(ada, f"/teams/alpha/admin/members/{olga_id}/remove").status_code == 404
    assert Membership.get_by_id(olga_id).role == "admin"


def test_team_name_and_defaults(as_user, world):
    response = post(as_user("ada"), "/teams/alpha/admin/team", {
        "name": "Alpha <Squad>", "default_tz": "America/Chicago", "default_prompt_at": "16:30",
        "default_digest_at": "8:00"})
    assert response.status_code == 302
    team = Team.get(Team.slug == "alpha")
    assert (team.name, team.default_tz, team.default_prompt_at, team.default_digest_at) == \
        ("Alpha <Squad>", "America/Chicago", "16:30", "08:00")
    page = as_user("max").get("/teams/alpha/digest").get_data(as_text=True)
    assert "Alpha &lt;Squad&gt;" in page


@pytest.mark.parametrize("changes,reason", [
    ({"name": ""}, "name is required"),
    ({"name": "x" * 201}, "at most 200"),
    ({"default_tz": "Nowhere/Land"}, "unknown time zone"),
    ({"default_prompt_at": "24:00"}, "malformed time"),
    ({"default_digest_at": ""}, "malformed time"),
])
def test_team_form_rejects_bad_input(as_user, world, changes, reason):
    form = {"name": "Alpha 2", "default_tz": "UTC", "default_prompt_at": "17:00", "default_digest_at": "09:00", **changes}
    response = post(as_user("ada"), "/teams/alpha/admin/team", form)
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
    assert Team.get(Team.slug == "alpha").name == "Alpha"


def test_names_are_escaped_in_script_attributes_too(as_user, world):
    Team.update(name="x');alert(1);('\" <b>").where(Team.slug == "alpha").execute()
    page = as_user("ada").get("/teams/alpha/admin").get_data(as_text=True)
    assert "alert(1);('" not in page and "<b>" not in page
