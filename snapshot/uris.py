"""Model URIs (`models:/NAME/VERSION` and friends) and credential removal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from snapshot.errors import BadModelUri

_SECRET_QUERY = re.compile(r"(token|password|passwd|secret|key|signature|sig|credential|auth)", re.I)


@dataclass(frozen=True)
class ModelRef:
    """What a `models:/` URI asks for: one of version, alias, latest, or every version."""

    uri: str
    name: str
    version: str | None = None
    alias: str | None = None
    latest: bool = False

    @property
    def every_version(self) -> bool:
        return self.version is None and self.alias is None and not self.latest


def parse_model_uri(uri: str) -> ModelRef:
    """Parse `models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/latest`, `models:/NAME`."""
    hint = "expected models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest or models:/NAME"
    if not uri.startswith("models:/"):
        raise BadModelUri(f"{uri!r} is not a model URI: {hint}")
    body = uri[len("models:/"):].rstrip("/")
    if not body or body.startswith("/"):
        raise BadModelUri(f"{uri!r} names no model: {hint}")
    if "@" in body and "/" not in body.rsplit("@", 1)[1]:
        name, alias = body.rsplit("@", 1)
        if not name or not alias:
            raise BadModelUri(f"{uri!r} has an empty model name or alias: {hint}")
        return ModelRef(uri, name, alias=alias)
    if "/" in body:
        name, last = body.rsplit("/", 1)
        if last.lower() == "latest":
            return ModelRef(uri, name, latest=True)
        if last.isdigit():
            return ModelRef(uri, name, version=str(int(last)))
        if not name:
            raise BadModelUri(f"{uri!r}: {hint}")
        # A stage (Production, Staging) or a non-numeric version.
        raise BadModelUri(f"{uri!r}: version {last!r} is not a number; {hint}")
    return ModelRef(uri, body)


def redact_uri(uri: str | None) -> str | None:
    """The URI with user info and secret-looking query values removed."""
    if not uri:
        return uri
    parts = urlsplit(uri)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if "@" not in parts.netloc and not any(_SECRET_QUERY.search(k) for k, _ in pairs):
        return uri  # nothing to remove; urlunsplit would also drop the empty `//` of sqlite:////abs
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode([(k, "REDACTED" if _SECRET_QUERY.search(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_TOKEN_PATTERNS = [
    re.compile(r"dapi[0-9a-f]{32}(?:-\d+)?"),               # Databricks personal access token
    re.compile(r"gh[pousr]_[A-Za-z0-9]{36,}"),             # GitHub tokens
    re.compile(r"github_pat_[A-Za-z0-9_]{40,}"),
    re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}"),              # AWS access key id
    re.compile(r"xox[abpr]-[A-Za-z0-9-]{10,}"),            # Slack
    re.compile(r"sk-[A-Za-z0-9_-]{20,}"),                  # OpenAI-style keys
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWT
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),        # user:password@ in any URL
    # signed-URL and token query values (Azure SAS sig=, S3 X-Amz-Signature=, ?token=): the name stays
    re.compile(r"(?<=[?&])((?:[^=&\s]*[-_.])?(?:sig|signature|token|credential|secret|password|passwd|key|apikey)=)"
               r"[^&\s#]+", re.I),
]


# Matches where any one of the patterns matches: most strings hold no secret and are
# passed over with this one search.
_ANY_TOKEN = re.compile("|".join(f"(?i:{p.pattern})" if p.flags & re.I else f"(?:{p.pattern})"
                                 for p in _TOKEN_PATTERNS))


def redact_secrets(text: str) -> str:
    """Replace token-looking substrings in a free-text value with `[REDACTED]`."""
    if not _ANY_TOKEN.search(text):
        return text
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: ((m.group(1) or "") if m.groups() else "") + "[REDACTED]", text)
    return text


def redact_tree(value):
    """Apply redact_secrets to every string in a JSON-like tree."""
    if isinstance(value, dict):
        return {k: redact_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v) for v in value]
    if isinstance(value, str):
        return redact_secrets(value)
    return value


def logged_model_id(model_version: dict) -> str | None:
    """The MLflow 3 logged model of a version: its `model_id`, else the id in a `models:/m-…` source."""
    source = str(model_version.get("source") or "")
    from_source = source[len("models:/"):].split("/")[0] if source.startswith("models:/m-") else None
    return model_version.get("model_id") or from_source
