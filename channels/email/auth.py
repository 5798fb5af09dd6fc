"""HTTP basic auth for the webhooks Postmark (or an SMTP relay) calls, compared in constant time."""
import hmac

from flask import jsonify, request


def authorized(settings):
    if not settings.inbound_user:
        return True  # development without credentials; production refuses to start like this
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    user_ok = hmac.compare_digest((auth.username or "").encode(), settings.inbound_user.encode())
    password_ok = hmac.compare_digest((auth.password or "").encode(), settings.inbound_password.encode())
    return user_ok and password_ok


def unauthorized():
    response = jsonify(error="authentication required")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="donebot webhooks"'
    return response


def read_body(settings):
    """The request body, or a (response, status) for one that is too large."""
    if request.content_length is not None and request.content_length > settings.max_inbound_bytes:
        return None, (jsonify(error=f"body larger than {settings.max_inbound_bytes} bytes"), 413)
    body = request.get_data(cache=False)
    if len(body) > settings.max_inbound_bytes:
        return None, (jsonify(error=f"body larger than {settings.max_inbound_bytes} bytes"), 413)
    return body, None


def guarded_body(settings):
    """What every webhook does first: basic auth, then the size limit.
    -> (body, None), or (None, the refusal to return)."""
    if not authorized(settings):
        return None, unauthorized()
    return read_body(settings)
