"""Slack's tables: installations and OAuth state (multi-workspace), workspaces, linked Slack
accounts (DM channel, inactive flag) and team-channel digest posts. A frozen copy, like 0001."""
import datetime

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, Model, TextField


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _tables(db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Team(Base):  # exists (0001); declared only to point foreign keys at it
        name = CharField()

    class User(Base):  # exists (0001)
        email = CharField()

    class SlackInstallation(Base):
        client_id = CharField(default="")
        app_id = CharField(default="")
        enterprise_id = CharField(null=True)
        team_id = CharField(null=True)
        user_id = CharField(default="")
        is_enterprise_install = BooleanField(default=False)
        data = TextField()
        installed_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("client_id", "enterprise_id", "team_id", "installed_at"), False),)

    class SlackBot(Base):
        client_id = CharField(default="")
        enterprise_id = CharField(null=True)
        team_id = CharField(null=True)
        is_enterprise_install = BooleanField(default=False)
        data = TextField()
        installed_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("client_id", "enterprise_id", "team_id", "installed_at"), False),)

    class SlackOAuthState(Base):
        state = CharField(unique=True)
        expire_at = DateTimeField()

    class SlackWorkspace(Base):
        team_id = CharField(unique=True)
        name = CharField(default="")
        team = ForeignKeyField(Team, null=True, on_delete="SET NULL", column_name="donebot_team_id",
                           object_id_name="donebot_team_id")
        digest_channel = CharField(default="")
        active = BooleanField(default=True)
        created_at = DateTimeField(default=_now)

    class SlackUser(Base):
        team_id = CharField()
        slack_user_id = CharField()
        user = ForeignKeyField(User, on_delete="CASCADE", index=True)
        dm_channel = CharField(null=True)
        status = CharField(default="active")
        tz = CharField(default="")
        updated_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("team_id", "slack_user_id"), True),)

    class SlackChannelPost(Base):
        team = ForeignKeyField(Team, on_delete="CASCADE")
        local_date = DateField()
        channel = CharField()
        ts = CharField(null=True)
        created_at = DateTimeField(default=_now)

        class Meta:
            indexes = ((("team", "local_date", "channel"), True),)

    return [SlackInstallation, SlackBot, SlackOAuthState, SlackWorkspace, SlackUser, SlackChannelPost]


def up(migrator, db):
    db.create_tables(_tables(db))


def down(migrator, db):
    db.drop_tables(list(reversed(_tables(db))))
