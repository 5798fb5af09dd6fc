"""The Channel interface, DeliveryError, and the registry `bot/` fills at start-up.

The scheduler asks the registry for "the email channel" by name, so nothing in
core/ or scheduler/ imports a channel package.
"""
import datetime
from dataclasses import dataclass, field
from typing import Callable, Protocol


class DeliveryError(Exception):
    """A send that did not succeed. Permanent errors are not retried.

    `ambiguous` means the provider may have accepted the message anyway (an HTTP 500,
    a timeout after the request was written): the ledger reconciles before re-sending.
    """

    def __init__(self, message, permanent=False, retry_after=None, ambiguous=False, address_status=None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it did
        self.ambiguous = ambiguous
        # For a permanent error about the address itself (inactive, invalid): the user's
        # new email status ("bounced", "complained", "unsubscribed"), so no more mail goes there.
        self.address_status = address_status


@dataclass
class Outgoing:
    """One message to send, with everything a channel needs to render it."""

    delivery_id: int
    kind: str  # prompt, digest, receipt, nudge
    local_date: datetime.date
    user_id: int
    membership_id: int
    email: str
    name: str
    team_name: str
    team_slug: str
    reply_token: str = ""
    context: dict = field(default_factory=dict)


@dataclass
class SendResult:
    delivery_id: int
    provider_message_id: str | None = None
    error: DeliveryError | None = None

    @property
    def ok(self):
        return self.error is None


class Channel(Protocol):
    name: str

    def send(self, items: list[Outgoing]) -> list[SendResult]:
        """Send a batch; one result per item. May raise DeliveryError for the whole batch."""

    def reconcile(self, delivery_ids: list[int]) -> dict[int, str | None]:
        """Of these deliveries, which did the provider accept? -> {delivery_id: provider id, or None
        when the provider has no such message}. Ids left out could not be checked (the provider
        did not answer) and stay unknown until the next try."""


_channels: dict[str, Channel] = {}
_inbound: dict[str, Callable[..., object]] = {}


def register(channel):
    _channels[channel.name] = channel


def get(name):
    try:
        return _channels[name]
    except KeyError:
        raise LookupError(f"no channel named {name!r} is configured") from None


def available():
    return sorted(_channels)


def register_inbound(provider, process):
    """`process(inbound_message_id, now)` turns a stored inbound message into entries. It returns an
    object with `state` and `queued` ({channel: [delivery ids]} it planned, e.g. a receipt)."""
    _inbound[provider] = process


def inbound_processor(provider):
    try:
        return _inbound[provider]
    except KeyError:
        raise LookupError(f"no inbound processor for {provider!r}") from None


def clear():
    _channels.clear()
    _inbound.clear()
