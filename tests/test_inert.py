"""Registry values are inert in every output: no live Markdown, no terminal control (#12)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from diff.engine import diff_snapshots
from diff.render import plain_text
from diff.render.as_markdown import render_markdown
from diff.render.as_text import render_text
from report.render import render_report
from snap.cli import app
from snapshot.formats.document import seal
from snapshot.formats.inert import code_fence, json_controls, md_cell, md_inline, one_line, terminal_safe
from snapshot.store.layout import write_to_store
from tests.support.documents import make_doc
from tests.support.inert_checks import ENTITY_PAYLOAD, RAW_CONTROL, error_line_problems, markdown_problems

TITLE_SEQUENCE = "\x1b]0;pwned\x07"  # sets the terminal window title
HYPERLINK = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # OSC 8
HOSTILE = {
    "link": "[click me](http://evil.example/)",
    "image": "![pixel](http://evil.example/p.png)",
    "html": "<img src=x onerror=alert(1)>",
    "autolink": "<http://evil.example/>",
    "entity": ENTITY_PAYLOAD,
    "clear": "\x1b[2J\x1b[Hgone",
    "title": TITLE_SEQUENCE,
    "hyperlink": HYPERLINK,
    "bell_backspace_cr": "ok\x07\x08\x08\rFAKE",
    "c1_csi": "\x9b31mred",
    "bidi": "admin\u202egnp.exe",
}


def test_ordinary_text_passes_unchanged():
    for text in ("models:/Churn/6", "['a', 'b']", "[REDACTED]", "a_b *c*", "x\ty", "naïve → ünïcode"):
        assert md_inline(text) == text
        assert terminal_safe(text) == text


def test_markdown_values_render_literally():
    assert md_inline("[a](http://e/)") == "[a]\\(http://e/)"
    assert md_inline("![a](http://e/p.png)") == "![a]\\(http://e/p.png)"
    assert md_inline("<img src=x>") == "&lt;img src=x&gt;"
    assert md_inline("<http://e/>") == "&lt;http://e/&gt;"
    assert md_inline("&lt;") == "&amp;lt;"
    assert md_inline("AT&T") == "AT&T"


def test_cells_escape_pipes_once_and_fold_newlines():
    assert md_cell("a|b\r\nc\rd") == "a\\|b<br/>c<br/>d"
    assert md_cell("[x](y)|z") == "[x]\\(y)\\|z"


def test_controls_shown_as_escapes():
    assert terminal_safe("a\x1b[2Jb\x07\x08\r\x9b\u202e") == "a\\x1b[2Jb\\x07\\x08\\r\\x9b\\u202e"
    assert terminal_safe("line1\nline2\tx") == "line1\nline2\tx"
    assert one_line("a\nb\tc") == "a\\nb\\tc"
    assert json_controls('"\u202e\x9b"') == '"\\u202e\\u009b"'


def test_code_fence_outlasts_backticks_in_the_body():
    assert code_fence("{}") == "```"
    assert code_fence("``` ~~~~ ````") == "`````"


def hostile_doc(version: str = "1", name: str = "Inject<img src=x onerror=alert(1)>") -> dict:
    doc = make_doc(version, name=name)
    doc["manifest"]["requested_uri"] = f"models:/{name}/{version}"
    doc["model_version"]["description"] = HOSTILE["link"] + " " + HOSTILE["title"]
    doc["model_version"]["tags"] = {f"k_{k}": v for k, v in HOSTILE.items()}
    doc["registered_model"]["description"] = HOSTILE["image"]
    doc["run"]["tags"].update({f"evil{HOSTILE['clear']}": HOSTILE["hyperlink"]})
    doc["run"]["params"] = {f"p_{k}": v for k, v in HOSTILE.items()}
    doc["run"]["dataset_inputs"][0]["name"] = HOSTILE["html"] + HOSTILE["bidi"]
    doc["permissions"]["registered_model"]["raw"] = {"note": HOSTILE["bidi"] + HOSTILE["c1_csi"] + "```"}
    return seal(doc)


def assert_inert_markdown(text: str) -> None:
    assert markdown_problems(text) == []


def test_report_is_inert_and_its_title_escaped():
    text = render_report(hostile_doc())
    assert_inert_markdown(text)
    title = "MLflow Model: _models:/Inject&lt;img src=x onerror=alert(1)&gt;/1_"
    assert text.startswith(f"\n{title}\n{'=' * len(title)}\n")
    assert "|k_title|\\x1b]0;pwned\\x07|" in text
    assert "|p_link|[click me]\\(http://evil.example/)|" in text
    assert '"note": "admin\\u202egnp.exe\\u009b31mred```"' in text


def test_markdown_diff_is_inert():
    old, new = hostile_doc("1"), hostile_doc("2")
    new["run"]["params"] = {k: v + "\x1b[0m" for k, v in new["run"]["params"].items()}
    text = render_markdown(diff_snapshots(old, new))
    assert_inert_markdown(text)
    # The escape's backslash is itself escaped, so the page shows `\x1b[0m`.
    assert "| \\[click me\\](http://evil.example/)\\\\x1b\\[0m |" in text


def test_text_diff_has_no_terminal_control():
    old, new = make_doc("1"), make_doc("2")
    new["run"]["params"]["lr"] = HOSTILE["clear"]
    new["run"]["params"][HOSTILE["title"]] = "x"
    new["model_version"]["tags"]["validated"] = HOSTILE["hyperlink"]
    text = plain_text(render_text(diff_snapshots(old, new)), width=200)
    assert not RAW_CONTROL.search(text)
    assert "\\x1b[2J\\x1b[Hgone" in text
    assert "run.params.\\x1b]0;pwned\\x07" in text


def test_list_and_error_lines_have_no_terminal_control(tmp_path: Path):
    store = tmp_path / "store"
    write_to_store(hostile_doc(name=f"Bench{TITLE_SEQUENCE}"), store, "json")
    result = CliRunner().invoke(app, ["list", "--store", str(store)])
    assert result.exit_code == 0, result.stderr
    assert not RAW_CONTROL.search(result.stdout)
    assert "Bench\\x1b]0;pwned\\x07" in result.stdout

    result = CliRunner().invoke(app, ["report", f"Bench{HOSTILE['clear']}/1", "--store", str(store)])
    assert result.exit_code == 3
    assert error_line_problems(result.stderr) == []


def test_json_outputs_and_log_text_carry_no_raw_controls(tmp_path):
    """C1 controls and bidi overrides, which json.dumps leaves raw, are written as \\uXXXX; log text escapes them."""
    import json as _json

    from diff.engine import diff_snapshots
    from diff.render.as_json import render_json
    from diff.timeline import render_log, version_timeline
    from snapshot.formats.document import seal
    from snapshot.store.layout import write_to_store
    from tests.support.documents import make_doc

    hostile = "ok\u202egnp.exe\x9b2J\x1b[2J"
    left, right = make_doc("5"), make_doc("5", captured_at="2026-11-27T21:30:00.000000Z")
    right["model_version"]["tags"] = {"note": hostile}
    seal(right, right["manifest"]["captured_at"])
    out = render_json(diff_snapshots(left, right))
    assert not any(ch in out for ch in "\u202e\x9b\x1b") and _json.loads(out)["changes"]
    for doc in (left, right):
        write_to_store(doc, tmp_path, "json")
    timeline = version_timeline(tmp_path, "Churn/5")
    text = plain_text(render_log(timeline, "text"))
    assert "\\u202e" in text and not any(ch in text for ch in "\u202e\x9b\x1b")
    assert not any(ch in render_log(timeline, "json") for ch in "\u202e\x9b\x1b")
