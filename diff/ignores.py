"""Which snapshot paths a diff leaves out, and glob matching of dotted paths."""

from __future__ import annotations

import re
from fnmatch import translate
from functools import lru_cache

# Paths that change without the model changing. Globs over dotted paths; a glob
# that matches a path also hides everything below it. `--no-default-ignores`
# turns all of these off; docs/diff.md lists them for users.
DEFAULT_IGNORES = (
    # Capture bookkeeping: differs between two captures of the very same state.
    "manifest.captured_at",
    "manifest.content_hash",  # a hash of everything else, which is compared itself
    "manifest.snap_version",
    "manifest.mlflow_version",  # the capturing client, not the model
    "manifest.requested_uri",  # `@champion` and `/3` name the same version
    "manifest.options",
    "manifest.origin",
    "manifest.reused",
    # Which versions are compared: the diff's header names both sides.
    "manifest.model_name",
    "manifest.model_version",
    "model_version.name",
    "model_version.version",
    "registered_model.name",
    # Bumped by the server on any edit; the edit itself is reported.
    "*.last_updated_timestamp",
    "*.last_updated_timestamp_ms",
    "experiment.last_update_time",
    # Lists the model's other versions: changes whenever any version is registered.
    "registered_model.latest_versions",
    # Derived links and locations.
    "model_version.run_link",
    "model_version.download_uri",
    "artifacts.*.root_uri",
    # Text forms of what is compared item by item from its parsed form.
    "mlmodel.raw",
    "environment.*.raw",
    "permissions.*.raw",
    # Per-version identity and timestamps: differ between any two versions by
    # construction and would flood every cross-version diff. model_version.run_id
    # is kept: it says which run each side came from.
    "model_version.creation_timestamp",
    "model_version.source",
    "model_version.storage_location",
    "model_version.model_id",
    "run.info.run_id",
    "run.info.run_uuid",
    "run.info.start_time",
    "run.info.end_time",
    "run.info.artifact_uri",
    "run.model_inputs",
    "run.model_outputs",
    "run.tags.mlflow.log-model.history",  # the MLmodel again, with run ids and times
    "run.tags.mlflow.runName",  # repeats run.info.run_name, which is compared
    "run.metric_history",  # whole series; the latest values are compared as metrics
    "logged_model.model_id",
    "logged_model.artifact_uri",
    "logged_model.creation_timestamp_ms",
    "logged_model.source_run_id",
    "mlmodel.parsed.run_id",
    "mlmodel.parsed.model_uuid",
    "mlmodel.parsed.model_id",
    "mlmodel.parsed.utc_time_created",
    "mlmodel.parsed.artifact_path",  # MLflow 3 writes the model's absolute location here
    "logged_model.tags.mlflow.modelVersions",  # the registry's versions of this logged model
)


def ancestors(path: str) -> list[str]:
    """`a.b.c` -> [`a`, `a.b`, `a.b.c`]."""
    parts = path.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def matches(path: str, globs: tuple[str, ...] | list[str]) -> bool:
    """True when `path` or any path above it matches one of `globs`."""
    return _pattern(tuple(globs)).fullmatch(path) is not None


@lru_cache(maxsize=64)
def _pattern(globs: tuple[str, ...]) -> re.Pattern:
    """One regex for all globs: a glob's match, then nothing or `.` and anything (the path below an ancestor).

    The ancestors of a path are exactly its prefixes that end before a `.`, so this is
    `any(fnmatchcase(p, g) for p in ancestors(path) for g in globs)` in one scan (a diff
    asks it for every path it walks)."""
    if not globs:
        return re.compile(r"(?!)")
    alternatives = "|".join(translate(g).removesuffix(r"\Z") for g in globs)
    return re.compile(rf"(?:{alternatives})(?:\..*)?", re.DOTALL)


def active_ignores(extra: tuple[str, ...], use_defaults: bool) -> tuple[str, ...]:
    return (DEFAULT_IGNORES if use_defaults else ()) + tuple(extra)
