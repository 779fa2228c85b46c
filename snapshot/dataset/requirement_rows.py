"""The `requirements` table: one row per package per environment file, parsed with `packaging`.

Pip requirements come from requirements.txt, conda.yaml's `pip:` list and
python_env.yaml's dependencies (section `pip`) and build dependencies (section
`build`); conda's own packages (`python=3.11.7`) are section `conda`, their
specifier in conda's syntax, which is not PEP 440, so they get no version keys.
"""

from __future__ import annotations

import functools

from snapshot.dataset.versions import upper_key, version_key
from snapshot.model_files.requirements import normalize_name, parse_requirement_list, parse_requirements_text


# Most versions of a model share their environment files: parse each text once per process.
@functools.lru_cache(maxsize=4096)
def _text_rows(file: str, section: str, text: str) -> tuple[dict, ...]:
    return tuple(_pip_rows(file, section, parse_requirements_text(text)))


@functools.lru_cache(maxsize=4096)
def _list_rows(file: str, section: str, lines: tuple[str, ...]) -> tuple[dict, ...]:
    return tuple(_pip_rows(file, section, parse_requirement_list(list(lines))))


def _pip_rows(file: str, section: str, parsed: dict) -> list[dict]:
    rows = []
    for name, package in parsed["packages"].items():
        specifier = package.get("specifier") or ""
        bare = specifier.split(";", 1)[0].strip()
        rows.append({
            "file": file, "section": section, "name": name, "specifier": specifier,
            "extras": list(package.get("extras") or []), "markers": package.get("markers"),
            "url": package.get("url"), "pinned": package.get("pinned"),
            "pinned_key": version_key(package.get("pinned")),
            "upper_key": None if package.get("url") else upper_key(bare),
            "line": package.get("line"),
        })
    for line in parsed["unparsed"]:
        rows.append({"file": file, "section": section, "name": None, "specifier": None, "extras": [],
                     "markers": None, "url": None, "pinned": None, "pinned_key": None, "upper_key": None,
                     "line": line})
    return rows


def _conda_rows(dependencies: list) -> list[dict]:
    rows = []
    for dep in dependencies:
        if isinstance(dep, dict):
            continue
        text = str(dep).strip()
        name = text
        for i, ch in enumerate(text):
            if ch in "=<>!~ ":
                name = text[:i]
                break
        rows.append({"file": "conda.yaml", "section": "conda", "name": normalize_name(name),
                     "specifier": text[len(name):].strip(), "extras": [], "markers": None, "url": None,
                     "pinned": None, "pinned_key": None, "upper_key": None, "line": text})
    return rows


def requirement_rows(doc: dict) -> list[dict]:
    """The rows of one document (shared between calls: copy a row before changing it)."""
    env = doc.get("environment") if isinstance(doc.get("environment"), dict) else {}
    rows: list[dict] = []
    requirements = env.get("requirements") or {}
    if isinstance(requirements.get("raw"), str):
        rows += _text_rows("requirements.txt", "pip", requirements["raw"])
    conda = (env.get("conda") or {}).get("parsed")
    if isinstance(conda, dict):
        dependencies = conda.get("dependencies") or []
        pip = [str(x) for dep in dependencies if isinstance(dep, dict) for x in dep.get("pip") or []]
        rows += _conda_rows(dependencies)
        rows += _list_rows("conda.yaml", "pip", tuple(pip))
    python_env = (env.get("python_env") or {}).get("parsed")
    if isinstance(python_env, dict):
        for section, key in (("pip", "dependencies"), ("build", "build_dependencies")):
            rows += _list_rows("python_env.yaml", section, tuple(str(x) for x in python_env.get(key) or []))
    return rows
