"""Submission contracts: one Frictionless Table Schema per report type, with Qamtu's extra keys.

The JSON files under ``schemas/`` are the single source of every submission rule. The parser
(header and value aliases, types), the quality suites (constraints, row rules) and the submitter
documentation (``docs/contract.md``) all read them through this module. It imports nothing else
of ``qamtu``.

Every schema declares ``"$schema"`` = the Table Schema v2 profile (``TABLE_SCHEMA_PROFILE``):
``exclusiveMinimum``/``exclusiveMaximum`` are v2 constraints, and frictionless rejects them under v1.

Extra keys (Frictionless allows custom properties):

- schema: ``version``, ``kind`` (operator | akimat | measurement), ``x-labels`` {en,ru,kk},
  ``x-report-nature`` (snapshot | events), ``x-sheet-aliases``, ``x-large`` (read through DuckDB
  only), ``x-row-rules`` (rules the Table Schema format cannot express), ``x-completeness``
  ``{"feeds": {indicator: "block" | "flag"}}`` (the completeness policy: which headline indicators
  the report feeds, and what a missing or rejected report does to them — ``block``: withheld, SDMX
  ``OBS_STATUS`` M, in the areas the submitter reports for, national figures of an akimat's report
  flagged provisional; ``flag``: published, flagged provisional, P; see docs/methodology.md).
- field: ``x-aliases`` (header names in ru/kk/en), ``x-value-aliases`` {canonical: [aliases]},
  ``x-value-labels`` {canonical: {en,ru,kk}} (the preferred spelling of each value per language,
  also accepted on input), ``x-enum-from: operators`` (enum, value aliases and value labels taken
  from ``submitters.json``),
  ``x-labels`` {en,ru,kk}, ``x-reference`` (the field's value must exist in reference data:
  ``kato.settlement``, ``kato.district``, ``kato.any``, ``city_5g``, ``roads``),
  ``x-in-submitter-region`` (akimats: the KATO code lies in the submitting region).

Row-rule checks (``check``):

- ``required_iff``: ``field`` is required when ``when.field`` is in ``when.in``, and empty otherwise.
- ``required_unless``: ``field`` is required unless ``when.field`` is in ``when.in``.
- ``compare``: ``field`` ``op`` (<, <=, >, >=) ``other``; skipped when either is empty.
- ``not_after_period_end``: a date (or timestamp) not after the last day of the reporting month.
- ``positive_only_if``: ``field`` > 0 only when ``when.field`` is in ``when.in``.
- ``at_most_reference``: ``field`` ≤ a reference attribute (``reference`` = ``roads.length_km``)
  looked up by ``key``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent / "schemas"
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"
SUBMITTERS_FILE = Path(__file__).parent / "submitters.json"
LANGUAGES = ("kk", "ru", "en")
KINDS = ("operator", "akimat", "measurement")
FORMATS = ("csv", "csv.gz", "xlsx", "json", "parquet")
FIELD_TYPES = ("string", "integer", "number", "date", "datetime", "boolean")
CHECKS = (
    "required_iff",
    "required_unless",
    "compare",
    "not_after_period_end",
    "positive_only_if",
    "at_most_reference",
)

# Booleans the spec accepts (any case): true/false, 1/0, да/нет, иә/жоқ, yes/no.
BOOLEAN_TRUE = ("true", "1", "да", "иә", "yes", "y", "t")
BOOLEAN_FALSE = ("false", "0", "нет", "жоқ", "no", "n", "f")
# Trailing totals rows of spreadsheets are not data.
TOTALS_MARKERS = ("итого", "барлығы", "total", "всего", "жиыны")


def normalize_label(text: Any) -> str:
    """How headers and categorical values are compared: case-folded, surrounding and repeated
    spaces ignored, ``ё`` as ``е``."""
    return re.sub(r"\s+", " ", str(text)).strip().casefold().replace("ё", "е")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str = ""
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    pattern: str | None = None
    aliases: tuple[str, ...] = ()
    value_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    reference: str | None = None
    in_submitter_region: bool = False
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def header_names(self) -> tuple[str, ...]:
        """Every header this field is recognised by: its name, its labels and its aliases."""
        names = [self.name, *self.labels.values(), *self.aliases]
        return tuple(dict.fromkeys(names))

    def value_map(self) -> dict[str, str]:
        """Normalised spelling → canonical value, for enum fields."""
        mapping: dict[str, str] = {}
        for value in self.enum or ():
            mapping[normalize_label(value)] = value
            for alias in (*self.value_labels.get(value, {}).values(), *self.value_aliases.get(value, ())):
                mapping[normalize_label(alias)] = value
        return mapping

    def value_label(self, value: Any, lang: str) -> str:
        """How a canonical value is written in ``lang`` (the value itself when it has no label)."""
        labels = self.value_labels.get(str(value), {})
        return labels.get(lang) or labels.get("en") or str(value)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.name


@dataclass(frozen=True)
class RowRule:
    id: str
    check: str
    field: str
    severity: str  # "error" quarantines the row; "warning" loads it and says so in the receipt
    description: str
    params: dict[str, Any]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field the rule reads (for messages and lineage)."""
        names = [self.field]
        if "other" in self.params:
            names.append(self.params["other"])
        if "when" in self.params:
            names.append(self.params["when"]["field"])
        if "key" in self.params:
            names.append(self.params["key"])
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Contract:
    report_type: str
    version: str
    kind: str
    title: str
    description: str
    labels: dict[str, str]
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    row_rules: tuple[RowRule, ...]
    nature: str
    large: bool
    sheet_aliases: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def completeness(self) -> dict[str, str]:
        """Headline indicator → ``block`` | ``flag``: what this report's absence does to it."""
        return dict((self.raw.get("x-completeness") or {}).get("feeds") or {})

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.report_type} has no field {name!r}")

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def row_rule(self, rule_id: str) -> RowRule:
        for rule in self.row_rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"{self.report_type} has no row rule {rule_id!r}")

    def header_map(self) -> dict[str, str]:
        """Normalised header spelling (en/ru/kk) → field name."""
        mapping: dict[str, str] = {}
        for f in self.fields:
            for header in f.header_names():
                mapping[normalize_label(header)] = f.name
        return mapping

    def sheet_names(self) -> tuple[str, ...]:
        return (self.report_type, *self.labels.values(), *self.sheet_aliases)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.title


def _field_from_json(spec: dict[str, Any]) -> Field:
    constraints = dict(spec.get("constraints", {}))
    value_aliases = {k: tuple(v) for k, v in spec.get("x-value-aliases", {}).items()}
    value_labels = {k: dict(v) for k, v in spec.get("x-value-labels", {}).items()}
    if spec.get("x-enum-from") == "operators":
        # Operator ids and their spellings live once, in submitters.json.
        constraints["enum"] = [o["id"] for o in submitters()["operator"]]
        value_aliases = {o["id"]: tuple(o.get("aliases", ())) for o in submitters()["operator"]}
        value_labels = {o["id"]: dict(o.get("labels", {})) for o in submitters()["operator"]}
    return Field(
        name=spec["name"],
        type=spec.get("type", "string"),
        description=spec.get("description", ""),
        required=bool(constraints.get("required", False)),
        unique=bool(constraints.get("unique", False)),
        enum=tuple(constraints["enum"]) if "enum" in constraints else None,
        minimum=constraints.get("minimum"),
        maximum=constraints.get("maximum"),
        exclusive_minimum=constraints.get("exclusiveMinimum"),
        exclusive_maximum=constraints.get("exclusiveMaximum"),
        pattern=constraints.get("pattern"),
        aliases=tuple(spec.get("x-aliases", ())),
        value_aliases=value_aliases,
        labels=dict(spec.get("x-labels", {})),
        reference=spec.get("x-reference"),
        in_submitter_region=bool(spec.get("x-in-submitter-region", False)),
        value_labels=value_labels,
    )


def _rule_from_json(spec: dict[str, Any]) -> RowRule:
    known = {"id", "check", "field", "severity", "description"}
    return RowRule(
        id=spec["id"],
        check=spec["check"],
        field=spec["field"],
        severity=spec.get("severity", "error"),
        description=spec.get("description", ""),
        params={k: v for k, v in spec.items() if k not in known},
    )


def contract_from_json(spec: dict[str, Any]) -> Contract:
    return Contract(
        report_type=spec["name"],
        version=spec["version"],
        kind=spec["kind"],
        title=spec.get("title", spec["name"]),
        description=spec.get("description", ""),
        labels=dict(spec.get("x-labels", {})),
        fields=tuple(_field_from_json(f) for f in spec["fields"]),
        primary_key=tuple(spec.get("primaryKey", ())),
        row_rules=tuple(_rule_from_json(r) for r in spec.get("x-row-rules", ())),
        nature=spec.get("x-report-nature", "snapshot"),
        large=bool(spec.get("x-large", False)),
        sheet_aliases=tuple(spec.get("x-sheet-aliases", ())),
        raw=spec,
    )


@cache
def load_contract(report_type: str) -> Contract:
    path = SCHEMA_DIR / f"{report_type}.json"
    if not path.exists():
        raise KeyError(f"unknown report type {report_type!r}; known: {', '.join(report_types())}")
    return contract_from_json(json.loads(path.read_text(encoding="utf-8")))


def table_schema_descriptor(report_type: str) -> dict[str, Any]:
    """The schema as a self-contained Frictionless Table Schema (v2): ``x-enum-from`` resolved into
    ``enum``, booleans given the spellings the spec accepts. Custom ``x-`` keys are kept."""
    descriptor = json.loads(json.dumps(load_contract(report_type).raw))
    descriptor.setdefault("$schema", TABLE_SCHEMA_PROFILE)
    for spec in descriptor["fields"]:
        if spec.get("x-enum-from") == "operators":
            spec.setdefault("constraints", {})["enum"] = list(operator_ids())
        if spec.get("type") == "boolean":
            spec["trueValues"] = _case_variants(BOOLEAN_TRUE)
            spec["falseValues"] = _case_variants(BOOLEAN_FALSE)
    return descriptor


def _case_variants(spellings: tuple[str, ...]) -> list[str]:
    # Frictionless compares boolean spellings case-sensitively.
    return list(dict.fromkeys(v for s in spellings for v in (s, s.upper(), s.capitalize())))


def report_types() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SCHEMA_DIR.glob("*.json")))


def all_contracts() -> dict[str, Contract]:
    return {rt: load_contract(rt) for rt in report_types()}


def report_types_of(kind: str) -> tuple[str, ...]:
    return tuple(rt for rt, c in all_contracts().items() if c.kind == kind)


@cache
def submitters() -> dict[str, Any]:
    """The submitters the contract knows: operators, akimats (region codes), the measurement platform."""
    return json.loads(SUBMITTERS_FILE.read_text(encoding="utf-8"))


def operator_ids() -> tuple[str, ...]:
    return tuple(o["id"] for o in submitters()["operator"])


def submitter_ids(kind: str) -> tuple[str, ...]:
    return tuple(s["id"] for s in submitters()[kind])


def submitter_language(kind: str, submitter: str) -> str:
    """The language a receipt is written in for this submitter (ru unless known otherwise)."""
    for s in submitters().get(kind, ()):
        if s["id"] == submitter:
            return s.get("language", "ru")
    return "en"
