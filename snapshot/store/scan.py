"""Reading the index back out of the snapshots themselves (a missing or damaged index, `snap reindex`).

Only `<model>/v<version>/<stem>.json|.parquet` counts as a snapshot; dot-folders
(the index, the journal, temporary files) and `parquet/` (the dataset) are not
models. A snapshot that does not load (damaged) or whose
manifest names another model or version than the folder it sits in is skipped
with a warning, never listed under the folder's name.
"""

from __future__ import annotations

from collections.abc import Iterator

from snapshot.errors import SnapError
from snapshot.store.backend import Store
from snapshot.store.layout import RESERVED, store_name, version_folder

SUFFIXES = (".json", ".parquet")


def is_model_folder(name: str) -> bool:
    return not name.startswith(".") and name not in RESERVED


def snapshot_files(store: Store, folders: list[str]) -> dict[str, list[str]]:
    """{`model/vN/stem`: [formats]} of every file laid out as a snapshot in these model folders."""
    found: dict[str, list[str]] = {}
    for folder in folders:
        for rel in store.find(folder):
            parts = rel.split("/")
            if len(parts) != 3 or not parts[1].startswith("v") or parts[2].startswith("."):
                continue
            stem, dot, ext = parts[2].rpartition(".")
            if dot and f".{ext}" in SUFFIXES:
                found.setdefault(f"{parts[0]}/{parts[1]}/{stem}", []).append(ext)
    return found


def scan_rows(store: Store, folders: list[str], docs: list | None = None) -> Iterator[dict]:
    """An index row for every readable snapshot in `folders` that sits where its manifest says.

    `docs` collects the documents."""
    from snapshot.formats.files import load_snapshot
    from snapshot.formats.integrity import allowing_modified
    from snapshot.store.index import row_of, warn

    for path, formats in sorted(snapshot_files(store, folders).items()):
        ext = "json" if "json" in formats else "parquet"
        where = store.file(f"{path}.{ext}")
        try:
            with allowing_modified():  # a modified snapshot is still in the store: reading it refuses or marks it
                doc = load_snapshot(where)
        except SnapError as exc:
            warn(f"skipped a damaged snapshot: {exc}")
            continue
        m = doc["manifest"]
        if version_folder(store_name(m), str(m["model_version"])) != path.rsplit("/", 1)[0]:
            warn(f"skipped {where}: its manifest names {m['model_name']} v{m['model_version']}, "
                 "which belongs in another folder; move it there and run snap reindex")
            continue
        if docs is not None:
            docs.append(doc)
        yield row_of(doc, path, formats)
