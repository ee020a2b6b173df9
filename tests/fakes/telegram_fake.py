"""A fake Telegram Bot API for python-telegram-bot, plus builders for the updates Telegram sends.

Point ``telegram.Bot(token, base_url=fake.bot_base_url)`` (or ``TELEGRAM_API_BASE_URL``)
at it. It serves ``POST /bot<token>/<method>`` for getMe, sendMessage,
answerCallbackQuery, editMessageReplyMarkup, setWebhook, deleteWebhook and
getWebhookInfo, answers in the Bot API envelope (``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code", "description", "parameters"}``) and records every call
with its parameters decoded (PTB form-encodes, with JSON for nested values such as
``reply_markup``). Connections are kept alive.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.fakes._http import Failure, FakeHTTPServer, RecordedRequest

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
# Parameters Telegram takes as plain strings; everything else PTB sends JSON-encoded.
_STRING_PARAMS = {
    "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token", "ip_address",
    "inline_message_id", "business_connection_id", "message_effect_id", "certificate",
}
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def new_token(bot_id: int = 7000000001) -> str:
    """A token shaped like BotFather's: ``<bot id>:<35 characters>``."""
    return f"{bot_id}:AA{secrets.token_urlsafe(33)[:33]}"


class TelegramFake(FakeHTTPServer):
    """The Bot API methods the Have Your Say bot uses, recording every call."""

    def __init__(self, token: str | None = None, username: str = "HaveYourSayTestBot") -> None:
        super().__init__()
        self.token = token or new_token()
        self.bot_id = int(self.token.split(":", 1)[0])
        self.username = username
        self.blocked: set[str] = set()  # chat ids that blocked the bot (403)
        self.missing: set[str] = set()  # chat ids Telegram does not know (400 chat not found)
        self.webhook: dict[str, Any] = {}
        self.sent_messages: dict[tuple[str, int], dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._state = threading.Lock()

    @property
    def bot_base_url(self) -> str:
        """What to give ``telegram.Bot(base_url=...)`` / ``TELEGRAM_API_BASE_URL``."""
        return f"{self.base_url}/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object, as getMe returns it."""
        return {
            "id": self.bot_id, "is_bot": True, "first_name": "Have Your Say", "username": self.username,
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False,
        }

    def block(self, chat_id: int | str) -> None:
        """Make Telegram answer 403 "bot was blocked by the user" for this chat."""
        self.blocked.add(str(chat_id))

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        """Decoded parameters of every call that succeeded (of ``method``, when given)."""
        return [r.params for r in self.recorded(method) if r.answered == 200]

    # -- FakeHTTPServer hooks ----------------------------------------------------------
    def route_of(self, request: RecordedRequest) -> str:
        match = _PATH.match(request.path)
        return match["method"] if match else request.path

    def decode(self, request: RecordedRequest) -> dict[str, Any]:
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return json.loads(request.body or b"{}")
        raw: dict[str, str] = dict(request.form)
        if content_type.startswith("multipart/form-data"):
            head = f"Content-Type: {content_type}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(head + request.body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name and not part.get_filename():
                    content = part.get_content()
                    raw[name] = content if isinstance(content, str) else content.decode("utf-8")
        return {key: _decode_value(key, value) for key, value in raw.items()}

    def error_body(self, request: RecordedRequest, failure: Failure) -> Any:
        description = failure.message or _DESCRIPTIONS.get(failure.status, "Error")
        return _error(failure.status, description.format(retry_after=_int(failure.retry_after)),
                      retry_after=failure.retry_after if failure.status == 429 else None)

    def respond(self, request: RecordedRequest) -> tuple[int, dict[str, str], Any]:
        match = _PATH.match(request.path)
        if not match:
            return 404, {}, _error(404, "Not Found")
        if not secrets.compare_digest(match["token"].encode(), self.token.encode()):
            return 401, {}, _error(401, "Unauthorized")
        handler = getattr(self, "_m_" + match["method"], None)
        if handler is None:
            return 404, {}, _error(404, "Not Found")
        outcome = handler(request.params)
        if isinstance(outcome, tuple):  # (status, description)
            status, description = outcome
            return status, {}, _error(status, description)
        return 200, {}, {"ok": True, "result": outcome}

    # -- methods -----------------------------------------------------------------------
    def _m_getMe(self, params: dict[str, Any]) -> Any:  # noqa: N802 - Bot API method names
        return self.bot_user

    def _chat_refusal(self, chat_id: str) -> tuple[int, str] | None:
        if chat_id in self.blocked:
            return 403, "Forbidden: bot was blocked by the user"
        if chat_id in self.missing or not chat_id:
            return 400, "Bad Request: chat not found"
        return None

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = str(params.get("chat_id", ""))
        text = params.get("text", "")
        refusal = self._chat_refusal(chat_id)
        if refusal:
            return refusal
        if not isinstance(text, str) or not text.strip():
            return 400, "Bad Request: message text is empty"
        if len(text) > MAX_TEXT:
            return 400, "Bad Request: message is too long"
        markup = params.get("reply_markup")
        problem = _check_markup(markup)
        if problem:
            return 400, problem
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "from": {k: v for k, v in self.bot_user.items() if k in ("id", "is_bot", "first_name", "username")},
            "chat": _chat(chat_id),
            "date": int(time.time()),
            "text": text,
        }
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        with self._state:
            self.sent_messages[(chat_id, message["message_id"])] = message
        return message

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:  # noqa: N802
        if not params.get("callback_query_id"):
            return 400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
        return True

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:  # noqa: N802
        chat_id = str(params.get("chat_id", ""))
        refusal = self._chat_refusal(chat_id)
        if refusal:
            return refusal
        markup = params.get("reply_markup")
        problem = _check_markup(markup)
        if problem:
            return 400, problem
        with self._state:
            message = self.sent_messages.get((chat_id, int(params.get("message_id") or 0)))
            if message is None:
                return 400, "Bad Request: message to edit not found"
            if message.get("reply_markup") == markup or (markup is None and "reply_markup" not in message):
                return 400, ("Bad Request: message is not modified: specified new message content and "
                             "reply markup are exactly the same as a current content and reply markup of the message")
            if markup and markup.get("inline_keyboard"):
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            return dict(message)

    def _m_setWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        url = params.get("url", "")
        if url and not str(url).startswith("https://"):
            return 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            return 400, "Bad Request: secret token contains unallowed characters"
        with self._state:
            self.webhook = {k: v for k, v in params.items()} if url else {}
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:  # noqa: N802
        with self._state:
            self.webhook = {}
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:  # noqa: N802
        with self._state:
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
            if self.webhook:
                info["max_connections"] = self.webhook.get("max_connections", 40)
                if "allowed_updates" in self.webhook:
                    info["allowed_updates"] = self.webhook["allowed_updates"]
        return info


def _int(value: float | None) -> int:
    return int(value) if value is not None else 0


def _error(status: int, description: str, retry_after: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": _int(retry_after)}
    return body


def _decode_value(key: str, value: str) -> Any:
    if key in _STRING_PARAMS:
        return value
    if key == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _check_markup(markup: Any) -> str | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        return "Bad Request: can't parse reply keyboard markup JSON object"
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                return "Bad Request: text buttons are unallowed in the inline keyboard"
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                return "Bad Request: BUTTON_DATA_INVALID"
    return None


def _chat(chat_id: str) -> dict[str, Any]:
    if re.fullmatch(r"-?\d+", chat_id):
        numeric = int(chat_id)
        if numeric > 0:
            return {"id": numeric, "first_name": "Respondent", "type": "private"}
        return {"id": numeric, "title": "Group", "type": "group"}
    return {"id": -1001000000000, "title": chat_id, "username": chat_id.lstrip("@"), "type": "channel"}


# -- what Telegram sends to our webhook -----------------------------------------------------

_update_ids = itertools.count(int(time.time()) % 100000 * 1000 + 1)


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Sam", "language_code": "en"}


def message_update(chat_id: int, text: str, *, update_id: int | None = None, message_id: int = 100) -> dict[str, Any]:
    """An update for a text message from a respondent in a private chat."""
    message: dict[str, Any] = {
        "message_id": message_id, "from": _user(chat_id),
        "chat": {"id": chat_id, "first_name": "Sam", "type": "private"},
        "date": int(time.time()), "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": update_id or next(_update_ids), "message": message}


def start_update(chat_id: int, token: str, **kwargs: Any) -> dict[str, Any]:
    """The update Telegram sends when a respondent opens ``t.me/<bot>?start=<token>``."""
    return message_update(chat_id, f"/start {token}", **kwargs)


def callback_update(chat_id: int, data: str, *, message_id: int = 101, update_id: int | None = None,
                    message_text: str = "How safe do you feel?") -> dict[str, Any]:
    """An update for a press on an inline keyboard button carrying ``data``."""
    return {
        "update_id": update_id or next(_update_ids),
        "callback_query": {
            "id": str(secrets.randbits(62)),
            "from": _user(chat_id),
            "message": {
                "message_id": message_id,
                "from": {"id": 7000000001, "is_bot": True, "first_name": "Have Your Say",
                         "username": "HaveYourSayTestBot"},
                "chat": {"id": chat_id, "first_name": "Sam", "type": "private"},
                "date": int(time.time()) - 60,
                "text": message_text,
                "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": data}]]},
            },
            "chat_instance": str(-secrets.randbits(62)),
            "data": data,
        },
    }
