"""Synthetic submissions of the national programme, with named defects: the independent oracle the
tests compare the pipeline against. It reads only the contracts, the reference data, periods and
progress (never ingest, quality, warehouse or publish).

``generate_submissions(out, periods, scale, seed, defects)`` writes

- ``OUT/landing/<kind>/<submitter>/<YYYY-MM>/<report_type>.<ext>``: every submitter and report type
  of the spec for every period, in each submitter's own messy format (``formats.py``);
- ``OUT/landing_resubmissions/<key>``: later landing objects (the ``zero_byte_resubmission`` defect);
- ``OUT/truth/expected.json``, ``defects.json``, ``facts.json`` (see docs/defects.md).

Same arguments, byte-identical files. The files of a period do not depend on which other periods
are generated, nor on defects placed in other periods.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from qamtu.generate.defects import AUDIT_RULES, DEFECTS, Defect, defects_markdown
from qamtu.periods import parse_period, previous_period
from qamtu.progress import ProgressCallback

__all__ = ["AUDIT_RULES", "DEFECTS", "Defect", "defects_markdown", "generate_submissions", "parse_defects"]


def parse_defects(names: list[str] | None, periods: list[str]) -> dict[str, str]:
    """``["a", "b@2026-02", "all"]`` → {defect name: period}; the default period is the last one."""
    chosen: dict[str, str] = {}
    for item in names or ():
        item = item.strip()
        if not item:
            continue
        name, _, period = item.partition("@")
        period = period or periods[-1]
        if period not in periods:
            raise ValueError(f"defect {name!r}: period {period} is not among the generated periods")
        targets = list(DEFECTS) if name == "all" else [name]
        for target in targets:
            if target not in DEFECTS:
                raise ValueError(f"unknown defect {target!r}; known: {', '.join(DEFECTS)}")
            chosen[target] = period
    return chosen


def _clear_previous(out: Path, periods: list[str]) -> None:
    """Remove what an earlier run left for these periods (and the defects' odd folders), so a
    regenerated period holds exactly this run's files."""
    folders = set(periods) | {f"{p[:4]}-13" for p in periods}
    for area in ("landing", "landing_resubmissions"):
        root = out / area
        if not root.is_dir():
            continue
        for folder in sorted(root.glob("*/*/*")):
            if folder.is_dir() and folder.name in folders:
                shutil.rmtree(folder)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _dump(path: Path, value: Any) -> None:
    _write(path, (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8"))


def generate_submissions(out: Path, periods: list[str], scale: float, seed: int,
                         defects: list[str] | None = None,
                         progress: ProgressCallback | None = None) -> dict[str, Any]:
    from qamtu.contracts import load_contract
    from qamtu.generate import inject
    from qamtu.generate.claims import (
        HIGH_SPEED_MBPS,
        MIN_TESTS,
        ClaimStats,
        challenge_outcomes,
        deadlines,
        period_claims,
    )
    from qamtu.generate.formats import AKIMAT_FORMATS, OPERATOR_FORMATS, file_format, landing_key, render
    from qamtu.generate.speed import write_speed_tests
    from qamtu.generate.tables import build_table, submissions
    from qamtu.generate.truth import period_truth
    from qamtu.generate.world import World

    out = Path(out)
    periods = sorted(dict.fromkeys(periods))
    if not periods:
        raise ValueError("no period to generate")
    for period in periods:
        parse_period(period)
    chosen = parse_defects(defects, periods)
    world = World(seed, scale)
    slots = inject.allocation(world)
    _clear_previous(out, periods)
    keys = submissions()
    total = len(keys) * len(periods)
    done = 0
    expected: dict[str, Any] = {"national": {}, "regions": {}}
    facts: dict[str, Any] = {
        "meta": {
            "seed": seed,
            "scale": scale,
            "periods": periods,
            "defects": chosen,
            "line_convention": "CSV: physical line, header = 1; XLSX: Excel row; JSON: object index + 2; "
            "Parquet: row index + 2",
        },
        "formats": {
            "operator": {op: f.describe() for op, f in OPERATOR_FORMATS.items()},
            "akimat": {a: f.describe() for a, f in AKIMAT_FORMATS.items()},
            "measurement": {
                "qos": {"csv.gz": "months not divisible by 3", "parquet": "months 03, 06, 09, 12"}
            },
        },
        "periods": {},
    }
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    claims_truth: dict[str, dict[str, Any]] = {}
    files = 0
    for period in periods:
        tables = {(kind, sub, rt): build_table(world, kind, sub, rt, period)
                  for kind, sub, rt in keys if rt != "speed_tests"}
        rows_clean = {landing_key(k, s, period, rt, file_format(k, s, rt, period).ext): len(t.rows)
                      for (k, s, rt), t in tables.items() if t.rows or load_contract(rt).expected_each_period}
        truth = period_truth(world, period)
        expected["national"][period] = truth["national"]
        expected["regions"][period] = truth["regions"]

        ctx = inject.Context(world, period, tables, has_previous=previous_period(period) in periods)
        injections: list[inject.Injection] = []
        speed_rows = _speed_rows(scale)
        for name in inject.ORDER:
            if chosen.get(name) != period:
                continue
            try:
                injections.append(inject.apply(name, ctx, slots, speed_rows))
            except inject.DefectSkipped as why:
                skipped.append({"name": name, "period": period, "reason": str(why)})
        by_table: dict[tuple[str, str, str], list[inject.Injection]] = {}
        for inj in injections:
            if inj.table is not None:
                by_table.setdefault(inj.table, []).append(inj)

        file_facts: dict[str, Any] = {}
        rendered_by_key: dict[tuple[str, str, str], tuple[str, bytes]] = {}
        for kind, sub, rt in keys:
            fmt = file_format(kind, sub, rt, period)
            key = landing_key(kind, sub, period, rt, fmt.ext)
            mine = by_table.get((kind, sub, rt), [])
            done += 1
            if progress:
                progress(f"{period} {kind}/{sub}/{rt}", done, total)
            if rt == "speed_tests":
                bad = next((i.speed_row for i in mine if i.speed_row is not None), None)
                month_stats: list[ClaimStats] = []
                speed = write_speed_tests(world, period, out / "landing" / key, fmt.ext,
                                          negative_download_at=bad,
                                          claim_stats=month_stats)
                claims_truth[period] = period_claims(world, period, month_stats[0])
                files += 1
                file_facts[key] = {"rows": speed["rows"], "header_line": 1}
                facts_speed = speed
                for inj in mine:
                    records.append(inj.record(period, key))
                continue
            table = tables[(kind, sub, rt)]
            rendered = render(table, fmt)
            data = rendered.data
            for inj in mine:
                if inj.transform is not None:
                    data = inj.transform(table, fmt, rendered)
            rendered_by_key[(kind, sub, rt)] = (key, data)
            # A report due only when there is something to report (challenges, responses) is not sent empty.
            omitted = any(inj.omit for inj in mine) or (
                not table.rows and not load_contract(rt).expected_each_period
            )
            if not omitted:
                _write(out / "landing" / key, data)
                files += 1
                file_facts[key] = {"rows": len(table.rows), "header_line": rendered.header_line,
                                   "totals_line": rendered.totals_line, "sheet": rendered.sheet,
                                   "first_data_line": rendered.lines[0] if rendered.lines else None}
            for inj in mine:
                if inj.copy_to or inj.resubmission:
                    continue
                if inj.line_of == "row" and inj.row is not None:
                    inj.line = rendered.lines[_index_of(table.rows, inj.row)]
                elif inj.line_of == "totals":
                    inj.line = rendered.totals_line
                elif inj.line_of == "header":
                    inj.line = rendered.header_line
                first = inj.details.pop("first_row", None)
                if first is not None:
                    inj.details["first_line"] = rendered.lines[_index_of(table.rows, first)]
                records.append(inj.record(period, key))
        # Extra landing objects made from rendered files.
        for inj in injections:
            if inj.table is None or not (inj.copy_to or inj.resubmission):
                continue
            key, data = rendered_by_key[inj.table]
            if inj.copy_to:
                extra_key = f"{inj.copy_to}/{key.rsplit('/', 1)[1]}"
                _write(out / "landing" / extra_key, data)
                files += 1
                records.append(inj.record(period, extra_key))
            else:
                _write(out / "landing_resubmissions" / key, b"")
                records.append(inj.record(period, key, area="landing_resubmissions"))
        facts["periods"][period] = {
            "files": file_facts, "rows_clean": rows_clean, **truth["facts"],
            "speed_tests": facts_speed,
        }

    verdicts = {period: {(c["kato_code"], c["operator"], c["claim"]): c["verdict"] for c in truth["claims"]}
                for period, truth in claims_truth.items()}
    outcomes = challenge_outcomes(world, periods, verdicts)
    _dump(out / "truth" / "claims.json", {
        "meta": {"min_tests": MIN_TESTS, "high_speed_mbps": HIGH_SPEED_MBPS, **deadlines()},
        "periods": {period: {**claims_truth[period], **outcomes[period]} for period in periods}})
    _dump(out / "truth" / "expected.json", expected)
    _dump(out / "truth" / "defects.json", records)
    _dump(out / "truth" / "facts.json", facts)
    return {"files": files, "periods": periods, "defects": len(records), "skipped_defects": skipped,
            "landing": str(out / "landing"), "truth": str(out / "truth")}


def _speed_rows(scale: float) -> int:
    from qamtu.generate.speed import rows_for_scale

    return rows_for_scale(scale)


def _index_of(rows: list[dict[str, Any]], row: dict[str, Any]) -> int:
    for k, candidate in enumerate(rows):
        if candidate is row:
            return k
    raise LookupError("a defect's row is no longer in its table")
