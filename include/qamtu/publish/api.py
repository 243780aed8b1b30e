"""The open-data API: static JSON under ``api/v1/`` beside the portal, with a JSON Schema for each kind
of document published under ``api/v1/schemas/``.

    api/v1/index.json                                 indicators (with their areas) and releases
    api/v1/indicators/<indicator>/<area>.json         every period, every version: value, unit, status
    api/v1/releases/<period>/v<N>.json                one release: date, note, files, its month's figures
    api/v1/statistics/{claims,challenges}.json        operators' claims against measurements and the
                                                      akimats' challenges, every period, region, operator
    api/v1/schemas/{index,indicator,release,statistics}.schema.json

Links inside the documents are relative to the document (they work from a folder and from S3 static
hosting alike). Values are those of the releases' ``fct_programme_progress`` (already rounded to the
precision the model declares); ``status`` is ``current`` for the newest version of a month and
``superseded`` for the versions a revision replaced."""

from __future__ import annotations

import posixpath
from typing import Any

from qamtu.publish.portal.data import STATISTICS_TABLES, PortalData
from qamtu.publish.tables import NATION, ColumnDoc

API_ROOT = "api/v1"
SCHEMA_BASE = "https://qamtu.kz/api/v1/schemas/"  # an identifier only: nothing fetches it

_OBSERVATION = {
    "type": "object",
    "required": ["period", "version", "value", "unit", "status", "obs_status", "published_at", "release"],
    "additionalProperties": False,
    "properties": {
        "period": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
        "version": {"type": "integer", "minimum": 1},
        "value": {"type": ["number", "null"]},
        "unit": {"type": "string"},
        "status": {"enum": ["current", "superseded"]},
        # SDMX observation status of the completeness policy (docs/methodology.md): A normal, P provisional,
        # M withheld (value null); status_reason names the missing reports.
        "obs_status": {"enum": ["A", "P", "M"]},
        "status_reason": {"type": ["string", "null"]},
        "published_at": {"type": "string", "format": "date-time"},
        "notes": {"type": ["string", "null"]},
        "release": {"type": "string"},
    },
}
_LABELS = {"type": "object", "required": ["kk", "ru", "en"],
           "properties": {lang: {"type": "string"} for lang in ("kk", "ru", "en")}}


def _document(kind: str, title: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one kind of API document: every document names the API version (``api``)
    and its schema (``schema``) before its own properties."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + f"{kind}.schema.json",
        "title": f"Qamtu open-data API: {title}",
        "type": "object",
        "required": ["api", "schema", *required],
        "properties": {"api": {"const": "qamtu/v1"}, "schema": {"type": "string"}, **properties},
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "index": _document(
        "index", "index", ["indicators", "releases"], {
            "indicators": {"type": "array", "items": {
                "type": "object", "required": ["code", "names", "unit", "areas"],
                "properties": {"code": {"type": "string"}, "names": _LABELS, "unit": {"type": "string"},
                               "target": {"type": ["number", "null"]},
                               "deadline": {"type": ["string", "null"]},
                               "areas": {"type": "array", "items": {
                                   "type": "object", "required": ["area", "href"],
                                   "properties": {"area": {"type": "string"},
                                                  "href": {"type": "string"}}}}}}},
            "releases": {"type": "array", "items": {
                "type": "object", "required": ["period", "version", "published_at", "status", "href"],
                "properties": {"period": {"type": "string"}, "version": {"type": "integer"},
                               "published_at": {"type": "string"},
                               "status": {"enum": ["current", "superseded"]},
                               "notes": {"type": ["string", "null"]}, "href": {"type": "string"}}}},
            "statistics": {"type": "array", "items": {
                "type": "object", "required": ["name", "table", "href"],
                "properties": {"name": {"type": "string"}, "table": {"type": "string"},
                               "href": {"type": "string"}}}},
        },
    ),
    "indicator": _document(
        "indicator", "one indicator in one area, every period and version",
        ["indicator", "area", "names", "unit", "observations"], {
            "indicator": {"type": "string"}, "area": {"type": "string"}, "names": _LABELS,
            "area_names": _LABELS, "unit": {"type": "string"},
            "observations": {"type": "array", "items": _OBSERVATION},
        },
    ),
    "statistics": _document(
        "statistics", "a published statistics table, every period (as of the newest release)",
        ["name", "table", "release", "columns", "rows"], {
            "name": {"type": "string"}, "table": {"type": "string"},
            "release": {"type": "object", "required": ["period", "version", "href"]},
            "columns": {"type": "array", "items": {
                "type": "object", "required": ["name", "labels"],
                "properties": {"name": {"type": "string"}, "labels": {"type": "object"},
                               "description": {"type": "string"}}}},
            "rows": {"type": "array",
                     "items": {"type": "object", "required": ["period", "region_code", "operator"]}},
        },
    ),
    "release": _document(
        "release", "one release", ["period", "version", "published_at", "status", "files", "observations"], {
            "period": {"type": "string"}, "version": {"type": "integer"}, "published_at": {"type": "string"},
            "status": {"enum": ["current", "superseded"]}, "notes": {"type": ["string", "null"]},
            "revised_figures": {"type": "integer"},
            "files": {"type": "array", "items": {"type": "object", "required": ["name", "href"]}},
            "observations": {"type": "array", "items": {
                "type": "object", "required": ["indicator", "area", "value", "unit", "obs_status"],
                "additionalProperties": False,
                "properties": {"indicator": {"type": "string"}, "area": {"type": "string"},
                               "value": {"type": ["number", "null"]}, "unit": {"type": "string"},
                               "obs_status": {"enum": ["A", "P", "M"]},
                               "status_reason": {"type": ["string", "null"]}}}},
        },
    ),
}


def indicator_key(indicator: str, area: str) -> str:
    return f"{API_ROOT}/indicators/{indicator}/{area}.json"


def release_key(period: str, version: int) -> str:
    return f"{API_ROOT}/releases/{period}/v{version}.json"


def schema_key(kind: str) -> str:
    return f"{API_ROOT}/schemas/{kind}.schema.json"


def _rel(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source))


def _area_order(area: str) -> tuple[bool, str]:
    return area != NATION, area


def documents(data: PortalData, indicator_names: dict[str, dict[str, str]],
              targets: dict[str, dict[str, Any]], area_names: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Every API document: key (relative to the publication area) → JSON value."""
    docs: dict[str, Any] = {
        f"{API_ROOT}/schemas/{kind}.schema.json": schema for kind, schema in SCHEMAS.items()
    }
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for release in data.releases:
        values = data.version_values.get((release.period, release.version), {})
        statuses = data.version_status.get((release.period, release.version), {})
        key = release_key(release.period, release.version)
        status = "current" if release.current else "superseded"
        observations = []
        for (indicator, area), value in sorted(values.items(), key=lambda i: (i[0][0], _area_order(i[0][1]))):
            unit = data.units.get(indicator, "")
            obs_status, reason = statuses.get((indicator, area), ("A", None))
            observations.append({"indicator": indicator, "area": area, "value": value, "unit": unit,
                                 "obs_status": obs_status, "status_reason": reason})
            series.setdefault((indicator, area), []).append({
                "period": release.period, "version": release.version, "value": value, "unit": unit,
                "status": status, "obs_status": obs_status, "status_reason": reason,
                "published_at": release.published_at, "notes": release.notes,
                "release": _rel(indicator_key(indicator, area), key)})
        docs[key] = {
            "api": "qamtu/v1", "schema": _rel(key, schema_key("release")),
            "period": release.period, "version": release.version, "published_at": release.published_at,
            "status": status, "notes": release.notes, "revised_figures": release.revised_figures,
            "files": [{"name": name, "href": _rel(key, release.path + name)} for name in release.files],
            "observations": observations,
        }
    statistics = []
    for name, table_name in STATISTICS_TABLES.items():
        table = data.tables.get(table_name)
        if table is None:  # releases before the claims and challenges were published
            continue
        key = f"{API_ROOT}/statistics/{name}.json"
        documented = data.docs[table_name].columns if table_name in data.docs else {}
        columns = [documented.get(column) or ColumnDoc(name=column) for column in table.column_names]
        docs[key] = {
            "api": "qamtu/v1", "schema": _rel(key, schema_key("statistics")), "name": name,
            "table": table_name,
            "release": {"period": data.newest.period, "version": data.newest.version,
                        "href": _rel(key, release_key(data.newest.period, data.newest.version))},
            "columns": [{"name": c.name, "labels": c.labels, "description": c.description} for c in columns],
            "rows": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                     for row in table.to_pylist()],
        }
        statistics.append({"name": name, "table": table_name, "href": _rel(f"{API_ROOT}/index.json", key)})
    areas_of: dict[str, list[str]] = {}
    for (indicator, area), observations in sorted(series.items()):
        key = indicator_key(indicator, area)
        observations.sort(key=lambda o: (o["period"], o["version"]))
        docs[key] = {
            "api": "qamtu/v1", "schema": _rel(key, schema_key("indicator")),
            "indicator": indicator, "area": area,
            "names": indicator_names.get(indicator, {lang: indicator for lang in ("kk", "ru", "en")}),
            "area_names": area_names.get(area, {lang: area for lang in ("kk", "ru", "en")}),
            "unit": data.units.get(indicator, ""), "observations": observations,
        }
        areas_of.setdefault(indicator, []).append(area)
    index_key = f"{API_ROOT}/index.json"
    docs[index_key] = {
        "api": "qamtu/v1", "schema": _rel(index_key, schema_key("index")),
        "indicators": [{
            "code": code, "names": indicator_names.get(code, {lang: code for lang in ("kk", "ru", "en")}),
            "unit": data.units.get(code, ""), "target": targets.get(code, {}).get("target"),
            "deadline": targets.get(code, {}).get("deadline"),
            "areas": [{"area": a, "href": _rel(index_key, indicator_key(code, a))}
                      for a in sorted(areas_of[code], key=_area_order)],
        } for code in indicator_names if code in areas_of],
        "releases": [{"period": r.period, "version": r.version, "published_at": r.published_at,
                      "status": "current" if r.current else "superseded", "notes": r.notes,
                      "href": _rel(index_key, release_key(r.period, r.version))} for r in data.releases],
        "statistics": statistics,
    }
    return docs
