"""A real `mlflow server` on 127.0.0.1, and a delaying HTTP proxy standing for a remote workspace.

Used by the suite's fixtures (tests/conftest.py), bench/run.py and
fixtures/make_capture_fixtures.py. Both are context managers that stop what they started. Nothing listens beyond loopback.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
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
    env = {**os.environ, **(extra_env or {})}
    for var in (*CREDENTIAL_VARS, "MLFLOW_TRACKING_URI"):
        env.pop(var, None)
    log = root / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=root, env=env,
                                start_new_session=True)
    try:
        _wait_healthy(proc, uri, log)
        yield uri
    finally:
        _stop(proc)


def _handler(upstream_port: int, delay: float, fail):
    local = threading.local()

    class Delaying(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else header and body segments wait on delayed ACKs (+40 ms)

        def log_message(self, *args):
            pass

        def _forward(self):
            time.sleep(delay)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = fail(self.command, self.path) if fail else None
            if status:  # answer as a failing gateway would, without asking the server
                data = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "injected by the test proxy"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
            try:
                local.conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = local.conn.getresponse()
            except (http.client.HTTPException, OSError):  # a dropped keep-alive: reconnect once
                local.conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                local.conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = local.conn.getresponse()
            data = resp.read()
            self.send_response(resp.status, resp.reason)
            for key, value in resp.getheaders():
                if key.lower() not in HOP_HEADERS and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self._headers_buffer.append(b"\r\n")  # headers and body in one write
            self._headers_buffer.append(data)
            self.flush_headers()

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

    return Delaying


@contextmanager
def delaying_proxy(upstream_uri: str, delay_s: float = 0.05, fail=None):
    """An HTTP proxy on 127.0.0.1 that holds each request `delay_s` before forwarding it.

    `fail(method, path)`: an HTTP status to answer instead of forwarding (a failing
    gateway or server), or None to forward.
    """
    upstream_port = int(upstream_uri.rsplit(":", 1)[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream_port, delay_s, fail))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
