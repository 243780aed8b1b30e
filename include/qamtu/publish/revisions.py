"""What changed since the last release: which headline figures moved (a diff of the programme progress
figures against the previous release's own file) and why (the submissions that became current since)."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

from qamtu.publish.i18n import KINDS, LANGUAGES, REPORT_TYPES, UI

# Figures equal up to this relative difference are the same figure (float noise across engines).
RELATIVE_TOLERANCE = 1e-9
FIGURE_KEY = ("period", "region_code", "indicator")
INPUT_KEY = ("kind", "submitter", "period", "report_type")


def headline_figures(progress: pa.Table) -> dict[tuple[str, str, str], float | None]:
    """``(period, region_code, indicator) → actual`` from a programme progress table."""
    figures: dict[tuple[str, str, str], float | None] = {}
    for row in progress.select(["period", "region_code", "indicator", "actual"]).to_pylist():
        value = row["actual"]
        if value is not None and isinstance(value, float) and math.isnan(value):
            value = None
        figures[(str(row["period"])[:7], str(row["region_code"]), str(row["indicator"]))] = (
            None if value is None else float(value))
    return figures


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)


def diff_figures(previous: dict, current: dict) -> dict[str, Any]:
    revised, removed = [], []
    for key in sorted(previous):
        if key not in current:
            removed.append(dict(zip(FIGURE_KEY, key, strict=True)) | {"previous": previous[key]})
        elif not _same(previous[key], current[key]):
            before, now = previous[key], current[key]
            change = None if before is None or now is None else now - before
            revised.append(dict(zip(FIGURE_KEY, key, strict=True)) | {"previous": before, "current": now,
                                                                    "change": change})
    added = sorted(key for key in current if key not in previous)
    return {
        "revised_figures": revised,
        "removed_figures": removed,
        "new_figures": len(added),
        "new_periods": sorted({key[0] for key in added}),
    }


def input_changes(previous_inputs: list[dict[str, str]], current_inputs: list[dict[str, str]],
                  previous_period: str | None) -> dict[str, list[dict[str, str]]]:
    """Resubmissions: a submission current now that replaced the one the previous release used.
    Late reports: first received since, for a period the previous release already covered."""
    before = {tuple(i[k] for k in INPUT_KEY): i for i in previous_inputs}
    resubmissions, late = [], []
    for item in current_inputs:
        key = tuple(item[k] for k in INPUT_KEY)
        old = before.get(key)
        if old is not None:
            if old["sha256"] != item["sha256"]:
                resubmissions.append(item | {"replaces_received_at": old["received_at"],
                                             "replaces_sha256": old["sha256"]})
        elif previous_period is not None and item["period"] <= previous_period:
            late.append(dict(item))
    return {"resubmissions": resubmissions, "late_submissions": late}


def challenges_taking_effect(challenges: pa.Table | None, period: str) -> list[dict[str, str]]:
    """Upheld challenges whose claim stops counting from ``period`` on (decided in the month before):
    the release of ``period`` names them. ``challenges``: the fct_challenges mart."""
    if challenges is None or "effective_from_period" not in challenges.column_names:
        return []
    named = []
    for row in challenges.to_pylist():
        if (str(row["period"])[:7] == period and row["status"] == "upheld"
                and str(row["effective_from_period"] or "") == period):
            named.append({k: None if row[k] is None else str(row[k])
                          for k in ("challenge_id", "region_code", "kato_code", "operator",
                                    "claim", "decided_on")})
    return sorted(named, key=lambda item: (item["region_code"], item["challenge_id"]))


def flagged_figures(progress: pa.Table, period: str) -> list[dict[str, Any]]:
    """The period's figures the completeness policy withheld (M) or flagged provisional (P), with why."""
    if "obs_status" not in progress.column_names:
        return []
    rows = progress.select(["period", "region_code", "indicator", "obs_status", "status_reason"]).to_pylist()
    return sorted(
        (
            {k: row[k] for k in ("period", "region_code", "indicator", "obs_status", "status_reason")}
            for row in rows
            if str(row["period"])[:7] == period and row["obs_status"] not in (None, "A")
        ),
        key=lambda row: (row["indicator"], row["region_code"]),
    )


def compare(previous: dict[str, Any] | None, previous_progress: pa.Table | None, current_progress: pa.Table,
            current_inputs: list[dict[str, str]], notes: str | None, period: str | None = None,
            challenges_upheld: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The revision notes of a release, against the previous release (``None`` for the first).
    ``challenges_upheld``: the upheld challenges taking effect in this release
    (:func:`challenges_taking_effect`)."""
    flagged = flagged_figures(current_progress, period) if period else []
    if previous is None or previous_progress is None:
        return {"previous": None, "revised_figures": [], "removed_figures": [],
                "new_figures": len(headline_figures(current_progress)), "new_periods": [],
                "resubmissions": [], "late_submissions": [], "flagged_figures": flagged, "notes": notes or "",
                "challenges_upheld": challenges_upheld or []}
    figures = diff_figures(headline_figures(previous_progress), headline_figures(current_progress))
    inputs = input_changes(previous.get("inputs") or [], current_inputs, previous.get("period"))
    return {
        "previous": {"period": previous["period"], "version": previous["version"], "path": previous["path"],
                     "published_at": previous.get("published_at")},
        **figures,
        **inputs,
        "flagged_figures": flagged,
        "notes": notes or "",
        "challenges_upheld": challenges_upheld or [],
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0")


def notes_markdown(changes: dict[str, Any], period: str, version: int,
                   indicator_names: dict[str, dict[str, str]]) -> bytes:
    """The revision notes for people, each heading in Kazakh / Russian / English."""
    def heading(key: str) -> str:
        return " / ".join(UI[key][lang] for lang in LANGUAGES)

    lines = [f"# {heading('section_changes')} — {period} v{version}", ""]
    previous = changes.get("previous")
    if not previous:
        lines += [heading("first_release"), ""]
    else:
        lines += [f"{heading('compared_with')}: {previous['period']} v{previous['version']} "
                  f"({previous['path']}, {previous.get('published_at') or ''})", ""]
    if changes.get("notes"):
        lines += [f"## {heading('notes')}", "", changes["notes"], ""]
    if changes.get("challenges_upheld"):
        lines += [f"## {heading('challenges_upheld')}", "",
                  "| challenge | region | settlement | operator | claim | upheld on |",
                  "|---|---|---|---|---|---|"]
        for item in changes["challenges_upheld"]:
            lines.append(f"| {item['challenge_id']} | {item['region_code']} | {item['kato_code']} | "
                         f"{item['operator']} | {item['claim']} | {item['decided_on']} |")
        lines.append("")
    if changes.get("flagged_figures"):
        lines += [f"## {heading('flagged_figures')}", "", "| indicator | region | status | why |",
                  "|---|---|---|---|"]
        for row in changes["flagged_figures"]:
            lines.append(f"| {row['indicator']} | {row['region_code']} | {row['obs_status']} | "
                         f"{row['status_reason']} |")
        lines.append("")
    if previous:
        lines += [f"## {heading('revised_figures')}", ""]
        if changes["revised_figures"]:
            lines += ["| indicator | region | period | before | now | change |", "|---|---|---|---|---|---|"]
            for row in changes["revised_figures"]:
                name = indicator_names.get(row["indicator"], {}).get("en", row["indicator"])
                lines.append(f"| {row['indicator']} ({name}) | {row['region_code']} | {row['period']} | "
                             f"{_fmt(row['previous'])} | {_fmt(row['current'])} | {_fmt(row['change'])} |")
        else:
            lines.append(heading("no_revisions"))
        lines.append("")
        if changes["new_periods"]:
            lines += [f"{heading('new_figures')}: {changes['new_figures']} "
                      f"({', '.join(changes['new_periods'])})", ""]
        lines += [f"## {heading('why')}", ""]
        if changes["resubmissions"]:
            lines += ["| kind | submitter | period | report type | received | replaces the file received |",
                      "|---|---|---|---|---|---|"]
            for item in changes["resubmissions"]:
                lines.append(
                    f"| {KINDS.get(item['kind'], {}).get('en', item['kind'])} | {item['submitter']} | "
                    f"{item['period']} | "
                    f"{REPORT_TYPES.get(item['report_type'], {}).get('en', item['report_type'])} | "
                    f"{item['received_at']} | {item['replaces_received_at']} |"
                )
        else:
            lines.append(heading("no_resubmissions"))
        lines.append("")
        if changes["late_submissions"]:
            lines += [f"## {heading('late_submissions')}", ""]
            for item in changes["late_submissions"]:
                lines.append(f"- {item['kind']} {item['submitter']}, {item['period']}, {item['report_type']} "
                             f"({item['received_at']})")
            lines.append("")
    return "\n".join(lines).encode("utf-8")
