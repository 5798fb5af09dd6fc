"""Reply tokens: round trip, short, lowercase-safe, unforgeable."""
import datetime

import pytest

from core import tokens

SECRET = "a-secret-for-tests"
DAY = datetime.date(2026, 11, 30)


def test_round_trip_and_shape():
    token = tokens.encode(SECRET, 12345, DAY)
    assert len(token) == tokens.TOKEN_LENGTH <= 32
    assert token == token.lower() and token.isalnum()
    assert tokens.decode(SECRET, token) == (12345, DAY)


def test_survives_a_mail_server_that_changes_case():
    token = tokens.encode(SECRET, 7, DAY)
    assert tokens.decode(SECRET, token.upper()) == (7, DAY)


def test_large_membership_ids():
    token = tokens.encode(SECRET, 2**36 + 5, DAY)
    assert tokens.decode(SECRET, token) == (2**36 + 5, DAY)


def test_tokens_differ_per_member_and_day():
    seen = {tokens.encode(SECRET, m, DAY + datetime.timedelta(days=d)) for m in range(1, 50) for d in range(10)}
    assert len(seen) == 490


@pytest.mark.parametrize("mutate", [
    lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # tampered MAC
    lambda t: ("b" if t[0] != "b" else "c") + t[1:],  # tampered payload
    lambda t: t[:-2],  # truncated
    lambda t: "",
    lambda t: "reply+" + t,
    lambda t: t[:-1] + "1",  # not base32
    lambda t: "é" * 26,
])
def test_forged_or_malformed_tokens_are_rejected(mutate):
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(SECRET, mutate(tokens.encode(SECRET, 42, DAY)))


def test_another_secret_rejects():
    with pytest.raises(tokens.InvalidToken):
        tokens.decode("another-secret", tokens.encode(SECRET, 42, DAY))


def test_purposes_do_not_mix():
    token = tokens.encode(SECRET, 42, DAY, purpose="unsubscribe")
    with pytest.raises(tokens.InvalidToken):
        tokens.decode(SECRET, token, purpose="reply")
