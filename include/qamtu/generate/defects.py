"""The named defects ``qamtu generate --defects`` can inject, and the page that documents them
(``docs/defects.md`` is generated from ``defects_markdown()``; a test keeps it from drifting).

``stage`` says who must catch a defect: ``ingest`` (a row rule or a file rule of the contract;
``rule`` is the rule id: a field constraint — ``required``, ``type``, ``enum``, ``minimum``, ``unique``,
``reference``, ``in_submitter_region`` —, a schema row rule's ``id``, or a ``file.*`` rule) or ``audit``
(only a cross-row, cross-source or cross-period check can; ``rule`` is the audit check's name,
listed in ``AUDIT_RULES``)."""

from __future__ import annotations

from dataclasses import dataclass

from qamtu.contracts.rules import rule_severity


@dataclass(frozen=True)
class Defect:
    name: str
    stage: str  # ingest | audit
    rule: str
    description: str
    where: str = ""  # "<kind> <report_type> …": the file it is placed in
    alters_expected: tuple[str, ...] = ()  # headline indicators that differ from expected.json when it is loaded
    audit_warning: bool = False  # an audit defect the audit reports as a warning (it does not block publication)

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

_LIST = (
    # --- row rules (ingest) ----------------------------------------------------------------------
    Defect("households_connected_above_passed", "ingest", "connected_not_above_passed",
           "An extra settlement_fiber row whose households_connected exceeds its households_passed.",
           "operator settlement_fiber"),
    Defect("connected_on_after_period", "ingest", "connected_on_not_after_period_end",
           "An extra settlement_fiber row, status connected, with connected_on after the period's last day.",
           "operator settlement_fiber"),
    Defect("road_km_beyond_length", "ingest", "km_to_within_road_length",
           "An extra road_coverage stretch whose km_to lies beyond the road's length_km.",
           "operator road_coverage"),
    Defect("road_stretch_reversed", "ingest", "km_from_before_km_to",
           "An extra road_coverage stretch with km_from greater than km_to.", "operator road_coverage"),
    Defect("fine_without_violation", "ingest", "fine_only_with_violation",
           "An extra inspection with violation = no and a fine above zero.", "akimat quality_inspections"),
    Defect("decision_before_request", "ingest", "decided_not_before_requested",
           "An extra land-plot request decided twelve days before it was requested.", "akimat land_allocation"),
    Defect("coordinates_outside_kazakhstan", "ingest", "minimum",
           "An extra (planned) base station at latitude 39.9, south of Kazakhstan (40.5–55.5).",
           "operator base_stations"),
    Defect("unknown_kato_code", "ingest", "reference",
           "An extra settlement_fiber row whose 9-digit KATO code is not in the classifier.",
           "operator settlement_fiber"),
    Defect("kato_outside_region", "ingest", "in_submitter_region",
           "An extra inspection in a settlement of another region than the submitting akimat's.",
           "akimat quality_inspections"),
    Defect("unknown_operator", "ingest", "enum",
           "An extra land-plot request from an operator the contract does not know (\"Jusan Mobile\").",
           "akimat land_allocation"),
    Defect("duplicate_id", "ingest", "unique",
           "A base station listed twice: an extra row repeats an existing (2G/3G) site_id further down the file.",
           "operator base_stations"),
    Defect("negative_number", "ingest", "minimum",
           "An extra pole_access row with poles_granted = -5.", "akimat pole_access"),
    Defect("speed_out_of_range", "ingest", "minimum",
           "One speed test (an existing row) with download_mbps = -12.5.", "measurement speed_tests"),
    Defect("invalid_date", "ingest", "type",
           "An extra land-plot request whose requested_on is 31.02 of the period's year (no such day).",
           "akimat land_allocation"),
    Defect("missing_required_value", "ingest", "required",
           "An extra inspection with an empty operator cell.", "akimat quality_inspections"),
    # --- file rules (ingest) ---------------------------------------------------------------------
    Defect("totals_row_mismatch", "ingest", "file.totals_mismatch",
           "The XLSX totals row (Итого) of households_connected differs from the sum of the rows by 1,000 "
           "(a typed number instead of the formula). The rows load; the receipt warns.",
           "operator settlement_fiber (kazakhtelecom, XLSX)"),
    Defect("unknown_header", "ingest", "file.unknown_header",
           "An extra column the contract does not know (Kazakh \"Ескертпе\", a note). The rows load; the receipt warns.",
           "operator base_stations (tele2)"),
    Defect("missing_required_column", "ingest", "file.missing_column",
           "The required operator column is left out of the file.", "akimat pole_access"),
    Defect("empty_file", "ingest", "file.empty", "A 0-byte file.", "akimat pole_access"),
    Defect("truncated_xlsx", "ingest", "file.unreadable",
           "An XLSX file cut off half way (not a readable ZIP).", "akimat power_connections (XLSX)"),
    Defect("binary_junk_csv", "ingest", "file.unreadable",
           "A .csv holding 4 KiB of binary bytes (a PNG signature, NUL bytes, random bytes).",
           "akimat pole_access (CSV)"),
    Defect("wrong_encoding", "ingest", "file.wrong_encoding",
           "A CSV saved as UTF-16 (little endian, BOM FF FE, NUL bytes): not UTF-8, not Windows-1251 text.",
           "akimat power_connections (CSV)"),
    Defect("file_in_wrong_folder", "ingest", "file.wrong_folder",
           "An extra file: an operator's road_coverage report landed under an akimat's folder.",
           "extra file akimat/<region>/<period>/road_coverage.*"),
    Defect("wrong_period_folder", "ingest", "file.wrong_period",
           "An extra file: an operator's city_5g report under the period folder <year>-13.",
           "extra file operator/<id>/<year>-13/city_5g.*"),
    Defect("unknown_submitter", "ingest", "file.unknown_submitter",
           "An extra file from an operator the contract does not know (operator/jusan/...).",
           "extra file operator/jusan/<period>/city_5g.*"),
    Defect("zero_byte_resubmission", "ingest", "file.empty",
           "A second, 0-byte file for a key that already has a good one. Written under "
           "OUT/landing_resubmissions/<key>: land it after the first ingest; it must be rejected and must not "
           "supersede the good file.", "extra object landing_resubmissions/operator/<id>/<period>/city_5g.*"),
    # --- cross checks (audit) --------------------------------------------------------------------
    Defect("households_passed_above_settlement", "audit", "households_passed_within_settlement",
           "A connected settlement_fiber row whose households_passed exceeds the settlement's households in the "
           "KATO reference (households_connected unchanged).", "operator settlement_fiber"),
    Defect("city_5g_area_above_city_area", "audit", "covered_area_within_city_area",
           "An operator's 5G covered area of a city set to 118 % of the city's area.", "operator city_5g",
           alters_expected=("city_5g_territory_share", "cities_5g_at_target")),
    Defect("operator_akimat_disagree", "audit", "operator_akimat_fibre_agree",
           "An akimat reports has_fibre = no for a settlement an operator reports fibre-connected.",
           "akimat settlement_connectivity"),
    Defect("akimat_fibre_without_operator", "audit", "operator_akimat_fibre_agree",
           "An akimat reports has_fibre = yes for a settlement no operator reports fibre-connected.",
           "akimat settlement_connectivity"),
    Defect("cumulative_drop", "audit", "cumulative_not_decreasing",
           "An operator's settlement_fiber leaves out settlements it reported connected the period before (no "
           "revision note). Only settlements another operator also reports connected are left out, so the "
           "headline indicators do not change. Needs a previous generated period.", "operator settlement_fiber"),
    Defect("covered_km_drop", "audit", "cumulative_not_decreasing",
           "An operator's road_coverage leaves out stretches it reported the period before, so its own covered "
           "km fall; only stretches other operators also cover are left out (road_km_covered unchanged). "
           "Needs a previous generated period.", "operator road_coverage"),
    Defect("missing_submission", "audit", "submission_complete",
           "An akimat's power_connections file is absent for the period.", "akimat power_connections",
           audit_warning=True),  # the completeness policy withholds or flags the figures; the audit warns
    # --- claims and challenges -------------------------------------------------------------------
    Defect("challenge_unknown_settlement", "ingest", "reference",
           "An extra challenge of a 9-digit KATO code (in the akimat's region) that is not in the classifier.",
           "akimat challenges"),
    Defect("response_unknown_challenge", "audit", "challenge_response_known",
           "An extra operator response to a challenge number no akimat ever submitted.",
           "operator challenge_responses", audit_warning=True),
    Defect("response_after_deadline", "audit", "challenge_response_in_time",
           "An extra operator response to a challenge of the previous period, dated after its deadline (the "
           "challenge stays as the truth says: upheld on the deadline, or decided by the earlier answer). Needs a "
           "previous generated period.", "operator challenge_responses", audit_warning=True),
)

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
