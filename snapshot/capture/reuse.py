"""What an earlier snapshot in the store can stand for, in a batch capture.

- dedupe: `same_content` compares what was captured, without how it was asked for
  (`manifest.requested_uri`) or whether model files were reused (`manifest.reused`);
  the stored `content_hash` still covers the whole document, reuse note included.
- reuse: a logged model's files never change, so a snapshot with the same download
  URI (READY, fully captured, no checksums) gives the mlmodel, environment and
  model listing without downloading them again.
"""

from __future__ import annotations

from snapshot.capture.version import CaptureOptions
from snapshot.formats.document import dedupe_key
from snapshot.store.backend import open_store
from snapshot.store.layout import entry_of

MODEL_FILE_KEYS = ("mlmodel", "environment", "artifacts.model")
def same_content(earlier: dict, doc: dict) -> bool:
    """Whether a new document (no reuse note yet) says what an earlier snapshot said."""
    em, dm = earlier["manifest"], doc["manifest"]
    if "reused" not in em and em.get("requested_uri") == dm.get("requested_uri"):
        return em.get("content_hash") == dm.get("content_hash")  # already computed: no second hashing
    return dedupe_key(earlier) == dedupe_key(doc)


def newest_snapshot(store, name: str, version: str):
    """The newest snapshot file of one version that loads, from the store's index (no folder is listed).

    A snapshot missing a twin the store is written with (`store.formats`, set by the
    batch) gets it back first. A damaged one is skipped with a warning and None is
    returned, so the version is captured again (which repairs it) rather than failed.
    """
    from snapshot.errors import SnapError
    from snapshot.formats.files import load_snapshot
    from snapshot.store.index import warn
    from snapshot.store.writer import index_of, repair_twins

    store = open_store(store)
    row = index_of(store).newest(name, version)
    if row is None:
        return None
    try:
        load_snapshot(entry_of(store, row).path)
    except SnapError as exc:
        warn(f"skipped a damaged snapshot of {name} v{version} (it is captured again): {exc}")
        return None
    if getattr(store, "formats", None):
        row = repair_twins(store, row, store.formats)
    return entry_of(store, row).path


def model_files_of(doc: dict, download_uri: str, options: CaptureOptions):
    """(mlmodel, environment, model listing) of an earlier snapshot, if they can stand for a new download."""
    mv, listing = doc.get("model_version") or {}, (doc.get("artifacts") or {}).get("model")
    usable = (
        not options.checksums
        and not (doc["manifest"].get("options") or {}).get("checksums")
        and mv.get("status") == "READY"
        and mv.get("download_uri") == download_uri
        and listing is not None and listing.get("root_uri") == download_uri
        and not any(key in (doc.get("unavailable") or {}) for key in MODEL_FILE_KEYS)
    )
    return (doc.get("mlmodel"), doc.get("environment"), listing) if usable else None
