"""A small threaded HTTP/1.1 server that fake providers build on, with scripted failures.

The server keeps connections alive (HTTP/1.1, Content-Length on every answer), because
the bugs that matter (an event loop closed under a pooled connection) only show when it
does. Failures are scripted per test: the next N requests, a seeded ratio, a delay, or a
dropped connection (the client sees a network error).
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str]
    form_lists: dict[str, list[str]]
    auth: tuple[str, str] | None
    connection: int  # which TCP connection carried it (keep-alive reuse shows as repeats)
    route: str = ""  # what failure rules match on (Twilio: "Messages", Telegram: the method)
    params: dict[str, Any] = field(default_factory=dict)  # the body decoded by the fake
    answered: int | None = None  # the HTTP status the fake answered with (None: dropped)


@dataclass
class Failure:
    """How to fail one request: an HTTP status with provider details, or a dropped connection."""

    status: int = 500
    retry_after: float | None = None
    code: int | None = None
    message: str | None = None
    drop: bool = False
    routes: frozenset[str] | None = None  # only requests on these routes (None: any)

    def applies_to(self, route: str) -> bool:
        """Whether this failure is for a request on ``route``."""
        return self.routes is None or route in self.routes


@dataclass
class _Script:
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: list[list[Any]] = field(default_factory=list)  # [remaining, Failure]
    ratio: float = 0.0
    ratio_failure: Failure | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    delay: float = 0.0
    delay_routes: frozenset[str] | None = None


def _routes(routes: str | Iterable[str] | None) -> frozenset[str] | None:
    if routes is None:
        return None
    if isinstance(routes, str):
        return frozenset({routes})
    return frozenset(routes)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real providers
    timeout = 30  # an idle kept-alive connection is closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK (tens of milliseconds per request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection_id = self.server.fake._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._unregister(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Stay quiet: tests read the recorded requests instead."""

    def _handle(self) -> None:
        self.server.fake._dispatch(self)

    do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's naming


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeHTTPServer


class FakeHTTPServer:
    """Base of the fake providers: start/stop, recording, scripted failures.

    Subclasses implement :meth:`route_of` and :meth:`respond` and :meth:`error_body`.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script = _Script()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._open: dict[int, socket.socket] = {}
        self._next_connection = 0

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeHTTPServer:
        """Listen on 127.0.0.1 on a free port and serve on a daemon thread."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        # A short poll interval: stop() (shutdown) waits for the next poll, once per test.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (so no handler thread lingers)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            sockets = list(self._open.values())
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server = None

    def __enter__(self) -> FakeHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the fake listens on."""
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections_opened(self) -> int:
        """How many TCP connections clients have opened so far."""
        with self._lock:
            return self._next_connection

    # -- failure script ----------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500, *, retry_after: float | None = None,
                  code: int | None = None, message: str | None = None,
                  routes: str | Iterable[str] | None = None) -> None:
        """Answer the next ``n`` matching requests with ``status`` (and provider error details)."""
        failure = Failure(status, retry_after, code, message, routes=_routes(routes))
        with self._script.lock:
            self._script.queue.append([n, failure])

    def drop_next(self, n: int = 1, *, routes: str | Iterable[str] | None = None) -> None:
        """Read the next ``n`` matching requests, then close the connection without answering."""
        with self._script.lock:
            self._script.queue.append([n, Failure(drop=True, routes=_routes(routes))])

    def fail_ratio(self, ratio: float, status: int = 503, *, seed: int = 0, retry_after: float | None = None,
                   routes: str | Iterable[str] | None = None) -> None:
        """Fail about ``ratio`` of matching requests, chosen by a RNG seeded with ``seed``."""
        with self._script.lock:
            self._script.ratio = ratio
            self._script.ratio_failure = Failure(status, retry_after, routes=_routes(routes))
            self._script.rng = random.Random(seed)

    def set_delay(self, seconds: float, *, routes: str | Iterable[str] | None = None) -> None:
        """Wait ``seconds`` before answering each matching request (for client timeouts)."""
        with self._script.lock:
            self._script.delay = seconds
            self._script.delay_routes = _routes(routes)

    def reset(self) -> None:
        """Forget scripted failures, delay and recorded requests."""
        with self._script.lock:
            self._script.queue.clear()
            self._script.ratio = 0.0
            self._script.ratio_failure = None
            self._script.delay = 0.0
            self._script.delay_routes = None
        with self._lock:
            self.requests.clear()

    def _next_failure(self, route: str) -> tuple[Failure | None, float]:
        script = self._script
        with script.lock:
            delay = script.delay if (script.delay_routes is None or route in script.delay_routes) else 0.0
            for entry in script.queue:
                remaining, failure = entry
                if remaining > 0 and failure.applies_to(route):
                    entry[0] -= 1
                    script.queue = [e for e in script.queue if e[0] > 0]
                    return failure, delay
            ratio_failure = script.ratio_failure
            if script.ratio > 0 and ratio_failure is not None and ratio_failure.applies_to(route):
                if script.rng.random() < script.ratio:
                    return ratio_failure, delay
        return None, delay

    # -- subclass hooks ----------------------------------------------------------------
    def route_of(self, request: RecordedRequest) -> str:
        """The name failure rules match on."""
        return request.path

    def decode(self, request: RecordedRequest) -> dict[str, Any]:
        """The request's parameters as the provider understands them (default: the form)."""
        return dict(request.form)

    def respond(self, request: RecordedRequest) -> tuple[int, dict[str, str], Any]:
        """Answer a request that is not scripted to fail: (status, headers, JSON body)."""
        raise NotImplementedError

    def error_body(self, request: RecordedRequest, failure: Failure) -> Any:
        """The provider's JSON error for a scripted failure."""
        return {"status": failure.status, "message": failure.message or "error"}

    def recorded(self, route: str | None = None) -> list[RecordedRequest]:
        """Requests received so far (on ``route`` only, when given)."""
        with self._lock:
            return [r for r in self.requests if route is None or r.route == route]

    # -- plumbing ----------------------------------------------------------------------
    def _register(self, sock: socket.socket) -> int:
        with self._lock:
            self._next_connection += 1
            self._open[id(sock)] = sock
            return self._next_connection

    def _unregister(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.pop(id(sock), None)

    def _dispatch(self, handler: _Handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        headers = {k: v for k, v in handler.headers.items()}
        form_lists: dict[str, list[str]] = {}
        content_type = headers.get("Content-Type", "")
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            form_lists = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        request = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
            headers=headers,
            body=body,
            form={k: v[0] for k, v in form_lists.items()},
            form_lists=form_lists,
            auth=_basic_auth(headers.get("Authorization")),
            connection=handler.connection_id,
        )
        request.route = self.route_of(request)
        request.params = self.decode(request)
        with self._lock:
            self.requests.append(request)

        failure, delay = self._next_failure(request.route)
        if delay:
            time.sleep(delay)
        if failure is not None and failure.drop:
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if failure is not None:
            status, extra, payload = failure.status, {}, self.error_body(request, failure)
            if failure.retry_after is not None:
                extra["Retry-After"] = _seconds(failure.retry_after)
        else:
            status, extra, payload = self.respond(request)
        request.answered = status
        data = json.dumps(payload).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except ValueError:
        return None
    return user, password
