"""The channel interface every provider adapter implements, and the messages it moves.

A channel turns a prompt from the conversation engine into what the provider can show
(``render``), sends one message (``send``) and reports failures as one of two errors
the outbox understands: :class:`TransientSendError` (try again later, maybe after
``retry_after`` seconds) or :class:`PermanentSendError` (never retry this message; if
``opted_out`` the address asked not to be messaged). Inbound traffic is parsed by each
channel into an :class:`InboundMessage`.

Prompts are duck-typed: anything with ``key``, ``type``, ``text`` and ``choices``
(each choice with ``value``, ``label`` and optionally ``emoji``) works, so this module
does not depend on how ``surveys.engine`` spells its dataclasses.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from storage.models import utcnow


@runtime_checkable
class ChoiceLike(Protocol):
    """What a channel reads from one choice of a prompt."""

    value: Any
    label: str


@runtime_checkable
class PromptLike(Protocol):
    """What a channel reads from a prompt (``surveys.engine.Prompt`` satisfies this)."""

    key: str
    type: str
    text: str
    choices: Sequence[Any]


@dataclass(frozen=True)
class Choice:
    """One answer a respondent can pick: the stored value, the words shown, an optional emoji."""

    value: str
    label: str
    emoji: str | None = None

    @classmethod
    def of(cls, choice: Any) -> Choice:
        """Copy any choice-like object (or a dict from an outbox payload) into a Choice."""
        if isinstance(choice, Choice):
            return choice
        if isinstance(choice, (list, tuple)):
            value, label, emoji = (list(choice) + [None, None])[:3]
            return cls(str(value), str(label if label is not None else value), emoji)
        if isinstance(choice, Mapping):
            return cls(str(choice["value"]), str(choice.get("label", choice["value"])), choice.get("emoji"))
        return cls(str(choice.value), str(getattr(choice, "label", choice.value)), getattr(choice, "emoji", None))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for the outbox payload."""
        data: dict[str, Any] = {"value": self.value, "label": self.label}
        if self.emoji:
            data["emoji"] = self.emoji
        return data


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one address (phone number, Telegram chat id or email address).

    ``meta`` carries channel-specific rendering (``question_key``, ``keyboard`` for
    Telegram, ``subject``/``html`` for email) and must stay JSON-serialisable, because
    the outbox stores it as the message payload.
    """

    to: str
    text: str
    choices: tuple[Choice, ...] = ()
    reply_to: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def addressed(self, to: str) -> OutboundMessage:
        """The same message sent to ``to`` (render() leaves the address empty)."""
        return replace(self, to=to)

    def payload(self) -> dict[str, Any]:
        """Everything except ``to`` and ``text``, as JSON for ``OutboxMessage.payload``."""
        data: dict[str, Any] = {}
        if self.choices:
            data["choices"] = [c.as_dict() for c in self.choices]
        if self.reply_to is not None:
            data["reply_to"] = self.reply_to
        if self.meta:
            data["meta"] = dict(self.meta)
        return data

    @classmethod
    def from_outbox(cls, to: str, text: str, payload: Mapping[str, Any] | None = None) -> OutboundMessage:
        """Rebuild a message from an outbox row's ``to``, ``body`` and ``payload``."""
        payload = payload or {}
        # Other top-level keys (``subject`` from storage.alerts, ``question_key`` ...) count as meta.
        meta = {k: v for k, v in payload.items() if k not in ("choices", "reply_to", "meta")}
        meta.update(payload.get("meta") or {})
        return cls(
            to=to,
            text=text,
            choices=tuple(Choice.of(c) for c in payload.get("choices") or ()),
            reply_to=payload.get("reply_to"),
            meta=meta,
        )


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider_id: str
    status: str


@dataclass(frozen=True)
class InboundMessage:
    """One message or button press from a respondent, as any channel reports it.

    ``provider_id`` is unique per channel (Twilio MessageSid, Telegram update_id) and is
    what makes a retried webhook a duplicate. ``callback`` is ``(question_key, value)``
    when a button was pressed; ``start_token`` is the invitation token of a Telegram
    ``/start <token>`` deep link.
    """

    channel: str
    provider_id: str
    sender: str
    text: str = ""
    callback: tuple[str, str] | None = None
    callback_id: str | None = None
    start_token: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    meta: dict[str, Any] = field(default_factory=dict)


class SendError(Exception):
    """A message could not be sent; ``reason`` is safe to store (it never holds the body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendError):
    """Try again later: provider 5xx, rate limit (429), network failure or timeout."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """The provider refused this message for good; ``opted_out`` means never message the address again."""

    def __init__(self, reason: str, code: str | None = None, opted_out: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.opted_out = opted_out


class BadInbound(ValueError):  # noqa: N818 - the name reads as what it is: a bad inbound request
    """A webhook body that is not a usable message; ``reason`` says what is missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def choices_of(prompt: Any) -> tuple[Choice, ...]:
    """The prompt's choices as :class:`Choice` objects (empty for free-text questions)."""
    return tuple(Choice.of(c) for c in (getattr(prompt, "choices", None) or ()))


def scale_range(prompt: Any) -> tuple[int, int]:
    """The lowest and highest value of a scale prompt (from its bounds, else its choices, else 1-10)."""
    for lo_name, hi_name in (("min", "max"), ("scale_min", "scale_max"), ("low_value", "high_value")):
        lo, hi = getattr(prompt, lo_name, None), getattr(prompt, hi_name, None)
        if isinstance(lo, int) and isinstance(hi, int):
            return lo, hi
    scale = getattr(prompt, "scale", None)
    if scale is not None and isinstance(getattr(scale, "min", None), int):
        return scale.min, scale.max
    numbers = []
    for c in choices_of(prompt):
        try:
            numbers.append(int(c.value))
        except ValueError:
            pass
    if numbers:
        return min(numbers), max(numbers)
    return 1, 10


def resolve_choice(prompt: Any, value: str) -> str:
    """Turn a callback value back into a choice value.

    Values too long for Telegram's 64-byte callback data are sent as ``#<n>`` (the
    n-th choice, counting from 1); every other value is returned unchanged.
    """
    if value.startswith("#") and value[1:].isdigit():
        index = int(value[1:]) - 1
        options = choices_of(prompt)
        if 0 <= index < len(options):
            return options[index].value
    return value


class Channel(abc.ABC):
    """One way of reaching a respondent. Subclasses: Twilio SMS, Telegram, email."""

    name: ClassVar[str]

    @classmethod
    @abc.abstractmethod
    def configured(cls, settings: Any) -> bool:
        """Whether the settings hold what this channel needs to send."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Any) -> Channel:
        """Build the channel from a ``config.Config`` or ``app.config``."""

    @abc.abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Send one message; raise TransientSendError or PermanentSendError when it fails."""

    @abc.abstractmethod
    def render(self, prompt: Any, notices: Sequence[str] = ()) -> list[OutboundMessage]:
        """How this channel shows a prompt (with notices first), as unaddressed messages."""

    def already_sent(self, message: OutboundMessage, since: datetime) -> list[str]:
        """The provider's ids of messages it holds like ``message`` (same address and words,
        created since ``since``), oldest first.

        Asked before sending a message whose earlier send was never confirmed (a webhook's
        answer that carried it may have reached the provider or not), so that it goes
        out once. Only a provider that can list what it sent can say; the others send
        again. Raises TransientSendError when the provider cannot be asked now.
        """
        return []

    def close(self) -> None:  # noqa: B027 - optional hook, most channels hold nothing
        """Release connections; the channel must not be used afterwards."""
