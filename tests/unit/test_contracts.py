"""Submission contracts: the schemas against the spec (written out here independently), Frictionless,
aliases, row rules, the rule catalogue and the generated documentation."""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from frictionless import Resource, Schema
from qamtu.contracts import (
    CHECKS,
    FIELD_TYPES,
    LANGUAGES,
    SCHEMA_DIR,
    SUBMITTERS_FILE,
    TABLE_SCHEMA_PROFILE,
    all_contracts,
    load_contract,
    normalize_label,
    operator_ids,
    report_types,
    table_schema_descriptor,
)
from qamtu.contracts.docs import render_contract_markdown
from qamtu.contracts.rules import (
    CHECK_TEMPLATES,
    CONSTRAINT_RULES,
    FILE_RULES,
    all_rule_ids,
    get_rule,
    row_rule_ids,
    rule_message,
    rule_severity,
    rule_statement,
)

REPO = Path(__file__).resolve().parents[2]
CONTRACT_DOC = REPO / "docs" / "contract.md"

# --- the spec (REPORTING_SPEC.md), written out by hand ------------------------------------------
# field -> (type, requirement): "req" required, "opt" optional, "cond" required only under a row rule.
REQ, OPT, COND = "req", "opt", "cond"
SPEC: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "settlement_fiber": ("operator", {
        "kato_code": ("string", REQ),
        "settlement_name": ("string", OPT),
        "status": ("string", REQ),
        "connected_on": ("date", COND),
        "households_passed": ("integer", REQ),
        "households_connected": ("integer", REQ),
        "max_speed_mbps": ("number", OPT),
    }),
    "base_stations": ("operator", {
        "site_id": ("string", REQ),
        "kato_code": ("string", REQ),
        "latitude": ("number", REQ),
        "longitude": ("number", REQ),
        "technology": ("string", REQ),
        "status": ("string", REQ),
        "on_air_date": ("date", COND),
        "road_code": ("string", OPT),
    }),
    "road_coverage": ("operator", {
        "road_code": ("string", REQ),
        "km_from": ("number", REQ),
        "km_to": ("number", REQ),
        "technology": ("string", REQ),
    }),
    "city_5g": ("operator", {
        "city_kato": ("string", REQ),
        "covered_area_km2": ("number", REQ),
        "sites_5g": ("integer", REQ),
    }),
    "land_allocation": ("akimat", {
        "request_id": ("string", REQ),
        "operator": ("string", REQ),
        "kato_code": ("string", REQ),
        "purpose": ("string", None),
        "requested_on": ("date", REQ),
        "decision": ("string", None),
        "decided_on": ("date", COND),
    }),
    "pole_access": ("akimat", {
        "district_kato": ("string", REQ),
        "operator": ("string", REQ),
        "poles_requested": ("integer", None),
        "poles_granted": ("integer", None),
    }),
    "quality_inspections": ("akimat", {
        "inspection_id": ("string", REQ),
        "kato_code": ("string", None),
        "operator": ("string", None),
        "inspected_on": ("date", None),
        "technology": ("string", None),
        "measured_download_mbps": ("number", None),
        "required_download_mbps": ("number", None),
        "violation": ("boolean", None),
        "fine_kzt": ("number", None),
        "fine_paid": ("boolean", None),
    }),
    "power_connections": ("akimat", {
        "site_id": ("string", None),
        "operator": ("string", None),
        "requested_on": ("date", None),
        "conditions_issued_on": ("date", OPT),  # "date or empty"
    }),
    "settlement_connectivity": ("akimat", {
        "kato_code": ("string", None),
        "has_fibre": ("boolean", None),
        "has_mobile_4g": ("boolean", None),
    }),
    "speed_tests": ("measurement", {
        "test_id": ("string", REQ),
        "measured_at": ("datetime", None),
        "latitude": ("number", None),
        "longitude": ("number", None),
        "kato_code": ("string", None),
        "operator": ("string", None),
        "technology": ("string", None),
        "download_mbps": ("number", None),
        "upload_mbps": ("number", None),
        "latency_ms": ("number", None),
    }),
    # Issue 15 (claims against measurements, and challenges): the two report types it adds.
    "challenges": ("akimat", {
        "challenge_id": ("string", REQ),
        "kato_code": ("string", REQ),
        "operator": ("string", REQ),
        "claim": ("string", REQ),
        "evidence": ("string", REQ),
        "measured_download_mbps": ("number", COND),
        "complaints": ("integer", COND),
        "submitted_on": ("date", REQ),
    }),
    "challenge_responses": ("operator", {
        "challenge_id": ("string", REQ),
        "response": ("string", REQ),
        "evidence": ("string", COND),
        "responded_on": ("date", REQ),
    }),
}

OPERATORS = {"kazakhtelecom", "kcell", "beeline", "tele2"}
MOBILE = ["2G", "3G", "4G", "5G"]
ANY_ACCESS = ["fixed", "2G", "3G", "4G", "5G"]
SPEC_ENUMS = {
    ("settlement_fiber", "status"): ["planned", "construction", "connected"],
    ("base_stations", "technology"): MOBILE,
    ("base_stations", "status"): ["active", "planned", "dismantled"],
    ("road_coverage", "technology"): MOBILE,
    ("land_allocation", "purpose"): ["base_station", "fibre_route", "other"],
    ("land_allocation", "decision"): ["pending", "approved", "rejected"],
    ("quality_inspections", "technology"): ANY_ACCESS,
    ("speed_tests", "technology"): ANY_ACCESS,
    ("challenges", "claim"): ["fibre", "mobile_4g", "mobile_5g"],
    ("challenges", "evidence"): ["own_measurements", "citizen_complaints"],
    ("challenge_responses", "response"): ["accept", "contest"],
    ("challenge_responses", "evidence"): ["own_measurements", "network_logs"],
}
OPERATOR_FIELDS = {
    ("land_allocation", "operator"),
    ("pole_access", "operator"),
    ("quality_inspections", "operator"),
    ("power_connections", "operator"),
    ("speed_tests", "operator"),
    ("challenges", "operator"),
}
# Spec: ≥ 0 and > 0 bounds, coordinates in Kazakhstan.
SPEC_MINIMUM_ZERO = {
    ("settlement_fiber", "households_passed"), ("settlement_fiber", "households_connected"),
    ("road_coverage", "km_from"), ("city_5g", "covered_area_km2"), ("city_5g", "sites_5g"),
    ("pole_access", "poles_requested"), ("pole_access", "poles_granted"),
    ("quality_inspections", "measured_download_mbps"), ("quality_inspections", "fine_kzt"),
    ("speed_tests", "download_mbps"), ("speed_tests", "upload_mbps"), ("speed_tests", "latency_ms"),
    ("challenges", "measured_download_mbps"), ("challenges", "complaints"),
}
SPEC_POSITIVE = {("settlement_fiber", "max_speed_mbps"), ("quality_inspections", "required_download_mbps")}
COORDINATES = {"latitude": (40.5, 55.5), "longitude": (46.5, 87.4)}
PRIMARY_KEYS = {
    "settlement_fiber": ["kato_code"],
    "base_stations": ["site_id"],
    "city_5g": ["city_kato"],
    "land_allocation": ["request_id"],
    "pole_access": ["district_kato", "operator"],
    "quality_inspections": ["inspection_id"],
    "settlement_connectivity": ["kato_code"],
    "speed_tests": ["test_id"],
}
REFERENCES = {
    ("settlement_fiber", "kato_code"): "kato.settlement",
    ("base_stations", "kato_code"): "kato.settlement",
    ("base_stations", "road_code"): "roads",
    ("road_coverage", "road_code"): "roads",
    ("city_5g", "city_kato"): "city_5g",
    ("pole_access", "district_kato"): "kato.district",
    ("quality_inspections", "kato_code"): "kato.settlement",
    ("settlement_connectivity", "kato_code"): "kato.settlement",
    ("speed_tests", "kato_code"): "kato.settlement",
}
AKIMAT_KATO_FIELDS = {
    ("land_allocation", "kato_code"), ("pole_access", "district_kato"),
    ("quality_inspections", "kato_code"), ("settlement_connectivity", "kato_code"),
    ("challenges", "kato_code"),
}
# Row rules the spec implies: (check, field, the parameters that matter).
SPEC_ROW_RULES = {
    "settlement_fiber": {
        ("required_iff", "connected_on", ("status", ("connected",))),
        ("compare", "households_connected", ("<=", "households_passed")),
        ("not_after_period_end", "connected_on", None),
    },
    "base_stations": {
        ("required_iff", "on_air_date", ("status", ("active",))),
        ("not_after_period_end", "on_air_date", None),
    },
    "road_coverage": {
        ("compare", "km_from", ("<", "km_to")),
        ("at_most_reference", "km_to", ("roads.length_km", "road_code")),
    },
    "city_5g": set(),
    "land_allocation": {
        ("required_unless", "decided_on", ("decision", ("pending",))),
        ("compare", "decided_on", (">=", "requested_on")),
        ("not_after_period_end", "requested_on", None),
        ("not_after_period_end", "decided_on", None),
    },
    "pole_access": {("compare", "poles_granted", ("<=", "poles_requested"))},
    "quality_inspections": {
        ("positive_only_if", "fine_kzt", ("violation", (True,))),
        ("not_after_period_end", "inspected_on", None),
    },
    "power_connections": {
        ("compare", "conditions_issued_on", (">=", "requested_on")),
        ("not_after_period_end", "requested_on", None),
        ("not_after_period_end", "conditions_issued_on", None),
    },
    "settlement_connectivity": set(),
    "speed_tests": {("not_after_period_end", "measured_at", None)},
    "challenges": {
        ("required_iff", "measured_download_mbps", ("evidence", ("own_measurements",))),
        ("required_iff", "complaints", ("evidence", ("citizen_complaints",))),
        ("not_after_period_end", "submitted_on", None),
    },
    "challenge_responses": {
        ("required_iff", "evidence", ("response", ("contest",))),
        ("not_after_period_end", "responded_on", None),
    },
}
# Header and value spellings the spec lists (any case, spaces around ignored).
SPEC_HEADERS = {
    "settlement_fiber": {
        "код КАТО": "kato_code", "КАТО коды": "kato_code",
        "населённый пункт": "settlement_name", "елді мекен": "settlement_name",
        "статус": "status", "мәртебесі": "status",
        "дата подключения": "connected_on", "қосылған күні": "connected_on",
        "охвачено домохозяйств": "households_passed", "қамтылған үй шаруашылықтары": "households_passed",
        "подключено домохозяйств": "households_connected",
        "қосылған үй шаруашылықтары": "households_connected",
        "макс. скорость": "max_speed_mbps", "Мбит/с": "max_speed_mbps",
    },
}
SPEC_VALUES = {
    ("settlement_fiber", "status"): {
        "планируется": "planned", "строительство": "construction", "подключен": "connected",
        "жоспарланған": "planned", "құрылыс": "construction", "қосылған": "connected",
    },
    ("base_stations", "status"): {"действует": "active", "планируется": "planned",
                                  "демонтирована": "dismantled"},
    ("land_allocation", "decision"): {"рассматривается": "pending", "одобрено": "approved",
                                      "отказано": "rejected"},
    ("base_stations", "technology"): {"LTE": "4G", "NR": "5G"},
    ("quality_inspections", "technology"): {"ВОЛС": "fixed", "фиксированный": "fixed",
                                            "тұрақты": "fixed", "LTE": "4G"},
    ("speed_tests", "technology"): {"ВОЛС": "fixed", "фиксированный": "fixed",
                                    "тұрақты": "fixed", "NR": "5G"},
}
# Technology codes read the same in every language; everything else needs its own ru and kk words.
LANGUAGE_NEUTRAL = re.compile(r"^[2-5]G$")
CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)

BRIEF_CONSTRAINT_RULES = {
    "required", "type", "enum", "minimum", "maximum", "exclusive_minimum", "exclusive_maximum",
    "pattern", "unique", "reference", "in_submitter_region",
}
BRIEF_FILE_RULES = {
    "file.empty", "file.unreadable", "file.wrong_encoding", "file.missing_column", "file.unknown_header",
    "file.unknown_submitter", "file.unknown_report_type", "file.wrong_folder", "file.wrong_period",
    "file.no_rows", "file.totals_mismatch",
}
WARNINGS = {"file.unknown_header", "file.totals_mismatch"}


def raw_schema(report_type: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{report_type}.json").read_text(encoding="utf-8"))


# --- schemas against the spec -------------------------------------------------------------------


def test_every_spec_report_type_has_a_schema_and_nothing_else():
    assert set(report_types()) == set(SPEC)


@pytest.mark.parametrize("report_type", sorted(SPEC))
def test_schema_fields_types_and_requirements_follow_the_spec(report_type):
    kind, fields = SPEC[report_type]
    contract = load_contract(report_type)
    assert contract.kind == kind
    assert contract.version == "1.0.0"
    assert set(contract.field_names) == set(fields)
    for name, (ftype, requirement) in fields.items():
        field = contract.field(name)
        assert field.type == ftype, name
        if requirement == REQ:
            assert field.required, name
        elif requirement in (OPT, COND):
            assert not field.required, name
        if requirement == COND:
            assert any(r.field == name and r.check.startswith("required_") for r in contract.row_rules), name


@pytest.mark.parametrize("report_type", sorted(SPEC))
def test_schema_metadata_and_labels_in_three_languages(report_type):
    spec = raw_schema(report_type)
    contract = load_contract(report_type)
    assert spec["$schema"] == TABLE_SCHEMA_PROFILE
    assert contract.title and contract.description
    assert contract.nature in ("snapshot", "events")
    assert contract.sheet_aliases
    assert contract.large == (report_type == "speed_tests")
    assert set(contract.labels) == set(LANGUAGES) and all(contract.labels.values())
    for field in contract.fields:
        assert field.type in FIELD_TYPES
        assert field.description, field.name
        assert set(field.labels) == set(LANGUAGES) and all(field.labels.values()), field.name
        assert CYRILLIC.search(field.labels["ru"]) and CYRILLIC.search(field.labels["kk"]), field.name
        assert field.aliases, field.name


def test_enums_bounds_keys_and_references_follow_the_spec():
    contracts = all_contracts()
    for (rt, name), values in SPEC_ENUMS.items():
        assert list(contracts[rt].field(name).enum) == values, (rt, name)
    for rt, name in OPERATOR_FIELDS:
        field = contracts[rt].field(name)
        assert set(field.enum) == OPERATORS and raw_schema(rt)["fields"][
            contracts[rt].field_names.index(name)
        ].get("x-enum-from") == "operators"
    enum_fields = {(rt, f.name) for rt, c in contracts.items() for f in c.fields if f.enum}
    assert enum_fields == set(SPEC_ENUMS) | OPERATOR_FIELDS
    for rt, name in SPEC_MINIMUM_ZERO:
        assert contracts[rt].field(name).minimum == 0, (rt, name)
    for rt, name in SPEC_POSITIVE:
        field = contracts[rt].field(name)
        assert field.exclusive_minimum == 0 and field.minimum is None, (rt, name)
    for rt, c in contracts.items():
        for name, (low, high) in COORDINATES.items():
            if c.has_field(name):
                assert (c.field(name).minimum, c.field(name).maximum) == (low, high), (rt, name)
        for f in c.fields:
            if f.name.endswith("kato") or f.name == "kato_code":
                assert f.pattern == "^[0-9]{9}$", (rt, f.name)
    for rt, c in contracts.items():
        assert list(c.primary_key) == PRIMARY_KEYS.get(rt, list(c.primary_key)), rt
        if len(c.primary_key) == 1:
            assert c.field(c.primary_key[0]).unique
    assert set(PRIMARY_KEYS) <= {rt for rt, c in contracts.items() if c.primary_key}
    for (rt, name), ref in REFERENCES.items():
        assert contracts[rt].field(name).reference == ref, (rt, name)
    region_fields = {(rt, f.name) for rt, c in contracts.items() for f in c.fields if f.in_submitter_region}
    assert region_fields == AKIMAT_KATO_FIELDS
    assert all(c.kind == "akimat" for (rt, _), c in ((k, contracts[k[0]]) for k in region_fields))


@pytest.mark.parametrize("report_type", sorted(SPEC))
def test_row_rules_are_the_ones_the_spec_implies(report_type):
    found = set()
    for rule in load_contract(report_type).row_rules:
        p = rule.params
        if rule.check in ("required_iff", "required_unless", "positive_only_if"):
            detail = (p["when"]["field"], tuple(p["when"]["in"]))
        elif rule.check == "compare":
            detail = (p["op"], p["other"])
        elif rule.check == "at_most_reference":
            detail = (p["reference"], p["key"])
        else:
            detail = None
        found.add((rule.check, rule.field, detail))
        assert rule.severity == "error"
    assert found == SPEC_ROW_RULES[report_type]


# --- Frictionless -------------------------------------------------------------------------------


@pytest.mark.parametrize("report_type", sorted(SPEC))
def test_every_schema_is_a_valid_frictionless_table_schema(report_type):
    raw = raw_schema(report_type)
    report = Schema.validate_descriptor(raw)
    assert report.valid, report.flatten(["type", "note"])
    resolved = table_schema_descriptor(report_type)
    assert Schema.validate_descriptor(resolved).valid
    schema = Schema.from_descriptor(resolved)
    assert schema.field_names == list(load_contract(report_type).field_names)
    assert schema.primary_key == list(raw.get("primaryKey", []))
    # The custom keys travel with the descriptor.
    assert schema.to_descriptor().get("x-labels") == raw["x-labels"]


def test_without_the_v2_profile_frictionless_rejects_exclusive_bounds():
    # Why every schema declares "$schema": an absent profile means Table Schema v1.
    raw = raw_schema("quality_inspections")
    raw.pop("$schema")
    report = Schema.validate_descriptor(raw)
    assert not report.valid
    assert any("exclusiveMinimum" in note for note in report.flatten(["note"])[0])


def frictionless_errors(report_type: str, header: list[str], rows: list[list[str]]) -> set[tuple]:
    # The resource must be v2 as well: an ancestor's version wins over the schema's own "$schema".
    resource = Resource.from_descriptor({
        "$schema": "https://datapackage.org/profiles/2.0/dataresource.json",
        "name": report_type,
        "data": [header, *rows],
        "schema": table_schema_descriptor(report_type),
    })
    report = resource.validate()
    return {(e.row_number, e.field_name, e.type) for e in report.tasks[0].errors}


def test_frictionless_applies_the_constraints_to_rows():
    header = ["inspection_id", "kato_code", "operator", "inspected_on", "technology",
              "measured_download_mbps", "required_download_mbps", "violation", "fine_kzt", "fine_paid"]
    rows = [
        ["I-1", "191030100", "kcell", "2026-03-05", "4G", "12.5", "10", "нет", "0", "Иә"],
        ["I-2", "19103010", "kcell", "2026-03-06", "4G", "3", "0", "да", "50000", "no"],
        ["I-3", "191030100", "megacom", "2026-03-07", "6G", "-1", "10", "perhaps", "-5", ""],
    ]
    assert frictionless_errors("quality_inspections", header, rows) == {
        # line 1 is the header
        (3, "kato_code", "constraint-error"),  # 8 digits
        (3, "required_download_mbps", "constraint-error"),  # exclusiveMinimum 0
        (4, "operator", "constraint-error"),
        (4, "technology", "constraint-error"),
        (4, "measured_download_mbps", "constraint-error"),
        (4, "violation", "type-error"),
        (4, "fine_kzt", "constraint-error"),
    }


def test_frictionless_checks_coordinates_against_kazakhstan():
    header = list(load_contract("base_stations").field_names)
    rows = [
        ["S1", "191030100", "43.2", "76.9", "4G", "active", "2025-06-01", ""],
        ["S2", "191030100", "40.4", "76.9", "4G", "planned", "", ""],
        ["S3", "191030100", "55.5", "87.5", "2G", "dismantled", "", ""],
    ]
    assert frictionless_errors("base_stations", header, rows) == {
        (3, "latitude", "constraint-error"),
        (4, "longitude", "constraint-error"),
    }


# --- aliases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("report_type", sorted(SPEC))
def test_header_aliases_are_unique_within_a_schema(report_type):
    owner: dict[str, str] = {}
    for field in load_contract(report_type).fields:
        for header in field.header_names():
            key = normalize_label(header)
            assert owner.setdefault(key, field.name) == field.name, (header, owner[key], field.name)
    assert load_contract(report_type).header_map() == owner


def test_spec_header_spellings_are_recognised_in_any_case():
    for rt, headers in SPEC_HEADERS.items():
        mapping = load_contract(rt).header_map()
        for header, field in headers.items():
            for spelling in (header, header.upper(), f"  {header.lower()} "):
                assert mapping[normalize_label(spelling)] == field, spelling
    # Every field answers to its kk, ru and en label too.
    for c in all_contracts().values():
        mapping = c.header_map()
        for f in c.fields:
            for lang in LANGUAGES:
                assert mapping[normalize_label(f.labels[lang])] == f.name


def test_every_enum_value_has_ru_and_kk_spellings_that_map_back_to_it():
    for rt, c in all_contracts().items():
        for f in c.fields:
            if not f.enum:
                continue
            mapping = f.value_map()
            for value in f.enum:
                labels = f.value_labels.get(value, {})
                assert set(labels) == set(LANGUAGES), (rt, f.name, value)
                if not LANGUAGE_NEUTRAL.match(value):
                    assert CYRILLIC.search(labels["ru"]) and CYRILLIC.search(labels["kk"]), (
                        rt,
                        f.name,
                        value,
                    )
                    assert any(CYRILLIC.search(a) for a in f.value_aliases.get(value, ())), (
                        rt,
                        f.name,
                        value,
                    )
                for spelling in (value, *labels.values(), *f.value_aliases.get(value, ())):
                    assert mapping[normalize_label(spelling)] == value, (rt, f.name, spelling)


def test_spec_value_spellings_are_recognised():
    for (rt, name), spellings in SPEC_VALUES.items():
        mapping = load_contract(rt).field(name).value_map()
        for spelling, value in spellings.items():
            assert mapping[normalize_label(spelling.upper())] == value, spelling


def test_operator_values_come_from_submitters_json_only():
    operators = json.loads(SUBMITTERS_FILE.read_text(encoding="utf-8"))["operator"]
    assert {o["id"] for o in operators} == OPERATORS == set(operator_ids())
    owner: dict[str, str] = {}
    for o in operators:
        for alias in [*o["aliases"], *o["labels"].values()]:
            assert owner.setdefault(normalize_label(alias), o["id"]) == o["id"], alias
    for rt, name in OPERATOR_FIELDS:
        field_spec = next(f for f in raw_schema(rt)["fields"] if f["name"] == name)
        assert "enum" not in field_spec.get("constraints", {}) and "x-value-aliases" not in field_spec
        mapping = load_contract(rt).field(name).value_map()
        for spelling, operator in owner.items():
            assert mapping[spelling] == operator
    assert owner[normalize_label("Қазақтелеком")] == "kazakhtelecom"


def test_boolean_spellings_of_the_spec_reach_frictionless():
    descriptor = table_schema_descriptor("settlement_connectivity")
    has_fibre = next(f for f in descriptor["fields"] if f["name"] == "has_fibre")
    for word in ("true", "1", "да", "иә", "yes", "Да", "ИӘ", "YES"):
        assert word in has_fibre["trueValues"]
    for word in ("false", "0", "нет", "жоқ", "no", "Нет", "ЖОҚ"):
        assert word in has_fibre["falseValues"]


# --- row rules ----------------------------------------------------------------------------------


def test_row_rules_refer_to_existing_fields_and_known_checks():
    seen: dict[str, tuple[str, str]] = {}
    for rt, c in all_contracts().items():
        ids = [r.id for r in c.row_rules]
        assert len(ids) == len(set(ids)), rt
        assert row_rule_ids(c) == tuple(ids) == tuple(r["id"] for r in raw_schema(rt).get("x-row-rules", []))
        for rule in c.row_rules:
            assert rule.check in CHECKS and rule.check in CHECK_TEMPLATES, rule.id
            assert rule.severity in ("error", "warning")
            assert rule.description
            for name in rule.fields:
                assert c.has_field(name), (rt, rule.id, name)
            field = c.field(rule.field)
            if rule.check == "compare":
                assert rule.params["op"] in ("<", "<=", ">", ">=")
                other = c.field(rule.params["other"])
                dates = {"date", "datetime"}
                assert (field.type in dates) == (other.type in dates), rule.id
            if rule.check == "not_after_period_end":
                assert field.type in ("date", "datetime"), rule.id
            if "when" in rule.params:
                when = c.field(rule.params["when"]["field"])
                allowed = {True, False} if when.type == "boolean" else set(when.enum or ())
                assert set(rule.params["when"]["in"]) <= allowed, rule.id
            if rule.check == "at_most_reference":
                assert rule.params["reference"] == "roads.length_km"
                assert c.field(rule.params["key"]).reference == "roads"
            # One id, one meaning across report types.
            assert seen.setdefault(rule.id, (rule.check, rule.field)) == (rule.check, rule.field), rule.id
        for f in c.fields:
            assert f.reference in (None, "kato.settlement", "kato.district", "kato.any", "city_5g", "roads")
    assert not set(seen) & (set(CONSTRAINT_RULES) | set(FILE_RULES))


# --- the rule catalogue -------------------------------------------------------------------------


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogue_holds_every_rule_the_brief_names():
    assert BRIEF_CONSTRAINT_RULES == set(CONSTRAINT_RULES)
    assert BRIEF_FILE_RULES <= set(FILE_RULES)
    row_ids = {r.id for c in all_contracts().values() for r in c.row_rules}
    assert set(all_rule_ids()) == set(CONSTRAINT_RULES) | set(FILE_RULES) | row_ids
    for rule_id in FILE_RULES:
        assert rule_severity(rule_id) == ("warning" if rule_id in WARNINGS else "error"), rule_id
    for rule_id in CONSTRAINT_RULES:
        assert rule_severity(rule_id) == "error"
    with pytest.raises(KeyError):
        rule_severity("no_such_rule")
    with pytest.raises(KeyError):
        rule_severity("connected_not_above_passed", "pole_access")


def test_every_rule_has_messages_in_three_languages_with_the_same_placeholders():
    for rule_id in all_rule_ids():
        rule = get_rule(rule_id)
        for texts in (rule.message, rule.statement):
            assert set(texts) == set(LANGUAGES), rule_id
            assert all(texts.values()), rule_id
            assert _placeholders(texts["ru"]) == _placeholders(texts["en"]) == _placeholders(texts["kk"]), (
                rule_id
            )


def test_every_rule_renders_for_every_contract_and_language():
    for rt, c in all_contracts().items():
        for rule_id in (*CONSTRAINT_RULES, *FILE_RULES, *row_rule_ids(c)):
            for lang in LANGUAGES:
                message = rule_message(rule_id, lang, c, field=c.fields[0].name, value="x",
                                       file="f.csv", line=2)
                statement = rule_statement(rule_id, lang, c)
                assert "{" not in message and "{" not in statement, (rt, rule_id, lang)
                if lang != "en":
                    assert CYRILLIC.search(message) and CYRILLIC.search(statement), (rt, rule_id, lang)


def test_row_rule_messages_carry_the_values_and_the_labels():
    row = {"households_connected": 120, "households_passed": 100}
    message = rule_message("connected_not_above_passed", "ru", "settlement_fiber",
                           file="operator/kcell/2026-03/settlement_fiber.csv", line=7, row=row)
    assert message.startswith("operator/kcell/2026-03/settlement_fiber.csv, строка 7: ")
    assert "«Подключено домохозяйств» (households_connected) (120)" in message
    assert "«Охвачено домохозяйств» (households_passed) (100)" in message
    assert "?" not in message
    kk = rule_message("decided_on_required_unless_pending", "kk", "land_allocation", line=4,
                      row={"decision": "approved", "decided_on": None})
    assert kk.startswith("4-жол: ") and "'мақұлданды'" in kk and "'қаралуда'" in kk
    en = rule_message("fine_only_with_violation", "en", "quality_inspections",
                      row={"fine_kzt": 50000.0, "violation": False})
    assert "is 50000," in en and "is yes" in en and "is no)" in en
    # Unknown language: English.
    assert rule_message("connected_not_above_passed", "de", "settlement_fiber", row=row) == rule_message(
        "connected_not_above_passed", "en", "settlement_fiber", row=row
    )


def test_messages_fill_what_the_contract_knows():
    # Period end of a leap February, worked out by hand.
    msg = rule_message("inspected_on_not_after_period_end", "en", "quality_inspections",
                       value="2024-03-01", period="2024-02")
    assert "(2024-02-29)" in msg
    enum = rule_message("enum", "ru", "base_stations", field="status", value="работаит")
    assert "действует (active), планируется (planned), демонтирована (dismantled)" in enum
    bound = rule_message("minimum", "kk", "base_stations", field="latitude", value=30.1)
    assert "30.1" in bound and "40.5" in bound
    region = rule_message("in_submitter_region", "en", "pole_access", field="district_kato",
                          value="751000000", submitter="19")
    assert "'751000000'" in region and "region 19" in region
    missing = rule_message("file.missing_column", "en", "settlement_fiber", field="kato_code", file="a.csv")
    assert "КАТО коды" in missing and "kato_code" in missing
    unknown = rule_message("file.unknown_report_type", "en", value="roads", kind="operator", file="k")
    assert "base_stations, challenge_responses, city_5g, road_coverage, settlement_fiber" in unknown
    assert rule_message("file.unreadable", "en", file="x/base_stations.xlsx", detail="bad zip") == (
        "x/base_stations.xlsx cannot be read as XLSX (bad zip)."
    )


# --- documentation ------------------------------------------------------------------------------


def test_contract_doc_is_generated_from_the_schemas_without_drift():
    rendered = render_contract_markdown()
    assert CONTRACT_DOC.read_text(encoding="utf-8") == rendered, "run: python -m qamtu.contracts.docs"
    folded = normalize_label(rendered)  # spellings equal after normalize_label are listed once
    for rt, c in all_contracts().items():
        assert f"`{rt}`" in rendered
        for f in c.fields:
            assert f"`{f.name}`" in rendered
            for alias in f.aliases:
                assert normalize_label(f"`{alias}`") in folded, alias
            for value, aliases in f.value_aliases.items():
                for alias in aliases:
                    assert normalize_label(f"`{alias}`") in folded, (value, alias)
        for r in c.row_rules:
            assert f"`{r.id}`" in rendered
    for rule_id in (*CONSTRAINT_RULES, *FILE_RULES):
        assert f"`{rule_id}`" in rendered


def test_docs_module_writes_the_file(tmp_path):
    out = tmp_path / "contract.md"
    subprocess.run([sys.executable, "-m", "qamtu.contracts.docs", str(out)], check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == render_contract_markdown()
