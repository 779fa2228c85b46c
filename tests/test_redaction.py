"""Redaction (#12): secrets go by key and by token shape; ordinary words and names stay.

Unit tests on plain values, then one capture from the real MLflow test server.
"""

import pytest

from snapshot.redact import redact_secrets, redact_tree, redact_uri

# Built from parts so that this file itself holds no scannable token.
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
BEARER = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
HF = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
GITLAB = "glpat-" + "xYz123AbC456dEf789gHi"
GITHUB = "ghp_" + "A" * 36
DATABRICKS = "dapi" + "0123456789abcdef" * 2
SLACK = "xoxb-" + "123456789012-abcdefghij"
OPENAI = "sk-" + "proj-" + "a1B2c3D4e5F6g7H8i9J0k1L2"
HEX32 = "9f86d081884c7d659a2feaa0c55ad015"

# Values under a secret-looking key: redacted whatever they look like.
BY_KEY = {
    "aws_secret_access_key": AWS_SECRET,
    "api_key": HEX32,
    "db_password": "correct horse battery staple",
    "Authorization": f"Bearer {BEARER}",
    "hf_token": "anything",
    "clientSecret": "plain",
    "x-api-key": "abc",
}

# Token shapes inside ordinary values: (text, secret).
BY_SHAPE = [
    (f"Authorization: Bearer {BEARER}", BEARER),
    ("Server=db;Database=x;User Id=sa;Password=Hunter2!x;", "Hunter2!x"),
    (f"login with {HF} first", HF),
    (f"git+https://{GITLAB}@gitlab.com/acme/lib.git", GITLAB),
    ("https://bob:pw-1234@example.com/x", "pw-1234"),
    (f"token={GITHUB}", GITHUB),
    (f"curl -H 'Bearer {DATABRICKS}' https://x", DATABRICKS),
    (f"aws {AWS_KEY_ID} used", AWS_KEY_ID),
    (f"slack {SLACK}", SLACK),
    (f"OPENAI_API_KEY={OPENAI}", OPENAI),
    (f"jwt {BEARER}", BEARER),
    ("https://b.s3.amazonaws.com/k?X-Amz-Credential=AKX%2F2026&X-Amz-Signature=f00dfacade99", "f00dfacade99"),
    ("https://a.blob.core.windows.net/c/f?sv=2022-11-02&sig=Zm9vYmFyYmF6cXV4", "Zm9vYmFyYmF6cXV4"),
    ("https://storage.googleapis.com/b/o?GoogleAccessId=svc%40p.iam&Signature=c2lnbmF0dXJl", "c2lnbmF0dXJl"),
]

# Look-alikes that are ordinary values: never changed.
LOOK_ALIKES = [
    "credit-risk-assessment-model-prod",
    "task-classification-for-tabular-data",
    "SOUTHEASTASIA2024PRODUCTIONA1",
    "https://mlflow.example.com/#/models?sort_key=created&page=2",
    "3f786850e387550fdab836ed7e6dc881de23001b",  # a 40-hex git commit
    "token classification with a tokenizer",
    "Basic authentication is off",
    "models:/m-0123456789abcdef0123456789abcdef",
    "mlflow-artifacts:/1/models/m-0123456789abcdef0123456789abcdef/artifacts",
    "git+ssh://git@github.com/acme/features.git@v1.2",  # git@ is a user name, not a credential
]

# Keys that merely contain a secret-ish word: their values stay.
ORDINARY_KEYS = {"max_tokens": "512", "tokenizer": "bert-base", "sort_key": "created", "keyboard": "qwerty",
                 "mlflow.source.git.commit": "3f786850e387550fdab836ed7e6dc881de23001b"}


@pytest.mark.parametrize("key", BY_KEY)
def test_a_secret_looking_key_redacts_its_value(key):
    assert redact_tree({"params": {key: BY_KEY[key]}}) == {"params": {key: "[REDACTED]"}}


@pytest.mark.parametrize(("text", "secret"), BY_SHAPE)
def test_a_token_shape_is_redacted_in_a_value(text, secret):
    redacted = redact_secrets(text)
    assert secret not in redacted and "[REDACTED]" in redacted
    assert redact_tree({"tags": {"note": text}})["tags"]["note"] == redacted


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_an_ordinary_value_is_unchanged(text):
    assert redact_secrets(text) == text
    assert redact_tree({"tags": {"note": text}, "k": [text]}) == {"tags": {"note": text}, "k": [text]}


def test_ordinary_keys_keep_their_values():
    assert redact_tree({"params": ORDINARY_KEYS}) == {"params": ORDINARY_KEYS}


def test_labels_stay_and_only_the_secret_goes():
    assert redact_secrets(f"Authorization: Bearer {BEARER}") == "Authorization: Bearer [REDACTED]"
    assert redact_secrets("Password=x1;Host=h") == "Password=[REDACTED];Host=h"
    assert redact_secrets(f"git+https://{GITLAB}@gitlab.com/a.git") == "git+https://[REDACTED]@gitlab.com/a.git"


def test_a_secret_inside_a_key_is_redacted():
    key = f"lib @ git+https://{GITLAB}@gitlab.com/acme/lib.git"
    tree = redact_tree({"environment": {"requirements": {"packages": {key: ""}}}})
    assert tree == {"environment": {"requirements": {"packages": {
        "lib @ git+https://[REDACTED]@gitlab.com/acme/lib.git": ""}}}}


def test_names_and_ids_are_identity_and_never_altered():
    name = OPENAI  # a model may be named like a secret; the name is still its identity
    doc = {"manifest": {"model_name": name, "requested_uri": f"models:/{name}/1"},
           "model_version": {"name": name, "run_id": "abc"}, "registered_model": {"name": name},
           "experiment": {"name": name}, "run": {"info": {"run_name": name}, "tags": {"mlflow.runName": name}}}
    assert redact_tree(doc) == doc


def test_redact_uri_keeps_ordinary_query_values():
    assert redact_uri("https://h/x?sort_key=created") == "https://h/x?sort_key=created"
    assert redact_uri("https://u:p@h/x?sig=abc&page=1") == "https://h/x?sig=REDACTED&page=1"


@pytest.mark.server
def test_planted_secrets_never_reach_json_parquet_or_report(registry, mlflow_server, tmp_path):
    from mlflow import MlflowClient

    from report.render import render_report
    from snapshot.formats.files import load_snapshot
    from snapshot.store.layout import list_entries
    from tests.support.commands import snap

    name = "credit-risk-assessment-model-prod"
    client = MlflowClient(mlflow_server, registry_uri=mlflow_server)
    exp = client.create_experiment("redaction-planted", tags={"Authorization": f"Bearer {BEARER}"})
    run = client.create_run(exp, run_name="task-classification-for-tabular-data")
    for key, value in BY_KEY.items():
        client.log_param(run.info.run_id, key, value)
    for i, (text, _) in enumerate(BY_SHAPE):
        client.set_tag(run.info.run_id, f"note_{i}", text)
    for i, text in enumerate(LOOK_ALIKES):
        client.set_tag(run.info.run_id, f"ordinary_{i}", text)
    v1 = registry["churn"]["versions"]["1"]
    client.create_registered_model(name)
    mv = client.create_model_version(name, v1["model_uri"], run_id=run.info.run_id, model_id=v1["model_id"])
    store = tmp_path / "store"
    snap("capture", f"models:/{name}/{mv.version}", "--tracking-uri", mlflow_server, "--store", str(store),
         "--format", "both")

    [entry] = [e for e in list_entries(store) if e.version == mv.version]
    assert entry.model == name and (store / name) in entry.path.parents
    json_path = entry.path.with_suffix(".json")
    docs = [load_snapshot(json_path), load_snapshot(json_path.with_suffix(".parquet"))]
    assert docs[0] == docs[1]
    texts = [json_path.read_text(), json_path.with_suffix(".parquet").read_bytes().decode("latin-1"),
             render_report(docs[0])]
    secrets = [v for v in BY_KEY.values() if len(v) > 3] + [s for _, s in BY_SHAPE]
    for text in texts:
        assert [s for s in secrets if s in text] == []
    doc = docs[0]
    assert doc["manifest"]["model_name"] == doc["model_version"]["name"] == doc["registered_model"]["name"] == name
    assert doc["run"]["params"] == {key: "[REDACTED]" for key in BY_KEY}
    assert {doc["run"]["tags"][f"ordinary_{i}"] for i in range(len(LOOK_ALIKES))} == set(LOOK_ALIKES)
    assert doc["experiment"]["tags"]["Authorization"] == "[REDACTED]"
    assert doc["run"]["info"]["run_name"] == "task-classification-for-tabular-data"
