"""Parsing the MLmodel file: YAML with a JSON-encoded signature inside."""

from __future__ import annotations

import json

import yaml


def _keep_timestamps_as_strings(loader: type) -> type:
    """A loader that leaves timestamps as the strings written in the file."""
    loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return loader


_Loader = _keep_timestamps_as_strings(type("_Loader", (yaml.SafeLoader,), {}))
# libyaml's parser, where PyYAML was built with it, is ten times faster.
_FastLoader = _keep_timestamps_as_strings(type("_FastLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {}))


def load_yaml(text: str):
    """PyYAML's safe load, timestamps kept as text; the same result with or without libyaml.

    libyaml accepts tabs that PyYAML refuses and refuses a BOM inside the text, so
    those texts, and any text libyaml refuses, are read by PyYAML's own parser
    (whose error, if any, is the one raised).
    """
    if "\t" not in text and "\ufeff" not in text[1:]:
        try:
            return yaml.load(text, Loader=_FastLoader)
        except Exception:  # noqa: BLE001 - PyYAML's own parser decides, and raises its own error
            pass
    return yaml.load(text, Loader=_Loader)


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
