"""A rate budget shared by every request of a capture: a token bucket and an adaptive in-flight limit.

All workers and every request path (MLflow's client, artifact listings and downloads,
snap's own permission and preflight requests) take a token here before each attempt
(snapshot.sources.transport). The rate starts at the ceiling (`--max-rps`, or the
server kind's default; unlimited when there is none) and the number of requests in
flight at `concurrency`. A 429 cuts both, at most once a second: the rate to 90% of
what the server accepted over the last second, the in-flight limit by a quarter. Each
calm second (no 429) wins some back: 5% of the rate, one more request in flight, up to
the ceiling. So a capture settles just under what the server takes, without a
configured limit, and recovers when the server's limit is lifted.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

_WINDOW_S = 1.0  # how far back "what the server accepted" looks, and how often the budget adapts
_BURST_S = 0.25  # a full bucket holds a quarter second of requests: no burst the server would see as a spike


class RateBudget:
    """Tokens at `rate` per second (math.inf: none needed) and at most `limit` requests in flight."""

    def __init__(self, max_rps: float | None = None, concurrency: int = 64):
        self.ceiling = max_rps if max_rps else math.inf
        self.rate = self.ceiling
        self.cap = self.limit = max(1, concurrency)
        self.in_flight = 0
        self.throttled = 0  # 429s seen
        self._tokens = 1.0
        self._refilled = time.monotonic()
        self._last_cut = self._last_raise = self._refilled - _WINDOW_S  # the first 429 cuts at once
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def set_ceiling(self, max_rps: float | None) -> None:
        """A new `--max-rps` (None or 0: no limit); the rate starts again from it."""
        with self._lock:
            self.ceiling = self.rate = max_rps if max_rps else math.inf

    def acquire(self, cancelled: threading.Event, check) -> None:
        """Wait for a token and an in-flight slot; `check()` raises when the capture is cancelled."""
        while True:
            check()
            with self._lock:
                wait = self._take(time.monotonic())
            if wait <= 0:
                return
            cancelled.wait(min(wait, 0.25))

    def _take(self, now: float) -> float:
        """0 after taking a token and a slot, else how long to wait before trying again."""
        if self.in_flight >= self.limit:
            return 0.01
        if math.isinf(self.rate):
            self.in_flight += 1
            return 0.0
        self._tokens = min(max(1.0, self.rate * _BURST_S), self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        if self._tokens < 1.0:
            return (1.0 - self._tokens) / self.rate
        self._tokens -= 1.0
        self.in_flight += 1
        return 0.0

    def release(self, status: int | None) -> None:
        """An attempt ended: `status` is the HTTP status, or None when no answer came."""
        now = time.monotonic()
        with self._lock:
            self.in_flight -= 1
            if status == 429:
                self.throttled += 1
                self._cut(now)
                return
            if status is not None:
                self._accepted.append(now)
            while self._accepted and self._accepted[0] < now - _WINDOW_S:
                self._accepted.popleft()
            if now - self._last_cut >= _WINDOW_S and now - self._last_raise >= _WINDOW_S:
                self._raise(now)

    def _cut(self, now: float) -> None:
        if now - self._last_cut < _WINDOW_S:  # the 429s of one burst arrive together: cut once for them
            return
        accepted = sum(1 for t in self._accepted if t >= now - _WINDOW_S) / _WINDOW_S
        base = min(self.rate, accepted) if accepted else (self.rate if not math.isinf(self.rate) else 10.0)
        self.rate = max(1.0, 0.9 * base)
        self._tokens = min(self._tokens, 1.0)
        self.limit = max(1, math.ceil(self.limit * 0.75))
        self._last_cut = now

    def _raise(self, now: float) -> None:
        if not math.isinf(self.rate):
            self.rate = min(self.ceiling, self.rate + max(1.0, 0.05 * self.rate))
        self.limit = min(self.cap, self.limit + 1)
        self._last_raise = now
