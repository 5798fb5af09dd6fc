"""CSRF: every POST from a form carries the session's token (webhooks are exempt: they
authenticate otherwise)."""
import hmac
import secrets

from flask import abort, request, session

EXEMPT_PREFIXES = ("/webhooks/", "/slack/", "/unsubscribe/")  # these authenticate otherwise


def token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def init_app(app):
    app.jinja_env.globals["csrf_token"] = token

    @app.before_request
    def check_csrf():
        if request.method != "POST" or request.path.startswith(EXEMPT_PREFIXES):
            return None
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, description="missing or wrong CSRF token: reload the page and try again")
        return None
