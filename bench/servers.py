"""A real `mlflow server` on 127.0.0.1, and a delaying HTTP proxy standing for a remote workspace.

Both are context managers that stop what they started. Nothing listens beyond loopback.
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
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STARTUP_TIMEOUT_S = 90
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mlflow_server(root: Path):
    """`mlflow server` with a SQLite backend and served artifacts under `root`; yields its URI."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
           "--serve-artifacts", "--artifacts-destination", str(root / "artifacts"),
           "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    with open(root / "server.log", "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env, start_new_session=True)
    try:
        _wait_healthy(proc, uri)
        yield uri
    finally:
        _stop(proc)


def _wait_healthy(proc: subprocess.Popen, uri: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"mlflow server at {uri} did not become healthy (see server.log)")


def _stop(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # its own session: the server and its workers only
            proc.wait(timeout=wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue


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
