"""``haveyoursay doctor``: a good production configuration passes; each bad value gives its own line."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from config import Config
from config.doctor import check_production, config_from_environ, diagnose
from storage.db import Database, alembic_config
from storage.health import script_heads
from tests.conftest import BACKEND, PG_ADMIN_URL
from web.cli import cli, database_probe

# Made-up values of the right shapes (nothing here is a real credential).
GOOD = {
    "ENV": "production",
    "SECRET_KEY": "q3J9vX0mZr7Lw2Tn8KpB5yHc1Fd6Gs4Ue0Aa9Wk-Vj_",
    "DATABASE_URL": "postgresql+psycopg://haveyoursay@db.internal:5432/haveyoursay",
    "PUBLIC_BASE_URL": "https://haveyoursay.cheshireeast.gov.uk",
    "PROXY_HOPS": "1",
    "TIMEZONE": "Europe/London",
    "HOLIDAY_REGION": "ENG",
    "TWILIO_ACCOUNT_SID": "AC" + "0123456789abcdef" * 2,
    "TWILIO_AUTH_TOKEN": "fedcba9876543210" * 2,
    "TWILIO_MESSAGING_SERVICE_SID": "MG" + "00112233445566778899aabbccddeeff",
    "TELEGRAM_BOT_TOKEN": "7012345678:AAF3kq9ZyXw8VuTs7RqPo6NmLk5JiHg4FeD",
    "TELEGRAM_WEBHOOK_SECRET": "Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0Ff9Dd8Ss7Aa",
    "TELEGRAM_BOT_USERNAME": "CheshireEastHaveYourSayBot",
    "SMTP_HOST": "smtp.cheshireeast.gov.uk",
    "SMTP_PORT": "587",
    "SMTP_USE_TLS": "true",
    "SMTP_USERNAME": "haveyoursay",
    "MAIL_FROM": "haveyoursay@cheshireeast.gov.uk",
    "ALERT_NOTIFY": "email,sms",
    "SEND_WINDOW": "08:00-20:00",
}
if "SAFEGUARDING_DUTY_EMAIL" in Config.__dataclass_fields__:
    GOOD["SAFEGUARDING_DUTY_EMAIL"] = "safeguarding.duty@cheshireeast.gov.uk"


def problems_of(**changes: str | None) -> list[str]:
    """The doctor's lines for GOOD with ``changes`` (None: the setting left out), database not asked."""
    return diagnose({k: v for k, v in {**GOOD, **changes}.items() if v is not None})


def test_a_good_production_configuration_passes():
    assert problems_of() == []


def test_a_real_database_that_is_current_passes(database_url):
    if not BACKEND.startswith("postgres"):
        pytest.skip("production means PostgreSQL: runs with HYS_TEST_DATABASE=postgresql")
    config, _ = config_from_environ({**GOOD, "DATABASE_URL": database_url})
    assert check_production(config, database_probe) == []


# Each bad value and the words its line must have; every one is the only line.
BAD = [
    ({"ENV": "development"}, "ENV is 'development', not production"),
    ({"ENV": None}, "ENV is 'development', not production"),
    ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "SECRET_KEY is still an example value"),
    ({"SECRET_KEY": "Xy7-short-but-random-Q2"}, "SECRET_KEY is 23 characters long: use at least 32"),
    ({"SECRET_KEY": "ab" * 20}, "SECRET_KEY repeats a few characters"),
    ({"DATABASE_URL": None}, "DATABASE_URL is not set: production needs PostgreSQL"),
    ({"DATABASE_URL": "sqlite:////srv/hys/haveyoursay.sqlite"}, "DATABASE_URL is SQLite, which is for the demo"),
    ({"DATABASE_URL": "mysql+pymysql://u@db/hys"}, "DATABASE_URL names mysql+pymysql: only PostgreSQL"),
    ({"PUBLIC_BASE_URL": "http://haveyoursay.cheshireeast.gov.uk"}, "PUBLIC_BASE_URL must start with https://"),
    ({"PUBLIC_BASE_URL": "https://localhost:8443"}, "PUBLIC_BASE_URL is localhost, which only this machine"),
    ({"PUBLIC_BASE_URL": "https://haveyoursay.example.gov.uk"}, "PUBLIC_BASE_URL is still an example address"),
    ({"TWILIO_ACCOUNT_SID": "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "TWILIO_ACCOUNT_SID does not look like an account SID"),
    ({"TWILIO_ACCOUNT_SID": None}, "TWILIO_ACCOUNT_SID is not set"),
    ({"TWILIO_AUTH_TOKEN": None}, "TWILIO_AUTH_TOKEN is not set"),
    ({"TWILIO_AUTH_TOKEN": "not-a-token"}, "TWILIO_AUTH_TOKEN does not look like a Twilio auth token"),
    ({"TWILIO_MESSAGING_SERVICE_SID": None}, "Twilio has no sender"),
    ({"TWILIO_MESSAGING_SERVICE_SID": "MGxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "TWILIO_MESSAGING_SERVICE_SID does not look like"),
    ({"TWILIO_MESSAGING_SERVICE_SID": None, "TWILIO_FROM_NUMBER": "07400 100000"}, "TWILIO_FROM_NUMBER must be a number in international form"),
    ({"TWILIO_API_BASE_URL": "http://127.0.0.1:9999"}, "TWILIO_API_BASE_URL points texts at http://127.0.0.1:9999, not Twilio"),
    ({"TWILIO_REPLY_VIA": "carrier-pigeon"}, "TWILIO_REPLY_VIA must be twiml or rest"),
    ({"TELEGRAM_WEBHOOK_SECRET": None}, "TELEGRAM_WEBHOOK_SECRET is not set"),
    ({"TELEGRAM_WEBHOOK_SECRET": "short-secret"}, "TELEGRAM_WEBHOOK_SECRET is 12 characters long"),
    ({"TELEGRAM_WEBHOOK_SECRET": "has spaces and ! marks in it, which Telegram refuses"}, "TELEGRAM_WEBHOOK_SECRET may hold only"),
    ({"TELEGRAM_BOT_TOKEN": "12345"}, "TELEGRAM_BOT_TOKEN does not look like a bot token"),
    ({"TELEGRAM_BOT_TOKEN": None}, "TELEGRAM_BOT_TOKEN is not set but TELEGRAM_WEBHOOK_SECRET is"),
    ({"TELEGRAM_BOT_USERNAME": None}, "TELEGRAM_BOT_USERNAME is not set"),
    ({"TELEGRAM_BOT_USERNAME": "HaveYourSay"}, "TELEGRAM_BOT_USERNAME 'HaveYourSay' is not a bot's username"),
    ({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:9998"}, "TELEGRAM_API_BASE_URL points the bot at"),
    ({"SMTP_HOST": None}, "SMTP_HOST is not set: safeguarding alerts reach IROs and managers by email"),
    ({"SMTP_HOST": "smtp.example.gov.uk"}, "SMTP_HOST is still the example"),
    ({"MAIL_FROM": None}, "MAIL_FROM is not set"),
    ({"MAIL_FROM": "haveyoursay"}, "MAIL_FROM is not an email address"),
    ({"SMTP_USE_TLS": "false"}, "SMTP_USERNAME is set but SMTP_USE_TLS is not"),
    ({"SMTP_PORT": "smtp"}, "SMTP_PORT must be a whole number, not 'smtp'"),
    ({"SMTP_PORT": "70000"}, "SMTP_PORT must be a port number"),
    ({"ALERT_NOTIFY": "pager"}, "ALERT_NOTIFY must be email, sms or email,sms, not 'pager'"),
    ({"ALERT_NOTIFY": "sms"}, "ALERT_NOTIFY is sms only"),
    ({"ALERT_WORKING_HOURS": "17:00-09:00"}, "ALERT_WORKING_HOURS must look like 09:00-17:00"),
    ({"ALERT_ESCALATE_MINUTES": "0"}, "ALERT_ESCALATE_MINUTES must be 1 or more"),
    ({"SEND_WINDOW": "8am-8pm"}, "SEND_WINDOW must look like 08:00-20:00"),
    ({"SEND_WINDOW": "20:00-08:00"}, "SEND_WINDOW must look like 08:00-20:00 (start before end)"),
    ({"SEND_WINDOW": "06:00-23:00"}, "SEND_WINDOW 06:00-23:00 sends to young people before 07:00 or after 21:00"),
    ({"SEND_WINDOW": "09:00-10:00"}, "SEND_WINDOW 09:00-10:00 is under two hours"),
    ({"TIMEZONE": "Europe/Lundun"}, "TIMEZONE 'Europe/Lundun' is not a time zone"),
    ({"TIMEZONE": "America/New_York"}, "TIMEZONE is America/New_York"),
    ({"HOLIDAY_REGION": "SCT"}, "HOLIDAY_REGION must be ENG (England) or WLS (Wales), not 'SCT'"),
    ({"REMINDER_WORKING_DAYS": "12,2"}, "the review cycle settings do not work together"),
    ({"PROXY_HOPS": "0"}, "PROXY_HOPS is 0 but PUBLIC_BASE_URL is https"),
    ({"PROXY_HOPS": "4"}, "PROXY_HOPS is 4: more than two proxies"),
    ({"PROXY_HOPS": "9"}, "PROXY_HOPS must be 0 (no proxy) to 5, not 9"),
    ({"PROXY_HOPS": "one"}, "PROXY_HOPS must be a whole number, not 'one'"),
    ({"SMALL_GROUP_MIN": "3"}, "SMALL_GROUP_MIN is 3: groups under 5 could identify a child"),
    ({"FREE_TEXT_RETENTION_DAYS": "30"}, "FREE_TEXT_RETENTION_DAYS is shorter than CONTACT_RETENTION_DAYS"),
]


@pytest.mark.parametrize(("changes", "words"), BAD, ids=[" ".join(f"{k}={v}" for k, v in c.items()) for c, _ in BAD])
def test_each_bad_value_gives_its_line(changes, words):
    problems = problems_of(**changes)
    assert len(problems) == 1, problems
    assert words in problems[0]


def test_the_duty_contact_is_needed_for_alerts_from_unknown_numbers():
    if "SAFEGUARDING_DUTY_EMAIL" not in Config.__dataclass_fields__:
        pytest.skip("this Config has no SAFEGUARDING_DUTY_EMAIL setting yet")
    [line] = problems_of(SAFEGUARDING_DUTY_EMAIL=None)
    assert line.startswith("SAFEGUARDING_DUTY_EMAIL is not set") and "matches no invitation" in line
    [line] = problems_of(SAFEGUARDING_DUTY_EMAIL="duty desk")
    assert "not an email address" in line
    [line] = problems_of(SAFEGUARDING_DUTY_EMAIL="duty@council.gov.uk, duty desk")
    assert "not an email address" in line
    assert problems_of(SAFEGUARDING_DUTY_EMAIL="duty@council.gov.uk, out.of.hours@council.gov.uk") == []


def test_sms_and_telegram_left_out_are_not_problems():
    unset = {name: None for name in GOOD if name.startswith(("TWILIO_", "TELEGRAM_"))}
    assert problems_of(**unset, ALERT_NOTIFY="email") == []


def test_several_problems_are_all_listed():
    problems = problems_of(SECRET_KEY=None, DATABASE_URL="sqlite:///x.sqlite", PUBLIC_BASE_URL="http://127.0.0.1")
    assert [p.split(" ", 1)[0] for p in problems] == ["SECRET_KEY", "PUBLIC_BASE_URL", "PUBLIC_BASE_URL",
                                                      "DATABASE_URL"]


@pytest.fixture
def pg_database_at_0002() -> Iterator[str]:
    """A PostgreSQL database of this test's own, one migration behind (0002)."""
    name = f"hys_doctor_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001
        admin.dispose()
        pytest.skip("no PostgreSQL server on HYS_TEST_PG_URL")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    database = Database(url)
    database.upgrade("0002")
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_the_probe_finds_migrations_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.sqlite'}"
    Database(url).upgrade()
    command.downgrade(alembic_config(url), "0002")
    [line] = database_probe(url)
    assert line.startswith(f"the database is at migration 0002 but the code needs {', '.join(script_heads())}")
    Database(url).upgrade()
    assert database_probe(url) == []


def test_the_probe_finds_an_unreachable_database():
    [line] = database_probe("postgresql+psycopg://haveyoursay@127.0.0.1:1/haveyoursay")
    assert line.startswith("the database cannot be reached (OperationalError): ")
    assert "refused" in line.lower() or "failed" in line.lower()


def _doctor(environ: dict[str, str], *args: str):  # noqa: ANN202
    # The command reads the real environment: give it exactly these settings.
    import os

    blank = {name: None for name in os.environ if name in Config.__dataclass_fields__ or name == "HAVEYOURSAY_ENV"}
    return CliRunner().invoke(cli, ["doctor", *args], env={**blank, **environ}, prog_name="haveyoursay")


def test_doctor_command_lists_problems_and_exits_non_zero(pg_database_at_0002):
    result = _doctor({**GOOD, "DATABASE_URL": pg_database_at_0002, "SECRET_KEY": "change-me-please",
                      "PROXY_HOPS": "one"})
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "- PROXY_HOPS must be a whole number, not 'one'"
    assert any(line.startswith("- SECRET_KEY is still an example value") for line in lines)
    assert any(line.startswith("- DATABASE_URL: the database is at migration 0002") for line in lines)
    assert len(lines) == 3, lines
    assert "All checks passed" not in result.output


def test_doctor_command_passes_a_good_configuration(pg_database_at_0002):
    command.upgrade(alembic_config(pg_database_at_0002), "head")
    result = _doctor({**GOOD, "DATABASE_URL": pg_database_at_0002})
    assert result.exit_code == 0, result.output
    assert result.stdout == "All checks passed\n"


def test_doctor_runs_when_the_app_could_not_start():
    # Production without a secret key: every other command refuses to build the app.
    result = _doctor({"ENV": "production"}, "--no-database")
    assert result.exit_code == 1
    assert "- SECRET_KEY is not set" in result.stdout and "- DATABASE_URL is not set" in result.stdout
