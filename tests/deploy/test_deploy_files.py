"""The Dockerfile, compose.yaml, the systemd units and the example settings agree with the code.

Containers cannot run on this machine, so these read the files: every command they name
is a real ``haveyoursay`` command with valid options, every setting is a real ``Config``
field (or one of the few that gunicorn or the platform reads), the entry point imports,
and the basics a linter such as hadolint checks hold (a pinned base image, not root).
"""

from __future__ import annotations

import fnmatch
import importlib
import re
import runpy
import shlex
from pathlib import Path

import click
import pytest
import yaml

from config import Config

ROOT = Path(__file__).resolve().parents[2]
APP_SPEC = "web:create_app()"
PACKAGES = ("bot", "config", "storage", "surveys", "web")
# Read by something other than config.Config: Python, pip, gunicorn, matplotlib, the instance folder.
OTHER_ENV = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
             "PIP_DISABLE_PIP_VERSION_CHECK", "HAVEYOURSAY_INSTANCE", "HAVEYOURSAY_ENV", "MPLCONFIGDIR",
             "FORWARDED_ALLOW_IPS", "GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_TIMEOUT",
             "GUNICORN_CERTFILE", "GUNICORN_KEYFILE", "GUNICORN_ACCESSLOG"}
DEV_TOOLS = re.compile(r"\.\[test\]|\b(pytest|ruff|hypothesis|playwright|schemathesis|build-essential|gcc|"
                       r"git|make)\b")


# ---------------------------------------------------------------- readers

def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def of(kind: str) -> list[str]:
    return [args for keyword, args in dockerfile() if keyword == kind]


def json_form(args: str) -> list[str]:
    value = yaml.safe_load(args)  # a JSON array is YAML too
    assert isinstance(value, list), f"use the JSON (exec) form, not a shell string: {args}"
    return value


def env_names(args: str) -> set[str]:
    """The variables an ENV instruction sets (``ENV A=1 B=2``)."""
    return {part.split("=", 1)[0] for part in shlex.split(args) if "=" in part}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as section -> key -> values (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (ROOT / "deploy" / "systemd" / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


UNITS = ("haveyoursay-web.service", "haveyoursay-worker.service", "haveyoursay-purge.service")


# ---------------------------------------------------------------- the CLI

@pytest.fixture
def resolve(app):  # noqa: ANN001
    """Check ``haveyoursay ARGS...`` names a real command and its options parse; return the command."""
    from web.cli import cli

    def find(args: list[str]) -> click.Command:
        assert args and args[0] == "haveyoursay", f"not a haveyoursay command: {args}"
        name, rest = args[1], list(args[2:])
        command = cli.commands.get(name) or app.cli.commands.get(name)
        assert command is not None, f"haveyoursay has no command {name!r}"
        path = [name]
        while isinstance(command, click.Group):
            assert rest, f"haveyoursay {' '.join(path)} needs a subcommand"
            sub = command.get_command(click.Context(command), rest[0])
            assert sub is not None, f"haveyoursay {' '.join(path)} has no command {rest[0]!r}"
            path.append(rest.pop(0))
            command = sub
        command.make_context(" ".join(path), rest)  # raises on an unknown option or a bad value
        return command

    return find


def test_the_resolver_refuses_what_does_not_exist(resolve):
    assert resolve(["haveyoursay", "worker", "--interval", "60"]).name == "worker"
    for wrong in (["haveyoursay", "wroker"], ["haveyoursay", "db", "downgrade"],
                  ["haveyoursay", "worker", "--every", "60"], ["haveyoursay", "worker", "--interval", "soon"]):
        with pytest.raises((AssertionError, click.UsageError)):
            resolve(wrong)


def test_the_entry_point_imports():
    module_name, _, call = APP_SPEC.partition(":")
    factory = getattr(importlib.import_module(module_name), call.removesuffix("()"))
    assert callable(factory)
    scripts = (ROOT / "pyproject.toml").read_text()
    assert 'haveyoursay = "web.cli:main"' in scripts
    assert callable(importlib.import_module("web.cli").main)


# ---------------------------------------------------------------- Dockerfile

def test_dockerfile_base_images_are_pinned_and_slim():
    images = [args.split()[0] for args in of("FROM")]
    assert images, "no FROM"
    for image in images:
        name, _, tag = image.partition(":")
        assert tag and tag != "latest", f"{image}: pin a tag, never latest"
    assert images[-1].startswith("python:3.11-slim"), "the image that runs is python:3.11-slim"


def test_dockerfile_runs_as_a_user_not_root():
    users = of("USER")
    assert users, "no USER: the app would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    last_from = max(i for i, (k, _) in enumerate(dockerfile()) if k == "FROM")
    assert any(k == "USER" for k, _ in dockerfile()[last_from:]), "USER must be set in the final stage"
    user = users[-1].split(":")[0]
    assert any(user in args for args in of("RUN")), f"the user {user} is never created"


def test_dockerfile_starts_gunicorn_with_the_app_factory_and_its_config():
    [cmd] = of("CMD")
    argv = json_form(cmd)
    assert Path(argv[0]).name == "gunicorn" and argv[-1] == APP_SPEC
    conf = argv[argv.index("--config") + 1]
    copies = [args.split() for args in of("COPY")]
    assert ["deploy/gunicorn.conf.py", conf] in copies, f"{conf} is not copied into the image"


def test_dockerfile_healthcheck_asks_healthz():
    [check] = of("HEALTHCHECK")
    assert "/healthz" in check and "CMD" in check
    port = re.search(r"127\.0\.0\.1:(\d+)/healthz", check).group(1)
    assert f"GUNICORN_BIND=0.0.0.0:{port}" in " ".join(of("ENV")) and port in of("EXPOSE")[0]


def test_dockerfile_installs_the_package_without_dev_tools():
    runs = " ".join(of("RUN"))
    assert "pip install --no-cache-dir ." in runs
    assert not DEV_TOOLS.search(runs), f"dev tools in the image: {DEV_TOOLS.search(runs).group(0)}"
    if "apt-get install" in runs:
        assert "--no-install-recommends" in runs and "rm -rf /var/lib/apt/lists" in runs
    assert not of("ADD"), "COPY, not ADD"
    for workdir in of("WORKDIR"):
        assert workdir.startswith("/")


def test_dockerfile_copies_what_exists_and_every_package():
    sources = [args.split()[0] for args in of("COPY") if not args.startswith("--from")]
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    copied = {Path(s).parts[0] for s in sources}
    assert set(PACKAGES) <= copied
    include = re.search(r'include = \[([^\]]*)\]', (ROOT / "pyproject.toml").read_text()).group(1)
    assert {p.strip(' "*') for p in include.split(",")} == set(PACKAGES)


def test_dockerfile_environment_names_real_settings():
    names = set().union(*(env_names(args) for args in of("ENV")))
    unknown = names - set(Config.__dataclass_fields__) - OTHER_ENV
    assert not unknown, f"ENV names no setting: {unknown}"


def test_dockerignore_keeps_secrets_out_and_lets_the_sources_in():
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        result = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            bare = pattern.lstrip("!").removeprefix("**/")
            if fnmatch.fnmatch(path, bare) or fnmatch.fnmatch(Path(path).name, bare):
                result = not negate
        return result

    for secret in (".env", "haveyoursay.env", ".git", ".venv", "tests", "instance", "demo.sqlite", "key.pem"):
        assert ignored(secret), f"{secret} would be sent into the image"
    for source in (args.split()[0] for args in of("COPY") if not args.startswith("--from")):
        assert not ignored(source), f".dockerignore leaves out {source}, which the Dockerfile copies"


# ---------------------------------------------------------------- gunicorn settings

def test_gunicorn_conf_uses_only_real_settings(monkeypatch):
    from gunicorn.config import KNOWN_SETTINGS

    known = {setting.name for setting in KNOWN_SETTINGS}
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9443")
    monkeypatch.setenv("GUNICORN_CERTFILE", "/tmp/cert.pem")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2")
    values = {k: v for k, v in runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py")).items()
              if not k.startswith("_") and k != "os"}
    assert set(values) <= known, f"not gunicorn settings: {set(values) - known}"
    assert values["bind"] == ["127.0.0.1:9443"] and values["certfile"] == "/tmp/cert.pem"
    assert values["forwarded_allow_ips"] == "10.0.0.2" and values["accesslog"] is None
    conf_text = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    for name in OTHER_ENV:
        if name.startswith("GUNICORN_") or name == "FORWARDED_ALLOW_IPS":
            assert f'"{name}"' in conf_text, f"{name} is documented but gunicorn.conf.py never reads it"


# ---------------------------------------------------------------- compose.yaml

def test_compose_has_the_four_services_in_order():
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "web", "worker"}
    postgres = services["postgres"]
    image, _, tag = postgres["image"].partition(":")
    assert image == "postgres" and tag and tag != "latest"
    volume = postgres["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data" and volume[0] in compose()["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["worker"]["healthcheck"] == {"disable": True}  # it serves no /healthz


def test_compose_commands_are_real(resolve):
    services = compose()["services"]
    assert services["migrate"]["command"] == ["haveyoursay", "db", "upgrade"]
    assert services["worker"]["command"] == ["haveyoursay", "worker", "--interval", "60"]
    for name in ("migrate", "worker"):
        resolve(services[name]["command"])
    assert "command" not in services["web"]  # the image's gunicorn CMD
    for line in (ROOT / "compose.yaml").read_text().splitlines():
        if line.lstrip("# ").startswith("docker compose run"):
            resolve(shlex.split(line.split(" migrate ", 1)[1]))


def test_compose_app_services_share_the_image_env_file_and_settings():
    services = compose()["services"]
    for name in ("migrate", "web", "worker"):
        service = services[name]
        assert service["env_file"] == ["haveyoursay.env"] and service["image"].startswith("haveyoursay:")
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        unknown = set(service["environment"]) - set(Config.__dataclass_fields__) - OTHER_ENV
        assert not unknown, f"{name}: not settings: {unknown}"
        url = service["environment"]["DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    pg = services["postgres"]["environment"]
    assert f"{pg['POSTGRES_USER']}:" in url and url.endswith("/" + pg["POSTGRES_DB"])
    [port] = services["web"]["ports"]
    assert port.startswith("127.0.0.1:") and port.endswith(":8000")  # only the host's proxy reaches it


def test_example_env_names_only_real_settings():
    names = []
    for line in (ROOT / "config" / "example.env").read_text().splitlines():
        line = line.strip().removeprefix("# or ").strip()
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            names.append(line.split("=", 1)[0])
    assert "SECRET_KEY" in names and "DATABASE_URL" in names
    unknown = set(names) - set(Config.__dataclass_fields__)
    assert not unknown, f"config/example.env names no setting: {unknown}"


# ---------------------------------------------------------------- systemd

@pytest.mark.parametrize("name", UNITS)
def test_systemd_units_are_hardened(name):
    service = unit(name)["Service"]
    assert service["User"][0] not in ("", "root", "0")
    assert service["EnvironmentFile"] == ["/etc/haveyoursay.env"]
    assert service["NoNewPrivileges"] == ["yes"] and service["PrivateTmp"] == ["yes"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["ReadWritePaths"] == ["/var/lib/haveyoursay"]
    environment = dict(value.split("=", 1) for value in service.get("Environment", []))
    assert environment["HAVEYOURSAY_INSTANCE"] in service["ReadWritePaths"]
    unknown = set(environment) - set(Config.__dataclass_fields__) - OTHER_ENV
    assert not unknown, f"{name}: not settings: {unknown}"


def _commands(name: str) -> list[list[str]]:
    service = unit(name)["Service"]
    return [shlex.split(value) for key in ("ExecStartPre", "ExecStart") for value in service.get(key, [])]


def test_systemd_units_name_real_commands(resolve):
    seen = []
    for name in UNITS:
        for argv in _commands(name):
            program = Path(argv[0])
            assert program.is_absolute(), f"{name}: systemd needs an absolute path, not {argv[0]}"
            if program.name == "haveyoursay":
                resolve(["haveyoursay", *argv[1:]])
            else:
                assert program.name == "gunicorn" and argv[-1] == APP_SPEC
                conf = Path(argv[argv.index("--config") + 1])
                workdir = Path(unit(name)["Service"]["WorkingDirectory"][0])
                assert (ROOT / conf.relative_to(workdir)).is_file(), f"{conf} is not in the repository"
            seen.append(" ".join([program.name, *argv[1:3]]))
    assert "haveyoursay worker --interval" in seen and "haveyoursay purge" in seen
    assert "haveyoursay db upgrade" in seen and any(s.startswith("gunicorn --config") for s in seen)


def test_the_purge_timer_starts_the_purge_service():
    timer = unit("haveyoursay-purge.timer")
    [target] = timer["Timer"]["Unit"]
    assert (ROOT / "deploy" / "systemd" / target).is_file()
    assert timer["Timer"]["Persistent"] == ["true"] and timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    assert unit(target)["Service"]["Type"] == ["oneshot"]
