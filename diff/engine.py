"""Compare two snapshot documents, area by area, into plain data.

Each area compares its items by what they are (params by key, signature
columns by name, requirements by package, ...) and claims the paths it covers;
everything else is compared leaf by leaf as `other`. Never prints, never
imports mlflow: snapshots can come from any model on any server.
"""

from __future__ import annotations

from dataclasses import replace

from diff import keyed, records, requirements, signature
from diff.changes import CHANGED, SECTIONS, WITHIN_TOLERANCE, Change, DiffOptions, DiffResult, Side
from diff.embedded_json import embedded_json_note
from diff.generic import compare_generic
from diff.ignores import active_ignores, matches

# (section, compare function, the snapshot paths it covers: globs, like ignores)
AREAS = (
    ("status", keyed.compare_status, keyed.STATUS_FIELDS),
    ("description", keyed.compare_descriptions, keyed.DESCRIPTION_FIELDS),
    ("aliases", keyed.compare_aliases, ("registered_model.aliases", "model_version.aliases")),
    ("tags", keyed.compare_tags, keyed.TAG_MAPS),
    ("params", keyed.compare_params, keyed.PARAM_MAPS),
    ("metrics", keyed.compare_metrics, ("run.metrics", "logged_model.metrics")),
    ("signature", signature.compare_signature, (signature.ROOT,)),
    ("flavors", requirements.compare_flavors, (requirements.FLAVORS,)),
    ("requirements", requirements.compare_requirements, (
        "environment.*.packages", "environment.*.conda_packages", "environment.*.python",
        "environment.*.parsed.dependencies", "environment.*.parsed.python",
        "environment.*.options", "environment.*.build_options", "environment.*.extras", "environment.*.hashes")),
    ("artifacts", records.compare_artifacts,
     ("artifacts.*.files", "artifacts.*.total_size", "artifacts.*.file_count")),
    ("datasets", records.compare_datasets, (records.DATASETS,)),
    ("permissions", records.compare_permissions, ("permissions.*.grants",)),
)
CLAIMED = tuple(glob for _, _, globs in AREAS for glob in globs)
MAP_SECTIONS = ("tags", "params", "metrics", "aliases", "requirements", "flavors")  # compared by keyed.compare_maps


def diff_snapshots(left: dict, right: dict, options: DiffOptions | None = None) -> DiffResult:
    """Every change from `left` to `right`, sorted by section then path.

    `hidden` counts what --only and --ignore left out, so the output can say so.
    """
    options = options or DiffOptions()
    result = _compare(left, right, options)
    shown = len(result.changes) + len(result.tolerated)
    hidden = {}
    for reason, wider in (("outside --only", replace(options, only=())), ("ignored by --ignore",
                                                                         replace(options, ignore=()))):
        if wider != options:  # compared again only when the option was given
            every = _compare(left, right, wider)
            hidden[reason] = len(every.changes) + len(every.tolerated) - shown
    hidden = {reason: n for reason, n in hidden.items() if n > 0}
    return replace(result, hidden=hidden) if hidden else result


def _compare(left: dict, right: dict, options: DiffOptions) -> DiffResult:
    ignores = active_ignores(options.ignore, options.default_ignores)
    changes: list[Change] = []
    masked_left, masked_right = _mask_unavailable(left, right)
    for section, compare, _ in AREAS:
        if _wanted(section, options):
            changes += compare(masked_left, masked_right, options)
    if _wanted("other", options):
        changes += compare_generic(masked_left, masked_right, lambda p: matches(p, CLAIMED) or matches(p, ignores))
    changes = with_notes([c for c in changes if not matches(c.path, ignores)])
    kept = [c for c in changes if c.detail != WITHIN_TOLERANCE]
    tolerated = [c for c in changes if c.detail == WITHIN_TOLERANCE]
    return DiffResult(side_of(left), side_of(right), sort_changes(kept), sort_changes(tolerated))


def with_notes(changes: list[Change]) -> list[Change]:
    """Changed map values get a note naming what changed inside JSON held in strings.

    Added here, after ignores, not where the maps are compared: a run's
    `mlflow.log-model.history` tag is such JSON, changes with every version and is
    ignored, and parsing it for nothing was most of a `snap log`."""
    out = []
    for c in changes:
        wanted = c.section in MAP_SECTIONS and c.kind == CHANGED and not c.detail
        note = embedded_json_note(c.old, c.new) if wanted else ""
        out.append(replace(c, detail=note) if note else c)
    return out


def sort_changes(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (SECTIONS.index(c.section), c.path, c.kind))


def side_of(doc: dict) -> Side:
    manifest = keyed.as_map(doc.get("manifest"))
    version = manifest.get("model_version")
    return Side(manifest.get("model_name"), None if version is None else str(version),
                manifest.get("captured_at"), manifest.get("content_hash"), manifest.get("kind"),
                manifest.get("workspace"))


def _wanted(section: str, options: DiffOptions) -> bool:
    return not options.only or section in options.only


def _mask_unavailable(left: dict, right: dict) -> tuple[dict, dict]:
    """Both documents with what either side could not capture set to null, so areas skip it.

    The `unavailable` entries themselves still show, as `other` changes.
    """
    paths = set(keyed.as_map(left.get("unavailable"))) | set(keyed.as_map(right.get("unavailable")))
    return _mask(left, paths), _mask(right, paths)


def _mask(doc: dict, paths: set[str]) -> dict:
    """A copy of `doc` (sharing untouched parts) with each dotted path set to null."""
    doc = dict(doc)
    for path in sorted(paths):
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            if not isinstance(node.get(key), dict):
                break
            node[key] = dict(node[key])
            node = node[key]
        else:
            if last in node:
                node[last] = None
    return doc
