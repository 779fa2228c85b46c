"""Which models a batch capture reads, and which of their versions: the URIs given, or the whole registry."""

from __future__ import annotations

from snapshot.sources.search import Prefetcher


def plan_models(prefetcher: Prefetcher, targets: list[tuple[str, str, set | None]], all_models: bool,
                filter_string: str | None):
    """(requested_uri, registered model, wanted versions or None for all) for each model to capture.

    `targets`: (requested_uri, name, versions or None) from the URIs given; with
    `all_models`, every registered model matching `filter_string` instead.
    """
    if all_models:
        for rm in list(prefetcher.registered_models(filter_string)):
            yield f"models:/{rm['name']}", rm, None
        return
    for requested_uri, name, versions in targets:  # a model named but missing is the user's error: raise
        yield requested_uri, prefetcher.registered_model(name), versions

