"""Each akimat's inspection worklist, written to its own non-public area: the storage area ``akimat``
(``QAMTU_HOME/akimat/`` locally; a prefix of the private archive bucket on S3), key
``<region>/<period>/worklist.csv``. Never part of a release (the mart is ``wrk_``, not ``fct_``).

One file per akimat and period, written after the period is published (the worklist of the figures the
public sees), also when empty, so an akimat can tell "nothing to inspect" from "not written".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qamtu.periods import parse_period
from qamtu.settings import MARTS_SCHEMA, Settings, get_settings

AREA = "akimat"
WORKLIST_TABLE = "wrk_inspection_worklist"
COLUMNS = ("worklist_rank", "kato_code", "name_kk", "name_ru", "name_en", "population", "claims_contradicted",
           "claims_disputed", "lowest_median_download_mbps", "largest_speed_shortfall_share", "evidence")


@dataclass(frozen=True)
class WorklistFile:
    region_code: str
    period: str
    key: str
    rows: int


def worklist_key(region_code: str, period: str) -> str:
    return f"{region_code}/{period}/worklist.csv"


def _csv(rows: list[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8")


def write_worklists(period: str, settings: Settings | None = None, schema: str = MARTS_SCHEMA,
                    echo: Callable[[str], Any] = print) -> list[WorklistFile]:
    """Write every akimat's worklist of ``period`` from ``<schema>.wrk_inspection_worklist``."""
    from qamtu.contracts import submitter_ids
    from qamtu.storage import open_area
    from qamtu.warehouse import connect, quote_ident

    parse_period(period)
    settings = settings or get_settings()
    area = open_area(AREA, settings)
    select = ", ".join(quote_ident(c) for c in COLUMNS)
    written = []
    with connect(settings) as warehouse:
        if not warehouse.table_exists(schema, WORKLIST_TABLE):
            echo(f"worklists: {schema}.{WORKLIST_TABLE} does not exist; nothing written")
            return []
        rows = warehouse.rows(
            f"select region_code, {select} from {quote_ident(schema)}.{WORKLIST_TABLE} "
            "where period = ? order by region_code, worklist_rank", [period])
    by_region: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_region.setdefault(str(row[0]), []).append(tuple(row[1:]))
    for region in submitter_ids("akimat"):
        items = by_region.get(region, [])
        key = worklist_key(region, period)
        area.put_bytes(key, _csv(items))
        written.append(WorklistFile(region, period, key, len(items)))
    flagged = sum(f.rows for f in written)
    echo(f"worklists: {period}: {flagged} settlements to inspect across {len(written)} akimats → "
         f"{area.uri('')}")
    return written
