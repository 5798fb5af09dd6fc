"""Slack's own tables (created by core/migrations/0002_slack.py; these classes must match it)."""
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from core.models import BaseModel, Team, User, utcnow

ACTIVE, INACTIVE = "active", "inactive"


class SlackInstallation(BaseModel):
    """One OAuth install (kept as history; the latest row wins), as slack_sdk's Installation dict."""

    client_id = CharField(default="")
    app_id = CharField(default="")
    enterprise_id = CharField(null=True)
    team_id = CharField(null=True)
    user_id = CharField(default="")
    is_enterprise_install = BooleanField(default=False)
    data = TextField()  # JSON of Installation.to_dict()
    installed_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("client_id", "enterprise_id", "team_id", "installed_at"), False),)


class SlackBot(BaseModel):
    """The bot token of an install; deleted when the workspace uninstalls or revokes it."""

    client_id = CharField(default="")
    enterprise_id = CharField(null=True)
    team_id = CharField(null=True)
    is_enterprise_install = BooleanField(default=False)
    data = TextField()  # JSON of Bot.to_dict()
    installed_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("client_id", "enterprise_id", "team_id", "installed_at"), False),)


class SlackOAuthState(BaseModel):
    state = CharField(unique=True)
    expire_at = DateTimeField()


class SlackWorkspace(BaseModel):
    """A Slack workspace donebot talks to, and the donebot team its new users join."""

    team_id = CharField(unique=True)
    name = CharField(default="")
    team = ForeignKeyField(Team, null=True, on_delete="SET NULL", column_name="donebot_team_id",
                           object_id_name="donebot_team_id")
    digest_channel = CharField(default="")
    active = BooleanField(default=True)  # False once the app was uninstalled
    created_at = DateTimeField(default=utcnow)


class SlackUser(BaseModel):
    """A Slack account linked to a donebot user (by the email users.info gives)."""

    team_id = CharField()
    slack_user_id = CharField()
    user = ForeignKeyField(User, backref="slack_accounts", on_delete="CASCADE", index=True)
    dm_channel = CharField(null=True)
    status = CharField(default=ACTIVE)  # inactive: Slack said account_inactive / user_disabled; no more DMs
    tz = CharField(default="")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("team_id", "slack_user_id"), True),)

    @property
    def external_id(self):
        return f"{self.team_id}:{self.slack_user_id}"


class SlackChannelPost(BaseModel):
    """A digest posted to a team's Slack channel: at most one per team, day and channel."""

    team = ForeignKeyField(Team, on_delete="CASCADE")
    local_date = DateField()
    channel = CharField()
    ts = CharField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("team", "local_date", "channel"), True),)


SLACK_MODELS = [SlackInstallation, SlackBot, SlackOAuthState, SlackWorkspace, SlackUser, SlackChannelPost]
