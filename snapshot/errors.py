"""Errors a user can act on. Each message says what was wrong and what to do."""

# Exit codes, documented in README ("Exit codes").
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4
EXIT_CREDENTIALS = 5
EXIT_WRITE = 6
EXIT_PARTIAL = 7


class SnapError(Exception):
    exit_code = EXIT_USAGE


class BadModelUri(SnapError):
    pass


class BadOption(SnapError):
    pass


class ModelNotFound(SnapError):
    exit_code = EXIT_NOT_FOUND


class ModelVersionNotFound(SnapError):
    exit_code = EXIT_NOT_FOUND


class AliasNotFound(SnapError):
    exit_code = EXIT_NOT_FOUND


class TrackingServerUnreachable(SnapError):
    exit_code = EXIT_UNREACHABLE


class CredentialsRefused(SnapError):
    exit_code = EXIT_CREDENTIALS


class StoreNotWritable(SnapError):
    exit_code = EXIT_WRITE


class SnapshotNotFound(SnapError):
    exit_code = EXIT_NOT_FOUND


class SnapshotCorrupt(SnapError):
    pass


class SnapshotTooNew(SnapError):
    pass


class AmbiguousReference(SnapError):
    pass


class BadReference(SnapError):
    pass


class ImportFailed(SnapError):
    pass
