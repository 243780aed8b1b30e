"""The documentation site published with each release: dbt's own docs page (every model, column, test
and lineage graph), made self-contained the way ``dbt docs generate --static`` makes it — the manifest
and the catalog inlined into dbt's ``index.html`` — with each column's kk/ru/en labels shown beside it.

Built without running dbt or touching the warehouse (a publish must not wait for either): the
manifest is the committed ``dbt_project/target/manifest.json`` (refreshed whenever models change),
the catalog's types come from the release's own database. dbt's page loads no font, script or style
from the network; its usage tracking only starts when the manifest allows it, and ours never does.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from qamtu.publish.i18n import LANGUAGES
from qamtu.publish.tables import UNNAMED_COLUMNS
from qamtu.settings import DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
# dbt's columns table cuts each description to one line; let it wrap, so the labels and the
# description are read beside the column without expanding it.
WRAP_DESCRIPTIONS = ('<style>td[style*="text-overflow: ellipsis"]'
                     "{white-space: normal !important; overflow-x: visible !important; width: 50%; "
                     "max-width: none !important}</style>")
MANIFEST_PLACEHOLDER = '"MANIFEST.JSON INLINE DATA"'
CATALOG_PLACEHOLDER = '"CATALOG.JSON INLINE DATA"'


def dbt_index_template() -> str:
    """dbt's documentation page, as shipped with dbt-core (the page ``dbt docs generate`` writes)."""
    from dbt.task.docs import DOCS_INDEX_FILE_PATH

    return Path(DOCS_INDEX_FILE_PATH).read_text(encoding="utf-8")


def _labels(meta: dict[str, Any]) -> dict[str, str]:
    labels = (meta or {}).get("labels") or {}
    return {lang: str(labels[lang]) for lang in LANGUAGES if isinstance(labels, dict) and labels.get(lang)}


def labelled_description(description: str, labels: dict[str, str]) -> str:
    """The labels first, as plain text (the columns table shows the start of each description), then
    dbt's description: ``kk: Кезең · ru: Период · en: Period — Reporting month …``."""
    if not labels:
        return description
    line = " · ".join(f"{lang}: {labels[lang]}" for lang in LANGUAGES if lang in labels)
    return f"{line} — {description}" if description else line


# Lineage and personal columns never leave the warehouse, not even by name: the site leaves them out
# (columns, tests on them, any code or text naming them).
_UNPUBLISHED = re.compile(r"\b(" + "|".join(sorted(UNNAMED_COLUMNS)) + r")\b")
WITHHELD = "(not shown in the published documentation: it handles lineage or personal columns)"


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if not _UNPUBLISHED.fullmatch(str(k))}
    if isinstance(value, list):
        return [_scrub(v) for v in value if not (isinstance(v, str) and _UNPUBLISHED.fullmatch(v))]
    if isinstance(value, str) and _UNPUBLISHED.search(value):
        return WITHHELD
    return value


def scrub_unpublished(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without the unpublished columns: tests on them dropped, their columns removed, any
    code or description naming them replaced by a note. Ids and the lineage graph stay whole."""
    for section in ("nodes", "sources", "macros", "exposures", "metrics", "semantic_models", "saved_queries",
                    "unit_tests", "docs", "functions"):
        entries = manifest.get(section) or {}
        for unique_id in list(entries):
            entry = entries[unique_id]
            if entry.get("resource_type") == "test" and _UNPUBLISHED.search(
                    json.dumps(entry.get("test_metadata") or {}) + str(entry.get("column_name") or "")):
                del entries[unique_id]
                continue
            entries[unique_id] = {k: v if k in ("unique_id", "fqn", "depends_on", "refs", "sources")
                                  else _scrub(v) for k, v in entry.items()}
    kept = (
        set(manifest.get("nodes") or {})
        | set(manifest.get("sources") or {})
        | set(manifest.get("exposures") or {})
    )
    for graph in ("parent_map", "child_map"):
        if graph in manifest:
            manifest[graph] = {k: [i for i in v if i in kept or not i.startswith("test.")]
                               for k, v in manifest[graph].items() if k in kept or not k.startswith("test.")}
    return manifest


def docs_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest as the site shows it (changed in place): unpublished columns out, labels beside
    every model and column, tracking off."""
    shown = scrub_unpublished(manifest)
    shown.setdefault("metadata", {})["send_anonymous_usage_stats"] = False
    for node in list(shown.get("nodes", {}).values()) + list(shown.get("sources", {}).values()):
        node_meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
        node["description"] = labelled_description(node.get("description") or "", _labels(node_meta))
        for column in (node.get("columns") or {}).values():
            meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
            column["description"] = labelled_description(column.get("description") or "", _labels(meta))
    return shown


def docs_catalog_json(manifest: dict[str, Any], published: dict[str, dict[str, Any]],
                      generated_at: str | None = None) -> dict[str, Any]:
    """A dbt catalog: for the published marts the types and row counts of the release's database, for
    every other model the types its YAML declares (contracts are enforced, so they are the real ones).
    ``generated_at`` is the release's publication time, so the same release gives the same page."""
    nodes = {}
    for unique_id, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        name = node["name"]
        if name in published:
            columns = {
                column: {"type": str(data_type), "index": index, "name": column, "comment": comment}
                for index, (column, data_type, comment) in enumerate(published[name]["columns"], start=1)
            }
            stats = {"row_count": {"id": "row_count", "label": "Row count", "value": published[name]["rows"],
                                   "include": True, "description": "Rows in this release"},
                     "has_stats": {"id": "has_stats", "label": "Has Stats?", "value": True, "include": False,
                                   "description": "Indicates whether there are statistics for this table"}}
        else:
            columns = {column["name"]: {"type": column.get("data_type") or "", "index": index,
                                        "name": column["name"], "comment": None}
                       for index, column in enumerate((node.get("columns") or {}).values(), start=1)}
            stats = {"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": False, "include": False,
                                   "description": "Indicates whether there are statistics for this table"}}
        materialized = (node.get("config") or {}).get("materialized")
        nodes[unique_id] = {
            "metadata": {"type": "VIEW" if materialized == "view" else "BASE TABLE",
                         "schema": node.get("schema"),
                         "name": node.get("alias") or name, "database": node.get("database"), "comment": None,
                         "owner": None},
            "columns": columns,
            "stats": stats,
            "unique_id": unique_id,
        }
    return {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json",
            "dbt_version": manifest.get("metadata", {}).get("dbt_version"),
            "generated_at": generated_at or dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "invocation_id": None,
            "env": {},
        },
        "nodes": nodes,
        "sources": {},
        "errors": None,
    }


def _inline(data: dict[str, Any]) -> str:
    # "</script>" inside the JSON would end dbt's script element.
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def build_docs_site(published: dict[str, dict[str, Any]], title: str = "Qamtu",
                    manifest_path: Path | None = None, generated_at: str | None = None) -> str:
    """One self-contained HTML page: dbt's docs with our manifest and catalog inlined."""
    manifest_path = manifest_path or MANIFEST_PATH
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{manifest_path}: the dbt manifest is missing; run "
                                "`python -m qamtu.warehouse.dbt_runner` to write it")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    page = dbt_index_template()
    if MANIFEST_PLACEHOLDER not in page or CATALOG_PLACEHOLDER not in page:
        raise ValueError("dbt's docs page has no inline-data placeholders: this dbt version builds "
                         "static docs differently")
    shown = docs_manifest(manifest)
    page = page.replace(MANIFEST_PLACEHOLDER, _inline(shown), 1)
    page = page.replace(CATALOG_PLACEHOLDER, _inline(docs_catalog_json(shown, published, generated_at)), 1)
    page = page.replace("</head>", f"{WRAP_DESCRIPTIONS}</head>", 1)
    return page.replace("<title>dbt Docs</title>", f"<title>{title} — dbt Docs</title>", 1)
