"""The app uninstalled, or its tokens revoked: forget the tokens; DMs to that workspace stop."""
from channels.slack.models import SlackWorkspace


def register(app):
    @app.event("app_uninstalled")
    def uninstalled(body, context):
        _forget(context, body, bot=True)

    @app.event("tokens_revoked")
    def revoked(body, event, context):
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        users = tokens.get("oauth") if isinstance(tokens.get("oauth"), list) else []
        _forget(context, body, bot=bool(tokens.get("bot")), users=[u for u in users if isinstance(u, str)])


def _forget(context, body, bot, users=()):
    store = context["donebot"].clients.store
    team_id = body.get("team_id")
    enterprise_id = body.get("enterprise_id")
    if store is not None:
        for user_id in users:
            store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if bot:
            store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
    if bot:
        SlackWorkspace.update(active=False).where(SlackWorkspace.team_id == team_id).execute()
