"""Reply tokens: `reply+<token>@INBOUND_DOMAIN` names the member and the day being answered.

A token is base32 (lower case, so a mail server that lowercases local parts does no
harm) of the membership id, the local date and a truncated HMAC: 26 characters,
nothing stored, unguessable without the secret key.
"""
import base64
import datetime
import functools
import hashlib
import hmac
import struct

EPOCH = datetime.date(2000, 1, 1)
_MAC_BYTES = 9  # 72 bits: guessing one is hopeless at any request rate
_LAYOUT = ">IBH"  # membership id (low 32 bits), high byte of id, day number
TOKEN_LENGTH = 26


class InvalidToken(ValueError):
    pass


@functools.lru_cache(maxsize=16)
def _keyed(secret, purpose):
    """An HMAC already fed the key and purpose; each token copies it (a fan-out signs two per email)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, purpose.encode() + b":", hashlib.sha256)


def _mac(secret, purpose, payload):
    mac = _keyed(secret, purpose).copy()
    mac.update(payload)
    return mac.digest()[:_MAC_BYTES]


def encode(secret, membership_id, local_date, purpose="reply"):
    if not 0 < membership_id < 2**40:
        raise ValueError("membership id out of range")
    day = (local_date - EPOCH).days
    if not 0 <= day < 2**16:
        raise ValueError("date out of range")
    payload = struct.pack(_LAYOUT, membership_id & 0xFFFFFFFF, membership_id >> 32, day)
    raw = payload + _mac(secret, purpose, payload)
    return base64.b32encode(raw).decode().rstrip("=").lower()


def decode(secret, token, purpose="reply"):
    """-> (membership_id, local_date); InvalidToken when malformed or forged."""
    text = (token or "").strip()
    if len(text) != TOKEN_LENGTH or not text.isascii():
        raise InvalidToken("malformed token")
    try:
        raw = base64.b32decode(text.upper() + "======")
    except (ValueError, base64.binascii.Error):
        raise InvalidToken("malformed token") from None
    payload, mac = raw[:7], raw[7:]
    if not hmac.compare_digest(mac, _mac(secret, purpose, payload)):
        raise InvalidToken("token signature does not match")
    low, high, day = struct.unpack(_LAYOUT, payload)
    return (high << 32) | low, EPOCH + datetime.timedelta(days=day)
