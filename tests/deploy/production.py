"""The product started as a council runs it (README, "Running it for a council").

One PostgreSQL database of its own, the ``haveyoursay`` console command run as
subprocesses with ``ENV=production``, gunicorn serving plain HTTP on 127.0.0.1 behind a
TLS-terminating proxy (``PROXY_HOPS=1``), and ``haveyoursay worker`` as its own
process. The proxy here stands in for the council's nginx: it terminates TLS with a
self-signed certificate made by ``openssl`` and passes each request on with the client's
``Host`` and ``X-Forwarded-For``/``-Proto``/``-Host`` (as ``proxy_set_header Host
$http_host`` and friends do). It adds nothing to the app's responses, so every header a
test sees there is the app's own.

Every process writes its output to a file (``Production.logs``); ``tails()`` gives the
last lines of each for a failure report. The proxy logs nothing: request lines carry
form tokens.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"

# Hop-by-hop headers (RFC 9110 section 7.6.1) are the proxy's own, never passed on.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade"})


# The faked clock of scripts/test_at.sh (libfaketime), read when this module is imported
# (at collection): the browser fixture takes LD_PRELOAD out of os.environ while Chromium
# runs, and the deployment's processes must still live at the test's moment.
FAKED_CLOCK = {name: value for name, value in os.environ.items()
               if name.startswith("FAKETIME") or name in ("LD_PRELOAD", "PYTHONPATH")} \
    if "faketime" in os.environ.get("LD_PRELOAD", "") else {}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for https://127.0.0.1 (subjectAltName IP:127.0.0.1): (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    # Made on the test's clock (faked or not), so it is valid at the test's moment.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60, env={**os.environ, **FAKED_CLOCK})
    return cert, key


# ------------------------------------------------------------------- the TLS proxy

class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive to the browser, as nginx does
    timeout = 30  # an idle keep-alive connection is dropped, so no thread waits for ever
    server: TLSProxy

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Silent: a request line can hold a respondent's form token."""

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=120)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            forwarded_for = self.client_address[0]
            for name, value in self.headers.items():
                lower = name.lower()
                if lower in HOP_BY_HOP or lower == "content-length":
                    continue
                if lower == "x-forwarded-for":
                    forwarded_for = f"{value}, {forwarded_for}"
                    continue
                if lower in ("x-forwarded-proto", "x-forwarded-host"):
                    continue  # set by this proxy alone
                upstream.putheader(name, value)
            upstream.putheader("X-Forwarded-For", forwarded_for)
            upstream.putheader("X-Forwarded-Proto", "https")
            upstream.putheader("X-Forwarded-Host", self.headers.get("Host", ""))
            if body or self.command in ("POST", "PUT", "PATCH"):
                upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body or None)
            response = upstream.getresponse()
            data = response.read()
            status, reason, headers = response.status, response.reason, response.getheaders()
        except OSError:
            self.server.upstream_errors += 1
            status, reason, headers, data = 502, "Bad Gateway", [("Content-Type", "text/plain")], b"bad gateway\n"
        finally:
            upstream.close()
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _relay  # noqa: N815


class TLSProxy(ThreadingHTTPServer):
    """HTTPS on 127.0.0.1 (a free port) in front of an HTTP upstream on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, cert: Path, key: Path, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.context.set_alpn_protocols(["http/1.1"])
        self.upstream_port = upstream_port
        self.upstream_errors = 0
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, on the connection's own thread, not in accept().
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that gave up, or refused the certificate
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            with suppress(OSError):
                tls.close()

    def start(self) -> TLSProxy:
        self._thread = threading.Thread(target=self.serve_forever, name="tls-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


# ------------------------------------------------------------------- the deployment

def _clean_env(settings: Mapping[str, str]) -> dict[str, str]:
    """A process environment with only what a service unit would set, plus ``settings``.

    Under scripts/test_at.sh (libfaketime) the faked clock and its Python shim
    (tests/faketime_compat, on PYTHONPATH) are passed on too (``FAKED_CLOCK``), so that
    every process of the deployment lives at the same faked moment as the test.
    """
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if name in os.environ}
    env.update(FAKED_CLOCK)
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


@dataclass
class Production:
    """A running deployment: its public ``base_url``, database, environment and processes."""

    base_url: str
    database_url: str
    env: dict[str, str]
    folder: Path
    cert: Path
    app_port: int
    proxy: TLSProxy
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def __call__(self, path: str = "/") -> str:
        """The public (https) URL of ``path``."""
        return self.base_url + path

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``haveyoursay ARGS`` as a council operator would; its output is kept in a log too."""
        result = subprocess.run([str(BIN / "haveyoursay"), *args], env=self.env, cwd=self.folder,
                                capture_output=True, text=True, timeout=timeout)
        name = "cli-" + "-".join(a for a in args[:2] if not a.startswith("-"))
        with (self.folder / f"{name}.log").open("a", encoding="utf-8") as log:
            log.write(f"$ haveyoursay {args[0]} ... (exit {result.returncode})\n{result.stdout}{result.stderr}\n")
        self.logs.setdefault(name, self.folder / f"{name}.log")
        return result

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        """Start a long-running process in its own process group, output to ``<name>.log``."""
        log = self.folder / f"{name}.log"
        with log.open("ab") as handle:
            process = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=handle,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        self.logs[name] = log
        return process

    def start_gunicorn(self, workers: int = 2) -> subprocess.Popen:
        """gunicorn as the README runs it: plain HTTP on 127.0.0.1, behind the TLS proxy."""
        # gunicorn 23+ opens a control socket in $HOME: one of this deployment's own, so that
        # two runs at once do not take each other's.
        return self.start("gunicorn", [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.app_port}",
                                       "--timeout", "120", "--control-socket", str(self.folder / "gunicorn.ctl"),
                                       "web:create_app()"])

    def start_worker(self, interval: float = 1) -> subprocess.Popen:
        """``haveyoursay worker``: queues what is due and delivers the outbox, every ``interval`` s."""
        return self.start("worker", [str(BIN / "haveyoursay"), "worker", "--interval", str(interval)])

    def wait_until_serving(self, path: str = "/login", timeout: float = 60) -> None:
        """Wait until ``path`` answers 200 through the proxy (gunicorn has booted its workers)."""
        import requests

        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            gunicorn = self.processes.get("gunicorn")
            if gunicorn is not None and gunicorn.poll() is not None:
                raise AssertionError(f"gunicorn exited with status {gunicorn.returncode}\n{self.tails()}")
            try:
                response = requests.get(self(path), verify=str(self.cert), timeout=5, allow_redirects=False)
                if response.status_code == 200:
                    return
                last = response.status_code
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise AssertionError(f"{path} did not answer 200 within {timeout} s (last: {last})\n{self.tails()}")

    def stop(self, name: str, timeout: float = 10) -> None:
        """Stop a process and its children (its process group): TERM, then KILL."""
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def log_text(self) -> str:
        """Everything every process wrote so far."""
        return "".join(path.read_text(encoding="utf-8", errors="replace") for path in self.logs.values()
                       if path.exists())

    def tails(self, lines: int = 40) -> str:
        """The last ``lines`` of each process's output, for a failure report."""
        parts = []
        for name, path in self.logs.items():
            text = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
            process = self.processes.get(name)
            state = "" if process is None else f" (exit {process.poll()})" if process.poll() is not None else \
                " (running)"
            parts.append(f"----- {name}{state}: last {min(lines, len(text))} of {len(text)} lines -----")
            parts.extend(text[-lines:])
        return "\n".join(parts)


def _admin_engine(admin_url: str):  # noqa: ANN202
    from sqlalchemy import create_engine

    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


@contextmanager
def council_deployment(folder: Path, *, admin_url: str, settings: Mapping[str, str]) -> Iterator[Production]:
    """A fresh database, a certificate, the TLS proxy and the environment; stops and drops it all after.

    ``settings`` are added to the environment (Twilio, SMTP ...). Processes are started
    by the caller (``start_gunicorn``, ``start_worker``) and stopped here, whatever happens.
    """
    from sqlalchemy import text

    name = f"hys_deploy_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = admin_url.rsplit("/", 1)[0] + "/" + name
    proxy: TLSProxy | None = None
    production: Production | None = None
    try:
        cert, key = make_certificate(folder)
        app_port = free_port()
        proxy = TLSProxy(cert, key, app_port).start()
        base_url = f"https://127.0.0.1:{proxy.port}"
        (folder / "instance").mkdir(exist_ok=True)
        env = _clean_env({
            "ENV": "production",
            "SECRET_KEY": os.urandom(32).hex(),
            "DATABASE_URL": database_url,
            "PUBLIC_BASE_URL": base_url,
            "PROXY_HOPS": "1",
            "HAVEYOURSAY_INSTANCE": str(folder / "instance"),
            **settings,
        })
        production = Production(base_url=base_url, database_url=database_url, env=env, folder=folder, cert=cert,
                                app_port=app_port, proxy=proxy)
        yield production
    finally:
        if production is not None:
            production.stop_all()
        if proxy is not None:
            proxy.stop()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 30, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
