"""`snap report`: the Markdown model report of a snapshot. Never imports mlflow.

The public Python API (documented in README, "Python API"):

    import report, snapshot
    markdown = report.render_report(snapshot.load("Churn/3", store="snapshots"))
    markdown = report.render_report("snapshots/Churn/v3/20261126T213000.123456Z.json")
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["render_report"]


def render_report(doc: dict | str | Path) -> str:
    """The Markdown report of a snapshot document, or of the snapshot file or store reference `doc` names.

    Pure: the same snapshot gives the same bytes, with no network and no clock.
    """
    from report.render import render_report as _render

    if not isinstance(doc, dict):
        import snapshot

        doc = snapshot.load(doc)
    return _render(doc)


def __dir__() -> list[str]:
    """What a notebook's completion offers: the public API, not this module's imports."""
    return sorted(__all__)
