"""Who a Slack user is in donebot: linked by the email users.info gives; a new person joins the
workspace's team. Also which membership a Slack message is for, and Slack text -> plain text."""
import datetime
import html
import logging
import re

from peewee import IntegrityError
from slack_sdk.errors import SlackApiError

from channels.slack.api import call
from channels.slack.models import ACTIVE, SlackUser, SlackWorkspace
from core.db import db
from core.identities import link_identity
from core.models import Delivery, Membership, Team, User
from core.schedule import ScheduleError, local_date_of, zone
from core.teams import InvalidInput, add_member, create_team, find_team, normalize_email, slugify

log = logging.getLogger(__name__)
CHANNEL = "slack"


class NotLinked(Exception):
    """This Slack user cannot be linked; the message is for them."""


def workspace(team_id, name=""):
    row, _ = SlackWorkspace.get_or_create(team_id=team_id, defaults={"name": name})
    return row


def _workspace_name(client):
    try:
        return client.auth_test().get("team") or ""
    except SlackApiError:
        return ""


def workspace_team(team_id, settings, client=None):
    """The donebot team new people from this workspace join: the workspace's own setting,
    else SLACK_DEFAULT_TEAM, else a team made for (and named after) the workspace on first use."""
    row = workspace(team_id)
    if row.donebot_team_id:
        return row.team
    if settings.slack_default_team:
        team = find_team(settings.slack_default_team)
    else:
        name = row.name or (_workspace_name(client) if client else "")
        base = slugify(name) or team_id.lower()
        slug, n = base, 1
        while Team.select().where(Team.slug == slug).exists():
            n += 1
            slug = f"{base}-{n}"
        team = create_team(name or f"Slack {team_id}", slug=slug)
    SlackWorkspace.update(team=team).where(SlackWorkspace.id == row.id, SlackWorkspace.team.is_null()).execute()
    return SlackWorkspace.get_by_id(row.id).team


def find(team_id, slack_user_id):
    return (SlackUser.select(SlackUser, User).join(User)
            .where(SlackUser.team_id == team_id, SlackUser.slack_user_id == slack_user_id).first())


def _valid_tz(name, fallback):
    try:
        zone(name)
        return name
    except ScheduleError:
        return fallback


def link(client, team_id, slack_user_id, settings, now, sleep=None):
    """The SlackUser for this Slack account, linking it (users.info -> email) on first sight."""
    known = find(team_id, slack_user_id)
    if known is not None:
        if known.status != ACTIVE:  # they are talking to us: the account is active again
            SlackUser.update(status=ACTIVE, updated_at=now).where(SlackUser.id == known.id).execute()
            known.status = ACTIVE
        return known
    try:
        kwargs = {"sleep": sleep} if sleep else {}
        info = call(client.users_info, user=slack_user_id, **kwargs)["user"]
    except SlackApiError as error:
        log.warning("users.info for %s failed: %s", slack_user_id, error)
        raise NotLinked("I couldn't look up your Slack profile just now. Please try again in a minute.") from None
    if info.get("is_bot") or info.get("deleted"):
        raise NotLinked("donebot only keeps track for people.")
    profile = info.get("profile") or {}
    try:
        email = normalize_email(profile.get("email"))
    except InvalidInput:
        raise NotLinked("Your Slack profile shows no email address, so I can't link you to donebot. "
                        "Ask an admin to add you by email.") from None
    # one line: a profile name is shown in headers and core refuses line breaks in names
    name = " ".join(str(profile.get("real_name") or info.get("real_name") or "").split())[:200]
    with db.atomic():
        user = User.get_or_none(User.email == email)
        if user is None or not Membership.select().where(Membership.user == user).exists():
            team = workspace_team(team_id, settings, client)
            tz = _valid_tz(info.get("tz") or "", user.tz if user else team.default_tz)
            add_member(team, email, now, name=name or (user.name if user else ""), tz=tz,
                       preferred_channel=CHANNEL)
            user = User.get(User.email == email)
        try:
            with db.atomic():
                account = SlackUser.create(team_id=team_id, slack_user_id=slack_user_id, user=user,
                                           tz=info.get("tz") or "", updated_at=now)
        except IntegrityError:  # linked a moment ago by another request
            account = find(team_id, slack_user_id)
        link_identity(user, CHANNEL, account.external_id)
    account.user = user
    return account


def link_by_email(client, team_id, user, now):
    """users.lookupByEmail for someone who prefers Slack but never wrote to the bot. None if not found."""
    try:
        info = call(client.users_lookupByEmail, email=user.email)["user"]
    except SlackApiError:
        return None
    account = find(team_id, info["id"])
    if account is None:
        try:
            with db.atomic():
                account = SlackUser.create(team_id=team_id, slack_user_id=info["id"], user=user,
                                           tz=info.get("tz") or "", updated_at=now)
        except IntegrityError:
            account = find(team_id, info["id"])
        link_identity(user, CHANNEL, account.external_id)
    return account


def membership_for(user, team_id=None):
    """Which of this person's memberships a Slack message is for: the workspace's team, else the team
    whose prompt reached them last, else their first."""
    members = list(Membership.select(Membership, Team).join(Team).where(Membership.user == user)
                   .order_by(Membership.id))
    if len(members) <= 1:
        return members[0] if members else None
    if team_id:
        row = SlackWorkspace.get_or_none(SlackWorkspace.team_id == team_id)
        for member in members:
            if row is not None and member.team_id == row.donebot_team_id:
                return member
    last = (Delivery.select(Delivery.membership).where(Delivery.membership.in_([m.id for m in members]),
                                                       Delivery.kind == "prompt", Delivery.state == "sent")
            .order_by(Delivery.local_date.desc(), Delivery.id.desc()).first())
    if last is not None:
        return next(m for m in members if m.id == last.membership_id)
    return members[0]


def local_today(user, now):
    return local_date_of(now, user.tz)


def ts_instant(ts):
    """A Slack ts ("1665102338.901939") -> naive UTC datetime."""
    return datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc).replace(tzinfo=None)


_SPECIAL = re.compile(r"<([^<>]*)>")


def plain_text(text):
    """Slack's message markup -> the plain text donebot stores: <@U1|ann> -> @ann, <!channel> -> @channel,
    <http://x|label> -> label (http://x), <#C1|general> -> #general, and &amp; &lt; &gt; unescaped."""
    def replace(match):
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return f"{label} ({target})" if label and label != target else target
    return html.unescape(_SPECIAL.sub(replace, text or ""))
