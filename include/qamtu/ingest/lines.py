"""Physical line numbers for the rows of a large CSV read by DuckDB.

DuckDB's CSV reader gives rows in file order but no line numbers, and skips what it cannot read
(``store_rejects``). A row's line is therefore its position plus what DuckDB does not count as one
row per line: blank lines, quoted values spanning lines, line endings it does not split on (a lone
``\\r``), and the rows it rejected. Two cases:

- **regular** file (:func:`scan` says so: after the header every row is one line ended by ``\\n`` or
  ``\\r\\n``, no blank line before the last row): the row at position *k* among the rows DuckDB
  kept is line ``first_line + k`` plus the number of rejected lines before it; DuckDB's rejects
  table gives a rejected row's line exactly here (checked against byte offsets). Clean national
  files are regular; the scan costs one pass over the decompressed bytes with C-speed counting.
- anything else: :func:`normalise` rewrites the rows after the header into a UTF-8 file whose first
  column is the row's line in the submitted file (one output line per row, blank lines dropped,
  ``\\r``/``\\r\\n`` line ends read as line ends), and DuckDB reads the line from there.

Lines follow the shared convention (physical line where the row starts, lines counted the way
Python's universal newlines count them: ``\\n``, ``\\r\\n`` and a lone ``\\r`` each end one line).
"""

from __future__ import annotations

import gzip
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 8 * 1024 * 1024
_NEWLINE = re.compile(rb"\r\n|\n|\r")
# A line (no line break inside) holding an odd number of double quotes: a quoted value opens or
# closes on it, so the row goes on over the next line (or is never closed).
_ODD_QUOTES = re.compile(rb'^[^"\n]*"(?:[^"\n]*"[^"\n]*")*[^"\n]*$', re.MULTILINE)
_BLANK_LINE = re.compile(rb"\n\r?\n")
LONG_LINE = 16 * 1024 * 1024  # bytes; no row of a report comes near it
RAW_TEXT_LIMIT = 1000  # characters of an unreadable row kept in its finding


@dataclass(frozen=True)
class LineScan:
    """What one pass over a large CSV's bytes found."""

    regular: bool
    reason: str | None = None  # the first thing that made the file irregular (for the receipt's format)


class Irregular(Exception):
    """The file turned out not to be regular: it must be read through :func:`normalise`."""


class BackgroundScan:
    """:func:`scan` in a thread, while DuckDB reads the file (DuckDB inflates a csv.gz on one
    thread; the scan mostly inflates too, on the other core, with the GIL released)."""

    def __init__(self, path: Path, compressed: bool):
        self._result: LineScan | None = None
        self._thread = threading.Thread(target=self._run, args=(path, compressed), name="qamtu-line-scan",
                                        daemon=True)
        self._thread.start()

    def _run(self, path: Path, compressed: bool) -> None:
        try:
            self._result = scan(path, compressed)
        except Exception as error:  # judged irregular: the careful route reads it
            self._result = LineScan(False, f"{type(error).__name__}: {error}")

    def result(self) -> LineScan:
        self._thread.join()
        return self._result


def _stream(path: Path, compressed: bool):
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _chunks(path: Path, compressed: bool) -> Iterator[bytes]:
    """The file's bytes (inflated) in chunks of about ``_CHUNK``. zlib straight, not GzipFile: a
    third less time at 10 M rows, and it lets other threads run while it inflates."""
    with path.open("rb") as stream:
        if not compressed:
            while chunk := stream.read(_CHUNK):
                yield chunk
            return
        inflater = zlib.decompressobj(wbits=31)
        while True:
            data = stream.read(_CHUNK // 4)
            if not data:
                break
            while data:
                out = inflater.decompress(data)
                if out:
                    yield out
                if inflater.eof:  # another gzip member may follow
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=31)
                else:
                    data = b""
        out = inflater.flush()
        if out:
            yield out


def scan(path: Path, compressed: bool) -> LineScan:
    """Whether the file is regular (see the module docstring). Stops at the first irregularity.
    Each inflated chunk is tested in place with C-speed substring searches (no copy of it), the
    seams between chunks on their last and first bytes; only a chunk holding a double quote is
    searched line by line for a quote left open."""
    previous = b"\n"  # the last bytes of the previous chunk (a file starts at the start of a line)
    since_line_end = 0  # bytes of the line being read
    blank_at_end = False  # a blank line seen: harmless if only blank lines follow
    carry = b""  # the unfinished last line of a chunk holding a quote
    try:
        for chunk in _chunks(path, compressed):
            if blank_at_end:
                if chunk.strip(b" \t\r\n"):
                    return LineScan(False, "blank line")
                continue
            seam = previous[-2:] + chunk[:2]
            if b"\r" in chunk or b"\r" in seam:
                lone = chunk.count(b"\r") - chunk.count(b"\r\n") - (1 if chunk.endswith(b"\r") else 0)
                if lone or (previous.endswith(b"\r") and not chunk.startswith(b"\n")):
                    return LineScan(False, "a line ending in a lone carriage return")
            if b"\x00" in chunk:
                return LineScan(False, "a NUL byte")
            if carry or b'"' in chunk:
                buffer = carry + chunk
                cut = buffer.rfind(b"\n") + 1
                if b'"' in buffer[:cut] and _ODD_QUOTES.search(buffer[:cut].replace(b"\r\n", b"\n")):
                    return LineScan(False, "a quoted value spanning lines or never closed")
                carry = buffer[cut:] if b'"' in buffer[cut:] else b""
            blank = -1
            if b"\n\n" in previous[-1:] + chunk[:1] or b"\n\r\n" in seam:
                blank = 0
            else:
                blank = chunk.find(b"\n\n")
                if b"\r" in chunk:
                    crlf = chunk.find(b"\n\r\n")
                    blank = crlf if blank < 0 else (blank if crlf < 0 else min(blank, crlf))
            if blank >= 0:
                if chunk[blank:].strip(b" \t\r\n"):
                    return LineScan(False, "blank line")
                blank_at_end = True
            last = chunk.rfind(b"\n")
            since_line_end = len(chunk) - last - 1 if last >= 0 else since_line_end + len(chunk)
            if since_line_end > LONG_LINE:  # not a record of the header: the numbered route judges it
                return LineScan(False, "a line longer than 16 MiB")
            previous = chunk[-2:]
    except (EOFError, OSError, zlib.error):
        return LineScan(False, "damaged stream")
    if carry and _ODD_QUOTES.search(carry.replace(b"\r\n", b"\n")):
        return LineScan(False, "a quoted value spanning lines or never closed")
    return LineScan(True)


def _irregular(body: bytes) -> str | None:
    """``body`` holds whole lines (ends with ``\\n``). Why it is not regular, or None. Only
    C-speed substring tests on the common path (a line of blanks is not a blank line here: DuckDB
    reads it as a row, rejects it, and says on which line)."""
    if b"\r" in body and body.count(b"\r") != body.count(b"\r\n"):
        return "a line ending in a lone carriage return"
    if b"\x00" in body:
        return "a NUL byte"
    if b'"' in body and _ODD_QUOTES.search(body.replace(b"\r\n", b"\n")):
        return "a quoted value spanning lines or never closed"
    if body.startswith((b"\n", b"\r\n")) or b"\n\n" in body or b"\n\r\n" in body:
        return "blank line"
    return None


def _after_first_blank(body: bytes) -> bytes:
    if body.startswith(b"\n") or body.startswith(b"\r\n"):
        return body
    match = _BLANK_LINE.search(body)
    return body[match.end():] if match else b""


class LongLine(bytes):
    """The first ``LONG_LINE`` bytes of a line that goes on longer (the rest is skipped unread)."""


def physical_lines(path: Path, compressed: bool) -> Iterator[bytes]:
    """The file's lines without their line ends (``\\n``, ``\\r\\n``, ``\\r``); a line longer than
    ``LONG_LINE`` comes as a :class:`LongLine` of its start, so memory stays bounded."""
    tail = b""
    skipping = False  # inside the rest of a long line
    with _stream(path, compressed) as stream:
        while chunk := stream.read(_CHUNK):
            if skipping:
                end = _NEWLINE.search(chunk)
                if end is None:
                    continue
                chunk, skipping = chunk[end.end():], False
            buffer = tail + chunk
            # A trailing "\r" may be the first half of "\r\n": keep it for the next chunk.
            cut = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
            parts = _NEWLINE.split(buffer[:cut])
            tail = parts.pop() + buffer[cut:]
            for part in parts:
                yield LongLine(part[:LONG_LINE]) if len(part) > LONG_LINE else part
            if len(tail) > LONG_LINE:
                yield LongLine(tail[:LONG_LINE])
                tail, skipping = b"", True
    if tail and not skipping:
        parts = _NEWLINE.split(tail)
        if parts and parts[-1] == b"":
            parts.pop()
        yield from parts


@dataclass(frozen=True)
class UnreadableRow:
    """A row the reader cannot take as a record of the header."""

    line: int
    raw: str
    detail: str
    field: str | None = None  # the contract field of the column where the problem is, when known


def normalise(path: Path, compressed: bool, skip_lines: int, target: Path) -> tuple[int, list[UnreadableRow]]:
    """Write the rows after the first ``skip_lines`` lines to ``target``, each as
    ``<line>,<row as written>\\n`` (see the module docstring). Rows holding a NUL byte are not
    written but returned as unreadable. Returns (rows written, unreadable rows)."""
    written = 0
    unreadable: list[UnreadableRow] = []
    row: list[bytes] = []
    start = quotes = 0
    with target.open("wb") as sink:
        def emit(first_line: int, data: bytes) -> None:
            nonlocal written
            if b"\x00" in data:
                unreadable.append(UnreadableRow(first_line, _text(data),
                                                "a NUL byte (binary data) in the row"))
                return
            sink.write(b"%d," % first_line)
            sink.write(data)
            sink.write(b"\n")
            written += 1

        for number, line in enumerate(physical_lines(path, compressed), start=1):
            if number <= skip_lines:
                continue
            if isinstance(line, LongLine):  # not a record of any report: held back unread
                if row:
                    emit(start, b"\n".join(row))
                    row = []
                unreadable.append(UnreadableRow(number, _text(line), "a line longer than 16 MiB"))
                continue
            if not row:
                if not line.strip(b" \t"):
                    continue  # a blank line is not a row
                start, quotes = number, 0
            row.append(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                emit(start, row[0] if len(row) == 1 else b"\n".join(row))
                row = []
        if row:  # a quoted value never closed: the rest of the file is that row (the reader rejects it)
            emit(start, b"\n".join(row))
    return written, unreadable


def _text(data: bytes) -> str:
    return (
        data[: RAW_TEXT_LIMIT * 4].decode("utf-8", errors="replace").replace("\x00", "\\0")[:RAW_TEXT_LIMIT]
    )


def shift_breaks(rejected_lines: list[int], first_line: int) -> list[tuple[int, int]]:
    """Regular file: (position k among the rows kept, lines to add from k on) for the rejected
    lines (sorted, unique). The kept row at k is line ``first_line + k + shift``."""
    breaks: list[tuple[int, int]] = []
    for index, line in enumerate(sorted(set(rejected_lines))):
        k = line - first_line - index
        if breaks and breaks[-1][0] == k:
            breaks[-1] = (k, index + 1)
        else:
            breaks.append((k, index + 1))
    return breaks
