"""Parse inbound email (raw RFC 5322 or Postmark's inbound JSON) into what donebot needs.

Standard library only. Nothing here raises on malformed input: ``parse_mime``,
``parse_file`` and ``extract_reply`` degrade to whatever could be read, and
``parse_postmark`` raises ``ValueError`` only for a payload that is not a dict.

Public API::

    ParsedEmail                      the result (see the dataclass)
    extract_reply(text) -> str       plain-text body -> just what the person typed
    html_to_text(html) -> str        HTML body -> plain text
    parse_mime(raw) -> ParsedEmail   raw message (bytes or str)
    parse_postmark(payload) -> ParsedEmail
    auto_reply_reason(headers, from_address) -> str
    parse_file(path) -> ParsedEmail  .eml, Postmark .json, or a plain-text body
"""
from __future__ import annotations

import base64
import binascii
import codecs
import json
import quopri
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import parseaddr

from .html2text import html_to_reply_text, html_to_text
from .quotes import extract_reply

__all__ = [
    "ParsedEmail",
    "extract_reply",
    "html_to_text",
    "parse_mime",
    "parse_postmark",
    "auto_reply_reason",
    "parse_file",
]


@dataclass
class ParsedEmail:
    message_id: str = ""  # Message-ID header without <>, "" if none
    from_address: str = ""  # lower-cased addr-spec of From, "" if none
    from_name: str = ""  # decoded display name
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, X-Original-To (+ Postmark's)
    subject: str = ""  # decoded, CR/LF removed
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased name -> first value, decoded
    text: str = ""  # the whole body as plain text
    reply: str = ""  # what the person typed
    auto_reply: bool = False
    auto_reply_reason: str = ""  # "" when not an auto reply


# --------------------------------------------------------------------------- charsets

# Labels mail uses that Python does not know, or where a superset decodes more real mail.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms_kanji": "cp932",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "windows-874": "cp874",
    "iso-8859-1": "cp1252",  # what is labelled latin-1 is usually windows-1252
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "unknown": "",
    "default": "",
    "x-user-defined": "",
}
_codec_cache: dict[str, str] = {}


def _codec(charset: str | None) -> str:
    """A Python codec name for a MIME charset label, or "" when unknown."""
    if not charset:
        return ""
    label = charset.strip().strip("\"'").lower()
    hit = _codec_cache.get(label)
    if hit is not None:
        return hit
    name = _CHARSET_ALIASES.get(label, label)
    if name:
        try:
            name = codecs.lookup(name).name
        except (LookupError, ValueError):
            name = ""
    if len(_codec_cache) < 512:
        _codec_cache[label] = name
    return name


_UTF8_MULTI = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset; else utf-8, then windows-1252/latin-1."""
    if not data:
        return ""
    codec = _codec(charset)
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
        except Exception:
            pass
    if codec != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec and codec != "ascii":
        # mostly right in the declared charset: keep it, replacing the odd byte
        try:
            text = data.decode(codec, "replace")
            if text.count("\ufffd") * 50 <= len(text):
                return text
        except Exception:
            pass
    else:
        # damaged utf-8 (valid multi-byte sequences and the odd broken one) stays utf-8;
        # text with no valid multi-byte sequence is a single-byte charset
        text = data.decode("utf-8", "replace")
        bad = text.count("\ufffd")
        if bad * 100 <= len(text) and _UTF8_MULTI.search(data):
            return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --------------------------------------------------------------------------- headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([bBqQ])\?([^?\s]*)\?=")
_QP_HEADER = re.compile(rb"=([0-9A-Fa-f]{2})")
_CRLF = re.compile(r"\r\n|\r|\n")


def _has_surrogates(s: str) -> bool:
    if s.isascii():
        return False
    return any("\udc80" <= c <= "\udcff" for c in s)


def _raw_header_str(value, charset_hint: str | None = None) -> str:
    """A header value as str; raw 8-bit bytes (surrogate-escaped) decoded as utf-8 or the hint."""
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:
            return ""
    if _has_surrogates(value):
        value = _decode_bytes(value.encode("ascii", "surrogateescape"), charset_hint)
    return value


def _b64(data: str) -> bytes:
    data = data.strip()
    data += "=" * (-len(data) % 4)
    try:
        return base64.b64decode(data)
    except (binascii.Error, ValueError):
        try:
            return binascii.a2b_base64(data.encode("ascii", "ignore"))
        except (binascii.Error, ValueError):
            return b""


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded-words; whitespace between adjacent encoded-words is dropped."""
    if "=?" not in value:
        return value
    out = []
    pos = 0
    pending: list[tuple[str, bytes]] = []  # adjacent encoded words not yet decoded

    def flush():
        if not pending:
            return
        # join the bytes of adjacent words in the same charset (multibyte chars may be split)
        charset, buf = pending[0][0], bytearray()
        for cs, raw in pending:
            if cs != charset:
                out.append(_decode_bytes(bytes(buf), charset))
                charset, buf = cs, bytearray()
            buf.extend(raw)
        out.append(_decode_bytes(bytes(buf), charset))
        pending.clear()

    for m in _ENCODED_WORD.finditer(value):
        gap = value[pos : m.start()]
        if gap and not (pending and not gap.strip()):
            flush()
            out.append(gap)
        charset = m.group(1).split("*", 1)[0]
        enc = m.group(2).upper()
        payload = m.group(3)
        if enc == "B":
            raw = _b64(payload)
        else:
            raw = _QP_HEADER.sub(lambda mm: bytes([int(mm.group(1), 16)]), payload.replace("_", " ").encode("latin-1", "replace"))
        pending.append((charset, raw))
        pos = m.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def _header_value(value, charset_hint: str | None = None) -> str:
    value = _raw_header_str(value, charset_hint)
    if "\r" in value or "\n" in value:
        value = _CRLF.sub("", value)
    try:
        value = decode_words(value)
    except Exception:
        pass
    return value.strip()


_ADDR_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|<[^<>]*>?|\((?:[^()\\]|\\.)*\)?|[,;:]|[^",<>();:]+|[<>)]')


def _address_list(value: str) -> list[tuple[str, str]]:
    """(name, addr) pairs of an address-list header (quoted names, groups, comments tolerated)."""
    out = []
    name_parts: list[str] = []
    angle = None
    bare: list[str] = []
    comment = ""

    def finish():
        nonlocal angle, comment
        if angle is not None:
            addr = angle
            name = " ".join(p for p in name_parts if p).strip()
        else:
            addr = "".join(bare).strip()
            name = comment
            if " " in addr:  # "Name addr@x" without brackets: take the token with the @
                words = addr.split()
                at = [w for w in words if "@" in w]
                if at:
                    addr = at[-1]
                    name = name or " ".join(w for w in words if w is not at[-1])
        addr = addr.strip().strip("<>").strip()
        if addr.lower().startswith("mailto:"):
            addr = addr[7:]
        if "@" in addr:
            out.append((name.strip(), addr.lower()))
        name_parts.clear()
        bare.clear()
        angle = None
        comment = ""

    for tok in _ADDR_TOKEN.findall(value):
        c = tok[0]
        if c == "," or c == ";":
            finish()
        elif c == ":":
            if angle is None and "@" not in "".join(bare):
                name_parts.clear()  # "group:" or "undisclosed-recipients:"
                bare.clear()
            else:
                bare.append(tok)
        elif c == "<":
            inner = tok[1:-1] if tok.endswith(">") else tok[1:]
            if angle is None or "@" in inner:
                angle = inner.strip()
                name_parts[:0] = [p.strip() for p in bare]
                bare.clear()
        elif c == '"':
            inner = tok[1:-1] if len(tok) >= 2 and tok.endswith('"') else tok[1:]
            inner = re.sub(r"\\(.)", r"\1", inner) if "\\" in inner else inner
            (bare if angle is None else name_parts).append(inner)
        elif c == "(":
            comment = (tok[1:-1] if tok.endswith(")") else tok[1:]).strip()
        elif c in ">)":
            continue
        else:
            (bare if angle is None else name_parts).append(tok)
    finish()
    return out


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs; names decoded."""
    result = []
    for value in values:
        value = _CRLF.sub("", _raw_header_str(value))
        try:
            pairs = _address_list(value)
            if not pairs and "=?" in value:  # a broken mailer encoded the address too
                pairs = _address_list(decode_words(value))
        except Exception:
            pairs = []
        for name, addr in pairs:
            if "=?" in name:
                try:
                    name = decode_words(name).strip()
                except Exception:
                    pass
            if "=?" in addr:
                addr = decode_words(addr).strip().lower()
            result.append((name.strip().strip('"').strip(), addr))
    return result


def _from(value: str) -> tuple[str, str]:
    """(name, lower-cased address) of a From header value."""
    value = _CRLF.sub("", _raw_header_str(value))
    pairs = _addresses([value])
    if pairs:
        return pairs[0]
    try:
        name, addr = parseaddr(value)
    except Exception:
        name, addr = "", ""
    try:
        name = decode_words(name or "").strip()
    except Exception:
        name = name or ""
    addr = (addr or "").strip().lower()
    if not addr and not name:
        name = decode_words(value).strip()
    return name, addr


def _message_id(value: str) -> str:
    value = (value or "").strip()
    m = re.search(r"<([^<>\s]+)>", value)
    if m:
        return m.group(1)
    return value.strip("<> \t")


def _dedupe(items):
    seen = set()
    out = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


# --------------------------------------------------------------------------- auto replies

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?\s*(?:reply|response|antwort)|autoreply|auto-reply|out\s+of\s+(?:the\s+)?office|"
    r"abwesenheitsnotiz|automatische\s+antwort|r[ée]ponse\s+automatique|absence|respuesta\s+autom[áa]tica|"
    r"fuera\s+de\s+la\s+oficina|risposta\s+automatica|fuori\s+sede|automatisch\s+antwoord|afwezig|"
    r"autosvar|automatiskt\s+svar|frånvaro|automatyczna\s+odpowied[źz]|автоматический\s+ответ|"
    r"resposta\s+autom[áa]tica|ausente|自動応答|自動返信|不在|自动回复|自動回覆)\b",
    re.I,
)
_AUTO_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-autogenerated",
)


def auto_reply_reason(headers: dict[str, str], from_address: str) -> str:
    """Why a message is automatic (out-of-office, bounce, list mail...), or "" for a person's mail."""
    try:
        return _auto_reply_reason(headers or {}, from_address or "")
    except Exception:
        return ""


def _auto_reply_reason(headers: dict, from_address: str) -> str:
    h = {}
    for k, v in headers.items():
        try:
            h[str(k).lower()] = "" if v is None else str(v)
        except Exception:
            continue
    value = h.get("auto-submitted", "").strip()
    if value and value.split(";", 1)[0].strip().lower() != "no":
        return f"Auto-Submitted: {value}"
    for name in _AUTO_HEADERS:
        if name in h:
            value = h[name].strip()
            if name == "x-autogenerated" and value.lower() not in ("reply", "yes", "true", "forward", "group"):
                continue
            canonical = "-".join(p.capitalize() for p in name.split("-"))
            return f"{canonical}: {value}" if value else canonical
    value = h.get("precedence", "").strip().lower()
    if value in ("bulk", "auto_reply", "auto-reply", "list", "junk"):
        return f"Precedence: {value}"
    if "x-failed-recipients" in h:
        return "X-Failed-Recipients: " + h["x-failed-recipients"].strip()
    ctype = h.get("content-type", "").strip().lower()
    if ctype.startswith("multipart/report"):
        return "Content-Type: multipart/report"
    local = from_address.strip().lower().split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster", "mailerdaemon", "mail-daemon"):
        return f"From: {from_address.strip().lower()}"
    return_path = h.get("return-path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "Return-Path: <>"
    subject = h.get("subject", "")
    suppress = h.get("x-auto-response-suppress", "")
    if _AUTO_SUBJECT.match(subject):
        # Outlook sets X-Auto-Response-Suppress on ordinary mail too: only with an auto subject
        if suppress and re.search(r"\b(?:all|oof)\b", suppress, re.I):
            return f"X-Auto-Response-Suppress: {suppress.strip()}; Subject: {subject.strip()[:80]}"
        return f"Subject: {subject.strip()[:80]}"
    return ""


# --------------------------------------------------------------------------- bodies

_FLOWED_SIG = "-- "


def unflow(text: str, delsp: bool = False) -> str:
    """Join format=flowed (RFC 3676) soft line breaks; with delsp the soft-break space goes too."""
    out: list[str] = []
    para: list[str] = []
    para_depth = -1
    for line in text.split("\n"):
        line = line.rstrip("\r")
        depth = 0
        while depth < len(line) and line[depth] == ">":
            depth += 1
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing (or the space after quote markers)
        if para and (depth != para_depth or body == _FLOWED_SIG):
            out.append(_flowed_line(para_depth, "".join(para)))
            para = []
        flowed = body.endswith(" ") and body != _FLOWED_SIG
        if flowed:
            para_depth = depth
            para.append(body[:-1] if delsp else body)
            continue
        if para:
            para.append(body)
            out.append(_flowed_line(depth, "".join(para)))
            para = []
        else:
            out.append(_flowed_line(depth, body))
    if para:
        out.append(_flowed_line(para_depth, "".join(para)))
    return "\n".join(out)


def _flowed_line(depth: int, body: str) -> str:
    if depth <= 0:
        return body
    return ">" * depth + (" " + body if body else "")


# --------------------------------------------------------------------------- MIME reading
#
# A small tolerant reader instead of email.feedparser: it is several times faster on
# typical replies and copes with missing/wrong boundaries, bad base64 and garbage.
# If it ever raised, parse_mime falls back to the standard library parser.

_HEAD_SEP = re.compile(rb"\r?\n[ \t]*\r?\n")
_HEADER_NAME = re.compile(r"([!-9;-~]{1,200})[ \t]*:")
_PARAM = re.compile(r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')
_PCT = re.compile(rb"%([0-9A-Fa-f]{2})")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", re.M)
_MIME_HEADER_LINE = re.compile(rb"^(?:content-[a-z-]+|mime-version)[ \t]*:", re.I)
_MAX_PARTS = 500
_MAX_DEPTH = 30


class _Part:
    """One MIME entity: lower-cased headers, raw body bytes, content type, params, children."""

    __slots__ = ("headers", "body", "ctype", "params", "children")

    def __init__(self, headers, body, ctype, params, children=None):
        self.headers = headers
        self.body = body
        self.ctype = ctype
        self.params = params
        self.children = children

    def header(self, name: str):
        for key, value in self.headers:
            if key == name:
                return value
        return None


def _parse_ctype(value) -> tuple[str, dict]:
    """("type/subtype", params) of a Content-Type value; "" type when unusable."""
    if not value:
        return "", {}
    value = _CRLF.sub(" ", _raw_header_str(value))
    main, _, rest = value.partition(";")
    ctype = main.strip().lower()
    if ctype.count("/") != 1 or " " in ctype or "(" in ctype:
        ctype = ""
    params: dict[str, str] = {}
    extended: dict[str, list[tuple[str, str]]] = {}
    for m in _PARAM.finditer(";" + rest):
        name = m.group(1).lower()
        val = m.group(2).strip()
        if val.startswith('"'):
            val = val[1:-1] if len(val) >= 2 and val.endswith('"') else val[1:]
            if "\\" in val:
                val = re.sub(r"\\(.)", r"\1", val)
        if "*" in name:
            base, _, idx = name.partition("*")
            extended.setdefault(base, []).append((idx, val))
        elif name not in params:
            params[name] = val
    for base, pieces in extended.items():
        try:
            params[base] = _rfc2231(pieces)
        except Exception:
            continue
    return ctype, params


def _rfc2231(pieces: list[tuple[str, str]]) -> str:
    def order(piece):
        digits = piece[0].rstrip("*")
        return int(digits) if digits.isdigit() else 0

    pieces.sort(key=order)
    charset = "utf-8"
    raw = bytearray()
    for k, (idx, val) in enumerate(pieces):
        encoded = idx == "" or idx.endswith("*")
        if encoded:
            if k == 0 and val.count("'") >= 2:
                charset, _lang, val = val.split("'", 2)
            raw.extend(_PCT.sub(lambda mm: bytes([int(mm.group(1), 16)]), val.encode("latin-1", "replace")))
        else:
            raw.extend(val.encode("utf-8", "surrogateescape"))
    return _decode_bytes(bytes(raw), charset or "utf-8")


def _split_head(data: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers [(lower-cased name, raw value)] and the body bytes."""
    if data[:1] == b"\n" or data[:2] == b"\r\n":
        return [], data.split(b"\n", 1)[1]
    m = _HEAD_SEP.search(data)
    head = data if m is None else data[: m.start()]
    body = b"" if m is None else data[m.end() :]
    text = head.decode("ascii", "surrogateescape")
    lines = text.split("\n")
    headers: list[tuple[str, str]] = []
    name = None
    parts: list[str] = []
    for idx, line in enumerate(lines):
        if line.endswith("\r"):
            line = line[:-1]
        if line[:1] in (" ", "\t"):
            if name is not None:
                parts.append(line)
                continue
            if not line.strip():
                continue
        hm = _HEADER_NAME.match(line)
        if hm is None:
            if idx == 0 and line.startswith("From "):
                continue  # mbox separator
            if m is not None and (
                not any(ch.isalnum() for ch in line) or (idx + 1 < len(lines) and _HEADER_NAME.match(lines[idx + 1]))
            ):
                continue  # a junk line among the headers
            # not a header: the body starts here (missing blank line)
            rest = "\n".join(lines[idx:]).encode("ascii", "surrogateescape")
            body = rest + (b"\n\n" + body if m is not None else b"")
            break
        if name is not None:
            headers.append((name, "\n".join(parts)))
        name = hm.group(1).lower()
        parts = [line[hm.end() :]]
    if name is not None:
        headers.append((name, "\n".join(parts)))
    return headers, body


def _split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The parts between ``--boundary`` lines (the last part runs to the end if never closed)."""
    try:
        bnd = boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        bnd = boundary.encode("utf-8", "surrogateescape")
    if not bnd or len(bnd) > 300:
        return []
    delim = b"--" + bnd
    n = len(body)
    parts: list[bytes] = []
    content_start = -1
    idx = body.find(delim)
    while idx >= 0 and len(parts) < _MAX_PARTS:
        after = idx + len(delim)
        if idx == 0 or body[idx - 1] == 10:
            eol = body.find(b"\n", after)
            if eol < 0:
                eol = n
            tail = body[after:eol].strip()
            closing = tail.startswith(b"--")
            if closing or not tail:
                if content_start >= 0:
                    end = idx - 1 if idx > 0 else 0
                    if end > content_start and body[end - 1] == 13:
                        end -= 1
                    parts.append(body[content_start : max(content_start, end)])
                if closing:
                    content_start = -1
                    break
                content_start = min(n, eol + 1)
                idx = body.find(delim, content_start)
                continue
        idx = body.find(delim, after)
    if content_start >= 0:
        parts.append(body[content_start:])
    return parts


def _guess_boundary(body: bytes) -> str:
    """A boundary for a multipart whose declared one is missing or wrong: a ``--token`` line followed by MIME headers."""
    for k, m in enumerate(_BOUNDARY_LINE.finditer(body, 0, min(len(body), 1 << 20))):
        if k > 50:
            break
        nxt = body[m.end() + 1 : m.end() + 200].lstrip(b"\r\n")
        if _MIME_HEADER_LINE.match(nxt):
            token = m.group(1)
            if token.endswith(b"--"):
                token = token[:-2]
            return token.decode("ascii", "replace")
    return ""


def _read_part(data: bytes, depth: int = 0) -> _Part:
    headers, body = _split_head(data)
    ctype = ""
    params: dict = {}
    for key, value in headers:
        if key == "content-type":
            ctype, params = _parse_ctype(value)
            break
    part = _Part(headers, body, ctype or "text/plain", params)
    if part.ctype.startswith("multipart/") and depth < _MAX_DEPTH:
        boundary = params.get("boundary", "")
        pieces = _split_multipart(body, boundary) if boundary else []
        if not pieces:
            guessed = _guess_boundary(body)
            if guessed and guessed != boundary:
                pieces = _split_multipart(body, guessed)
        if pieces:
            part.children = [_read_part(piece, depth + 1) for piece in pieces]
    return part


def _from_stdlib(msg: Message, depth: int = 0) -> _Part:
    """The same structure from an email.message.Message (fallback path)."""
    headers = [(str(k).lower(), v if isinstance(v, str) else str(v)) for k, v in msg.raw_items()]
    ctype, params = "", {}
    for key, value in headers:
        if key == "content-type":
            ctype, params = _parse_ctype(value)
            break
    payload = msg.get_payload()
    if isinstance(payload, list):
        children = [_from_stdlib(c, depth + 1) for c in payload if isinstance(c, Message)] if depth < _MAX_DEPTH else []
        return _Part(headers, b"", ctype or "multipart/mixed", params, children)
    if isinstance(payload, str):
        body = payload.encode("ascii", "surrogateescape") if not payload.isascii() else payload.encode("ascii")
    elif isinstance(payload, bytes):
        body = payload
    else:
        body = b""
    return _Part(headers, body, ctype or "text/plain", params)


def _decode_transfer(body: bytes, cte: str) -> bytes:
    cte = (cte or "").strip().lower()
    if cte == "base64":
        try:
            return binascii.a2b_base64(body)
        except (binascii.Error, ValueError):
            cleaned = _B64_JUNK.sub(b"", body)
            if len(cleaned) % 4 == 1:
                cleaned = cleaned[:-1]
            cleaned += b"=" * (-len(cleaned) % 4)
            try:
                return binascii.a2b_base64(cleaned)
            except (binascii.Error, ValueError):
                return b""
    if cte == "quoted-printable":
        try:
            return quopri.decodestring(body)
        except Exception:
            return body
    return body


def _is_attachment(part: _Part) -> bool:
    disp = part.header("content-disposition")
    return bool(disp) and _raw_header_str(disp).strip().lower().startswith("attachment")


def _part_text(part: _Part) -> str:
    data = _decode_transfer(part.body, _raw_header_str(part.header("content-transfer-encoding")))
    text = _decode_bytes(data, part.params.get("charset"))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _leaf(part: _Part) -> list[tuple[str, str]]:
    ctype = part.ctype
    if _is_attachment(part):
        return []
    if ctype == "text/plain":
        text = _part_text(part)
        if part.params.get("format", "").lower() == "flowed":
            text = unflow(text, part.params.get("delsp", "").lower() == "yes")
        return [("plain", text)]
    if ctype == "text/html":
        return [("html", _part_text(part))]
    if ctype.startswith("multipart/"):
        # a multipart whose parts could not be found: read it as text
        text = _part_text(part)
        return [("plain", text)] if text.strip() else []
    return []


def _segments(part: _Part, depth: int = 0) -> list[tuple[str, str]]:
    """Body segments ("plain"|"html", text) in reading order, one alternative chosen."""
    ctype = part.ctype
    if depth > _MAX_DEPTH or ctype.startswith("message/"):
        return []  # an attached message is not what the person typed
    children = part.children
    if not children:
        return _leaf(part)
    if ctype == "multipart/alternative":
        alts = [_segments(c, depth + 1) for c in children]
        for segs in alts:  # a plain-text alternative with content wins
            if segs and all(k == "plain" for k, _ in segs) and any(t.strip() for _, t in segs):
                return segs
        for segs in reversed(alts):  # else the richest (last) alternative with content
            if any(t.strip() for _, t in segs):
                return segs
        return []
    if ctype in ("multipart/related", "multipart/signed", "multipart/report"):
        for child in children:
            segs = _segments(child, depth + 1)
            if any(t.strip() for _, t in segs):
                return segs
        return []
    if ctype == "multipart/encrypted":
        return []
    segs: list[tuple[str, str]] = []
    for child in children:
        segs.extend(_segments(child, depth + 1))
    return segs


_REPLY_HTML_MAX = 2_000_000  # what a person typed is at the top; don't convert megabytes of history twice


def _body_texts(segments: list[tuple[str, str]]) -> tuple[str, str]:
    """(whole body text, text to extract the reply from)."""
    if not segments:
        return "", ""
    texts = []
    replies = []
    for kind, content in segments:
        if kind == "html":
            texts.append(html_to_text(content))
            replies.append(html_to_reply_text(content[:_REPLY_HTML_MAX]))
        else:
            texts.append(content)
            replies.append(content)
    if len(texts) == 1:
        return texts[0], replies[0]
    return "\n".join(t for t in texts if t.strip()), "\n".join(r for r in replies if r.strip())


# --------------------------------------------------------------------------- entry points


def _to_bytes(raw) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, (bytearray, memoryview)):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    if raw is None:
        return b""
    return str(raw).encode("utf-8", "surrogateescape")


def parse_mime(raw: bytes | str) -> ParsedEmail:
    """Parse a raw RFC 5322 message. Never raises."""
    try:
        return _parse_mime(_to_bytes(raw))
    except Exception:
        try:
            text = _decode_bytes(_to_bytes(raw))
        except Exception:
            text = ""
        return ParsedEmail(text=text, reply=extract_reply(text))


def _parse_mime(data: bytes) -> ParsedEmail:
    try:
        root = _read_part(data)
    except Exception:  # pragma: no cover - the reader is tolerant; stdlib as a safety net
        root = _from_stdlib(message_from_bytes(data, policy=compat32))

    body_charset = root.params.get("charset")
    headers: dict[str, str] = {}
    raw_values: dict[str, list[str]] = {}
    for key, value in root.headers:
        raw_values.setdefault(key, []).append(value)
        if key not in headers:
            headers[key] = _header_value(value, body_charset)

    from_name, from_address = ("", "")
    if "from" in raw_values:
        from_name, from_address = _from(raw_values["from"][0])
    recipients = []
    for key in ("to", "cc", "delivered-to", "x-original-to"):
        if key in raw_values:
            recipients.extend(addr for _, addr in _addresses(raw_values[key]))

    text, reply_source = _body_texts(_segments(root))
    reason = auto_reply_reason(headers, from_address)
    return ParsedEmail(
        message_id=_message_id(headers.get("message-id", "")),
        from_address=from_address,
        from_name=from_name,
        recipients=_dedupe(recipients),
        subject=headers.get("subject", ""),
        headers=headers,
        text=text,
        reply=extract_reply(reply_source),
        auto_reply=bool(reason),
        auto_reply_reason=reason,
    )


def _str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return ""


def _postmark_people(value) -> list[tuple[str, str]]:
    out = []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return out
    for item in value:
        if isinstance(item, dict):
            email = _str(item.get("Email")).strip().lower()
            name = _str(item.get("Name")).strip()
            if "@" in email:
                out.append((name, email))
    return out


def parse_postmark(payload: dict) -> ParsedEmail:
    """Parse Postmark's inbound webhook JSON (RawEmail when present). ValueError if not a dict."""
    if not isinstance(payload, dict):
        raise ValueError("a Postmark inbound payload is a JSON object")
    try:
        return _parse_postmark(payload)
    except Exception:
        text = _str(payload.get("TextBody"))
        return ParsedEmail(text=text, reply=extract_reply(text))


def _parse_postmark(payload: dict) -> ParsedEmail:
    raw = payload.get("RawEmail")
    extra_recipients = []
    orig = _str(payload.get("OriginalRecipient")).strip().lower()
    if "@" in orig:
        extra_recipients.append(orig)
    for key in ("ToFull", "CcFull"):
        extra_recipients.extend(addr for _, addr in _postmark_people(payload.get(key)))
    hint = _str(payload.get("StrippedTextReply"))

    if isinstance(raw, str) and raw.strip():
        parsed = parse_mime(raw)
        parsed.recipients = _dedupe(parsed.recipients + extra_recipients)
        if not parsed.message_id:
            parsed.message_id = _message_id(_str(payload.get("MessageID")))
        if not parsed.from_address:
            people = _postmark_people(payload.get("FromFull"))
            if people:
                parsed.from_name, parsed.from_address = people[0]
        if not parsed.subject:
            parsed.subject = _CRLF.sub("", _str(payload.get("Subject"))).strip()
        if not parsed.text.strip():
            # RawEmail unreadable: fall back to Postmark's own decoding
            fallback = _parse_postmark_fields(payload, extra_recipients, hint)
            parsed.text, parsed.reply = fallback.text, fallback.reply
        parsed.reply = _use_hint(parsed.reply, parsed.text, hint)
        return parsed
    return _parse_postmark_fields(payload, extra_recipients, hint)


def _parse_postmark_fields(payload: dict, extra_recipients: list[str], hint: str) -> ParsedEmail:
    headers: dict[str, str] = {}
    hlist = payload.get("Headers")
    if isinstance(hlist, list):
        for item in hlist:
            if not isinstance(item, dict):
                continue
            name = _str(item.get("Name")).strip().lower()
            if name and name not in headers:
                headers[name] = _header_value(_str(item.get("Value")))
    subject = _header_value(_str(payload.get("Subject")))
    for key, field_name in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"), ("reply-to", "ReplyTo")):
        value = _str(payload.get(field_name)).strip()
        if value and key not in headers:
            headers[key] = _header_value(value)
    if subject and "subject" not in headers:
        headers["subject"] = subject

    people = _postmark_people(payload.get("FromFull"))
    if people:
        from_name, from_address = people[0]
    else:
        from_name, from_address = _from(_str(payload.get("From")))
        from_name = from_name or _str(payload.get("FromName")).strip()

    message_id = _message_id(headers.get("message-id", "")) or _message_id(_str(payload.get("MessageID")))

    recipients = []
    for key in ("to", "cc", "delivered-to", "x-original-to"):
        if key in headers:
            recipients.extend(addr for _, addr in _addresses([headers[key]]))
    recipients.extend(extra_recipients)

    text_body = _str(payload.get("TextBody")).replace("\r\n", "\n").replace("\r", "\n")
    html_body = _str(payload.get("HtmlBody"))
    if text_body.strip():
        text, source = text_body, text_body
    elif html_body.strip():
        text, source = html_to_text(html_body), html_to_reply_text(html_body[:_REPLY_HTML_MAX])
    else:
        text, source = "", ""
    reply = _use_hint(extract_reply(source), text, hint)
    reason = auto_reply_reason(headers, from_address)
    return ParsedEmail(
        message_id=message_id,
        from_address=from_address,
        from_name=from_name,
        recipients=_dedupe(recipients),
        subject=subject,
        headers=headers,
        text=text,
        reply=reply,
        auto_reply=bool(reason),
        auto_reply_reason=reason,
    )


def _squash(s: str) -> str:
    return " ".join(s.split())


def _use_hint(reply: str, text: str, hint: str) -> str:
    """Postmark's StrippedTextReply, only when ours came out empty and theirs is really in the body."""
    if reply.strip() or not hint.strip():
        return reply
    hint_norm = _squash(hint)
    if hint_norm and hint_norm in _squash(text):
        return extract_reply(hint)
    return reply


# --------------------------------------------------------------------------- files

_HEADER_START = re.compile(rb"^[!-9;-~]{1,76}:", re.M)
_KNOWN_HEADERS = re.compile(
    rb"^(?:from|to|cc|subject|date|message-id|received|return-path|mime-version|content-type|delivered-to|"
    rb"x-[a-z0-9-]+|reply-to|sender|in-reply-to|references|dkim-signature|arc-[a-z-]+|authentication-results)\s*:",
    re.I | re.M,
)
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<div|<p[\s>]|<table|<\?xml)", re.I)


def _looks_like_message(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith(b"From "):
        head = head.split(b"\n", 1)[-1]
    if not _HEADER_START.match(head):
        return False
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    return len(_KNOWN_HEADERS.findall(block)) >= 2 or bool(re.match(rb"(?i)(?:received|return-path|from|message-id|delivered-to|mime-version):", head))


def parse_file(path: str) -> ParsedEmail:
    """A raw .eml, a Postmark inbound .json, or a plain-text body (anything else: text body)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return ParsedEmail()
    try:
        stripped = data.lstrip()
        if stripped[:1] == b"{":
            try:
                payload = json.loads(_decode_bytes(data))
            except (ValueError, RecursionError):
                payload = None
            if isinstance(payload, dict):
                return parse_postmark(payload)
        if _looks_like_message(data):
            return parse_mime(data)
        text = _decode_bytes(data)
        if _HTML_START.match(data[:1024]):
            return ParsedEmail(text=html_to_text(text), reply=extract_reply(html_to_reply_text(text)))
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return ParsedEmail(text=text, reply=extract_reply(text))
    except Exception:
        text = _decode_bytes(data) if isinstance(data, bytes) else ""
        return ParsedEmail(text=text, reply=extract_reply(text))
