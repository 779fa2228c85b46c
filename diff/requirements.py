"""Requirements (pip, conda, python_env), Python versions and MLmodel flavors."""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from diff.changes import ADDED, CHANGED, REMOVED, Change, DiffOptions
from diff.keyed import as_map, compare_maps, get

ENV_FILES = ("requirements", "conda", "python_env")
FLAVORS = "mlmodel.parsed.flavors"


def compare_requirements(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    out = []
    for name in ENV_FILES:
        for field in ("packages", "conda_packages"):
            path = f"environment.{name}.{field}"
            for change in compare_maps("requirements", path, as_map(get(left, path)), as_map(get(right, path))):
                out.append(_with_bump(change, _pinned(change.old), _pinned(change.new)))
        path = f"environment.{name}.python"
        old, new = get(left, path), get(right, path)
        if old != new and old is not None and new is not None:
            out.append(_with_bump(Change("requirements", path, CHANGED, old, new), _version(old), _version(new)))
    return out


def compare_flavors(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Flavors added or removed, and every setting of a flavor both sides have (`*_version` with its bump)."""
    old, new = as_map(get(left, FLAVORS)), as_map(get(right, FLAVORS))
    out = []
    for flavor in sorted(set(old) | set(new)):
        path = f"{FLAVORS}.{flavor}"
        if flavor not in old:
            out.append(Change("flavors", path, ADDED, None, _flavor_version(flavor, new[flavor])))
        elif flavor not in new:
            out.append(Change("flavors", path, REMOVED, _flavor_version(flavor, old[flavor]), None))
        else:
            for change in compare_maps("flavors", path, _flatten(old[flavor]), _flatten(new[flavor])):
                if change.path.endswith("_version"):
                    change = _with_bump(change, _version(change.old), _version(change.new))
                out.append(change)
    return out


def bump(old: Version | None, new: Version | None) -> dict | None:
    """{"bump": major|minor|patch|other, "direction": up|down} between two versions."""
    if old is None or new is None or old == new:
        return None
    a, b = (old.release + (0, 0, 0))[:3], (new.release + (0, 0, 0))[:3]
    kind = next((k for k, x, y in zip(("major", "minor", "patch"), a, b) if x != y), "other")
    return {"bump": kind, "direction": "up" if new > old else "down"}


def _with_bump(change: Change, old: Version | None, new: Version | None) -> Change:
    delta = bump(old, new) if change.kind == CHANGED else None
    if delta is None:
        return change
    word = "upgrade" if delta["direction"] == "up" else "downgrade"
    return Change(change.section, change.path, change.kind, change.old, change.new, delta,
                  detail=f"{delta['bump']} {word}")


def _pinned(spec) -> Version | None:
    """The version a specifier pins or starts from: `==1.4.2`, `~=1.4`, `>=1,<2` -> 1.4.2, 1.4, 1."""
    if not isinstance(spec, str):
        return None
    text = spec.split(";", 1)[0].strip()
    try:
        specs = sorted(SpecifierSet(text), key=lambda s: ("==", "===", "~=", ">=", ">").index(s.operator)
                       if s.operator in ("==", "===", "~=", ">=", ">") else 9)
    except InvalidSpecifier:
        return _version(text.lstrip("=<>~! "))
    return _version(specs[0].version.rstrip(".*")) if specs else None


def _version(text) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _flatten(value, prefix: str = "") -> dict:
    if not isinstance(value, dict):
        return {prefix: value} if prefix else {"": value}
    out = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        out.update(_flatten(item, name) if isinstance(item, dict) and item else {name: item})
    return out


def _flavor_version(flavor: str, settings) -> str | None:
    settings = as_map(settings)
    key = next((k for k in sorted(settings) if k.endswith("_version") and k != "python_version"), None)
    if key is None:
        key = "python_version" if "python_version" in settings else None
    return str(settings[key]) if key else "present"
