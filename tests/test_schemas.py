"""Every JSON output has a JSON Schema in schemas/, and real outputs validate against it.

Each schema lists the command lines that produce what it describes (`x-snap-examples`,
see schemas/README.md); this test runs each one as a user would and validates the
output, so a schema added to schemas/ is tested without editing this file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import snapshot
from snapshot.formats.document import seal
from tests.support.commands import snap
from tests.support.reference import REPO

SCHEMAS = sorted((REPO / "schemas").glob("*.schema.json"))
CAPTURED = REPO / "fixtures" / "captured"


def _registry() -> Registry:
    resources = [Resource.from_contents(json.loads(p.read_text())) for p in SCHEMAS]
    return Registry().with_resources((r.contents["$id"], r) for r in resources)


def _validator(path: Path) -> Draft202012Validator:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """A store with Churn v3 captured twice; between the captures, champion moved from v2 to v3."""
    store = tmp_path_factory.mktemp("history")
    first = snapshot.load("Churn/3", store=CAPTURED)
    snapshot.save(first, store=store)
    second = copy.deepcopy(first)
    second["registered_model"]["aliases"]["champion"] = "3"
    second["model_version"]["aliases"] = sorted({*second["model_version"]["aliases"], "champion"})
    snapshot.save(seal(second, "2026-11-27T08:00:00.000000Z"), store=store)
    return store


def test_there_are_schemas_for_the_documented_outputs():
    names = {p.name for p in SCHEMAS}
    assert {"diff.schema.json", "list.schema.json", "log.schema.json", "capture-summary.schema.json"} <= names
    for path in SCHEMAS:
        assert json.loads(path.read_text()).get("x-snap-examples"), f"{path.name} lists no x-snap-examples"


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_real_outputs_validate(path, request, tmp_path, history):
    validator = _validator(path)
    for example in json.loads(path.read_text())["x-snap-examples"]:
        values = {"captured": str(CAPTURED), "history": str(history), "tmp": str(tmp_path)}
        if any("{server}" in a for a in example["args"]):
            values["server"] = request.getfixturevalue("registry")["tracking_uri"]
        args = [a.format(**values) for a in example["args"]]
        proc = snap(*args, check=False)
        assert proc.returncode in example.get("exit", [0]), f"snap {' '.join(args)}: {proc.returncode} {proc.stderr}"
        text = Path(example["output"].format(**values)).read_text() if "output" in example else proc.stdout
        document = json.loads(text)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors, f"snap {' '.join(args)}:\n" + "\n".join(errors)
        _assert_schema_can_fail(validator, document)


def _assert_schema_can_fail(validator: Draft202012Validator, document) -> None:
    """A schema that accepts anything proves nothing: dropping a required field must fail it."""
    broken = copy.deepcopy(document)
    target, required = broken, validator.schema.get("required")
    if isinstance(broken, list):
        if not broken:
            return
        target, required = broken[0], validator.schema["items"].get("required")
        if required is None and validator.schema["items"].get("propertyNames"):  # rows of any columns (snap sql)
            broken[0] = "not a row"
            assert not validator.is_valid(broken), "a row that is not an object still validates"
            return
    assert required, "the schema requires no field"
    del target[required[0]]
    assert not validator.is_valid(broken), f"still valid without {required[0]!r}"


def test_log_of_the_history_store_shows_the_alias_move(history):
    log = json.loads(snap("log", "Churn/3", "--store", str(history), "--format", "json").stdout)
    moved = [c for c in log["steps"][1]["changes"] if c["path"] == "registered_model.aliases.champion"]
    assert [(c["kind"], c["old"], c["new"]) for c in moved] == [("moved", "2", "3")]
