"""Areas that are lists of records: artifact files, dataset inputs, permission grants."""

from __future__ import annotations

from diff.changes import ADDED, CHANGED, REMOVED, Change, DiffOptions
from diff.embedded_json import embedded_json_note
from diff.keyed import as_map, get, numeric_delta

ARTIFACT_LISTINGS = ("artifacts.model", "artifacts.run")
PERMISSION_OBJECTS = ("permissions.registered_model", "permissions.experiment")
DATASETS = "run.dataset_inputs"
_DATASET_FIELDS = ("digest", "source_type", "source", "schema", "profile", "tags")


def compare_artifacts(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Files added, removed, resized or with new content (sha256, when both sides have one); total size."""
    out = []
    for root in ARTIFACT_LISTINGS:
        old, new = _files(get(left, root)), _files(get(right, root))
        for path in sorted(set(old) | set(new)):
            out += _compare_file(f"{root}.files.{path}", old.get(path), new.get(path))
        old_total, new_total = get(left, f"{root}.total_size"), get(right, f"{root}.total_size")
        if old_total != new_total and (old_total, new_total) != (None, None):
            out.append(Change("artifacts", f"{root}.total_size", CHANGED, old_total, new_total,
                              numeric_delta(old_total, new_total)))
    return out


def _files(listing) -> dict[str, dict]:
    files = as_map(listing).get("files")
    return {f["path"]: f for f in files if isinstance(f, dict) and "path" in f and not f.get("is_dir")} \
        if isinstance(files, list) else {}


def _compare_file(path: str, old: dict | None, new: dict | None) -> list[Change]:
    if old is None:
        return [Change("artifacts", path, ADDED, None, new.get("size"))]
    if new is None:
        return [Change("artifacts", path, REMOVED, old.get("size"), None)]
    out = []
    if old.get("size") != new.get("size"):
        out.append(Change("artifacts", f"{path}.size", CHANGED, old.get("size"), new.get("size"),
                          numeric_delta(old.get("size"), new.get("size"))))
    if old.get("sha256") and new.get("sha256") and old["sha256"] != new["sha256"]:
        out.append(Change("artifacts", f"{path}.sha256", CHANGED, old["sha256"], new["sha256"],
                          detail="content changed"))
    return out


def compare_datasets(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Dataset inputs by name (and context): added, removed, digest or other fields changed."""
    old, new = _datasets(left), _datasets(right)
    out = []
    for key in sorted(set(old) | set(new)):
        path = f"{DATASETS}.{key}"
        if key not in old:
            out.append(Change("datasets", path, ADDED, None, new[key].get("digest")))
        elif key not in new:
            out.append(Change("datasets", path, REMOVED, old[key].get("digest"), None))
        else:
            out += [Change("datasets", f"{path}.{f}", CHANGED, old[key].get(f), new[key].get(f),
                           detail=embedded_json_note(old[key].get(f), new[key].get(f)))
                    for f in _DATASET_FIELDS if old[key].get(f) != new[key].get(f)]
    return out


def _datasets(doc: dict) -> dict[str, dict]:
    items = get(doc, DATASETS)
    out: dict[str, dict] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        context = as_map(item.get("tags")).get("mlflow.data.context")
        key = str(item.get("name")) + (f"[{context}]" if context else "")
        n = 1
        while key in out:  # the same dataset twice in one context: keep both
            n += 1
            key = f"{key.split('#')[0]}#{n}"
        out[key] = item
    return out


def compare_permissions(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Grants per principal: added, removed, or a different permission."""
    out = []
    for root in PERMISSION_OBJECTS:
        old, new = _grants(get(left, root)), _grants(get(right, root))
        for principal in sorted(set(old) | set(new)):
            path = f"{root}.grants.{principal}"
            if principal not in old:
                out.append(Change("permissions", path, ADDED, None, new[principal]))
            elif principal not in new:
                out.append(Change("permissions", path, REMOVED, old[principal], None))
            elif old[principal] != new[principal]:
                out.append(Change("permissions", path, CHANGED, old[principal], new[principal]))
    return out


def _grants(obj) -> dict[str, str]:
    """principal -> `EDIT` or `CAN_MANAGE (inherited), CAN_READ`."""
    grants = as_map(obj).get("grants")
    by_principal: dict[str, list[str]] = {}
    for g in grants if isinstance(grants, list) else []:
        if isinstance(g, dict) and g.get("principal"):
            text = str(g.get("permission")) + (" (inherited)" if g.get("inherited") else "")
            by_principal.setdefault(str(g["principal"]), []).append(text)
    return {p: ", ".join(sorted(perms)) for p, perms in by_principal.items()}
