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
    throttled: int = 0  # 429s the server answered (each retried after its Retry-After)
    retried: int = 0  # attempts retried, 429s included
    stopped: str | None = None  # why the batch stopped launching versions (the server is gone)
    prompts_left_out: int | None = 0  # prompts --all left out (--prompts exclude); None: the registry could not say

    def stop(self, reason: str | None, left: dict[str, int], not_planned: list[str]) -> None:
        """The batch stopped early: each model's versions not captured are one failure, to be resumed."""
        self.stopped = reason or "the batch stopped"
        for name, count in sorted(left.items()):
            if count > 0:
                self.failed.append(FailedVersion(name, "*", f"{count} versions not captured: {self.stopped}"))
        for name in not_planned:
            self.failed.append(FailedVersion(name, "*", f"not captured: {self.stopped}"))
