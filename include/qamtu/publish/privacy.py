"""Nothing private leaves: a scan of every file a publish is about to write (release files, portal,
API), refusing the release when one carries a private column.

Private means: a lineage or personal column of the warehouse (``tables.PRIVATE_COLUMNS``), or a field a
submission contract marks ``"x-private": true`` (identifiers of individual speed tests, their
coordinates, inspection and land-request ids …). The contracts are the one source: marking a field
there makes every publish refuse it.

The scan reads the files as a reader would: the header of a CSV, the schema of a Parquet file, the
row of column codes of every XLSX sheet, every column a JSON document declares or every key of its
records, the ``data-col`` attribute the portal puts on each table header. It runs on the files before
any is uploaded, so a refused release writes nothing and ``latest`` does not move.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qamtu.publish.tables import PRIVATE_COLUMNS

XLSX_CODE_ROW = 3  # formats.write_xlsx: three rows of labels, then the column codes (0-based row 3)
_DATA_COL = re.compile(rb'data-col="([^"]+)"')


@dataclass(frozen=True)
class PrivateColumn:
    """One private column found in a file about to be published."""
    file: str
    column: str
    rule: str  # why it is private: "warehouse lineage/personal column" or "contract <type>.<field>"

    def __str__(self) -> str:
        return f"{self.file}: column {self.column!r} is private ({self.rule})"


class PrivateDataError(ValueError):
    """A publish found private data in what it was about to write; nothing was written."""

    def __init__(self, findings: list[PrivateColumn]):
        self.findings = findings
        shown = "; ".join(str(f) for f in findings[:10])
        more = f" (and {len(findings) - 10} more)" if len(findings) > 10 else ""
        super().__init__(f"release refused, private data in {len({f.file for f in findings})} file(s): "
                         f"{shown}{more}")


@cache
def private_columns() -> dict[str, str]:
    """Column name (lower case) → why it is private."""
    from qamtu.contracts import all_contracts

    rules = {name: "warehouse lineage/personal column" for name in PRIVATE_COLUMNS}
    for report_type in sorted(all_contracts()):
        for spec in all_contracts()[report_type].raw.get("fields", []):
            if spec.get("x-private"):
                rules.setdefault(str(spec["name"]).lower(),
                                 f"contract {report_type}.{spec['name']} is x-private")
    return rules


def _csv_header(data: bytes) -> list[str]:
    first_line = data.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return next(csv.reader(io.StringIO(first_line)), [])


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _xlsx_columns(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    names: list[str] = []
    for sheet in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(sheet).to_python(nrows=XLSX_CODE_ROW + 1)
        if len(rows) > XLSX_CODE_ROW:
            names += [str(cell) for cell in rows[XLSX_CODE_ROW] if cell not in ("", None)]
    return names


_ROW_LISTS = ("rows", "observations", "data", "records")


def _json_columns(value, found: set[str]) -> None:
    """Where a JSON document names columns: ``fields[].name`` (Table Schema), ``columns: [...]``,
    and the keys of the records of a ``rows``/``observations``/``data`` list. (Checksums of files and of
    submissions — ``sha256`` keys of the manifest and revision notes — are meant to be published.)"""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "fields" and isinstance(item, list):
                found.update(str(f["name"]) for f in item if isinstance(f, dict) and "name" in f)
            elif key == "columns" and isinstance(item, list):
                found.update(str(c["name"]) if isinstance(c, dict) and "name" in c else str(c) for c in item)
            elif key in _ROW_LISTS and isinstance(item, list):
                for record in item:
                    if isinstance(record, dict):
                        found.update(str(k) for k in record)
            _json_columns(item, found)
    elif isinstance(value, list):
        for item in value:
            _json_columns(item, found)


def columns_in(path: Path) -> list[str]:
    """The column names a file publishes (empty for files without columns)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_header(path.read_bytes()[:65536])
    if suffix == ".parquet":
        return _parquet_columns(path)
    if suffix == ".xlsx":
        return _xlsx_columns(path)
    if suffix == ".json":
        found: set[str] = set()
        _json_columns(json.loads(path.read_bytes().decode("utf-8")), found)
        return sorted(found)
    if suffix in (".html", ".htm"):
        return sorted({m.decode("utf-8") for m in _DATA_COL.findall(path.read_bytes())})
    return []


def scan_folder(folder: Path, skip: frozenset[str] = frozenset()) -> list[PrivateColumn]:
    """Every private column in the files under ``folder`` (names relative to it), ``skip`` excepted."""
    rules = private_columns()
    findings = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name in skip:
            continue
        for column in columns_in(path):
            rule = rules.get(column.strip().lower())
            if rule:
                findings.append(PrivateColumn(file=name, column=column, rule=rule))
    return findings


def refuse_private(folder: Path, prefix: str = "", skip: frozenset[str] = frozenset(), echo=print) -> None:
    """Raise ``PrivateDataError`` naming every file and private column found under ``folder``."""
    findings = [PrivateColumn(prefix + f.file, f.column, f.rule) for f in scan_folder(folder, skip)]
    if findings:
        for finding in findings:
            echo(f"publish: REFUSED {finding}")
        raise PrivateDataError(findings)
