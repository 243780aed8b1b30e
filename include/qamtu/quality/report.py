"""The audit report: one self-contained HTML page (no scripts, no external requests) that a data engineer
can open or attach to a message to a submitter. It names each failing figure, its region, operator,
settlement or road, and the submissions (file, line) behind it."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from qamtu.settings import Settings

if TYPE_CHECKING:
    from qamtu.quality.audit import AuditReport

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Qamtu audit {{ r.period }}: {{ "publishable" if r.publishable else "NOT publishable" }}</title>
<style>
 body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 82rem;
        padding: 0 1rem; color: #1d2430; }
 h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 2px solid #dde3ea; }
 h3 { font-size: 1rem; margin: 1.4rem 0 .3rem; }
 .verdict { display: inline-block; padding: .35rem .8rem; border-radius: .3rem; font-weight: 700; color: #fff; }
 .ok { background: #2e7d32; } .blocked { background: #c62828; } .warn { color: #8a5a00; } .crit { color: #c62828; }
 table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
 th, td { border: 1px solid #dde3ea; padding: .3rem .45rem; text-align: left; vertical-align: top; }
 th { background: #f3f6f9; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
 code { font-size: .92em; } .muted { color: #5b6675; } .small { font-size: .88em; }
 dl { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; } dt { font-weight: 600; }
</style>
</head>
<body>
<h1>Quality audit of {{ r.period }}</h1>
<p><span class="verdict {{ 'ok' if r.publishable else 'blocked' }}">
{{ "Publishable" if r.publishable else "NOT publishable: critical checks failed" }}</span></p>
<dl>
 <dt>Audited</dt><dd>{{ r.schema }} on {{ r.dialect }}, {{ r.audited_at }} (audit {{ r.audit_id }})</dd>
 <dt>Expectations</dt><dd>{{ r.counts.expectations }} checked; <span class="crit">{{ r.counts.critical_failed }}
  critical</span> and <span class="warn">{{ r.counts.warning_failed }} warning</span> failed
  ({{ r.counts.critical_rows }} and {{ r.counts.warning_rows }} rows)</dd>
 <dt>Parameters</dt><dd class="small">{% for k, v in r.parameters.items() %}<code>{{ k }}</code> = {{ v }}{{ "; " if not loop.last }}{% endfor %}</dd>
 <dt>Candidate</dt><dd class="small"><code>{{ r.fingerprint }}</code></dd>
</dl>
{% if not r.publishable %}
<p>Nothing of {{ r.period }} is promoted or published: the last release stays as it was. Send each finding
below to its submitter (the files and lines are named), then re-run the pipeline once they resubmit.</p>
{% endif %}

{% for title, css, groups in sections %}
<h2 class="{{ css }}">{{ title }} ({{ groups | length }} expectation{{ "" if groups | length == 1 else "s" }})</h2>
{% if not groups %}<p class="muted">None.</p>{% endif %}
{% for g in groups %}
<h3 id="{{ g.expectation }}">{{ g.description }}</h3>
<p class="small muted"><code>{{ g.expectation }}</code> · rule <code>{{ g.rule }}</code> · {{ g.severity }}
 · {{ g.unexpected }} row{{ "" if g.unexpected == 1 else "s" }}{% if g.findings | length < g.unexpected %}
 (first {{ g.findings | length }} shown){% endif %}{% if g.guards %} · guards: {{ g.guards }}{% endif %}</p>
<table>
 <tr><th>Figure</th><th>Value</th><th>Limit</th><th>Region</th><th>Operator / submitter</th><th>Settlement / road</th>
     <th>Source submissions</th><th>What is wrong</th></tr>
 {% for f in g.findings %}
 <tr>
  <td>{{ f.figure or "" }}</td><td class="num">{{ show(f.value) }}</td><td class="num">{{ show(f.limit) }}</td>
  <td>{{ region(f.region_code) }}</td><td>{{ who(f) }}</td>
  <td>{{ place(f) }}</td>
  <td class="small">{% for s in sources(f) %}<div>{{ s }}</div>{% endfor %}</td>
  <td>{{ f.message }}</td>
 </tr>
 {% endfor %}
</table>
{% endfor %}
{% endfor %}

<h2>Suites</h2>
<table>
 <tr><th>Suite</th><th>Route</th><th>Rows checked</th><th>Expectations</th><th>Failed</th><th>Seconds</th></tr>
 {% for s in r.suites %}
 <tr><td><code>{{ s.suite }}</code></td><td>{{ s.route }}</td><td class="num">{{ show(s.rows) }}</td>
     <td class="num">{{ s.expectations }}</td><td class="num {{ 'crit' if s.failed }}">{{ s.failed }}</td>
     <td class="num">{{ "%.2f" % s.seconds }}</td></tr>
 {% endfor %}
</table>

<h2>Every expectation</h2>
<table class="small">
 <tr><th>Expectation</th><th>Severity</th><th>Result</th><th>Rows</th><th>What it checks</th></tr>
 {% for e in r.expectations %}
 <tr><td><code>{{ e.expectation }}</code></td><td>{{ e.severity }}</td>
     <td class="{{ '' if e.success else ('crit' if e.severity == 'critical' else 'warn') }}">{{ "pass" if e.success else "FAIL" }}</td>
     <td class="num">{{ e.unexpected }}</td><td>{{ e.description }}</td></tr>
 {% endfor %}
</table>
<p class="small muted">Suites: expectations/marts/*.json and expectations/checks/*.json (Great Expectations 1.x);
results: <code>{{ r.results_key }}</code>.</p>
</body>
</html>
"""


def reference_names(warehouse, report: AuditReport) -> dict[str, dict[str, str]]:
    """English names of the settlements and regions the findings name (from the KATO reference)."""
    codes = sorted({f["kato_code"] for f in report.failures + report.warnings if f.get("kato_code")})
    names: dict[str, dict[str, str]] = {"kato": {}, "regions": {}}
    if not warehouse.table_exists("reference", "kato"):
        return names
    rows = warehouse.rows("select region_code, name_en from reference.kato where level = 'region'")
    names["regions"] = {str(r[0]): r[1] for r in rows}
    for start in range(0, len(codes), 500):
        chunk = codes[start:start + 500]
        rows = warehouse.rows(f"select kato_code, name_en from reference.kato where kato_code in "
                              f"({', '.join('?' for _ in chunk)})", chunk)
        names["kato"].update({str(r[0]): r[1] for r in rows})
    return names


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}".replace(",", " ") if value.is_integer() else f"{value:,.3f}".replace(",", " ")
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _groups(findings: list[dict[str, Any]], report: AuditReport) -> list[dict[str, Any]]:
    by_expectation: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        by_expectation[finding["expectation"]].append(finding)
    info = {e["expectation"]: e for e in report.expectations}
    groups = []
    for expectation, items in by_expectation.items():
        first = items[0]
        groups.append({
            "expectation": expectation, "rule": first["rule"], "severity": first["severity"],
            "description": first["description"], "findings": items,
            "unexpected": max(info.get(expectation, {}).get("unexpected", len(items)), len(items)),
            "guards": first.get("guards"),
        })
    return groups


def render_report(report: AuditReport, settings: Settings | None = None) -> str:
    import jinja2

    from qamtu.contracts import submitters

    names = report.names or {"kato": {}, "regions": {}}
    labels = {s["id"]: s.get("labels", {}).get("en", s["id"]) for s in submitters().get("operator", [])}

    def region(code: Any) -> str:
        if not code:
            return ""
        if code == "KZ":
            return "Kazakhstan (KZ)"
        return "; ".join(f"{names['regions'].get(c, '')} ({c})".strip() for c in str(code).split(";"))

    def operator(code: Any) -> str:
        return "" if not code else labels.get(code, str(code))

    def who(finding: dict[str, Any]) -> str:
        if finding.get("operator"):
            return operator(finding["operator"])
        if finding.get("submitter"):
            kind = (finding.get("row") or {}).get("kind") or ""
            return f"{kind} {finding['submitter']}".strip()
        return ""

    def place(finding: dict[str, Any]) -> str:
        parts = []
        if finding.get("kato_code"):
            name = names["kato"].get(str(finding["kato_code"]))
            parts.append(f"{name} ({finding['kato_code']})" if name else str(finding["kato_code"]))
        if finding.get("road_code"):
            parts.append(f"road {finding['road_code']}")
        if finding.get("report_type") and not parts:
            parts.append(finding["report_type"])
        return "; ".join(parts)

    def sources(finding: dict[str, Any]) -> list[str]:
        keys = finding.get("submission_keys") or {}
        lines: dict[str, list[str]] = defaultdict(list)
        for source in finding.get("sources") or []:
            if source.get("line") is not None:
                lines[source["submission_id"]].append(str(source["line"]))
        shown = []
        for submission_id in finding.get("submission_ids") or []:
            text = f"{keys.get(submission_id, '')} [{submission_id}]".strip()
            if lines.get(submission_id):
                text += " line " + ", ".join(lines[submission_id][:10])
            shown.append(text)
        return shown

    sections = [("Critical: blocks publication", "crit", _groups(report.failures, report)),
                ("Warnings", "warn", _groups(report.warnings, report))]
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    template = environment.from_string(_TEMPLATE)
    return template.render(r=report, sections=sections, show=_show, region=region, who=who, place=place,
                           sources=sources)
