"""``haveyoursay doctor``: what is wrong with a production configuration, in plain words.

Pure checks over a ``Config``: :func:`check_production` returns one line per problem
(empty when all is well). Whether the database answers and is migrated is asked of a
``probe`` callable (the command passes one built on ``storage.health``), so this module
opens no connection itself. :func:`config_from_environ` reads the settings as
``Config.from_env`` does but keeps going past a bad value, so that every problem is
listed at once rather than the first one stopping the app; :func:`diagnose` does both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config import DEV_SECRET, Config, ConfigError

Probe = Callable[[str], Iterable[str]]

MIN_SECRET_LENGTH = 32
# Pieces of the placeholders people copy from example files and tutorials.
EXAMPLE_SECRETS = ("change-me", "changeme", "change_me", "replace-me", "example", "your-secret",
                   "secret-key", "xxxxxxxx", "not-secret", "test-secret")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
# Hosts that cannot be a council's public address (RFC 2606 names and the example file's).
EXAMPLE_HOSTS = ("example.gov.uk", "example.com", "example.org", "example.net")
EXAMPLE_TLDS = (".test", ".example", ".invalid", ".localhost", ".local")

TWILIO_ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
TWILIO_SERVICE_SID = re.compile(r"^MG[0-9a-f]{32}$")
TWILIO_AUTH_TOKEN = re.compile(r"^[0-9a-f]{32}$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TELEGRAM_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
TELEGRAM_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,30}bot$", re.IGNORECASE)
MIN_WEBHOOK_SECRET = 32
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Texts to young people only between these hours, however SEND_WINDOW is set.
EARLIEST_SEND, LATEST_SEND = time(7, 0), time(21, 0)


def config_from_environ(environ: Mapping[str, str]) -> tuple[Config, list[str]]:
    """The settings from ``environ`` without ``Config.check``; a value that does not parse is listed."""
    problems: list[str] = []
    values: dict[str, object] = {}
    for name, field in Config.__dataclass_fields__.items():
        raw = environ.get(name)
        if raw in (None, ""):
            continue
        default = field.default
        if isinstance(default, bool):
            values[name] = raw.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int | float):
            kind = int if isinstance(default, int) else float
            try:
                values[name] = kind(raw)
            except ValueError:
                problems.append(f"{name} must be a {'whole number' if kind is int else 'number'}, not {raw!r}")
        else:
            values[name] = raw
    if "ENV" not in values and environ.get("HAVEYOURSAY_ENV"):
        values["ENV"] = environ["HAVEYOURSAY_ENV"]
    return Config(**values), problems  # type: ignore[arg-type]


def _set(value: object) -> bool:
    return value not in (None, "")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _is_local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost")


def _secret_key(config: Config) -> list[str]:
    key = config.SECRET_KEY or ""
    if not key or key == DEV_SECRET:
        return ["SECRET_KEY is not set: make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"]
    if any(piece in key.lower() for piece in EXAMPLE_SECRETS):
        return ["SECRET_KEY is still an example value: set a long random one "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"]
    if len(key) < MIN_SECRET_LENGTH:
        return [f"SECRET_KEY is {len(key)} characters long: use at least {MIN_SECRET_LENGTH} random characters"]
    if len(set(key)) < 10:
        return ["SECRET_KEY repeats a few characters: it does not look random; make a new one"]
    return []


def _database(config: Config, probe: Probe | None) -> list[str]:
    url = config.DATABASE_URL
    if not _set(url):
        return ["DATABASE_URL is not set: production needs PostgreSQL "
                "(postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME)"]
    scheme = str(url).split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return ["DATABASE_URL is SQLite, which is for the demo: production needs PostgreSQL "
                "(postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME)"]
    if not (scheme.startswith("postgresql") or scheme == "postgres"):
        return [f"DATABASE_URL names {scheme or 'no database'}: only PostgreSQL is supported in production"]
    if probe is None:
        return []
    # The same URL the app would use (postgres:// and postgresql:// mean psycopg 3).
    return [f"DATABASE_URL: {problem}" for problem in probe(config.database_url("."))]


def _public_base_url(config: Config) -> list[str]:
    url = str(config.PUBLIC_BASE_URL or "")
    host = _host(url)
    problems = []
    if not url.startswith("https://"):
        problems.append(f"PUBLIC_BASE_URL must start with https:// (it is {url!r}): form links and "
                        "Twilio's signature checks use it, and staff sessions need TLS")
    if not host:
        problems.append(f"PUBLIC_BASE_URL has no host name: {url!r}")
    elif _is_local(host):
        problems.append(f"PUBLIC_BASE_URL is {host}, which only this machine can reach: use the address "
                        "the public uses (links in texts and letters point there)")
    elif host in EXAMPLE_HOSTS or host.endswith(EXAMPLE_TLDS) or any(host.endswith("." + h) for h in EXAMPLE_HOSTS):
        problems.append(f"PUBLIC_BASE_URL is still an example address ({host}): use the council's own")
    return problems


def sms_used(config: Config) -> bool:
    """Twilio is meant to be used: any of its credentials is set."""
    return any(_set(getattr(config, name)) for name in
               ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_FROM_NUMBER"))


def _twilio(config: Config) -> list[str]:
    if not sms_used(config):
        return []
    problems = []
    sid = config.TWILIO_ACCOUNT_SID or ""
    if not sid:
        problems.append("TWILIO_ACCOUNT_SID is not set (the Twilio console shows it: AC and 32 hexadecimal characters)")
    elif not TWILIO_ACCOUNT_SID.match(sid):
        problems.append("TWILIO_ACCOUNT_SID does not look like an account SID: AC and 32 hexadecimal characters "
                        "(the example file's ACxxx... is a placeholder)")
    token = config.TWILIO_AUTH_TOKEN or ""
    if not token:
        problems.append("TWILIO_AUTH_TOKEN is not set: without it no text can be sent and every "
                        "incoming text is refused (its signature cannot be checked)")
    elif not TWILIO_AUTH_TOKEN.match(token):
        problems.append("TWILIO_AUTH_TOKEN does not look like a Twilio auth token (32 hexadecimal characters)")
    service, number = config.TWILIO_MESSAGING_SERVICE_SID or "", config.TWILIO_FROM_NUMBER or ""
    if not service and not number:
        problems.append("Twilio has no sender: set TWILIO_MESSAGING_SERVICE_SID (MG...) or TWILIO_FROM_NUMBER (+44...)")
    if service and not TWILIO_SERVICE_SID.match(service):
        problems.append("TWILIO_MESSAGING_SERVICE_SID does not look like a Messaging Service SID: MG and 32 "
                        "hexadecimal characters (the example file's MGxxx... is a placeholder)")
    if number and not E164.match(number):
        problems.append(f"TWILIO_FROM_NUMBER must be a number in international form such as +447400100000, "
                        f"not {number!r}")
    if _set(config.TWILIO_API_BASE_URL):
        problems.append(f"TWILIO_API_BASE_URL points texts at {config.TWILIO_API_BASE_URL}, not Twilio: "
                        "it is for tests and staging; unset it in production")
    if config.TWILIO_REPLY_VIA not in ("twiml", "rest"):
        problems.append(f"TWILIO_REPLY_VIA must be twiml or rest, not {config.TWILIO_REPLY_VIA!r}")
    return problems


def telegram_used(config: Config) -> bool:
    """The Telegram bot is meant to be used: its token or webhook secret is set."""
    return _set(config.TELEGRAM_BOT_TOKEN) or _set(config.TELEGRAM_WEBHOOK_SECRET)


def _telegram(config: Config) -> list[str]:
    if not telegram_used(config):
        return []
    problems = []
    token, secret = config.TELEGRAM_BOT_TOKEN or "", config.TELEGRAM_WEBHOOK_SECRET or ""
    if not token:
        problems.append("TELEGRAM_BOT_TOKEN is not set but TELEGRAM_WEBHOOK_SECRET is: set the token "
                        "BotFather gave, or unset both")
    elif not TELEGRAM_TOKEN.match(token):
        problems.append("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then 35 or so "
                        "letters, digits, - and _)")
    if not secret:
        problems.append("TELEGRAM_WEBHOOK_SECRET is not set: without it anyone could post updates as Telegram")
    elif not TELEGRAM_SECRET.match(secret):
        problems.append("TELEGRAM_WEBHOOK_SECRET may hold only letters, digits, - and _ (Telegram refuses others)")
    elif len(secret) < MIN_WEBHOOK_SECRET:
        problems.append(f"TELEGRAM_WEBHOOK_SECRET is {len(secret)} characters long: use at least "
                        f"{MIN_WEBHOOK_SECRET} random ones (python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    username = config.TELEGRAM_BOT_USERNAME or ""
    if not username:
        problems.append("TELEGRAM_BOT_USERNAME is not set: the t.me link sent to young people needs it")
    elif not TELEGRAM_USERNAME.match(username.lstrip("@")):
        problems.append(f"TELEGRAM_BOT_USERNAME {username!r} is not a bot's username (5 to 32 letters, digits "
                        "or _, ending in bot)")
    if _set(config.TELEGRAM_API_BASE_URL):
        problems.append(f"TELEGRAM_API_BASE_URL points the bot at {config.TELEGRAM_API_BASE_URL}, not Telegram: "
                        "it is for tests and staging; unset it in production")
    return problems


def _email(config: Config) -> list[str]:
    problems = []
    if not _set(config.SMTP_HOST):
        problems.append("SMTP_HOST is not set: safeguarding alerts reach IROs and managers by email, "
                        "and parents, carers and professionals get their links by email")
    elif config.SMTP_HOST.lower().endswith(EXAMPLE_HOSTS):
        problems.append(f"SMTP_HOST is still the example ({config.SMTP_HOST}): use the council's mail relay")
    mail_from = config.MAIL_FROM or ""
    if not mail_from or mail_from == Config.MAIL_FROM:
        problems.append("MAIL_FROM is not set: alerts would come from haveyoursay@localhost, which mail "
                        "servers refuse; use the service's own address")
    elif not EMAIL.match(mail_from):
        problems.append(f"MAIL_FROM is not an email address: {mail_from!r}")
    elif mail_from.lower().endswith(EXAMPLE_HOSTS):
        problems.append(f"MAIL_FROM is still the example ({mail_from}): use the service's own address")
    if not 0 < config.SMTP_PORT < 65536:
        problems.append(f"SMTP_PORT must be a port number (usually 587 or 25), not {config.SMTP_PORT}")
    if _set(config.SMTP_USERNAME) and not config.SMTP_USE_TLS:
        problems.append("SMTP_USERNAME is set but SMTP_USE_TLS is not: the password would cross the network "
                        "unencrypted; set SMTP_USE_TLS=true")
    return problems


def _alerts(config: Config) -> list[str]:
    problems = []
    raw = str(config.ALERT_NOTIFY or "")
    ways = [part.strip().lower() for part in raw.split(",") if part.strip()]
    unknown = [way for way in ways if way not in ("email", "sms")]
    if not ways or unknown:
        problems.append(f"ALERT_NOTIFY must be email, sms or email,sms, not {raw!r}")
    elif "sms" in ways and not sms_used(config):
        problems.append("ALERT_NOTIFY includes sms but Twilio is not configured: alerts would go by email only")
    elif ways == ["sms"]:
        problems.append("ALERT_NOTIFY is sms only: an IRO with no mobile on their account then hears of an "
                        "alert only on the dashboard; use email,sms")
    if "SAFEGUARDING_DUTY_EMAIL" in Config.__dataclass_fields__:
        duty = str(getattr(config, "SAFEGUARDING_DUTY_EMAIL", None) or "")
        addresses = [part.strip() for part in duty.split(",") if part.strip()]
        if not addresses:
            problems.append("SAFEGUARDING_DUTY_EMAIL is not set: an alert from a number that matches no "
                            "invitation has no IRO to tell, and the duty safeguarding contact is who should "
                            "hear of it (unset, every manager is emailed instead)")
        elif not all(EMAIL.match(address) for address in addresses):
            problems.append(f"SAFEGUARDING_DUTY_EMAIL is not an email address (or several, with commas): {duty!r}")
    if config.ALERT_ESCALATE_MINUTES < 1:
        problems.append(f"ALERT_ESCALATE_MINUTES must be 1 or more, not {config.ALERT_ESCALATE_MINUTES}")
    hours = _hours(config.ALERT_WORKING_HOURS)
    if hours is None:
        problems.append(f"ALERT_WORKING_HOURS must look like 09:00-17:00 (start before end), "
                        f"not {config.ALERT_WORKING_HOURS!r}")
    return problems


def _hours(raw: object) -> tuple[time, time] | None:
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(raw).split("-"))
    except ValueError:
        return None
    return (start, end) if start < end else None


def _review_cycle(config: Config) -> list[str]:
    # Pure domain code: the rules exactly as the scheduler reads them.
    from surveys.schedule import ScheduleRules

    problems = []
    window = _hours(config.SEND_WINDOW)
    if window is None:
        problems.append(f"SEND_WINDOW must look like 08:00-20:00 (start before end), not {config.SEND_WINDOW!r}")
    else:
        start, end = window
        if start < EARLIEST_SEND or end > LATEST_SEND:
            problems.append(f"SEND_WINDOW {config.SEND_WINDOW} sends to young people before "
                            f"{EARLIEST_SEND:%H:%M} or after {LATEST_SEND:%H:%M}: keep it within the day")
        elif (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) < 120:
            problems.append(f"SEND_WINDOW {config.SEND_WINDOW} is under two hours: invitations would pile up")
    try:
        ZoneInfo(config.TIMEZONE)
        if config.TIMEZONE != "Europe/London":
            problems.append(f"TIMEZONE is {config.TIMEZONE}: the review cycle, bank holidays and send window "
                            "are for England and Wales, so Europe/London is expected")
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"TIMEZONE {config.TIMEZONE!r} is not a time zone: use Europe/London")
    if config.HOLIDAY_REGION not in ("ENG", "WLS"):
        problems.append(f"HOLIDAY_REGION must be ENG (England) or WLS (Wales), not {config.HOLIDAY_REGION!r}")
    names = ("INVITE_WORKING_DAYS", "REMINDER_WORKING_DAYS", "FEEDBACK_DAYS_AFTER", "NO_SUNDAY_SENDS")
    try:
        ScheduleRules.from_settings({name: getattr(config, name) for name in names})
    except ValueError as exc:
        problems.append(f"the review cycle settings do not work together: {exc}")
    return problems


def _proxy(config: Config) -> list[str]:
    hops = config.PROXY_HOPS
    if not 0 <= hops <= 5:
        return [f"PROXY_HOPS must be 0 (no proxy) to 5, not {hops}"]
    if str(config.PUBLIC_BASE_URL or "").startswith("https://") and hops == 0:
        return ["PROXY_HOPS is 0 but PUBLIC_BASE_URL is https: behind a TLS proxy or load balancer set "
                "PROXY_HOPS=1 (one per proxy), or login throttling counts every visitor as the proxy; "
                "0 is right only when gunicorn itself serves TLS"]
    if hops > 2:
        return [f"PROXY_HOPS is {hops}: more than two proxies in front is unusual, and if fewer stand "
                "there a visitor can forge the address throttling counts"]
    return []


def _privacy(config: Config) -> list[str]:
    problems = []
    if config.SMALL_GROUP_MIN < 5:
        problems.append(f"SMALL_GROUP_MIN is {config.SMALL_GROUP_MIN}: groups under 5 could identify a child; "
                        "keep it at 5 or more")
    if config.CONTACT_RETENTION_DAYS < 1:
        problems.append(f"CONTACT_RETENTION_DAYS must be 1 or more, not {config.CONTACT_RETENTION_DAYS}")
    if config.FREE_TEXT_RETENTION_DAYS < config.CONTACT_RETENTION_DAYS:
        problems.append("FREE_TEXT_RETENTION_DAYS is shorter than CONTACT_RETENTION_DAYS: answers would go "
                        "before the phone numbers they came from")
    return problems


def check_production(config: Config, probe: Probe | None = None) -> list[str]:
    """Every problem with ``config`` for production, one plain-words line each (empty: all is well).

    ``probe(url)`` is asked about the database only when DATABASE_URL is PostgreSQL; it
    returns what is wrong with it (cannot connect, migrations behind), or nothing.
    """
    problems: list[str] = []
    if config.ENV != "production":
        problems.append(f"ENV is {config.ENV!r}, not production: set ENV=production (the app then "
                        "refuses unsafe settings at start)")
    for check in (_secret_key, _public_base_url, _proxy, _twilio, _telegram, _email, _alerts,
                  _review_cycle, _privacy):
        problems.extend(check(config))
    problems.extend(_database(config, probe))
    # Whatever the app itself refuses at start, in case a rule there is not covered above.
    try:
        Config.check(Config(**{**config.__dict__, "ENV": "production"}))
    except ConfigError as exc:
        name = str(exc).split(" ", 1)[0]
        if not any(line.startswith(name) for line in problems):
            problems.append(f"the app refuses to start: {exc}")
    return problems


def diagnose(environ: Mapping[str, str], probe: Probe | None = None) -> list[str]:
    """Every problem with the settings in ``environ``: values that do not parse, then the checks.

    A setting that does not parse is named once: the checks, which see its default
    instead, say nothing more about it.
    """
    config, unreadable = config_from_environ(environ)
    named = {line.split(" ", 1)[0] for line in unreadable}
    return unreadable + [line for line in check_production(config, probe) if line.split(" ", 1)[0] not in named]
