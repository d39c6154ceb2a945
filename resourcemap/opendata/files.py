"""Reading a publisher's file: compression, encoding, the header row, columns by the publisher's names.

Why one reader of tables: every format here is a CSV (or GeoJSON) whose columns are named by a
standard or a ministry, in UTF-8 (with or without BOM) or Shift_JIS, sometimes gzip/xz
compressed when shipped. :class:`Table` finds columns by those names (full-width and spacing
variants folded) and says which required ones are missing, so each reader states only its
column list.
"""
from __future__ import annotations

import csv
import gzip
import io
import lzma
import re
import unicodedata
from collections.abc import Callable, Iterator

from ..errors import InputError
from ..io.records import decode_text

__all__ = ["decompress", "read_text", "Table", "header_key"]


def decompress(data: bytes) -> bytes:
    """gzip / xz data unpacked (by their magic bytes); anything else as it is."""
    try:
        if data[:2] == b"\x1f\x8b":
            return gzip.decompress(data)
        if data[:6] == b"\xfd7zXZ\x00":
            return lzma.decompress(data)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"圧縮ファイルを展開できません（{exc}）。ファイルが壊れていないか確認してください。") from None
    return data


def read_text(data: bytes) -> str:
    """The file's text: decompressed, then UTF-8 (BOM or not) or Shift_JIS/CP932."""
    return decode_text(decompress(data))


def header_key(name: str) -> str:
    """A header compared loosely: NFKC, no BOM, no spaces, （）→(), lower case."""
    s = unicodedata.normalize("NFKC", name or "").lstrip("\ufeff")
    return re.sub(r"[\s_]+", "", s).lower()


class Table:
    """A CSV file with one header row; columns looked up by the publisher's names."""

    def __init__(self, data: bytes | str, label: str) -> None:
        text = data if isinstance(data, str) else read_text(data)
        self.label = label
        self._reader = csv.reader(io.StringIO(text, newline=""))
        try:
            self.headers = next(self._reader)
        except StopIteration:
            raise InputError(f"{label} が空です。1 行目に列名が必要です。") from None
        except csv.Error as exc:
            raise InputError(f"{label} の CSV が読めません（{exc}）。") from None
        self._keys = {header_key(h): i for i, h in reversed(list(enumerate(self.headers))) if h.strip()}

    def column(self, *names: str) -> int | None:
        """Index of the first of *names* present (publisher's spelling variants), else None."""
        for name in names:
            i = self._keys.get(header_key(name))
            if i is not None:
                return i
        return None

    def name(self, index: int) -> str:
        return self.headers[index].lstrip("\ufeff").strip()

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(spreadsheet row number — the header is row 1 —, cells padded to the header's width)."""
        width = len(self.headers)
        try:
            for n, cells in enumerate(self._reader, start=2):
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                yield n, cells
        except csv.Error as exc:
            raise InputError(f"{self.label} の CSV が読めません（{exc}）。") from None


class Columns:
    """A reader's columns: each field it reads, under the names publishers give it, and which are required.

    :meth:`resolve` finds them in a :class:`Table`, reporting each missing required column
    (row 1, the column's standard name) through *error*.
    """

    def __init__(self, names: dict[str, tuple[str, ...]], required: tuple[str, ...] = ()) -> None:
        self.names = names
        self.required = required

    def resolve(self, table: Table, error: Callable[[int, str, str], None]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for field, names in self.names.items():
            i = table.column(*names)
            if i is not None:
                found[field] = (i, table.name(i))
            elif field in self.required:
                error(1, names[0], f"必須の列「{names[0]}」がありません")
        return found

    def resolve_keys(self, keys: set[str], error: Callable[[int, str, str], None]) -> dict[str, tuple[str, str]]:
        """The same for JSON records: field → (the key present, its name)."""
        by_key = {header_key(k): k for k in keys}
        found: dict[str, tuple[str, str]] = {}
        for field, names in self.names.items():
            key = next((by_key[header_key(n)] for n in names if header_key(n) in by_key), None)
            if key is not None:
                found[field] = (key, key)
            elif field in self.required:
                error(1, names[0], f"必須の項目「{names[0]}」がありません")
        return found
