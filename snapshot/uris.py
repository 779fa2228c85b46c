"""Model URIs: `models:/NAME/VERSION` and friends."""

from __future__ import annotations

from dataclasses import dataclass

from snapshot.errors import BadModelUri


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
        if last.isascii() and last.isdigit():  # `²` and `٣` are digits to str.isdigit, not to int()
            return ModelRef(uri, name, version=str(int(last)))
        if not name:
            raise BadModelUri(f"{uri!r}: {hint}")
        # A stage (Production, Staging) or a non-numeric version.
        raise BadModelUri(f"{uri!r}: version {last!r} is not a number; {hint}")
    return ModelRef(uri, body)
