"""Security headers, a content security policy without inline script, CSRF, and logs without secrets."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFError, CSRFProtect

log = logging.getLogger(__name__)


class LoggedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF check, with one WARNING line for each request it refuses.

    Flask-WTF logs a bad or missing token at INFO and a refused Referer (HTTPS's strict
    check) not at all, so a browser whose every POST was refused left no trace. The line
    names the reason (Flask-WTF's fixed text), the method and the route: the route's
    rule, not the path, as a path may hold a respondent's form token. Never the body or
    the CSRF token.
    """

    def protect(self, apply_exemptions: bool = False) -> None:
        try:
            super().protect(apply_exemptions=apply_exemptions)
        except CSRFError as exc:
            route = request.url_rule.rule if request.url_rule is not None else "(no route)"
            log.warning("CSRF check refused %s %s: %s", request.method, route, exc.description)
            raise


csrf = LoggedCSRFProtect()

# No third-party origins and no inline script: every script is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


# The Telegram Bot API puts the bot token in every URL; httpx (INFO) and python-telegram-bot
# (DEBUG) log those URLs. Filters on the loggers that write them take the token out.
_BOT_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_URL_LOGGERS = ("httpx", "httpcore", "telegram.Bot", "telegram.ext.ExtBot", "telegram.request")


class RedactBotToken(logging.Filter):
    """Replace ``bot<id>:<token>`` in a log record with ``bot<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's problem, not ours
            return True
        if _BOT_TOKEN.search(message):
            record.msg, record.args = _BOT_TOKEN.sub("bot<redacted>", message), ()
        return True


def redact_secrets_in_logs() -> None:
    """Install the token filter once on each logger that logs Bot API URLs."""
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactBotToken) for f in logger.filters):
            logger.addFilter(RedactBotToken())


def init_app(app: Flask) -> None:
    """Turn on CSRF for every form, secure cookies, the security headers and log redaction."""
    redact_secrets_in_logs()
    config = app.config["HYS"]
    app.secret_key = config.SECRET_KEY
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Production is always served over TLS (behind a proxy, PUBLIC_BASE_URL is https).
        SESSION_COOKIE_SECURE=config.ENV == "production" or config.PUBLIC_BASE_URL.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.SESSION_MINUTES),
        WTF_CSRF_TIME_LIMIT=None,  # the session lifetime bounds it
    )
    csrf.init_app(app)
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # same-origin, not no-referrer: over HTTPS Flask-WTF refuses a POST whose Referer is not
    # this site (its strict check), and a browser told "no-referrer" sends none, so no form
    # could be posted. same-origin still sends nothing (no form token) to any other site.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.path.startswith(("/dashboard", "/f/", "/login", "/api/")):
        response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
