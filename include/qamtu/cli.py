"""The ``qamtu`` command. Each subcommand is a thin shell over a function of the package, so the
same step runs from Airflow, from tests and from here. Heavy imports stay inside the commands so
``qamtu --help`` is instant."""

from __future__ import annotations

import json
from contextlib import contextmanager
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
    console.print(f"Wrote {summary['files']} files for {', '.join(summary['periods'])} under "
                  f"{out / 'landing'}")
    if summary["defects"] or summary["skipped_defects"]:
        console.print(f"Injected {summary['defects']} defect(s): {summary['truth']}/defects.json")
    for skipped in summary["skipped_defects"]:
        console.print(f"[yellow]Not injected:[/yellow] {skipped['name']} ({skipped['reason']})")
    console.print(f"Truth: {summary['truth']}/expected.json, facts.json")


# Exit codes: 0 done, 1 refused or failed (the message says why), 2 bad arguments, 3 the warehouse is
# busy with another process (it waited QAMTU_LOCK_TIMEOUT_SECONDS).
EXIT_BUSY = 3


@contextmanager
def _warehouse(what: str):
    """Hold the warehouse for the whole command (one process at a time on the DuckDB file; waits for
    the holder up to the configured timeout); a busy warehouse ends the command in one sentence."""
    from qamtu.warehouse.lock import WarehouseBusy, warehouse_lock

    try:
        with warehouse_lock():
            yield
    except WarehouseBusy as error:
        console.print(f"Not {what}: {error}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BUSY) from None


def _echo(line: str) -> None:
    console.print(line, markup=False, highlight=False)


def _check_period(period: str) -> None:
    from qamtu.periods import parse_period

    try:
        parse_period(period)
    except ValueError as error:
        console.print(f"{error}", markup=False)
        raise typer.Exit(2) from error


@app.command()
def reference() -> None:
    """Reload the reference data (KATO, roads, programme targets) into the warehouse schema `reference`.
    Not needed before a build: `qamtu build` loads it when it is missing or the shipped CSVs changed."""
    from qamtu.pipeline import load_reference

    with _warehouse("loaded"):
        counts = load_reference(echo=lambda line: None)
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
    from qamtu.ingest import print_summary
    from qamtu.pipeline import ingest as ingest_new
    from qamtu.progress import progress_bar

    with _warehouse("ingested"), progress_bar("Ingesting submissions", disable=as_json) as advance:
        if retry:
            import sys

            from qamtu.ingest.run import requeue

            for key, waiting in requeue(list(retry)).items():
                print(f"re-queued {key}" if waiting else f"{key} was not waiting for a retry; ingesting "
                                                         "anyway",
                      file=sys.stderr if as_json else sys.stdout)
        summary = ingest_new(progress=advance)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        print_summary(summary, console)
    raise typer.Exit(1 if summary["failed"] else 0)


@app.command()
def build(
    period: str | None = typer.Option(None, help="Build only this month (YYYY-MM); default: all."),
) -> None:
    """Build the candidate marts (schema `marts_candidate`; the published `marts` are never touched)
    with one in-process dbt build; loads the reference data first when needed. Exit 1 when a model
    did not build or an error-severity dbt test failed (the audit will refuse that candidate)."""
    from qamtu.pipeline import build as build_candidate

    if period is not None:
        _check_period(period)
    with _warehouse("built"):
        result = build_candidate(period, echo=_echo)
    if result["success"]:
        console.print(f"Candidate built{' for ' + period if period else ''}: audit it next "
                      f"(`qamtu audit --period {period or 'YYYY-MM'}`).")
    else:
        console.print(
            "Candidate NOT usable: "
            + "; ".join((result.get("test_errors") or [])[:5] + (result.get("errors") or [])[:3])
            + " — the audit will refuse it.",
            markup=False,
        )
    raise typer.Exit(0 if result["success"] else 1)


@app.command()
def audit(period: str = typer.Option(..., help="The month to audit (YYYY-MM).")) -> None:
    """Run the quality gates on the candidate marts of a month; exit 1 when a critical check fails.
    Writes the results (JSON) and the report (HTML) under audit/<YYYY-MM>/; prints the report's path."""
    from qamtu.pipeline import audit as run_audit

    _check_period(period)
    with _warehouse("audited"):
        report = run_audit(period, echo=_echo)
    for finding in report["failures"][:25]:
        where = ", ".join(
            str(finding[k]) for k in ("region_code", "operator", "kato_code", "road_code") if finding[k]
        )
        console.print(f"[red]CRITICAL[/red] {finding['rule']} ({where or 'all'}): {finding['message']}")
    if len(report["failures"]) > 25:
        console.print(f"… and {len(report['failures']) - 25} more critical finding(s): see the report")
    console.print(f"{len(report['warnings'])} warning(s); results {report.get('results_path')}")
    print(report.get("report_path") or "")
    raise typer.Exit(0 if report["publishable"] else 1)


@app.command()
def publish(
    period: str = typer.Option(..., help="The month to publish (YYYY-MM)."),
    notes: str | None = typer.Option(None,
                                     help="Why this release (revision notes), e.g. who resubmitted what."),
) -> None:
    """Promote the audited candidate of a month and publish it: a new release version, then `latest`.
    Refused (exit 1, nothing written) unless the month's latest audit passed on exactly the rows now in
    the candidate. Same content as the newest version: no new version. Prints the release's key prefix."""
    from qamtu.pipeline import publish as publish_period
    from qamtu.quality import PromotionRefused

    _check_period(period)
    try:
        with _warehouse("published"):
            release = publish_period(period, echo=_echo, notes=notes)
    except (PromotionRefused, LookupError, ValueError, FileNotFoundError) as error:
        console.print(f"Not published: {error}.", markup=False)
        raise typer.Exit(1) from None
    if release["created"]:
        console.print(f"Published {period} v{release['version']}: {release['location']}")
    else:
        console.print(f"Unchanged: {period} v{release['version']} already holds this content "
                      f"({release['location']})")
    print(release["path"])


@app.command()
def status(
    period: str | None = typer.Option(None, help="Only this month (YYYY-MM)."),
    as_json: bool = typer.Option(False, "--json", help="Print the statuses as JSON."),
) -> None:
    """For each month: reports received (on time, late, rejected, missing), ingested, candidate built,
    audited (passed or failed, when, critical findings) and published (version, when), and the next step."""
    from rich.table import Table

    from qamtu.pipeline import status as period_statuses

    if period is not None:
        _check_period(period)
    with _warehouse("read"):
        statuses = period_statuses(periods=None if period is None else [period])
    if as_json:
        print(json.dumps([s.to_dict() for s in statuses], ensure_ascii=False, indent=2, default=str))
        raise typer.Exit(0)
    if not statuses:
        console.print("Nothing yet: land submissions and run `qamtu ingest`.")
        raise typer.Exit(0)
    table = Table(title="Qamtu: each month from receipt to release")
    for column in ("period", "received", "ingested", "built", "audited", "published", "next step"):
        table.add_column(column)
    for s in statuses:
        r = s.received
        received = (f"{r.on_time}/{r.expected} on time" + (f", {r.late} late" if r.late else "")
                    + (f", {r.rejected} rejected" if r.rejected else "")
                    + (f", {r.missing} missing" if r.missing else "")) if r else "—"
        ingested = (f"{s.ingested.submissions} files, {s.ingested.rows_loaded:,} rows"
                    + (f", {s.ingested.rows_quarantined:,} "
                       "quarantined" if s.ingested.rows_quarantined else "")
                    ) if s.ingested else "—"
        built = "—" if s.built is None else (
            f"{'ok' if s.built.success else 'FAILED'} "
            f"{s.built.built_at}" + ("" if s.built.current else " (stale)"))
        audited = "—" if s.audited is None else (
            f"{'passed' if s.audited.passed else 'FAILED'} {s.audited.audited_at}, "
            f"{s.audited.critical_findings} critical" + ("" if s.audited.current else " (stale)"))
        published = "—" if s.published is None else f"v{s.published.version} {s.published.published_at}"
        table.add_row(s.period, received, ingested, built, audited, published, s.next_step)
    Console(width=max(Console().width, 150)).print(table)


@app.command()
def run(
    periods: str = typer.Option("2026-01..2026-03", help="Months to generate and run."),
    scale: float = typer.Option(0.05, help="Scale of the generated sample (1.0 = national)."),
    seed: int = typer.Option(7),
) -> None:
    """All steps for the given periods on the configured target: generate, ingest, build, audit, publish —
    the same functions as the separate commands and the Airflow DAGs, the same gate. In process, without
    Airflow (`make run` runs them through Airflow). Ends with each month's release, headline figures and
    report. Exit 1 when a month could not be published (its audit failed: see the alert)."""
    from qamtu.pipeline import run_all

    with _warehouse("run"):
        result = run_all(periods=parse_periods(periods), scale=scale, seed=seed, echo=_echo)
    raise typer.Exit(0 if all(outcome["published"] for outcome in result["outcomes"]) else 1)


@app.command()
def sql(
    query: str | None = typer.Argument(None, help="SQL to run; none: an interactive shell."),
    release: str | None = typer.Option(None,
                                       help="YYYY-MM (its newest version) or YYYY-MM/vN; default: latest."),
    output: str = typer.Option("table", "--format", help="table, csv or json."),
) -> None:
    """Query a published marts.duckdb (tables: the marts, `vintages`, `release`), read-only. Never
    touches the warehouse, so it works while the pipeline runs. With S3 storage the file is
    downloaded to QAMTU_HOME/cache first."""
    import sys

    import duckdb

    from qamtu.publish.sql import FORMATS, connect_published, format_result, locate, run_query, shell

    if output not in FORMATS:
        console.print(f"[red]--format {output!r}:[/red] expected one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    try:
        database = locate(release)
    except (LookupError, ValueError, FileNotFoundError) as error:
        console.print(f"[red]No published database:[/red] {error}")
        raise typer.Exit(1) from error
    con = connect_published(database)
    try:
        if query is None and sys.stdin.isatty():
            shell(con, database, output)
            return
        text = query if query is not None else sys.stdin.read()
        try:
            sys.stdout.write(format_result(run_query(con, text), output))
        except duckdb.Error as error:
            from rich.markup import escape

            console.print(f"[red]Query failed:[/red] {escape(str(error))}")
            raise typer.Exit(1) from error
    finally:
        con.close()


@app.command("reader-role-sql")
def reader_role_sql_command(
    role: str | None = typer.Option(None, help="Role name (default: QAMTU_PG_READER_ROLE)."),
    database: str | None = typer.Option(None, help="Warehouse database (default: QAMTU_PG_DATABASE)."),
) -> None:
    """Print the SQL that makes the PostgreSQL read-only role (a login reading schema `published`
    only) for a superuser to run; its password is set separately (ALTER ROLE … PASSWORD)."""
    from qamtu.publish.database import reader_grants_sql, reader_role_sql
    from qamtu.settings import get_settings

    settings = get_settings()
    role = role or settings.pg_reader_role
    database = database or settings.pg_database
    print("-- as a superuser (or a role with CREATEROLE):")
    for statement in reader_role_sql(role):
        print(statement + ";")
    print(f"-- as the warehouse's owner ({settings.pg_user}), connected to database {database} "
          "(every `qamtu publish` runs these too):")
    for statement in reader_grants_sql(role, database):
        print(statement + ";")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
