"""pip requirement lines parsed with `packaging`: packages, and pip's options as entries of their own.

A requirements file says where packages come from as well as which: `--index-url`,
`--extra-index-url`, `--find-links`, `-r`/`-c` and `--trusted-host` lines are facts a
reviewer needs (a changed index is a supply-chain change), so they are kept, in file
order, with their credentials removed. `--hash` options are set aside from the
specifier (so `==1.0 --hash=...` still reads `==1.0`) and kept beside it.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from snapshot.redact import redact_secrets

# pip's short options, by their long name.
_SHORT = {"-i": "--index-url", "-f": "--find-links", "-r": "--requirement", "-c": "--constraint",
          "-e": "--editable"}
# Options that take a value (the rest are flags such as --pre, --no-index, --require-hashes).
_VALUED = {"--index-url", "--extra-index-url", "--find-links", "--requirement", "--constraint", "--editable",
           "--trusted-host", "--no-binary", "--only-binary", "--use-feature", "--global-option",
           "--config-settings"}
# The long spellings pip also accepts.
_ALIASES = {"--requirements": "--requirement", "--constraints": "--constraint"}

# A comment: `#` at the start or after whitespace (a URL's `#egg=` fragment is not one).
_COMMENT = re.compile(r"(?:^|\s)#.*$")
_HASH = re.compile(r"\s--hash(?:=|\s+)(\S+)")
# Per-requirement options pip allows after a requirement; set aside like --hash.
_PER_REQUIREMENT = re.compile(r"\s--(?:config-settings|global-option|install-option)(?:=|\s+)\S+")
# Userinfo of a URL: in a package index or VCS URL any userinfo is a credential, except
# ssh's ordinary `git@` user.
_USERINFO = re.compile(r"(?<=://)(?!git@)(?!\[REDACTED\]@)[^/\s@'\"]+(?=@[^\s@/]+)")
_NAMED_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_VERSION_IN_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._]*?)-\d")


def normalize_name(name: str) -> str:
    """PEP 503 normalized project name."""
    return canonicalize_name(name)


def redact_line(text: str) -> str:
    """A requirement or option text without credentials: token shapes, secret query values, URL userinfo."""
    return _USERINFO.sub("[REDACTED]", redact_secrets(text))


def parse_requirement_line(line: str) -> dict | None:
    """One logical requirements line as a dict, or None for a blank line or a comment.

    A package: `{"kind": "package", "name", "specifier", "extras", "markers", "pinned",
    "url", "hashes", "editable", "canonical", "line"}` (`name` PEP 503 normalized;
    `specifier` as written, markers after `; `, `@ URL` for a direct reference; `pinned`
    the version of a lone `==`/`===`; `canonical` packaging's normal form, equal for
    equivalent requirements: `<1.5,>=1.2` and `>= 1.2, < 1.5` give the same).
    An option: `{"kind": "option", "option", "value", "line"}` (`option` in its long form).
    A line packaging cannot read: `{"kind": "unparsed", "line"}`. Every text is redacted.
    """
    text = _COMMENT.sub("", line).strip()
    if not text:
        return None
    if text.startswith("-"):
        return _option(text)
    hashes = _HASH.findall(" " + text)
    text = _PER_REQUIREMENT.sub("", _HASH.sub("", " " + text)).strip()
    return _package(text, hashes)


def parse_requirements_text(text: str) -> dict:
    """`{"packages": {name: package dict}, "options": [option dicts], "unparsed": [lines]}` of a file.

    Lines ending in a backslash continue on the next; a package named twice keeps its last line.
    """
    return parse_requirement_list(logical_lines(text))


def parse_requirement_list(lines: list[str]) -> dict:
    """Like parse_requirements_text, for a list of lines (conda's pip list, python_env dependencies)."""
    packages: dict[str, dict] = {}
    options: list[dict] = []
    unparsed: list[str] = []
    for raw in lines:
        entry = parse_requirement_line(str(raw))
        if entry is None:
            continue
        if entry["kind"] == "option":
            options.append(entry)
        elif entry["kind"] == "package":
            packages[entry["name"]] = entry
        else:
            unparsed.append(entry["line"])
    return {"packages": dict(sorted(packages.items())), "options": options, "unparsed": unparsed}


def logical_lines(text: str) -> list[str]:
    """The file's lines, a line ending in a backslash joined with the next (as pip reads them)."""
    out, pending = [], ""
    for raw in text.splitlines():
        if raw.endswith("\\") and not _COMMENT.search(raw):
            pending += raw[:-1] + " "
            continue
        out.append(pending + raw)
        pending = ""
    if pending:
        out.append(pending)
    return out


def _option(text: str) -> dict:
    match = re.match(r"^(--?[A-Za-z][A-Za-z0-9-]*)(?:=|\s+)?(.*)$", text)
    flag, value = (match.group(1), match.group(2).strip()) if match else (text, "")
    if len(flag) > 2 and not flag.startswith("--") and flag[:2] in _SHORT:  # `-ihttps://...`
        flag, value = flag[:2], (flag[2:] + " " + value).strip()
    name = _ALIASES.get(_SHORT.get(flag, flag), _SHORT.get(flag, flag))
    if name == "--editable":
        package = _package(value, [])
        if package["kind"] != "package":  # `-e .`: nothing names the package
            return {"kind": "unparsed", "line": redact_line(text)}
        package["editable"] = True
        return package
    return {"kind": "option", "option": name, "value": redact_line(value) if value else None,
            "line": redact_line(text)}


def _package(text: str, hashes: list[str]) -> dict:
    entry = {"kind": "package", "name": None, "specifier": "", "extras": [], "markers": None, "pinned": None,
             "url": None, "hashes": sorted(hashes), "editable": False, "canonical": None,
             "line": redact_line(text)}
    if _is_bare_url(text):
        url = redact_line(text.split(";", 1)[0].strip())
        name = _name_from_url(url)
        if name is None:
            return {"kind": "unparsed", "line": entry["line"]}
        entry.update(name=normalize_name(name), url=url, specifier=f"@ {url}",
                     canonical=f"{normalize_name(name)} @ {url}")
        return entry
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return {"kind": "unparsed", "line": entry["line"]}
    entry.update(name=normalize_name(req.name), extras=sorted(req.extras),
                 markers=str(req.marker) if req.marker else None,
                 url=redact_line(req.url) if req.url else None,
                 specifier=_as_written(text, req), pinned=_pinned(req))
    req.name = entry["name"]
    entry["canonical"] = redact_line(str(req))
    return entry


def _is_bare_url(text: str) -> bool:
    """A URL or path with no `name @` before it (pip reads those; PEP 508 does not)."""
    head = text.split(";", 1)[0]
    return ("://" in head or head.startswith((".", "/", "file:"))) and not _NAMED_URL.match(head)


def _name_from_url(url: str) -> str | None:
    egg = _EGG.search(url)
    if egg:
        return egg.group(1)
    last = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    last = last.split("@", 1)[0]  # git+https://host/org/pkg.git@v1.2
    for suffix in (".git", ".whl", ".tar.gz", ".zip", ".tar.bz2"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
    versioned = _VERSION_IN_NAME.match(last)
    name = versioned.group(1) if versioned else last
    return name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name or "") else None


def _as_written(text: str, req: Requirement) -> str:
    """The text after the name and extras: the specifier and markers as the file wrote them."""
    rest = re.sub(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?", "", text, count=1).strip()
    if req.url:
        head, sep, marker = rest.partition(";")
        rest = f"@ {redact_line(req.url)}" + (f"; {marker.strip()}" if sep else "")
    return redact_line(rest)


def _pinned(req: Requirement) -> str | None:
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None
