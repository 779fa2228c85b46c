"""A real `mlflow server` on 127.0.0.1, and a proxy in front of it: delays, faults and a rate limit.

Used by the suite's fixtures (tests/conftest.py), bench/run.py and
fixtures/make_capture_fixtures.py. Both are context managers that stop what they started. Nothing listens beyond loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# A cold start takes 8-15 s on an idle machine; several suites at once on a shared
# machine have taken 60+ s for the auth app, so allow for that before failing.
STARTUP_TIMEOUT_S = int(os.environ.get("SNAP_TEST_SERVER_TIMEOUT", "120"))
CREDENTIAL_VARS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, uri: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    _stop(proc)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
    state = f"exited with {proc.returncode}" if proc.returncode is not None else "never became healthy"
    raise RuntimeError(f"mlflow server at {uri} {state} within {STARTUP_TIMEOUT_S}s; its stderr:\n{tail}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    # The server runs in its own session, so its group id is its pid: this ends
    # uvicorn and its worker without touching any other process.
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def mlflow_server(root: Path, extra_args: tuple[str, ...] = (), extra_env: dict | None = None):
    """Run `mlflow server` on a free 127.0.0.1 port with its state under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
        "--serve-artifacts", "--artifacts-destination", str(root / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        # Without a bound, uvicorn's graceful shutdown waits for this process's
        # keep-alive connections to close, i.e. until SIGKILL.
        "--uvicorn-opts", "--timeout-graceful-shutdown 2",
        *extra_args,
    ]
    # No job runner: it starts seven task consumers per server (about 1.2 GB), and no test runs server jobs.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", **(extra_env or {})}
    for var in (*CREDENTIAL_VARS, "MLFLOW_TRACKING_URI"):
        env.pop(var, None)
    with serving(cmd, root, env, uri) as running:
        yield running


@contextmanager
def serving(cmd: list[str], root: Path, env: dict, uri: str):
    """Run a server command in its own session, log under `root`; yield `uri` once /health answers."""
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=root, env=env,
                                start_new_session=True)
    try:
        _wait_healthy(proc, uri, log)
        yield uri
    finally:
        _stop(proc)


@dataclass(frozen=True)
class Fault:
    """What the proxy does instead of forwarding a request as it is.

    kind: "status" (answer `status`, with `retry_after` if set, without asking the
    server), "reset" (close the connection with a TCP RST before any reply), "hang"
    (never answer), "truncate" (the server's reply, cut in half after a Content-Length
    for all of it, then RST), "invalid" (the server's reply cut in half, with a
    Content-Length that matches: a well-framed body that is not the JSON it was).
    """

    kind: str
    status: int = 503
    retry_after: str | None = None


class Proxy:
    """A running proxy: its URI, what it did, and `kill()` to make it vanish as a dead server does."""

    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.uri = f"http://127.0.0.1:{server.server_address[1]}"
        self.served = self.throttled = self.faulted = 0
        self.first = self.last = None  # time.monotonic() of the first request and the last answer
        self.dead = threading.Event()
        self.lock = threading.Lock()

    def kill(self) -> None:
        """Refuse new connections and reset open ones at their next request."""
        self.dead.set()
        self.server.shutdown()
        self.server.server_close()


class _RateLimit:
    """The proxy's own limit: a token bucket of `rate` per second holding one second's worth."""

    def __init__(self, rate: float):
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


_ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "RESOURCE_DOES_NOT_EXIST", 429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR"}


class _Faulting(BaseHTTPRequestHandler):
    """The proxy's handler; its settings are on the server (`upstream_port`, `delay`, `fault`, `limit`, `proxy`)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else header and body segments wait on delayed ACKs (+40 ms)

    def log_message(self, *args):
        pass

    def _reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _answer(self, status: int, data: bytes, headers=(), length: int | None = None):
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_HEADERS and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self._headers_buffer.append(b"\r\n")  # headers and body in one write
        self._headers_buffer.append(data)
        self.flush_headers()

    def _upstream(self, body: bytes):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        local, upstream_port = self.server.local, self.server.upstream_port
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
        try:
            local.conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = local.conn.getresponse()
        except (http.client.HTTPException, OSError):  # a dropped keep-alive: reconnect once
            local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
            local.conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = local.conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()

    def _forward(self):
        proxy = self.server.proxy
        with proxy.lock:
            proxy.first = proxy.first or time.monotonic()
        try:
            self._handle(proxy)
        finally:
            with proxy.lock:
                proxy.last = time.monotonic()

    def _handle(self, proxy):
        limit, fault = self.server.limit, self.server.fault
        time.sleep(self.server.delay)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if proxy.dead.is_set():
            return self._reset()
        if limit is not None and not limit.take():
            with proxy.lock:
                proxy.throttled += 1
            data = b'{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "rate limited by the test proxy"}'
            return self._answer(429, data, [("Content-Type", "application/json"), ("Retry-After", "1")])
        chosen = fault(self.command, self.path) if fault else None
        if isinstance(chosen, int):
            chosen = Fault("status", chosen)
        with proxy.lock:
            proxy.faulted += chosen is not None
            proxy.served += chosen is None
        if chosen is None:
            status, headers, data = self._upstream(body)
            return self._answer(status, data, headers)
        if chosen.kind == "status":  # with the error code MLflow's server gives that status
            code = _ERROR_CODES.get(chosen.status, "TEMPORARILY_UNAVAILABLE")
            data = json.dumps({"error_code": code, "message": "injected by the test proxy"}).encode()
            headers = [("Content-Type", "application/json")]
            if chosen.retry_after is not None:
                headers.append(("Retry-After", chosen.retry_after))
            return self._answer(chosen.status, data, headers)
        if chosen.kind == "reset":
            return self._reset()
        if chosen.kind == "hang":
            proxy.dead.wait(600)
            return self._reset()
        status, headers, data = self._upstream(body)
        if chosen.kind == "truncate":
            self._answer(status, data[: len(data) // 2], headers, length=len(data))
            return self._reset()
        return self._answer(status, data[: len(data) // 2], headers)  # "invalid"

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward


@contextmanager
def fault_proxy(upstream_uri: str, fault=None, *, delay_s: float = 0.0, rate_limit: float | None = None,
                port: int = 0):
    """A proxy on 127.0.0.1 in front of a real server, injecting faults; yields a Proxy.

    `fault(method, path)`: a Fault (or an HTTP status) for that request, or None to
    forward it. `rate_limit`: requests per second beyond which it answers 429 with
    `Retry-After: 1`, as a rate-limited registry does. `port`: 0 for a free one, or the
    port of a proxy killed before (a server that comes back at the same address).
    """
    server = ThreadingHTTPServer(("127.0.0.1", port), _Faulting)
    server.daemon_threads = True
    server.upstream_port = int(upstream_uri.rsplit(":", 1)[1])
    server.delay, server.fault, server.local = delay_s, fault, threading.local()
    server.limit = _RateLimit(rate_limit) if rate_limit else None
    server.proxy = proxy = Proxy(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        if not proxy.dead.is_set():
            proxy.kill()


@contextmanager
def delaying_proxy(upstream_uri: str, delay_s: float = 0.05, fail=None):
    """An HTTP proxy on 127.0.0.1 that holds each request `delay_s` before forwarding it; yields its URI.

    `fail(method, path)`: an HTTP status (or a Fault) to answer instead of forwarding
    (a failing gateway or server), or None to forward.
    """
    with fault_proxy(upstream_uri, fail, delay_s=delay_s) as proxy:
        yield proxy.uri
