"""Renderers are pure functions of a DiffResult: whole outputs compared."""

from __future__ import annotations

import json

from diff.changes import Change, DiffResult, Side
from diff.render import plain_text, render_diff
from diff.render.as_json import render_json
from diff.render.as_markdown import escape, render_markdown
from diff.render.as_text import render_text

LEFT = Side("Churn", "2", "2026-11-26T21:30:00.000000Z", "sha256:aa")
RIGHT = Side("Churn", "3", "2026-11-27T08:00:00.000000Z", "sha256:bb")


def sample() -> DiffResult:
    return DiffResult(LEFT, RIGHT, [
        Change("aliases", "registered_model.aliases.champion", "moved", "2", "3"),
        Change("tags", "model_version.tags.note", "changed", "a|b", "line1\nline2"),
        Change("params", "run.params.lr", "changed", "0.1", "0.2", {"abs": 0.1, "rel": 1.0}),
        Change("signature", "mlmodel.parsed.signature.inputs.tenure", "added", None, "long",
               breaking=True, detail="new required input"),
        Change("requirements", "environment.requirements.packages.scikit-learn", "changed", "==1.4.2", "==1.5.0",
               {"bump": "minor", "direction": "up"}, detail="minor upgrade"),
    ], [Change("metrics", "run.metrics.auc", "changed", 0.9, 0.9005, {"abs": 0.0005, "rel": 0.0005},
               detail="within tolerance")])


def plain(result: DiffResult, width: int = 100) -> str:
    """The text rendering without colour or trailing blanks."""
    return "\n".join(line.rstrip() for line in plain_text(render_text(result), width).splitlines())


TEXT = """\
Churn v2 → v3: 5 changes in 5 sections, 1 breaking (1 within tolerance, not shown)

aliases (1)
path                                change   old   new   note
─────────────────────────────────────────────────────────────
registered_model.aliases.champion   moved    v2    v3

tags (1)
path                      change    old   new     note
──────────────────────────────────────────────────────
model_version.tags.note   changed   a|b   line1
                                          line2

params (1)
path            change    old   new   note
─────────────────────────────────────────────────────
run.params.lr   changed   0.1   0.2   +0.1 (+100.00%)

signature (1)
path            change   old   new    note
──────────────────────────────────────────────────────────────────
inputs.tenure   added    —     long   BREAKING: new required input

requirements (1)
path                                 change    old       new       note
────────────────────────────────────────────────────────────────────────────────
requirements.packages.scikit-learn   changed   ==1.4.2   ==1.5.0   minor upgrade
"""

MARKDOWN = """\
## Churn v2 → v3

5 changes in 5 sections, 1 breaking (1 within tolerance, not shown)

| section | changes | breaking |
|---|---:|---:|
| aliases | 1 | 0 |
| tags | 1 | 0 |
| params | 1 | 0 |
| signature | 1 | 1 |
| requirements | 1 | 0 |

### aliases

| path | change | old | new | note |
|---|---|---|---|---|
| `registered_model.aliases.champion` | moved | v2 | v3 |  |

### tags

| path | change | old | new | note |
|---|---|---|---|---|
| `model_version.tags.note` | changed | a\\|b | line1<br>line2 |  |

### params

| path | change | old | new | note |
|---|---|---|---|---|
| `run.params.lr` | changed | 0.1 | 0.2 | +0.1 (+100.00%) |

### signature

| path | change | old | new | note |
|---|---|---|---|---|
| `inputs.tenure` | added | — | long | **BREAKING: new required input** |

### requirements

| path | change | old | new | note |
|---|---|---|---|---|
| `requirements.packages.scikit-learn` | changed | ==1.4.2 | ==1.5.0 | minor upgrade |
"""


def test_text_whole_output():
    assert plain(sample()) == TEXT.rstrip("\n")


def test_markdown_whole_output():
    assert render_markdown(sample()) == MARKDOWN


def test_json_whole_output_is_sorted_and_stable():
    text = render_json(sample())
    assert text == render_json(sample()) and text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert data == {
        "schema_version": 1,
        "left": {"model": "Churn", "version": "2", "captured_at": "2026-11-26T21:30:00.000000Z", "content_hash": "sha256:aa"},
        "right": {"model": "Churn", "version": "3", "captured_at": "2026-11-27T08:00:00.000000Z", "content_hash": "sha256:bb"},
        "summary": {"changes": 5, "breaking": 1, "within_tolerance": 1,
                    "sections": {"aliases": 1, "tags": 1, "params": 1, "signature": 1, "requirements": 1}},
        "changes": [
            {"section": "aliases", "path": "registered_model.aliases.champion", "kind": "moved", "old": "2", "new": "3",
             "delta": None, "breaking": False, "detail": ""},
            {"section": "tags", "path": "model_version.tags.note", "kind": "changed", "old": "a|b", "new": "line1\nline2",
             "delta": None, "breaking": False, "detail": ""},
            {"section": "params", "path": "run.params.lr", "kind": "changed", "old": "0.1", "new": "0.2",
             "delta": {"abs": 0.1, "rel": 1.0}, "breaking": False, "detail": ""},
            {"section": "signature", "path": "mlmodel.parsed.signature.inputs.tenure", "kind": "added", "old": None,
             "new": "long", "delta": None, "breaking": True, "detail": "new required input"},
            {"section": "requirements", "path": "environment.requirements.packages.scikit-learn", "kind": "changed",
             "old": "==1.4.2", "new": "==1.5.0", "delta": {"bump": "minor", "direction": "up"}, "breaking": False,
             "detail": "minor upgrade"},
        ],
        "within_tolerance": [
            {"section": "metrics", "path": "run.metrics.auc", "kind": "changed", "old": 0.9, "new": 0.9005,
             "delta": {"abs": 0.0005, "rel": 0.0005}, "breaking": False, "detail": "within tolerance"},
        ],
    }


def test_empty_diff_in_every_format():
    empty = DiffResult(LEFT, LEFT, [])
    assert plain(empty) == "Churn v2 (2026-11-26T21:30:00.000000Z → 2026-11-26T21:30:00.000000Z): no changes"
    assert render_markdown(empty) == \
        "## Churn v2 (2026-11-26T21:30:00.000000Z → 2026-11-26T21:30:00.000000Z)\n\nno changes\n"
    assert json.loads(render_json(empty))["changes"] == []


def test_different_models_in_the_title():
    other = Side("Fraud", "1", None, None)
    assert plain(DiffResult(LEFT, other, [])) == "Churn v2 → Fraud v1: no changes"


def test_long_sections_fold_in_details_and_long_values_are_cut():
    many = [Change("params", f"run.params.p{i:02d}", "added", None, "x" * 100) for i in range(11)]
    md = render_markdown(DiffResult(LEFT, RIGHT, many))
    assert "### params\n\n<details><summary>11 changes</summary>\n\n| path |" in md
    assert md.endswith("| `run.params.p10` | added | — | " + "x" * 79 + "… |  |\n\n</details>\n")
    few = render_markdown(DiffResult(LEFT, RIGHT, many[:10]))
    assert "<details>" not in few


def test_markdown_escapes_cells():
    assert escape("a|b\nc") == "a\\|b<br>c"
    assert escape("<script>*x*_y_`z`") == "&lt;script&gt;\\*x\\*\\_y\\_\\`z\\`"
    row = render_markdown(DiffResult(LEFT, RIGHT, [Change("tags", "run.tags.a|b", "added", None, "<b>")]))
    assert "| `run.tags.a\\|b` | added | — | &lt;b&gt; |  |" in row


def test_render_diff_picks_by_format():
    assert render_diff(sample(), "md") == render_markdown(sample())
    assert render_diff(sample(), "json") == render_json(sample())
    assert plain_text(render_diff(sample(), "text"), 100) == plain_text(render_text(sample()), 100)
