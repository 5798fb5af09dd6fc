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
    max_inbound_bytes: int = 10 * 1024 * 1024
    slack_bot_token: str = ""
    slack_signing_secret: str = ""

    @property
    def production(self):
        return self.env == "production"

    @property
    def uses_outbox(self):
        """No Postmark token: keep email in the database and show it at /dev/outbox."""
        return not self.postmark_server_token


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
    if settings.prompt_grace_minutes < 1:
        raise ConfigError("PROMPT_GRACE_MINUTES must be at least 1")
    if (settings.inbound_user == "") != (settings.inbound_password == ""):
        raise ConfigError("set both INBOUND_WEBHOOK_USER and INBOUND_WEBHOOK_PASSWORD, or neither")
    if settings.production and not settings.inbound_user:
        raise ConfigError("INBOUND_WEBHOOK_USER and INBOUND_WEBHOOK_PASSWORD must be set when DONEBOT_ENV=production")
