"""Errors a user can act on. Each message says what was wrong and what to do."""

# Exit codes, documented in README ("Exit codes").
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4
EXIT_CREDENTIALS = 5
EXIT_WRITE = 6
EXIT_PARTIAL = 7


class SnapError(Exception):
    """What went wrong and what to do, in one line; `exit_code` is the process's exit status."""

    exit_code = EXIT_USAGE


# Exit 2: the input is wrong; the user fixes the command line or the file.
class BadModelUri(SnapError):
    """Not a `models:/NAME/VERSION`, `models:/NAME@ALIAS` or `models:/NAME` URI."""


class BadOption(SnapError):
    """An option's value, or a combination of options, that cannot work."""


class SnapshotCorrupt(SnapError):
    """A file that is not a snapshot, or one whose content hash does not match (altered after capture)."""


class SnapshotTooNew(SnapError):
    """A snapshot written by a newer snap, with a schema version this one does not read."""


class AmbiguousReference(SnapError):
    """A store reference that names more than one model or snapshot."""


class BadReference(SnapError):
    """A store reference (`NAME/VERSION`, `@ALIAS`, `@{WHEN}`) that cannot be read."""


class ImportFailed(SnapError):
    """An archive snap cannot turn into a snapshot."""


# Exit 3: what was asked for does not exist.
class NotFound(SnapError):
    """The registry or the store has nothing by that name."""

    exit_code = EXIT_NOT_FOUND


class ModelNotFound(NotFound):
    """No registered model (or run) of that name or id on the server."""


class ModelVersionNotFound(NotFound):
    """The registered model exists; the version does not."""


class AliasNotFound(NotFound):
    """The registered model has no such alias."""


class SnapshotNotFound(NotFound):
    """No snapshot in the store, or no file, by that reference."""


# Exits 4 to 6: the server, the credentials, the place written to.
class TrackingServerUnreachable(SnapError):
    """The tracking server did not answer, or answered with a fault (5xx, a cut reply)."""

    exit_code = EXIT_UNREACHABLE


class StoreUnreachable(SnapError):
    """The object store's endpoint did not answer (no connection, a timeout, a dropped connection)."""

    exit_code = EXIT_UNREACHABLE


class CredentialsRefused(SnapError):
    """The server or the object store refused the credentials (401, 403 on the whole API)."""

    exit_code = EXIT_CREDENTIALS


class StoreNotWritable(SnapError):
    """The store or output file cannot be written (permissions, read-only, full disk)."""

    exit_code = EXIT_WRITE
