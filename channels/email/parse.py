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
from email.utils import getaddresses, parseaddr

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
    if codec:
        # mostly right in the declared charset: keep it, replacing the odd byte
        try:
            text = data.decode(codec, "replace")
            if text.count("\ufffd") * 50 <= len(text):
                return text
        except Exception:
            pass
    else:
        text = data.decode("utf-8", "replace")
        if text.count("\ufffd") * 100 <= len(text):
            return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --------------------------------------------------------------------------- headers

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,80})\?([bBqQ])\?([^?\s]*)\?=")
_EW_GAP = re.compile(r"\s+")
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


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs; names decoded."""
    result = []
    for value in values:
        value = _raw_header_str(value)
        value = _CRLF.sub("", value)
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = []
        for name, addr in pairs:
            addr = (addr or "").strip().strip("<>").lower()
            if "@" not in addr:
                # encoded-words in the address part, or garbage: try the decoded form
                continue
            try:
                name = decode_words(name or "").strip()
            except Exception:
                name = name or ""
            result.append((name, addr))
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
    "x-ms-exchange-generated-message-source",
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
            canonical = "-".join(p.capitalize() for p in name.split("-")).replace("Ms-", "MS-")
            return f"{canonical}: {value}".rstrip(": ") if value else canonical
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
        if para and depth != para_depth:
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


def _is_attachment(part: Message) -> bool:
    disp = str(part.get("Content-Disposition", "") or "").strip().lower()
    return disp.startswith("attachment")


def _payload_bytes(part: Message) -> bytes:
    """The decoded body bytes of a leaf part; tolerant of bad base64 / quoted-printable."""
    try:
        payload = part.get_payload()
    except Exception:
        payload = ""
    if isinstance(payload, list):
        return b""
    if isinstance(payload, bytes):
        raw = payload
    else:
        raw = (payload or "").encode("ascii", "surrogateescape")
    cte = str(part.get("Content-Transfer-Encoding", "") or "").strip().lower()
    try:
        if cte == "base64":
            cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", raw)
            cleaned = cleaned.split(b"=", 1)[0]
            cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
            cleaned += b"=" * (-len(cleaned) % 4)
            return base64.b64decode(cleaned)
        if cte == "quoted-printable":
            return quopri.decodestring(raw)
    except Exception:
        pass
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        try:
            decoded = part.get_payload(decode=True)
            if isinstance(decoded, bytes):
                return decoded
        except Exception:
            pass
    return raw


def _part_text(part: Message) -> str:
    data = _payload_bytes(part)
    charset = None
    try:
        charset = part.get_param("charset")
        if isinstance(charset, tuple):  # RFC 2231
            charset = charset[2] if len(charset) > 2 else None
            charset = charset or None
    except Exception:
        charset = None
    if charset is not None and not isinstance(charset, str):
        charset = str(charset)
    text = _decode_bytes(data, charset)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):
        value = value[2] if len(value) > 2 else ""
    return str(value or "").strip().lower()


def _leaf(part: Message, ctype: str) -> list[tuple[str, str]]:
    if _is_attachment(part):
        return []
    if ctype == "text/plain" or not part.get("Content-Type"):
        text = _part_text(part)
        if _param(part, "format") == "flowed":
            text = unflow(text, _param(part, "delsp") == "yes")
        return [("plain", text)]
    if ctype == "text/html":
        return [("html", _part_text(part))]
    if ctype.startswith("multipart/"):
        # a multipart whose boundary could not be used: read it as text
        text = _part_text(part)
        return [("plain", text)] if text.strip() else []
    return []


_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", re.M)


def _segments(part: Message, depth: int = 0) -> list[tuple[str, str]]:
    """Body segments ("plain"|"html", text) in reading order, one alternative chosen."""
    if depth > 30:
        return []
    try:
        ctype = part.get_content_type()
    except Exception:
        ctype = "text/plain"
    if ctype == "message/rfc822" or ctype.startswith("message/"):
        return []  # an attached message is not what the person typed
    payload = part.get_payload() if part.is_multipart() else None
    if not isinstance(payload, list):
        return _leaf(part, ctype)
    children = [c for c in payload if isinstance(c, Message)]
    if not children:
        return _leaf(part, ctype)
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


def _repair_boundary(msg: Message, raw: bytes) -> Message | None:
    """A multipart with a missing or wrong boundary parameter: guess it from the body and re-parse."""
    try:
        ctype = msg.get_content_type()
    except Exception:
        return None
    if not ctype.startswith("multipart/"):
        return None
    payload = msg.get_payload()
    if isinstance(payload, list) and payload:
        return None
    sep = raw.find(b"\n\n")
    if sep < 0:
        sep = raw.find(b"\r\n\r\n")
    body = raw[sep:] if sep >= 0 else raw
    m = _BOUNDARY_LINE.search(body)
    if m is None:
        return None
    boundary = m.group(1)
    if boundary.endswith(b"--"):
        boundary = boundary[:-2]
    try:
        boundary_str = boundary.decode("ascii")
        if '"' in boundary_str:
            return None
        fixed = _replace_content_type(raw, f'{ctype}; boundary="{boundary_str}"')
        msg2 = message_from_bytes(fixed, policy=compat32)
        payload2 = msg2.get_payload()
        if isinstance(payload2, list) and payload2:
            return msg2
    except Exception:
        return None
    return None


def _replace_content_type(raw: bytes, new_value: str) -> bytes:
    sep = raw.find(b"\r\n\r\n")
    nl = b"\r\n"
    if sep < 0 or (0 <= raw.find(b"\n\n") < sep):
        sep = raw.find(b"\n\n")
        nl = b"\n"
    if sep < 0:
        return raw
    head, body = raw[:sep], raw[sep:]
    lines = head.split(nl)
    out = []
    skipping = False
    for line in lines:
        if skipping and line[:1] in (b" ", b"\t"):
            continue
        skipping = False
        if line.lower().startswith(b"content-type:"):
            out.append(b"Content-Type: " + new_value.encode("ascii", "replace"))
            skipping = True
            continue
        out.append(line)
    return nl.join(out) + body


def _body_texts(segments: list[tuple[str, str]]) -> tuple[str, str]:
    """(whole body text, text to extract the reply from)."""
    if not segments:
        return "", ""
    texts = []
    replies = []
    for kind, content in segments:
        if kind == "html":
            texts.append(html_to_text(content))
            replies.append(html_to_reply_text(content))
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
    if data.startswith(b"From ") and b"\n" in data[:2000]:  # mbox separator line
        data = data.split(b"\n", 1)[1]
    msg = message_from_bytes(data, policy=compat32)
    if msg.is_multipart() or msg.get_content_maintype() == "multipart":
        repaired = _repair_boundary(msg, data)
        if repaired is not None:
            msg = repaired

    try:
        body_charset = msg.get_content_charset()
    except Exception:
        body_charset = None
    headers: dict[str, str] = {}
    raw_values: dict[str, list[str]] = {}
    try:
        items = msg.raw_items()
    except Exception:
        items = []
    for name, value in items:
        key = str(name).strip().lower()
        raw_values.setdefault(key, []).append(value if isinstance(value, str) else str(value))
        if key not in headers:
            headers[key] = _header_value(value, body_charset)

    from_name, from_address = ("", "")
    if "from" in raw_values:
        from_name, from_address = _from(raw_values["from"][0])
    recipients = []
    for key in ("to", "cc", "delivered-to", "x-original-to"):
        recipients.extend(addr for _, addr in _addresses(raw_values.get(key, [])))

    segments = _segments(msg)
    text, reply_source = _body_texts(segments)
    subject = headers.get("subject", "")
    reason = auto_reply_reason(headers, from_address)
    return ParsedEmail(
        message_id=_message_id(headers.get("message-id", "")),
        from_address=from_address,
        from_name=from_name,
        recipients=_dedupe(recipients),
        subject=subject,
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
        text, source = html_to_text(html_body), html_to_reply_text(html_body)
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
