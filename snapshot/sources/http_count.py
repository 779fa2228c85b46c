"""Count the HTTP requests a capture sends, for capture summaries and the benchmark.

Every request MLflow makes (REST calls, artifact listings and downloads) goes through
a `requests` session (mlflow.utils.request_utils._get_request_session) and so through
`HTTPAdapter.send`. Counting there sees each request once, however it was issued.
A retry that urllib3 performs inside one `send` counts once.

`counting()` patches `send` only while a capture runs and puts the original back
after, so a program using snap as a library keeps its own `requests` untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import requests.adapters

_lock = threading.Lock()
_count = [0]
_active = [0]  # nested or concurrent counting() blocks; the patch goes when the last ends
_original = [None]


class RequestCount:
    """Requests sent since the `counting()` block began."""

    def __init__(self) -> None:
        self._start = _count[0]

    @property
    def requests(self) -> int:
        with _lock:
            return _count[0] - self._start


def _counting_send(self, request, *args, **kwargs):
    with _lock:
        _count[0] += 1
    return _original[0](self, request, *args, **kwargs)


@contextmanager
def counting() -> Iterator[RequestCount]:
    """Count requests inside the block; yields a RequestCount to read while or after it runs."""
    with _lock:
        if _active[0] == 0:
            _original[0] = requests.adapters.HTTPAdapter.send
            requests.adapters.HTTPAdapter.send = _counting_send
        _active[0] += 1
        counter = RequestCount()
    try:
        yield counter
    finally:
        with _lock:
            _active[0] -= 1
            if _active[0] == 0:
                requests.adapters.HTTPAdapter.send = _original[0]
