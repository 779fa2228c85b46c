"""Parsing a model's environment files: requirements.txt, conda.yaml, python_env.yaml."""

from __future__ import annotations

import re

from snapshot.model_files.mlmodel import load_yaml

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement_lines(lines: list[str]) -> dict[str, str]:
    """`{normalized-name: specifier}` from pip requirement lines; options and URLs keep their line."""
    packages: dict[str, str] = {}
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        match = _NAME.match(line)
        if not match or ("://" in line.split(";")[0] and " @ " not in line):
            packages[line] = ""
            continue
        name, _extras, rest = match.groups()
        packages[normalize_name(name)] = rest.strip()
    return dict(sorted(packages.items()))


def parse_requirements(text: str) -> dict:
    return {"raw": text, "packages": parse_requirement_lines(text.splitlines()), "python": None}


def parse_conda(text: str) -> dict:
    parsed = load_yaml(text) or {}
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
        "raw": text,
        "parsed": parsed,
        "packages": parse_requirement_lines(pip_lines),
        "conda_packages": dict(sorted(conda_packages.items())),
        "python": python,
    }


def _split_conda(dep: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", dep.strip())
    if not match:
        return dep, ""
    return match.group(1), match.group(2).strip()


def parse_python_env(text: str) -> dict:
    parsed = load_yaml(text) or {}
    deps = [str(x) for x in parsed.get("dependencies") or []]
    python = parsed.get("python")
    return {
        "raw": text,
        "parsed": parsed,
        "packages": parse_requirement_lines(deps),
        "build_packages": parse_requirement_lines([str(x) for x in parsed.get("build_dependencies") or []]),
        "python": str(python) if python is not None else None,
    }
