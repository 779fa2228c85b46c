"""What a batch capture did: counts, failures, requests and time (snapshot.capture.progress renders it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


class FailedVersion(NamedTuple):
    name: str
    version: str  # "*" when the model's versions could not be listed
    reason: str


@dataclass
class BatchResult:
    models: int = 0
    captured: int = 0
    unchanged: int = 0
    resumed: int = 0  # finished by an earlier, interrupted run
    reused: int = 0
    failed: list[FailedVersion] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    journal: Path | None = None
