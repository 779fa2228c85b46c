"""Requirements (pip, conda, python_env), Python versions and MLmodel flavors."""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from diff.changes import ADDED, CHANGED, REMOVED, Change, DiffOptions
from diff.keyed import as_map, compare_maps, get
from snapshot.model_files.environment import with_pip_options
from snapshot.model_files.requirements import parse_requirement_line

ENV_FILES = ("requirements", "conda", "python_env")
FLAVORS = "mlmodel.parsed.flavors"
# Where pip is told to look for packages: a change here is a change of supply.
_SOURCE_OPTIONS = {"--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--no-index"}


def compare_requirements(left: dict, right: dict, options: DiffOptions) -> list[Change]:
    """Packages by name (equivalent specifiers are equal), pip options, extras, hashes and Python.

    Snapshots from before pip options were recorded have no `options`: they are read
    from the file's text, so an old and a new snapshot of one file compare equal.
    """
    out = []
    for name in ENV_FILES:
        base = f"environment.{name}"
        old_file = as_map(with_pip_options(name, get(left, base)))
        new_file = as_map(with_pip_options(name, get(right, base)))
        out += _compare_packages(f"{base}.packages", old_file, new_file)
        path = f"{base}.conda_packages"
        for change in compare_maps("requirements", path, as_map(get(left, path)), as_map(get(right, path))):
            out.append(_with_bump(change, _pinned(change.old), _pinned(change.new)))
        for field in ("options", "build_options"):
            out += _compare_options(f"{base}.{field}", old_file.get(field), new_file.get(field))
        for field in ("extras", "hashes"):
            out += compare_maps("requirements", f"{base}.{field}", as_map(old_file.get(field)),
                                as_map(new_file.get(field)))
        path = f"{base}.python"
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


def _compare_packages(path: str, left_file: dict, right_file: dict) -> list[Change]:
    """Changed, added and removed packages; `>=1.2,<1.5` and `>= 1.2, < 1.5` are the same requirement."""
    left, right = _requirements(left_file), _requirements(right_file)
    out = []
    for name in sorted(set(left) | set(right)):
        (old, old_key), (new, new_key) = left.get(name, (None, None)), right.get(name, (None, None))
        if old is not None and new is not None and old["canonical"] == new["canonical"]:
            continue
        old_text = None if old_key is None else as_map(left_file.get("packages")).get(old_key)
        new_text = None if new_key is None else as_map(right_file.get("packages")).get(new_key)
        kind = ADDED if old is None else REMOVED if new is None else CHANGED
        change = Change("requirements", f"{path}.{name}", kind, old_text, new_text)
        out.append(_with_bump(change, _version_of(old), _version_of(new)))
    return out


def _requirements(env_file: dict) -> dict[str, tuple[dict, str]]:
    """{normalized name: (parsed requirement, key in the document)} of a file's packages.

    Parsed again from name and specifier, so a snapshot written before requirements were
    read with packaging (hashes in the specifier, a URL line as its own key) compares
    the same way as a new one.
    """
    out = {}
    for key, spec in as_map(env_file.get("packages")).items():
        entry = parse_requirement_line(f"{key} {spec}" if spec else str(key))
        if entry is None or entry["kind"] != "package":
            entry = {"name": key, "canonical": f"{key} {spec}", "pinned": None, "specifier": spec}
        out[entry["name"]] = (entry, key)
    return out


def _version_of(entry: dict | None) -> Version | None:
    if entry is None:
        return None
    return _version(entry["pinned"]) if entry.get("pinned") else _pinned(entry.get("specifier"))


def _compare_options(path: str, left, right) -> list[Change]:
    """pip option lines by option: a changed `--index-url`, an added `--extra-index-url`."""
    old, new = _option_values(left), _option_values(right)
    out = []
    for option in sorted(set(old) | set(new)):
        a, b = old.get(option, []), new.get(option, [])
        detail = "package source" if option in _SOURCE_OPTIONS else ""
        where = f"{path}.{option}"
        if len(a) == 1 and len(b) == 1 and a != b:
            out.append(Change("requirements", where, CHANGED, a[0], b[0], detail=detail))
            continue
        out += [Change("requirements", where, REMOVED, v, None, detail=detail) for v in a if v not in b]
        out += [Change("requirements", where, ADDED, None, v, detail=detail) for v in b if v not in a]
    return out


def _option_values(options) -> dict[str, list[str]]:
    """{option: [values in file order]}; a flag such as `--pre` has the value `set`."""
    out: dict[str, list[str]] = {}
    for item in options if isinstance(options, list) else []:
        if isinstance(item, dict) and item.get("option"):
            value = item.get("value")
            out.setdefault(str(item["option"]), []).append("set" if value is None else str(value))
    return out


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
