"""What an earlier snapshot in the store can stand for, in a batch capture.

- dedupe: `same_content` compares what was captured, without how it was asked for
  (`manifest.requested_uri`) or whether model files were reused (`manifest.reused`);
  the stored `content_hash` still covers the whole document, reuse note included.
- reuse: a logged model's files never change, so a snapshot with the same download
  URI (READY, fully captured, no checksums) gives the mlmodel, environment and
  model listing without downloading them again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from snapshot.capture.version import CaptureOptions
from snapshot.store.layout import escape_name

MODEL_FILE_KEYS = ("mlmodel", "environment", "artifacts.model")
_NOT_CONTENT = ("captured_at", "content_hash", "reused", "requested_uri")


def dedupe_key(doc: dict) -> str:
    """The hash of what was captured: the content hash's canonical JSON without how it was asked for or reused."""
    manifest = {k: v for k, v in doc["manifest"].items() if k not in _NOT_CONTENT}
    text = json.dumps({**doc, "manifest": manifest}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def same_content(earlier: dict, doc: dict) -> bool:
    """Whether a new document (no reuse note yet) says what an earlier snapshot said."""
    em, dm = earlier["manifest"], doc["manifest"]
    if "reused" not in em and em.get("requested_uri") == dm.get("requested_uri"):
        return em.get("content_hash") == dm.get("content_hash")  # already computed: no second hashing
    return dedupe_key(earlier) == dedupe_key(doc)


def newest_snapshot(store: Path, name: str, version: str) -> Path | None:
    """The newest snapshot file of one version (JSON preferred), without scanning the store."""
    # escape_name already keeps every name inside the store; snapshot_dir's resolve() check
    # (a realpath per call) guards writes and is not needed to read.
    folder = store / escape_name(name) / f"v{escape_name(str(version))}"
    if not folder.is_dir():
        return None
    files = [f for f in folder.iterdir() if f.suffix in (".json", ".parquet") and not f.name.startswith(".")]
    if not files:
        return None
    return max(files, key=lambda f: (f.stem, f.suffix == ".json"))


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
