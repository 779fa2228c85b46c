"""Part files of the dataset on any fsspec filesystem, each written whole or not at all.

On a local disk a part is written under a hidden temporary name and renamed; on
an object store it is written under its final name, which an object store makes
visible only when the upload completes (a failed one is discarded). Readers
(pyarrow, Spark, DuckDB's `*.parquet` globs) skip names starting with `.`.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
import uuid
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from snapshot.dataset.layout import DATASET_DIR, dataset_root, is_local, list_parts  # noqa: F401 - re-exported
from snapshot.errors import StoreNotWritable

_COMPRESSION = "zstd"


def part_name() -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"part-{stamp}-{uuid.uuid4().hex[:12]}.parquet"


class PartFile:
    """One Parquet part being written: `write(table)` as often as needed, then `commit()` or `abort()`."""

    def __init__(self, fs, folder: str, schema: pa.Schema):
        self.fs, self.schema, self.folder = fs, schema, folder
        self.final = posixpath.join(folder, part_name())
        self.local = is_local(fs)
        self.made: list[str] = _missing_folders(folder) if self.local else []
        self.staging = ""
        try:
            if self.local:
                fs.makedirs(folder, exist_ok=True)
                self.staging = posixpath.join(folder, "." + posixpath.basename(self.final) + ".tmp")
            else:  # staged on local disk, then uploaded in one piece under the final name
                fd, self.staging = tempfile.mkstemp(prefix=".snap-part-", suffix=".parquet")
                os.close(fd)
            self.writer = pq.ParquetWriter(self.staging, schema, compression=_COMPRESSION,
                                           filesystem=_arrow_local())
        except OSError as exc:  # a full disk fails the header's write: the staging file is there, empty
            with contextlib.suppress(OSError):
                if self.staging:
                    os.unlink(self.staging)
            self._remove_made()
            raise _refused(folder, exc) or StoreNotWritable(f"cannot write the Parquet dataset under {folder}: "
                                                            f"{exc}; check the store's permissions") from None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        try:
            self.writer.write_table(table if table.schema == self.schema else table.cast(self.schema))
        except OSError as exc:  # a full disk meets a row group here, not at open
            self.abort()
            raise _refused(self.folder, exc) or StoreNotWritable(f"cannot write {self.final}: {exc}") from None
        self.rows += table.num_rows

    def commit(self) -> str:
        try:
            self.writer.close()
            if self.local:
                self.fs.mv(self.staging, self.final)
            else:
                self.fs.put_file(self.staging, self.final)
        except OSError as exc:
            self.abort()
            raise _refused(self.folder, exc) or StoreNotWritable(f"cannot write {self.final}: {exc}") from None
        finally:
            if not self.local and os.path.exists(self.staging):
                os.unlink(self.staging)
        return self.final

    def abort(self) -> None:
        """Leave nothing behind: no temporary file, no object."""
        with contextlib.suppress(OSError, pa.ArrowException):
            self.writer.close()
        if self.local:
            if self.fs.exists(self.staging):
                self.fs.rm(self.staging)
        elif os.path.exists(self.staging):
            os.unlink(self.staging)
        self._remove_made()

    def _remove_made(self) -> None:
        """Folders this part made, removed if still empty: a failed command leaves no empty partition."""
        for path in self.made:
            with contextlib.suppress(OSError):
                os.rmdir(path)


def _missing_folders(folder: str) -> list[str]:
    """`folder` and its parents that do not exist yet, deepest first (a local dataset)."""
    missing = []
    while folder and folder != posixpath.dirname(folder) and not os.path.isdir(folder):
        missing.append(folder)
        folder = posixpath.dirname(folder)
    return missing


def _refused(folder: str, exc: OSError) -> StoreNotWritable | None:
    """A full, over-quota or read-only disk as one clear error naming the store (the folder above parquet/)."""
    from snapshot.store.backend import write_refused

    return write_refused(folder.split(f"/{DATASET_DIR}/")[0], exc)


def _arrow_local():
    from pyarrow.fs import LocalFileSystem

    return LocalFileSystem()


def remove_parts(fs, paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):  # another compaction got there first
            fs.rm(path)
