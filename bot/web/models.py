"""Tables only the web app uses (created by core/migrations/0003_web.py)."""
from peewee import CharField, DateTimeField, IntegerField

from core.models import BaseModel, utcnow


class SignInLink(BaseModel):
    """One emailed sign-in link. Only a hash of the token is kept, so a database leak
    signs nobody in. Rows for unknown addresses (nothing sent) keep the rate limit
    from telling who has an account."""

    email = CharField(index=True)
    user_id = IntegerField(null=True)
    token_hash = CharField(unique=True)
    next_path = CharField(default="/")
    created_at = DateTimeField(default=utcnow, index=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


WEB_MODELS = [SignInLink]
