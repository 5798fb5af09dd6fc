"""A fake of Slack's Web API on loopback, speaking the real wire format, plus request signing.

Standard library only. Point slack_sdk at it with ``WebClient(token, base_url=fake.url)``
(``SLACK_API_URL`` in donebot's settings): ``fake.url`` ends in ``/api/``.

Methods (``POST`` or ``GET /api/<method>``; arguments from the query string, a form body or a
JSON body; the token from ``Authorization: Bearer`` or a ``token`` argument):

    auth.test  chat.postMessage  chat.postEphemeral  conversations.open  conversations.history
    users.info  users.lookupByEmail  reactions.add  views.publish  views.open
    oauth.v2.access  auth.revoke

Answers are Slack's: HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.
A missing or unknown token is ``not_authed`` / ``invalid_auth``; a revoked one ``token_revoked``.

Faults:

* ``rate_limit(calls, per_seconds)``: above ``calls`` requests in a window of ``per_seconds``
  (per method, as Slack's tiers are), HTTP 429 with ``Retry-After`` (whole seconds, rounded up,
  as Slack sends it) and ``{"ok": false, "error": "ratelimited"}``.
* ``fail_next(method, error, n=1)``: the next n calls of that method answer ``error``
  (``"ratelimited"`` answers HTTP 429 with ``Retry-After: 1``).
* ``user_errors[user_id] = "account_inactive"`` (or ``channel_not_found``, ...): conversations.open
  and chat.postMessage for that user's DM answer that error.

``response_url()`` gives a command's response_url that lands here (recorded in ``responses``).
Everything received is recorded in ``calls`` (method, args, token, status); posted messages in
``messages``. ``sign(secret, body, timestamp)`` gives the headers Slack signs a request with.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

TEAM_ID = "T0DONE"
TEAM_NAME = "Acme"
BOT_TOKEN = "xoxb-fake-bot-token"
BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
APP_ID = "A0DONEBOT"


def sign(secret, body, timestamp):
    """The headers Slack sends with a request: v0 = HMAC-SHA256 of "v0:<timestamp>:<body>"."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Call:
    method: str
    args: dict
    token: str | None
    status: int = 200
    error: str | None = None


@dataclass
class Workspace:
    team_id: str
    name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    users: dict = field(default_factory=dict)  # user id -> users.info "user" object


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, addr, handler, fake):
        self.fake = fake
        super().__init__(addr, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSlack/1.0"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - keep test output clean
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        args = dict(parse_qsl(parts.query, keep_blank_values=True))
        content_type = (self.headers.get("Content-Type") or "").lower()
        try:
            if body and "json" in content_type:
                args.update(json.loads(body))
            elif body:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except ValueError:
            return self._send(200, {"ok": False, "error": "invalid_json"})
        if parts.path.startswith("/response/"):  # a command's response_url (hooks.slack.com in real life)
            self.server.fake._record_response(parts.path, body)
            return self._send(200, {"ok": True})
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Basic "):  # oauth.v2.access: client id and secret by HTTP basic auth
            client_id, _, secret = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", secret)
        token = auth[7:] if auth.startswith("Bearer ") else args.pop("token", None)
        method = parts.path.rsplit("/", 1)[-1]
        status, answer, headers = self.server.fake._answer(method, args, token)
        self._send(status, answer, headers)

    def _send(self, status, data, headers=()):
        raw = json.dumps(data).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


class FakeSlack:
    """Loopback fake of Slack's Web API. See the module docstring."""

    def __init__(self, host="127.0.0.1", port=0):
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self._ts = itertools.count(1)
        self.workspaces: dict[str, Workspace] = {}
        self.revoked: set[str] = set()
        self.oauth_codes: dict[str, dict] = {}  # code -> the oauth.v2.access answer
        self.client_id, self.client_secret = "111.222", "fake-client-secret"
        self.reset()
        self.add_workspace(TEAM_ID, TEAM_NAME, BOT_TOKEN, BOT_USER, BOT_ID)

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self):
        self._server = _Server((self.host, self.port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    # -- state --------------------------------------------------------------------------------------
    def reset(self):
        with self._lock:
            self.calls: list[Call] = []
            self.messages: list[dict] = []  # chat.postMessage, as stored
            self.ephemeral: list[dict] = []
            self.reactions: list[dict] = []
            self.published: dict[str, dict] = {}  # user id -> the App Home view last published
            self.opened: list[dict] = []  # views.open
            self.responses: list[dict] = []  # what was posted to response_url()s
            self.user_errors: dict[str, str] = {}
            self._fail: dict[str, list[str]] = {}
            self._limit = None  # (calls, per_seconds)
            self._windows: dict[str, tuple[float, int]] = {}
            self.rate_limited = 0

    def fresh(self):
        """Back to a just-started fake for the next test: records and switches cleared, only the
        default workspace, with no users, no revoked tokens and no pending OAuth codes."""
        self.reset()
        self.workspaces = {TEAM_ID: self.workspaces[TEAM_ID]}
        self.workspaces[TEAM_ID].users.clear()
        self.revoked.clear()
        self.oauth_codes.clear()
        return self

    def response_url(self, name="1"):
        """A response_url (Slack's hooks.slack.com/commands/...) that lands here, in `responses`."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/response/{name}"

    def _record_response(self, path, body):
        with self._lock:
            try:
                self.responses.append({"path": path, **json.loads(body or b"{}")})
            except ValueError:
                self.responses.append({"path": path, "raw": body.decode("utf-8", "replace")})

    def add_workspace(self, team_id, name, bot_token, bot_user_id="UBOT", bot_id="BBOT"):
        self.workspaces[team_id] = Workspace(team_id, name, bot_token, bot_user_id, bot_id)
        return self.workspaces[team_id]

    def add_user(self, user_id, email=None, name="", tz="Europe/London", team_id=TEAM_ID, is_bot=False,
                 deleted=False):
        user = {
            "id": user_id, "team_id": team_id, "name": (name or user_id).lower().replace(" ", "."),
            "real_name": name, "deleted": deleted, "is_bot": is_bot, "tz": tz,
            "tz_label": tz, "tz_offset": 0,
            "profile": {"real_name": name, "display_name": name, "email": email, "team": team_id},
        }
        if email is None:
            del user["profile"]["email"]
        self.workspaces[team_id].users[user_id] = user
        return user

    def add_oauth_code(self, code, team_id, team_name, bot_token, bot_user_id="UBOTX", installer="UINSTALLER"):
        self.oauth_codes[code] = {
            "ok": True, "app_id": APP_ID, "authed_user": {"id": installer}, "scope": "chat:write,im:history",
            "token_type": "bot", "access_token": bot_token, "bot_user_id": bot_user_id,
            "team": {"id": team_id, "name": team_name}, "enterprise": None, "is_enterprise_install": False,
        }
        if team_id not in self.workspaces:
            self.add_workspace(team_id, team_name, bot_token, bot_user_id, "B" + bot_user_id[1:])

    def rate_limit(self, calls, per_seconds=1.0):
        with self._lock:
            self._limit = (int(calls), float(per_seconds))
            self._windows = {}

    def fail_next(self, method, error, n=1):
        with self._lock:
            self._fail.setdefault(method, []).extend([error] * n)

    def dm_channel(self, user_id):
        return "D" + user_id

    def calls_of(self, method):
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages_to(self, user_id):
        channel = self.dm_channel(user_id)
        with self._lock:
            return [m for m in self.messages if m["channel"] == channel]

    # -- the API ------------------------------------------------------------------------------------
    def _workspace_of(self, token):
        for workspace in self.workspaces.values():
            if workspace.bot_token == token:
                return workspace
        return None

    def _throttled(self, method):
        """Seconds to wait if this call is over the configured rate, else None."""
        if self._limit is None:
            return None
        calls, per = self._limit
        now = time.monotonic()
        start, count = self._windows.get(method, (now, 0))
        if now - start >= per:
            start, count = now, 0
        if count >= calls:
            return max(1, math.ceil(per - (now - start)))
        self._windows[method] = (start, count + 1)
        return None

    def _answer(self, method, args, token):
        with self._lock:
            call = Call(method, dict(args), token)
            self.calls.append(call)
            failing = self._fail.get(method)
            injected = failing.pop(0) if failing else None
            wait = self._throttled(method) if method not in ("oauth.v2.access",) else None
            if injected == "ratelimited":
                wait = 1
            if wait is not None:
                self.rate_limited += 1
                call.status, call.error = 429, "ratelimited"
                return 429, {"ok": False, "error": "ratelimited"}, [("Retry-After", str(wait))]
            if injected:
                call.error = injected
                return 200, {"ok": False, "error": injected}, []
            if method == "oauth.v2.access":
                answer = self._oauth_access(args)
            else:
                answer = self._authed(method, args, token)
            if not answer.get("ok"):
                call.error = answer.get("error")
            return 200, answer, []

    def _oauth_access(self, args):
        if args.get("client_id") != self.client_id or args.get("client_secret") != self.client_secret:
            return {"ok": False, "error": "invalid_client_id"}
        answer = self.oauth_codes.pop(args.get("code"), None)
        return answer or {"ok": False, "error": "invalid_code"}

    def _authed(self, method, args, token):
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token in self.revoked:
            return {"ok": False, "error": "token_revoked"}
        workspace = self._workspace_of(token)
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(workspace, args, token)

    def _next_ts(self):
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _user_for_channel(self, workspace, channel):
        if channel and channel.startswith("D") and channel[1:] in workspace.users:
            return channel[1:]
        return None

    def _m_auth_test(self, workspace, args, token):
        return {"ok": True, "url": f"https://{workspace.name.lower()}.slack.com/", "team": workspace.name,
                "user": "donebot", "team_id": workspace.team_id, "user_id": workspace.bot_user_id,
                "bot_id": workspace.bot_id, "is_enterprise_install": False}

    def _m_auth_revoke(self, workspace, args, token):
        self.revoked.add(token)
        return {"ok": True, "revoked": True}

    def _m_conversations_open(self, workspace, args, token):
        users = str(args.get("users") or "")
        if not users or users not in workspace.users:
            return {"ok": False, "error": "user_not_found"}
        if users in self.user_errors:
            return {"ok": False, "error": self.user_errors[users]}
        return {"ok": True, "channel": {"id": self.dm_channel(users)}}

    def _m_chat_postMessage(self, workspace, args, token):
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        user = self._user_for_channel(workspace, channel)
        if user in self.user_errors:
            return {"ok": False, "error": self.user_errors[user]}
        if channel.startswith("D") and user is None:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {"channel": channel, "ts": self._next_ts(), "text": args.get("text", ""), "blocks": blocks or [],
                   "thread_ts": args.get("thread_ts"), "metadata": metadata, "team_id": workspace.team_id,
                   "user": workspace.bot_user_id, "bot_id": workspace.bot_id}
        self.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"],
                "message": {k: message[k] for k in ("text", "user", "bot_id", "ts")}}

    def _m_conversations_history(self, workspace, args, token):
        channel = args.get("channel")
        found = [m for m in self.messages if m["channel"] == channel and m["team_id"] == workspace.team_id]
        limit = int(args.get("limit") or 100)
        latest_first = list(reversed(found))[:limit]
        return {"ok": True, "messages": [{"type": "message", "ts": m["ts"], "text": m["text"], "bot_id": m["bot_id"],
                                          "metadata": m["metadata"]} for m in latest_first], "has_more": False}

    def _m_chat_postEphemeral(self, workspace, args, token):
        if not args.get("user") or args["user"] not in workspace.users:
            return {"ok": False, "error": "user_not_in_channel"}
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        self.ephemeral.append({"channel": args.get("channel"), "user": args["user"], "text": args.get("text", ""),
                               "blocks": blocks or []})
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_users_info(self, workspace, args, token):
        user = workspace.users.get(args.get("user"))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_users_lookupByEmail(self, workspace, args, token):
        email = (args.get("email") or "").lower()
        for user in workspace.users.values():
            if (user["profile"].get("email") or "").lower() == email and email:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _m_reactions_add(self, workspace, args, token):
        if not args.get("channel") or not args.get("timestamp") or not args.get("name"):
            return {"ok": False, "error": "invalid_arguments"}
        key = {"channel": args["channel"], "timestamp": args["timestamp"], "name": args["name"]}
        if key in self.reactions:
            return {"ok": False, "error": "already_reacted"}
        self.reactions.append(key)
        return {"ok": True}

    def _view(self, args):
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") not in ("home", "modal"):
            return None
        return view

    def _m_views_publish(self, workspace, args, token):
        view = self._view(args)
        if view is None or args.get("user_id") not in workspace.users:
            return {"ok": False, "error": "invalid_arguments"}
        self.published[args["user_id"]] = view
        return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:8].upper(), **view}}

    def _m_views_open(self, workspace, args, token):
        view = self._view(args)
        if view is None or not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_arguments"}
        self.opened.append({"trigger_id": args["trigger_id"], "view": view})
        return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:8].upper(), **view}}
