"""The bad-input and injection campaign of #12, generated in the test and run in-process.

Each category is a list of cases built in tests/support/ (damaged_files.py:
damaged snapshot files; hostile_inputs.py: hostile references, URIs and option
values, Markdown and terminal injection in registry values; campaign.py runs one). Every case must end as a user can act on it: the documented exit code
and exactly one `Error:` line in snap's own words (no traceback, no internal
exception text), or, for values that are merely hostile, exit 0 with inert output.

The README table "Fault and bad-input campaign" gives the figures; regenerate its
rows for these categories with `.venv/bin/python -m tests.test_campaign_inputs`.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.campaign import Case, one_command, run_case
from tests.support.damaged_files import damaged_files
from tests.support.hostile_inputs import hostile_arguments, injections
from tests.support.reference import REPO

README = REPO / "README.md"

CATEGORIES = {
    "damaged snapshot files (truncated, wrong types per section, deep nesting, Parquet, schema_version, "
    "encodings, empty, not a file, extreme values)": damaged_files,
    "hostile URIs, store references and option values": hostile_arguments,
    "Markdown and terminal injection (names, tags, descriptions, params, aliases)": injections,
}


def _failures(build: Callable[[], list[Case]]) -> list[str]:
    with one_command():
        return [p for case in build() for p in run_case(case)]


def test_damaged_snapshot_files_give_one_error_line():
    assert _failures(damaged_files) == []


def test_hostile_uris_references_and_options_give_one_error_line():
    assert _failures(hostile_arguments) == []


def test_injected_values_render_inert():
    assert _failures(injections) == []


def test_readme_table_gives_these_categories_case_counts():
    text = README.read_text(encoding="utf-8")
    for category, build in CATEGORIES.items():
        n = len(build())
        assert f"| {category} | {n} | {n} |" in text, f"README campaign row for {category!r}: run this module"


def campaign_rows() -> str:
    """The README rows for these categories: cases tried and passed."""
    rows = []
    for category, build in CATEGORIES.items():
        cases = build()
        with one_command():
            passed = sum(not run_case(case) for case in cases)
        rows.append(f"| {category} | {len(cases)} | {passed} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(campaign_rows())

