"""The submitter documentation (``docs/contract.md``), generated from the schemas and the rule catalogue.

``python -m qamtu.contracts.docs`` rewrites the committed file; a test fails when it drifts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from qamtu.contracts import (
    BOOLEAN_FALSE,
    BOOLEAN_TRUE,
    FORMATS,
    KINDS,
    LANGUAGES,
    TOTALS_MARKERS,
    Contract,
    Field,
    all_contracts,
    report_types_of,
    submitters,
)
from qamtu.contracts.rules import (
    CONSTRAINT_RULES,
    FILE_RULES,
    LANDING_LAYOUT,
    PATTERN_WORDS,
    REFERENCE_WORDS,
    distinct_spellings,
    rule_statement,
)
from qamtu.settings import DOCS_DIR

DOC_PATH = DOCS_DIR / "contract.md"

KIND_WORDS = {
    "operator": "Telecom operators",
    "akimat": "Akimats (regional executive bodies)",
    "measurement": "Measurement platform",
}
NATURE_WORDS = {
    "snapshot": "snapshot: the state as at the last day of the month; a resubmission replaces it entirely",
    "events": "events: each row carries its own dates, which fall in or before the month",
}
# Report order of the spec (operators, akimats, measurement).
SPEC_ORDER = (
    "settlement_fiber",
    "base_stations",
    "road_coverage",
    "city_5g",
    "land_allocation",
    "pole_access",
    "quality_inspections",
    "power_connections",
    "settlement_connectivity",
    "challenges",
    "challenge_responses",
    "speed_tests",
)
SUBMITTER_PLACEHOLDER = {"operator": "<operator>", "akimat": "<region code>", "measurement": "qos"}


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell (the landing layout as code, or its <…> read as HTML)."""
    text = str(text).replace(LANDING_LAYOUT, f"`{LANDING_LAYOUT}`")
    return text.replace("|", "\\|").replace("\n", " ")


def _codes(items) -> str:
    return ", ".join(f"`{_cell(i)}`" for i in items)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _field_rules(field: Field) -> str:
    parts: list[str] = []
    if field.minimum is not None and field.maximum is not None:
        parts.append(f"{_number(field.minimum)} – {_number(field.maximum)}")
    elif field.minimum is not None:
        parts.append(f"≥ {_number(field.minimum)}")
    elif field.maximum is not None:
        parts.append(f"≤ {_number(field.maximum)}")
    if field.exclusive_minimum is not None:
        parts.append(f"> {_number(field.exclusive_minimum)}")
    if field.exclusive_maximum is not None:
        parts.append(f"< {_number(field.exclusive_maximum)}")
    if field.pattern:
        parts.append(PATTERN_WORDS.get(field.pattern, {}).get("en", f"matches `{field.pattern}`"))
    if field.unique:
        parts.append("unique in the file")
    if field.reference:
        parts.append(f"must be {REFERENCE_WORDS[field.reference]['en']}")
    if field.in_submitter_region:
        parts.append("in the akimat's own region")
    if field.enum and not field.value_labels and not field.value_aliases:
        parts.append("one of " + _codes(field.enum))
    return "; ".join(parts) or "—"


def _accepted_values(field: Field) -> str:
    if field.type == "boolean":
        return "yes: " + _codes(BOOLEAN_TRUE) + "<br>no: " + _codes(BOOLEAN_FALSE)
    if not field.enum:
        return "—"
    lines = []
    for value in field.enum:
        labels = field.value_labels.get(value, {})
        spellings = distinct_spellings(
            [*(labels.get(lang, "") for lang in LANGUAGES if labels.get(lang)),
             *field.value_aliases.get(value, ())]
        )
        spellings = [s for s in spellings if s.casefold() != value.casefold()]
        lines.append(f"`{_cell(value)}`" + (": " + _codes(spellings) if spellings else ""))
    return "<br>".join(lines)


def _type_words(field: Field) -> str:
    return {"datetime": "datetime (UTC)", "boolean": "boolean (yes/no)"}.get(field.type, field.type)


def _landing_key(contract: Contract) -> str:
    return (f"landing/{contract.kind}/{SUBMITTER_PLACEHOLDER[contract.kind]}/<YYYY-MM>/"
            f"{contract.report_type}.<ext>")


def _report_section(number: int, contract: Contract) -> list[str]:
    c = contract
    title = " / ".join(c.labels.get(lang, c.title) for lang in ("en", "ru", "kk"))
    out = [f"### {number}. `{c.report_type}` — {title}", ""]
    out.append(c.description)
    out.append("")
    out.append(f"- Submitted by: {KIND_WORDS[c.kind].lower()} (`{c.kind}`); contract version {c.version}.")
    out.append(f"- Landing key: `{_landing_key(c)}`.")
    formats = ", ".join(f"`{f}`" for f in FORMATS)
    if c.large:
        out.append(f"- Formats: {formats}; at this size send `csv.gz` or `parquet`.")
    else:
        out.append(f"- Formats: {formats}.")
    out.append(f"- Nature: {NATURE_WORDS[c.nature]}.")
    if not c.expected_each_period:
        out.append("- Due: only in a month with something to report (a month without this file is complete).")
    if c.deadlines:
        days = ", ".join(f"`{k}` = {v} days" for k, v in c.deadlines.items())
        out.append(f"- Deadlines: {days}. {c.raw.get('x-deadlines', {}).get('description', '')}".rstrip())
    if c.primary_key:
        out.append(f"- One row per {', '.join(f'`{k}`' for k in c.primary_key)} (no repeats in a file).")
    out.append(f"- XLSX sheet: the first sheet, or one named {_codes(distinct_spellings(c.sheet_names()))}.")
    out.append("")
    out.append("| field | type | required | rule | kk | ru | en | accepted headers | accepted values |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for f in c.fields:
        required = "yes" if f.required else _conditional_requirement(c, f)
        headers = _codes(distinct_spellings(f.header_names()))
        out.append(
            "| "
            + " | ".join(
                [
                    f"`{f.name}`",
                    _type_words(f),
                    required,
                    _cell(_field_rules(f)),
                    _cell(f.label("kk")),
                    _cell(f.label("ru")),
                    _cell(f.label("en")),
                    headers,
                    _accepted_values(f),
                ]
            )
            + " |"
        )
    out.append("")
    out.extend(f"- `{f.name}`: {f.description}" for f in c.fields)
    out.append("")
    if c.row_rules:
        out.append("Row rules (a row that breaks an error rule is quarantined; the receipt names line, field "
                   "and value):")
        out.append("")
        out.append("| rule | severity | en | ru | kk |")
        out.append("|---|---|---|---|---|")
        for r in c.row_rules:
            texts = [_cell(rule_statement(r.id, lang, c)) for lang in ("en", "ru", "kk")]
            out.append(f"| `{r.id}` | {r.severity} | " + " | ".join(texts) + " |")
    else:
        out.append("Row rules: none beyond the field rules.")
    out.append("")
    return out


def _conditional_requirement(contract: Contract, field: Field) -> str:
    for r in contract.row_rules:
        if r.field == field.name and r.check in ("required_iff", "required_unless"):
            return f"see `{r.id}`"
    return "no"


def _rules_table(rules) -> list[str]:
    out = ["| rule | severity | en | ru | kk |", "|---|---|---|---|---|"]
    for rule_id, rule in rules.items():
        texts = [_cell(rule_statement(rule_id, lang)) for lang in ("en", "ru", "kk")]
        out.append(f"| `{rule_id}` | {rule.severity} | " + " | ".join(texts) + " |")
    return out


def render_contract_markdown() -> str:
    contracts = all_contracts()
    order = [rt for rt in SPEC_ORDER if rt in contracts] + sorted(set(contracts) - set(SPEC_ORDER))
    subs = submitters()
    out = [
        "# Submission contract",
        "",
        "<!-- Generated from include/qamtu/contracts (schemas/*.json, submitters.json, rules.py) by",
        "     `python -m qamtu.contracts.docs`. Do not edit by hand: a test fails when this file drifts. -->",
        "",
        "What operators, akimats and the measurement platform submit every month, in which form, and the",
        "rules every file and row is checked against. The machine-readable source is one Frictionless",
        "Table Schema (v2) per report type under `include/qamtu/contracts/schemas/`, with Qamtu's `x-` keys",
        "for labels, header and value aliases and row rules.",
        "",
        "## Where files land",
        "",
        f"One file per submitter, month and report type: `{LANDING_LAYOUT}`, `ext` one of "
        + ", ".join(f"`{f}`" for f in FORMATS)
        + ". A second file for the same key is a resubmission and replaces the earlier one entirely;",
        "every file received is archived unchanged with its checksum. The period is a calendar month.",
        "",
        "| kind | who | submitter folder | report types |",
        "|---|---|---|---|",
    ]
    for kind in KINDS:
        ids = [s["id"] for s in subs[kind]]
        out.append(f"| `{kind}` | {KIND_WORDS[kind]} | {_codes(ids)} | {_codes(report_types_of(kind))} |")
    out += [
        "",
        "Operators (also the accepted spellings of an `operator` value in akimat and measurement reports):",
        "",
        "| id | name | kk | ru | en | also accepted |",
        "|---|---|---|---|---|---|",
    ]
    for o in subs["operator"]:
        labels = o.get("labels", {})
        out.append(
            f"| `{o['id']}` | {_cell(o['name'])} | "
            + " | ".join(_cell(labels.get(lang, "")) for lang in ("kk", "ru", "en"))
            + f" | {_codes(o.get('aliases', ()))} |"
        )
    out += [
        "",
        "Akimats submit under their region's two-digit KATO code; receipts are written in the",
        "submitter's language:",
        "",
        "| region code | akimat | receipt language |",
        "|---|---|---|",
    ]
    for a in subs["akimat"]:
        out.append(f"| `{a['id']}` | {_cell(a['name'])} | {a.get('language', 'ru')} |")
    out += [
        "",
        "## Accepted formats",
        "",
        "- CSV (`csv`, `csv.gz`): UTF-8 with or without BOM, or Windows-1251; delimiter `,`, `;` or tab;",
        "  decimal point `.` or `,`; thousands separated by a space or no-break space (`1 234,5`);",
        "  quoted fields may contain the delimiter.",
        "- XLSX: the first sheet, or the sheet named like the report type (names listed per report);",
        "  up to 10 title rows above the header row; a trailing totals row starting with "
        + ", ".join(f"`{m}`" for m in TOTALS_MARKERS)
        + " (any case) is not data.",
        "- JSON: an array of objects keyed by the headers. Parquet: columns named by the headers.",
        "- Headers: the field name, its kk/ru/en label or any listed alias; any case, surrounding and",
        "  repeated spaces ignored, `ё` read as `е`. Columns the contract does not know are ignored",
        "  (warning `file.unknown_header`).",
        "- Categorical values: the canonical value or any listed kk/ru/en spelling, compared the same way.",
        "- Dates: `YYYY-MM-DD`, `DD.MM.YYYY` or Excel date cells; timestamps in UTC.",
        "- Booleans: yes = " + _codes(BOOLEAN_TRUE) + "; no = " + _codes(BOOLEAN_FALSE) + " (any case).",
        "- KATO codes are 9 digits `AB CD EF HIJ` (region, district, rural district, settlement).",
        "",
        "## What a submitter gets back",
        "",
        "For every file a receipt: accepted, accepted with warnings, or rejected; rows loaded and rows",
        "quarantined; for each quarantined row its line (CSV: physical line, header = line 1; XLSX: the",
        "sheet's row number; JSON and Parquet: record index + 1), the field, the value and the rule",
        "broken, in the submitter's language. Rows that break an error rule never reach the statistics;",
        "the other rows of the same file do, unless a file rule rejects the whole file.",
        "",
        "## Report types",
        "",
    ]
    for number, rt in enumerate(order, start=1):
        out += _report_section(number, contracts[rt])
    out += [
        "## Field rules (every report type)",
        "",
        "Checked on every value from the field table; a broken rule quarantines the row.",
        "",
        *_rules_table(CONSTRAINT_RULES),
        "",
        "## File rules",
        "",
        "An error rejects the whole file (no row is loaded, an earlier accepted file stays current);",
        "a warning loads the file and says so in the receipt.",
        "",
        *_rules_table(FILE_RULES),
        "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0]) if argv else DOC_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_contract_markdown(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
