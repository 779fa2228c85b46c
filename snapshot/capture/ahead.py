"""A call run ahead of its result on a daemon thread (a batch's next chunk of search requests)."""

from __future__ import annotations

import threading


class Ahead:
    """One call on a daemon thread: Ctrl-C is not held up by a request in flight there."""

    def __init__(self, func, *args):
        self._done = threading.Event()
        self._value = self._error = None
        threading.Thread(target=self._call, args=(func, args), name="snap-prefetch", daemon=True).start()

    def _call(self, func, args) -> None:
        try:
            self._value = func(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
            self._error = exc
        finally:
            self._done.set()

    def result(self):
        while not self._done.wait(0.5):  # short waits keep Ctrl-C responsive
            pass
        if self._error is not None:
            raise self._error
        return self._value
