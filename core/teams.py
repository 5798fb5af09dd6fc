"""Creating teams and members, with the validation every entry point (CLI, web, Slack) shares."""
import re

from core.db import db
from core.dispatch import refresh_schedule
from core.models import ROLES, Membership, Team, User
from core.schedule import ScheduleError, format_workdays, parse_hhmm, parse_workdays, zone

_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_SLUG = re.compile(r"[^a-z0-9]+")


class InvalidInput(ValueError):
    """Input a person typed that cannot be used; the message says why."""


def normalize_email(email):
    address = (email or "").strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise InvalidInput(f"not an email address: {email!r}")
    return address


def slugify(name):
    return _SLUG.sub("-", (name or "").lower()).strip("-")[:60]


def create_team(name, slug=None, prompt_at="17:00", digest_at="09:00", tz="UTC"):
    name = (name or "").strip()
    if not name or len(name) > 200 or any(c in name for c in "\r\n"):
        raise InvalidInput("a team needs a one-line name of at most 200 characters")
    slug = slugify(slug or name)
    if not slug:
        raise InvalidInput(f"cannot make a slug from {name!r}; give one with letters or digits")
    _check_schedule(tz, prompt_at, digest_at, "12345")
    if Team.get_or_none(Team.slug == slug):
        raise InvalidInput(f"a team with slug {slug!r} already exists")
    return Team.create(name=name, slug=slug, default_prompt_at=prompt_at, default_digest_at=digest_at, default_tz=tz)


def find_team(slug_or_name):
    team = Team.get_or_none(Team.slug == slugify(slug_or_name)) or Team.get_or_none(Team.name == slug_or_name)
    if team is None:
        raise InvalidInput(f"unknown team: {slug_or_name!r}")
    return team


def _check_schedule(tz, prompt_at, digest_at, workdays):
    try:
        zone(tz)
        parse_hhmm(prompt_at)
        parse_hhmm(digest_at)
        return format_workdays(parse_workdays(workdays))
    except ScheduleError as error:
        raise InvalidInput(str(error)) from None


def add_member(team, email, now, name="", tz=None, prompt_at=None, digest_at=None, workdays="12345",
               role="member", preferred_channel="email"):
    """Add (or update) a person in a team and compute their first prompt and digest times."""
    email = normalize_email(email)
    name = (name or "").strip()
    if any(c in name for c in "\r\n") or len(name) > 200:
        raise InvalidInput("a name is one line of at most 200 characters")
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    tz = tz or team.default_tz
    prompt_at = prompt_at or team.default_prompt_at
    digest_at = digest_at or team.default_digest_at
    workdays = _check_schedule(tz, prompt_at, digest_at, workdays)
    with db.atomic():
        user = User.get_or_none(User.email == email)
        if user is None:
            user = User.create(email=email, name=name, tz=tz)
        else:
            moved_zone = user.tz != tz
            user.tz = tz
            user.name = name or user.name
            user.save()
            if moved_zone:  # the user's other teams ask at the same local hour in the new zone
                for other in Membership.select().where(Membership.user == user, Membership.team != team):
                    other.user = user
                    refresh_schedule(other, now)
        membership = Membership.get_or_none(Membership.user == user, Membership.team == team)
        if membership is None:
            membership = Membership(user=user, team=team)
        membership.role = role
        membership.prompt_at = parse_hhmm(prompt_at).strftime("%H:%M")
        membership.digest_at = parse_hhmm(digest_at).strftime("%H:%M")
        membership.workdays = workdays
        membership.preferred_channel = preferred_channel
        membership.user = user
        refresh_schedule(membership, now)
    return membership
