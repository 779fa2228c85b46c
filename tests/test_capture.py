"""`snap capture` against a real MLflow server and a real server-less store.

The registry is built by MLflow's own client (tests/support/registry.py); nothing is mocked.
"""

import json
import socket
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest

from snapshot.formats.files import load_snapshot
from snapshot.store.layout import list_entries
from tests.support.commands import snap

pytestmark = pytest.mark.server
SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "snapshot" / "schema.json").read_text())


def valid(doc):
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    return doc


@pytest.fixture(scope="module")
def churn_store(registry, mlflow_server, tmp_path_factory):
    """Every Churn version captured once into a store, with the CLI."""
    store = tmp_path_factory.mktemp("store")
    snap("capture", "models:/Churn", "--tracking-uri", mlflow_server, "--store", str(store), "--format", "both")
    return store


def _newest(store, model, version):
    entries = [e for e in list_entries(store) if e.model == model and e.version == version]
    return valid(load_snapshot(entries[-1].path))


def test_every_section_of_a_version(churn_store, registry, mlflow_server):
    facts = registry["churn"]["versions"]["3"]
    doc = _newest(churn_store, "Churn", "3")
    m = doc["manifest"]
    import mlflow

    assert (m["model_name"], m["model_version"], m["requested_uri"]) == ("Churn", "3", "models:/Churn")
    assert (m["server_kind"], m["tracking_host"], m["tracking_uri"]) == ("mlflow", mlflow_server, mlflow_server)
    assert m["server_version"] == mlflow.__version__ and m["mlflow_version"] == mlflow.__version__
    mv = doc["model_version"]
    assert mv["run_id"] == facts["run_id"] and mv["status"] == "READY"
    assert mv["tags"] == facts["version_tags"]
    assert sorted(mv["aliases"]) == sorted(a for a, v in registry["churn"]["aliases"].items() if v == "3")
    assert facts["model_id"] in mv["source"] and facts["model_id"] in mv["download_uri"]
    rm = doc["registered_model"]
    assert rm["aliases"] == registry["churn"]["aliases"]
    assert rm["description"] == registry["churn"]["description"] and rm["tags"] == registry["churn"]["tags"]
    run = doc["run"]
    assert run["params"] == facts["params"]
    assert {k: v["value"] for k, v in run["metrics"].items()} == pytest.approx(facts["metrics"])
    assert all(isinstance(v["step"], int) and v["timestamp"] > 0 for v in run["metrics"].values())
    assert facts["run_tags"].items() <= run["tags"].items()
    assert [d["name"] for d in run["dataset_inputs"]] == [facts["dataset_name"]]
    assert run["dataset_inputs"][0]["digest"] and run["dataset_inputs"][0]["tags"]["mlflow.data.context"] == "training"
    assert doc["logged_model"]["model_id"] == facts["model_id"]
    assert doc["experiment"]["name"] == registry["experiment_name"]
    assert registry["experiment_tags"].items() <= doc["experiment"]["tags"].items()


def test_mlmodel_environment_and_artifacts(churn_store, registry):
    facts = registry["churn"]["versions"]["3"]
    doc = _newest(churn_store, "Churn", "3")
    parsed = doc["mlmodel"]["parsed"]
    assert {"python_function", "sklearn"} <= set(parsed["flavors"])
    assert [c["name"] for c in parsed["signature"]["inputs"]] == facts["input_columns"]
    assert parsed["saved_input_example_info"]["artifact_path"]
    assert parsed["model_uuid"] and parsed["utc_time_created"] and "signature:" in doc["mlmodel"]["raw"]
    reqs = doc["environment"]["requirements"]
    assert reqs["raw"].split() == facts["pip_requirements"]
    assert reqs["packages"]["scikit-learn"] == "==" + facts["pip_requirements"][1].split("==")[1]
    assert doc["environment"]["python_env"]["python"] and doc["environment"]["conda"]["python"]
    model_files = doc["artifacts"]["model"]
    paths = [f["path"] for f in model_files["files"]]
    assert {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml"} <= set(paths)
    assert model_files["total_size"] == sum(f["size"] for f in model_files["files"] if not f["is_dir"]) > 0
    run_paths = [f["path"] for f in doc["artifacts"]["run"]["files"]]
    assert set(facts["run_artifacts"]) <= set(run_paths)
    assert doc["permissions"] is None and "basic-auth" in doc["unavailable"]["permissions"]


def test_json_and_parquet_hold_the_same_document(churn_store):
    entries = [e for e in list_entries(churn_store) if e.model == "Churn"]
    assert [e.version for e in entries] == ["1", "2", "3"]
    for entry in entries:
        parquet = entry.path.with_suffix(".parquet")
        assert parquet.is_file()
        assert load_snapshot(parquet) == load_snapshot(entry.path)


def test_capture_is_deterministic(registry, mlflow_server, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    snap("capture", "models:/Churn/2", "--tracking-uri", mlflow_server, "-o", str(a))
    snap("capture", "models:/Churn/2", "--tracking-uri", mlflow_server, "-o", str(b))
    doc_a, doc_b = load_snapshot(a), load_snapshot(b)
    assert doc_a["manifest"]["captured_at"] != doc_b["manifest"]["captured_at"]
    assert doc_a["manifest"]["content_hash"] == doc_b["manifest"]["content_hash"]
    strip = lambda text: [line for line in text.splitlines() if '"captured_at"' not in line]  # noqa: E731
    assert strip(a.read_text()) == strip(b.read_text())


def test_alias_latest_and_other_flavors(registry, mlflow_server, tmp_path):
    champion = registry["churn"]["aliases"]["champion"]
    snap("capture", "models:/Churn@champion", "models:/Echo/latest", "--tracking-uri", mlflow_server,
         "--store", str(tmp_path), "--format", "json")
    got = {(e.model, e.version): e for e in list_entries(tmp_path)}
    latest_echo = max(registry["echo"]["versions"], key=int)
    assert set(got) == {("Churn", champion), ("Echo", latest_echo)}
    assert not list(tmp_path.glob("*/v*/*.parquet"))  # no Parquet twins (the dataset under parquet/ is separate)
    echo = valid(load_snapshot(got[("Echo", latest_echo)].path))
    assert "python_function" in echo["mlmodel"]["parsed"]["flavors"]
    assert echo["manifest"]["requested_uri"] == "models:/Echo/latest"


def test_awkward_model_name_stays_in_the_store(registry, mlflow_server, tmp_path):
    name = registry["awkward"]["name"]
    store = tmp_path / "store"
    snap("capture", f"models:/{name}/1", "--tracking-uri", mlflow_server, "--store", str(store))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files and all(store in p.parents for p in files)
    assert [(e.model, e.version) for e in list_entries(store)] == [(name, "1")]


def test_local_store_capture(local_store, tmp_path):
    facts = local_store["facts"]["churn"]["versions"]["3"]
    out = tmp_path / "v3.json"
    snap("capture", "models:/Churn/3", "--tracking-uri", local_store["uri"], "-o", str(out))
    doc = valid(load_snapshot(out))
    assert doc["manifest"]["server_kind"] == "local" and doc["manifest"]["tracking_host"] is None
    assert doc["manifest"]["tracking_uri"] == local_store["uri"]
    assert doc["run"]["params"] == facts["params"]
    assert [c["name"] for c in doc["mlmodel"]["parsed"]["signature"]["inputs"]] == facts["input_columns"]
    assert set(facts["run_artifacts"]) <= {f["path"] for f in doc["artifacts"]["run"]["files"]}
    assert "local MLflow store" in doc["unavailable"]["permissions"]


@pytest.fixture(scope="module")
def legacy_layout(mlflow_server, tmp_path_factory):
    """A version in MLflow 2's layout: the model's files logged inside its run's artifacts.

    Its source is `<run artifact root>/model`, as registries filled before MLflow 3
    hold them; the run also has a file of its own.
    """
    import mlflow
    from mlflow import MlflowClient

    from tests.support.registry import _echo_model_class

    client = MlflowClient(mlflow_server, registry_uri=mlflow_server)
    folder = tmp_path_factory.mktemp("legacy")
    mlflow.pyfunc.save_model(str(folder / "model"), python_model=_echo_model_class()(),
                             pip_requirements=["pandas==2.2.2"])
    (folder / "notes.txt").write_text("trained the old way\n")
    experiment_id = client.create_experiment("legacy-layout")
    run = client.create_run(experiment_id)
    client.log_artifacts(run.info.run_id, str(folder / "model"), "model")
    client.log_artifact(run.info.run_id, str(folder / "notes.txt"))
    client.set_terminated(run.info.run_id)
    client.create_registered_model("LegacyLayout")
    mv = client.create_model_version("LegacyLayout", f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    return {"name": "LegacyLayout", "version": str(mv.version), "run_root": run.info.artifact_uri}


def test_a_model_inside_its_run_is_listed_once(legacy_layout, mlflow_server, monkeypatch):
    """The model folder is part of the run's listing too: one listing request serves both."""
    import requests.adapters

    from snapshot.capture.version import capture_one

    urls = []
    send = requests.adapters.HTTPAdapter.send

    def recording_send(self, request, *args, **kwargs):  # observes the real traffic; the server answers
        urls.append(request.url)
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording_send)
    doc = valid(capture_one(f"models:/{legacy_layout['name']}/{legacy_layout['version']}", mlflow_server))

    model, run = doc["artifacts"]["model"], doc["artifacts"]["run"]
    assert model["root_uri"] == doc["model_version"]["download_uri"] == f"{legacy_layout['run_root']}/model"
    in_run = [{**f, "path": f["path"][len("model/"):]} for f in run["files"] if f["path"].startswith("model/")]
    assert model["files"] == in_run and {"MLmodel", "requirements.txt", "python_env.yaml"} <= {
        f["path"] for f in model["files"]}
    assert {f["path"] for f in run["files"]} >= {"model", "notes.txt"}
    assert doc["environment"]["requirements"]["packages"]["pandas"] == "==2.2.2"
    model_folder = legacy_layout["run_root"].split(":/", 1)[1] + "/model"
    listings = [u for u in urls if "/mlflow-artifacts/artifacts?" in u and u.endswith(quote(model_folder, safe=""))]
    assert len(listings) == 1, listings


def test_credentials_and_tokens_never_reach_a_snapshot(registry, mlflow_server, tmp_path):
    from mlflow import MlflowClient

    token = "dapi" + "0123456789abcdef" * 2
    client = MlflowClient(mlflow_server, registry_uri=mlflow_server)
    v1 = registry["churn"]["versions"]["1"]
    client.create_registered_model("TokenLeak")
    mv = client.create_model_version("TokenLeak", v1["model_uri"], run_id=v1["run_id"], model_id=v1["model_id"])
    client.set_model_version_tag("TokenLeak", mv.version, "deploy_cmd", f"curl -H 'Bearer {token}' https://x")
    host = mlflow_server.replace("http://", "http://snapuser:s3cr3t-pw@")
    snap("capture", f"models:/TokenLeak/{mv.version}", "--tracking-uri", host, "--store", str(tmp_path), "--format", "both")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]  # the store's index and claim too (#10)
    snapshots = [p for p in written if p.suffix in (".json", ".parquet") and ".index" not in p.parts
                 and p.relative_to(tmp_path).parts[0] != "parquet"]  # the dataset's parts are checked below too
    assert len(snapshots) == 2
    for path in written:
        data = path.read_bytes()
        assert b"s3cr3t-pw" not in data and token.encode() not in data and b"snapuser" not in data
    doc = load_snapshot(next(p for p in written if p.suffix == ".json"))
    assert doc["model_version"]["tags"]["deploy_cmd"] == "curl -H 'Bearer [REDACTED]' https://x"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, code, message", [
    (["models:/NoSuchModel/1"], 3, "model version NoSuchModel/1 does not exist"),
    (["models:/Churn/99"], 3, "model version Churn/99 does not exist"),
    (["models:/Churn@nobody"], 3, "model 'Churn' has no alias 'nobody'"),
    (["models:/NoSuchModel"], 3, "registered model NoSuchModel does not exist"),
    (["Churn/1"], 2, "'Churn/1' is not a model URI"),
    (["models:/Churn/1", "-o", "one.json", "--format", "json"], 2, "-o takes its format from the file's suffix"),
])
def test_bad_input_gives_one_line_and_no_file(registry, mlflow_server, tmp_path, args, code, message):
    proc = snap("capture", *args, "--tracking-uri", mlflow_server, "--store", str(tmp_path), check=False)
    assert proc.returncode == code
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], proc.stderr
    assert not any(tmp_path.iterdir())


def test_unreachable_server(tmp_path):
    proc = snap("capture", "models:/Churn/1", "--tracking-uri", f"http://127.0.0.1:{_free_port()}",
                "--store", str(tmp_path), check=False)
    assert proc.returncode == 4
    assert proc.stderr.startswith("Error: cannot reach the MLflow server at http://127.0.0.1:")
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("where", [["--store", "{blocker}"], ["-o", "{blocker}/v1/out.json"]])
def test_unwritable_store_leaves_nothing(registry, mlflow_server, tmp_path, where):
    blocker = tmp_path / "store"
    blocker.write_text("a file where the store should be")
    target = [w.format(blocker=blocker) for w in where]
    proc = snap("capture", "models:/Churn/1", "--tracking-uri", mlflow_server, *target, check=False)
    assert proc.returncode == 6 and proc.stderr.startswith("Error: cannot write")
    assert f"{blocker} is a file, not a folder" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_debug_shows_the_traceback(tmp_path):
    proc = snap("--debug", "capture", "models:/x/1", "--tracking-uri", f"http://127.0.0.1:{_free_port()}",
                check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr or "TrackingServerUnreachable" in proc.stderr


def test_list_shows_the_store(churn_store):
    table = snap("list", "--store", str(churn_store)).stdout.splitlines()
    assert table[0].split() == ["MODEL", "VERSION", "ALIASES", "CAPTURED", "AT", "PATH"]
    assert [line.split()[:2] for line in table[1:]] == [["Churn", "1"], ["Churn", "2"], ["Churn", "3"]]
    rows = json.loads(snap("list", "--store", str(churn_store), "--format", "json").stdout)
    assert [(r["model"], r["version"]) for r in rows] == [("Churn", "1"), ("Churn", "2"), ("Churn", "3")]
    assert all(Path(r["path"]).is_file() and r["captured_at"].endswith("Z") for r in rows)


def test_metric_history_and_checksums(registry, mlflow_server, tmp_path):
    import hashlib

    out = tmp_path / "v3.json"
    snap("capture", "models:/Churn/3", "--tracking-uri", mlflow_server, "-o", str(out),
         "--metric-history", "--checksums")
    doc = valid(load_snapshot(out))
    history = doc["run"]["metric_history"]
    assert set(history) == set(registry["churn"]["versions"]["3"]["metrics"])
    assert all(points and points[-1]["value"] == doc["run"]["metrics"][k]["value"] for k, points in history.items())
    files = {f["path"]: f for f in doc["artifacts"]["model"]["files"] if not f["is_dir"]}
    assert all(len(f["sha256"]) == 64 for f in files.values())
    raw = doc["mlmodel"]["raw"].encode("utf-8")
    assert files["MLmodel"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert doc["manifest"]["options"] == {"metric_history": True, "checksums": True}


def test_output_file_takes_one_version(registry, mlflow_server, tmp_path):
    proc = snap("capture", "models:/Churn", "--tracking-uri", mlflow_server, "-o", str(tmp_path / "x.json"), check=False)
    assert proc.returncode == 2 and "-o writes one snapshot, but the URIs name 3 versions" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_permissions_from_a_basic_auth_server(auth_server, tmp_path):
    admin = auth_server["admin"]
    out = tmp_path / "secured.json"
    env = {"MLFLOW_TRACKING_USERNAME": admin["username"], "MLFLOW_TRACKING_PASSWORD": admin["password"]}
    snap("capture", f"models:/{auth_server['model_name']}/{auth_server['version']}",
         "--tracking-uri", auth_server["uri"], "-o", str(out), env=env)
    doc = valid(load_snapshot(out))
    perms = doc["permissions"]
    assert perms["kind"] == "mlflow-basic-auth" and "permissions" not in doc["unavailable"]
    for section in ("registered_model", "experiment"):
        direct = {g["principal"]: g["permission"] for g in perms[section]["grants"] if not g.get("inherited")}
        for user, permission in auth_server["grants"][section].items():
            assert direct[f"user:{user}"] == permission
    assert admin["password"].encode() not in out.read_bytes()
    assert all(p.encode() not in out.read_bytes() for p in auth_server["users"].values())


def test_refused_credentials(auth_server, tmp_path):
    env = {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "not-her-password"}
    proc = snap("capture", f"models:/{auth_server['model_name']}/1", "--tracking-uri", auth_server["uri"],
                "--store", str(tmp_path), env=env, check=False)
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.startswith("Error: the MLflow server at ") and "refused the credentials" in proc.stderr
    assert "not-her-password" not in proc.stderr and not any(tmp_path.iterdir())
