"""The first schema. A frozen copy of the models as they were: later changes go in new files."""
import datetime

from peewee import (
    BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField,
)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Team(Base):
        name = CharField()
        slug = CharField(unique=True)
        default_prompt_at = CharField(default="17:00")
        default_digest_at = CharField(default="09:00")
        default_tz = CharField(default="UTC")
        created_at = DateTimeField(default=_now)

    class User(Base):
        email = CharField(unique=True)
        name = CharField(default="")
        tz = CharField(default="UTC")
        email_status = CharField(default="active")
        created_at = DateTimeField(default=_now)

    class Membership(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        team = ForeignKeyField(Team, on_delete="CASCADE")
        role = CharField(default="member")
        prompt_at = CharField(default="17:00")
        digest_at = CharField(default="09:00")
        workdays = CharField(default="12345")
        paused_until = DateField(null=True)
        preferred_channel = CharField(default="email")
        receipts = BooleanField(default=False)
        next_prompt_at = DateTimeField(null=True, index=True)
        next_digest_at = DateTimeField(null=True, index=True)
        created_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("user", "team"), True),)

    class Identity(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        channel = CharField()
        external_id = CharField()

        class Meta:
            indexes = ((("channel", "external_id"), True),)

    class Reply(Base):
        membership = ForeignKeyField(Membership, on_delete="CASCADE")
        local_date = DateField()
        source = CharField()
        source_ref = CharField()
        text = TextField()
        created_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("source", "source_ref"), True), (("membership", "local_date"), False))

    class Entry(Base):
        membership = ForeignKeyField(Membership, on_delete="CASCADE")
        reply = ForeignKeyField(Reply, null=True, on_delete="CASCADE")
        local_date = DateField()
        kind = CharField()
        text = TextField()
        tags = TextField(default="")
        mentions = TextField(default="")
        position = IntegerField(default=0)
        completed_at = DateTimeField(null=True)
        created_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("membership", "local_date"), False), (("kind", "completed_at"), False))

    class EntryTerm(Base):
        entry = ForeignKeyField(Entry, on_delete="CASCADE")
        kind = CharField()
        value = CharField()

        class Meta:
            indexes = ((("kind", "value"), False),)

    class Delivery(Base):
        membership = ForeignKeyField(Membership, on_delete="CASCADE")
        kind = CharField()
        channel = CharField()
        local_date = DateField()
        state = CharField(default="queued")
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(default=_now)
        claimed_by = CharField(null=True)
        claimed_at = DateTimeField(null=True)
        provider_message_id = CharField(null=True)
        last_error = TextField(null=True)
        created_at = DateTimeField(default=_now)
        updated_at = DateTimeField(default=_now)

        class Meta:
            indexes = (
                (("membership", "kind", "channel", "local_date"), True),
                (("state", "next_attempt_at"), False),
            )

    class InboundMessage(Base):
        provider = CharField()
        provider_message_id = CharField()
        payload = TextField()
        state = CharField(default="received")
        error = TextField(null=True)
        membership = ForeignKeyField(Membership, null=True, on_delete="SET NULL")
        reply = ForeignKeyField(Reply, null=True, on_delete="SET NULL")
        entry_count = IntegerField(default=0)
        received_at = DateTimeField(default=_now)
        processed_at = DateTimeField(null=True)

        class Meta:
            indexes = ((("provider", "provider_message_id"), True), (("state", "received_at"), False))

    class OutboxMessage(Base):
        delivery = ForeignKeyField(Delivery, null=True, unique=True, on_delete="SET NULL")
        to = CharField()
        sender = CharField()
        reply_to = CharField(default="")
        subject = CharField()
        text_body = TextField()
        html_body = TextField(default="")
        headers = TextField(default="{}")
        tag = CharField(default="")
        created_at = DateTimeField(default=_now)

    db.create_tables([Team, User, Membership, Identity, Reply, Entry, EntryTerm, Delivery,
                      InboundMessage, OutboxMessage])
