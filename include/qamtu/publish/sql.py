"""``qamtu sql``: queries on a published ``marts.duckdb``, read-only, never on the working warehouse.

The file is found through the publication area's pointers: the latest release's by default, the
newest version of a period (``--release 2026-03``) or one version (``--release 2026-03/v2``). On a
local area the file is opened where it lies; on S3 it is downloaded once into a local cache (named
by its checksum, checked against the release's manifest). A published file is never written again,
so a reader neither waits for nor blocks a running pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from qamtu.publish.database import DATABASE_FILE
from qamtu.settings import Settings, get_settings

FORMATS = ("table", "csv", "json")
_RELEASE = re.compile(r"^(\d{4}-\d{2})(?:/v(\d+))?$")


@dataclass(frozen=True)
class PublishedDatabase:
    """A published ``marts.duckdb`` located on this machine."""

    path: Path
    period: str
    version: int
    sha256: str
    key: str


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]


def _manifest_entry(area, manifest_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from qamtu.publish.release import read_json

    manifest = read_json(area, manifest_key)
    listed = next((f for f in manifest["files"] if f["name"] == DATABASE_FILE), None)
    if listed is None:
        raise LookupError(f"{manifest['path']} has no {DATABASE_FILE} (published before the database "
                          "existed)")
    return manifest, listed


def locate(release: str | None = None, settings: Settings | None = None) -> PublishedDatabase:
    """The published database of ``release`` (``None``: the latest; ``YYYY-MM``; ``YYYY-MM/vN``)."""
    from qamtu.publish.release import LATEST, MANIFEST, period_pointer_key, read_json, release_prefix
    from qamtu.storage import LocalStorage, open_area

    settings = settings or get_settings()
    area = open_area("publication", settings)
    if release is None:
        if not area.exists(LATEST):
            raise LookupError("nothing has been published yet")
        manifest_key = read_json(area, LATEST)["manifest"]
    else:
        match = _RELEASE.match(release.strip())
        if not match:
            raise ValueError(f"--release {release!r}: expected YYYY-MM or YYYY-MM/vN (e.g. 2026-03/v2)")
        period, version = match.group(1), match.group(2)
        if version is None:
            if not area.exists(period_pointer_key(period)):
                raise LookupError(f"{period} has no release")
            manifest_key = read_json(area, period_pointer_key(period))["manifest"]
        else:
            manifest_key = release_prefix(period, int(version)) + MANIFEST
            if not area.exists(manifest_key):
                raise LookupError(f"{period}/v{version} is not a published release")
    manifest, listed = _manifest_entry(area, manifest_key)
    # The release's own file, not the `latest/` copy: a reader keeps the version it resolved even if
    # latest moves on meanwhile.
    key = listed["key"]
    if isinstance(area, LocalStorage):
        path = area.local_path(key)
    else:
        path = _cached_download(area, key, listed["sha256"], settings.home / "cache" / "published")
    return PublishedDatabase(path=path, period=manifest["period"], version=int(manifest["version"]),
                             sha256=listed["sha256"], key=key)


def _cached_download(area, key: str, sha256: str, cache: Path) -> Path:
    """The object in the local cache (``<sha256>.duckdb``), downloaded once and checked."""
    from qamtu.publish.database import _file_sha256

    target = cache / f"{sha256}.duckdb"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f".{sha256}.partial"
    area.download_to(key, partial)
    if _file_sha256(partial) != sha256:
        partial.unlink(missing_ok=True)
        raise ValueError(f"{area.uri(key)}: the download's checksum differs from the release's manifest")
    partial.replace(target)
    return target


def connect_published(database: PublishedDatabase) -> duckdb.DuckDBPyConnection:
    """A read-only connection: any write or DDL is refused by DuckDB itself."""
    return duckdb.connect(str(database.path), read_only=True)


def run_query(con: duckdb.DuckDBPyConnection, query: str) -> QueryResult:
    cursor = con.execute(query)
    if cursor.description is None:
        return QueryResult(columns=[], rows=[])
    return QueryResult(columns=[d[0] for d in cursor.description], rows=cursor.fetchall())


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def format_result(result: QueryResult, output: str) -> str:
    """The result as CSV (header + rows), JSON (a list of objects) or a text table."""
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([[_plain(v) for v in row] for row in result.rows])
        return buffer.getvalue()
    if output == "json":
        records = [{c: _plain(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows]
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    if output == "table":
        return _text_table(result)
    raise ValueError(f"--format {output!r}: expected one of {', '.join(FORMATS)}")


def _text_table(result: QueryResult) -> str:
    if not result.columns:
        return "OK\n"
    cells = [["" if v is None else str(_plain(v)) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    numeric = [all(isinstance(row[i], int | float | decimal.Decimal) or row[i] is None for row in result.rows)
               for i in range(len(result.columns))]

    def line(values: list[str]) -> str:
        return " | ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True)
        )

    out = [line(result.columns), "-+-".join("-" * w for w in widths)] + [line(row) for row in cells]
    out.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def shell(con: duckdb.DuckDBPyConnection, database: PublishedDatabase, output: str,
          read: Callable[[str], str] = input, write: Callable[[str], Any] = print) -> None:
    """A small interactive shell (DuckDB's Python package has none): statements end with ``;``;
    ``.tables`` lists the tables, ``.quit`` (or end of input) leaves."""
    try:
        import readline  # noqa: F401  (line editing and history where the platform has it)
    except ImportError:
        pass
    write(f"qamtu sql: {database.period} v{database.version} ({database.path}), read-only. "
          "End statements with ';'. .tables, .quit")
    buffer: list[str] = []
    while True:
        try:
            text = read("qamtu> " if not buffer else "   ...> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        stripped = text.strip()
        if not buffer and stripped in (".quit", ".exit", r"\q"):
            return
        if not buffer and stripped == ".tables":
            stripped = "show tables;"
        if not stripped:
            continue
        buffer.append(stripped)
        if not stripped.endswith(";"):
            continue
        statement, buffer = "\n".join(buffer), []
        try:
            write(format_result(run_query(con, statement), output).rstrip("\n"))
        except duckdb.Error as error:
            write(f"Error: {error}")
