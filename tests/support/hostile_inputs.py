"""Hostile arguments and injected values for the #12 campaign."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from snapshot.formats.document import seal
from tests.support.campaign import NOT_FOUND, USAGE, WRITE, Case
from tests.support.campaign import put as _put
from tests.support.documents import make_doc
from tests.support.inert_checks import ENTITY_PAYLOAD

LEGAL_ODD_NAME = "models:/\x1b]0;pwned\x07/1"
HOSTILE_URIS = ["models:/Bench/²", "models:/Bench/٣", "models:/", "models://", "models:/@", "models:/Bench@",
                "models:/@champion", "models:/Bench/-1", "models:/Bench/1e3", "models:/Bench/Production",
                "models:/Bench/1.0", "models:/Bench/0x10", "models:/Bench/ 1", "models:/Bench/\x1b[2J",
                "models:/\x1b]0;pwned\x07/1", "models:/Bench/1\x00", "models:/" + "B" * 5000 + "/x",
                "models:/Bench/1?x=1", "models:/Bench/v1"]
HOSTILE_REFS = ["v", "v-1", "v²", "Churn/²", "Churn/", "/2", "Churn@", "@x", "Churn/2/3", "../../etc/passwd",
                "..", ".", "", " ", "\x00", "a\x00b.json", "Churn/2\x1b[2J", "\x1b]8;;http://e/\x07x", "x" * 5000,
                "v99999999999999999999", "Churn@\u202egnp", "nosuch.json", "nosuch.parquet", "C:\\x.json"]
BAD_OPTIONS = [
    ["diff", "{a}", "{b}", "--format", "xml"], ["diff", "{a}", "{b}", "--format", "\x1b[2J"],
    ["diff", "{a}", "{b}", "--tolerance", "auc"], ["diff", "{a}", "{b}", "--tolerance", "auc="],
    ["diff", "{a}", "{b}", "--tolerance", "auc=abc"], ["diff", "{a}", "{b}", "--tolerance", "=1"],
    ["diff", "{a}", "{b}", "--tolerance", "auc=1%%"], ["diff", "{a}", "{b}", "--tolerance", "auc=nan"],
    ["diff", "{a}", "{b}", "--tolerance", "auc=-1"], ["diff", "{a}", "{b}", "--tolerance", "auc=1e999"],
    ["diff", "{a}", "{b}", "--tolerance", "auc=²"], ["diff", "{a}", "{b}", "--only", "nosuch"],
    ["diff", "{a}", "{b}", "--fail-on", "nosuch"], ["diff", "{a}", "{b}", "--fail-on", "\x1b[2J"],
    ["diff", "{a}", "{b}", "-o", "{tmp}"], ["diff", "{a}", "{b}", "-o", "{a}/x.txt"],
    ["report", "{a}", "-o", "{tmp}"], ["list", "--store", "{a}"], ["list", "--format", "xml", "--store", "{tmp}"],
    ["list", "--store", "{tmp}/none"], ["log", "v2", "--store", "{tmp}/none"], ["log", "{a}", "--store", "{tmp}"],
    ["log", "v2", "--format", "xml", "--store", "{tmp}"],
    ["capture", "models:/Bench/1", "--format", "xml"], ["capture", "models:/Bench/1", "-o", "{tmp}/x.txt"],
    ["capture", "--all", "models:/Bench/1"], ["capture"], ["capture", "--filter", "name='x'"],
]
# Refused by the command line parser itself: one line comes from snap's entry point (snap/cli.py main).
USAGE_ERRORS = [
    ["report"], ["diff", "{a}"], ["nosuch-command"], ["report", "{a}", "--nosuch-option"],
    ["capture", "models:/Bench/1", "--workers", "0"], ["capture", "models:/Bench/1", "--workers", "x"],
    ["capture", "models:/Bench/1", "--workers", "100000"], ["capture", "models:/Bench/1", "--max-rps", "-1"],
    ["capture", "models:/Bench/1", "--max-wait", "-5"], ["diff", "{a}", "{b}", "--nosuch", "\x1b]0;t\x07"],
    ["capture", "models:/Bench/1", "--workers", "\x1b[2J"], ["\x1b]0;pwned\x07"], ["diff", "{a}", "{b}", "--\x1b[2J"],
]


def _args(template: list[str]) -> Callable[[Path], list[str]]:
    def write(tmp: Path) -> list[str]:
        store = tmp / "store"
        a, b = _put(store, make_doc("2")), _put(store, make_doc("3"))
        values = {"a": str(a), "b": str(b), "tmp": str(store)}
        return [re.sub(r"\{(a|b|tmp)\}", lambda m: values[m.group(1)], arg) for arg in template]
    return write


def hostile_arguments() -> list[Case]:
    # Refused while parsing, before any connection; but a name with control characters is one MLflow
    # accepts (it refuses only '/' and ':'), so that capture may reach the session's stray store and
    # be told, escaped, that no such version exists.
    cases = [Case(f"capture {u[:40]!r}", _args(["capture", u]), (USAGE, NOT_FOUND) if u == LEGAL_ODD_NAME else (USAGE,))
             for u in HOSTILE_URIS]
    cases += [Case(f"report {r[:40]!r}", _args(["report", r, "--store", "{tmp}"]), (USAGE, NOT_FOUND))
              for r in HOSTILE_REFS]
    cases += [Case(f"diff v2 {r[:40]!r}", _args(["diff", "v2", r, "--store", "{tmp}"]), (USAGE,))
              for r in HOSTILE_REFS]
    cases += [Case(f"log {r[:40]!r}", _args(["log", r, "--store", "{tmp}"]), (USAGE,)) for r in HOSTILE_REFS]
    cases += [Case(" ".join(o)[:60], _args(o), (USAGE, NOT_FOUND, WRITE)) for o in BAD_OPTIONS]
    cases += [Case(" ".join(o)[:60], _args(o), (USAGE,), entry_point=True) for o in USAGE_ERRORS]
    return cases


# --- Markdown and terminal injection ---------------------------------------------------------

PAYLOADS = {
    "link": "[click me](http://evil.example/)", "image": "![pixel](http://evil.example/p.png)",
    "html": "<img src=x onerror=alert(1)>", "script": "<script>alert(1)</script>",
    "autolink": "<http://evil.example/>", "entity": ENTITY_PAYLOAD, "reference": "[x]: http://evil.example/",
    "clear screen": "\x1b[2J\x1b[H", "window title": "\x1b]0;pwned\x07", "bell backspace cr": "ok\x07\x08\rFAKE",
    "OSC 8 hyperlink": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "C1 CSI": "\x9b31m",
    "bidi override": "admin\u202egnp.exe", "table break": "a|b\n| x | y |\n\n# heading",
}


def _plant(doc: dict, where: str, payload: str) -> None:
    if where == "model name":
        doc["manifest"]["model_name"] = doc["model_version"]["name"] = doc["registered_model"]["name"] = \
            "Inject" + payload
        doc["manifest"]["requested_uri"] = f"models:/Inject{payload}/{doc['manifest']['model_version']}"
    elif where == "tag key":
        doc["model_version"]["tags"][payload] = "v"
    elif where == "tag value":
        doc["model_version"]["tags"]["t"] = payload
        doc["run"]["tags"]["t"] = payload
    elif where == "description":
        doc["model_version"]["description"] = doc["registered_model"]["description"] = payload
    elif where == "param key":
        doc["run"]["params"][payload] = "1"
    elif where == "param value":
        doc["run"]["params"]["lr"] = payload
    elif where == "alias and dataset":
        doc["registered_model"]["aliases"][payload] = doc["manifest"]["model_version"]
        doc["run"]["dataset_inputs"][0]["name"] = payload


PLACES = ("model name", "tag key", "tag value", "description", "param key", "param value", "alias and dataset")


def _planted(payload: str, where: str) -> Callable[[Path], list[str]]:
    def write(tmp: Path) -> tuple[Path, Path]:
        left, right = make_doc("2"), make_doc("3")
        _plant(right, where, payload)
        if where == "model name":
            _plant(left, where, payload)
        return _put(tmp / "store", seal(left)), _put(tmp / "store", seal(right))
    return write


def _command(planted, command: str) -> Callable[[Path], list[str]]:
    def write(tmp: Path) -> list[str]:
        left, right = planted(tmp)
        return {"report": ["report", str(right)], "diff text": ["diff", str(left), str(right)],
                "diff md": ["diff", str(left), str(right), "--format", "md"],
                "list": ["list", "--store", str(tmp / "store")]}[command]
    return write


def injections() -> list[Case]:
    outputs = {"report": ("md", (0,)), "diff text": ("text", (1,)), "diff md": ("md", (1,)), "list": ("text", (0,))}
    return [Case(f"{name} in {where} ({command})", _command(_planted(payload, where), command), codes, kind)
            for name, payload in PAYLOADS.items() for where in PLACES
            for command, (kind, codes) in outputs.items()
            if not (command == "list" and where not in ("model name", "alias and dataset"))]


