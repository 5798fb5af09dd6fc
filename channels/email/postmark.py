"""The Postmark sender: sends the email channel's message dicts through Postmark's batch API.

Same interface as the outbox sender: `send_batch(messages) -> [SendResult]` and
`find_accepted(delivery_ids) -> {delivery_id: MessageID}` (reconciliation).

How Postmark's answers move the ledger (see DeliveryError in core/channels.py):

    Postmark answered                               DeliveryError
    ---------------------------------------------   ------------------------------------------------
    HTTP 200, per message ErrorCode 0                ok, provider id = MessageID
    HTTP 200, per message ErrorCode 406              permanent, address_status="bounced" (inactive)
    HTTP 200, per message ErrorCode 300 naming the
              recipient's address                    permanent, address_status="bounced" (invalid)
    HTTP 200, per message ErrorCode 300 about From   transient ("check FROM_EMAIL")
    HTTP 200, other per message ErrorCode 300        permanent (bodies, display name, ...)
    HTTP 200, per message ErrorCode in TRANSIENT     transient (Postmark maintenance / rate limit /
                                                     an account or configuration problem to fix)
    HTTP 200, any other per message ErrorCode        permanent (the message itself is wrong)
    HTTP 429, 503                                    transient, retry_after from Retry-After
    HTTP 401 / ErrorCode 10 (bad token)              transient, "check POSTMARK_SERVER_TOKEN"
    HTTP 401, 403, 404 without an ErrorCode          transient, "check POSTMARK_API_URL" (a proxy, a wrong URL)
    HTTP 408                                         transient
    other HTTP 4xx without an ErrorCode              permanent
    HTTP 422 + ErrorCode in TRANSIENT                transient
    HTTP 422 + any other ErrorCode                   permanent
    HTTP 500, 502, 504 and other 5xx                 transient, ambiguous (Postmark may have accepted)
    connect timeout, connection refused, DNS         transient, not ambiguous (nothing reached Postmark)
    read timeout, reset / closed after sending,
    an unreadable 2xx answer                         transient, ambiguous (reconciled before re-sending)

Postmark documents no error code as "retry later" except 100 (maintenance) and 429 (rate
limit). A bad token (10), a missing or unconfirmed sender signature (400, 401), an account out
of credits (405), pending (412) or suspended (413) are states of *our* account that the operator
fixes; treating them as permanent would fail every member's prompt for the day because of one
setting, so they are transient: the ledger backs off and retries (up to ledger.MAX_ATTEMPTS,
and a prompt is skipped once it is later than the grace period), and the error text says what
to fix.

A batch larger than one request (500 messages, or ~40 MB of JSON) goes out in several requests.
A request that fails with a transient or ambiguous error stops the batch: its messages get that
error and the messages not yet sent get a transient "not sent" error, while the messages of
earlier requests keep their own results. When every message shares one error, it is raised
for the batch instead, so the ledger records it in one step.

Nothing is retried inside a call (postmarker's max_retries stays 0): a re-send is the ledger's
decision, after reconciliation when the first attempt was ambiguous. Every call has the
POSTMARK_TIMEOUT timeout (connect and read).
"""
import datetime
import json
import logging
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import requests
from postmarker.core import USER_AGENT, PostmarkClient
from postmarker.exceptions import ClientError
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from core.channels import DeliveryError, SendResult

log = logging.getLogger(__name__)

MAX_BATCH = 500  # Postmark: at most 500 messages per /email/batch call
MAX_BATCH_BYTES = 40 * 1024 * 1024  # Postmark: 50 MB per batch request, including attachments
SEARCH_WORKERS = 8
_UNCHECKED = object()  # a search that failed: neither "accepted" nor "not accepted"

BAD_TOKEN = 10
MAINTENANCE = 100
RATE_LIMITED = 429
INVALID_EMAIL_REQUEST = 300
INACTIVE_RECIPIENT = 406
# Error codes that say "not now" or "fix the account", not "this message can never be sent".
TRANSIENT_CODES = {
    BAD_TOKEN: "Postmark rejected the server token: check POSTMARK_SERVER_TOKEN",
    MAINTENANCE: "Postmark is down for maintenance",
    400: "the From address is not a Postmark sender signature: check FROM_EMAIL and the Postmark account",
    401: "the From address's sender signature is not confirmed in Postmark",
    405: "the Postmark account may not send (out of credits?)",
    412: "the Postmark account is pending approval",
    413: "the Postmark account may not send (suspended?)",
    RATE_LIMITED: "Postmark rate limit exceeded",
}


def _retry_after(response):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if response is None:
        return None
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _code_error(code, message, status=None, retry_after=None):
    """DeliveryError for a Postmark ErrorCode that applies to a whole request."""
    where = f"HTTP {status}, " if status else ""
    text = f"Postmark {where}ErrorCode {code}: {message}"
    if code in TRANSIENT_CODES:
        return DeliveryError(f"{TRANSIENT_CODES[code]} ({text}); will retry", retry_after=retry_after)
    return DeliveryError(text, permanent=True)


def _http_error(error):
    """A requests.HTTPError (or postmarker's ClientError raised from one) -> DeliveryError."""
    response = error.response if isinstance(error, requests.HTTPError) else getattr(error.__cause__, "response", None)
    status = response.status_code if response is not None else None
    code = getattr(error, "error_code", None)
    detail = str(error) if code is not None else f"HTTP {status}"
    if status in (429, 503):
        return DeliveryError(f"Postmark answered {detail}; will retry", retry_after=_retry_after(response))
    if status is not None and status >= 500:
        return DeliveryError(f"Postmark answered {detail}: it may have accepted some messages; reconcile first",
                             ambiguous=True)
    if code is not None:  # a JSON ErrorCode for the whole request (401 / 10, 422 / ...)
        message = str(error).split("] ", 1)[-1]
        return _code_error(code, message, status=status, retry_after=_retry_after(response))
    if status in (401, 403, 404):  # not Postmark's JSON answer: a wrong API URL or a proxy in between
        return DeliveryError(f"Postmark answered HTTP {status} without an ErrorCode: check POSTMARK_API_URL "
                             "and POSTMARK_SERVER_TOKEN; will retry")
    if status == 408:  # the server gave up reading the request: nothing was accepted
        return DeliveryError("Postmark answered HTTP 408 (request timeout); will retry")
    return DeliveryError(f"Postmark answered HTTP {status}: {response.text[:200] if response is not None else ''}",
                         permanent=True)


def _connect_phase(error):
    """True when a requests error happened before any byte of the request reached Postmark."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError (refused, unreachable) and NameResolutionError are ConnectTimeoutErrors.
    return isinstance(reason, ConnectTimeoutError)


def _request_error(error):
    """Any exception from one API call -> DeliveryError."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, (ClientError, requests.HTTPError)):
        return _http_error(error)
    if isinstance(error, requests.ConnectionError) and _connect_phase(error):
        return DeliveryError(f"could not connect to Postmark ({error.__class__.__name__}: {error}); will retry")
    if isinstance(error, requests.ReadTimeout):
        return DeliveryError(f"no answer from Postmark in time ({error}): it may have accepted the messages; "
                             "reconcile first", ambiguous=True)
    # A reset or a close after the request was written, a truncated or unreadable answer, anything else:
    # Postmark may have the messages.
    return DeliveryError(f"Postmark request failed after it may have been received ({error.__class__.__name__}: "
                         f"{error}); reconcile first", ambiguous=True)


def _bare_address(to):
    return to.rpartition("<")[2].rstrip(">").strip().lower() if to else ""


def _message_error(answer, message, shared):
    """One message's ErrorCode in a 200 batch answer -> DeliveryError.

    Transient errors are the same for every message with that code, so they are shared
    (one instance): when the whole batch got one, the sender raises it once.
    """
    code = answer.get("ErrorCode")
    text = answer.get("Message") or ""
    if code == INACTIVE_RECIPIENT:
        return DeliveryError(f"Postmark ErrorCode 406 (inactive recipient): {text}", permanent=True,
                             address_status="bounced")
    if code == INVALID_EMAIL_REQUEST:
        lowered = text.lower()
        address = _bare_address(message.get("To"))
        # Only when Postmark names the recipient's address: a 300 about the display name, the
        # bodies or the From address is not the recipient's fault.
        if address and address in lowered:
            return DeliveryError(f"Postmark ErrorCode 300 (invalid recipient address): {text}", permanent=True,
                                 address_status="bounced")
        if "'from'" in lowered:  # FROM_EMAIL is wrong: every message has it; fix the setting
            key = (code, "from")
            if key not in shared:
                shared[key] = DeliveryError(f"Postmark rejected the From address: check FROM_EMAIL "
                                            f"(ErrorCode 300: {text}); will retry")
            return shared[key]
        return DeliveryError(f"Postmark ErrorCode 300 (invalid email request): {text}", permanent=True)
    if code in TRANSIENT_CODES:
        if code not in shared:
            shared[code] = _code_error(code, text)
        return shared[code]
    return DeliveryError(f"Postmark ErrorCode {code}: {text}", permanent=True)


def _chunks(messages):
    """Split into requests of at most MAX_BATCH messages and about MAX_BATCH_BYTES of JSON.
    Yields (messages, their JSON): each message is encoded once, here, and the request body is
    those encodings joined (encoding twice was a fifth of a worker's time)."""
    chunk, encoded, size = [], [], 0
    for message in messages:
        text = json.dumps(message, separators=(",", ":")).encode()
        if chunk and (len(chunk) >= MAX_BATCH or size + len(text) + 1 > MAX_BATCH_BYTES):
            yield chunk, encoded
            chunk, encoded, size = [], [], 0
        chunk.append(message)
        encoded.append(text)
        size += len(text) + 1
    if chunk:
        yield chunk, encoded


def _delivery_id(message):
    delivery_id = (message.get("Metadata") or {}).get("delivery_id")
    return int(delivery_id) if delivery_id is not None else None  # None: mail outside the ledger (web sign-in)


class PostmarkSender:
    """Sends through Postmark's API with postmarker; safe to share between worker threads
    (each thread gets its own PostmarkClient and so its own requests Session)."""

    def __init__(self, settings):
        if not settings.postmark_server_token:
            raise ValueError("PostmarkSender needs POSTMARK_SERVER_TOKEN")
        self.server_token = settings.postmark_server_token
        self.api_url = settings.postmark_api_url
        self.timeout = float(settings.postmark_timeout)
        if not self.timeout > 0:
            raise ValueError("POSTMARK_TIMEOUT must be a positive number of seconds")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients = weakref.WeakSet()  # every thread's client, for close(); a dead thread's is dropped
        self._pool = None

    # -- clients ------------------------------------------------------------------------------------------------
    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            # max_retries stays 0: requests must never re-send a batch on its own.
            client = PostmarkClient(server_token=self.server_token, root_api_url=self.api_url,
                                    timeout=self.timeout, max_retries=0)
            self._local.client = client
            with self._lock:
                self._clients.add(client)
        return client

    def close(self):
        """Close every thread's HTTP session and the search pool (optional; for tests and shutdown)."""
        with self._lock:
            clients, self._clients = list(self._clients), weakref.WeakSet()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        for client in clients:
            if "_session" in vars(client):
                client.session.close()
        self._local = threading.local()

    # -- sending ------------------------------------------------------------------------------------------------
    def send_batch(self, messages):
        """POST the messages as they are, at most 500 per request; one SendResult per message."""
        results, shared = [], {}
        chunks = list(_chunks(messages))
        for index, (chunk, encoded) in enumerate(chunks):
            try:
                answers = self._post_batch(chunk, b"[" + b",".join(encoded) + b"]")
            except Exception as raw:  # noqa: BLE001 - every failure becomes a DeliveryError
                error = _request_error(raw)
                log.warning("Postmark batch of %d failed: %s", len(chunk), error)
                results += [SendResult(_delivery_id(m), error=error) for m in chunk]
                if error.permanent:
                    continue  # the request was wrong; the next one may not be
                rest = [m for later, _ in chunks[index + 1:] for m in later]
                if rest:
                    not_sent = DeliveryError(f"not sent: an earlier request of this batch failed ({error})",
                                             retry_after=error.retry_after)
                    results += [SendResult(_delivery_id(m), error=not_sent) for m in rest]
                break
            results += self._results(chunk, answers, shared)
        return self._raise_if_uniform(results)

    def _post_batch(self, chunk, body):
        # postmarker's own call() would encode the batch again; its session and its error
        # handling (check_response) are used as they are.
        client = self._client()
        response = client.session.post(urljoin(self.api_url, "/email/batch"), data=body, timeout=self.timeout,
                                       headers={"Accept": "application/json", "Content-Type": "application/json",
                                                "User-Agent": USER_AGENT, "X-Postmark-Server-Token": self.server_token})
        client.check_response(response)
        answers = response.json()
        if not isinstance(answers, list) or len(answers) != len(chunk) or not all(isinstance(a, dict) for a in answers):
            raise DeliveryError(f"Postmark's batch answer is not one result per message ({str(answers)[:200]}); "
                                "reconcile first", ambiguous=True)
        return answers

    @staticmethod
    def _results(chunk, answers, shared):
        results = []
        for message, answer in zip(chunk, answers):
            delivery_id = _delivery_id(message)
            if answer.get("ErrorCode") == 0 and answer.get("MessageID"):
                results.append(SendResult(delivery_id, provider_message_id=answer["MessageID"]))
            elif answer.get("ErrorCode") == 0:  # "OK" without an id: accepted, but we cannot say as what
                results.append(SendResult(delivery_id, error=DeliveryError(
                    "Postmark answered OK without a MessageID; reconcile first", ambiguous=True)))
            else:
                results.append(SendResult(delivery_id, error=_message_error(answer, message, shared)))
        return results

    @staticmethod
    def _raise_if_uniform(results):
        """When nothing was accepted and every message has the same error, raise it for the batch."""
        errors = {id(r.error) for r in results}
        if results and len(errors) == 1 and results[0].error is not None:
            raise results[0].error
        return results

    # -- reconciliation -----------------------------------------------------------------------------------------
    def find_accepted(self, delivery_ids):
        """Of these deliveries, which did Postmark accept? -> {delivery_id: MessageID or None}.
        An id whose search failed (timeout, 5xx) is left out: it stays unknown and is asked again."""
        ids = list(dict.fromkeys(delivery_ids))
        if len(ids) <= 1:
            found = [(i, self._search_or_skip(i)) for i in ids]
        else:
            found = list(zip(ids, self._search_pool().map(self._search_or_skip, ids)))
        return {delivery_id: message_id for delivery_id, message_id in found if message_id is not _UNCHECKED}

    def _search_or_skip(self, delivery_id):
        try:
            return self._search(delivery_id)
        except (requests.RequestException, ClientError) as error:
            log.warning("could not search Postmark for delivery %s: %s", delivery_id, error)
            return _UNCHECKED

    def _search_pool(self):
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=SEARCH_WORKERS, thread_name_prefix="postmark-search")
            return self._pool

    def _search(self, delivery_id):
        answer = self._client().call("GET", "/messages/outbound", count=1, offset=0,
                                     metadata_delivery_id=str(delivery_id))
        for message in answer.get("Messages") or []:
            metadata = message.get("Metadata")
            if not metadata or str(metadata.get("delivery_id")) == str(delivery_id):  # trust the filter if absent
                return message.get("MessageID")
        return None
