"""The audit's Great Expectations suites, and the two ways they run.

Suites are reviewable files (GX 1.x ``ExpectationSuite`` JSON), the single source of every audit rule:

- ``expectations/marts/<model>.json``: one per mart, validated against the candidate mart's rows of
  the audited period;
- ``expectations/checks/<name>.json`` + ``<name>.sql``: cross-source and cross-period checks. The
  ``.sql`` file (a Jinja template, portable across DuckDB and PostgreSQL) says *which rows* are
  compared — a join of operators' and akimats' reports, this period against the last —, the suite
  says *what must hold* for each of them.

Every expectation carries ``meta``: ``rule`` (the audit rule it enforces; the names of
``qamtu.generate.defects.AUDIT_RULES`` where one applies), ``severity`` (``critical`` blocks
publication, ``warning`` is reported), ``description``, ``guards`` (the methodology or specification
rule behind it) and optionally ``figure`` (the column holding the figure a finding reports) and
``message`` (a template filled from the failing row).

Suite ``meta``: ``relation`` (``mart`` or the check's ``.sql`` file), ``route`` (``gx``: the rows are
pulled into pandas and validated by GX; ``sql``: every expectation is compiled to a SQL predicate and
evaluated in the warehouse — for tables of millions of rows), ``sources`` (report types whose
submissions feed the rows, to name them in findings) and ``description``.

Both routes give the same verdicts on the same rows (a test proves it on every suite). Expectation
types and their SQL failure predicates (a row is unexpected when the predicate holds):

- ``expect_column_values_to_not_be_null``: ``c is null``;
- ``expect_column_values_to_be_in_set``: ``c is not null and c not in (…)``;
- ``expect_column_values_to_be_between``: ``c is not null and not (c >= min and c <= max)``
  (``>``/``<`` when strict);
- ``expect_column_pair_values_a_to_be_greater_than_b``: ``a, b not null and not (a > b)``
  (``>=`` with or_equal);
- ``expect_column_pair_values_to_be_equal``: ``a, b not null and a <> b``;
- ``expect_column_values_to_be_unique`` / ``expect_compound_columns_to_be_unique``: the key occurs more than
  once (rows with every key value missing ignored);
- ``expect_table_row_count_to_be_between``: a table-level figure, no row;
- ``row_condition`` (GX Condition objects: comparison, nullity, and/or) → ``(condition) and (predicate)``.

Parameters (``{"$PARAMETER": name}`` in kwargs): ``contract:<report_type>.<field>.<minimum|maximum>``
is read from the submission contract (so a range is written once, in the contract), any other
name from the audit's parameters (``DEFAULT_PARAMETERS``, overridable per run).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from qamtu.expectations import (  # noqa: F401 - the engine's names, as the audit's modules import them
    TABLE_LEVEL_TYPES,
    Expectation,
    SuiteError,
    condition_columns,
    condition_sql,
    gx_context,
    key_columns,
    literal,
    q,
    row_predicate,
    validate_frame,
)
from qamtu.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR

MART_SUITES_DIR = EXPECTATIONS_DIR / "marts"
CHECK_SUITES_DIR = EXPECTATIONS_DIR / "checks"

SEVERITIES = ("critical", "warning")
CONTRACT_PARAMETER = "contract:"
# Methodology parameters of the audit (documented in expectations/checks/README.md); a run may override them.
DEFAULT_PARAMETERS: dict[str, Any] = {
    # Per region, % of settlements where operators and the akimat agree on fibre; below it the audit blocks
    # (each disagreement is reported as a warning whatever the share: docs/methodology.md).
    "agreement_min_share": 95.0,
    # Floating-point slack when kilometres and areas are compared (km, km²).
    "length_tolerance": 0.001,
    # Slack when a cumulative figure is compared with the period before (counts, km).
    "cumulative_tolerance": 0.001,
    # Slack when a region's figure is compared with the sum over its settlements.
    "sum_tolerance": 0.01,
    # Plausibility ceilings for one speed test (warnings, not errors of the contract).
    "max_plausible_mbps": 10000.0,
    "max_plausible_latency_ms": 60000.0,
}

SUPPORTED_TYPES = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_equal",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_table_row_count_to_be_between",
)
UNIQUENESS_TYPES = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


@dataclass(frozen=True)
class Suite:
    name: str  # marts/<model> or checks/<name>
    path: Path
    document: dict[str, Any] = field(repr=False)
    expectations: tuple[Expectation, ...] = field(repr=False)

    @property
    def meta(self) -> dict[str, Any]:
        return self.document.get("meta", {})

    @property
    def kind(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def model(self) -> str:
        return self.name.split("/", 1)[1]

    @property
    def route(self) -> str:
        return self.meta.get("route", "gx")

    @property
    def relation(self) -> str:
        return self.meta.get("relation", "mart")

    @property
    def sources(self) -> list[str]:
        return list(self.meta.get("sources", []))


# --- loading ---------------------------------------------------------------------------------------
def _check_document(path: Path, document: dict[str, Any]) -> None:
    if not isinstance(document.get("expectations"), list) or not document.get("name"):
        raise SuiteError(f"{path}: not an ExpectationSuite document (needs name and expectations)")
    meta = document.get("meta") or {}
    if meta.get("route", "gx") not in ("gx", "sql"):
        raise SuiteError(f"{path}: meta.route must be gx or sql, not {meta.get('route')!r}")
    for position, item in enumerate(document["expectations"]):
        where = f"{path}: expectation {position} ({item.get('type')})"
        if item.get("type") not in SUPPORTED_TYPES:
            raise SuiteError(f"{where}: type not supported by the audit (supported: "
                             f"{', '.join(SUPPORTED_TYPES)})")
        item_meta = item.get("meta") or {}
        for key in ("rule", "severity", "description"):
            if not item_meta.get(key):
                raise SuiteError(f"{where}: meta.{key} is required")
        if item_meta["severity"] not in SEVERITIES:
            raise SuiteError(f"{where}: meta.severity must be critical or warning, not "
                             f"{item_meta['severity']!r}")
        if item.get("severity") not in (None, item_meta["severity"]):
            raise SuiteError(f"{where}: GX severity {item['severity']!r} differs from meta.severity")


@cache
def _documented_models() -> dict[str, Any]:
    """The dbt project's model documentation, read once (``qamtu.publish.tables.load_docs``, the one
    reader of the models' YAML)."""
    from qamtu.publish.tables import load_docs

    return load_docs()


def model_primary_key(model: str) -> list[str]:
    """``config.meta.primary_key`` of a mart, from its dbt YAML: the one place a mart's key is written
    (its dbt ``unique_combination`` test refers to it by a YAML anchor)."""
    doc = _documented_models().get(model)
    path = DBT_PROJECT_DIR / "models" / "marts" / f"{model}.yml"
    if doc is None:
        raise SuiteError(f"{path}: no dbt YAML for the mart {model!r}, so no primary key for its suite")
    if not doc.primary_key:
        raise SuiteError(f"{path}: {model} declares no config.meta.primary_key")
    return list(doc.primary_key)


def key_expectation(model: str) -> dict[str, Any]:
    """The audit's one-row-per-key gate of a mart, generated from its primary key."""
    key = model_primary_key(model)
    kind, kwargs = (("expect_column_values_to_be_unique", {"column": key[0]}) if len(key) == 1 else
                    ("expect_compound_columns_to_be_unique", {"column_list": key}))
    return {"type": kind, "kwargs": kwargs, "severity": "critical",
            "meta": {"rule": "one_row_per_key", "severity": "critical",
                     "description": f"One row per {', '.join(key)}.",
                     "guards": "docs/methodology.md: one row per key of the mart"}}


def read_suite(path: Path) -> Suite:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SuiteError(f"{path}: not JSON ({error})") from error
    if path.parent.name == "marts" and (document.get("meta") or {}).get("relation") == "mart":
        # A mart's suite opens with its key gate, generated from the model's primary key.
        document["expectations"] = [key_expectation(path.stem), *(document.get("expectations") or [])]
    _check_document(path, document)
    name = f"{path.parent.name}/{path.stem}"
    expectations = tuple(
        Expectation(name, index, item["type"], dict(item.get("kwargs") or {}), dict(item["meta"]))
        for index, item in enumerate(document["expectations"])
    )
    return Suite(name=name, path=path, document=document, expectations=expectations)


@cache
def load_suites(folder: Path = EXPECTATIONS_DIR) -> tuple[Suite, ...]:
    """Every audit suite: the marts' then the checks', in file-name order."""
    suites = []
    for sub in ("marts", "checks"):
        for path in sorted((Path(folder) / sub).glob("*.json")):
            suites.append(read_suite(path))
    return tuple(suites)


def gx_expectations(suite: Suite, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The suite's expectations as GX documents. With ``parameters``, every ``$PARAMETER`` is replaced
    by its value first (GX's own parameter syntax does not allow names such as
    ``contract:speed_tests.latitude.minimum``; both routes substitute alike). ``meta._index`` ties each
    result back to its expectation."""
    return [{"type": e.type,
             "kwargs": substitute(e.kwargs, parameters) if parameters is not None else e.kwargs,
             "meta": {**e.meta, "_index": e.index}, "severity": e.severity} for e in suite.expectations]


def gx_suite(suite: Suite, parameters: dict[str, Any] | None = None):
    """The suite as a GX ``ExpectationSuite`` object (proves the file is one GX accepts)."""
    import great_expectations as gx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gx.ExpectationSuite(name=suite.document["name"],
                                   expectations=gx_expectations(suite, parameters),
                                   meta=suite.meta)


# --- parameters ------------------------------------------------------------------------------------
def contract_bound(name: str) -> float:
    """``contract:speed_tests.latitude.minimum`` → the bound written in the submission contract."""
    from qamtu.contracts import load_contract

    try:
        report_type, field_name, which = name[len(CONTRACT_PARAMETER):].split(".")
        spec = load_contract(report_type).field(field_name)
        value = getattr(spec, which)
    except (ValueError, KeyError, AttributeError, FileNotFoundError) as error:
        raise SuiteError(f"suite parameter {name!r} does not name a contract bound: {error}") from error
    if value is None:
        raise SuiteError(f"suite parameter {name!r}: the contract sets no {which}")
    return value


def parameter_names(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return [value["$PARAMETER"]]
        return [n for v in value.values() for n in parameter_names(v)]
    if isinstance(value, list):
        return [n for v in value for n in parameter_names(v)]
    return []


def resolve_parameters(suites: tuple[Suite, ...] | list[Suite], overrides: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    """The value of every ``$PARAMETER`` the suites use."""
    values = {**DEFAULT_PARAMETERS, **(overrides or {})}
    resolved: dict[str, Any] = {}
    for suite in suites:
        for expectation in suite.expectations:
            for name in parameter_names(expectation.kwargs):
                if name.startswith(CONTRACT_PARAMETER):
                    resolved[name] = contract_bound(name)
                elif name in values:
                    resolved[name] = values[name]
                else:
                    raise SuiteError(f"{suite.path}: unknown suite parameter {name!r}")
    return resolved


def substitute(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return parameters[value["$PARAMETER"]]
        return {k: substitute(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, parameters) for v in value]
    return value


# --- SQL route -------------------------------------------------------------------------------------
def failure_predicate(expectation: Expectation, parameters: dict[str, Any]) -> str:
    """SQL true for the rows ``expectation`` flags (column-map and pair expectations)."""
    return row_predicate(expectation.type, substitute(expectation.kwargs, parameters), expectation.id)


def unique_columns(expectation: Expectation) -> list[str]:
    return key_columns(expectation.kwargs)


def unique_violation_sql(expectation: Expectation, relation_sql: str, select: str) -> str:
    """Rows whose key occurs more than once (GX: rows with every key value missing are ignored)."""
    columns = [q(c) for c in unique_columns(expectation)]
    key = ", ".join(columns)
    condition = condition_sql(expectation.kwargs.get("row_condition"))
    present = " or ".join(f"{c} is not null" for c in columns)
    where = f"({present})" + (f" and {condition}" if condition else "")
    return (f"with checked as (select * from ({relation_sql}) as relation where {where}), "
            f"repeated as (select {key} from checked group by {key} having count(*) > 1) "
            f"select {select} from checked where ({key}) in (select {key} from repeated)")


def table_figure_sql(expectation: Expectation, relation_sql: str) -> str:
    if expectation.type == "expect_table_row_count_to_be_between":
        return f"select count(*) from ({relation_sql}) as relation"
    raise SuiteError(f"{expectation.id}: {expectation.type} is not a table-level expectation")


def table_verdict(expectation: Expectation, observed: Any, parameters: dict[str, Any]) -> bool:
    kw = substitute(expectation.kwargs, parameters)
    low, high = kw.get("min_value"), kw.get("max_value")
    return (low is None or observed >= low) and (high is None or observed <= high)


# --- GX route --------------------------------------------------------------------------------------
@dataclass
class GxVerdict:
    expectation: Expectation
    success: bool
    unexpected_rows: list[int]  # positions in the frame (column-map expectations)
    observed: Any = None  # table-level expectations


def run_gx(suite: Suite, frame, parameters: dict[str, Any]) -> list[GxVerdict]:
    """Validate ``frame`` (the suite's relation as pandas, index 0..n-1) with the suite in GX.

    Two passes: every expectation with GX's cheapest result format (``BOOLEAN_ONLY``: pass or fail),
    then only the failing ones again with ``COMPLETE`` (the failing rows' indexes, observed values).
    A clean month pays for the first pass only."""
    asset_name = suite.name.replace("/", "__")
    first = validate_frame(asset_name, suite.document["name"], gx_expectations(suite, parameters), frame,
                           "BOOLEAN_ONLY")
    by_index = {e.index: e for e in suite.expectations}
    passed: dict[int, bool] = {}
    for item in first.results:
        index = item.expectation_config.meta["_index"]
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(f"GX could not evaluate {by_index[index].id}: "
                               f"{item.exception_info.get('exception_message')}")
        passed[index] = bool(item.success)
    failing = [by_index[i] for i, ok in passed.items() if not ok]
    details = {}
    if failing:
        subset = Suite(suite.name, suite.path, suite.document, tuple(failing))
        second = validate_frame(asset_name, suite.document["name"],
                                gx_expectations(subset, parameters), frame,
                                "COMPLETE")
        details = {item.expectation_config.meta["_index"]: item for item in second.results}
    verdicts = []
    for index, ok in passed.items():
        expectation = by_index[index]
        if ok:
            verdicts.append(GxVerdict(expectation, True, []))
            continue
        item = details[index]
        if expectation.is_table_level:
            verdicts.append(GxVerdict(expectation, False, [], item.result.get("observed_value")))
            continue
        indexes = item.result.get("unexpected_index_list") or []
        if not indexes:
            raise RuntimeError(f"GX returned no row indexes for the failing {expectation.id}")
        rows = sorted({int(i) if not isinstance(i, dict) else int(i["index"]) for i in indexes})
        verdicts.append(GxVerdict(expectation, False, rows))
    return sorted(verdicts, key=lambda v: v.expectation.index)
