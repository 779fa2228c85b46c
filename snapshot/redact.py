"""Credential removal: by the name a value sits under, and by the shape of known tokens.

Names that are an object's identity (model, experiment and run names, ids) are
never altered: a name that looks like a secret is still what the object is called.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters of signed URLs, which are credentials whatever their value looks like:
# S3 presigned (X-Amz-*), Azure SAS (sig, se, sp, sv, st, spr, skoid...), GCS (GoogleAccessId,
# Signature, X-Goog-*). Named exactly, so `?sort_key=created` stays.
_SIGNED_PARAMS = {"x-amz-signature", "x-amz-credential", "x-amz-security-token", "sig", "se", "sp", "sv", "st",
                  "spr", "skoid", "sktid", "googleaccessid", "signature", "x-goog-signature", "x-goog-credential"}

# A name whose value is a secret, matched on whole words of the snake/kebab/camel-split name:
# `db_password`, `aws_secret_access_key`, `hf_token`, `apiKey`, `Authorization`, but not
# `max_tokens`, `tokenizer` or `sort_key`.
_SECRET_NAME = re.compile(r"(?<![a-z0-9])(?:password|passwd|secret|token|api_?key|authorization|credentials?"
                          r"|private_?key)(?![a-z0-9])")

# Names that are an object's identity: kept as they are even if they look like a secret.
_IDENTITY_KEYS = {"name", "model_name", "run_name", "mlflow.runName", "run_id", "run_uuid", "model_id",
                  "experiment_id", "requested_uri"}


def is_secret_name(name: str) -> bool:
    """Whether a param, tag or query name says its value is a secret."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("-", "_")
    return name.lower() in _SIGNED_PARAMS or bool(_SECRET_NAME.search(words))


def redact_uri(uri: str | None) -> str | None:
    """The URI with user info and secret query values removed."""
    if not uri:
        return uri
    parts = urlsplit(uri)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if "@" not in parts.netloc and not any(is_secret_name(k) for k, _ in pairs):
        return uri  # nothing to remove; urlunsplit would also drop the empty `//` of sqlite:////abs
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode([(k, "REDACTED" if is_secret_name(k) else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# Token shapes. Each starts after a non-word character (or the start) and ends before one,
# so a prefix inside an ordinary word (`credit-risk-...`, `SOUTHEASTASIA2024...`) never matches.
# A pattern with a group keeps the group (the label) and redacts the rest.
_TOKEN_PATTERNS = [
    re.compile(r"(?<![\w-])dapi[0-9a-f]{32}(?:-\d+)?(?![\w-])"),      # Databricks: dapi + 32 hex
    re.compile(r"(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,}(?!\w)"),        # GitHub: ghp_/gho_/ghs_... + 36 base62
    re.compile(r"(?<![\w-])github_pat_[A-Za-z0-9_]{40,}(?!\w)"),      # GitHub fine-grained token
    re.compile(r"(?<![\w-])gl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}(?![\w-])"),  # GitLab: glpat- + 20
    re.compile(r"(?<![\w-])hf_[A-Za-z0-9]{30,}(?!\w)"),               # Hugging Face: hf_ + 34 letters
    re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"),  # AWS key id: exactly 20 chars
    re.compile(r"(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}(?![\w-])"),  # Slack: xoxb-/xoxp-...
    re.compile(r"(?<![\w-])sk-[A-Za-z0-9_-]{20,}(?![\w-])"),          # OpenAI: sk- + 20 base62/-_
    re.compile(r"(?<![\w-])eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}"),   # JWT: base64url '{"' header . payload . sig
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"),           # `Authorization: Bearer <token>`
    re.compile(r"(?i)(\b(?:password|pwd)\s*=\s*)[^;\s'\"]+"),         # connection string: Password=...;
    # URL userinfo with a password (user:pw@) or a token-long user (TOKEN@); a plain
    # user such as git@ in ssh://git@host is an ordinary name and stays.
    re.compile(r"(?<=://)(?:[^/\s@:'\"]+:[^/\s@'\"]+|[A-Za-z0-9_\-]{20,})(?=@[^\s@]+)"),
]


def _redact_query(match: re.Match) -> str:
    name, value = match.group(1), match.group(2)
    return f"{name}=[REDACTED]" if value and is_secret_name(name) else match.group(0)


# A query parameter (after ? or &) of a URL inside free text; its value is redacted by name.
_QUERY_PARAM = re.compile(r"(?<=[?&])([\w.-]+)=([^&\s#'\"]*)")


def redact_secrets(text: str) -> str:
    """Replace token-shaped substrings in a free-text value (or a key) with `[REDACTED]`."""
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[REDACTED]", text)
    return _QUERY_PARAM.sub(_redact_query, text) if "=" in text else text


def redact_tree(value, key: str | None = None):
    """A JSON-like tree with its secrets replaced by `[REDACTED]`.

    A string under a secret-looking key is redacted whole; other strings and all keys
    lose their token-shaped substrings; values under identity keys (names, ids) are kept.
    """
    if key in _IDENTITY_KEYS:
        return value
    if isinstance(value, dict):
        return {redact_secrets(k): redact_tree(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, key) for v in value]
    if isinstance(value, str):
        return "[REDACTED]" if value and key is not None and is_secret_name(key) else redact_secrets(value)
    return value
