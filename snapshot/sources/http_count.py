"""Count the HTTP requests this process sends, for capture summaries and the benchmark.

Every request MLflow makes (REST calls, artifact listings and downloads) goes through
a `requests` session (mlflow.utils.request_utils._get_request_session) and so through
`HTTPAdapter.send`. Counting there sees each request once, however it was issued.
A retry that urllib3 performs inside one `send` counts once.
"""

from __future__ import annotations

import threading

import requests.adapters

_lock = threading.Lock()
_count = [0]
_installed = [False]


def install() -> None:
    """Start counting (idempotent)."""
    with _lock:
        if _installed[0]:
            return
        original = requests.adapters.HTTPAdapter.send

        def counting_send(self, request, *args, **kwargs):
            with _lock:
                _count[0] += 1
            return original(self, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = counting_send
        _installed[0] = True


def requests_made() -> int:
    """Requests sent since `install()`."""
    with _lock:
        return _count[0]
