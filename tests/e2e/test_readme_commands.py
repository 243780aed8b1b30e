"""The README's `qamtu` section, run as written: line by line, in order, on fresh homes, each line's
promise checked. A line this test does not know fails it, so the README and this test change together.

Paths under /tmp in the README are moved under the test's own temporary folder; nothing else changes.
Figures are checked against the generator's truth files (``truth/expected.json``), not the pipeline."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from release_precision import as_published

REPO = Path(__file__).resolve().parents[2]


def readme_block() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## The `qamtu` command", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's `qamtu` section has no bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def without_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


def subcommand(words: list[str]) -> tuple[str, list[str]]:
    index = next(i for i, word in enumerate(words) if word.endswith("/qamtu") or word == "qamtu")
    rest = words[index + 1:]
    return (rest[0] if rest else ""), rest[1:]


def option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def check_line(
    words: list[str], env: dict[str, str], result: subprocess.CompletedProcess, seen: dict
) -> None:
    home = Path(env["QAMTU_HOME"])
    command, args = subcommand(words)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    if command == "--help":
        for name in ("generate", "ingest", "build", "audit", "publish", "status", "run", "reference", "sql"):
            assert name in result.stdout
    elif command == "generate":
        first, last = option(args, "--periods").split("..")
        for period in (first, last):
            assert list((home / "landing").glob(f"*/*/{period}/*")), f"nothing generated for {period}"
        assert (home / "truth" / "expected.json").exists()
    elif command == "ingest":
        landed = {p.relative_to(home / "landing").as_posix().split(".", 1)[0]
                  for p in (home / "landing").rglob("*") if p.is_file()}
        receipts = {p.relative_to(home / "receipts").as_posix().split(".", 1)[0]
                    for p in (home / "receipts").rglob("*.json")}
        assert landed == receipts, "every landed file gets a receipt"
    elif command == "build":
        import duckdb

        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            tables = {r[0] for r in con.execute("select table_schema from "
                                                "information_schema.tables").fetchall()}
        assert {"marts_candidate", "reference"} <= tables and "marts" not in tables
    elif command == "audit":
        results = json.loads((home / "audit" / option(args, "--period") / "results.json").read_text())
        assert results["publishable"] and results["counts"]["critical_failed"] == 0
    elif command == "publish":
        period = option(args, "--period")
        seen[period] = seen.get(period, 0) + 1
        assert result.stdout.strip() == f"releases/{period}/v1/"  # the first publish and every repeat: v1
        versions = sorted(p.name for p in (home / "publication" / "releases" / period).iterdir())
        assert versions == ["v1"]
        if seen[period] > 1:
            assert "Unchanged" in result.stderr
        check_figures(home, period)
    elif command == "status":
        assert re.search(r"2026-01 .*passed.*v1", " ".join(result.stdout.split()))
    elif command == "sql":
        import csv
        import io

        truth = json.loads((home / "truth" / "expected.json").read_text())["national"]
        latest = json.loads((home / "publication" / "latest.json").read_text())
        rows = {r["indicator"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
        assert set(rows) == set(truth[latest["period"]])
        for indicator, expected in truth[latest["period"]].items():
            assert float(rows[indicator]["actual"]) == as_published(expected, indicator), indicator
            assert rows[indicator]["obs_status"] == "A"
    elif command == "run":
        for period in option(args, "--periods").split(","):
            assert f"{period}: release v1 at" in output and "report:" in output
            assert (home / "publication" / "releases" / period / "v1" / "report.html").exists()
            check_figures(home, period)
    else:
        pytest.fail(f"the README runs `qamtu {command}`, which this test does not check yet")


def check_figures(home: Path, period: str) -> None:
    """The release's national headline figures equal the generator's truth."""
    import pyarrow.parquet as pq

    truth = json.loads((home / "truth" / "expected.json").read_text())["national"][period]
    table = pq.read_table(
        home / "publication" / "releases" / period / "v1" / "parquet" / "fct_programme_progress.parquet"
    )
    published = {row["indicator"]: row["actual"] for row in table.to_pylist()
                 if row["period"] == period and row["region_code"] == "KZ"}
    for indicator, expected in truth.items():
        assert published[indicator] == as_published(expected, indicator), indicator


def test_every_readme_line_does_what_it_says(tmp_path):
    """Run each line, then check what it promised before the next line runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")} | {"COLUMNS": "200"}
    seen: dict[str, int] = {}
    commands = 0
    for raw_line in readme_block():
        line = without_comment(raw_line).replace("/tmp/", f"{tmp_path}/")
        words = shlex.split(line)
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            env[name] = value
            continue
        line_env = dict(env)
        while "=" in words[0] and not words[0].startswith((".", "/")):  # VAR=value command
            name, value = words.pop(0).split("=", 1)
            line_env[name] = value
        result = subprocess.run(words, cwd=REPO, env=line_env, capture_output=True, text=True, timeout=1200)
        try:
            check_line(words, line_env, result, seen)
        except AssertionError as error:
            raise AssertionError(f"README line `{raw_line.strip()}`: {error}") from error
        commands += 1
    assert commands >= 9
