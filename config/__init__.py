"""Settings read from the environment, with safe defaults for local use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def setting(settings: Any, name: str, default: Any = None) -> Any:
    """Read a setting from a ``Config``, Flask's ``app.config`` or any mapping ("" counts as unset)."""
    if isinstance(settings, Mapping):
        value = settings.get(name, default)
    else:
        value = getattr(settings, name, default)
    return default if value in (None, "") else value


class ConfigError(RuntimeError):
    """Raised when the settings cannot be used (e.g. production without a secret key)."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


DEV_SECRET = "dev-only-not-secret"


@dataclass
class Config:
    """Every setting the app, the CLI and the worker read; build with ``Config.from_env()``."""

    ENV: str = "development"  # development | production | testing
    SECRET_KEY: str = DEV_SECRET
    DATABASE_URL: str | None = None  # unset: SQLite file in the instance folder
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    TIMEZONE: str = "Europe/London"
    HOLIDAY_REGION: str = "ENG"  # ENG (England) or WLS (Wales)

    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_API_BASE_URL: str | None = None  # tests and staging point the real client at a fake
    # How a reply to an inbound text goes out: "twiml" in the webhook's own answer (no
    # second request; Twilio reports it to the status callback), or "rest" through the
    # Messages API like every other message (for Twilio Regions without TwiML <Message>).
    TWILIO_REPLY_VIA: str = "twiml"

    TELEGRAM_BOT_TOKEN: str | None = None
    TELEGRAM_WEBHOOK_SECRET: str | None = None
    TELEGRAM_BOT_USERNAME: str | None = None
    TELEGRAM_API_BASE_URL: str | None = None

    SMTP_HOST: str | None = None
    SMTP_PORT: int = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_USE_TLS: bool = False
    MAIL_FROM: str = "haveyoursay@localhost"

    # Schedule rules (working days before / after the review)
    INVITE_WORKING_DAYS: int = 10
    REMINDER_WORKING_DAYS: str = "5,2"
    FEEDBACK_DAYS_AFTER: int = 2
    SEND_WINDOW: str = "08:00-20:00"
    NO_SUNDAY_SENDS: bool = True

    # Outbox
    SMS_PER_SECOND: float = 10.0
    TELEGRAM_PER_SECOND: float = 25.0
    EMAIL_PER_SECOND: float = 5.0
    OUTBOX_MAX_ATTEMPTS: int = 8

    # Safeguarding and privacy
    ALERT_ESCALATE_MINUTES: int = 60
    ALERT_WORKING_HOURS: str = "09:00-17:00"  # escalation counts only these minutes, on working days
    ALERT_NOTIFY: str = "email,sms"
    # Who hears of an alert with no IRO to tell (an unknown number, a sender with no open
    # form, after STOP): this email (several: commas) and, optionally, this mobile. Unset:
    # every manager's email (else every admin's), so it is never silent.
    SAFEGUARDING_DUTY_EMAIL: str | None = None
    SAFEGUARDING_DUTY_PHONE: str | None = None
    CONTACT_RETENTION_DAYS: int = 90
    FREE_TEXT_RETENTION_DAYS: int = 730
    SMALL_GROUP_MIN: int = 5

    # Staff sessions
    SESSION_MINUTES: int = 30  # a staff session ends after this long unused
    SESSION_MAX_HOURS: int = 12  # ... and this long after login, however busy
    LOGIN_MAX_FAILURES: int = 5
    LOGIN_LOCK_MINUTES: int = 15
    LOGIN_IP_MAX_FAILURES: int = 30  # failed logins from one address in LOGIN_LOCK_MINUTES, any accounts

    MAX_UPLOAD_MB: int = 50
    # Reverse proxies in front of the app (a TLS terminator, a load balancer): that many
    # X-Forwarded-For/-Proto/-Host hops are believed, so throttling sees the real client
    # address. 0 believes none (a client could otherwise forge its address).
    PROXY_HOPS: int = 0

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Read every setting from the environment, then apply explicit overrides."""
        values: dict[str, object] = {}
        for name, field in cls.__dataclass_fields__.items():
            default = field.default
            if isinstance(default, bool):
                values[name] = _env_bool(name, default)
            elif isinstance(default, int):
                values[name] = _env_int(name, default)
            elif isinstance(default, float):
                values[name] = _env_float(name, default)
            else:
                values[name] = _env(name, default)  # type: ignore[arg-type]
        if "ENV" not in os.environ and _env("HAVEYOURSAY_ENV"):
            values["ENV"] = _env("HAVEYOURSAY_ENV")
        values.update(overrides)
        config = cls(**values)  # type: ignore[arg-type]
        config.check()
        return config

    def check(self) -> None:
        """Refuse settings that are unsafe in production."""
        if self.ENV == "production":
            if not self.SECRET_KEY or self.SECRET_KEY == DEV_SECRET or len(self.SECRET_KEY) < 16:
                raise ConfigError("SECRET_KEY must be set (16+ characters) in production")
            if self.SECRET_KEY.lower().startswith("change-me"):
                raise ConfigError("SECRET_KEY is still the example value: set a long random one")
            if not self.DATABASE_URL:
                raise ConfigError("DATABASE_URL must be set in production")
            if self.TELEGRAM_BOT_TOKEN and not self.TELEGRAM_WEBHOOK_SECRET:
                raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be set when Telegram is configured")
        if not 0 <= self.PROXY_HOPS <= 5:
            raise ConfigError("PROXY_HOPS must be 0 (no proxy) to 5")
        if self.TWILIO_REPLY_VIA not in ("twiml", "rest"):
            raise ConfigError("TWILIO_REPLY_VIA must be twiml or rest")
        if self.HOLIDAY_REGION not in ("ENG", "WLS"):
            raise ConfigError("HOLIDAY_REGION must be ENG or WLS")

    def database_url(self, instance_path: str | Path) -> str:
        """The SQLAlchemy URL to use: DATABASE_URL, or a SQLite file in the instance folder."""
        if self.DATABASE_URL:
            url = self.DATABASE_URL
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        path = Path(instance_path) / "haveyoursay.sqlite"
        return f"sqlite:///{path}"

    def as_flask(self) -> dict[str, object]:
        """The settings as a mapping for ``app.config``."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
