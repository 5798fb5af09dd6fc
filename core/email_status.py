"""Whether email reaches a person: suppression after bounces, complaints and unsubscribes."""
from core.db import db
from core.models import EMAIL_STATUSES, Identity, Membership, User


def set_email_status(user, status):
    """Record a new email status. When email stops reaching someone who has a linked Slack
    identity, their memberships move to Slack so they keep being asked. Returns True if it changed."""
    if status not in EMAIL_STATUSES:
        raise ValueError(f"unknown email status {status!r}")
    with db.atomic():
        changed = User.update(email_status=status).where(User.id == user.id, User.email_status != status).execute()
        if changed and status != "active":
            has_slack = Identity.select().where(Identity.user == user.id, Identity.channel == "slack").exists()
            if has_slack:
                Membership.update(preferred_channel="slack").where(
                    Membership.user == user.id, Membership.preferred_channel == "email"
                ).execute()
    user.email_status = status
    return bool(changed)


def not_receiving(team=None):
    """People whose email status stops mail, with the teams they are in: [(user, [team slugs])]."""
    query = (
        Membership.select(Membership, User)
        .join(User)
        .where(User.email_status != "active")
        .order_by(User.email)
    )
    if team is not None:
        query = query.where(Membership.team == team)
    people = {}
    for membership in query:
        entry = people.setdefault(membership.user.id, (membership.user, []))
        entry[1].append(membership.team.slug)
    return list(people.values())
