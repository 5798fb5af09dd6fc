"""Settings, read once from the environment (and a .env file); bad values fail fast."""
import os
from dataclasses import dataclass, fields

DEV_SECRET_KEY = "dev-only-secret-key-change-me"


class ConfigError(ValueError):
    pass


def _load_dotenv(path):
    """KEY=VALUE lines from .env, without overriding the real environment."""
    values = {}
    if not os.path.exists(path):
        return values
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite:///donebot.db"
    redis_url: str = ""
    queue_path: str = "donebot-queue.db"
    queue_name: str = "donebot"
    queue_immediate: bool = False
    secret_key: str = DEV_SECRET_KEY
    base_url: str = "http://127.0.0.1:8000"
    from_email: str = "donebot <donebot@localhost>"
    inbound_domain: str = "inbound.donebot.localhost"
    inbound_user: str = ""
    inbound_password: str = ""
    postmark_server_token: str = ""
    postmark_api_url: str = "https://api.postmarkapp.com/"
    postmark_message_stream: str = "outbound"
    postmark_timeout: float = 10.0
    prompt_grace_minutes: int = 120
    retry_base_seconds: float = 30.0  # first retry after a transient send error; doubles each attempt
    max_inbound_bytes: int = 10 * 1024 * 1024
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_client_id: str = ""  # with slack_client_secret: multi-workspace OAuth install
    slack_client_secret: str = ""
    slack_app_token: str = ""  # xapp-...: Socket Mode (`donebot slack-socket`)
    slack_api_url: str = "https://slack.com/api/"
    slack_timeout: float = 10.0
    # Slack Web API calls a second per method and workspace, paced together by a process's threads
    # (channels/slack/ratelimit.py); a 429 that still comes pauses that method for all of them.
    slack_rate_per_second: float = 50.0
    slack_default_team: str = ""  # slug of the team new Slack users join; empty: one team per workspace
    slack_digest_channel: str = ""  # also post each team's digest to this Slack channel id

    @property
    def production(self):
        return self.env == "production"

    @property
    def slack_mode(self):
        """"oauth" (many workspaces install the app), "single" (one bot token) or "" (Slack off)."""
        if self.slack_client_id and self.slack_client_secret:
            return "oauth"
        return "single" if self.slack_bot_token else ""

    @property
    def uses_outbox(self):
        """No Postmark token: keep email in the database (shown at /dev/outbox outside production)."""
        return not self.postmark_server_token

    @property
    def shows_outbox(self):
        """/dev/outbox shows everyone's mail, sign-in links included: never in production."""
        return self.uses_outbox and not self.production


_ENV_NAMES = {
    "env": "DONEBOT_ENV",
    "queue_path": "HUEY_SQLITE_PATH",
    "queue_name": "HUEY_NAME",
    "queue_immediate": "HUEY_IMMEDIATE",
    "from_email": "FROM_EMAIL",
    "inbound_user": "INBOUND_WEBHOOK_USER",
    "inbound_password": "INBOUND_WEBHOOK_PASSWORD",
    "max_inbound_bytes": "MAX_INBOUND_BYTES",
}


def load_settings(environ=None, dotenv_path=".env"):
    """Settings from `environ` (default: os.environ over .env). Raises ConfigError on bad values."""
    if environ is None:
        environ = {**_load_dotenv(dotenv_path), **os.environ}
    values = {}
    for field in fields(Settings):
        name = _ENV_NAMES.get(field.name, field.name.upper())
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            if field.type is bool:
                if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                    raise ValueError("expected true or false")
                values[field.name] = raw.lower() in ("1", "true", "yes")
            elif field.type is int:
                values[field.name] = int(raw)
            elif field.type is float:
                values[field.name] = float(raw)
            else:
                values[field.name] = raw
        except ValueError as error:
            raise ConfigError(f"{name}={raw!r}: {error}") from None
    settings = Settings(**values)
    _check(settings)
    return settings


def _check(settings):
    if settings.env not in ("development", "production", "test"):
        raise ConfigError(f"DONEBOT_ENV must be development, production or test, not {settings.env!r}")
    if settings.production and (settings.secret_key == DEV_SECRET_KEY or len(settings.secret_key) < 16):
        raise ConfigError("SECRET_KEY must be set (16+ random characters) when DONEBOT_ENV=production")
    if not settings.database_url.startswith(("sqlite:", "postgres://", "postgresql://")):
        raise ConfigError("DATABASE_URL must start with sqlite:, postgres:// or postgresql://")
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    if settings.retry_base_seconds <= 0:
        raise ConfigError("RETRY_BASE_SECONDS must be positive")
    if settings.prompt_grace_minutes < 1:
        raise ConfigError("PROMPT_GRACE_MINUTES must be at least 1")
    if (settings.inbound_user == "") != (settings.inbound_password == ""):
        raise ConfigError("set both INBOUND_WEBHOOK_USER and INBOUND_WEBHOOK_PASSWORD, or neither")
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        raise ConfigError("set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, or neither")
    if settings.slack_mode and not (settings.slack_signing_secret or settings.slack_app_token):
        raise ConfigError("Slack needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
    if settings.slack_timeout <= 0:
        raise ConfigError("SLACK_TIMEOUT must be a positive number of seconds")
    if not settings.slack_rate_per_second > 0:
        raise ConfigError("SLACK_RATE_PER_SECOND must be a positive number of calls per second")
    if settings.production and not settings.inbound_user:
        raise ConfigError("INBOUND_WEBHOOK_USER and INBOUND_WEBHOOK_PASSWORD must be set when DONEBOT_ENV=production")
