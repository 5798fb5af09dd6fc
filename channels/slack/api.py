"""Web API clients and what Slack's answers mean for a delivery.

    Slack answered                                    what donebot does
    ------------------------------------------------  -----------------------------------------------------
    HTTP 429 / "ratelimited" (Retry-After: n)          pause the process's bucket for that method n seconds
                                                       (every thread waits; see ratelimit.py) and call again,
                                                       waiting up to MAX_WAIT in all; then a transient
                                                       DeliveryError(retry_after=the wait still ahead)
    account_inactive, user_disabled, user_not_found,   permanent; the Slack account is flagged inactive
    cannot_dm_bot                                      (no more DMs), like a bounced email address
    channel_not_found (a cached DM channel)            open the DM again once, then permanent
    invalid_auth, not_authed, token_revoked,           transient: the operator fixes the token / reinstalls
    token_expired, missing_scope
    HTTP 5xx, a timeout after sending                  ambiguous for chat.postMessage (reconcile first),
                                                       transient for anything else
    any other error (invalid_blocks, msg_too_long...)  permanent: this message cannot be sent
"""
import logging
import time
import urllib.error
from socket import timeout as SocketTimeout

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from channels.slack.ratelimit import WaitTooLong
from core.channels import DeliveryError

log = logging.getLogger(__name__)

MAX_WAIT = 60  # seconds of Retry-After one send may sleep through before handing back to the ledger
# Slack documents account_inactive for a token of a deactivated account; to a DM it means the person is gone.
INACTIVE_ERRORS = {"account_inactive", "user_disabled", "user_not_found", "cannot_dm_bot"}
TOKEN_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "missing_scope", "not_allowed_token_type"}


class PacedWebClient(WebClient):
    """A WebClient that carries the process's RateLimiter (channels.slack.clients.Clients owns it);
    call() takes a turn from it before every request. `limiter=None`: unpaced (bolt's own client)."""

    def __init__(self, *args, limiter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limiter = limiter


def web_client(settings, token=None, limiter=None):
    # Every call has a timeout; retries are donebot's decision (see call()), not the SDK's.
    return PacedWebClient(token=token, base_url=settings.slack_api_url, timeout=settings.slack_timeout,
                          retry_handlers=[], limiter=limiter)


def error_code(error):
    response = getattr(error, "response", None)
    try:
        return response.get("error") or ""
    except Exception:  # noqa: BLE001 - a non-JSON answer
        return ""


def _retry_after(error):
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 1.0


def is_rate_limited(error):
    response = getattr(error, "response", None)
    return getattr(response, "status_code", None) == 429 or error_code(error) == "ratelimited"


def call(method, sleep=time.sleep, max_wait=MAX_WAIT, **kwargs):
    """Call a WebClient method, waiting out rate limits for up to `max_wait` seconds in all.

    With a limiter on the client, the call first takes its turn in the bucket for (token, method),
    shared by every thread of the process, and a 429 pauses that bucket for Retry-After (so the
    other threads wait too, instead of hitting the limit meanwhile). Without one, this thread
    sleeps through Retry-After (`sleep`) by itself. Either way, once the wait ahead would go past
    `max_wait`, a transient DeliveryError(retry_after=...) hands the delivery back to the ledger.
    A 429 means Slack did not take the request, so calling again never doubles a message.
    """
    limiter = getattr(getattr(method, "__self__", None), "limiter", None)
    if limiter is None:
        return _call_sleeping(method, sleep, max_wait, kwargs)
    api_method = method.__name__.replace("_", ".")  # chat_postMessage -> chat.postMessage
    key = (method.__self__.token, api_method)  # Slack's limits are per workspace (bot token) and method
    deadline = limiter.clock() + max_wait
    while True:
        try:
            limiter.acquire(key, max_wait=max(0.0, deadline - limiter.clock()))
        except WaitTooLong as wait:
            raise DeliveryError(f"Slack rate limit: {api_method} waits {wait.wait:.0f}s more; will retry",
                                retry_after=max(1.0, wait.wait)) from None
        try:
            return method(**kwargs)
        except SlackApiError as error:
            if not is_rate_limited(error):
                raise
            retry_after = _retry_after(error)
            log.info("Slack answered 429 to %s: pausing it for %.0fs in this process", api_method, retry_after)
            limiter.pause(key, retry_after)


def _call_sleeping(method, sleep, max_wait, kwargs):
    waited = 0.0
    while True:
        try:
            return method(**kwargs)
        except SlackApiError as error:
            if not is_rate_limited(error):
                raise
            wait = _retry_after(error)
            if waited + wait > max_wait:
                raise DeliveryError(f"Slack rate limit: asked to wait {wait:.0f}s more; will retry",
                                    retry_after=wait) from None
            sleep(wait)
            waited += wait


def delivery_error(error, ambiguous_if_unsure=False):
    """Any exception from a Web API call -> DeliveryError (see the table above)."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, SlackApiError):
        code = error_code(error)
        status = getattr(error.response, "status_code", 200)
        if is_rate_limited(error):
            return DeliveryError("Slack rate limit; will retry", retry_after=_retry_after(error))
        if code in INACTIVE_ERRORS:
            return DeliveryError(f"Slack: {code} (the account is inactive)", permanent=True)
        if code in TOKEN_ERRORS:
            return DeliveryError(f"Slack rejected the token ({code}): check SLACK_BOT_TOKEN or reinstall the app; "
                                 "will retry")
        if status >= 500:
            return DeliveryError(f"Slack answered HTTP {status}", ambiguous=ambiguous_if_unsure)
        return DeliveryError(f"Slack: {code or 'unknown error'}", permanent=True)
    if isinstance(error, (urllib.error.URLError, ConnectionError)) and not isinstance(
            getattr(error, "reason", None), SocketTimeout):
        return DeliveryError(f"could not reach Slack ({error}); will retry")
    return DeliveryError(f"Slack call failed after it may have been received ({error!r})", ambiguous=ambiguous_if_unsure)
