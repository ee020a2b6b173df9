"""Which channels exist and which are configured: the one place a new channel is plugged in.

A channel is built once per process and settings (the Telegram one holds a long-lived
HTTP client on its event loop), so callers ask here rather than constructing their own.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.base import Channel
from bot.email import EmailChannel
from bot.telegram import TelegramChannel
from bot.twilio_sms import TwilioSMS
from config import setting

# Outbox channel name -> adapter class. A new channel: one module, one line here.
CHANNELS: dict[str, type[Channel]] = {
    "sms": TwilioSMS,
    "telegram": TelegramChannel,
    "email": EmailChannel,
}
# Messages per second per channel, from these settings.
RATE_SETTINGS = {"sms": "SMS_PER_SECOND", "telegram": "TELEGRAM_PER_SECOND", "email": "EMAIL_PER_SECOND"}

_SETTING_NAMES = (
    "PUBLIC_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_FROM_NUMBER", "TWILIO_API_BASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_BOT_USERNAME", "TELEGRAM_API_BASE_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME",
    "SMTP_PASSWORD", "SMTP_USE_TLS", "MAIL_FROM",
)
_cache: dict[tuple[str, tuple[Any, ...]], Channel] = {}
_cache_lock = threading.Lock()


def configured_channels(settings: Any) -> list[str]:
    """Names of the channels whose settings are complete."""
    return [name for name, cls in CHANNELS.items() if cls.configured(settings)]


def is_configured(settings: Any, name: str) -> bool:
    """Whether channel ``name`` exists and is configured."""
    cls = CHANNELS.get(name)
    return cls is not None and cls.configured(settings)


def get_channel(settings: Any, name: str) -> Channel | None:
    """The process's adapter for ``name`` under these settings, or None if not configured."""
    cls = CHANNELS.get(name)
    if cls is None or not cls.configured(settings):
        return None
    key = (name, tuple(setting(settings, n) for n in _SETTING_NAMES))
    with _cache_lock:
        channel = _cache.get(key)
        if channel is None:
            channel = cls.from_settings(settings)
            _cache[key] = channel
        return channel


def rate_per_second(settings: Any, name: str) -> float:
    """How many messages per second this channel may send (0: unlimited)."""
    name_of_setting = RATE_SETTINGS.get(name)
    value = setting(settings, name_of_setting, 0) if name_of_setting else 0
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return 0.0


def close_all() -> None:
    """Close every cached adapter (tests, worker shutdown)."""
    with _cache_lock:
        channels = list(_cache.values())
        _cache.clear()
    for channel in channels:
        channel.close()
