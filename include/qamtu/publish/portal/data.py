"""What the portal and the API are built from: the published releases only (never the warehouse).

The newest release carries every table with its history (a release is the vintage of everything known
at its month); every release's ``fct_programme_progress`` gives the value each version published for its
own month, so the revisions of a month can be shown side by side."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qamtu.publish.tables import PROGRESS_TABLE, TableDoc, UnitPrecision, load_docs

_PERIOD_POINTER = re.compile(r"^latest/(\d{4}-\d{2})\.json$")
# Claims against measurements and challenges, per period, region (and KZ) and operator (and all): in the API.
STATISTICS_TABLES = {"claims": "fct_claim_statistics", "challenges": "fct_challenge_statistics"}
PORTAL_TABLES = ("fct_programme_progress", "fct_region_coverage", "fct_road_coverage", "fct_city_5g_coverage",
                 "fct_speed_tests_summary", "fct_settlement_connectivity", "dim_region", "dim_district",
                 *STATISTICS_TABLES.values())


@dataclass(frozen=True)
class ReleaseEntry:
    """One published version of one month, as its manifest describes it."""
    period: str
    version: int
    published_at: str
    path: str  # releases/<period>/v<N>/
    notes: str | None
    revised_figures: int
    current: bool  # the newest version of its period
    files: tuple[str, ...]


@dataclass
class PortalData:
    releases: list[ReleaseEntry]  # by period, then version
    newest: ReleaseEntry
    tables: dict[str, pa.Table]  # the newest release's tables the portal shows
    docs: dict[str, TableDoc]
    # (period, version) → {(indicator, region_code): value} of that version's own month
    version_values: dict[tuple[str, int], dict[tuple[str, str], float | None]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # indicator → unit
    # (period, version) → {(indicator, region_code): (SDMX OBS_STATUS A|P|M, why)} (completeness policy)
    version_status: dict[tuple[str, int], dict[tuple[str, str], tuple[str, str | None]]] = field(
        default_factory=dict)

    @property
    def periods(self) -> list[str]:
        return sorted({r.period for r in self.releases})

    def decimals(self, table: str, column: str, unit: str | None = None) -> int | None:
        """The decimals the column's documentation declares (per unit for a unit-driven precision)."""
        doc = self.docs.get(table)
        precision = doc.columns[column].precision if doc and column in doc.columns else None
        if isinstance(precision, UnitPrecision):
            return precision.decimals.get(unit or "")
        return precision


def _json(area, key: str) -> dict[str, Any]:
    import json

    return json.loads(area.get_bytes(key).decode("utf-8"))


def _parquet(area, manifest: dict[str, Any], table: str) -> pa.Table | None:
    entry = next((f for f in manifest["files"] if f["name"] == f"parquet/{table}.parquet"), None)
    if entry is None:
        return None
    data = area.get_bytes(entry["key"])
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ValueError(f"{entry['key']}: checksum differs from its manifest; the release was altered")
    return pq.read_table(pa.BufferReader(data))


def load(area) -> PortalData | None:
    """The releases in the publication area and the tables of the newest one; None before the first."""
    from qamtu.publish.release import LATEST, complete_versions

    if not area.exists(LATEST):
        return None
    periods = sorted({m.group(1) for key in area.list("latest/") if (m := _PERIOD_POINTER.match(key))})
    releases: list[ReleaseEntry] = []
    manifests: dict[tuple[str, int], dict[str, Any]] = {}
    for period in periods:
        versions = complete_versions(area, period)
        for version, manifest in sorted(versions.items()):
            revision = manifest.get("revision") or {}
            releases.append(ReleaseEntry(
                period=period, version=version, published_at=manifest["published_at"], path=manifest["path"],
                notes=revision.get("notes"), revised_figures=int(revision.get("revised_figures") or 0),
                current=version == max(versions), files=tuple(f["name"] for f in manifest["files"])))
            manifests[(period, version)] = manifest
    if not releases:
        return None
    pointer = _json(area, LATEST)
    newest = next(r for r in releases if (r.period, r.version) == (pointer["period"], pointer["version"]))
    newest_manifest = manifests[(newest.period, newest.version)]
    tables = {name: t for name in PORTAL_TABLES if (t := _parquet(area, newest_manifest, name)) is not None}
    data = PortalData(releases=releases, newest=newest, tables=tables, docs=load_docs())
    for (period, version), manifest in manifests.items():
        progress = _parquet(area, manifest, PROGRESS_TABLE)
        if progress is None:
            continue
        values, statuses = {}, {}
        has_status = "obs_status" in progress.column_names  # releases before the completeness policy: all A
        for row in progress.to_pylist():
            if str(row["period"])[:7] == period:
                values[(row["indicator"], row["region_code"])] = row["actual"]
                statuses[(row["indicator"], row["region_code"])] = (
                    (row["obs_status"] or "A", row["status_reason"]) if has_status else ("A", None))
                data.units.setdefault(row["indicator"], row["unit"])
        data.version_values[(period, version)] = values
        data.version_status[(period, version)] = statuses
    return data
