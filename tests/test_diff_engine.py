"""The diff engine on plain snapshot documents: each kind of change, tolerance, ignores, --only, breaking."""

from __future__ import annotations

import copy

import pytest

from diff.changes import Change, DiffOptions, failing_changes, make_options
from diff.engine import diff_snapshots
from diff.ignores import DEFAULT_IGNORES
from snapshot.errors import BadOption
from tests.support.documents import make_doc


def changes_of(left: dict, right: dict, **options) -> list[Change]:
    return diff_snapshots(left, right, DiffOptions(**options)).changes


def by_path(changes: list[Change]) -> dict[str, Change]:
    return {c.path: c for c in changes}


def test_same_version_captured_a_moment_apart_is_empty():
    left = make_doc("3", captured_at="2026-11-26T21:30:00.000000Z")
    right = make_doc("3", captured_at="2026-11-26T21:30:01.500000Z")
    right["manifest"]["requested_uri"] = "models:/Churn@champion"
    right["manifest"]["snap_version"] = "0.2.0"
    right["registered_model"]["latest_versions"] = [{"version": "4"}]
    right["registered_model"]["last_updated_timestamp"] = 99999
    assert changes_of(left, right) == []


def test_two_versions_of_an_unchanged_model_differ_only_in_what_matters():
    # Ids, creation times, locations and the log-model history differ by construction: not reported.
    assert changes_of(make_doc("2"), make_doc("3")) == [
        Change("other", "model_version.run_id", "changed", "run2", "run3"),
    ]


def test_params_added_removed_changed_with_numeric_delta():
    left, right = make_doc("2"), make_doc("3")
    right["run"]["params"] = {"lr": "0.2", "depth": "5", "batch": "32"}
    got = by_path(c for c in changes_of(left, right) if c.section == "params")
    assert got == {
        "run.params.batch": Change("params", "run.params.batch", "added", None, "32"),
        "run.params.lr": Change("params", "run.params.lr", "changed", "0.1", "0.2", {"abs": 0.1, "rel": 1.0}),
        "run.params.solver": Change("params", "run.params.solver", "removed", "lbfgs", None),
    }


def test_metrics_delta_and_tolerance():
    left, right = make_doc("2"), make_doc("3")
    right["run"]["metrics"]["auc"]["value"] = 0.9005
    right["run"]["metrics"]["loss"]["value"] = 0.4
    right["run"]["metrics"]["f1"] = {"value": 0.7, "step": 0, "timestamp": 1}
    got = by_path(c for c in changes_of(left, right) if c.section == "metrics")
    assert got["run.metrics.auc"].delta == {"abs": 0.0005, "rel": pytest.approx(0.0005 / 0.9)}
    assert got["run.metrics.loss"].delta == {"abs": -0.1, "rel": -0.2}
    assert got["run.metrics.f1"].kind == "added"

    options = make_options(tolerance=["auc=0.001", "loss=25%"])
    result = diff_snapshots(left, right, options)
    assert [c.path for c in result.changes if c.section == "metrics"] == ["run.metrics.f1"]
    assert [c.path for c in result.tolerated] == ["run.metrics.auc", "run.metrics.loss"]
    tight = diff_snapshots(left, right, make_options(tolerance=["auc=0.0001", "loss=10%"]))
    assert [c.path for c in tight.changes if c.section == "metrics"] == [
        "run.metrics.auc", "run.metrics.f1", "run.metrics.loss"]


@pytest.mark.parametrize("bad", ["auc", "auc=", "=1", "auc=x", "auc=-1", "auc=1%%"])
def test_bad_tolerance_names_the_option(bad):
    with pytest.raises(BadOption, match="--tolerance"):
        make_options(tolerance=[bad])


def test_tags_of_every_object_descriptions_and_status():
    left, right = make_doc("2"), make_doc("3")
    right["model_version"]["tags"]["validated"] = "true"
    right["registered_model"]["tags"]["owner"] = "bob"
    right["run"]["tags"]["note"] = "x"
    right["experiment"]["tags"]["team"] = "ml"
    right["model_version"]["description"] = "retrained"
    right["model_version"]["current_stage"] = "Production"
    right["run"]["info"]["status"] = "FAILED"
    got = {(c.section, c.path, c.kind) for c in changes_of(left, right)}
    assert {
        ("tags", "model_version.tags.validated", "changed"),
        ("tags", "registered_model.tags.owner", "added"),
        ("tags", "run.tags.note", "added"),
        ("tags", "experiment.tags.team", "added"),
        ("description", "model_version.description", "changed"),
        ("status", "model_version.current_stage", "changed"),
        ("status", "run.info.status", "changed"),
    } <= got


def test_aliases_are_moves_and_not_reported_twice():
    left, right = make_doc("2"), make_doc("3")
    left["registered_model"]["aliases"] = {"champion": "2", "old": "1"}
    left["model_version"]["aliases"] = ["champion"]
    right["registered_model"]["aliases"] = {"champion": "3", "challenger": "3"}
    right["model_version"]["aliases"] = ["challenger", "champion"]
    got = [c for c in changes_of(left, right) if c.section == "aliases"]
    assert got == [  # model_version.aliases.challenger is the same move: not repeated
        Change("aliases", "registered_model.aliases.challenger", "added", None, "3"),
        Change("aliases", "registered_model.aliases.champion", "moved", "2", "3"),
        Change("aliases", "registered_model.aliases.old", "removed", "1", None),
    ]
    # Two versions captured at the same moment: the model's aliases agree, the versions' do not.
    left["registered_model"]["aliases"] = right["registered_model"]["aliases"] = {"champion": "3"}
    left["model_version"]["aliases"] = []
    right["model_version"]["aliases"] = ["champion"]
    assert [c for c in changes_of(left, right) if c.section == "aliases"] == [
        Change("aliases", "model_version.aliases.champion", "added", None, "3")]


def _signature(doc: dict) -> dict:
    return doc["mlmodel"]["parsed"]["signature"]


def test_signature_changes_and_breaking_rules():
    left, right = make_doc("2"), make_doc("3")
    _signature(left)["inputs"].append({"name": "score", "type": "double", "required": True})
    _signature(left)["inputs"].append({"name": "region", "type": "string", "required": False})
    _signature(right)["inputs"] = [
        {"name": "plan", "type": "string", "required": False},         # reordered, now optional: compatible
        {"name": "age", "type": "double", "required": True},           # long -> double: widened, compatible
        {"name": "score", "type": "float", "required": True},          # double -> float: narrowed, breaking
        {"name": "tenure", "type": "long", "required": True},          # new required: breaking
        {"name": "coupon", "type": "string", "required": False},       # new optional: compatible
        {"name": "region", "type": "string", "required": True},        # now required: breaking
    ]
    _signature(right)["outputs"] = [{"type": "long", "required": True}]  # changed output: breaking
    _signature(right)["params"] = [{"name": "k", "type": "long", "default": 3, "shape": None}]
    got = {c.path: (c.kind, c.old, c.new, c.breaking) for c in changes_of(left, right) if c.section == "signature"}
    root = "mlmodel.parsed.signature"
    assert got == {
        f"{root}.inputs": ("reordered", ["age", "plan", "score", "region"], ["plan", "age", "score", "region"], False),
        f"{root}.inputs.age.type": ("changed", "long", "double", False),
        f"{root}.inputs.plan.required": ("changed", True, False, False),
        f"{root}.inputs.score.type": ("changed", "double", "float", True),
        f"{root}.inputs.tenure": ("added", None, "long", True),
        f"{root}.inputs.coupon": ("added", None, "string (optional)", False),
        f"{root}.inputs.region.required": ("changed", False, True, True),
        f"{root}.outputs.#0.type": ("changed", "double", "long", True),
        f"{root}.params.k": ("added", None, '{"shape":null,"type":"long"}', False),
    }


def test_signature_removed_input_and_whole_signature():
    left, right = make_doc("2"), make_doc("3")
    _signature(right)["inputs"] = _signature(right)["inputs"][:1]
    [removed] = [c for c in changes_of(left, right) if c.section == "signature"]
    assert (removed.path, removed.kind, removed.old, removed.breaking) == (
        "mlmodel.parsed.signature.inputs.plan", "removed", "string", True)
    right["mlmodel"]["parsed"]["signature"] = None
    [gone] = [c for c in changes_of(left, right) if c.section == "signature"]
    assert (gone.kind, gone.breaking) == ("removed", False)
    [came] = [c for c in changes_of(right, left) if c.section == "signature"]
    assert (came.kind, came.breaking, came.detail) == ("added", True, "inputs are now checked against 2 columns")


def test_requirements_bumps_python_and_flavors():
    left, right = make_doc("2"), make_doc("3")
    right["environment"]["requirements"]["packages"] = {
        "mlflow": "==3.17.2", "scikit-learn": "==1.5.0", "pandas": ">=2,<3"}
    left["environment"]["requirements"]["packages"]["numpy"] = "==1.26.4"
    right["environment"]["python_env"]["python"] = "3.12.1"
    right["mlmodel"]["parsed"]["flavors"]["sklearn"]["sklearn_version"] = "1.5.0"
    right["mlmodel"]["parsed"]["flavors"]["onnx"] = {"onnx_version": "1.16"}
    del right["mlmodel"]["parsed"]["flavors"]["python_function"]
    got = {c.path: (c.kind, c.old, c.new, c.delta) for c in changes_of(left, right)
           if c.section in ("requirements", "flavors")}
    env, fl = "environment", "mlmodel.parsed.flavors"
    assert got == {
        f"{env}.requirements.packages.numpy": ("removed", "==1.26.4", None, None),
        f"{env}.requirements.packages.pandas": ("added", None, ">=2,<3", None),
        f"{env}.requirements.packages.scikit-learn": ("changed", "==1.4.2", "==1.5.0",
                                                      {"bump": "minor", "direction": "up"}),
        f"{env}.python_env.python": ("changed", "3.11.4", "3.12.1", {"bump": "minor", "direction": "up"}),
        f"{fl}.onnx": ("added", None, "1.16", None),
        f"{fl}.python_function": ("removed", "3.11.4", None, None),
        f"{fl}.sklearn.sklearn_version": ("changed", "1.4.2", "1.5.0", {"bump": "minor", "direction": "up"}),
    }


@pytest.mark.parametrize("old, new, delta", [
    ("==1.4.2", "==2.0.0", {"bump": "major", "direction": "up"}),
    ("==1.4.2", "==1.4.3", {"bump": "patch", "direction": "up"}),
    ("==1.4.2", "==1.4.1", {"bump": "patch", "direction": "down"}),
    ("~=1.4", ">=1.5,<2", {"bump": "minor", "direction": "up"}),
    ("==1.4.2", "==1.4.2.post1", {"bump": "other", "direction": "up"}),
    ("", "==1.0", None),
])
def test_requirement_bump_kinds(old, new, delta):
    left, right = make_doc("2"), make_doc("3")
    left["environment"]["requirements"]["packages"]["x"] = old
    right["environment"]["requirements"]["packages"]["x"] = new
    [change] = [c for c in changes_of(left, right) if c.path.endswith(".x")]
    assert change.delta == delta


def test_artifacts_files_sizes_checksums_and_total():
    left, right = make_doc("2"), make_doc("3")
    right["artifacts"]["model"]["files"] = [
        {"path": "MLmodel", "is_dir": False, "size": 120},
        {"path": "model.pkl", "is_dir": False, "size": 200, "sha256": "bb"},
    ]
    right["artifacts"]["model"]["total_size"] = 320
    right["artifacts"]["run"]["files"].append({"path": "plots/pr.png", "is_dir": False, "size": 7})
    right["artifacts"]["run"]["files"].append({"path": "data", "is_dir": True, "size": None})
    got = {c.path: (c.kind, c.old, c.new) for c in changes_of(left, right) if c.section == "artifacts"}
    assert got == {
        "artifacts.model.files.MLmodel.size": ("changed", 100, 120),
        "artifacts.model.total_size": ("changed", 300, 320),
        "artifacts.run.files.plots/pr.png": ("added", None, 7),
    }  # one sha256 only: no checksum change; directories are not files
    right["artifacts"]["model"]["files"][1]["size"] = 200
    left["artifacts"]["model"]["files"][1]["sha256"] = "aa"
    right["artifacts"]["model"]["files"][1]["sha256"] = "cc"
    assert by_path(changes_of(left, right))["artifacts.model.files.model.pkl.sha256"].kind == "changed"


def test_datasets_and_permissions():
    left, right = make_doc("2"), make_doc("3")
    right["run"]["dataset_inputs"][0]["digest"] = "d2"
    right["run"]["dataset_inputs"].append({"name": "eval", "digest": "e1", "tags": {"mlflow.data.context": "eval"}})
    right["permissions"]["registered_model"]["grants"] = [
        {"principal": "user:alice", "permission": "READ", "inherited": False},
        {"principal": "user:bob", "permission": "EDIT", "inherited": False},
    ]
    got = {c.path: (c.section, c.kind, c.old, c.new) for c in changes_of(left, right)
           if c.section in ("datasets", "permissions")}
    assert got == {
        "run.dataset_inputs.train[training].digest": ("datasets", "changed", "d1", "d2"),
        "run.dataset_inputs.eval[eval]": ("datasets", "added", None, "e1"),
        "permissions.registered_model.grants.user:alice": ("permissions", "changed", "MANAGE", "READ"),
        "permissions.registered_model.grants.user:bob": ("permissions", "added", None, "EDIT"),
    }


def test_generic_changes_for_everything_else():
    left, right = make_doc("2"), make_doc("3")
    right["manifest"]["server_version"] = "3.18.0"
    right["mlmodel"]["parsed"]["metadata"] = {"owner": "ml"}
    right["environment"]["python_env"]["parsed"]["build_dependencies"] = ["pip", "wheel"]
    got = {c.path: (c.section, c.kind, c.old, c.new, c.detail) for c in changes_of(left, right)}
    assert got["manifest.server_version"] == ("other", "changed", "3.17.2", "3.18.0", "")
    assert got["mlmodel.parsed.metadata.owner"] == ("other", "added", None, "ml", "")
    assert got["environment.python_env.parsed.build_dependencies"][4] == "added wheel"


def test_section_that_appears_shows_only_its_leaves():
    left, right = make_doc("2"), make_doc("3")
    right["environment"]["conda"] = {"raw": "x", "packages": {"mlflow": "==3.17.2"}, "conda_packages": {},
                                     "python": "3.11.4", "parsed": {"name": "env", "dependencies": ["pip"]}}
    got = {c.path: c.kind for c in changes_of(left, right) if c.path.startswith("environment")}
    assert got == {"environment.conda.packages.mlflow": "added", "environment.conda.parsed.name": "added"}


def test_unavailable_area_is_not_compared_item_by_item():
    left, right = make_doc("2"), make_doc("3")
    right["permissions"] = None
    right["unavailable"] = {"permissions": "no permission API"}
    got = changes_of(left, right)
    assert [c for c in got if c.section == "permissions"] == []
    assert Change("other", "unavailable.permissions", "added", None, "no permission API") in got


def test_ignore_globs_no_default_ignores_and_only():
    left, right = make_doc("2"), make_doc("3", captured_at="2026-11-27T00:00:00.000000Z")
    right["run"]["params"]["lr"] = "0.3"
    right["run"]["tags"]["mlflow.source.git.commit"] = "abc"
    assert "run.tags.mlflow.source.git.commit" in by_path(changes_of(left, right))
    got = by_path(changes_of(left, right, ignore=("run.tags.mlflow.*", "run.params")))
    assert not any(p.startswith(("run.tags.mlflow", "run.params")) for p in got)
    everything = by_path(changes_of(left, right, default_ignores=False))
    assert {"manifest.captured_at", "model_version.version", "run.info.run_id"} <= set(everything)
    only = changes_of(left, right, only=("params",))
    assert [c.path for c in only] == ["run.params.lr"]


def test_only_and_fail_on_validate_section_names():
    with pytest.raises(BadOption, match="--only 'param' is not a section"):
        make_options(only=["param"])
    result = diff_snapshots(make_doc("2"), make_doc("3"))
    with pytest.raises(BadOption, match="--fail-on 'nope' is not a section; .*, breaking"):
        failing_changes(result, ["nope"])


def test_fail_on_sections_and_breaking():
    left, right = make_doc("2"), make_doc("3")
    right["run"]["params"]["lr"] = "0.3"
    result = diff_snapshots(left, right)
    assert failing_changes(result, ["signature"]) == []
    assert [c.path for c in failing_changes(result, ["params"])] == ["run.params.lr"]
    assert failing_changes(result, ["breaking"]) == []
    _signature(right)["inputs"].pop()
    broken = diff_snapshots(left, right)
    assert [c.path for c in failing_changes(broken, ["breaking"])] == ["mlmodel.parsed.signature.inputs.plan"]


def test_different_models_are_comparable_and_sorted_by_section():
    left, right = make_doc("2"), make_doc("1", name="Fraud")
    right["registered_model"]["tags"] = {}
    result = diff_snapshots(left, right)
    assert (result.left.model, result.right.model) == ("Churn", "Fraud")
    sections = [c.section for c in result.changes]
    assert sections == sorted(sections, key=["tags", "other"].index)


def test_robust_to_missing_and_odd_sections():
    bare = {"schema_version": 1, "manifest": {"model_name": "X", "model_version": "1"}}
    odd = copy.deepcopy(bare) | {"run": {"params": ["not", "a", "map"], "metrics": None}, "mlmodel": "text"}
    assert diff_snapshots(bare, bare).changes == []
    assert {c.section for c in diff_snapshots(bare, make_doc("2")).changes} >= {"params", "signature", "other"}
    diff_snapshots(odd, make_doc("2"))
    diff_snapshots(make_doc("2"), odd)


def test_default_ignores_are_documented():
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "diff.md").read_text(encoding="utf-8")
    missing = [glob for glob in DEFAULT_IGNORES if f"`{glob}`" not in doc]
    assert missing == []


def test_logged_model_echoes_of_run_params_and_metrics_are_reported_once():
    left, right = make_doc("2"), make_doc("3")
    for doc, lr, auc in ((left, "0.1", 0.9), (right, "0.2", 0.95)):
        doc["logged_model"] = {"params": {"lr": lr, "only_model": lr},
                               "metrics": [{"key": "auc", "value": auc, "step": 0}], "tags": {}}
    right["run"]["params"]["lr"] = "0.2"
    right["run"]["metrics"]["auc"]["value"] = 0.95
    got = [c.path for c in changes_of(left, right) if c.section in ("params", "metrics")]
    assert got == ["logged_model.params.only_model", "run.params.lr", "run.metrics.auc"]
