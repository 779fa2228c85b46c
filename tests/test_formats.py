"""The snapshot's building blocks on plain data: Parquet, store layout, URIs, parsers."""

import json

import pytest

from snapshot.errors import BadModelUri, SnapshotCorrupt, SnapshotTooNew
from snapshot.formats.document import content_hash, dumps, seal
from snapshot.formats.files import load_snapshot, write_snapshot
from snapshot.model_files.environment import parse_conda, parse_python_env, parse_requirements
from snapshot.model_files.mlmodel import parse_mlmodel
from snapshot.redact import redact_secrets, redact_uri
from snapshot.store.layout import escape_name, list_entries, resolve_ref, snapshot_dir, unescape_name
from snapshot.uris import parse_model_uri


def _doc(name="Churn", version="3", captured_at="2026-01-02T03:04:05.000006Z", **sections):
    doc = {
        "schema_version": 1,
        "manifest": {"model_name": name, "model_version": version, "snap_version": "0.1.0"},
        "model_version": {"name": name, "version": version, "tags": {}, "aliases": []},
        "registered_model": {"name": name, "tags": {}, "aliases": {}},
        "run": None, "logged_model": None, "experiment": None, "mlmodel": None, "permissions": None,
        "environment": {"requirements": None, "conda": None, "python_env": None},
        "artifacts": {"model": None, "run": None},
        "unavailable": {},
    }
    doc.update(sections)
    return seal(doc, captured_at)


def test_parquet_round_trip_is_exact(tmp_path):
    doc = _doc(run={"params": {"0": "1", "a/b": "x", "~t": "", "ü": "é"},
                    "metrics": {"auc": {"value": 0.1 + 0.2, "step": 3, "timestamp": 1700000000000}},
                    "lists": [[], {}, [1, 2.5, None, True, "s"]], "big": 2**62, "neg": -0.0})
    write_snapshot(doc, tmp_path / "s.parquet")
    write_snapshot(doc, tmp_path / "s.json")
    from_parquet = load_snapshot(tmp_path / "s.parquet")
    assert from_parquet == load_snapshot(tmp_path / "s.json") == doc
    assert dumps(from_parquet) == (tmp_path / "s.json").read_text(encoding="utf-8")


def test_parquet_is_queryable_as_a_long_table(tmp_path):
    import pyarrow.parquet as pq

    write_snapshot(_doc(run={"params": {"alpha": "0.5"}}), tmp_path / "s.parquet")
    rows = pq.read_table(tmp_path / "s.parquet").to_pylist()
    row = next(r for r in rows if r["path"] == "/run/params/alpha")
    assert (row["model"], row["version"], row["section"], row["kind"], row["value_str"]) == \
        ("Churn", "3", "run", "str", "0.5")


def test_content_hash_ignores_capture_time_only():
    a = _doc(captured_at="2026-01-01T00:00:00.000000Z")
    b = _doc(captured_at="2026-06-01T00:00:00.000000Z")
    assert a["manifest"]["content_hash"] == b["manifest"]["content_hash"] == content_hash(a)
    c = _doc(run={"params": {"x": "1"}})
    assert c["manifest"]["content_hash"] != a["manifest"]["content_hash"]


def test_truncated_and_foreign_files_are_refused(tmp_path):
    good = tmp_path / "s.json"
    write_snapshot(_doc(), good)
    cut = tmp_path / "cut.json"
    cut.write_text(good.read_text()[:100])
    with pytest.raises(SnapshotCorrupt, match="not valid snapshot JSON"):
        load_snapshot(cut)
    (tmp_path / "other.json").write_text('{"a": 1}')
    with pytest.raises(SnapshotCorrupt, match="not a snap snapshot"):
        load_snapshot(tmp_path / "other.json")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(SnapshotCorrupt):
        load_snapshot(tmp_path / "junk.parquet")
    newer = json.loads(good.read_text())
    newer["schema_version"] = 99
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    with pytest.raises(SnapshotTooNew, match="upgrade snap"):
        load_snapshot(tmp_path / "newer.json")


@pytest.mark.parametrize("name", ["Churn", "a/b", "..", ".", "../../etc", "Fraud score (EU) ü", "x%2Fy", "/abs", "a\\b"])
def test_every_model_name_stays_inside_the_store(tmp_path, name):
    store = tmp_path / "store"
    folder = snapshot_dir(store, name, "1")
    assert store.resolve() in folder.resolve().parents
    assert folder.parent.parent == store
    assert unescape_name(escape_name(name)) == name
    write_snapshot(_doc(name=name, version="1"), folder / "20260102T030405.000006Z.json")
    assert [(e.model, e.version) for e in list_entries(store)] == [(name, "1")]


def test_store_references(tmp_path):
    store = tmp_path / "store"
    for version, t in (("2", "2026-01-01T00:00:00.000000Z"), ("3", "2026-01-02T00:00:00.000000Z"),
                       ("3", "2026-01-03T00:00:00.000000Z")):
        doc = _doc(version=version, captured_at=t)
        doc["registered_model"]["aliases"] = {"champion": "2"}
        doc = seal(doc, t)
        write_snapshot(doc, snapshot_dir(store, "Churn", version) / (t.replace("-", "").replace(":", "") + ".json"))
    newest_v3 = resolve_ref(store, "v3")
    assert newest_v3.name == "20260103T000000.000000Z.json"
    assert resolve_ref(store, "3") == resolve_ref(store, "Churn/3") == newest_v3
    assert resolve_ref(store, "Churn@champion").parent.name == "v2"
    write_snapshot(_doc(name="Other", version="1"), snapshot_dir(store, "Other", "1") / "20260101T000000.000000Z.json")
    from snapshot.errors import AmbiguousReference, SnapshotNotFound

    with pytest.raises(AmbiguousReference, match="Churn, Other"):
        resolve_ref(store, "v3")
    assert resolve_ref(store, "v3", model="Churn") == newest_v3
    with pytest.raises(SnapshotNotFound, match="versions there: v2, v3"):
        resolve_ref(store, "Churn/9")


@pytest.mark.parametrize("uri, expected", [
    ("models:/Churn/6", ("Churn", "6", None, False)),
    ("models:/Churn@champion", ("Churn", None, "champion", False)),
    ("models:/Churn/latest", ("Churn", None, None, True)),
    ("models:/Churn", ("Churn", None, None, False)),
    ("models:/main.ml.churn/1", ("main.ml.churn", "1", None, False)),
])
def test_model_uris(uri, expected):
    ref = parse_model_uri(uri)
    assert (ref.name, ref.version, ref.alias, ref.latest) == expected


@pytest.mark.parametrize("uri", ["Churn/6", "models:/", "models:/Churn/Production", "runs:/abc/model", "models:/@x"])
def test_malformed_model_uris(uri):
    with pytest.raises(BadModelUri, match="models:/NAME/VERSION"):
        parse_model_uri(uri)


def test_credentials_are_removed():
    assert redact_uri("https://bob:hunter2@mlflow.example.com/") == "https://mlflow.example.com/"
    assert "abc123" not in redact_uri("https://h/?access_token=abc123")
    assert redact_uri("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    text = redact_secrets("token dapi0123456789abcdef0123456789abcdef and https://u:pw@git.example.com/r.git")
    assert "dapi0123" not in text and "pw@" not in text and "git.example.com/r.git" in text


def test_requirement_parsing():
    env = parse_requirements("mlflow==3.17.2\nScikit_Learn>=1.3,<2\nfoo[x]==1 ; python_version < '3.12'\n-r base.txt\n# c\n")
    assert env["packages"] == {"foo": "==1 ; python_version < '3.12'", "mlflow": "==3.17.2", "scikit-learn": ">=1.3,<2"}
    conda = parse_conda("dependencies:\n- python=3.11.7\n- pip<=24\n- pip:\n  - numpy==1.26.4\nname: env\n")
    assert (conda["python"], conda["packages"], conda["conda_packages"]["pip"]) == ("3.11.7", {"numpy": "==1.26.4"}, "<=24")
    py = parse_python_env("python: 3.10.12\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n")
    assert py["python"] == "3.10.12" and py["build_packages"] == {"pip": ""}


def test_mlmodel_parsing_keeps_times_as_strings_and_decodes_signature():
    text = (
        "artifact_path: model\nutc_time_created: '2023-07-31 20:22:38.046197'\nmodel_uuid: abc\n"
        "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\", \"required\": true}]'\n"
        "  outputs: '[{\"type\": \"long\", \"required\": true}]'\n  params: null\n"
        "created: 2023-07-31 20:22:38\n"
    )
    parsed = parse_mlmodel(text)
    assert parsed["signature"]["inputs"] == [{"type": "double", "name": "a", "required": True}]
    assert parsed["utc_time_created"] == "2023-07-31 20:22:38.046197"
    assert parsed["created"] == "2023-07-31 20:22:38"
