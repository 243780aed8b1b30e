"""The named defects ``qamtu generate --defects`` can inject, and the page that documents them
(``docs/defects.md`` is generated from ``defects_markdown()``; a test keeps it from drifting). The
defects themselves are data: ``defects.csv`` beside this module, one row a defect.

``stage`` says who must catch a defect: ``ingest`` (a row rule or a file rule of the contract;
``rule`` is the rule id: a field constraint — ``required``, ``type``, ``enum``, ``minimum``, ``unique``,
``reference``, ``in_submitter_region`` —, a schema row rule's ``id``, or a ``file.*`` rule) or ``audit``
(only a cross-row, cross-source or cross-period check can; ``rule`` is the audit check's name,
listed in ``AUDIT_RULES``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from qamtu.contracts.rules import rule_severity


@dataclass(frozen=True)
class Defect:
    name: str
    stage: str  # ingest | audit
    rule: str
    description: str
    where: str = ""  # "<kind> <report_type> …": the file it is placed in
    alters_expected: tuple[str, ...] = ()  # headline indicators that differ from expected.json when it is loaded
    # an audit defect the audit reports as a warning (it does not block publication): missing_submission (the
    # completeness policy withholds or flags the figures) and the two challenge-response checks
    audit_warning: bool = False

    @property
    def report_type(self) -> str | None:
        words = self.where.split()
        return words[1] if len(words) > 1 and words[0] in ("operator", "akimat", "measurement") else None

    @property
    def severity(self) -> str:
        """error (row quarantined, file rejected, audit fails) or warning (loaded, and said so), as the
        contract's rule catalogue has it."""
        if self.stage != "ingest":
            return "warning" if self.audit_warning else "error"
        return rule_severity(self.rule, self.report_type)


AUDIT_RULES = {
    "households_passed_within_settlement": "an operator's households_passed is at most the settlement's households "
                                           "(KATO reference)",
    "covered_area_within_city_area": "an operator's 5G covered_area_km2 is at most the city's area_km2",
    "operator_akimat_fibre_agree": "a settlement an operator reports fibre-connected is one its akimat reports "
                                   "has_fibre, and back",
    "cumulative_not_decreasing": "an operator's connected settlements and covered road km do not fall from one "
                                 "period to the next without a revision",
    "submission_complete": "every submitter sent every report type for the period",
    "challenge_response_known": "an operator's response answers a challenge the pipeline has received, of a "
                                "claim of that operator",
    "challenge_response_in_time": "an operator's response comes within the challenges contract's response_days "
                                  "(a late one is ignored: the challenge was upheld on its deadline)",
}

DEFECTS_FILE = Path(__file__).parent / "defects.csv"


def _read_defects() -> tuple[Defect, ...]:
    """defects.csv, one row a defect, in the order of docs/defects.md: row rules, file rules (ingest),
    cross checks (audit), claims and challenges. ``alters_expected`` is space-separated; ``audit_warning``
    is ``yes`` or empty."""
    with DEFECTS_FILE.open(encoding="utf-8", newline="") as f:
        return tuple(
            Defect(row["name"], row["stage"], row["rule"], row["description"], row["where"],
                   tuple(row["alters_expected"].split()), row["audit_warning"] == "yes")
            for row in csv.DictReader(f)
        )


_LIST = _read_defects()
DEFECTS: dict[str, Defect] = {d.name: d for d in _LIST}


def defects_markdown() -> str:
    """The text of docs/defects.md."""
    lines = [
        "# Defects the generator can inject",
        "",
        "Generated from `qamtu.generate.defects` (`DEFECTS`); edit the code, then run",
        "`python -m qamtu.generate.defects > docs/defects.md`. A test fails when this page drifts.",
        "",
        "`qamtu generate --defects all` (or a comma-separated list of names; `name@YYYY-MM` picks the period)",
        "injects each named defect once, at one place chosen from the seed, in the last generated period",
        "unless a period is given. Periods without defects are byte-identical to a clean run with the same",
        "seed. `OUT/truth/defects.json` lists what was injected where: `name`, `stage`, `rule`, `severity`,",
        "`file` (the landing key), `area` (`landing`, or `landing_resubmissions` for a resubmission), `line`",
        "(of the data row — CSV: physical line with the header on line 1; XLSX: Excel row; JSON: object",
        "index + 2; Parquet: row index + 2 —, the totals row, or the header row for header defects; `null`",
        "for whole-file defects), `period`, `kato_code`, `operator`, `road_code`, `region_code` (`null` when",
        "not applicable), `field` and `value` (the bad value as written), `alters_expected` (headline",
        "indicators that differ from `expected.json` if the defective data were loaded) and, for some, `details`.",
        "",
        "How defects are placed, so that `expected.json` stays the right answer for a defective run once",
        "the pipeline has done its job:",
        "",
        "- row defects caught at ingest are **extra rows** (the clean rows stay), so quarantining them leaves",
        "  the clean figures (`duplicate_id` repeats a 2G/3G site, which no indicator counts, so even an",
        "  ingest that quarantines both copies keeps them; `speed_out_of_range` alters one existing speed",
        "  test, and speed tests feed no headline indicator);",
        "- whole-file defects hit akimat files that feed no headline indicator (`pole_access`,",
        "  `power_connections`) or are extra files; `zero_byte_resubmission` is a later landing object;",
        "- audit defects change existing rows; only `city_5g_area_above_city_area` moves a headline figure",
        "  (its `alters_expected` says which).",
        "",
        "| name | stage | rule | severity | where | what |",
        "|---|---|---|---|---|---|",
    ]
    for d in _LIST:
        lines.append(f"| `{d.name}` | {d.stage} | `{d.rule}` | {d.severity} | {d.where} | {d.description} |")
    lines += ["", "## How each submitter writes (clean files, fixed per submitter)", "",
              "| submitter | format | language | encoding | delimiter | decimal | thousands | dates | booleans | "
              "XLSX title rows / totals row / cover sheet |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    from qamtu.generate.formats import AKIMAT_FORMATS, OPERATOR_FORMATS

    for submitter, fmt in [*OPERATOR_FORMATS.items(), *AKIMAT_FORMATS.items()]:
        d = fmt.describe()
        sheet = f"{d['title_rows']} / {d['totals_label'] or '—'} / {d['cover_sheet'] or '—'}" if d["ext"] == "xlsx" else ""
        delimiter = {"\t": "tab", None: ""}.get(d["delimiter"], f"`{d['delimiter']}`")
        thousands = {" ": "space", "\u00a0": "no-break space", None: ""}[d["thousands"]]
        decimal = f"`{d['decimal']}`" if d["encoding"] else ""
        lines.append(f"| {submitter} | {d['ext']} | {d['lang']} ({d['header_style']} headers, {d['value_style']} values) "
                     f"| {d['encoding'] or ''} | {delimiter} | {decimal} "
                     f"| {thousands} | {d['date_style']} | {'/'.join(d['booleans']) if submitter.isdigit() else ''} "
                     f"| {sheet} |")
    lines += ["", "`qos` (speed tests): csv.gz (UTF-8, `,`, canonical names, ISO 8601 UTC times, gzip level 1 with",
              "mtime 0) in months not divisible by 3, Parquet (zstd) in months 03, 06, 09, 12; 10,000,000 × scale",
              "rows a month."]
    lines += ["", "## Audit rules (names used in `defects.json` for stage `audit`)", ""]
    for rule, text in AUDIT_RULES.items():
        lines.append(f"- `{rule}`: {text}")
    lines += [
        "",
        "## Truth files",
        "",
        "- `truth/expected.json`: the headline indicators the **clean** submissions imply,",
        "  `{\"national\": {period: {code: value}}, \"regions\": {period: {region: {code: value}}}}`, computed from",
        "  the generator's own schedules (never from the files), as docs/methodology.md defines them. Regional",
        "  codes: villages_fibre_new, villages_fibre_share, population_access_share, households_last_mile,",
        "  people_last_mile, land_requests_decided_share, fines_kzt; a share with a zero denominator (no rural",
        "  settlements in 71, 75, 79) is `null`. Shares are percentages, unrounded.",
        "- `truth/defects.json`: the list above, one object per injected defect.",
        "- `truth/facts.json`: `meta` (seed, scale, periods, defects), `formats` (how each submitter writes:",
        "  extension, encoding, delimiter, decimal mark, language, header line, title rows, totals row, sheet),",
        "  and per period: `files` (landing key → data rows written, header line, totals line, sheet),",
        "  `rows_clean` (landing key → rows of the clean table), `regions` (rural settlements, connected,",
        "  population with access, land requests, inspections, violations, fines per region), `operators`",
        "  (settlements listed/connected and households connected per operator), `road_km_by_operator`,",
        "  `road_km_sum_of_operators` (overlaps counted as often as reported), `road_km_union`,",
        "  `city_5g_share_by_city`, `speed_tests` (rows, by operator, by technology).",
        "- `truth/claims.json`: `meta` (the verdict thresholds and challenge deadlines used) and per period:",
        "  `claims` (every operator claim — fibre connected, active 4G, active 5G — per settlement with its",
        "  speed tests, median and 10th-percentile download and verdict: confirmed, contradicted, disputed,",
        "  unverified), `verdict_counts` (per operator and `all`), `worklists` (per region, the flagged",
        "  settlements in rank order), `disputed_settlements` (per region), `challenges` (those submitted in",
        "  generated periods up to this one, with status at the period's end, decision date and days to",
        "  resolve), `statistics` (per region and `KZ`, per operator and `all`: received, open, answered,",
        "  upheld, rejected, complaints, median days to resolve), `responses_to_unknown_challenges` (answers to",
        "  challenges submitted before the first generated period), `claims_voided` (upheld challenges in",
        "  force in this period) and `voided_from_this_period` (those decided in the previous month).",
        "  Overstated claims (their speed tests run slow), disputed settlements (the akimat's `has_mobile_4g`",
        "  = no) and challenges are part of the clean world (`include/qamtu/generate/claims.py`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(defects_markdown(), end="")
