"""Linking outside accounts (a Slack user, ...) to donebot users: channel-agnostic."""
from peewee import IntegrityError

from core.db import db
from core.models import Identity, User


def link_identity(user, channel, external_id):
    """Record that `external_id` on `channel` is `user`. Idempotent; a concurrent link wins quietly.
    An identity already linked to someone else is moved to `user` (the outside account says who it is)."""
    external_id = str(external_id)
    try:
        with db.atomic():
            identity, created = Identity.get_or_create(channel=channel, external_id=external_id,
                                                       defaults={"user": user})
    except IntegrityError:
        identity, created = Identity.get(Identity.channel == channel, Identity.external_id == external_id), False
    if not created and identity.user_id != user.id:
        Identity.update(user=user).where(Identity.id == identity.id).execute()
    return identity


def user_for_identity(channel, external_id):
    identity = Identity.select(Identity, User).join(User).where(
        Identity.channel == channel, Identity.external_id == str(external_id)).first()
    return identity.user if identity else None
