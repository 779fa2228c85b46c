"""A sorted index segment: one model's rows as columns, each column parsed only when it is read.

    {"columns": [...], "rows": N, "crc32": C, "encoded": [...]}   the header line
    [...]                                                          one line per column, in header order

`snap list` of 100,000 snapshots reads every segment; most of its time went to
parsing columns it never shows (`model_aliases`, `stem`) and to building a small
list per row for `aliases` and `formats`. So each column is its own line, parsed
on first use, and the `encoded` columns (lists and maps) hold each row's value as
its JSON text: decoded on use, or written out as it is (`text`).

The crc32 covers every byte after the header: a segment damaged after it was
written is refused as a whole when it is opened (the index is then rebuilt from
the snapshots), so a column parsed later never meets a damaged line. Segments
written by earlier versions (one JSON object holding every column) still read.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Mapping

ENCODED = ("aliases", "model_aliases", "formats")  # one JSON text a row


class ColumnsDamaged(ValueError):
    """Bytes that are not a sorted segment's columns."""


def encode_columns(columns: tuple[str, ...], rows: list[dict]) -> bytes:
    lines = []
    for c in columns:
        values = [r.get(c) for r in rows]
        if c in ENCODED:
            values = [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
        lines.append(json.dumps(values, ensure_ascii=False, separators=(",", ":")))
    body = ("\n".join(lines) + "\n").encode("utf-8")
    header = {"columns": list(columns), "rows": len(rows), "crc32": zlib.crc32(body),
              "encoded": [c for c in columns if c in ENCODED]}
    return (json.dumps(header, separators=(",", ":")) + "\n").encode("utf-8") + body


def decode_columns(data: bytes, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping[str, list]:
    """The columns of a sorted segment; raises ColumnsDamaged when its bytes are not what was written.

    `optional`: columns written after `columns` only when a row has a value for them (the index's `kind`)."""
    head, _, body = data.partition(b"\n")
    if not body.strip():  # a segment of the earlier form: every column in one object
        return json.loads(data.decode("utf-8"))
    header = json.loads(head.decode("utf-8"))
    if not isinstance(header, dict) or header.get("columns") not in (list(columns), [*columns, *optional]):
        raise ColumnsDamaged("its header does not list the index's columns")
    columns = tuple(header["columns"])
    if header.get("crc32") != zlib.crc32(body):
        raise ColumnsDamaged("its checksum does not match (changed or cut short after it was written)")
    lines = body.decode("utf-8").split("\n")[: len(columns)]
    if len(lines) != len(columns) or not isinstance(header.get("rows"), int):
        raise ColumnsDamaged("it holds fewer columns than its header lists")
    return Columns(dict(zip(columns, lines)), header["rows"], tuple(header.get("encoded") or ()))


class Columns(Mapping):
    """Column name -> its values, parsed from the segment's line on first access."""

    def __init__(self, lines: dict[str, str], rows: int, encoded: tuple[str, ...]):
        self._lines, self._rows, self._encoded = lines, rows, encoded
        self._parsed: dict[str, list] = {}

    def text(self, column: str) -> list[str]:
        """An encoded column's values as JSON text, as written (`["a", "b"]`, `{"x": "1"}`)."""
        if column not in self._encoded:
            return [json.dumps(v, ensure_ascii=False, sort_keys=True) for v in self[column]]
        return self._raw(column)

    def __getitem__(self, column: str) -> list:
        if column not in self._parsed:
            values = self._raw(column)
            if column in self._encoded:
                values = _decoded(values)
            self._parsed[column] = values
        return self._parsed[column]

    def _raw(self, column: str) -> list:
        values = json.loads(self._lines[column])
        if not isinstance(values, list) or len(values) != self._rows:
            raise ColumnsDamaged(f"its {column} column does not hold {self._rows} values")
        return values

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


def _decoded(texts: list[str]) -> list:
    """Each JSON text parsed; values repeat a great deal (aliases, formats), so each text is parsed once."""
    memo: dict[str, object] = {}
    out = []
    for text in texts:
        if text not in memo:
            memo[text] = json.loads(text)
        value = memo[text]
        out.append(value.copy() if isinstance(value, (list, dict)) else value)  # rows never share a list
    return out
