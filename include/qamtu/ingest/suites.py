"""Great Expectations suites for the raw layer, GENERATED from the contracts, and the two ways they
run: GX 1.x on a pandas frame (small reports) and the same expectations compiled to SQL for DuckDB
(x-large reports, and the cross-check that both agree).

The contract is the single source of every rule; ``expectations/raw/<report_type>.json`` is its
reviewable translation (``python -m qamtu.ingest.suites`` rewrites the files; a test checks that the
committed files equal what the contracts generate). Every expectation's ``meta`` names the contract
rule it enforces (``rule``: a constraint id such as ``required``/``minimum``/``reference`` or a row
rule's ``id``), the ``field`` a finding is reported on, its ``severity`` and whether it is a
``presence`` check (a missing value: dropped when the same cell already failed typing).

The suites validate the *checked* relation of :mod:`.stage`: the contract's fields typed, plus
columns every submission row carries —

- ``_submission_id`` (uniqueness is per submission: a batch holds many files),
- ``_period_end`` (DATE) and ``_period_after`` (the first instant after the period, UTC),
- ``_submitter_region`` (an akimat's region code; empty for other submitters),
- ``<field>__region`` (first two digits of a KATO code) for ``x-in-submitter-region`` fields,
- ``<field>__reference_max`` (a looked-up bound) for ``at_most_reference`` rules.

- ``<field>__in_reference`` (the value exists in its reference set — a join over thousands of
  codes, done once in SQL; the suite expects it to be ``true``) for ``x-reference`` fields.

Expectation types used, with their SQL failure predicate (a row fails when it holds):

- ``expect_column_to_exist`` — file stage (the header check), not a row predicate;
- ``expect_column_values_to_not_be_null``: ``c is null``; ``…_to_be_null``: ``c is not null``;
- ``expect_column_values_to_be_in_set``: ``c is not null and c not in (…)``;
- ``expect_column_values_to_be_between``: ``c is not null and not (c >= min and c <= max)``
  (strict: ``>``/``<``);
- ``expect_column_values_to_match_regex``: ``c is not null and not regexp_matches(c, regex)``;
- ``expect_column_pair_values_a_to_be_greater_than_b``: ``a, b not null and not (a > b)``
  (``>=`` with or_equal);
- ``expect_column_pair_values_to_be_equal``: ``a, b not null and a <> b``;
- ``expect_compound_columns_to_be_unique`` (any value missing → ignored): the key occurs twice or more;
- ``row_condition`` (GX Condition objects: comparison, nullity, and/or) → ``(condition) and (predicate)``.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qamtu.contracts import Contract, RowRule, load_contract, report_types
from qamtu.expectations import (  # noqa: F401 - q: ingest's modules import it from here
    Expectation,
    key_columns,
    q,
    row_predicate,
    validate_frame,
)
from qamtu.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    from qamtu.ingest.landing import Submission

SUITE_DIR = EXPECTATIONS_DIR / "raw"
PERIOD_END, PERIOD_AFTER, SUBMITTER_REGION, SUBMISSION = (
    "_period_end",
    "_period_after",
    "_submitter_region",
    "_submission_id",
)
REFERENCE_SETS = ("kato.settlement", "kato.district", "kato.any", "city_5g", "roads")


def reference_column(field_name: str) -> str:
    """The checked relation's flag: the field's value exists in its reference set (NULL when empty)."""
    return f"{field_name}__in_reference"


def region_column(field_name: str) -> str:
    return f"{field_name}__region"


def reference_max_column(field_name: str) -> str:
    return f"{field_name}__reference_max"


# --- generation ------------------------------------------------------------------------------------
def _severity(rule_id: str, contract: Contract) -> str:
    for rule in contract.row_rules:
        if rule.id == rule_id:
            return rule.severity
    try:
        from qamtu.contracts.rules import rule_severity
    except ImportError:  # the catalogue is optional for generation: constraints are errors
        return "error"
    return rule_severity(rule_id, contract)


def _not_in(column: str, values: list[Any]):
    """Rows whose ``column`` is present and not one of ``values`` (booleans: the other value)."""
    from great_expectations.expectations.row_conditions import Column

    if all(isinstance(v, bool) for v in values):
        others = [b for b in (True, False) if b not in values]
        if len(others) != 1:
            raise ValueError(f"condition on {column}: {values} leaves no boolean value")
        return Column(column) == others[0]
    return Column(column).is_not_in(values) & Column(column).is_not_null()


def _is_in(column: str, values: list[Any]):
    from great_expectations.expectations.row_conditions import Column

    if all(isinstance(v, bool) for v in values):
        if len(values) != 1:
            raise ValueError(f"condition on {column}: {values} is always true")
        return Column(column) == values[0]
    return Column(column).is_in(values)


def _row_rule_expectations(rule: RowRule, contract: Contract) -> list[tuple[Any, dict[str, Any]]]:
    import great_expectations.expectations as gxe

    p = rule.params
    meta = {"rule": rule.id, "field": rule.field}
    field_type = contract.field(rule.field).type
    if rule.check == "required_iff":
        when, values = p["when"]["field"], list(p["when"]["in"])
        return [
            (gxe.ExpectColumnValuesToNotBeNull(column=rule.field, row_condition=_is_in(when, values)),
             {**meta, "presence": True}),
            (gxe.ExpectColumnValuesToBeNull(column=rule.field, row_condition=_not_in(when, values)), meta),
        ]
    if rule.check == "required_unless":
        when, values = p["when"]["field"], list(p["when"]["in"])
        return [(gxe.ExpectColumnValuesToNotBeNull(column=rule.field, row_condition=_not_in(when, values)),
                 {**meta, "presence": True})]
    if rule.check == "compare":
        op, other = p["op"], p["other"]
        # field op other  ⇔  A > B (or ≥) with A/B chosen so the comparison reads the same way.
        a, b = (other, rule.field) if op in ("<", "<=") else (rule.field, other)
        return [
            (
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=a,
                    column_B=b,
                    or_equal=op in ("<=", ">="),
                    ignore_row_if="either_value_is_missing",
                ),
                meta,
            )
        ]
    if rule.check == "not_after_period_end":
        if field_type == "datetime":
            expectation = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=PERIOD_AFTER, column_B=rule.field, or_equal=False,
                ignore_row_if="either_value_is_missing")
        else:
            expectation = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=PERIOD_END, column_B=rule.field, or_equal=True,
                ignore_row_if="either_value_is_missing")
        return [(expectation, meta)]
    if rule.check == "positive_only_if":
        when, values = p["when"]["field"], list(p["when"]["in"])
        return [(gxe.ExpectColumnValuesToBeBetween(column=rule.field, max_value=0,
                                                   row_condition=_not_in(when, values)), meta)]
    if rule.check == "at_most_reference":
        return [(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=reference_max_column(rule.field), column_B=rule.field, or_equal=True,
            ignore_row_if="either_value_is_missing"), meta)]
    raise ValueError(f"{contract.report_type}: unknown row-rule check {rule.check!r}")


def build_suite(contract: Contract) -> dict[str, Any]:
    """The suite of a contract as the JSON document written under ``expectations/raw/``."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    pairs: list[tuple[Any, dict[str, Any]]] = []
    unique_fields = set()
    for f in contract.fields:
        meta = {"field": f.name}
        if f.required:
            pairs.append((gxe.ExpectColumnToExist(column=f.name),
                          {**meta, "rule": "file.missing_column", "stage": "file"}))
            pairs.append((gxe.ExpectColumnValuesToNotBeNull(column=f.name),
                          {**meta, "rule": "required", "presence": True}))
        if f.enum:
            pairs.append((gxe.ExpectColumnValuesToBeInSet(column=f.name, value_set=list(f.enum)),
                          {**meta, "rule": "enum"}))
        bounds = (("minimum", f.minimum, {"min_value": f.minimum}),
                  ("exclusive_minimum", f.exclusive_minimum,
                   {"min_value": f.exclusive_minimum, "strict_min": True}),
                  ("maximum", f.maximum, {"max_value": f.maximum}),
                  ("exclusive_maximum", f.exclusive_maximum,
                   {"max_value": f.exclusive_maximum, "strict_max": True}))
        for rule_id, bound, kwargs in bounds:
            if bound is not None:
                pairs.append((gxe.ExpectColumnValuesToBeBetween(column=f.name, **kwargs),
                              {**meta, "rule": rule_id}))
        if f.pattern:
            pairs.append((gxe.ExpectColumnValuesToMatchRegex(column=f.name, regex=f.pattern),
                          {**meta, "rule": "pattern"}))
        if f.unique:
            unique_fields.add((f.name,))
            pairs.append((gxe.ExpectCompoundColumnsToBeUnique(
                column_list=[SUBMISSION, f.name], ignore_row_if="any_value_is_missing"),
                {**meta, "rule": "unique"}))
        if f.reference:
            if f.reference not in REFERENCE_SETS:
                raise ValueError(f"{contract.report_type}.{f.name}: unknown reference {f.reference!r}")
            # The look-up is a join (thousands of codes); the suite checks its outcome.
            pairs.append((gxe.ExpectColumnValuesToBeInSet(column=reference_column(f.name), value_set=[True]),
                          {**meta, "rule": "reference", "reference": f.reference}))
        if f.in_submitter_region:
            pairs.append((gxe.ExpectColumnPairValuesToBeEqual(
                column_A=region_column(f.name), column_B=SUBMITTER_REGION,
                ignore_row_if="either_value_is_missing"),
                {**meta, "rule": "in_submitter_region"}))
    key = tuple(contract.primary_key)
    if key and key not in unique_fields:
        pairs.append((gxe.ExpectCompoundColumnsToBeUnique(
            column_list=[SUBMISSION, *key], ignore_row_if="any_value_is_missing"),
            {"field": "+".join(key), "rule": "unique"}))
    for rule in contract.row_rules:
        pairs.extend(_row_rule_expectations(rule, contract))

    expectations = []
    for expectation, meta in pairs:
        meta = {"rule": meta["rule"], "field": meta["field"], "severity": _severity(meta["rule"], contract),
                **{k: v for k, v in meta.items() if k not in ("rule", "field")}}
        expectation.meta = meta
        expectations.append(expectation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        suite = gx.ExpectationSuite(
            name=f"raw.{contract.report_type}", expectations=expectations,
            meta={"generated_from": f"include/qamtu/contracts/schemas/{contract.report_type}.json",
                  "contract_version": contract.version,
                  "how": "python -m qamtu.ingest.suites (do not edit by hand)"},
        )
        document = suite.to_json_dict()
    document.pop("id", None)
    for item in document["expectations"]:
        item.pop("id", None)
        item.pop("rendered_content", None)
    document.pop("notes", None)
    return json.loads(json.dumps(document, sort_keys=False, default=str))


def suite_text(contract: Contract) -> str:
    return json.dumps(build_suite(contract), ensure_ascii=False, indent=2) + "\n"


def write_suites(folder: Path = SUITE_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for report_type in report_types():
        path = folder / f"{report_type}.json"
        path.write_text(suite_text(load_contract(report_type)), encoding="utf-8")
        written.append(path)
    return written


# --- reading -------------------------------------------------------------------------------------
@cache
def load_suite(report_type: str) -> dict[str, Any]:
    path = SUITE_DIR / f"{report_type}.json"
    if not path.exists():
        raise FileNotFoundError(f"no suite {path}; run python -m qamtu.ingest.suites")
    return json.loads(path.read_text(encoding="utf-8"))


def expectations_of(report_type: str) -> list[Expectation]:
    return [Expectation(f"raw/{report_type}", i, e["type"], e["kwargs"], e.get("meta", {}))
            for i, e in enumerate(load_suite(report_type)["expectations"])]


def row_expectations(report_type: str) -> list[Expectation]:
    return [e for e in expectations_of(report_type) if e.stage == "row"]


def required_columns(report_type: str) -> list[str]:
    """The columns the suite requires to exist (the header check)."""
    return [e.kwargs["column"] for e in expectations_of(report_type) if e.type == "expect_column_to_exist"]


# --- the two routes: the shared engine (qamtu.expectations) --------------------------------------
def failure_predicate(expectation: Expectation) -> str:
    """SQL that is true for the rows the expectation flags (not for uniqueness: see ``unique_columns``)."""
    return row_predicate(expectation.type, expectation.kwargs,
                         f"{expectation.meta.get('field')}: {expectation.rule}")


def unique_columns(expectation: Expectation) -> list[str]:
    return key_columns(expectation.kwargs)


# --- pandas route (GX) ---------------------------------------------------------------------------
def run_gx(report_type: str, frame) -> list[tuple[int, int]]:
    """Validate ``frame`` (the checked relation as pandas) with the report type's suite in GX 1.x;
    returns (frame row position, expectation index) for every unexpected row."""
    row_exps = row_expectations(report_type)
    by_index = {e.index: e for e in row_exps}
    # The index rides in meta: results are matched to expectations by it, not by order.
    result = validate_frame(f"raw__{report_type}", load_suite(report_type)["name"],
                            [{"type": e.type, "kwargs": e.kwargs, "meta": {**e.meta, "_index": e.index}}
                             for e in row_exps], frame, "COMPLETE")
    found: list[tuple[int, int]] = []
    for item in result.results:
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"GX could not evaluate {item.expectation_config.type} on {report_type}: "
                               f"{item.exception_info.get('exception_message')}")
        if item.success:
            continue
        expectation = by_index[item.expectation_config.meta["_index"]]
        indexes = item.result.get("unexpected_index_list")
        if indexes is None:
            raise RuntimeError(f"GX returned no row indexes for {expectation.type} on {report_type}")
        found.extend((int(i), expectation.index) for i in indexes)
    return found


# --- the validate step ----------------------------------------------------------------------------
def validate(bench, subs: list[Submission], progress: Callable[[str, int, int], Any]) -> dict[str, str]:
    """Validate every staged file of a run in its working database (``bench``, a
    :class:`qamtu.ingest.stage.Workbench`), all new files of a report type together: GX 1.x on
    pandas for small reports, the same suite compiled to SQL for ``x-large`` ones (or when GX fails:
    the run goes on and each file's ``details["validation"]`` says which route ran). Returns
    {report type: route}."""
    routes = {}
    by_type: dict[str, list[Submission]] = {}
    for sub in subs:
        if sub.staged and not sub.rejected:
            by_type.setdefault(sub.contract.report_type, []).append(sub)
    for report_type, group in sorted(by_type.items()):
        contract = group[0].contract
        ids = [s.submission_id for s in group]
        progress(f"validating {report_type}", 0, 1)
        checked = bench.checked(contract, ids)
        bench.type_findings(contract, ids)
        route = "sql" if contract.large else "gx"
        if route == "gx":
            try:
                bench.validate_gx(contract, checked)
            except Exception as error:  # GX is the preferred route, not the only one
                logging.getLogger("qamtu.ingest").warning(
                    "GX validation of %s failed, using the SQL route: %s", report_type, error
                )
                bench.con.execute("delete from work.findings where rule is null")
                route = f"sql (GX failed: {type(error).__name__}: {error})"
                bench.validate_sql(contract, checked)
        else:
            bench.validate_sql(contract, checked)
        bench.describe_hits(contract, checked, ids, lambda e: e.severity)
        for sub in group:
            sub.details["validation"] = route.split(" ")[0]
        routes[report_type] = route
    return routes


if __name__ == "__main__":  # pragma: no cover - the generator of the committed suite files
    for written in write_suites():
        print(written)
