"""PEP 440 versions as strings that sort correctly, so SQL engines can compare them.

`version_key("1.4rc1") < version_key("1.4") < version_key("1.10.0")`, compared as plain
strings (bytewise), which DuckDB, Spark and pandas all do. A specifier's `upper_key`
is a key every version it allows sorts below: "allows only versions below 1.4" is
`upper_key <= version_key('1.4')`.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_RELEASE_PARTS = 6
_WIDTH = 8
_PHASES = {"a": "1a", "b": "1b", "rc": "1c"}
# Just above a key: '~' sorts after every character a key holds (digits, letters).
_ABOVE = "~"


def _num(value: int) -> str:
    return str(value).zfill(_WIDTH)


def _key(version: Version) -> str | None:
    release = list(version.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()  # 1.4.0 == 1.4
    if len(release) > _RELEASE_PARTS or max(release) >= 10**_WIDTH or version.epoch >= 10**4:
        return None
    parts = [str(version.epoch).zfill(4), *(_num(p) for p in release + [0] * (_RELEASE_PARTS - len(release)))]
    if version.pre is not None:
        parts.append(_PHASES[version.pre[0]] + _num(version.pre[1]))
    elif version.dev is not None and version.post is None:
        parts.append("0" + "0" + _num(0))  # 1.4.dev0 sorts before 1.4a0
    else:
        parts.append("9" + "9" + _num(0))  # a final release after its pre-releases
    parts.append("0" + _num(0) if version.post is None else "1" + _num(version.post))
    parts.append("9" + _num(0) if version.dev is None else "1" + _num(version.dev))
    return ".".join(parts)


def version_key(text: str | None) -> str | None:
    """A fixed-width sortable key of a PEP 440 version (local labels ignored), or None if it is not one."""
    if text is None:
        return None
    try:
        return _key(Version(str(text).strip()))
    except InvalidVersion:
        return None


def _spec_upper(operator: str, version: str) -> str | None:
    """The upper key of one specifier, or None when it sets no upper bound."""
    if operator in ("==", "===") and version.endswith(".*"):
        return _next_prefix(version[:-2])
    if operator in ("==", "===", "<="):
        key = version_key(version)
        return key + _ABOVE if key else None
    if operator == "<":
        parsed = _parse(version)
        if parsed is None:
            return None
        if parsed.is_prerelease or parsed.is_postrelease:
            return _key(parsed)
        # PEP 440: `<1.4` excludes 1.4's own pre-releases too, so nothing at or above 1.4.dev0.
        return version_key(f"{_epoch(parsed)}{'.'.join(map(str, parsed.release))}.dev0")
    if operator == "~=":
        parsed = _parse(version)
        if parsed is None or len(parsed.release) < 2:
            return None
        return _next_prefix(f"{_epoch(parsed)}{'.'.join(map(str, parsed.release[:-1]))}")
    return None  # >, >=, != set no upper bound


def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _epoch(version: Version) -> str:
    return f"{version.epoch}!" if version.epoch else ""


def _next_prefix(prefix: str) -> str | None:
    """Upper key of `==1.3.*`: below 1.4.dev0, the first version without that prefix."""
    parsed = _parse(prefix)
    if parsed is None:
        return None
    release = list(parsed.release)
    release[-1] += 1
    return version_key(f"{_epoch(parsed)}{'.'.join(map(str, release))}.dev0")


def upper_key(specifier: str | None) -> str | None:
    """The least upper key over a specifier set's parts (`>=1.2,<1.5` -> below 1.5.dev0), or None if unbounded."""
    if not specifier:
        return None
    try:
        specs = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    keys = [k for k in (_spec_upper(s.operator, s.version) for s in specs) if k is not None]
    return min(keys) if keys else None
