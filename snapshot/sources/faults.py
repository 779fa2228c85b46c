"""MLflow's errors as SnapErrors, by error code, HTTP status and exception type: an answer or a fault.

A fault (5xx, 429 after retries, a lost connection, a timeout, a reply cut short or
not valid JSON, a missing client library) fails the version; an answer (404: absent,
401/403: refused) is for the caller to record. Never decided by a message's words.
"""

from __future__ import annotations

import http.client
import json
from contextlib import contextmanager

import requests
from mlflow.exceptions import MlflowException

from snapshot.errors import CredentialsRefused, ModelNotFound, SnapError, TrackingServerUnreachable
from snapshot.sources import transport


@contextmanager
def mlflow_errors(what: str, not_found: type[SnapError] = ModelNotFound):
    """Turn MlflowException into a SnapError that says what to do; `not_found` for a missing object."""
    try:
        yield
    except SnapError:
        raise
    except MlflowException as exc:
        raise translate(exc, what, not_found) from exc


# MLflow's error codes (mlflow.exceptions: an HTTP status without a JSON body gets its code too).
_NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "ENDPOINT_NOT_FOUND")  # the last: a missing API
_REFUSED_CODES = ("PERMISSION_DENIED", "UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED")
_FAULT_CODES = ("TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED")  # 503 and 429 bodies


def translate(exc: MlflowException, what: str, not_found: type[SnapError] = ModelNotFound) -> SnapError:
    """The SnapError for an MlflowException, chosen by its error code or the failure behind it."""
    code = getattr(exc, "error_code", "") or ""
    message = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0][:300]
    fault = fault_error(exc, f"reading {what}")
    if fault is not None:
        return fault
    if code in _FAULT_CODES:
        return fault_error(exc, f"reading {what}", f"error code {code}")
    if code in _NOT_FOUND_CODES:
        return not_found(f"{what} does not exist on the server; "
                         "check the name and version (snap list shows what is captured)")
    if code in _REFUSED_CODES or _http_status(exc) in (401, 403):
        return CredentialsRefused(f"the server refused access to {what}: {message}")
    return SnapError(f"MLflow failed reading {what}: {message}")


def fault_error(exc: BaseException, doing: str, how: str | None = None) -> TrackingServerUnreachable | None:
    """The error that fails a version when the server, or the client's side of it, failed while `doing`.

    None when `exc` is an answer (not found, forbidden): the caller decides what that means.
    """
    for seen in _causes(exc):
        if isinstance(seen, ImportError):
            name = seen.name or "a client library"
            return TrackingServerUnreachable(
                f"cannot capture while {doing}: the Python package {name!r} is not installed; "
                "install it and capture again")
    how = how or server_failure(exc)
    if how is None:
        return None
    return TrackingServerUnreachable(f"the MLflow server failed while {doing} ({how}); capture again when it answers")


def _causes(exc: BaseException):
    """`exc` and the exceptions behind it: MLflow re-raises requests' errors inside `except`."""
    seen, visited = exc, set()
    while seen is not None and id(seen) not in visited:  # a chain can loop back on itself
        visited.add(id(seen))
        yield seen
        seen = seen.__cause__ or seen.__context__


def _http_status(exc: BaseException) -> int | None:
    for seen in _causes(exc):
        status = getattr(getattr(seen, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
    return None


# Refused, reset or timed out: the exception types behind a connection that failed.
_LOST_CONNECTION = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, TimeoutError)
# A reply cut short or not in the format it claims.
_BAD_REPLY = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
              json.JSONDecodeError, http.client.IncompleteRead)


def connection_lost(exc: BaseException) -> bool:
    """True when a connection failure (refused, reset, timed out, retries used up) is behind `exc`."""
    from urllib3.exceptions import MaxRetryError

    lost = (*_LOST_CONNECTION, requests.exceptions.RetryError, MaxRetryError)
    return any(isinstance(seen, lost) or (isinstance(seen, transport.ServerFault) and seen.lost)
               for seen in _causes(exc))


def server_failure(exc: BaseException) -> str | None:
    """How the server failed, when `exc` says nothing about the model; None for an answer (a 4xx).

    A 5xx or 429 that outlasted the retries, a lost connection, a timeout, or a reply cut
    short or not valid JSON: the read should
    be tried again, never recorded as unavailable. A 4xx (forbidden, not found) is an
    answer. Decided by exception type and HTTP status along the exception's causes, as
    MLflow wraps the `requests`/urllib3 errors.
    """
    from urllib3.exceptions import ProtocolError

    for seen in _causes(exc):
        if isinstance(seen, transport.ServerFault):
            return seen.how
        response = getattr(seen, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int) and (status >= 500 or status == 429):
            return f"HTTP {status}"
        if isinstance(seen, requests.exceptions.RetryError):
            return "too many retries"
        if isinstance(seen, (*_BAD_REPLY, ProtocolError)):
            return f"a reply cut short or not valid ({type(seen).__name__})"
        if isinstance(seen, _LOST_CONNECTION):
            return f"lost the connection ({type(seen).__name__})"
        if isinstance(status, int):
            return None
    return None


def answer_of(exc: BaseException) -> str | None:
    """What the server answered, when `exc` is an answer: absent (404) or forbidden (401/403); else None."""
    for seen in _causes(exc):
        if isinstance(seen, transport.ServerFault):
            return None
        status = getattr(getattr(seen, "response", None), "status_code", None)
        if status == 404:
            return "HTTP 404 (not found)"
        if status in (401, 403):
            return f"HTTP {status} (forbidden)"
        if isinstance(status, int):
            return None
        code = getattr(seen, "error_code", None)
        if code in _NOT_FOUND_CODES:
            return f"{code} (not found)"
        if code in _REFUSED_CODES:
            return f"{code} (forbidden)"
        if isinstance(seen, FileNotFoundError):  # a local artifact store
            return "file not found"
        if isinstance(seen, PermissionError):
            return "permission denied"
    return None


def fail_unless_answer(exc: BaseException, doing: str) -> str:
    """`answer_of(exc)` when there is one; otherwise the version fails: raises TrackingServerUnreachable."""
    answer = answer_of(exc)
    if answer is not None:
        return answer
    first_line = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
    raise (fault_error(exc, doing)
           or TrackingServerUnreachable(f"capture failed while {doing} ({type(exc).__name__}: {first_line}); "
                                        "capture again, or report it with --debug")) from exc
