"""A fake of Postmark's HTTP API on loopback, speaking the real wire format.

Standard library only.  Point postmarker at it with
``PostmarkClient(server_token=fake.token, root_api_url=fake.url, timeout=...)``.

Implemented endpoints (same paths, headers and JSON shapes as api.postmarkapp.com):

* ``POST /email``            -> 200 ``{"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message": "OK"}``
                                or 422 ``{"ErrorCode": n, "Message": ...}``
* ``POST /email/batch``      -> 200 with a JSON list, one object per message, in order; a rejected message gets
                                ``{"ErrorCode": n, "Message": ...}`` and is not accepted
* ``GET /messages/outbound`` -> ``{"TotalCount": n, "Messages": [...]}``, most recent first; filters
                                ``recipient``, ``fromemail``, ``tag``, ``subject``, ``status``, ``fromdate``,
                                ``todate`` and ``metadata_<key>=<value>``; ``count`` (1..500) and ``offset`` required
* ``GET /messages/outbound/<MessageID>/details`` -> the message with bodies, or 422 ErrorCode 701

Every API request needs ``X-Postmark-Server-Token`` (401 / ErrorCode 10 otherwise); sending endpoints also need
``Accept`` and ``Content-Type`` ``application/json`` (422 / ErrorCode 409 otherwise).

Injected faults answer like an HTTP front end, not like the Postmark application: 500, 503 and 429 carry a
``text/plain`` body (no ``ErrorCode``), so postmarker raises ``requests.HTTPError`` for them (not ``ClientError``).

Control API (no token, no latency, no faults; not recorded in ``requests``)::

    GET  /_fake/accepted?count_only=1  -> {"count": n, "distinct_delivery_ids": m, "duplicates": k}
    GET  /_fake/accepted               -> list of accepted messages
    GET  /_fake/requests               -> list of recorded API requests
    GET  /_fake/config                 -> current switches
    POST /_fake/config                 {latency, fault_rate, fault_kinds, seed, hang_seconds,
                                        recipient_errors, fail_next: {n, kind}} -> current switches
    POST /_fake/reset                  -> {"ok": true}

Standalone: ``python -m tests.fakes.postmark --port 0 --latency 0.05`` prints the URL on its first stdout line.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from datetime import datetime, timezone
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

FAULT_KINDS = ("500", "503", "429", "hang", "reset")
DEFAULT_FAULT_KINDS = ("500", "503", "429", "reset")  # "hang" is opt-in: it holds a connection for hang_seconds
MAX_BATCH = 500
MAX_RECIPIENTS = 50
MAX_SEARCH_COUNT = 500
MAX_SEARCH_WINDOW = 10000  # Postmark: count + offset <= 10,000
MAX_BODY_BYTES = 50 * 1024 * 1024

# Messages for per-recipient error codes injected through ``recipient_errors``.
ERROR_MESSAGES = {
    10: "Request does not contain a valid Server token.",
    300: "Invalid email request",
    400: "Sender signature not found",
    401: "Sender signature not confirmed",
    402: "Received invalid JSON input.",
    403: "Incompatible JSON input.",
    405: "Not allowed to send",
    406: "Inactive recipient",
    409: "JSON data required",
    410: "Too many batch messages",
    411: "Forbidden attachment type",
    412: "Account is pending",
    413: "Account may not send",
}

_LOCAL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+\-/=?^_`{}|~]+$")
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*$")
_NAMED_RE = re.compile(r"^\s*([^<>]*?)\s*<([^<>]*)>\s*$")


class _LowerKeyDict(dict):
    """dict whose keys are lower-cased on the way in (recipient addresses)."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.update(*args, **kwargs)

    def __setitem__(self, key, value):
        super().__setitem__(str(key).lower(), int(value))

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key, default=None):
        key = str(key).lower()
        if key not in self:
            self[key] = default
        return self[key]


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _timestamp() -> str:
    # Postmark's format: 7 fractional digits and an explicit UTC offset.
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0+00:00"


def _valid_address(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return bool(_LOCAL_RE.match(local)) and bool(_DOMAIN_RE.match(domain))


def _parse_address_list(value, field: str) -> list[tuple[str, str]]:
    """'a@x.com, "Name" <b@y.com>' -> [("", "a@x.com"), ("Name", "b@y.com")]; raises _ApiError on bad input."""
    if value is None:
        return []
    if not isinstance(value, str):
        raise _ApiError(422, 403, f"Incompatible JSON input: '{field}' must be a string.")
    if not value.strip():
        return []
    if '"' in value or "(" in value or "\\" in value:
        pairs = getaddresses([value])  # quoted names, comments: let the email package parse them
    else:  # fast path for bare addresses and unquoted 'Name <addr>'
        pairs = []
        for part in value.split(","):
            named = _NAMED_RE.match(part)
            pairs.append((named.group(1), named.group(2).strip()) if named else ("", part.strip()))
    result = []
    for name, addr in pairs:
        if not addr:
            if name:
                raise _ApiError(422, 300, f"Invalid '{field}' address: '{name}'.")
            continue
        if not _valid_address(addr):
            raise _ApiError(422, 300, f"Invalid '{field}' address: '{addr}'.")
        result.append((name, addr))
    return result


class _Stored:
    """An accepted message plus what search needs, parsed once at accept time."""

    __slots__ = ("msg", "to", "cc", "bcc", "index")

    def __init__(self, msg, to, cc, bcc, index):
        self.msg = msg
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.index = index

    def recipients(self):
        return [a for _, a in self.to] + [a for _, a in self.cc] + [a for _, a in self.bcc]

    def summary(self) -> dict:
        msg = self.msg
        attachments = msg.get("Attachments") or []
        return {
            "Tag": msg.get("Tag") or "",
            "MessageID": msg["MessageID"],
            "MessageStream": msg.get("MessageStream") or "outbound",
            "To": [{"Email": a, "Name": n} for n, a in self.to],
            "Cc": [{"Email": a, "Name": n} for n, a in self.cc],
            "Bcc": [{"Email": a, "Name": n} for n, a in self.bcc],
            "Recipients": self.recipients(),
            "ReceivedAt": msg["SubmittedAt"],
            "From": msg.get("From"),
            "Subject": msg.get("Subject") or "",
            "Attachments": [a.get("Name", "") for a in attachments if isinstance(a, dict)],
            "Status": "Sent",
            "TrackOpens": bool(msg.get("TrackOpens")),
            "TrackLinks": msg.get("TrackLinks") or "None",
            "Metadata": dict(msg.get("Metadata") or {}),
            "Sandboxed": False,
        }

    def details(self) -> dict:
        data = self.summary()
        data["TextBody"] = self.msg.get("TextBody") or ""
        data["HtmlBody"] = self.msg.get("HtmlBody") or ""
        data["Body"] = data["TextBody"] or data["HtmlBody"]
        data["MessageEvents"] = []
        return data


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, addr, handler, fake):
        self.fake = fake
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):  # keep the test output clean; record instead
        self.fake._record_error(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePostmark/1.0"
    sys_version = ""
    disable_nagle_algorithm = True

    # -- plumbing ---------------------------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 - silence per-request logging
        pass

    def setup(self):
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, False)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type="application/json; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, data, headers=()):
        self._send(status, json.dumps(data).encode("utf-8"), headers=headers)

    def _reset_connection(self):
        """Close the TCP connection abortively (RST), without a response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()  # drop makefile()'s reference so close() really closes the fd now
        except OSError:
            pass
        self.connection.close()

    def _drop_connection(self):
        """Close the connection without a response (orderly FIN)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- dispatch ---------------------------------------------------------------------------------------------
    def _dispatch(self):
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(413, b"Request Entity Too Large", "text/plain; charset=utf-8")
            return
        body = self._read_body()
        try:
            if path.startswith("/_fake/"):
                self._control(path, query, body)
            else:
                self._api(path, query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            fake._record_error(traceback.format_exc())
            self.close_connection = True
            try:
                self._send(500, b"fake postmark: unhandled error (see FakePostmark.errors)", "text/plain")
            except OSError:
                pass

    def _api(self, path: str, query: str, body: bytes):
        fake = self.server.fake
        entry = {
            "method": self.command,
            "path": path,
            "query": query,
            "headers": dict(self.headers.items()),
            "body_size": len(body),
            "status": None,
            "fault": None,
            "time": time.time(),
        }
        fake._record_request(entry)
        fault = fake._take_fault()
        entry["fault"] = fault

        if fault == "reset":
            self._reset_connection()
            return
        if fault == "hang":
            fake._stopping.wait(fake.hang_seconds)
            self._drop_connection()
            return

        if fault in ("503", "429"):
            status, payload, ctype, extra = self._fault_response(fault)
        else:
            try:
                status, data = self._route(path, query, body)
            except _ApiError as err:
                status, data = err.status, {"ErrorCode": err.code, "Message": err.message}
            payload, ctype, extra = json.dumps(data).encode("utf-8"), "application/json; charset=utf-8", ()
            if fault == "500":  # processed (messages accepted and recorded), then the answer is lost
                status, payload, ctype, extra = self._fault_response("500")

        latency = fake.latency
        if latency > 0:
            fake._stopping.wait(latency)
        entry["status"] = status
        self._send(status, payload, ctype, extra)

    @staticmethod
    def _fault_response(kind: str):
        if kind == "500":
            return 500, b"Internal Server Error", "text/plain; charset=utf-8", ()
        if kind == "503":
            return 503, b"Service Unavailable", "text/plain; charset=utf-8", (("Retry-After", "1"),)
        return 429, b"Too Many Requests", "text/plain; charset=utf-8", (("Retry-After", "1"),)

    def _route(self, path: str, query: str, body: bytes):
        fake = self.server.fake
        token = self.headers.get("X-Postmark-Server-Token")
        if not token:
            raise _ApiError(
                401,
                10,
                "No Account or Server API tokens were supplied in the HTTP headers. "
                "Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.",
            )
        if token != fake.token:
            raise _ApiError(401, 10, "Request does not contain a valid Server token.")

        route = path.rstrip("/") or "/"
        method = self.command
        if method == "POST" and route in ("/email", "/email/batch"):
            self._require_json_headers()
            try:
                data = json.loads(body)
            except ValueError:
                raise _ApiError(422, 402, "Received invalid JSON input.") from None
            if route == "/email":
                if not isinstance(data, dict):
                    raise _ApiError(422, 403, "Incompatible JSON input: expected a JSON object.")
                return 200, fake._send_one(data)
            if not isinstance(data, list):
                raise _ApiError(422, 403, "Incompatible JSON input: expected a JSON array of messages.")
            if len(data) > MAX_BATCH:
                raise _ApiError(
                    422, 410, f"Too many batch messages: the batch contains {len(data)} messages, "
                    f"which exceeds the limit of {MAX_BATCH} messages per batch."
                )
            return 200, fake._send_batch(data)
        if method == "GET" and route == "/messages/outbound":
            return 200, fake._search(parse_qsl(query, keep_blank_values=True))
        if method == "GET" and route.startswith("/messages/outbound/") and route.endswith("/details"):
            message_id = route[len("/messages/outbound/") : -len("/details")]
            stored = fake._get(message_id)
            if stored is None:
                raise _ApiError(422, 701, "This message was not found.")
            return 200, stored.details()
        raise _ApiError(404, 404, f"The fake does not implement {method} {path}.")

    def _require_json_headers(self):
        ctype = (self.headers.get("Content-Type") or "").lower()
        accept = (self.headers.get("Accept") or "").lower()
        if "application/json" not in ctype or ("application/json" not in accept and "*/*" not in accept):
            raise _ApiError(
                422,
                409,
                "JSON data required: set the Accept and Content-Type headers to application/json.",
            )

    # -- control API ------------------------------------------------------------------------------------------
    def _control(self, path: str, query: str, body: bytes):
        fake = self.server.fake
        params = dict(parse_qsl(query, keep_blank_values=True))
        route = path.rstrip("/")
        method = self.command
        if method == "GET" and route == "/_fake/accepted":
            if params.get("count_only") not in (None, "", "0", "false"):
                return self._send_json(200, fake.stats())
            return self._send_json(200, fake.accepted)
        if method == "GET" and route == "/_fake/requests":
            return self._send_json(200, fake.requests)
        if method == "GET" and route == "/_fake/config":
            return self._send_json(200, fake.config())
        if method == "POST" and route == "/_fake/config":
            try:
                data = json.loads(body or b"{}")
                fake.configure(**data)
            except (ValueError, TypeError) as err:
                return self._send_json(400, {"error": str(err)})
            return self._send_json(200, fake.config())
        if method == "POST" and route == "/_fake/reset":
            fake.reset()
            return self._send_json(200, {"ok": True})
        return self._send_json(404, {"error": f"unknown control endpoint {method} {path}"})


class FakePostmark:
    """Loopback fake of the Postmark API.  See the module docstring for the wire behaviour."""

    def __init__(self, token: str = "fake-server-token", host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set = set()
        self.errors: list[str] = []  # tracebacks of unexpected errors inside the fake (should stay empty)
        self._clear_state()
        self._default_switches()

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> "FakePostmark":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-postmark", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes hanging requests and latency sleeps
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # idle keep-alive connections must not keep serving after stop()
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakePostmark":
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        """root_api_url for postmarker, with the trailing slash: http://127.0.0.1:PORT/"""
        if self._server is None:
            raise RuntimeError("FakePostmark is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    # -- recorded state ---------------------------------------------------------------------------------------
    def _clear_state(self):
        self._accepted: list[dict] = []
        self._stored: list[_Stored] = []
        self._by_id: dict[str, _Stored] = {}
        self._by_meta: dict[tuple[str, str], list[int]] = {}
        self._by_recipient: dict[str, list[int]] = {}
        self._delivery_counts: dict[str, int] = {}
        self._with_delivery_id = 0
        self._requests: list[dict] = []

    def _default_switches(self):
        self.latency = 0.0
        self.hang_seconds = 30.0
        self.fault_rate = 0.0
        self._fault_kinds = list(DEFAULT_FAULT_KINDS)
        self._seed = None
        self._rng = random.Random()
        self._fail_next: list[str] = []
        self._recipient_errors = _LowerKeyDict()

    @property
    def accepted(self) -> list[dict]:
        """Snapshot: every accepted message as sent, plus "MessageID" and "SubmittedAt", in acceptance order."""
        with self._lock:
            return list(self._accepted)

    @property
    def requests(self) -> list[dict]:
        """Snapshot of API requests: method, path, query, headers, body_size, status (None if no response), fault."""
        with self._lock:
            return list(self._requests)

    def stats(self) -> dict:
        with self._lock:
            distinct = len(self._delivery_counts)
            return {
                "count": len(self._accepted),
                "distinct_delivery_ids": distinct,
                "duplicates": self._with_delivery_id - distinct,
            }

    def reset(self):
        """Clear accepted messages, recorded requests and errors, and put every switch back to its default."""
        with self._lock:
            self._clear_state()
            self.errors = []
            self._default_switches()

    # -- switches ---------------------------------------------------------------------------------------------
    @property
    def fault_kinds(self) -> list[str]:
        return list(self._fault_kinds)

    @fault_kinds.setter
    def fault_kinds(self, kinds):
        kinds = [str(k) for k in kinds]
        bad = [k for k in kinds if k not in FAULT_KINDS]
        if bad or not kinds:
            raise ValueError(f"fault kinds must be a non-empty subset of {FAULT_KINDS}, got {kinds}")
        with self._lock:
            self._fault_kinds = kinds

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        with self._lock:
            self._seed = value
            self._rng = random.Random(value)

    @property
    def recipient_errors(self) -> dict:
        """lower-cased address -> Postmark ErrorCode; mutate in place or assign a new dict."""
        return self._recipient_errors

    @recipient_errors.setter
    def recipient_errors(self, mapping):
        self._recipient_errors = _LowerKeyDict(mapping or {})

    def fail_next(self, n: int, kind: str):
        """The next n API requests fail with kind ("500", "503", "429", "hang", "reset"); appends to the queue."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        with self._lock:
            self._fail_next.extend([kind] * int(n))

    def configure(self, **switches):
        """Set several switches at once (the control API's POST /_fake/config)."""
        known = {"latency", "fault_rate", "fault_kinds", "seed", "hang_seconds", "recipient_errors", "fail_next"}
        unknown = set(switches) - known
        if unknown:
            raise TypeError(f"unknown switches: {sorted(unknown)}")
        if "latency" in switches:
            self.latency = float(switches["latency"])
        if "hang_seconds" in switches:
            self.hang_seconds = float(switches["hang_seconds"])
        if "fault_rate" in switches:
            self.fault_rate = float(switches["fault_rate"])
        if "fault_kinds" in switches:
            self.fault_kinds = switches["fault_kinds"]
        if "seed" in switches:
            self.seed = switches["seed"]
        if "recipient_errors" in switches:
            self.recipient_errors = switches["recipient_errors"]
        if switches.get("fail_next"):
            spec = switches["fail_next"]
            self.fail_next(int(spec.get("n", 1)), spec["kind"])

    def config(self) -> dict:
        with self._lock:
            pending = list(self._fail_next)
        return {
            "latency": self.latency,
            "hang_seconds": self.hang_seconds,
            "fault_rate": self.fault_rate,
            "fault_kinds": self.fault_kinds,
            "seed": self.seed,
            "recipient_errors": dict(self._recipient_errors),
            "fail_next": pending,
        }

    # -- internals used by the handler ------------------------------------------------------------------------
    def _track(self, conn, add: bool):
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _record_error(self, text: str):
        with self._lock:
            self.errors.append(text)

    def _record_request(self, entry: dict):
        with self._lock:
            self._requests.append(entry)

    def _take_fault(self):
        with self._lock:
            if self._fail_next:
                return self._fail_next.pop(0)
            rate = self.fault_rate
            if rate > 0 and self._rng.random() < rate:
                return self._rng.choice(self._fault_kinds)
        return None

    def _check(self, msg) -> _Stored:
        """Validate one message like Postmark; returns an unindexed _Stored or raises _ApiError."""
        if not isinstance(msg, dict):
            raise _ApiError(422, 403, "Incompatible JSON input: each message must be a JSON object.")
        sender = msg.get("From")
        if not isinstance(sender, str) or not sender.strip():
            raise _ApiError(422, 300, "Invalid 'From' address: ''.")
        if not _parse_address_list(sender, "From"):
            raise _ApiError(422, 300, f"Invalid 'From' address: '{sender}'.")
        to = _parse_address_list(msg.get("To"), "To")
        cc = _parse_address_list(msg.get("Cc"), "Cc")
        bcc = _parse_address_list(msg.get("Bcc"), "Bcc")
        if not to and not cc and not bcc:
            raise _ApiError(422, 300, "Zero recipients specified")
        if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
            raise _ApiError(422, 300, f"Maximum of {MAX_RECIPIENTS} recipients allowed per email message")
        if not msg.get("TextBody") and not msg.get("HtmlBody"):
            raise _ApiError(422, 300, "Provide either email TextBody or HtmlBody or both.")
        metadata = msg.get("Metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise _ApiError(422, 403, "Incompatible JSON input: 'Metadata' must be an object.")
        errors = self._recipient_errors
        if errors:
            for _, addr in to + cc + bcc:
                code = errors.get(addr.lower())
                if code:
                    raise _ApiError(422, code, _recipient_error_message(code, addr))
        return _Stored(msg, to, cc, bcc, -1)

    def _accept(self, items: list[_Stored], submitted_at: str):
        for item in items:
            item.msg["MessageID"] = str(uuid.uuid4())
            item.msg["SubmittedAt"] = submitted_at
        with self._lock:
            for item in items:
                msg = item.msg
                item.index = idx = len(self._stored)
                self._stored.append(item)
                self._accepted.append(msg)
                self._by_id[msg["MessageID"]] = item
                for _, addr in item.to + item.cc + item.bcc:
                    self._by_recipient.setdefault(addr.lower(), []).append(idx)
                metadata = msg.get("Metadata")
                if metadata:
                    for key, value in metadata.items():
                        self._by_meta.setdefault((key, str(value)), []).append(idx)
                    delivery_id = metadata.get("delivery_id")
                    if delivery_id is not None:
                        delivery_id = str(delivery_id)
                        self._delivery_counts[delivery_id] = self._delivery_counts.get(delivery_id, 0) + 1
                        self._with_delivery_id += 1

    @staticmethod
    def _ok(item: _Stored) -> dict:
        msg = item.msg
        return {
            "To": msg.get("To"),
            "SubmittedAt": msg["SubmittedAt"],
            "MessageID": msg["MessageID"],
            "ErrorCode": 0,
            "Message": "OK",
        }

    def _send_one(self, msg: dict) -> dict:
        item = self._check(msg)  # _ApiError -> 422 for the whole request
        self._accept([item], _timestamp())
        return self._ok(item)

    def _send_batch(self, messages: list) -> list:
        results: list = []
        good: list[_Stored] = []
        for msg in messages:
            try:
                item = self._check(msg)
            except _ApiError as err:
                results.append({"ErrorCode": err.code, "Message": err.message})
            else:
                good.append(item)
                results.append(item)
        self._accept(good, _timestamp())
        return [self._ok(r) if isinstance(r, _Stored) else r for r in results]

    def _get(self, message_id: str):
        with self._lock:
            return self._by_id.get(message_id)

    def _search(self, params: list[tuple[str, str]]) -> dict:
        args: dict[str, str] = {}
        metadata: list[tuple[str, str]] = []
        for key, value in params:
            lower = key.lower()
            if lower.startswith("metadata_"):
                metadata.append((key[len("metadata_") :], value))
            else:
                args[lower] = value
        try:
            count = int(args["count"])
            offset = int(args["offset"])
        except (KeyError, ValueError):
            raise _ApiError(422, 300, "The 'count' and 'offset' query parameters are required integers.") from None
        if not 1 <= count <= MAX_SEARCH_COUNT:
            raise _ApiError(422, 300, f"The 'count' parameter must be between 1 and {MAX_SEARCH_COUNT}.")
        if offset < 0 or count + offset > MAX_SEARCH_WINDOW:
            raise _ApiError(422, 300, f"'count' + 'offset' must not exceed {MAX_SEARCH_WINDOW}.")
        recipient = (args.get("recipient") or "").lower()
        fromemail = (args.get("fromemail") or "").lower()
        tag = args.get("tag") or None
        subject = args.get("subject") or None
        status = (args.get("status") or "").lower()
        fromdate = args.get("fromdate") or None
        todate = args.get("todate") or None

        with self._lock:
            candidates = None
            lists = []
            if recipient:
                lists.append(self._by_recipient.get(recipient, []))
            for key, value in metadata:
                lists.append(self._by_meta.get((key, value), []))
            if lists:
                candidates = min(lists, key=len)
                for other in lists:
                    if other is not candidates:
                        members = set(other)
                        candidates = [i for i in candidates if i in members]
                items = [self._stored[i] for i in candidates]
            else:
                items = list(self._stored)

        def keep(item: _Stored) -> bool:
            msg = item.msg
            if status and status != "sent":
                return False
            if tag is not None and (msg.get("Tag") or "") != tag:
                return False
            if subject is not None and subject.lower() not in (msg.get("Subject") or "").lower():
                return False
            if fromemail and fromemail not in (msg.get("From") or "").lower():
                return False
            day = msg["SubmittedAt"][:10]
            if fromdate and day < fromdate[:10]:
                return False
            if todate and day > todate[:10]:
                return False
            return True

        matches = [item for item in items if keep(item)]
        matches.reverse()  # most recent first
        page = matches[offset : offset + count]
        return {"TotalCount": len(matches), "Messages": [item.summary() for item in page]}


def _recipient_error_message(code: int, addr: str) -> str:
    if code == 406:
        return (
            "You tried to send to recipient(s) that have been marked as inactive. "
            f"Found inactive addresses: {addr}. "
            "Inactive recipients are ones that have generated a hard bounce, a spam complaint, or a manual suppression."
        )
    if code == 300:
        return f"Invalid 'To' address: '{addr}'."
    return ERROR_MESSAGES.get(code, f"Error {code}") + f" ({addr})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.postmark", description="Fake Postmark API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="fake-server-token")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API request")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", default=",".join(DEFAULT_FAULT_KINDS))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)

    fake = FakePostmark(token=args.token, host=args.host, port=args.port)
    fake.configure(
        latency=args.latency,
        fault_rate=args.fault_rate,
        fault_kinds=[k for k in args.fault_kinds.split(",") if k],
        seed=args.seed,
        hang_seconds=args.hang_seconds,
    )
    fake.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(fake.url, flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
