"""JSON held in strings (dataset schemas, JSON-valued tags, MLmodel metadata) diffs by structure."""

from __future__ import annotations

import json

from diff.embedded_json import embedded_json_note
from diff.engine import diff_snapshots
from tests.support.documents import make_doc

SCHEMA = {"mlflow_colspec": [{"name": "tenure", "type": "long"}, {"name": "plan", "type": "string"}]}


def _with_dataset(doc: dict, schema: dict) -> dict:
    doc["run"]["dataset_inputs"] = [{"name": "churn-train", "digest": "d1", "source_type": "local",
                                     "schema": json.dumps(schema), "tags": {"mlflow.data.context": "training"}}]
    return doc


def test_an_added_column_in_a_dataset_schema_is_named():
    wider = {"mlflow_colspec": [*SCHEMA["mlflow_colspec"], {"name": "age", "type": "long"}]}
    result = diff_snapshots(_with_dataset(make_doc("1"), SCHEMA), _with_dataset(make_doc("2"), wider))
    [change] = [c for c in result.changes if c.path.endswith(".schema")]
    assert change.old == json.dumps(SCHEMA)  # the strings stay as captured
    assert change.detail == 'in the JSON: added mlflow_colspec[2] {"name": "age", "type": "long"}'


def test_json_valued_tags_name_what_changed_inside():
    left, right = make_doc("1"), make_doc("2")
    left["model_version"]["tags"] = {"config": json.dumps({"lr": 0.1, "layers": [64, 32]})}
    right["model_version"]["tags"] = {"config": json.dumps({"lr": 0.2, "layers": [64, 32], "dropout": 0.5})}
    [change] = [c for c in diff_snapshots(left, right).changes if c.path == "model_version.tags.config"]
    assert change.detail == "in the JSON: added dropout 0.5; changed lr: 0.1 -> 0.2"


def test_plain_strings_and_numbers_get_no_json_note():
    assert embedded_json_note("churn", "churn-v2") == ""
    assert embedded_json_note("1", "2") == ""  # JSON scalars are ordinary values
    assert embedded_json_note("{not json", "{also not") == ""
    assert embedded_json_note('{"a": 1}', "plain") == ""


def test_long_notes_name_five_changes_and_count_the_rest():
    note = embedded_json_note(json.dumps({f"k{i}": i for i in range(8)}), json.dumps({f"k{i}": i + 1 for i in range(8)}))
    assert note.count("changed") == 5 and note.endswith("; and 3 more")
