"""The Flask app factory: each module of ``web`` wires itself up with ``init_app``."""

from __future__ import annotations

import importlib
import logging
import os

from flask import Flask

from config import Config
from surveys import safeguarding

# Each module listed here has an ``init_app(app)`` that registers its blueprint, hooks or
# commands. Order matters only for the database, which others use.
MODULES = (
    "web.database",
    "web.security",
    "web.errors",
    "web.health",
    "web.auth",
    "web.dashboard",
    "web.respondent",
    "web.paper",
    "web.webhooks",
    "web.simulator",
    "web.api",
    "web.alerts",
    "web.unmatched",
    "web.reading",
    "web.reviews",
    "web.quotes",
    "web.exports",
    "web.privacy",
    "web.cli",
)


def create_app(config: Config | None = None) -> Flask:
    """Build the app from ``config`` (default: the environment)."""
    app = Flask(__name__, instance_path=os.environ.get("HAVEYOURSAY_INSTANCE") or None,
                instance_relative_config=True)
    config = config or Config.from_env()
    app.config.update(config.as_flask())
    app.config["HYS"] = config
    app.config["SQLALCHEMY_URL"] = config.database_url(app.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_UPLOAD_MB * 1024 * 1024
    app.config["TESTING"] = config.ENV == "testing"
    os.makedirs(app.instance_path, exist_ok=True)
    # The safeguarding screen (rules and learned model) loads now: one that cannot load stops
    # the app starting rather than leaving it running with fewer checks.
    safeguarding.ensure_ready()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration step is noise
    for name in MODULES:
        importlib.import_module(name).init_app(app)
    if config.PROXY_HOPS:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = config.PROXY_HOPS
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
