"""slack_sdk's InstallationStore and OAuthStateStore, kept in donebot's own database (peewee).

Entities are serialised as slack_sdk's own FileInstallationStore does (the object's __dict__
as JSON), so every field an install carries survives, including ones added in later versions.
"""
import datetime
import json
import logging
import secrets

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from channels.slack.models import SlackBot, SlackInstallation, SlackOAuthState, SlackWorkspace
from core.db import db
from core.models import utcnow

log = logging.getLogger(__name__)


def _team_key(model, enterprise_id, team_id, is_enterprise_install):
    # An org-wide install is found by its enterprise id alone, whatever workspace the event came from.
    if is_enterprise_install:
        return (model.enterprise_id == enterprise_id) & (model.is_enterprise_install == True)  # noqa: E712
    condition = model.team_id == team_id
    if enterprise_id:
        condition &= model.enterprise_id == enterprise_id
    return condition


class PeeweeInstallationStore(InstallationStore):
    def __init__(self, client_id):
        self.client_id = client_id

    @property
    def logger(self):
        return log

    def save(self, installation):
        with db.atomic():
            SlackInstallation.create(
                client_id=self.client_id, app_id=installation.app_id or "", enterprise_id=installation.enterprise_id,
                team_id=installation.team_id, user_id=installation.user_id or "",
                is_enterprise_install=bool(installation.is_enterprise_install),
                data=json.dumps(installation.__dict__), installed_at=utcnow(),
            )
            if installation.bot_token:
                self.save_bot(installation.to_bot())
            if installation.team_id:  # (re)installed: the workspace is active again
                workspace, _ = SlackWorkspace.get_or_create(team_id=installation.team_id,
                                                            defaults={"name": installation.team_name or ""})
                SlackWorkspace.update(active=True, name=installation.team_name or workspace.name).where(
                    SlackWorkspace.id == workspace.id).execute()

    def save_bot(self, bot):
        SlackBot.create(client_id=self.client_id, enterprise_id=bot.enterprise_id, team_id=bot.team_id,
                        is_enterprise_install=bool(bot.is_enterprise_install), data=json.dumps(bot.__dict__),
                        installed_at=utcnow())

    def find_bot(self, *, enterprise_id, team_id, is_enterprise_install=False):
        row = (SlackBot.select()
               .where(SlackBot.client_id == self.client_id,
                      _team_key(SlackBot, enterprise_id, team_id, is_enterprise_install))
               .order_by(SlackBot.installed_at.desc(), SlackBot.id.desc()).first())
        return Bot(**json.loads(row.data)) if row else None

    def find_installation(self, *, enterprise_id, team_id, user_id=None, is_enterprise_install=False):
        query = SlackInstallation.select().where(
            SlackInstallation.client_id == self.client_id,
            _team_key(SlackInstallation, enterprise_id, team_id, is_enterprise_install))
        if user_id is not None:
            query = query.where(SlackInstallation.user_id == user_id)
        row = query.order_by(SlackInstallation.installed_at.desc(), SlackInstallation.id.desc()).first()
        return Installation(**json.loads(row.data)) if row else None

    def delete_bot(self, *, enterprise_id, team_id):
        SlackBot.delete().where(SlackBot.client_id == self.client_id,
                                _team_key(SlackBot, enterprise_id, team_id, False)).execute()

    def delete_installation(self, *, enterprise_id, team_id, user_id=None):
        query = SlackInstallation.delete().where(SlackInstallation.client_id == self.client_id,
                                                 _team_key(SlackInstallation, enterprise_id, team_id, False))
        if user_id is not None:
            query = query.where(SlackInstallation.user_id == user_id)
        query.execute()

    def delete_all(self, *, enterprise_id, team_id):
        with db.atomic():
            self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
            self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class PeeweeOAuthStateStore(OAuthStateStore):
    """One-time OAuth `state` values, so a callback can only finish an install we started."""

    def __init__(self, expiration_seconds=600, clock=utcnow):
        self.expiration = datetime.timedelta(seconds=expiration_seconds)
        self.clock = clock

    @property
    def logger(self):
        return log

    def issue(self, *args, **kwargs):
        state = secrets.token_urlsafe(24)
        SlackOAuthState.create(state=state, expire_at=self.clock() + self.expiration)
        return state

    def consume(self, state):
        # Deleting is the check: only one callback can consume a state, and only before it expires.
        deleted = SlackOAuthState.delete().where(SlackOAuthState.state == (state or ""),
                                                 SlackOAuthState.expire_at > self.clock()).execute()
        return deleted == 1
