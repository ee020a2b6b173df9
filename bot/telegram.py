"""Telegram: check the webhook secret, parse updates, send with inline keyboards.

python-telegram-bot is asynchronous and Flask is not. One event loop per process runs
on a daemon thread, started lazily (so it is created after gunicorn forks), and every
call is handed to it with ``run_coroutine_threadsafe``; ``asyncio.run`` per call breaks
once connections are kept alive (see NOTES-dependencies.md).

Buttons carry ``a:<question_key>:<value>`` as callback data; a value that would not fit
Telegram's 64 bytes is sent as ``#<n>`` (the n-th choice, see ``bot.base.resolve_choice``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import threading
from collections.abc import Coroutine, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest

from bot.base import (
    BadInbound,
    Channel,
    Choice,
    InboundMessage,
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
    choices_of,
)
from config import setting

log = logging.getLogger(__name__)
# PTB's new behaviour (time periods as timedelta): both shapes are handled here, and the
# old one warns from inside the library on every RetryAfter.
os.environ.setdefault("PTB_TIMEDELTA", "1")
# httpx logs every request URL at INFO, and a Bot API URL holds the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)

T = TypeVar("T")
MAX_CALLBACK_DATA = 64
# Message parts that are not text (Bot API "Message" fields): answered with a kind reply,
# their caption (if any) read as the message's words.
MEDIA_KINDS = ("photo", "video", "document", "animation", "audio", "voice", "video_note", "sticker",
               "location", "venue", "contact", "poll", "dice")
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALL_TIMEOUT = 15.0

# -- the process's event loop ------------------------------------------------------------

_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def event_loop() -> asyncio.AbstractEventLoop:
    """The process's long-lived loop on a daemon thread (a new one after a fork)."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid() or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=run, name="telegram-loop", daemon=True).start()
            ready.wait(5)
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def run(coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT) -> T:
    """Run a coroutine on the process's loop and wait for its result."""
    return asyncio.run_coroutine_threadsafe(coro, event_loop()).result(timeout)


# -- callback data -----------------------------------------------------------------------

def callback_data(question_key: str, value: str, index: int) -> str:
    """``a:<key>:<value>``, or ``a:<key>:#<index>`` when that is over 64 bytes."""
    data = f"a:{question_key}:{value}"
    if len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return data
    data = f"a:{question_key}:#{index}"
    if len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return data
    return f"a::#{index}"  # key too long: the dispatcher applies it to the current question


def parse_callback_data(data: str) -> tuple[str, str] | None:
    """``(question_key, value)`` from a button's callback data, or None if it is not ours."""
    kind, _, rest = data.partition(":")
    if kind != "a" or ":" not in rest:
        return None
    key, _, value = rest.partition(":")
    return key, value


def keyboard_rows(question_key: str, choices: Sequence[Choice], question_type: str | None = None
                  ) -> list[list[dict[str, str]]]:
    """Inline keyboard rows for the choices (short ones side by side)."""
    buttons = []
    for index, choice in enumerate(choices, start=1):
        label = f"{choice.emoji} {choice.label}" if choice.emoji else choice.label
        buttons.append({"text": label[:64], "callback_data": callback_data(question_key, choice.value, index)})
    if question_type == "scale" or all(len(b["text"]) <= 3 for b in buttons):
        per_row = 5
    elif question_type == "feelings" or any(c.emoji for c in choices):
        per_row = 3
    elif len(buttons) <= 3 and all(len(b["text"]) <= 12 for b in buttons):
        per_row = 3
    else:
        per_row = 1
    return [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]


def _markup(rows: list[list[dict[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                                 for row in rows])


def _seconds(value: int | float | timedelta | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class TelegramChannel(Channel):
    """A Telegram bot: messages and inline keyboards to private chats."""

    name = "telegram"

    def __init__(self, token: str, *, api_base_url: str | None = None, webhook_secret: str | None = None,
                 username: str | None = None, timeout: float = 10.0) -> None:
        self.token = token
        self.webhook_secret = webhook_secret
        self.username = username
        self.timeout = timeout
        self._base_url = (api_base_url or "https://api.telegram.org/bot").rstrip("/")
        self._bot: Bot | None = None
        self._bot_task: asyncio.Future[Bot] | None = None
        self._bot_pid: int | None = None
        self._lock = threading.Lock()

    # -- configuration -------------------------------------------------------------------
    @classmethod
    def configured(cls, settings: Any) -> bool:
        return bool(setting(settings, "TELEGRAM_BOT_TOKEN"))

    @classmethod
    def from_settings(cls, settings: Any) -> TelegramChannel:
        return cls(setting(settings, "TELEGRAM_BOT_TOKEN"), api_base_url=setting(settings, "TELEGRAM_API_BASE_URL"),
                   webhook_secret=setting(settings, "TELEGRAM_WEBHOOK_SECRET"),
                   username=setting(settings, "TELEGRAM_BOT_USERNAME"))

    async def _get_bot(self) -> Bot:
        # Created and initialised on the loop thread, so its HTTP client belongs to that loop;
        # one shared task, so concurrent first calls build one Bot.
        if self._bot_task is None or self._bot_pid != os.getpid():
            self._bot_task = asyncio.ensure_future(self._new_bot())
            self._bot_pid = os.getpid()
        try:
            return await asyncio.shield(self._bot_task)
        except BaseException:
            self._bot_task = None
            raise

    async def _new_bot(self) -> Bot:
        request = HTTPXRequest(connection_pool_size=16, read_timeout=self.timeout,
                               write_timeout=self.timeout, connect_timeout=self.timeout)
        bot = Bot(self.token, base_url=self._base_url, request=request)
        await bot.initialize()
        self._bot = bot
        return bot

    def _call(self, factory) -> Any:  # noqa: ANN001 - a coroutine function taking the Bot
        async def go() -> Any:
            return await factory(await self._get_bot())

        try:
            return run(go(), timeout=self.timeout * 3)
        except RetryAfter as exc:
            # Read the stored timedelta: the public attribute warns about its type changing.
            wait = getattr(exc, "_retry_after", None)
            raise TransientSendError("telegram 429 rate limited", retry_after=_seconds(wait)) from None
        except Forbidden as exc:
            # The user blocked the bot (or never started it): never message this chat again.
            raise PermanentSendError(f"telegram forbidden: {_short(exc)}", code="403", opted_out=True) from None
        except BadRequest as exc:
            raise PermanentSendError(f"telegram bad request: {_short(exc)}", code="400") from None
        except InvalidToken:
            raise TransientSendError("telegram token refused") from None
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise TransientSendError(f"telegram network error: {type(exc).__name__}") from None
        except TelegramError as exc:
            raise TransientSendError(f"telegram error: {type(exc).__name__}") from None
        except TimeoutError:
            raise TransientSendError("telegram call timed out") from None

    # -- inbound -------------------------------------------------------------------------
    def verify(self, header_value: str | None) -> bool:
        """Whether the webhook request carries our secret token."""
        if not self.webhook_secret or not header_value:
            return False
        return hmac.compare_digest(header_value.encode(), self.webhook_secret.encode())

    @staticmethod
    def parse(update: Mapping[str, Any]) -> InboundMessage | None:
        """The inbound message in an update; None for updates we do not act on.

        Raises :class:`BadInbound` for a body that is not an update at all (no integer
        ``update_id``, or parts of the wrong type), so forged or garbled requests get a 400.
        """
        if not isinstance(update, Mapping) or type(update.get("update_id")) is not int:
            raise BadInbound("update_id is required")
        provider_id = str(update["update_id"])
        query = update.get("callback_query")
        if query is not None:
            query = _mapping(query, "callback_query")
            message = _mapping(query.get("message"), "callback_query.message")
            chat = _chat_id(_mapping(message.get("chat"), "chat").get("id")
                            or _mapping(query.get("from"), "from").get("id"))
            if chat is None:
                raise BadInbound("callback_query without a chat")
            data = query.get("data")
            parsed = parse_callback_data(data) if isinstance(data, str) else None
            message_id = message.get("message_id")
            return InboundMessage(channel="telegram", provider_id=provider_id, sender=chat,
                                  callback=parsed, callback_id=str(query.get("id") or "")[:64] or None,
                                  meta={"message_id": message_id if type(message_id) is int else None})
        member = update.get("my_chat_member")
        if member is not None:
            # The user blocked (or unblocked) the bot: no message to answer, but an opt-out to record.
            member = _mapping(member, "my_chat_member")
            chat_part = _mapping(member.get("chat"), "chat")
            chat = _chat_id(chat_part.get("id"))
            status = _mapping(member.get("new_chat_member"), "new_chat_member").get("status")
            if chat is None or chat_part.get("type") != "private":
                return None
            return InboundMessage(channel="telegram", provider_id=provider_id, sender=chat,
                                  meta={"member_status": status if isinstance(status, str) else None})
        message = update.get("message")
        edited = message is None and update.get("edited_message") is not None
        if edited:
            message = update["edited_message"]
        if message is None:
            return None  # channel posts and the like: nothing to answer
        message = _mapping(message, "message")
        chat_part = _mapping(message.get("chat"), "chat")
        chat = _chat_id(chat_part.get("id"))
        if chat_part.get("type", "private") != "private" or chat is None:
            return None
        text = message.get("text")
        if text is not None and not isinstance(text, str):
            raise BadInbound("message.text must be a string")
        # A photo, video or document carries its words as a caption: read (and screened) as text.
        caption = message.get("caption")
        if caption is not None and not isinstance(caption, str):
            raise BadInbound("message.caption must be a string")
        media = next((kind for kind in MEDIA_KINDS if message.get(kind) is not None), None)
        text = (text if text is not None else caption or "").replace("\x00", "")
        if edited:
            # A changed message answers nothing new, but it is screened: a child may add a disclosure.
            return InboundMessage(channel="telegram", provider_id=provider_id, sender=chat, text=text,
                                  meta={"edited": True}) if text.strip() else None
        if media is not None and caption is not None:
            return InboundMessage(channel="telegram", provider_id=provider_id, sender=chat, text=text,
                                  meta={"media": media, "caption": True})
        if media is not None and not text.strip():
            # A sticker, voice note or picture without words: nothing to read, a kind reply.
            return InboundMessage(channel="telegram", provider_id=provider_id, sender=chat, meta={"media": media})
        start_token = None
        if text.split(maxsplit=1)[:1] in (["/start"], [f"/start@{_bot_name(text)}"]):
            parts = text.split(maxsplit=1)
            start_token = parts[1].strip()[:64] if len(parts) > 1 else None
            text = ""
        return InboundMessage(channel="telegram", provider_id=provider_id, sender=chat, text=text,
                              start_token=start_token or None)

    def answer_callback(self, callback_id: str) -> bool:
        """Answer a button press (Telegram shows a spinner until we do); False if that failed."""
        try:
            self._call(lambda bot: bot.answer_callback_query(callback_id))
        except (TransientSendError, PermanentSendError) as exc:
            log.warning("answerCallbackQuery failed: %s", exc.reason)
            return False
        return True

    def clear_keyboard(self, chat_id: str, message_id: int) -> bool:
        """Take the buttons off a message once one was pressed, so an old question can't be answered twice."""
        chat: int | str = int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id
        try:
            self._call(lambda bot: bot.edit_message_reply_markup(chat_id=chat, message_id=message_id,
                                                                 reply_markup=None))
        except (TransientSendError, PermanentSendError) as exc:
            log.info("editMessageReplyMarkup failed: %s", exc.reason)
            return False
        return True

    def set_webhook(self, url: str) -> bool:
        """Register ``url`` with Telegram, with our secret token."""
        return bool(self._call(lambda bot: bot.set_webhook(url, secret_token=self.webhook_secret,
                                                            allowed_updates=["message", "edited_message", "callback_query",
                                                                             "my_chat_member"])))

    def webhook_info(self) -> dict[str, Any]:
        """What Telegram says about our webhook."""
        info = self._call(lambda bot: bot.get_webhook_info())
        return info.to_dict()

    # -- outbound ------------------------------------------------------------------------
    def render(self, prompt: Any, notices: Sequence[str] = ()) -> list[OutboundMessage]:
        messages = [OutboundMessage(to="", text=n) for n in notices]
        messages.append(OutboundMessage(to="", text=prompt.text, choices=choices_of(prompt),
                                        meta={"question_key": prompt.key, "type": prompt.type}))
        return messages

    def send(self, message: OutboundMessage) -> SendResult:
        kwargs: dict[str, Any] = {}
        key = message.meta.get("question_key")
        if message.choices and key:
            rows = keyboard_rows(str(key), message.choices, message.meta.get("type"))
            kwargs["reply_markup"] = _markup(rows)
        chat_id: int | str = int(message.to) if message.to.lstrip("-").isdigit() else message.to
        sent = self._call(lambda bot: bot.send_message(chat_id, message.text, **kwargs))
        return SendResult(provider_id=f"{chat_id}:{sent.message_id}", status="sent")

    def close(self) -> None:
        bot, self._bot, self._bot_task = self._bot, None, None
        if bot is not None and self._bot_pid == os.getpid():
            try:
                run(bot.shutdown(), timeout=5)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, {} when absent; BadInbound for anything else."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadInbound(f"{name} must be an object")
    return value


def _chat_id(value: Any) -> str | None:
    """A chat id as Telegram sends it (an integer), as text; BadInbound for another type."""
    if value is None:
        return None
    if type(value) is not int:
        raise BadInbound("chat ids are integers")
    return str(value)


def _bot_name(text: str) -> str:
    head = text.split(maxsplit=1)[0] if text else ""
    return head.partition("@")[2]


def _short(exc: Exception) -> str:
    return str(exc)[:120]
