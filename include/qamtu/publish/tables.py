"""What a release is made of: the promoted marts (read from the warehouse) and their documentation
(read from the dbt project's YAML files), plus the submissions that were current when it was made."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from qamtu.periods import parse_period, period_end
from qamtu.publish.i18n import LANGUAGES
from qamtu.settings import DBT_PROJECT_DIR, DOCS_DIR, MARTS_SCHEMA
from qamtu.warehouse import Warehouse, quote_ident

METHODOLOGY_FILE = DOCS_DIR / "methodology.md"

PROGRESS_TABLE = "fct_programme_progress"
NATION = "KZ"

# Lineage and personal columns: never in a release, not even by name (the documentation site leaves out
# every column, test and text naming one).
UNNAMED_COLUMNS = frozenset({
    "submission_id", "source_key", "source_line", "loaded_at", "archive_key", "superseded_by",
    "quarantine_reason", "raw_value", "inspector_name", "contact_name", "contact_phone", "iin",
})
# ... and with ingestion's bookkeeping and generic personal names, the columns no published table carries.
PRIVATE_COLUMNS = UNNAMED_COLUMNS | frozenset({
    "sha256", "received_at", "contract_version", "rows_read", "rows_loaded", "rows_quarantined",
    "defect", "rule", "email", "phone",
})


@dataclass
class ColumnDoc:
    name: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # kk/ru/en
    # Decimals every published copy keeps: an int, or a UnitPrecision when the unit is in another column.
    precision: int | UnitPrecision | None = None


@dataclass(frozen=True)
class UnitPrecision:
    """``precision: {by: unit, km: 1, percent: 2, …}``: decimals chosen per row by the unit column."""
    by: str
    decimals: dict[str, int]


@dataclass
class TableDoc:
    name: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    columns: dict[str, ColumnDoc] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)


@dataclass
class MartTable:
    name: str
    data: pa.Table
    doc: TableDoc

    def column_doc(self, column: str) -> ColumnDoc:
        return self.doc.columns.get(column) or ColumnDoc(name=column)

    def column_label(self, column: str, language: str) -> str:
        return self.column_doc(column).labels.get(language) or column


# --- documentation -------------------------------------------------------------------------------
def _labels_from_meta(meta: Any) -> dict[str, str]:
    """Labels as the dbt YAML holds them: ``meta: {labels: {kk, ru, en}}`` (also ``label_kk`` … or
    ``label: {kk, ru, en}``)."""
    if not isinstance(meta, dict):
        return {}
    for key in ("labels", "label"):
        candidate = meta.get(key)
        if isinstance(candidate, dict) and any(lang in candidate for lang in LANGUAGES):
            return {lang: str(candidate[lang]) for lang in LANGUAGES if candidate.get(lang)}
    flat = {lang: str(meta[f"label_{lang}"]) for lang in LANGUAGES if meta.get(f"label_{lang}")}
    if flat:
        return flat
    return {lang: str(meta[lang]) for lang in LANGUAGES if isinstance(meta.get(lang), str)}


def _precision_from_meta(value: Any, where: str) -> int | UnitPrecision | None:
    """``meta.precision`` of a column: decimals (0–9), or per unit ``{by: <column>, <unit>: decimals …}``."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        return value
    if isinstance(value, dict) and isinstance(value.get("by"), str):
        decimals = {str(k): v for k, v in value.items() if k != "by"}
        if decimals and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 9
                            for v in decimals.values()):
            return UnitPrecision(by=value["by"], decimals=decimals)
    raise ValueError(f"{where}: meta precision {value!r} is not a number of decimals 0–9 "
                     "nor {by: <unit column>, <unit>: <decimals>, …}")


def _meta(node: dict) -> dict:
    meta = dict(node.get("meta") or {})
    config = node.get("config") or {}
    meta.update(config.get("meta") or {})  # dbt ≥ 1.10 puts meta under config
    return meta


def _primary_key(node: dict, meta: dict) -> list[str]:
    declared = meta.get("primary_key")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [str(c) for c in declared]
    for constraint in node.get("constraints") or []:
        if constraint.get("type") == "primary_key":
            return [str(c) for c in constraint.get("columns") or []]
    return []


def load_docs(project_dir: Path | None = None) -> dict[str, TableDoc]:
    """Descriptions and kk/ru/en labels of every model documented in the dbt project's YAML files."""
    import yaml

    yaml_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    project_dir = project_dir or DBT_PROJECT_DIR
    docs: dict[str, TableDoc] = {}
    models_dir = project_dir / "models"
    if not models_dir.is_dir():
        return docs
    for path in sorted(models_dir.rglob("*.yml")) + sorted(models_dir.rglob("*.yaml")):
        try:
            # libyaml's parser when the wheel has it: the pure-Python one takes seconds for the whole project.
            content = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML ({error})") from error
        for model in content.get("models") or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            meta = _meta(model)
            doc = TableDoc(
                name=str(model["name"]),
                description=str(model.get("description") or "").strip(),
                labels=_labels_from_meta(meta),
                primary_key=_primary_key(model, meta),
            )
            for column in model.get("columns") or []:
                if not isinstance(column, dict) or "name" not in column:
                    continue
                column_meta = _meta(column)
                doc.columns[str(column["name"])] = ColumnDoc(
                    name=str(column["name"]),
                    description=str(column.get("description") or "").strip(),
                    labels=_labels_from_meta(column_meta),
                    precision=_precision_from_meta(column_meta.get("precision"),
                                                   f"{path}: model {doc.name}, column {column['name']}"),
                )
            docs[doc.name] = doc
    return docs


def methodology_text() -> str:
    if not METHODOLOGY_FILE.is_file():
        raise FileNotFoundError(f"{METHODOLOGY_FILE}: the methodology shipped with every release is missing")
    return METHODOLOGY_FILE.read_text(encoding="utf-8")


# --- marts ---------------------------------------------------------------------------------------
def _column_types(warehouse: Warehouse, schema: str, table: str) -> dict[str, str]:
    return {
        str(name): str(data_type).lower()
        for name, data_type in warehouse.rows(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
    }


def _to_arrow(warehouse: Warehouse, sql: str, params: list[Any]) -> pa.Table:
    if warehouse.dialect == "duckdb":
        return warehouse.raw.sql(sql, params=params).to_arrow_table()
    frame = warehouse.frame(sql, params)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _normalise(table: pa.Table) -> pa.Table:
    """Types every reader handles: decimals → float64, timezone-aware timestamps → UTC."""
    columns = []
    for column_field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_decimal(column_field.type):
            column = column.cast(pa.float64())
        elif pa.types.is_integer(column_field.type) and column_field.type != pa.int64():
            column = column.cast(pa.int64())
        elif pa.types.is_floating(column_field.type) and column_field.type != pa.float64():
            column = column.cast(pa.float64())
        elif pa.types.is_timestamp(column_field.type) and column_field.type.tz:
            column = column.cast(pa.timestamp("us", tz="UTC"))
        elif pa.types.is_large_string(column_field.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


# SQL types as information_schema names them in DuckDB and PostgreSQL → the one Arrow type published,
# so a release does not depend on which warehouse (or driver) produced it.
_INTEGER_TYPES = ("bigint", "integer", "smallint", "int", "int2", "int4", "int8", "hugeint", "tinyint",
                  "ubigint", "uinteger", "usmallint", "utinyint")
_FLOAT_TYPES = ("double", "double precision", "real", "float", "float4", "float8", "numeric", "decimal")


def _published_type(sql_type: str) -> pa.DataType | None:
    base = sql_type.split("(")[0].strip()
    if base in _INTEGER_TYPES:
        return pa.int64()
    if base in _FLOAT_TYPES:
        return pa.float64()
    if base == "boolean":
        return pa.bool_()
    if base == "date":
        return pa.date32()
    if base.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC") if "with time zone" in base else pa.timestamp("us")
    if base in ("text", "character varying", "varchar", "character", "char", "string"):
        return pa.string()
    return None


def _conform(table: pa.Table, types: dict[str, str]) -> pa.Table:
    """Every column cast to the type its SQL type publishes as (PostgreSQL through pandas turns an
    integer column with nulls into float64), schema metadata dropped (pandas adds its own)."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        wanted = _published_type(types.get(name, ""))
        if wanted is not None and column.type != wanted:
            column = column.cast(wanted)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


_NOISE_DECIMALS = 6  # of the scaled value: float noise (1e-13 relative) goes before the half-up rounding


def _round(values: pa.ChunkedArray, decimals: int) -> pa.ChunkedArray:
    """Half away from zero at ``decimals``, as a statistics office prints: 0.285 → 0.29 although the double is
    0.28499999999999998. The value is scaled, cleaned of noise, rounded to a whole number and scaled back
    (a whole number divided by a power of ten is the double nearest the decimal, so it prints short)."""
    scale = 10.0 ** decimals
    scaled = pc.round(pc.multiply(values, scale), ndigits=_NOISE_DECIMALS, round_mode="half_to_even")
    return pc.divide(pc.round(scaled, ndigits=0, round_mode="half_towards_infinity"), scale)


def apply_precision(table: pa.Table, doc: TableDoc) -> pa.Table:
    """Round every floating column to the decimals its documentation declares (``meta.precision``):
    the one place published numbers are rounded, so every format carries the same digits."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        precision = doc.columns[name].precision if name in doc.columns else None
        if precision is not None and pa.types.is_floating(column.type):
            if isinstance(precision, UnitPrecision):
                if precision.by not in table.column_names:
                    raise ValueError(
                        f"{doc.name}.{name}: precision is by {precision.by!r}, which the table lacks"
                    )
                units = table.column(precision.by)
                unknown = set(pc.unique(units).to_pylist()) - set(precision.decimals) - {None}
                if unknown:
                    raise ValueError(f"{doc.name}.{name}: no precision declared for unit(s) "
                                     f"{sorted(unknown)} (meta precision of the column in the model's YAML)")
                rounded = column
                for unit, decimals in precision.decimals.items():
                    rounded = pc.if_else(pc.equal(units, unit), _round(column, decimals), rounded)
                column = rounded
            else:
                column = _round(column, precision)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def mart_names(warehouse: Warehouse, schema: str = MARTS_SCHEMA) -> list[str]:
    return sorted(
        str(r[0])
        for r in warehouse.rows(
            "select table_name from information_schema.tables where table_schema = ? "
            "and (table_name like 'fct%' or table_name like 'dim%')",
            [schema],
        )
    )


def load_marts(
    warehouse: Warehouse, period: str, docs: dict[str, TableDoc], schema: str = MARTS_SCHEMA,
    echo=print,
) -> list[MartTable]:
    """Every mart as it stands, restricted to the periods up to ``period`` (history included: a release
    is the vintage of everything known at that month), private columns removed, rows in a stable order."""
    parse_period(period)
    names = mart_names(warehouse, schema)
    if PROGRESS_TABLE not in names:
        raise LookupError(
            f"{schema}.{PROGRESS_TABLE} does not exist in the {warehouse.dialect} warehouse: "
            "build, audit and promote the marts before publishing"
        )
    marts = []
    for name in names:
        types = _column_types(warehouse, schema, name)
        private = [c for c in types if c.lower() in PRIVATE_COLUMNS]
        if private:
            echo(f"publish: {schema}.{name}: leaving out private column(s) {', '.join(private)}")
        public = [c for c in types if c not in private]
        select = ", ".join(quote_ident(c) for c in public)
        where, params = "", []
        if "period" in types:
            if "date" in types["period"] or "timestamp" in types["period"]:
                where, params = f"where {quote_ident('period')} <= ?", [period_end(period)]
            else:
                where, params = f"where {quote_ident('period')} <= ?", [period]
        order = ", ".join(str(i) for i in range(1, len(public) + 1))
        sql = f"select {select} from {quote_ident(schema)}.{quote_ident(name)} {where} order by {order}"
        doc = docs.get(name) or TableDoc(name=name)
        data = apply_precision(_conform(_normalise(_to_arrow(warehouse, sql, params)), types), doc)
        marts.append(MartTable(name=name, data=data, doc=doc))
    progress = next(m for m in marts if m.name == PROGRESS_TABLE)
    periods = (
        set(progress.data.column("period").to_pylist()) if "period" in progress.data.column_names else set()
    )
    if period not in {str(p)[:7] for p in periods}:
        raise LookupError(
            f"{schema}.{PROGRESS_TABLE} holds no figures for {period}: build, audit and promote "
            f"{period} before publishing it"
        )
    return marts


def canonical_csv(table: pa.Table) -> bytes:
    """The table as plain CSV (no BOM): the bytes a content fingerprint is taken over."""
    buffer = io.BytesIO()
    pa_csv.write_csv(_csv_ready(table), buffer)
    return buffer.getvalue()


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text (``2026-03-31T12:00:00Z``), which every CSV reader parses."""
    columns = []
    for column_field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(column_field.type):
            values = [None if v is None else v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in column.to_pylist()]
            column = pa.chunked_array([pa.array(values, type=pa.string())])
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def content_fingerprint(marts: list[MartTable], methodology: str) -> str:
    """sha256 over what a release says (data, field documentation, methodology), not when it was made:
    the same content published twice yields the same fingerprint, so no new version."""
    digest = hashlib.sha256()
    for mart in sorted(marts, key=lambda m: m.name):
        digest.update(f"table:{mart.name}\n{mart.data.schema}\n".encode())
        digest.update(canonical_csv(mart.data))
        for column in mart.data.column_names:
            doc = mart.column_doc(column)
            digest.update(f"{column}|{doc.description}|{sorted(doc.labels.items())}\n".encode())
    digest.update(methodology.encode("utf-8"))
    return digest.hexdigest()


# --- provenance ----------------------------------------------------------------------------------
def current_inputs(warehouse: Warehouse, period: str) -> list[dict[str, str]]:
    """The submissions the published marts of every period up to ``period`` were built from: what the
    release was made from (recorded at each promotion, :func:`qamtu.quality.candidate.promoted_inputs`)."""
    from qamtu.quality.candidate import promoted_inputs

    return promoted_inputs(warehouse, period)
