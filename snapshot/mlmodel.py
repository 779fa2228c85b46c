"""Parsing the MLmodel file: YAML with a JSON-encoded signature inside."""

from __future__ import annotations

import json

import yaml


# libyaml's parser where PyYAML was built with it (ten times faster); the same safe constructor either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StringTimesLoader(_SafeLoader):
    """SafeLoader that leaves timestamps as the strings written in the file."""


_StringTimesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str):
    return yaml.load(text, Loader=_StringTimesLoader)


def parse_mlmodel(text: str) -> dict:
    """The MLmodel as a dict, with signature inputs/outputs/params decoded to lists."""
    parsed = load_yaml(text) or {}
    if not isinstance(parsed, dict):
        raise ValueError("MLmodel is not a YAML mapping")
    signature = parsed.get("signature")
    if isinstance(signature, dict):
        parsed["signature"] = {key: _decode(value) for key, value in signature.items()}
    return parsed


def _decode(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
