"""Stores captured once per test module and copied per test, for tests that damage them; a full disk and a
read-only store for the error tests (real mounts, or a real RLIMIT_FSIZE)."""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.commands import snap


def capture_versions(store: Path, tracking_uri: str, model: str, versions) -> Path:
    """Each `models:/MODEL/V` captured by the CLI into `store`, with Parquet twins (`--format both`)."""
    for version in versions:
        snap("capture", f"models:/{model}/{version}", "--tracking-uri", tracking_uri, "--store", str(store),
             "--format", "both")
    return store


def copy_of(store: Path, tmp_path: Path) -> Path:
    """A copy of `store` that one test may alter."""
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    return copy


def tree_state(store: Path) -> dict[str, str | None]:
    """Every path under `store` (folders too, as None) with its file's sha256: what a user compares after
    a failed command to see that nothing was added, changed or left half-written."""
    state: dict[str, str | None] = {}
    for path in sorted(store.rglob("*")):
        rel = path.relative_to(store).as_posix()
        state[rel] = None if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@contextmanager
def mounted(args: list[str], target: Path):
    """`mount ARGS TARGET` for the block, unmounted after; the test is skipped when mounting is not permitted."""
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here (needs root, or CAP_SYS_ADMIN): {proc.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


@contextmanager
def full_disk(folder: Path, size: str = "16m"):
    """A tmpfs of `size` at `folder` (a real filesystem with a real size): fill() then takes its last byte."""
    with mounted(["-t", "tmpfs", "-o", f"size={size}", "tmpfs"], folder):
        yield folder


def fill(folder: Path) -> None:
    """Write `folder/filler` until the filesystem refuses (ENOSPC): no byte left for anything else."""
    chunk = b"\0" * (1 << 16)
    with open(folder / "filler", "wb", buffering=0) as fh:
        try:
            while True:  # unbuffered: a short write takes the last bytes, the next one fails
                fh.write(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise


@contextmanager
def read_only(source: Path, target: Path):
    """`source` seen at `target` through a read-only bind mount: writes fail with EROFS, even as root."""
    with mounted(["--bind", str(source)], target):
        proc = subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {proc.stderr.strip()}")
        yield target


def snap_with_file_limit(limit: int, *args: str) -> subprocess.CompletedProcess:
    """The snap command with RLIMIT_FSIZE at `limit` bytes (a real kernel limit, no root needed) and
    SIGXFSZ ignored, so a write past the limit fails with EFBIG as on a quota'd disk."""
    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "snap.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300, preexec_fn=limit_files)
