"""Parsing a model's environment files: requirements.txt, conda.yaml, python_env.yaml.

Each file becomes `{"raw", "packages", "python", "options", "extras", "hashes", ...}`:
`packages` maps a PEP 503 name to its specifier as written (markers after `;`, `@ URL`
for a direct reference, `--hash` options set aside into `hashes`); `options` are pip's
option lines (`--index-url`, `--extra-index-url`, `-r`...) in file order, as
`{"option", "value"}`. URL credentials are removed from every text, the raw one included.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache

from snapshot.model_files.mlmodel import load_yaml
from snapshot.model_files.requirements import logical_lines, normalize_name, parse_requirement_list, redact_line

__all__ = ["normalize_name", "parse_conda", "parse_python_env", "parse_requirement_lines", "parse_requirements"]


def parse_requirement_lines(lines: list[str]) -> dict:
    """`{"packages", "options", "extras", "hashes"}` of pip requirement lines (see the module docstring)."""
    parsed = parse_requirement_list(lines)
    packages = {name: entry["specifier"] for name, entry in parsed["packages"].items()}
    packages.update({line: "" for line in parsed["unparsed"]})  # kept whole, as before
    return {
        "packages": dict(sorted(packages.items())),
        "options": [{"option": o["option"], "value": o["value"]} for o in parsed["options"]],
        "extras": {name: e["extras"] for name, e in parsed["packages"].items() if e["extras"]},
        "hashes": {name: e["hashes"] for name, e in parsed["packages"].items() if e["hashes"]},
    }


def parse_requirements(text: str) -> dict:
    raw = redact_line(text)
    return {"raw": raw, **parse_requirement_lines(logical_lines(raw)), "python": None}


def parse_conda(text: str) -> dict:
    parsed = _redact_strings(load_yaml(text) or {})
    conda_packages: dict[str, str] = {}
    pip_lines: list[str] = []
    python = None
    for dep in parsed.get("dependencies") or []:
        if isinstance(dep, dict):
            pip_lines.extend(str(x) for x in dep.get("pip") or [])
            continue
        name, spec = _split_conda(str(dep))
        if name == "python":
            python = spec.lstrip("=") or None
        conda_packages[normalize_name(name)] = spec
    return {
        "raw": redact_line(text),
        "parsed": parsed,
        **parse_requirement_lines(pip_lines),
        "conda_packages": dict(sorted(conda_packages.items())),
        "python": python,
    }


def _split_conda(dep: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", dep.strip())
    if not match:
        return dep, ""
    return match.group(1), match.group(2).strip()


def parse_python_env(text: str) -> dict:
    parsed = _redact_strings(load_yaml(text) or {})
    deps = [str(x) for x in parsed.get("dependencies") or []]
    build = parse_requirement_lines([str(x) for x in parsed.get("build_dependencies") or []])
    python = parsed.get("python")
    return {
        "raw": redact_line(text),
        "parsed": parsed,
        **parse_requirement_lines(deps),
        "build_packages": build["packages"],
        "build_options": build["options"],
        "python": _python_as_written(text, python),
    }


def _python_as_written(text: str, python) -> str | None:
    """The Python version as the file writes it: YAML reads `python: 3.10` as the number 3.1."""
    if python is None or isinstance(python, str):
        return python
    match = re.search(r"^python:\s*([0-9][0-9.]*)\s*(?:#.*)?$", text, re.MULTILINE)
    return match.group(1) if match else str(python)


def _redact_strings(value):
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return redact_line(value) if isinstance(value, str) else value


_PARSE = {"requirements": parse_requirements, "conda": parse_conda, "python_env": parse_python_env}
_ADDED_LATER = ("options", "extras", "hashes", "build_options")


def with_pip_options(name: str, section: dict | None) -> dict | None:
    """An environment file section with `options`, `extras`, `hashes` (and `build_options`).

    Snapshots written before those were recorded hold only the file's text: they are
    read from it (the same parser, so an old and a new snapshot of one file agree).
    """
    if not isinstance(section, dict) or "options" in section or not isinstance(section.get("raw"), str):
        return section
    added = _added_later(name, section["raw"])
    return {**copy.deepcopy(added), **section} if added is not None else section


@lru_cache(maxsize=256)
def _added_later(name: str, raw: str) -> dict | None:
    """What `with_pip_options` adds for one file's text, parsed once (`snap log` meets each text on both sides)."""
    try:
        parsed = _PARSE[name](raw)
    except Exception:  # noqa: BLE001 - an unreadable old file: nothing more can be said than it holds
        return None
    return {key: parsed[key] for key in _ADDED_LATER if key in parsed}
