"""The ``qamtu`` command. Each subcommand is a thin shell over a function of the package, so the
same step runs from Airflow, from tests and from here. Heavy imports stay inside the commands so
``qamtu --help`` is instant."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    help="Qamtu (қамту, coverage): Kazakhstan's national connectivity statistics pipeline.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def parse_periods(text: str) -> list[str]:
    """``2026-01..2026-10`` or ``2026-01,2026-03`` or ``2026-05`` → list of ``YYYY-MM``."""
    from qamtu.periods import period_range

    periods: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if ".." in part:
            start, end = part.split("..", 1)
            periods.extend(period_range(start.strip(), end.strip()))
        elif part:
            periods.extend(period_range(part, part))
    return periods


@app.command()
def generate(
    periods: str = typer.Option("2026-01..2026-03", help="Months to generate: 2026-01..2026-10 or a list."),
    scale: float = typer.Option(1.0, help="1.0 = national scale (10 M speed tests a month)."),
    seed: int = typer.Option(7, help="Same seed, byte-identical files."),
    out: Path | None = typer.Option(None, help="Output folder (default: QAMTU_HOME)."),
    defects: str | None = typer.Option(
        None, help="Comma-separated defect names to inject, or 'all'. See `qamtu generate --list-defects`."
    ),
    list_defects: bool = typer.Option(False, "--list-defects", help="List the defects that can be injected."),
) -> None:
    """Write realistic synthetic submissions under OUT/landing/ and their truth under OUT/truth/."""
    from qamtu.generate import DEFECTS, generate_submissions
    from qamtu.progress import progress_bar
    from qamtu.settings import get_settings

    if list_defects:
        for name, defect in DEFECTS.items():
            console.print(f"[bold]{name}[/bold] ({defect.stage}, rule {defect.rule}): {defect.description}")
        raise typer.Exit(0)
    out = out or get_settings().home
    # "all", names, or name@YYYY-MM (the defect's period; default the last one).
    chosen = None if not defects else [d.strip() for d in defects.split(",") if d.strip()]
    try:
        months = parse_periods(periods)
        with progress_bar("Generating submissions") as advance:
            summary = generate_submissions(out=out, periods=months, scale=scale, seed=seed, defects=chosen,
                                           progress=advance)
    except ValueError as error:
        console.print(f"[red]Not generated:[/red] {error}")
        raise typer.Exit(2) from error
    console.print(f"Wrote {summary['files']} files for {', '.join(summary['periods'])} under {out / 'landing'}")
    if summary["defects"] or summary["skipped_defects"]:
        console.print(f"Injected {summary['defects']} defect(s): {summary['truth']}/defects.json")
    for skipped in summary["skipped_defects"]:
        console.print(f"[yellow]Not injected:[/yellow] {skipped['name']} ({skipped['reason']})")
    console.print(f"Truth: {summary['truth']}/expected.json, facts.json")


@app.command()
def reference() -> None:
    """Load the reference data (KATO, roads, programme targets) into the warehouse schema `reference`."""
    from qamtu.reference import load_into_warehouse
    from qamtu.warehouse import connect

    with connect() as warehouse:
        counts = load_into_warehouse(warehouse)
    for table, rows in counts.items():
        console.print(f"reference.{table}: {rows} rows")


@app.command()
def ingest(as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
           retry: list[str] = typer.Option(None, "--retry", metavar="KEY",  # noqa: B008
                                           help="Re-queue a landing key given up on after repeated failures "
                                                "(repeatable), then ingest.")) -> None:
    """Archive, parse, validate and load everything new in landing; write a receipt per submission.
    Exit 1 when a file could not be finished (it is retried by the next run); a rejected file is a
    verdict written in its receipt, not an error of the command."""
    from qamtu.ingest import ingest_new, print_summary
    from qamtu.progress import progress_bar

    if retry:
        import sys

        from qamtu.ingest.run import requeue

        for key, waiting in requeue(list(retry)).items():
            print(f"re-queued {key}" if waiting else f"{key} was not waiting for a retry; ingesting anyway",
                  file=sys.stderr if as_json else sys.stdout)
    with progress_bar("Ingesting submissions", disable=as_json) as advance:
        summary = ingest_new(progress=advance)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        print_summary(summary, console)
    raise typer.Exit(1 if summary["failed"] else 0)


@app.command()
def build(period: str | None = typer.Option(None, help="Build only this month (YYYY-MM); default: all.")) -> None:
    """Build the dbt models (staging → intermediate → marts) with one in-process dbt invocation."""
    from qamtu.warehouse.dbt_runner import build_marts

    try:
        result = build_marts(period=period, echo=lambda line: console.print(line, markup=False, highlight=False))
    except ValueError as error:  # a malformed --period: say so before dbt starts
        console.print(f"Not built: {error}", markup=False)
        raise typer.Exit(2) from error
    raise typer.Exit(0 if result["success"] else 1)


@app.command()
def audit(period: str = typer.Option(..., help="The month to audit (YYYY-MM).")) -> None:
    """Run the quality gates on the candidate marts; exit 1 when a critical expectation fails.
    Writes the results (JSON) and the report (HTML) under audit/<YYYY-MM>/; prints the report's path."""
    from qamtu.periods import parse_period
    from qamtu.quality import run_audit

    try:
        parse_period(period)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    report = run_audit(period=period, echo=console.print)
    for finding in report["failures"][:25]:
        where = ", ".join(str(finding[k]) for k in ("region_code", "operator", "kato_code", "road_code") if finding[k])
        console.print(f"[red]CRITICAL[/red] {finding['rule']} ({where or 'all'}): {finding['message']}")
    if len(report["failures"]) > 25:
        console.print(f"… and {len(report['failures']) - 25} more critical finding(s): see the report")
    console.print(f"{len(report['warnings'])} warning(s); results {report.get('results_path')}")
    print(report.get("report_path") or "")
    raise typer.Exit(0 if report["publishable"] else 1)


@app.command()
def publish(
    period: str = typer.Option(..., help="The month to publish (YYYY-MM)."),
    notes: str | None = typer.Option(None, help="Why this release (revision notes), e.g. who resubmitted what."),
) -> None:
    """Write the release for a period to the publication area and move `latest` to it.
    Same content as the newest version: no new version. Prints the release's key prefix on stdout."""
    from qamtu.publish import publish_release

    try:
        release = publish_release(period=period, echo=console.print, notes=notes)
    except (LookupError, ValueError, FileNotFoundError) as error:
        console.print(f"[red]Not published:[/red] {error}")
        raise typer.Exit(1) from error
    if release["created"]:
        console.print(f"Published {period} v{release['version']}: {release['location']}")
    else:
        console.print(f"Unchanged: {period} v{release['version']} already holds this content ({release['location']})")
    print(release["path"])


@app.command()
def run(
    periods: str = typer.Option("2026-01..2026-03", help="Months to generate and run."),
    scale: float = typer.Option(0.05, help="Scale of the generated sample (1.0 = national)."),
    seed: int = typer.Option(7),
) -> None:
    """All steps for the given periods on the configured target: generate, ingest, build, audit, publish.
    In process, without Airflow (`make run` runs the same steps through Airflow). Exit 1 when a
    period could not be published (its audit failed: see the alert)."""
    from qamtu.pipeline import run_all

    result = run_all(periods=parse_periods(periods), scale=scale, seed=seed, echo=console.print)
    raise typer.Exit(0 if all(outcome["published"] for outcome in result["outcomes"]) else 1)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
