"""Reading a submission file into text cells per contract field — driven only by the contract.

Nothing here knows a report type by name: headers are matched against the contract's names,
labels and aliases (en/ru/kk, any case, surrounding spaces and a trailing ``*``/``:`` ignored),
sheets against its sheet names. Values stay text here; typing is SQL (see :mod:`.stage`), the same
for every format, so a cell means the same whether it came from CSV, XLSX, JSON or Parquet.

Format recognition: by content first (zip → spreadsheet, gzip → compressed text, ``PAR1`` →
Parquet, ``[``/``{`` → JSON, else CSV); the extension only decides when the content cannot.

Text files (CSV, JSON):

- encoding: UTF-8 (BOM or not) or Windows-1251. The decoding is checked against the contract's
  vocabulary (headers and categorical values): when a decoding the spec does not accept (KOI8-R,
  CP866, Mac Cyrillic, ISO 8859-5, UTF-16, UTF-8 read twice) reads more of it, the file is rejected
  as ``file.wrong_encoding`` naming that encoding. Control characters or NUL bytes in the text →
  ``file.unreadable`` (binary junk).
- CSV delimiter: ``,`` ``;`` tab or ``|``, whichever finds the best header row; quoted fields
  with embedded delimiters, quotes and line breaks (Python's csv module).
- header row: the row among the first 11 (up to 10 title rows) that names the most contract fields.
  Unknown non-empty headers → ``file.unknown_header`` (warning, column ignored); a required field
  without a column → ``file.missing_column`` (the file is rejected).
- a trailing totals row (first non-empty cell starting with Итого/Барлығы/Total/…) is not data; it
  is kept aside so its figures can be compared with the column sums (``file.totals_mismatch``).
- blank rows are skipped (not data, not counted).

Line numbers follow the shared convention: CSV — physical line where the row starts; XLSX — the
Excel row; JSON array / Parquet — 1-based index + 1.

Large contracts (``x-large``) in CSV/csv.gz/Parquet are not read here row by row:
:func:`prepare_large` only sniffs the head (encoding, delimiter, header), transcodes Windows-1251
to UTF-8 in a streaming step when needed, and returns a DuckDB relation over the file.

The parse step of a run (:class:`FileReader`): a landed file into the working database. Large files
are typed into it at once (DuckDB reads them, :mod:`.stage`); small ones are parsed at once and
typed later, all files of a report type in one statement (:meth:`FileReader.type_parsed`). File
rules (empty, unreadable, wrong encoding, missing column, no rows, too many unreadable rows) reject
the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import gzip
import io
import itertools
import json
import logging
import math
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from qamtu.contracts import TOTALS_MARKERS, Contract, normalize_label
from qamtu.ingest import lines
from qamtu.ingest.landing import FileRejected, Problem, Submission
from qamtu.ingest.lines import UnreadableRow
from qamtu.ingest.receipts import number
from qamtu.ingest.stage import UNREADABLE_ROW
from qamtu.ingest.suites import q

HEADER_SEARCH_ROWS = 11
MAX_COLUMNS = 1_000  # a report has a few dozen fields; a header far wider is not one (and costs memory)
# Spreadsheets are read whole by calamine, which allocates the sheet's bounding box of cells and
# aborts the process when that fails: the zip is inflated and the cell references bounded first.
MAX_WORKBOOK_BYTES = 512 * 1024 * 1024  # inflated
MAX_SHEET_CELLS = 20_000_000
MAX_UNREADABLE_ROWS = 100_000  # more rows that are not records of the header: the file is rejected unlisted
DELIMITERS = (",", ";", "\t", "|")
ACCEPTED_ENCODINGS = ("utf-8", "cp1251")
# Read to tell what a file is in; never accepted.
DIAGNOSTIC_ENCODINGS = {"koi8-r": "KOI8-R", "cp866": "CP866 (DOS)", "mac-cyrillic": "Mac Cyrillic",
                        "iso8859-5": "ISO 8859-5"}
SNIFF_BYTES = 256 * 1024
_CHUNK = 16 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_VOCAB_SPLIT = re.compile(r"[,;\t|\"]+")
_LONG_LINE = re.compile(rb"[^\r\n]{%d}" % (lines.LONG_LINE + 1))
_LINE_END = re.compile(r"\r\n|\n|\r")
_READERS = itertools.count()  # rejects tables get unique names on a connection


@dataclass
class TextTable:
    """A parsed file: text cells (``None`` when empty) per contract field present, with lines."""

    fields: list[str]
    columns: dict[str, list[str | None]]
    lines: list[int]
    problems: list[Problem] = field(default_factory=list)
    totals: dict[str, str | None] | None = None
    totals_line: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    unreadable: list[lines.UnreadableRow] = field(default_factory=list)  # rows kept, to be held back

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def to_arrow(self):
        import pyarrow as pa

        arrays = {"_line": pa.array(self.lines, type=pa.int64())}
        for name in self.fields:
            arrays[name] = pa.array(self.columns[name], type=pa.string())
        return pa.table(arrays)


@dataclass
class LargeSource:
    """How DuckDB reads a large file: :attr:`relation` is a FROM-able SQL text with ``_line`` and one
    column per contract field present (``columns`` maps field → column name in ``relation``).

    ``unnumbered`` (a regular CSV: see :mod:`.lines`) is the reader without ``_line``: numbering
    rows with ``WITH ORDINALITY`` makes DuckDB read the file on one thread, this one it splits
    across threads. Its rows come in file order; the row at 0-based position *k* is line
    ``first_line + k`` plus the shift of ``breaks`` (rejected lines before it), known once the
    file has been read (:meth:`collect_unreadable`).

    CSV rows DuckDB cannot read as a record of the header (too many or too few fields, a quote
    never closed, bytes that are not UTF-8) are skipped by the reader and recorded in the
    ``rejects`` table; :meth:`collect_unreadable` turns them into :class:`lines.UnreadableRow`."""

    base: str
    columns: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    unnumbered: str | None = None
    first_line: int | None = None
    rejects: str | None = None  # DuckDB's rejects table of the reader (CSV)
    numbered: bool = True  # the base relation has ``_line`` already
    width: int = 0  # fields in the header
    unreadable: list[lines.UnreadableRow] = field(default_factory=list)
    breaks: str | None = None  # table of the lines of the rows kept before the last rejected one, in order
    final_shift: int = 0  # rejected lines before the rows after the last rejected one
    scan: lines.BackgroundScan | None = None  # read as regular while this checks that it is

    def is_regular(self) -> bool:
        return self.scan is None or self.scan.result().regular

    @property
    def relation(self) -> str:
        if self.numbered:
            return self.base
        offset = int(self.first_line) - 1
        if self.breaks is None:
            return f"(select _ordinal + {offset} as _line, * from {self.base})"
        return (f"(select coalesce(b.line, s._ordinal + {offset + self.final_shift}) as _line, s.* "
                f"from {self.base} s positional join {self.breaks} b)")

    def collect_unreadable(self, con) -> list[lines.UnreadableRow]:
        """Read the rejects table once, right after the first full read of the file (later reads
        append the same rows again); for a regular CSV also create ``breaks``."""
        if self.scan is not None and not self.scan.result().regular:
            raise lines.Irregular(self.scan.result().reason)
        found = list(self.unreadable)
        if self.rejects is None:
            return found
        if _has_table(con, self.rejects):
            count = con.execute(f"select count(distinct line) from {self.rejects} "
                                f"where scan_id = (select max(scan_id) from {self.rejects})").fetchall()[0][0]
            if count > MAX_UNREADABLE_ROWS:  # not fetched one by one: the file is not a table of its header
                raise reject("file.unreadable", f"{count:,} rows cannot be read as records of the header")
        rows = con.execute(
            f"select line, column_name, error_type, error_message, csv_line from {self.rejects} "
            f"where scan_id = (select max(scan_id) from {self.rejects}) order by line, column_idx"
        ).fetchall() if _has_table(con, self.rejects) else []
        seen: set[int] = set()
        field_of = {column: name for name, column in self.columns.items()}
        for duck_line, column, error_type, error_message, csv_line in rows:
            text = (csv_line or "").lstrip("\r\n")
            if self.numbered:  # normalised file: the line is the first column
                head, _, text = text.partition(",")
                try:
                    line = int(head)
                except ValueError:
                    line = int(duck_line)
            else:
                line = int(duck_line)
            if line in seen:
                continue
            seen.add(line)
            found.append(lines.UnreadableRow(line, text[: lines.RAW_TEXT_LIMIT],
                                             _reject_detail(str(error_type), error_message or "", self.width),
                                             field_of.get(column)))
        if not self.numbered and rows:
            breaks = lines.shift_breaks([r.line for r in found], int(self.first_line))
            import numpy as np
            import pyarrow as pa

            # The line of every kept row up to the last rejected one, in file order, joined to the rows by
            # position (POSITIONAL JOIN: no sort of 10 M wide rows, as an ASOF join needs); the rows
            # after it are at the final shift.
            positions = np.array([k for k, _ in breaks], dtype=np.int64)
            shifts = np.concatenate([[0], np.array([shift for _, shift in breaks], dtype=np.int64)])
            kept = np.arange(int(positions[-1]), dtype=np.int64)
            line = kept + int(self.first_line) + shifts[np.searchsorted(positions, kept, side="right")]
            self.final_shift = int(shifts[-1])
            self.breaks = f"{self.rejects}_lines"
            con.register("_qamtu_lines", pa.table({"line": line}))
            try:
                con.execute(f"create or replace temp table {self.breaks} as select line from _qamtu_lines")
            finally:
                con.unregister("_qamtu_lines")
        return sorted(found, key=lambda r: r.line)


def _has_table(con, name: str) -> bool:
    return bool(
        con.execute("select count(*) from duckdb_tables() where table_name = ?", [name]).fetchall()[0][0]
    )


_FOUND = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _reject_detail(error_type: str, error_message: str, width: int) -> str:
    """DuckDB's reject reason in the words of the receipt (English detail, like file details)."""
    counts = _FOUND.search(error_message)
    if error_type == "TOO MANY COLUMNS":
        found = f"{counts[2]}" if counts else "more"
        return f"{found} fields where the header has {width}"
    if error_type == "MISSING COLUMNS":
        found = f"{counts[2]}" if counts else "fewer"
        return f"{found} fields where the header has {width}"
    if error_type == "UNQUOTED VALUE":
        return "a quoted value is not closed, or a quote stands inside an unquoted value"
    if error_type == "INVALID ENCODING":
        return "bytes that are not UTF-8 text"
    if error_type == "LINE SIZE OVER MAXIMUM":
        return "a line longer than the reader's maximum"
    return error_message.strip().splitlines()[0] if error_message.strip() else error_type


def reject(rule: str, detail: str | None = None) -> FileRejected:
    return FileRejected(Problem(rule, context={"detail": detail} if detail else {}))


# --- content recognition -------------------------------------------------------------------------
def recognise(head: bytes, ext: str | None) -> str:
    """What the bytes are: ``spreadsheet``, ``gzip``, ``parquet``, ``json`` or ``csv``."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "spreadsheet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if ext == "xlsx":
        raise reject("file.unreadable", "the file is not an XLSX workbook")
    if ext == "parquet":
        raise reject("file.unreadable", "the file is not a Parquet file")
    text_start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if ext == "json" or text_start[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def _gunzip(data: bytes) -> bytes:
    """Inflate a small report, at most ``MAX_WORKBOOK_BYTES`` of it (a gzip bomb is not a report)."""
    parts, size = [], 0
    try:
        while data:  # gzip members one after the other, as gzip.decompress reads them
            inflater = zlib.decompressobj(wbits=31)
            part = inflater.decompress(data, MAX_WORKBOOK_BYTES + 1 - size)
            size += len(part)
            parts.append(part)
            if size > MAX_WORKBOOK_BYTES:
                raise reject("file.unreadable",
                             f"the file expands to more than {MAX_WORKBOOK_BYTES // 2**20} MiB "
                             "(a compressed bomb, not a report)")
            if not inflater.eof:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            data = inflater.unused_data.lstrip(b"\x00")
        return b"".join(parts)
    except (EOFError, OSError, zlib.error) as error:
        raise reject("file.unreadable", f"the gzip stream is damaged or truncated ({error})") from error


# --- encodings -----------------------------------------------------------------------------------
def vocabulary(contract: Contract) -> frozenset[str]:
    """Normalised words a submission of this contract is expected to contain."""
    return _vocabulary(contract.report_type, contract.version)


@cache
def _vocabulary(report_type: str, version: str) -> frozenset[str]:
    from qamtu.contracts import load_contract

    contract = load_contract(report_type)
    words = set(contract.header_map())
    for f in contract.fields:
        words.update(f.value_map())
    words.update(normalize_label(n) for n in contract.sheet_names())
    return frozenset(w for w in words if len(w) > 1)


def vocabulary_hits(text: str, contract: Contract, max_lines: int = 60) -> int:
    words = vocabulary(contract)
    hits = 0
    for line in text.splitlines()[:max_lines]:
        for cell in _VOCAB_SPLIT.split(line):
            if normalize_header(cell) in words:
                hits += 1
    return hits


def _decode(data: bytes, encoding: str, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode(data, final=final)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_text(data: bytes, contract: Contract, complete: bool = True) -> tuple[str, str]:
    """Decode a text submission; returns (text, encoding). ``complete=False``: ``data`` is only the
    head of the file (a character cut at its end is not an error)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise reject("file.wrong_encoding", "the file is UTF-16 text")
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise reject("file.empty")
    has_bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if has_bom else data
    head_nuls = body[:SNIFF_BYTES].count(b"\x00")
    if head_nuls:
        for utf16 in ("utf-16-le", "utf-16-be"):
            decoded = _decode(body[: SNIFF_BYTES - SNIFF_BYTES % 2], utf16, final=False)
            if decoded and vocabulary_hits(decoded, contract):
                raise reject("file.wrong_encoding", "the file is UTF-16 text")
        if head_nuls > max(2, min(len(body), SNIFF_BYTES) // 1000):
            raise reject("file.unreadable", "the file holds binary data, not text")
        # A stray NUL byte or two in text: the rows holding them are held back, not the file.

    text = encoding = None
    for candidate in ACCEPTED_ENCODINGS:
        text = _decode(body, candidate, final=complete)
        if text is not None:
            encoding = "utf-8-sig" if (has_bom and candidate == "utf-8") else candidate
            break
    if text is None:
        raise reject("file.wrong_encoding", "the bytes are valid in neither encoding")
    sample = text[:SNIFF_BYTES]
    if len(_CONTROL.findall(sample)) - sample.count("\x00") > max(2, len(sample) // 200):
        raise reject("file.unreadable", "the file holds binary data, not text")

    accepted_hits = vocabulary_hits(sample, contract)
    head = body[:SNIFF_BYTES]
    readings: dict[str, str | None] = {name: _decode(head, enc, final=False)
                                       for enc, name in DIAGNOSTIC_ENCODINGS.items()}
    if encoding.startswith("utf-8"):
        # UTF-8 text once read as Windows-1251 and saved again as UTF-8.
        readings["UTF-8 read as Windows-1251 and saved again"] = sample.encode(
            "cp1251", errors="replace").decode("utf-8", errors="replace")
    best_name, best_hits = None, accepted_hits
    for name, reading in readings.items():
        hits = vocabulary_hits(reading, contract) if reading else 0
        if hits > best_hits:
            best_name, best_hits = name, hits
    if best_name is not None:
        raise reject("file.wrong_encoding", f"the text reads as {best_name}")
    return text, encoding


# --- headers -------------------------------------------------------------------------------------
def normalize_header(cell: Any) -> str:
    text = normalize_label(cell if cell is not None else "")
    return text.strip("\"'").rstrip("*:").strip()


_header_maps: dict[int, tuple[Contract, dict[str, str]]] = {}


def header_map(contract: Contract) -> dict[str, str]:
    """``contract.header_map()``, built once per contract object: sniffing a file scores up to 11
    rows for each of 4 delimiters, and building the map normalises every alias again."""
    entry = _header_maps.get(id(contract))
    if entry is None or entry[0] is not contract:
        entry = _header_maps[id(contract)] = (contract, contract.header_map())
    return entry[1]


def header_score(cells: list[str | None], contract: Contract) -> int:
    mapping = header_map(contract)
    return len({mapping[h] for c in cells if c and (h := normalize_header(c)) in mapping})


def find_header(rows: list[list[str | None]], contract: Contract) -> tuple[int, int]:
    """(index of the header row among ``rows``, its score); score 0 when none names a field."""
    best_index, best_score = 0, 0
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(cells, contract)
        if score > best_score:
            best_index, best_score = index, score
    return best_index, best_score


def check_width(header: list[Any]) -> None:
    if len(header) > MAX_COLUMNS:
        raise reject("file.unreadable",
                     f"the header has {len(header):,} columns; a report has at most {MAX_COLUMNS:,}")


def map_header(
    cells: list[str | None], contract: Contract, line: int | None
) -> tuple[dict[int, str], list[Problem]]:
    """Column index → field name, plus warnings for unknown headers. A required field without a
    column, or a field with two columns, rejects the file."""
    check_width(cells)
    mapping = header_map(contract)
    columns: dict[int, str] = {}
    headers_of: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(cells):
        if cell is None or not str(cell).strip():
            continue
        header = str(cell).strip()
        name = mapping.get(normalize_header(cell))
        if name is None:
            # The column is not a contract field: its header, as written, stands for the field.
            problems.append(Problem("file.unknown_header", severity="warning", line=line,
                                    field=header, value=header))
            continue
        headers_of.setdefault(name, []).append(header)
        if name not in columns.values():
            columns[index] = name
    repeated = [Problem("file.duplicate_column", line=line, field=name,
                        value=", ".join(f"'{h}'" for h in headers))
                for name, headers in headers_of.items() if len(headers) > 1]
    if repeated:
        raise FileRejected(*repeated)
    missing = [f for f in contract.required_fields if f not in columns.values()]
    if missing:
        raise _missing(contract, missing, cells, line)
    return columns, problems


def _missing(contract: Contract, missing: list[str], cells: list[Any], line: int | None) -> FileRejected:
    found = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    detail = "headers found: " + (", ".join(f"'{h}'" for h in found[:30]) if found else "none")
    return FileRejected(*[Problem("file.missing_column", line=line, field=name, context={"detail": detail})
                          for name in missing])


def is_totals_row(cells: Iterable[str | None]) -> bool:
    first = next((c for c in cells if c is not None and str(c).strip()), None)
    if first is None:
        return False
    label = normalize_header(first)
    return any(label.startswith(marker) for marker in TOTALS_MARKERS)


def build_table(rows: Iterable[tuple[int, list[str | None]]], header: list[str | None],
                header_line: int | None,
                contract: Contract, allow_totals: bool = True, delimiter: str | None = None) -> TextTable:
    """Rows (line, cells) after the header → a :class:`TextTable` (blank rows skipped, trailing
    totals row set aside). ``delimiter`` (CSV): a row with more or fewer fields than the header is
    not a record of it (``file.unreadable_row``, as DuckDB's reader judges large files)."""
    columns, problems = map_header(header, contract, header_line)
    kept: list[tuple[int, list[str | None]]] = []
    for line, cells in rows:
        if any(c is not None and str(c).strip() for c in cells):
            kept.append((line, cells))
    totals = totals_line = None
    if allow_totals and kept and is_totals_row(kept[-1][1]):
        totals_line, totals_cells = kept.pop()
        totals = {name: _cell(totals_cells, index) for index, name in columns.items()}
    fields = [f for f in contract.field_names if f in columns.values()]
    index_of = {name: index for index, name in columns.items()}
    unreadable = []
    if delimiter is not None:
        width = len(header)
        for line, cells in kept:
            if any(c and "\x00" in c for c in cells):
                unreadable.append(lines.UnreadableRow(
                    line,
                    delimiter.join(c or "" for c in cells).replace("\x00", "\\0")[: lines.RAW_TEXT_LIMIT],
                    "a NUL byte (binary data) in the row"))
            elif len(cells) != width:
                missing = columns.get(len(cells)) if len(cells) < width else None
                unreadable.append(lines.UnreadableRow(
                    line, delimiter.join(c or "" for c in cells)[: lines.RAW_TEXT_LIMIT],
                    f"{len(cells)} fields where the header has {width}", missing))
    table = TextTable(
        fields=fields,
        columns={name: [_cell(cells, index_of[name]) for _, cells in kept] for name in fields},
        lines=[line for line, _ in kept],
        problems=problems,
        totals=totals,
        totals_line=totals_line,
        details={"header_line": header_line},
        unreadable=unreadable,
    )
    return table


def _cell(cells: list[str | None], index: int) -> str | None:
    if index >= len(cells) or cells[index] is None:
        return None
    text = str(cells[index]).strip().strip("\u00a0")
    return text or None


# --- cell values from typed sources (XLSX, JSON, Parquet) ----------------------------------------
def cell_text(value: Any) -> str | None:
    """A typed cell as the text the SQL typing reads (ISO dates, plain numbers)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value.total_seconds())
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


# --- CSV -----------------------------------------------------------------------------------------
def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) for every row of the text."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=False)
    previous = 0
    for cells in reader:
        yield previous + 1, cells
        previous = reader.line_num


def sniff_csv(text: str, contract: Contract) -> tuple[str, int, int]:
    """(delimiter, index of the header row, its score) — the delimiter that finds the best header."""
    best = (",", 0, 0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [cells for _, cells in _take(_csv_rows(text, delimiter), HEADER_SEARCH_ROWS)]
        except csv.Error:
            continue
        index, score = find_header(rows, contract)
        width = len(rows[index]) if rows else 0
        if (score, width) > (best[1], best[3]):
            best = (delimiter, index, score, width)
    return best[0], best[1], best[2]


def _take(iterator: Iterator[Any], count: int) -> Iterator[Any]:
    for _, item in zip(range(count), iterator, strict=False):
        yield item


def parse_csv_text(text: str, contract: Contract) -> TextTable:
    delimiter, header_index, score = sniff_csv(text, contract)
    rows = _csv_rows(text, delimiter)
    try:
        title = [next(rows) for _ in range(header_index)]
        header_line, header = next(rows)
    except StopIteration as error:
        raise reject("file.empty") from error
    except csv.Error as error:
        raise reject("file.unreadable", f"not a readable CSV file ({error})") from error
    check_width(header)
    if score == 0:
        raise _missing_all(contract, header, header_line)
    try:
        table = build_table(rows, header, header_line, contract, delimiter=delimiter)
    except csv.Error as error:
        raise reject("file.unreadable", f"not a readable CSV file ({error})") from error
    table.details.update({"delimiter": delimiter, "title_rows": len(title)})
    _unclosed_quote(text, table, delimiter)
    return table


def _unclosed_quote(text: str, table: TextTable, delimiter: str) -> None:
    """Python's csv module (not strict) lets a quote that is never closed swallow the rest of the
    file into the last row; DuckDB's reader rejects that row. The same here: the last row is not a
    record of the header when an odd number of quotes follows its first line's start."""
    if not table.lines or '"' not in text:
        return
    last = table.lines[-1]
    start = 0
    for _ in range(last - 1):
        match = _LINE_END.search(text, start)
        if match is None:
            return
        start = match.end()
    if text.count('"', start) % 2 == 1:
        table.unreadable[:] = [r for r in table.unreadable if r.line != last]
        table.unreadable.append(lines.UnreadableRow(
            last, text[start:start + lines.RAW_TEXT_LIMIT],
            "a quoted value is not closed, or a quote stands inside an unquoted value"))


def _missing_all(contract: Contract, header: list[Any], line: int | None) -> FileRejected:
    return _missing(contract, list(contract.required_fields), header, line)


# --- spreadsheets --------------------------------------------------------------------------------
def parse_spreadsheet(data: bytes, contract: Contract) -> TextTable:
    from python_calamine import CalamineWorkbook

    if data.startswith(b"PK"):
        guard_workbook(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(workbook.sheet_names)
    except Exception as error:  # calamine raises several types for damaged/truncated files
        raise reject("file.unreadable", f"the workbook cannot be opened ({error})") from error
    wanted = {normalize_header(n) for n in contract.sheet_names()}
    by_name = [n for n in names if normalize_header(n) in wanted]
    by_name += [
        n for n in names if n not in by_name and any(w in normalize_header(n) for w in wanted if len(w) > 2)
    ]
    order = by_name + [n for n in names if n not in by_name]
    first_sheet_rows = None
    for name in order:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as error:
            raise reject("file.unreadable", f"sheet {name!r} cannot be read ({error})") from error
        texts = [[cell_text(v) for v in row] for row in rows]
        if first_sheet_rows is None:
            first_sheet_rows = texts
        index, score = find_header(texts, contract)
        if score:
            table = build_table(
                ((i + 1, cells) for i, cells in enumerate(texts[index + 1 :], start=index + 1)),
                texts[index],
                index + 1,
                contract,
            )
            table.details.update({"sheet": name, "title_rows": index})
            return table
    if not first_sheet_rows or not any(any(c for c in row) for row in first_sheet_rows):
        raise reject("file.empty")
    raise _missing_all(contract, first_sheet_rows[0], 1)


_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')


def guard_workbook(data: bytes) -> None:
    """Reject a workbook that inflates beyond ``MAX_WORKBOOK_BYTES`` (a zip bomb) or whose cells
    span more than ``MAX_SHEET_CELLS`` (a cell at XFD1048576 makes a reader allocate the whole
    grid), streaming each part without keeping it."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise reject("file.unreadable", f"the workbook cannot be opened ({error})") from error
    inflated = 0
    for member in members:
        sheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
        last_row = last_column = 0
        overlap = b""
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(4 * 1024 * 1024):
                    inflated += len(chunk)
                    if inflated > MAX_WORKBOOK_BYTES:
                        raise reject("file.unreadable", f"the workbook expands to more than "
                                     f"{MAX_WORKBOOK_BYTES // 2**20} MiB (a compressed bomb, not a report)")
                    if sheet:
                        text = overlap + chunk
                        for letters, digits in _CELL_REF.findall(text):
                            last_row = max(last_row, int(digits))
                            last_column = max(last_column, _column_number(letters))
                        overlap = text[-256:]
        except FileRejected:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as error:
            raise reject("file.unreadable", f"the workbook cannot be opened ({error})") from error
        if last_row * last_column > MAX_SHEET_CELLS:
            raise reject("file.unreadable",
                         f"the sheet {member.filename.rsplit('/', 1)[-1]} spans {last_row:,} rows "
                         f"× {last_column:,} columns; a report fits in {MAX_SHEET_CELLS:,} cells")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# --- JSON ----------------------------------------------------------------------------------------
def parse_json_text(text: str, contract: Contract) -> TextTable:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise reject("file.unreadable", f"not valid JSON (line {error.lineno}: {error.msg})") from error
    except RecursionError as error:
        raise reject("file.unreadable", "the JSON is nested too deeply to be a table") from error
    records = document
    header: list[str] | None = None
    if isinstance(document, dict):
        if isinstance(document.get("columns"), list) and isinstance(document.get("data"), list):
            header = [str(c) for c in document["columns"]]
            records = document["data"]
        else:
            records = next((document[k] for k in ("rows", "data", "records", contract.report_type)
                            if isinstance(document.get(k), list)), None)
    if not isinstance(records, list):
        raise reject("file.unreadable", "JSON must be an array of objects or {\"rows\": [...]}")
    if not records:
        raise reject("file.no_rows")
    if header is None:
        keys: dict[str, None] = {}
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                raise reject("file.unreadable", f"JSON item {index + 1} is not an object")
            keys.update(dict.fromkeys(str(k) for k in record))
        header = list(keys)
        rows = (
            (index + 2, [cell_text(record.get(k)) for k in header]) for index, record in enumerate(records)
        )
    else:
        for index, record in enumerate(records):
            if not isinstance(record, list):
                raise reject("file.unreadable", f"JSON row {index + 1} is not a list")
        rows = ((index + 2, [cell_text(v) for v in record]) for index, record in enumerate(records))
    return build_table(rows, header, None, contract, allow_totals=False)


# --- Parquet -------------------------------------------------------------------------------------
def parse_parquet(data: bytes, contract: Contract) -> TextTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as error:
        raise reject("file.unreadable", f"the Parquet file cannot be read ({error})") from error
    header = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    rows = ((index + 2, [cell_text(col[index]) for col in columns]) for index in range(table.num_rows))
    return build_table(rows, header, None, contract, allow_totals=False)


# --- small files: all formats --------------------------------------------------------------------
def parse_bytes(data: bytes, ext: str | None, contract: Contract) -> TextTable:
    """Any accepted format, fully in memory (every report type but the x-large ones)."""
    if not data:
        raise reject("file.empty")
    kind = recognise(data[:8], ext)
    if kind == "gzip":
        data = _gunzip(data)
        if not data:
            raise reject("file.empty")
        kind = recognise(data[:8], "csv")
        if kind == "gzip":
            raise reject("file.unreadable", "the file is compressed twice")
    if kind == "spreadsheet":
        table = parse_spreadsheet(data, contract)
    elif kind == "parquet":
        table = parse_parquet(data, contract)
    else:
        if kind == "csv" and len(data) > lines.LONG_LINE and _LONG_LINE.search(data):
            raise reject("file.unreadable", "a line longer than 16 MiB: not a record of any report")
        text, encoding = decode_text(data, contract)
        table = parse_json_text(text, contract) if kind == "json" else parse_csv_text(text, contract)
        table.details["encoding"] = encoding
    table.details["format"] = kind
    return table


# --- large files: DuckDB reads them --------------------------------------------------------------
def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _open_stream(path: Path, compressed: bool):
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _read_head(path: Path, compressed: bool) -> bytes:
    try:
        with _open_stream(path, compressed) as stream:
            return stream.read(SNIFF_BYTES)
    except (EOFError, OSError, zlib.error) as error:
        raise reject("file.unreadable", f"the gzip stream is damaged or truncated ({error})") from error


def transcode_to_utf8(path: Path, compressed: bool, encoding: str, target: Path) -> Path:
    """Stream ``path`` (gzip or not) from ``encoding`` into a plain UTF-8 file, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with _open_stream(path, compressed) as source, target.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                sink.write(decoder.decode(chunk).encode("utf-8"))
            sink.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as error:
        raise reject("file.wrong_encoding", f"not Windows-1251 throughout ({error.reason} at byte "
                                            f"{error.start})") \
            from error
    except (EOFError, OSError, zlib.error) as error:
        raise reject("file.unreadable", f"the gzip stream is damaged or truncated ({error})") from error
    return target


def prepare_large(path: Path, ext: str | None, contract: Contract, workdir: Path,
                  regular: bool | None = None) -> LargeSource:
    """A DuckDB relation over a large CSV/csv.gz/Parquet file (see the module docstring).
    ``regular`` (CSV): True/False when known (see :mod:`.lines`); None: read as regular while a
    background scan checks it (:meth:`LargeSource.collect_unreadable` raises ``lines.Irregular``
    when it is not)."""
    with path.open("rb") as stream:
        magic = stream.read(8)
    if not magic:
        raise reject("file.empty")
    kind = recognise(magic, ext)
    if kind == "parquet":
        return _large_parquet(path, contract)
    if kind not in ("csv", "gzip"):
        raise reject("file.unreadable", f"a {contract.report_type} file must be CSV, csv.gz or Parquet")
    compressed = kind == "gzip"
    head = _read_head(path, compressed)
    if compressed and recognise(head[:8], "csv") != "csv":
        raise reject("file.unreadable", "the compressed file is not CSV")
    text, encoding = decode_text(head, contract, complete=False)
    # The head may end inside a row: only the complete lines are sniffed.
    complete = text[: text.rfind("\n") + 1] if "\n" in text else text
    delimiter, header_index, score = sniff_csv(complete, contract)
    rows = list(_take(_csv_rows(complete, delimiter), header_index + 1))
    if len(rows) <= header_index:
        raise reject("file.empty")
    header_line, header = rows[header_index]
    check_width(header)
    if score == 0:
        raise _missing_all(contract, header, header_line)
    columns, problems = map_header(header, contract, header_line)
    source = path
    if encoding == "cp1251":
        source = transcode_to_utf8(path, compressed, encoding, workdir / "transcoded.csv")
        compressed = False
    number = next(_READERS)
    rejects = f"qamtu_rejects_{number}"
    mapped = {name: f"c{index}" for index, name in columns.items()}
    details = {"format": "csv", "encoding": encoding, "delimiter": delimiter, "header_line": header_line}
    options = (f"delim={_sql_text(delimiter)}, quote='\"', escape='\"', header=false, auto_detect=false, "
               f"store_rejects=true, rejects_table={_sql_text(rejects)}, "
               f"rejects_scan={_sql_text(rejects + '_scan')}")
    if regular is not False:
        names = [f"c{i}" for i in range(len(header))]
        column_types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        reader = (f"read_csv({_sql_text(str(source))}, {options}, skip={header_line}, "
                  f"columns={column_types}, compression={_sql_text('gzip' if compressed else 'none')})")
        alias = ", ".join(names + ["_ordinal"])
        return LargeSource(f"(select * from {reader} with ordinality as src({alias}))", mapped,
                           problems, details,
                           unnumbered=f"(select * from {reader})", first_line=header_line + 1,
                           rejects=rejects,
                           numbered=False, width=len(header),
                           scan=lines.BackgroundScan(source, compressed) if regular is None else None)
    # Rows that span lines, blank lines, lone carriage returns …: each row written on one line
    # behind its line number, so the line comes from the data (see :mod:`.lines`).
    target = workdir / f"lines-{number}.csv"
    try:
        _, unreadable = lines.normalise(source, compressed, header_line, target)
    except (EOFError, OSError, zlib.error) as error:
        raise reject("file.unreadable", f"the gzip stream is damaged or truncated ({error})") from error
    column_types = "{'_line': 'BIGINT', " + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    reader = (
        f"read_csv({_sql_text(str(target))}, {options}, skip=0, columns={column_types}, compression='none')"
    )
    return LargeSource(f"(select * from {reader})", mapped, problems, details, rejects=rejects, numbered=True,
                       width=len(header), unreadable=unreadable)


def _large_parquet(path: Path, contract: Contract) -> LargeSource:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as error:
        raise reject("file.unreadable", f"the Parquet file cannot be read ({error})") from error
    columns, problems = map_header(list(names), contract, None)
    relation = (f"(select file_row_number + 2 as _line, * from read_parquet({_sql_text(str(path))}, "
                f"file_row_number=true))")
    mapped = {name: names[index] for index, name in columns.items()}
    return LargeSource(relation, mapped, problems, {"format": "parquet"}, numbered=True)


# --- the parse step: one landed file into the working database ----------------------------------
log = logging.getLogger("qamtu.ingest")
LARGE_FORMATS = ("csv", "csv.gz", "parquet")


def _duckdb_problem(error: Exception) -> FileRejected:
    text = str(error)
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if "unicode" in text.lower() or "utf-8" in text.lower() or "utf8" in text.lower():
        return FileRejected(Problem("file.wrong_encoding", context={"detail": first}))
    return FileRejected(Problem("file.unreadable", context={"detail": first}))


class FileReader:
    """Reads the landed files of one run into its working database (``bench``, a
    :class:`qamtu.ingest.stage.Workbench`); ``dialect`` is the warehouse's (on DuckDB x-large rows are
    staged straight into ``raw``, stamped ``loaded_at``)."""

    def __init__(self, bench, dialect: str, loaded_at, max_unreadable_share: float):
        self.bench = bench
        self.dialect = dialect
        self.loaded_at = loaded_at
        self.max_unreadable_share = max_unreadable_share
        self._last_large: LargeSource | None = None

    def read(self, sub: Submission, scratch: Path) -> None:
        """Large files are typed into the working database now (DuckDB reads them); small ones are
        parsed now and typed later, all files of a report type together (:meth:`type_parsed`).
        Raises :class:`FileRejected`."""
        import duckdb

        contract = sub.contract
        if not (contract.large and (sub.landing.ext in LARGE_FORMATS or self.dialect == "duckdb")):
            table = parse_bytes(scratch.read_bytes(), sub.landing.ext, contract)
            sub.problems.extend(table.problems)
            sub.details.update(table.details)
            if table.num_rows == 0:
                raise FileRejected(Problem("file.no_rows"))
            sub.parsed = table
            return
        lineage = {"kind": sub.landing.kind, "submitter": sub.landing.submitter,
                   "period": sub.landing.period, "source_key": sub.key, "loaded_at": self.loaded_at}
        target = None
        if self.dialect == "duckdb":
            # Fully qualified: the stage view lives in the working database.
            catalog = self.bench.con.execute("select current_database()").fetchall()[0][0]
            target = f"{q(catalog)}.raw.{q(contract.report_type)}"
        # A CSV is first read as regular (one row per line) while a thread checks that it is; if
        # it is not, it is read again through the numbered route (see qamtu.ingest.lines).
        for regular in (None, False):
            unreadable: list[UnreadableRow] = []
            large = None
            try:
                rows, source, large = self._read_once(sub, scratch, lineage, target, regular, unreadable)
            except lines.Irregular as irregular:
                sub.details["lines"] = f"read line by line ({irregular})"
                continue
            except duckdb.Error as error:
                if large is None and regular is None and self._last_large is not None \
                        and not self._last_large.is_regular():
                    continue  # DuckDB choked on what the numbered route reads
                # DuckDB's reader choking on a damaged file is a verdict on the file, said plainly.
                raise _duckdb_problem(error) from error
            break
        sub.problems.extend(source.problems)
        sub.details.update(source.details)
        sub.staged = True
        sub.rows_read = rows + (len(unreadable) if large is not None else 0)
        self._unreadable(sub, unreadable, placeholders=large is not None, lineage=lineage, target=target)
        if sub.rows_read == 0:
            raise FileRejected(Problem("file.no_rows"))

    def _read_once(self, sub: Submission, scratch: Path, lineage: dict[str, Any], target: str | None,
                   regular: bool | None, unreadable: list[UnreadableRow]):
        """One reading of an x-large file into the stage: (rows staged, source, large source)."""
        contract = sub.contract
        large = None
        self._last_large = None
        if sub.landing.ext in LARGE_FORMATS:
            source = large = self._last_large = prepare_large(scratch, sub.landing.ext, contract,
                                                              self.bench.scratch, regular)
            relation, columns = source.relation, source.columns
        else:
            source = parse_bytes(scratch.read_bytes(), sub.landing.ext, contract)
            relation, columns = "_qamtu_incoming", {name: name for name in source.fields}
            self.bench.con.register("_qamtu_incoming", source.to_arrow())
            unreadable.extend(source.unreadable)

        def on_read() -> None:
            if large is not None:
                unreadable.extend(large.collect_unreadable(self.bench.con))

        try:
            if self.dialect == "duckdb":
                rows = self.bench.stage_direct(contract, sub.submission_id, relation, columns, lineage,
                                               target, large, on_read)
            else:
                rows = self.bench.stage_rows(contract, sub.submission_id, relation, columns, large, on_read)
        finally:
            if relation == "_qamtu_incoming":
                self.bench.con.unregister("_qamtu_incoming")
        return rows, source, large

    def _unreadable(self, sub: Submission, rows: list[UnreadableRow], placeholders: bool,
                    lineage: dict[str, Any] | None = None, target: str | None = None) -> None:
        """Rows that are not records of the header: each held back with its own finding, unless
        more than the allowed share of the file is so (then the file is rejected, and says why)."""
        if not rows:
            return
        contract = sub.contract
        problems = [Problem(UNREADABLE_ROW, line=r.line, field=r.field, value=r.raw,
                            context={"detail": r.detail}) for r in rows]
        share = self.max_unreadable_share
        if len(rows) > share * sub.rows_read:
            detail = (
                f"{len(rows):,} of {sub.rows_read:,} rows ({len(rows) / sub.rows_read:.1%}) cannot be read "
                f"as records of the header; at most {share:.1%} may be"
            )
            raise FileRejected(Problem("file.unreadable", context={"detail": detail}), *problems)
        sub.problems.extend(problems)
        self.bench.add_unreadable(contract, sub.submission_id, [(p.line, p.field, p.value) for p in problems],
                                  placeholders, lineage, target)

    def type_parsed(self, subs: list[Submission]) -> None:
        """Type the parsed small files, one statement per report type (one per file if that fails)."""
        by_type: dict[str, list[Submission]] = {}
        for sub in subs:
            if sub.parsed is not None and not sub.rejected:
                by_type.setdefault(sub.contract.report_type, []).append(sub)
        for group in by_type.values():
            contract = group[0].contract
            try:
                self.bench.stage_tables(contract, {s.submission_id: s.parsed.to_arrow() for s in group})
                staged = group
            except Exception as error:
                log.warning("staging %s in one go failed, file by file: %s", contract.report_type, error)
                staged = []
                for sub in group:
                    try:
                        self.bench.stage_arrow(contract, sub.submission_id, sub.parsed.to_arrow())
                        staged.append(sub)
                    except Exception as one:
                        sub.reject([Problem("file.unreadable",
                                            context={"detail": f"{type(one).__name__}: {one}"})])
            for sub in staged:
                sub.staged = True
                sub.rows_read = sub.parsed.num_rows
                try:
                    self._unreadable(sub, sub.parsed.unreadable, placeholders=False)
                except FileRejected as rejected:
                    sub.reject(rejected.problems)
                if sub.parsed.totals:
                    sub.problems.extend(self._totals(contract, sub, sub.parsed))
                sub.parsed = None

    def _totals(self, contract: Contract, sub: Submission, table: TextTable) -> list[Problem]:
        """A spreadsheet's totals row against the column sums (additive numeric columns only)."""
        found = []
        for name, text in table.totals.items():
            f = contract.field(name)
            if f.type not in ("integer", "number") or text is None:
                continue
            total = self.bench.typed_value(f, text)
            actual = self.bench.column_sum(contract, sub.submission_id, name)
            if total is None or actual is None:
                continue
            if abs(float(total) - float(actual)) > max(0.005, 1e-9 * abs(float(actual))):
                found.append(Problem("file.totals_mismatch", severity="warning", line=table.totals_line,
                                     field=name, value=text, context={"expected": number(actual)}))
        return found
