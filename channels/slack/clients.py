"""Which bot token speaks for a workspace: the one SLACK_BOT_TOKEN (single workspace) or the
installation store's bot for that team (OAuth installs).

Every client handed out carries this object's RateLimiter (SLACK_RATE_PER_SECOND per bot token and
API method), so all threads using one Clients pace their calls together. A process builds one for
its channel registry (channels.slack.register): in the worker, that is the one every thread sends through.
"""
import threading

from channels.slack.api import web_client
from channels.slack.models import SlackWorkspace
from channels.slack.ratelimit import RateLimiter
from channels.slack.store import PeeweeInstallationStore


class Clients:
    def __init__(self, settings):
        self.settings = settings
        self.store = PeeweeInstallationStore(settings.slack_client_id) if settings.slack_mode == "oauth" else None
        self.limiter = RateLimiter(settings.slack_rate_per_second)
        self._single = (web_client(settings, settings.slack_bot_token, self.limiter)
                        if settings.slack_mode == "single" else None)
        self._single_team = None
        self._lock = threading.Lock()

    def single_team_id(self):
        """The workspace SLACK_BOT_TOKEN belongs to (auth.test, asked once)."""
        with self._lock:
            if self._single_team is None and self._single is not None:
                self._single_team = self._single.auth_test()["team_id"]
            return self._single_team

    def for_team(self, team_id):
        """A WebClient for this workspace, or None when donebot is not (or no longer) installed there."""
        if self._single is not None:
            return self._single
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id) if self.store else None
        return web_client(self.settings, bot.bot_token, self.limiter) if bot else None

    def teams(self):
        """Workspaces donebot can reach, for finding a person by email."""
        if self._single is not None:
            return [self.single_team_id()]
        return [w.team_id for w in SlackWorkspace.select().where(SlackWorkspace.active == True)]  # noqa: E712
