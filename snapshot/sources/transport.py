"""Every HTTP request of a capture: timeouts, retries with bounded waits, whole replies and a rate budget.

MLflow's client, its artifact repositories and snap's own requests (preflight,
permissions) all go through `requests.adapters.HTTPAdapter.send`. While `scoped()`
is open that method is wrapped, so that every attempt
- takes a token from the capture's RateBudget (snapshot.sources.budget), shared by all workers;
- has a connect and a read timeout (MLFLOW_HTTP_REQUEST_TIMEOUT, else READ_TIMEOUT_S);
- is retried here rather than by urllib3: MLflow's urllib3 Retry sleeps any
  `Retry-After` (600 s included) inside a worker thread, deaf to Ctrl-C. Here a wait
  is at most `max_wait` seconds in all for one request and ends at once on cancel;
- counts as failed when the reply is a 429 or 5xx, the connection is refused, reset or
  times out, or the body is cut short or is not the JSON it says it is (read here, so a
  truncated reply is retried like the rest).

When the retries or the wait are used up the request raises ServerFault, a
`requests` exception that MLflow wraps in its own; snapshot.sources.connection
finds it along the cause chain. Nothing is left patched after the scope: a program
using snap as a library keeps its own `requests`.
"""

from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from contextlib import contextmanager

import requests
import requests.adapters
from urllib3.util import Retry

from snapshot.sources.budget import RateBudget

DEFAULT_MAX_WAIT_S = 60.0
DEFAULT_RPS = {"databricks": 30.0}  # Databricks allows ~40/s per workspace to the registry API; elsewhere no limit
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
RETRIES = 3  # MLFLOW_HTTP_REQUEST_MAX_RETRIES overrides
BACKOFF_FACTOR = 1.0  # MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR overrides; waits 0, 2, 4 s as urllib3 does
# The circuit breaker: this many failed connections in a row, over at least this long, and the server is gone.
BREAKER_FAILURES = 5
BREAKER_SECONDS = 2.0
_RETRIED = frozenset({408, 429, 500, 502, 503, 504})
_NO_RETRIES = Retry(0, read=False)  # a plain requests adapter's own setting
_READ_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                requests.exceptions.ConnectionError)


class ServerFault(requests.exceptions.RequestException):
    """The server gave no usable answer. `how` says how; `lost` when it did not answer at all."""

    def __init__(self, how: str, *, status: int | None = None, lost: bool = False):
        super().__init__(how)
        self.how, self.status, self.lost = how, status, lost


class _Failure:
    def __init__(self, how: str, status: int | None = None, retry_after: float | None = None, *,
                 lost: bool = False, timed_out: bool = False):
        self.how, self.status, self.retry_after = how, status, retry_after
        self.lost, self.timed_out = lost, timed_out


class Policy:
    """The settings and shared state of one capture's requests (one per outermost scope)."""

    def __init__(self, workers: int | None = None):
        self.max_wait = DEFAULT_MAX_WAIT_S
        self.retries = int(_env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", RETRIES))
        self.backoff = _env("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", BACKOFF_FACTOR)
        self.read_timeout = _env("MLFLOW_HTTP_REQUEST_TIMEOUT", READ_TIMEOUT_S)
        self.connect_timeout = min(CONNECT_TIMEOUT_S, self.read_timeout)
        self.budget = RateBudget(None, concurrency=max(16, 8 * (workers or 1)))
        self.attempts = self.retried = 0
        self.cancelled = threading.Event()
        self.reason: str | None = None
        self.gone = False  # the circuit breaker tripped
        self._kind_rps: float | None = None
        self._user_rps: float | None = None
        self._streak, self._streak_since = 0, 0.0
        self._lock = threading.Lock()

    # --- settings ------------------------------------------------------------------------
    def limit(self, max_rps: float | None = None, max_wait: float | None = None) -> None:
        """The user's `--max-rps` (None: the server kind's default; 0: no limit) and `--max-wait`."""
        if max_wait is not None:
            self.max_wait = float(max_wait)
        if max_rps is not None and max_rps != self._user_rps:
            self._user_rps = max_rps
            self.budget.set_ceiling(max_rps)

    def server_kind(self, kind: str) -> None:
        """The default rate of a server kind, unless the user set one."""
        rps = DEFAULT_RPS.get(kind)
        if self._user_rps is None and rps != self._kind_rps:
            self._kind_rps = rps
            self.budget.set_ceiling(rps)

    @property
    def max_rps(self) -> float | None:
        return self._user_rps if self._user_rps is not None else self._kind_rps

    def cancel(self, reason: str) -> None:
        """End every wait now and fail every request from here on (Ctrl-C, or the server is gone)."""
        with self._lock:
            self.reason = self.reason or reason
        self.cancelled.set()

    def _check(self) -> None:
        if self.cancelled.is_set():
            raise ServerFault(self.reason or "the capture was stopped", lost=True)

    # --- one request ---------------------------------------------------------------------
    def send(self, send, adapter, request, stream: bool, timeout, kwargs: dict):
        view = _WithoutRetries(adapter)
        timeout = self._timeout(timeout)
        waited, attempt = 0.0, 0
        while True:
            self.budget.acquire(self.cancelled, self._check)
            status, response = None, None
            try:
                response = send(view, request, stream=stream, timeout=timeout, **kwargs)
                status = response.status_code
                failure = _failure_of(response, stream)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                failure = _Failure(f"lost the connection ({type(exc).__name__})", lost=True,
                                   timed_out=isinstance(exc, requests.exceptions.Timeout))
            finally:
                self.budget.release(status)
                with self._lock:
                    self.attempts += 1
            self._record(failure)
            if failure is None:
                return response
            if response is not None:
                response.close()
            wait = self._wait_before_retry(failure, attempt, waited)
            self.cancelled.wait(wait)
            self._check()
            waited, attempt = waited + wait, attempt + 1
            with self._lock:
                self.retried += 1

    def _timeout(self, given):
        connect, read = self.connect_timeout, self.read_timeout
        if isinstance(given, (int, float)):
            return min(connect, given), min(read, given)
        if isinstance(given, tuple) and len(given) == 2:
            return tuple(mine if theirs is None else min(mine, theirs) for mine, theirs in zip((connect, read), given))
        return connect, read

    def _wait_before_retry(self, failure: _Failure, attempt: int, waited: float) -> float:
        """Seconds to wait before the next attempt; raises ServerFault when there is to be none."""
        throttled = failure.status == 429  # the server's flow control: retried as long as the wait allows
        if failure.retry_after is not None and failure.retry_after > self.max_wait:
            raise ServerFault(f"{failure.how} asking to wait {failure.retry_after:.0f} s (Retry-After), "
                              f"more than --max-wait {self.max_wait:g} s", status=failure.status)
        allowed = 1 if failure.timed_out else self.retries  # a hung server rarely answers a second try
        if (not throttled and attempt >= allowed) or failure.status in (501, 505):
            raise ServerFault(f"{failure.how} after {attempt} retries" if attempt else failure.how,
                              status=failure.status, lost=failure.lost)
        wait = failure.retry_after
        if wait is None:
            wait = self.backoff * 2 ** attempt if attempt else 0.0
        if throttled:  # never hammer a server that is shedding load, whatever it or the backoff says
            wait = max(wait, 0.5)
        if waited + wait > self.max_wait:
            raise ServerFault(f"{failure.how} after waiting {waited:.0f} s (--max-wait {self.max_wait:g} s)",
                              status=failure.status, lost=failure.lost)
        return wait

    def _record(self, failure: _Failure | None) -> None:
        """The circuit breaker: a run of failed connections with no answer between them trips it."""
        now = time.monotonic()
        with self._lock:
            if failure is None or not failure.lost:
                self._streak = 0
                return
            if self._streak == 0:
                self._streak_since = now
            self._streak += 1
            if self.gone or self._streak < BREAKER_FAILURES or now - self._streak_since < BREAKER_SECONDS:
                return
            self.gone = True
            reason = (f"the server stopped answering ({self._streak} connections failed in a row "
                      f"over {now - self._streak_since:.0f} s)")
        self.cancel(reason)


class _WithoutRetries:
    """The adapter as seen by one attempt: itself, but with no urllib3 retries (Policy.send retries)."""

    max_retries = _NO_RETRIES

    def __init__(self, adapter):
        self._adapter = adapter

    def __getattr__(self, name):
        return getattr(self._adapter, name)


def _failure_of(response, stream: bool) -> _Failure | None:
    status = response.status_code
    if status in _RETRIED or status >= 500:
        return _Failure(f"HTTP {status}", status, _retry_after(response.headers.get("Retry-After")))
    if stream:
        return None  # read by the caller; a reply cut short raises there (ChunkedEncodingError)
    try:
        body = response.content
    except _READ_ERRORS as exc:
        return _Failure(f"a truncated reply ({type(exc).__name__})", status, lost=True)
    if status == 200 and "json" in response.headers.get("Content-Type", ""):
        try:
            json.loads(body)
        except ValueError:
            return _Failure("a reply that is not valid JSON", status)
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    parsed = email.utils.parsedate_tz(value)
    return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


# --- the scope -----------------------------------------------------------------------------
_scope_lock = threading.Lock()
_scope: dict = {"policy": None, "depth": 0, "send": None}


def _wrapped_send(adapter, request, stream=False, timeout=None, **kwargs):
    policy, send = _scope["policy"], _scope["send"]
    if policy is None:  # a thread still sending after the scope closed
        return requests.adapters.HTTPAdapter.send(adapter, request, stream=stream, timeout=timeout, **kwargs)
    return policy.send(send, adapter, request, stream, timeout, kwargs)


@contextmanager
def scoped(workers: int | None = None):
    """Route every request through one Policy until the outermost scope closes; yields it."""
    with _scope_lock:
        if _scope["depth"] == 0:
            _scope["policy"] = Policy(workers)
            _scope["send"] = requests.adapters.HTTPAdapter.send
            requests.adapters.HTTPAdapter.send = _wrapped_send
        _scope["depth"] += 1
        policy = _scope["policy"]
    try:
        yield policy
    finally:
        with _scope_lock:
            _scope["depth"] -= 1
            if _scope["depth"] == 0:
                requests.adapters.HTTPAdapter.send = _scope["send"]
                _scope["policy"] = _scope["send"] = None


def active() -> Policy | None:
    """The open scope's Policy, or None outside any."""
    return _scope["policy"]
