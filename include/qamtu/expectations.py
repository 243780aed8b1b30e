"""The one expectation engine behind both quality gates: the ingestion's suites (one per report type,
generated from the contracts, ``qamtu.ingest.suites``) and the audit's (the marts and cross checks,
``qamtu.quality.suites``).

An expectation is GX's own serialised form (``type``, ``kwargs``, ``meta``). It runs by one of two
routes that must agree: compiled here to a SQL predicate and pushed down to the warehouse (ten million
speed tests never leave DuckDB), or validated by Great Expectations on a pandas frame through a
``ValidationDefinition`` of one cached ephemeral context (small frames and aggregates).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite, as plain data: ``suite`` its name (``marts/<model>``, ``checks/<name>``,
    ``raw/<report type>``), ``index`` its position in the suite."""

    suite: str
    index: int
    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        """Stable name in results and reports: ``<suite>#<index>:<rule>``."""
        return f"{self.suite}#{self.index}:{self.rule}"

    @property
    def rule(self) -> str:
        return self.meta["rule"]

    @property
    def severity(self) -> str:
        """``critical``/``warning`` in the audit's suites, ``error``/``warning`` in ingestion's."""
        return self.meta.get("severity", "error")

    @property
    def field(self) -> str:
        """The contract field an ingestion expectation checks."""
        return self.meta["field"]

    @property
    def stage(self) -> str:
        """Ingestion: ``row`` (a bad row is quarantined) or ``file`` (a bad file is rejected)."""
        return self.meta.get("stage", "row")

    @property
    def description(self) -> str:
        return self.meta.get("description", "")

    @property
    def is_table_level(self) -> bool:
        return self.type in TABLE_LEVEL_TYPES

    @property
    def figure(self) -> str | None:
        """The column whose value a finding reports."""
        if "figure" in self.meta:
            return self.meta["figure"]
        kw = self.kwargs
        if "column" in kw:
            return kw["column"]
        if "column_A" in kw:
            # a ≥ b reads "b at most a": the figure checked is b when a is the bound.
            return (
                kw["column_B"]
                if self.type == "expect_column_pair_values_a_to_be_greater_than_b"
                else kw["column_A"]
            )
        if "column_list" in kw:
            return "+".join(kw["column_list"])
        return None

    @property
    def bound(self) -> str | None:
        """The column holding the limit the figure is compared with (pair expectations)."""
        if self.type == "expect_column_pair_values_a_to_be_greater_than_b":
            return self.kwargs["column_A"]
        if self.type == "expect_column_pair_values_to_be_equal":
            return self.kwargs["column_B"]
        return None

    def columns(self) -> list[str]:
        """Columns the expectation reads (its row condition included)."""
        kw = self.kwargs
        names = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
        names += list(kw.get("column_list", []))
        names += condition_columns(kw.get("row_condition"))
        return list(dict.fromkeys(names))


class SuiteError(ValueError):
    """A suite or expectation the engine cannot run (says which and why)."""


TABLE_LEVEL_TYPES = ("expect_table_row_count_to_be_between",)


# --- SQL route -------------------------------------------------------------------------------------
def q(name: str) -> str:
    """A quoted SQL identifier (DuckDB and PostgreSQL alike)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a value of a suite."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SuiteError(f"not a finite number in a suite: {value}")
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def condition_columns(condition: dict[str, Any] | None) -> list[str]:
    """The columns a GX row condition reads."""
    if not condition:
        return []
    if condition.get("type") in ("and", "or"):
        return [c for part in condition["conditions"] for c in condition_columns(part)]
    return [condition["column"]["name"]]


def condition_sql(condition: dict[str, Any] | None) -> str | None:
    """A GX Condition (as serialised in a suite) → a SQL boolean expression."""
    if not condition:
        return None
    kind = condition.get("type")
    if kind in ("and", "or"):
        return "(" + f" {kind} ".join(condition_sql(c) for c in condition["conditions"]) + ")"
    column = q(condition["column"]["name"])
    if kind == "nullity":
        return f"({column} is {'' if condition['is_null'] else 'not '}null)"
    if kind == "comparison":
        operator, parameter = condition["operator"], condition["parameter"]
        if operator in ("IN", "NOT_IN"):
            values = ", ".join(literal(v) for v in parameter)
            return f"({column} {'in' if operator == 'IN' else 'not in'} ({values}))"
        sql_operator = {"==": "=", "!=": "<>"}.get(operator, operator)
        if sql_operator not in ("=", "<>", "<", "<=", ">", ">="):
            raise SuiteError(f"row condition operator not supported: {operator}")
        return f"({column} {sql_operator} {literal(parameter)})"
    raise SuiteError(f"row condition not supported: {condition}")


def row_predicate(kind: str, kwargs: dict[str, Any], name: str = "") -> str:
    """SQL true for the rows a column-map or column-pair expectation flags (its row condition
    included). Uniqueness is not a row predicate: see :func:`key_columns`."""
    kw = kwargs
    if kind == "expect_column_values_to_not_be_null":
        predicate = f"{q(kw['column'])} is null"
    elif kind == "expect_column_values_to_be_null":
        predicate = f"{q(kw['column'])} is not null"
    elif kind == "expect_column_values_to_be_in_set":
        column = q(kw["column"])
        predicate = (
            f"{column} is not null and {column} not in ({', '.join(literal(v) for v in kw['value_set'])})"
        )
    elif kind == "expect_column_values_to_be_between":
        column = q(kw["column"])
        checks = []
        if kw.get("min_value") is not None:
            checks.append(f"{column} {'>' if kw.get('strict_min') else '>='} {literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            checks.append(f"{column} {'<' if kw.get('strict_max') else '<='} {literal(kw['max_value'])}")
        if not checks:
            raise SuiteError(f"{name}: between without min_value or max_value")
        predicate = f"{column} is not null and not ({' and '.join(checks)})"
    elif kind == "expect_column_values_to_match_regex":
        column = q(kw["column"])
        predicate = f"{column} is not null and not regexp_matches({column}, {literal(kw['regex'])})"
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = q(kw["column_A"]), q(kw["column_B"])
        predicate = (
            f"{a} is not null and {b} is not null and not ({a} {'>=' if kw.get('or_equal') else '>'} {b})"
        )
    elif kind == "expect_column_pair_values_to_be_equal":
        a, b = q(kw["column_A"]), q(kw["column_B"])
        predicate = f"{a} is not null and {b} is not null and {a} <> {b}"
    else:
        raise SuiteError(f"{name}: {kind} has no row predicate")
    condition = condition_sql(kw.get("row_condition"))
    return f"({condition} and ({predicate}))" if condition else f"({predicate})"


def key_columns(kwargs: dict[str, Any]) -> list[str]:
    """The columns a uniqueness expectation keys on (``column_list``, or one ``column``)."""
    return list(kwargs["column_list"]) if "column_list" in kwargs else [kwargs["column"]]


# --- GX route --------------------------------------------------------------------------------------
_GX_CONTEXT: Any = None
_SOURCE = "qamtu"


def gx_context():
    """One ephemeral GX context per process (creating one costs more than validating a small frame),
    with the pandas Data Source every suite validates its frames through."""
    global _GX_CONTEXT
    if _GX_CONTEXT is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            context.data_sources.add_pandas(_SOURCE)
        _GX_CONTEXT = context
    return _GX_CONTEXT


def validate_frame(asset_name: str, suite_name: str, expectations: list[dict[str, Any]], frame,
                   result_format: str):
    """Validate ``frame`` with the expectations (GX documents) as the suite ``suite_name``, through a
    ``ValidationDefinition`` on the frame's Data Asset ``asset_name``; GX's own
    ``ExpectationSuiteValidationResult`` back."""
    import great_expectations as gx

    context = gx_context()
    source = context.data_sources.get(_SOURCE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            asset = source.get_asset(asset_name)
        except LookupError:
            asset = source.add_dataframe_asset(asset_name)
        try:
            definition = asset.get_batch_definition("whole")
        except (KeyError, LookupError):
            definition = asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=suite_name, expectations=expectations))
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{asset_name}:{suite_name}", data=definition, suite=suite))
        return validation.run(batch_parameters={"dataframe": frame},
                              result_format={"result_format": result_format})
