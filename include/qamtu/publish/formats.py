"""The files of a release: each mart as CSV (UTF-8 with BOM), XLSX and Parquet; the Frictionless
data package; SDMX-CSV 2.0 of the headline indicators with its SDMX-ML structure; the data
dictionary. Every writer is a pure function from tables to bytes or a file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qamtu.publish.i18n import LANGUAGES, UI
from qamtu.publish.tables import NATION, MartTable, canonical_csv

BOM = "\ufeff".encode()
XLSX_MAX_ROWS = 1_048_576
XLSX_HEADER_ROWS = 4  # kk, ru, en labels, then the column's code
XLSX_CREATED = dt.datetime(2000, 1, 1)

SDMX_AGENCY = "QAMTU"
SDMX_DATAFLOW = "DF_CONNECTIVITY"
SDMX_VERSION = "1.0"
SDMX_STRUCTURE_ID = f"{SDMX_AGENCY}:{SDMX_DATAFLOW}({SDMX_VERSION})"
SDMX_COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "REF_AREA", "INDICATOR", "TIME_PERIOD",
                "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS")
# SDMX's code list of observation status (CL_OBS_STATUS), the codes the completeness policy uses.
OBS_STATUS_CODES = {
    "A": {"en": "Normal value", "ru": "Обычное значение", "kk": "Қалыпты мән"},
    "P": {"en": "Provisional value", "ru": "Предварительное значение", "kk": "Алдын ала мән"},
    "M": {"en": "Missing value (withheld: a report it needs is missing)",
          "ru": "Значение отсутствует (не опубликовано: нет необходимого отчёта)",
          "kk": "Мән жоқ (жарияланбады: қажетті есеп жоқ)"},
}


# --- CSV / Parquet -------------------------------------------------------------------------------
def write_csv(table: pa.Table, path: Path) -> None:
    """UTF-8 with a byte-order mark, so Excel opens Cyrillic and Kazakh letters correctly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BOM + canonical_csv(table))


def write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")


# --- XLSX ----------------------------------------------------------------------------------------
def write_xlsx(marts: list[MartTable], path: Path, title: dict[str, str], echo=print) -> None:
    """One workbook, an ``about`` sheet then one sheet per mart. Each sheet opens with three header
    rows of labels (Kazakh, Russian, English) and a fourth with the column's code, frozen above the data,
    with an autofilter on the codes (``qamtu.publish.xlsx`` writes it, a column at a time)."""
    from qamtu.publish.xlsx import CODE, HEADER, LABEL, PLAIN, Sheet, write_workbook

    about = Sheet(name="about", widths=[34, 60, 60, 60])
    about.rows = [[(title[language], HEADER)] for language in LANGUAGES]
    about.rows += [[], [(name, CODE) for name in ("sheet", *LANGUAGES)]]
    for mart in marts:
        labels = [mart.doc.labels.get(lang) or mart.doc.description or mart.name for lang in LANGUAGES]
        about.rows.append([(text, PLAIN) for text in (mart.name, *labels)])
    sheets = [about]
    for mart in marts:
        columns = mart.data.column_names
        sheet = Sheet(name=mart.name[:31], frozen=XLSX_HEADER_ROWS,
                      widths=[max(12, min(40, len(mart.column_label(c, "ru")) + 2)) for c in columns])
        sheet.rows = [[(mart.column_label(c, language), HEADER if row == 0 else LABEL) for c in columns]
                      for row, language in enumerate(LANGUAGES)]
        sheet.rows.append([(c, CODE) for c in columns])
        if mart.data.num_rows + XLSX_HEADER_ROWS > XLSX_MAX_ROWS:
            note = (f"{mart.data.num_rows} rows: too many for a sheet, "
                    "see the CSV or Parquet file of this table")
            sheet.rows.append([(note, PLAIN)])
            echo(f"publish: {mart.name} has {mart.data.num_rows} rows, written to CSV/Parquet only")
        else:
            sheet.table, sheet.filter_row = mart.data, XLSX_HEADER_ROWS
        sheets.append(sheet)
    # No timestamp inside but this fixed one: the same tables give the same bytes (a release is reproducible).
    write_workbook(path, sheets, XLSX_CREATED)


# --- Frictionless data package -------------------------------------------------------------------
def _field_type(arrow_type: pa.DataType) -> dict[str, Any]:
    if pa.types.is_boolean(arrow_type):
        return {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}
    if pa.types.is_integer(arrow_type):
        return {"type": "integer"}
    if pa.types.is_floating(arrow_type):
        return {"type": "number"}
    if pa.types.is_date(arrow_type):
        return {"type": "date"}
    if pa.types.is_timestamp(arrow_type):
        return {"type": "datetime"}
    return {"type": "string"}


def datapackage(marts: list[MartTable], period: str, version: int, title: dict[str, str],
                published_at: str, extra_resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A Frictionless Data Package (v1 descriptor) whose resources are the CSV files of the marts and
    of the SDMX-CSV; every field with its type, description and kk/ru/en labels (``x-labels``)."""
    resources = []
    for mart in marts:
        fields = []
        for column_field in mart.data.schema:
            doc = mart.column_doc(column_field.name)
            entry: dict[str, Any] = {"name": column_field.name, **_field_type(column_field.type)}
            if doc.labels.get("en"):
                entry["title"] = doc.labels["en"]
            if doc.description:
                entry["description"] = doc.description
            if doc.labels:
                entry["x-labels"] = {lang: doc.labels[lang] for lang in LANGUAGES if lang in doc.labels}
            fields.append(entry)
        schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
        if mart.doc.primary_key and all(c in mart.data.column_names for c in mart.doc.primary_key):
            schema["primaryKey"] = mart.doc.primary_key
        resource = {
            "name": mart.name,
            "path": f"csv/{mart.name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": schema,
            "x-rows": mart.data.num_rows,
            "x-alternatives": {"parquet": f"parquet/{mart.name}.parquet",
                               "xlsx": f"xlsx/qamtu-{period}.xlsx#{mart.name[:31]}"},
        }
        if mart.doc.labels.get("en"):
            resource["title"] = mart.doc.labels["en"]
        if mart.doc.description:
            resource["description"] = mart.doc.description
        if mart.doc.labels:
            resource["x-labels"] = dict(mart.doc.labels)
        resources.append(resource)
    resources.extend(extra_resources)
    return {
        "profile": "tabular-data-package",
        "name": f"qamtu-{period}-v{version}",
        "title": title["en"],
        "x-titles": dict(title),
        "version": f"{version}.0.0",
        "created": published_at,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0"}],
        "keywords": ["Kazakhstan", "connectivity", "fibre", "5G", "mobile coverage"],
        "resources": resources,
    }


def sdmx_resource() -> dict[str, Any]:
    fields = [
        {"name": "STRUCTURE", "type": "string", "constraints": {"enum": ["dataflow"]}},
        {"name": "STRUCTURE_ID", "type": "string", "constraints": {"enum": [SDMX_STRUCTURE_ID]}},
        {"name": "ACTION", "type": "string", "constraints": {"enum": ["I"]}},
        {"name": "FREQ", "type": "string", "description": "Frequency (M = monthly)"},
        {"name": "REF_AREA", "type": "string", "description": "KZ = the nation, else the region's KATO code"},
        {"name": "INDICATOR", "type": "string", "description": "Headline indicator code"},
        {"name": "TIME_PERIOD", "type": "yearmonth", "description": "The month (state at its end)"},
        {"name": "OBS_VALUE", "type": "number", "description": "The indicator's value"},
        {"name": "UNIT_MEASURE", "type": "string", "description": "Unit of the value"},
        {"name": "OBS_STATUS", "type": "string", "constraints": {"enum": list(OBS_STATUS_CODES)},
         "description": "A normal, P provisional, M missing (withheld: OBS_VALUE empty); "
                        "docs/methodology.md"},
    ]
    return {
        "name": "headline_indicators_sdmx",
        "title": "Headline indicators (SDMX-CSV 2.0)",
        "path": "sdmx/headline_indicators.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "application/vnd.sdmx.data+csv;version=2.0.0",
        "encoding": "utf-8",
        "schema": {"fields": fields, "primaryKey": ["REF_AREA", "INDICATOR", "TIME_PERIOD"]},
        "x-structure": "sdmx/structure.xml",
    }


# --- SDMX ----------------------------------------------------------------------------------------
def _sdmx_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def headline_observations(progress: pa.Table) -> list[dict[str, Any]]:
    """(region, period, indicator, value, unit, status) of the headline indicators, from the programme
    progress mart. A figure withheld by the completeness policy (status M) is an observation without a
    value; a figure that is simply not defined (no value, status A) is left out."""
    rows = progress.to_pylist()
    observations = []
    for row in rows:
        value = row.get("actual")
        status = str(row.get("obs_status") or "A")
        if value is not None and isinstance(value, float) and math.isnan(value):
            value = None
        if value is None and status != "M":
            continue
        observations.append({
            "REF_AREA": str(row["region_code"]),
            "INDICATOR": str(row["indicator"]),
            "TIME_PERIOD": str(row["period"])[:7],
            "OBS_VALUE": None if value is None else float(value),
            "UNIT_MEASURE": str(row.get("unit") or ""),
            "OBS_STATUS": status,
        })
    observations.sort(key=lambda o: (o["INDICATOR"], o["REF_AREA"] != NATION, o["REF_AREA"],
                                     o["TIME_PERIOD"]))
    return observations


def sdmx_csv(observations: list[dict[str, Any]]) -> bytes:
    """SDMX-CSV 2.0: STRUCTURE, STRUCTURE_ID, ACTION, the dimensions, OBS_VALUE, the attribute.
    Plain UTF-8 without BOM: SDMX readers expect the first header to be exactly ``STRUCTURE``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SDMX_COLUMNS)
    for obs in observations:
        value = "" if obs["OBS_VALUE"] is None else _sdmx_number(obs["OBS_VALUE"])
        writer.writerow(["dataflow", SDMX_STRUCTURE_ID, "I", "M", obs["REF_AREA"], obs["INDICATOR"],
                         obs["TIME_PERIOD"], value, obs["UNIT_MEASURE"], obs.get("OBS_STATUS", "A")])
    return buffer.getvalue().encode("utf-8")


def sdmx_structure(
    areas: dict[str, dict[str, str]], indicators: dict[str, dict[str, str]], units: list[str], header_id: str,
) -> bytes:
    """The SDMX-ML 2.1 structure message (code lists, concepts, DSD, dataflow) the SDMX-CSV refers to,
    written with sdmx1 so any SDMX tool can read the CSV against it."""
    import sdmx
    from sdmx.message import Header, StructureMessage
    from sdmx.model import common
    from sdmx.model import v21 as model

    agency = common.Agency(id=SDMX_AGENCY, name={"en": "Qamtu connectivity statistics"})

    def codelist(codelist_id: str, name: str, codes: dict[str, dict[str, str]]) -> model.Codelist:
        result = model.Codelist(id=codelist_id, maintainer=agency, version=SDMX_VERSION, is_final=True,
                                name={"en": name})
        for code_id, names in codes.items():
            result.append(model.Code(id=code_id, name={k: v for k, v in names.items() if v}))
        return result

    cl_area = codelist("CL_AREA", "Kazakhstan and its regions (KATO)", areas)
    cl_indicator = codelist("CL_INDICATOR", "Headline indicators", indicators)
    cl_freq = codelist("CL_FREQ", "Frequency", {"M": {"en": "Monthly", "ru": "Ежемесячно", "kk": "Ай сайын"}})
    cl_unit = codelist("CL_UNIT", "Units", {unit: {"en": unit} for unit in units})
    cl_obs_status = codelist("CL_OBS_STATUS", "Observation status", OBS_STATUS_CODES)
    concepts = model.ConceptScheme(id="CS_QAMTU", maintainer=agency, version=SDMX_VERSION, is_final=True,
                                   name={"en": "Qamtu concepts"})
    concept_names = {"FREQ": "Frequency", "REF_AREA": "Reference area", "INDICATOR": "Indicator",
                     "TIME_PERIOD": "Time period", "OBS_VALUE": "Observation value", "UNIT_MEASURE": "Unit",
                     "OBS_STATUS": "Observation status"}
    for concept_id, name in concept_names.items():
        concepts.append(common.Concept(id=concept_id, name={"en": name}))
    dsd = model.DataStructureDefinition(id="DSD_CONNECTIVITY", maintainer=agency, version=SDMX_VERSION,
                                        is_final=True, name={"en": "Connectivity headline indicators"})
    for order, (dimension_id, enumeration) in enumerate(
        [("FREQ", cl_freq), ("REF_AREA", cl_area), ("INDICATOR", cl_indicator)]
    ):
        dsd.dimensions.append(common.Dimension(
            id=dimension_id, order=order, concept_identity=concepts[dimension_id],
            local_representation=common.Representation(enumerated=enumeration)))
    dsd.dimensions.append(common.TimeDimension(id="TIME_PERIOD", order=3,
                                               concept_identity=concepts["TIME_PERIOD"]))
    dsd.measures.append(model.PrimaryMeasure(id="OBS_VALUE", concept_identity=concepts["OBS_VALUE"]))
    dsd.attributes.append(common.DataAttribute(
        id="UNIT_MEASURE", concept_identity=concepts["UNIT_MEASURE"],
        local_representation=common.Representation(enumerated=cl_unit),
        related_to=model.PrimaryMeasureRelationship()))
    dsd.attributes.append(common.DataAttribute(
        id="OBS_STATUS", concept_identity=concepts["OBS_STATUS"],
        local_representation=common.Representation(enumerated=cl_obs_status),
        related_to=model.PrimaryMeasureRelationship()))
    dataflow = model.DataflowDefinition(id=SDMX_DATAFLOW, maintainer=agency,
                                        version=SDMX_VERSION, is_final=True,
                                        structure=dsd,
                                        name={"en": "Connectivity of Kazakhstan: headline indicators"})
    message = StructureMessage(header=Header(id=header_id, sender=agency))
    for item in (cl_area, cl_indicator, cl_freq, cl_unit, cl_obs_status, concepts, dsd, dataflow):
        message.add(item)
    return sdmx.to_xml(message, pretty_print=True)


# --- data dictionary -----------------------------------------------------------------------------
def _type_name(arrow_type: pa.DataType) -> str:
    return _field_type(arrow_type)["type"]


def data_dictionary_csv(marts: list[MartTable]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "column", "type", "description", "label_kk", "label_ru", "label_en"])
    for mart in marts:
        for column_field in mart.data.schema:
            doc = mart.column_doc(column_field.name)
            writer.writerow([mart.name, column_field.name, _type_name(column_field.type), doc.description,
                             doc.labels.get("kk", ""), doc.labels.get("ru", ""), doc.labels.get("en", "")])
    return BOM + buffer.getvalue().encode("utf-8")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary_markdown(marts: list[MartTable], period: str, version: int) -> bytes:
    lines = [f"# Data dictionary — release {period} v{version}", ""]
    for mart in marts:
        lines += [f"## `{mart.name}` ({mart.data.num_rows} rows)", ""]
        if mart.doc.labels:
            lines += [
                " / ".join(mart.doc.labels.get(lang, "") for lang in LANGUAGES if mart.doc.labels.get(lang)),
                "",
            ]
        if mart.doc.description:
            lines += [mart.doc.description, ""]
        header = ["column", "type", "description"] + [f"{UI['column'][lang]} ({lang})" for lang in LANGUAGES]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for column_field in mart.data.schema:
            doc = mart.column_doc(column_field.name)
            cells = [f"`{column_field.name}`", _type_name(column_field.type), doc.description] + [
                doc.labels.get(lang, "") for lang in LANGUAGES]
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines).encode("utf-8")


def dumps_json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n").encode(
        "utf-8"
    )
