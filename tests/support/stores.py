"""Stores captured once per test module and copied per test, for tests that damage them."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.commands import snap


def capture_versions(store: Path, tracking_uri: str, model: str, versions) -> Path:
    """Each `models:/MODEL/V` captured by the CLI into `store` (JSON and Parquet)."""
    for version in versions:
        snap("capture", f"models:/{model}/{version}", "--tracking-uri", tracking_uri, "--store", str(store))
    return store


def copy_of(store: Path, tmp_path: Path) -> Path:
    """A copy of `store` that one test may alter."""
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    return copy
