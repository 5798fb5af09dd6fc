"""donebot's tables. Times are naive UTC datetimes; local dates are plain dates.

The schema itself is created by the numbered migrations in core/migrations/;
these classes must match the latest one.
"""
import datetime

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from core.db import db

DEFAULT_WORKDAYS = "12345"  # ISO weekdays, Monday = 1

EMAIL_STATUSES = ("active", "bounced", "complained", "unsubscribed")
ROLES = ("member", "admin")
ENTRY_KINDS = ("done", "goal", "blocker")
DELIVERY_KINDS = ("prompt", "digest", "receipt", "nudge")
DELIVERY_STATES = ("queued", "sending", "sent", "failed", "unknown", "skipped")


def utcnow():
    """Naive UTC now: the one place models read the clock, only for audit defaults."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Team(BaseModel):
    name = CharField()
    slug = CharField(unique=True)
    # Defaults given to new members; each membership keeps its own copy.
    default_prompt_at = CharField(default="17:00")
    default_digest_at = CharField(default="09:00")
    default_tz = CharField(default="UTC")
    created_at = DateTimeField(default=utcnow)


class User(BaseModel):
    email = CharField(unique=True)  # stored lower-cased
    name = CharField(default="")
    tz = CharField(default="UTC")
    email_status = CharField(default="active")
    created_at = DateTimeField(default=utcnow)

    @property
    def display_name(self):
        return self.name or self.email.split("@", 1)[0]


class Membership(BaseModel):
    """The unit that is prompted: one person in one team, with their schedule."""

    user = ForeignKeyField(User, backref="memberships", on_delete="CASCADE", index=False)  # (user, team) leads
    team = ForeignKeyField(Team, backref="memberships", on_delete="CASCADE")
    role = CharField(default="member")
    prompt_at = CharField(default="17:00")  # local HH:MM
    digest_at = CharField(default="09:00")  # local HH:MM
    workdays = CharField(default=DEFAULT_WORKDAYS)
    paused_until = DateField(null=True)  # inclusive: no prompts or digests through this date
    preferred_channel = CharField(default="email")
    receipts = BooleanField(default=False)
    next_prompt_at = DateTimeField(null=True, index=True)
    next_digest_at = DateTimeField(null=True, index=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "team"), True),)


class Identity(BaseModel):
    """How an outside account (a Slack user, an email address) maps to a user."""

    user = ForeignKeyField(User, backref="identities", on_delete="CASCADE")
    channel = CharField()
    external_id = CharField()

    class Meta:
        indexes = ((("channel", "external_id"), True),)


class Reply(BaseModel):
    """One answer as it arrived; idempotent on (source, source_ref)."""

    membership = ForeignKeyField(Membership, backref="replies", on_delete="CASCADE")
    local_date = DateField()
    source = CharField()  # email, slack, web, cli
    source_ref = CharField()  # the source's own message id
    text = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("source", "source_ref"), True), (("membership", "local_date"), False))


class Entry(BaseModel):
    membership = ForeignKeyField(Membership, backref="entries", on_delete="CASCADE", index=False)
    reply = ForeignKeyField(Reply, backref="entries", null=True, on_delete="CASCADE")
    local_date = DateField()
    kind = CharField()  # done, goal, blocker
    text = TextField()
    tags = TextField(default="")  # space-separated, lower-cased, without '#'
    mentions = TextField(default="")  # space-separated, lower-cased, without '@'
    position = IntegerField(default=0)
    completed_at = DateTimeField(null=True)  # goals only: when a [x] closed it
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("membership", "local_date"), False), (("kind", "completed_at"), False))

    @property
    def tag_list(self):
        return self.tags.split() if self.tags else []


class EntryTerm(BaseModel):
    """The #tags and @mentions of entries, one row each, so they can be searched by index."""

    entry = ForeignKeyField(Entry, backref="terms", on_delete="CASCADE")
    kind = CharField()  # tag, mention
    value = CharField()

    class Meta:
        indexes = ((("kind", "value"), False),)


class Delivery(BaseModel):
    """The ledger: one row per message we owe someone. See core/ledger.py for the states."""

    membership = ForeignKeyField(Membership, backref="deliveries", on_delete="CASCADE", index=False)
    kind = CharField()
    channel = CharField()
    local_date = DateField()
    state = CharField(default="queued")
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    claimed_by = CharField(null=True)
    claimed_at = DateTimeField(null=True)
    provider_message_id = CharField(null=True)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("membership", "kind", "channel", "local_date"), True),
            (("state", "next_attempt_at"), False),
        )


class InboundMessage(BaseModel):
    """Everything that arrives is stored here before it is parsed."""

    provider = CharField()
    provider_message_id = CharField()
    payload = TextField()
    state = CharField(default="received")  # received, processed, rejected, auto_reply, failed
    error = TextField(null=True)
    membership = ForeignKeyField(Membership, null=True, on_delete="SET NULL")
    reply = ForeignKeyField(Reply, null=True, on_delete="SET NULL")
    entry_count = IntegerField(default=0)
    received_at = DateTimeField(default=utcnow)
    processed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("provider", "provider_message_id"), True), (("state", "received_at"), False))


class OutboxMessage(BaseModel):
    """Email kept instead of sent, when no Postmark token is configured (shown at /dev/outbox)."""

    delivery = ForeignKeyField(Delivery, null=True, unique=True, on_delete="SET NULL")
    to = CharField()
    sender = CharField()
    reply_to = CharField(default="")
    subject = CharField()
    text_body = TextField()
    html_body = TextField(default="")
    headers = TextField(default="{}")  # JSON
    tag = CharField(default="")
    created_at = DateTimeField(default=utcnow)


ALL_MODELS = [Team, User, Membership, Identity, Reply, Entry, EntryTerm, Delivery, InboundMessage, OutboxMessage]
