"""One capture request: what to capture, from where, into what; checked once, when built.

Imports no mlflow, so a bad option fails before MLflow's slow import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from snapshot.errors import BadOption
from snapshot.formats.files import format_of
from snapshot.store.layout import STORE_FORMATS
from snapshot.uris import parse_model_uri

MAX_WORKERS = 32
PROMPT_CHOICES = ("exclude", "include", "only")  # what --all takes of MLflow's prompts; exclude, as MLflow's search


@dataclass
class CaptureOptions:
    metric_history: bool = False
    checksums: bool = False
    checksum_limit: int = 50_000_000
    workers: int = 8
    # Requests per second to the server (None: the server kind's default, 30 for Databricks and
    # none for an open-source server; 0: no limit), and the longest wait for one request's retries.
    max_rps: float | None = None
    max_wait: float = 60.0
    prompts: str = "exclude"  # --all: "exclude" (MLflow's own searches leave prompts out), "include" or "only"


@dataclass(frozen=True)
class CaptureRequest:
    """`snap capture`'s arguments. Building one checks them; a bad combination raises BadOption naming the option."""

    uris: tuple[str, ...] = ()
    all_models: bool = False
    filter_string: str | None = None
    tracking_uri: str | None = None
    registry_uri: str | None = None
    store: str | Path | None = None
    output: Path | None = None  # -o: exactly one snapshot, to this file
    fmt: str | None = None  # --format: the files of each snapshot in a store (json unless given)
    options: CaptureOptions = field(default_factory=CaptureOptions)
    workers: int = 8  # versions captured at once by a batch
    resume: bool = True
    workspace: str | None = None  # --workspace: sets MLFLOW_WORKSPACE for the capture (snapshot.sources.workspaces)
    all_workspaces: bool = False  # --all-workspaces: --all in each of the server's workspaces

    def __post_init__(self) -> None:
        object.__setattr__(self, "uris", tuple(self.uris))
        if self.filter_string and not self.all_models:
            raise BadOption("--filter selects models for --all; add --all")
        if self.output is not None and self.all_models:
            raise BadOption("-o writes one snapshot; --all needs a store (drop -o)")
        if self.output is not None and self.fmt is not None:
            raise BadOption("-o takes its format from the file's suffix; drop --format")
        object.__setattr__(self, "fmt", "json" if self.fmt is None else self.fmt)
        if not self.uris and not self.all_models:
            raise BadOption("name at least one model URI, e.g. snap capture models:/Churn/3")
        _check_prompts(self.options.prompts, self.all_models)
        _check_workspaces(self)
        if self.fmt not in STORE_FORMATS:
            raise BadOption(f"--format must be json, parquet or both, not {self.fmt!r}")
        if self.all_models and self.uris:
            raise BadOption("--all captures every model: give either --all or model URIs, not both")
        if self.workers < 1:
            raise BadOption(f"--workers must be at least 1, not {self.workers}")
        if self.workers > MAX_WORKERS:
            raise BadOption(f"--workers must be at most {MAX_WORKERS}, not {self.workers}")
        if self.options.max_rps is not None and self.options.max_rps < 0:
            raise BadOption(f"--max-rps must be 0 (no limit) or more, not {self.options.max_rps:g}")
        if self.options.max_wait < 0:
            raise BadOption(f"--max-wait must be 0 or more seconds, not {self.options.max_wait:g}")
        if self.output is not None:
            format_of(self.output)

    @property
    def is_batch(self) -> bool:
        """Whole models (`models:/NAME`) and `--all` go through batch capture; `-o` never does."""
        return self.output is None and (self.all_models or any(parse_model_uri(u).every_version for u in self.uris))


def _check_prompts(prompts: str, all_models: bool) -> None:
    if prompts not in PROMPT_CHOICES:
        raise BadOption(f"--prompts must be exclude, include or only, not {prompts!r}")
    if prompts != "exclude" and not all_models:
        raise BadOption("--prompts selects what --all captures; add --all (a prompt named by URI is always captured)")


WORKSPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # MLflow's WorkspaceNameValidator, 2 to 63 characters


def _check_workspaces(request: CaptureRequest) -> None:
    name = request.workspace
    if name is not None and not (WORKSPACE_NAME.match(name) and 2 <= len(name) <= 63):
        raise BadOption(f"--workspace must be an MLflow workspace name (2 to 63 lowercase letters, digits and inner "
                        f"hyphens), not {name!r}")
    if request.all_workspaces and name is not None:
        raise BadOption("--all-workspaces captures every workspace: give either it or --workspace, not both")
    if request.all_workspaces and not request.all_models:
        raise BadOption("--all-workspaces runs --all in each workspace; add --all")
