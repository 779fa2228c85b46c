"""The store on S3 (#10): every command against a real S3 API server (moto's server mode) that this
module starts on 127.0.0.1, reached through botocore's standard credential chain, with planted
credentials that must reach no object and no output. Also: URLs snap cannot write to, a missing
bucket, refused credentials, and two captures at once into one store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.commands import snap
from tests.support.reference import REPO, SHARED
from tests.support.s3 import PLANTED_KEY_ID, PLANTED_SECRET, s3_server

pytestmark = pytest.mark.server
CAPTURED = REPO / "fixtures" / "captured"
ARCHIVES = sorted((SHARED / "reference" / "reports").glob("*/report.json"))


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        saved = {k: os.environ.get(k) for k in server.env}
        os.environ.update(server.env)  # the standard chain: what a CI job exports
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _copy_in(s3, bucket: str, prefix: str, folder: Path) -> None:
    """What `aws s3 sync` does: objects put by another tool, no index."""
    client = s3.client()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{path.relative_to(folder).as_posix()}",
                              Body=path.read_bytes())


def _no_secret_anywhere(s3, bucket: str) -> None:
    for key in s3.keys(bucket):
        data = s3.read(bucket, key)
        assert PLANTED_SECRET.encode() not in data and PLANTED_KEY_ID.encode() not in data, key


def test_capture_list_log_report_diff_on_s3(s3, registry, mlflow_server, tmp_path):
    store = s3.bucket("snaps") + "/nightly"
    proc = snap("capture", "models:/Churn", "--tracking-uri", mlflow_server, "--store", store)
    versions = sorted(registry["churn"]["versions"], key=int)
    assert f"{len(versions)} captured, 0 unchanged, 0 failed" in proc.stdout

    def snapshot_keys(ext):  # not the index, dataset, census
        return [k for k in s3.keys("snaps") if k.endswith(ext)
                and k.split("/")[1] not in (".index", "parquet", ".snap-census")]
    assert (len(snapshot_keys(".json")), len(snapshot_keys(".parquet"))) == (len(versions), 0)
    again = snap("capture", "models:/Churn", "--tracking-uri", mlflow_server, "--store", store, "--format", "both")
    assert f"0 captured, {len(versions)} unchanged, 0 failed" in again.stdout  # dedupe reads the index
    assert [k[:-8] for k in snapshot_keys(".parquet")] == [k[:-5] for k in snapshot_keys(".json")]  # twins added
    rows = json.loads(snap("list", "--store", store, "--format", "json").stdout)
    assert [(r["model"], r["version"]) for r in rows] == [("Churn", v) for v in versions]
    assert all(r["path"].startswith("s3://snaps/nightly/Churn/v") for r in rows)
    log = snap("log", f"Churn/{versions[-1]}", "--store", store)
    assert log.stdout.startswith(f"Churn v{versions[-1]}: 1 snapshot")
    report = snap("report", f"Churn/{versions[-1]}", "--store", store)
    assert f"MLflow Model: _models:/Churn/{versions[-1]}_" in report.stdout
    diff = snap("diff", f"Churn/{versions[0]}", f"Churn/{versions[1]}", "--store", store, "--format", "json",
                check=False)
    assert diff.returncode == 1 and json.loads(diff.stdout)["changes"]
    by_path = snap("diff", rows[0]["path"], rows[1]["path"], "--format", "json", check=False)
    assert by_path.stdout == diff.stdout
    _no_secret_anywhere(s3, "snaps")
    assert not (Path.cwd() / "s3:").exists()


def test_output_file_on_s3(s3, registry, mlflow_server):
    url = s3.bucket("single") + "/churn-v1.parquet"
    proc = snap("capture", "models:/Churn/1", "--tracking-uri", mlflow_server, "-o", url)
    assert proc.stdout.strip().endswith(f"-> {url}")
    assert s3.keys("single") == ["churn-v1.parquet"]
    assert "MLflow Model: _models:/Churn/1_" in snap("report", url).stdout


def test_copied_in_snapshots_and_import_and_reindex_on_s3(s3, tmp_path):
    bucket = "synced"
    store = s3.bucket(bucket) + "/store"
    _copy_in(s3, bucket, "store", CAPTURED)
    listed = json.loads(snap("list", "--store", store, "--format", "json").stdout)  # no index yet: rebuilt
    assert {(r["model"], r["version"]) for r in listed} == {("Churn", "2"), ("Churn", "3"), ("Echo", "1")}
    out = snap("reindex", "--store", store).stdout
    assert out.startswith("indexed 3 snapshots")
    assert [k for k in s3.keys(bucket) if "/.index/models/" in k]
    if not ARCHIVES:
        pytest.skip("../shared (reference reports) is not present")
    imported = snap("import", str(ARCHIVES[0]), "--store", store)
    assert "-> s3://synced/store/" in imported.stdout
    assert len(json.loads(snap("list", "--store", store, "--format", "json").stdout)) == 4


@pytest.mark.parametrize("store, code, message", [
    ("ftp://host/snaps", 2, "snap cannot store snapshots at ftp:// URLs"),
    ("s3://no-such-bucket/snaps", 6, "cannot write to s3://no-such-bucket/snaps"),
])
def test_stores_snap_cannot_write_give_one_line(s3, registry, mlflow_server, tmp_path, store, code, message):
    proc = subprocess.run([sys.executable, "-m", "snap.cli", "capture", "models:/Churn/1", "--tracking-uri",
                           mlflow_server, "--store", store], capture_output=True, text=True, cwd=tmp_path,
                          env=os.environ, timeout=300)
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert "Traceback" not in proc.stderr and not any(tmp_path.iterdir())  # no ./ftp:/… or ./s3:/… folder


def test_refused_credentials_give_exit_5(registry, mlflow_server, tmp_path):
    with s3_server(refuse_unknown_credentials=True) as strict:
        env = {**os.environ, **strict.env}
        proc = snap("list", "--store", "s3://any/snaps", env=env, check=False)
        capture = snap("capture", "models:/Churn/1", "--tracking-uri", mlflow_server, "--store", "s3://any/snaps",
                       env=env, check=False)
        verify = snap("verify", "s3://any/snaps", env=env, check=False)
    for done in (proc, capture, verify):
        assert done.returncode == 5, done.stderr
        assert done.stderr.startswith("Error: the object store refused access to s3://any/snaps")
        assert len(done.stderr.strip().splitlines()) == 1 and PLANTED_SECRET not in done.stderr


def test_an_object_store_that_does_not_answer_gives_exit_4(s3, registry, mlflow_server):
    """The endpoint is a port nobody listens on: one line naming the store and the fix, no local folder."""
    from tests.support.s3 import _free_port

    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_free_port()}", "AWS_MAX_ATTEMPTS": "1"}
    listed = snap("list", "--store", "s3://gone/snaps", env=env, check=False)
    captured = snap("capture", "--all", "--tracking-uri", mlflow_server, "--store", "s3://gone/snaps",
                    "--no-resume", env=env, check=False)
    for done in (listed, captured):
        assert done.returncode == 4, done.stderr
        assert done.stderr.startswith("Error: cannot reach the object store for s3://gone/snaps")
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (Path.cwd() / "s3:").exists()


def _concurrent_all(store: str, mlflow_server: str) -> list[subprocess.CompletedProcess]:
    cmd = [sys.executable, "-m", "snap.cli", "capture", "--all", "--tracking-uri", mlflow_server, "--store", store,
           "--workers", "4", "--no-resume"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
             for _ in range(2)]
    return [subprocess.CompletedProcess(cmd, p.wait(timeout=600), *p.communicate()) for p in procs]


@pytest.mark.parametrize("where", ["local", "s3"])
def test_two_captures_at_once_write_each_version_once(s3, registry, mlflow_server, tmp_path, where):
    store = str(tmp_path / "together") if where == "local" else s3.bucket("together") + "/store"
    alone = str(tmp_path / "alone")
    for done in _concurrent_all(store, mlflow_server):
        assert done.returncode == 0, done.stderr
    snap("capture", "--all", "--tracking-uri", mlflow_server, "--store", alone)
    together = json.loads(snap("list", "--store", store, "--format", "json").stdout)
    expected = json.loads(snap("list", "--store", alone, "--format", "json").stdout)
    pairs = [(r["model"], r["version"]) for r in together]
    assert len(pairs) == len(set(pairs)), "a version was written twice"
    assert set(pairs) == {(r["model"], r["version"]) for r in expected}, "a version is missing"
    rebuilt = snap("reindex", "--store", store).stdout
    assert rebuilt.startswith(f"indexed {len(pairs)} snapshots")  # the index lost no snapshot either


def test_capture_all_on_s3_reads_the_index_and_copied_in_snapshots(s3, registry, mlflow_server, tmp_path):
    """`--all` into object storage lists the index once for every model: the second run finds each version
    unchanged, and so does a run into a store whose snapshots were copied in without their index."""
    store = s3.bucket("survey") + "/nightly"
    first = snap("capture", "--all", "--tracking-uri", mlflow_server, "--store", store)
    captured = int(first.stdout.split(" captured, ")[0].split()[-1])
    assert captured > 0 and f"{captured} captured, 0 unchanged, 0 failed" in first.stdout
    again = snap("capture", "--all", "--tracking-uri", mlflow_server, "--store", store)
    assert f"0 captured, {captured} unchanged, 0 failed" in again.stdout
    local = tmp_path / "local"
    snap("capture", "--all", "--tracking-uri", mlflow_server, "--store", str(local))
    for folder in (p for p in local.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "parquet"):
        _copy_in(s3, "survey", f"copied/{folder.name}", folder)  # as `aws s3 sync` of the snapshots alone
    copied = snap("capture", "--all", "--tracking-uri", mlflow_server, "--store", "s3://survey/copied")
    assert f"0 captured, {captured} unchanged, 0 failed" in copied.stdout


def test_verify_on_s3_reports_a_snapshot_altered_in_the_bucket(s3):
    bucket = "verified"
    store = s3.bucket(bucket) + "/store"
    _copy_in(s3, bucket, "store", CAPTURED)
    snap("reindex", "--store", store)  # an index and a dataset in the bucket too: neither is a snapshot
    files = sorted(f"{store}/{p.relative_to(CAPTURED).as_posix()}" for p in CAPTURED.rglob("*") if p.is_file())
    good = snap("verify", store)
    assert good.stdout.splitlines() == [f"OK        {f}" for f in files] + [
        f"{len(files)} snapshot files: {len(files)} ok, 0 modified, 0 damaged"]

    altered = files[0].removeprefix(f"s3://{bucket}/")  # edited after capture, by another tool, in the bucket
    doc = json.loads(s3.read(bucket, altered))
    doc["model_version"]["description"] = "approved by nobody"
    s3.client().put_object(Bucket=bucket, Key=altered, Body=json.dumps(doc).encode())
    proc = snap("verify", env={**os.environ, "SNAP_STORE": store}, check=False)  # the default store
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.splitlines()[0].startswith(f"MODIFIED  {files[0]}  its content hashes to sha256:")
    assert proc.stdout.splitlines()[1:] == [f"OK        {f}" for f in files[1:]] + [
        f"{len(files)} snapshot files: {len(files) - 1} ok, 1 modified, 0 damaged"]
    one = snap("verify", files[0], "--format", "json", check=False)
    assert one.returncode == 1
    assert json.loads(one.stdout)["summary"] == {"files": 1, "ok": 0, "modified": 1, "damaged": 0}


@pytest.mark.parametrize("target, code, message", [
    ("s3://no-such-bucket/store", 3, "Error: no snapshot file or store at s3://no-such-bucket/store; "),
    ("s3://verified/empty", 3, "Error: no snapshot file or store at s3://verified/empty; "),
    ("ftp://host/store", 2, "Error: 'ftp://host/store': snap cannot store snapshots at ftp:// URLs"),
])
def test_verify_on_a_store_that_is_not_there(s3, target, code, message):
    s3.bucket("verified")
    proc = snap("verify", target, check=False)
    assert proc.returncode == code and proc.stderr.startswith(message) and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (Path.cwd() / "s3:").exists() and not (Path.cwd() / "ftp:").exists()
