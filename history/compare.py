"""`snap compare`: two stores (two workspaces, or one before and after a migration), version by version.

Versions are matched by what they are, not by number (mlflow-export-import
renumbers): the model's `model_uuid` (written into its MLmodel when it was
logged, and copied with its files), the model folder's listing with sizes (and
sha256 where captured), and the run's params and metrics. Two versions match
when each is the other's one best candidate; a version with several equally good
candidates is ambiguous, and is not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diff.changes import CHANGED, Change, DiffOptions
from diff.engine import diff_snapshots
from history import state as st
from history.refs import split_at
from history.source import StoreView
from history.when import parse_when, stem_to_iso

# What differs between two registries by construction, not because a model differs.
COMPARE_IGNORES = (
    "manifest",  # where and when each side was captured
    "registered_model",  # compared once per model name (model_differences), not once per version
    "model_version.aliases",  # compared as names (a migrated version has other numbers)
    "model_version.run_id",  # ids are the workspace's own
    "model_version.user_id",
    "run.info",  # run ids, times, artifact locations of the workspace's own run
    "run.tags.mlflow.*",  # who ran it, from where: a migration records its own run
    "experiment.experiment_id",
    "experiment.artifact_location",
    "experiment.creation_time",
    "logged_model.tags.mlflow.*",  # the same, for the logged model
    "logged_model.model_id",
    "logged_model.experiment_id",
    "logged_model.source_run_id",
    "logged_model.artifact_location",
    "logged_model.last_updated_timestamp_ms",
    "permissions",  # another workspace has other users
    "unavailable.permissions",  # and perhaps no permission API: permissions are not compared
)
_OPTIONS = DiffOptions(ignore=COMPARE_IGNORES)
_WEIGHTS = {"model_uuid": 4, "files": 2, "run": 1, "prompt": 2}


@dataclass(frozen=True)
class Version:
    model: str
    version: str
    captured_at: str

    @property
    def label(self) -> str:
        return f"{self.model} v{self.version}"


@dataclass(frozen=True)
class Pair:
    left: Version
    right: Version
    matched_by: tuple[str, ...]  # model_uuid, files, run
    changes: list[Change]


@dataclass(frozen=True)
class Ambiguous:
    side: str  # left or right
    version: Version
    candidates: tuple[Version, ...]


@dataclass(frozen=True)
class Comparison:
    left: str  # each side as given, with the moment it was read at
    right: str
    pairs: list[Pair] = field(default_factory=list)
    left_only: list[Version] = field(default_factory=list)
    right_only: list[Version] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not (self.left_only or self.right_only or self.ambiguous or any(p.changes for p in self.pairs))


def compare_stores(left: str, right: str, models: list[str] | None = None) -> Comparison:
    sides = [_side(target, models) for target in (left, right)]
    (left_label, left_docs), (right_label, right_docs) = sides
    scores = _scores(left_docs, right_docs)
    result = Comparison(left_label, right_label)
    best_left = _best(scores, 0)
    best_right = _best(scores, 1)
    mutual = {lkey: top[0] for lkey, top in best_left.items() if len(top) == 1 and best_right.get(top[0]) == [lkey]}
    for lkey, rkey in sorted(mutual.items(), key=lambda kv: _order(kv[0])):
        result.pairs.append(_pair(lkey, rkey, left_docs, right_docs, scores[(lkey, rkey)]))
    _unpaired(result, "left", (left_docs, right_docs), best_left, set(mutual))
    _unpaired(result, "right", (right_docs, left_docs), best_right, set(mutual.values()))
    return result


def _unpaired(result: Comparison, side: str, docs: tuple[dict, dict], best: dict, paired: set) -> None:
    """A version with no candidate left (none at all, or each already matched better) is on one side only."""
    own, other = docs
    taken = {p.right if side == "left" else p.left for p in result.pairs}
    for key in sorted(own, key=_order):
        if key in paired:
            continue
        open_ = [k for k in best.get(key, []) if _version(k, other[k]) not in taken]
        if not open_:
            (result.left_only if side == "left" else result.right_only).append(_version(key, own[key]))
        else:
            candidates = tuple(_version(k, other[k]) for k in open_)
            result.ambiguous.append(Ambiguous(side, _version(key, own[key]), candidates))


def _side(target: str, models: list[str] | None) -> tuple[str, dict]:
    """(label, {(model, version): document}) of one store at its moment (now when none is given)."""
    if "@{" in target:
        path, when = split_at(target)
        at = parse_when(when, option=f"{target!r}:")
    else:
        path, at = target, "99991231T235959.999999Z"
    view = StoreView(path)
    state = st.state_at(view, at, models)
    label = path if "@{" not in target else f"{path} at {stem_to_iso(at)}"
    return label, {key: view.load(snap) for key, snap in state.items()}


def _order(key: tuple[str, str]):
    model, version = key
    return (model, (0, int(version)) if version.isdigit() else (1, version))


def _fingerprints(doc: dict) -> dict[str, object]:
    """The content signals of one version; a signal a snapshot lacks is left out, never matched as empty."""
    out: dict[str, object] = {}
    uuid = ((doc.get("mlmodel") or {}).get("parsed") or {}).get("model_uuid")
    if uuid:
        out["model_uuid"] = uuid
    listing = ((doc.get("artifacts") or {}).get("model") or {}).get("files") or []
    files = tuple(sorted((f.get("path"), f.get("size"), f.get("sha256")) for f in listing if not f.get("is_dir")))
    if files:
        out["files"] = files
    run = doc.get("run") or {}
    metrics = {k: (v or {}).get("value") for k, v in (run.get("metrics") or {}).items()}
    if run.get("params") or metrics:
        out["run"] = (tuple(sorted((run.get("params") or {}).items())), tuple(sorted(metrics.items())))
    template = ((doc.get("model_version") or {}).get("tags") or {}).get("mlflow.prompt.text")
    if template:  # a prompt has no model files and no run: its template is what it is
        out["prompt"] = template
    return out


def _scores(left: dict, right: dict) -> dict[tuple, tuple[float, tuple[str, ...]]]:
    """(left key, right key) -> (score, signals shared) for every pair sharing a signal."""
    index: dict[tuple[str, object], list] = {}
    for key, doc in right.items():
        for signal, value in _fingerprints(doc).items():
            index.setdefault((signal, value), []).append(key)
    scores = {}
    for lkey, doc in left.items():
        shared: dict = {}
        for signal, value in _fingerprints(doc).items():
            for rkey in index.get((signal, value), []):
                shared.setdefault(rkey, []).append(signal)
        for rkey, signals in shared.items():
            same_name = 0.5 if rkey[0] == lkey[0] else 0.0  # breaks a tie, never matches alone
            scores[(lkey, rkey)] = (sum(_WEIGHTS[s] for s in signals) + same_name, tuple(signals))
    return scores


def _best(scores: dict, side: int) -> dict:
    """For each key of one side, the other side's keys with its top score."""
    top: dict = {}
    for pair, (score, _) in scores.items():
        key, other = pair[side], pair[1 - side]
        best = top.get(key)
        if best is None or score > best[0]:
            top[key] = (score, [other])
        elif score == best[0]:
            best[1].append(other)
    return {key: sorted(others, key=_order) for key, (_, others) in top.items()}


def _version(key: tuple[str, str], doc: dict) -> Version:
    return Version(key[0], key[1], (doc.get("manifest") or {}).get("captured_at") or "")


def _pair(lkey, rkey, left: dict, right: dict, score) -> Pair:
    ldoc, rdoc = left[lkey], right[rkey]
    changes = list(diff_snapshots(ldoc, rdoc, _OPTIONS).changes)
    aliases = [sorted((ldoc.get("model_version") or {}).get("aliases") or []),
               sorted((rdoc.get("model_version") or {}).get("aliases") or [])]
    if aliases[0] != aliases[1]:
        changes.insert(0, Change("aliases", "model_version.aliases", CHANGED, aliases[0], aliases[1]))
    return Pair(_version(lkey, ldoc), _version(rkey, rdoc), score[1], changes)
