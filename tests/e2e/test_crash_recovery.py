"""`kill -9` of a real `qamtu build`, a promotion and a `qamtu publish`, at several moments: the next run
recovers to exactly what an uninterrupted run gives — one release v1 with every file its manifest lists
(checksums), `latest` on it, the same content fingerprint and the generator's figures.

Kills are real SIGKILLs: the build is killed from outside while dbt runs; the publish and the promotion
kill themselves at named fault points (``QAMTU_KILL_AT``, :mod:`qamtu.faults`)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from qamtu.generate import generate_submissions
from release_precision import as_published

QAMTU = str(Path(sys.executable).with_name("qamtu"))
PERIOD = "2026-01"


def qamtu(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")}
    environment.update({"QAMTU_HOME": str(home), **env})
    return subprocess.run([QAMTU, *args], capture_output=True, text=True, timeout=900, env=environment)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("crash") / "qamtu"
    generate_submissions(out=home, periods=[PERIOD], scale=0.01, seed=3)
    assert qamtu(home, "ingest").returncode == 0
    return home


@pytest.fixture(scope="module")
def audited(ingested, tmp_path_factory) -> Path:
    """A build killed half-way through dbt, then built again and audited."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QAMTU_")} | {
        "QAMTU_HOME": str(ingested)
    }
    build = subprocess.Popen([QAMTU, "build"], stderr=subprocess.PIPE, text=True, env=environment)
    for line in build.stderr:
        if "dbt [10/" in line:  # ten models built, the rest not yet
            os.kill(build.pid, signal.SIGKILL)
            break
    assert build.wait(timeout=600) == -signal.SIGKILL
    rebuilt = qamtu(ingested, "build")
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert qamtu(ingested, "audit", "--period", PERIOD).returncode == 0
    return ingested


@pytest.fixture(scope="module")
def uninterrupted(audited, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("uninterrupted") / "qamtu"
    shutil.copytree(audited, home)
    assert qamtu(home, "publish", "--period", PERIOD).returncode == 0
    return release_of(home)


def release_of(home: Path) -> dict:
    """What a reader finds: the versions, `latest`, every listed file present with its checksum."""
    area = home / "publication"
    versions = sorted(p.name for p in (area / "releases" / PERIOD).iterdir())
    latest = json.loads((area / "latest.json").read_text())
    manifest = json.loads((area / latest["manifest"]).read_text())
    for entry in manifest["files"]:
        assert hashlib.sha256((area / entry["key"]).read_bytes()).hexdigest() == entry["sha256"], entry["key"]
    on_disk = sorted(str(p.relative_to(area / manifest["path"])) for p in (area / manifest["path"]).rglob("*")
                     if p.is_file())
    return {"versions": versions, "latest": (latest["period"], latest["version"]),
            "content": manifest["content_sha256"], "files": sorted(f["name"] for f in manifest["files"]),
            "on_disk": on_disk}


def national_figures(home: Path) -> dict[str, float]:
    import pyarrow.parquet as pq

    table = pq.read_table(
        home / "publication" / "releases" / PERIOD / "v1" / "parquet" / "fct_programme_progress.parquet"
    )
    return {
        r["indicator"]: r["actual"]
        for r in table.to_pylist()
        if r["region_code"] == "KZ" and r["period"] == PERIOD
    }


@pytest.mark.parametrize("point", ["promote:before-commit", "publish:file report.html", "publish:manifest",
                                   "publish:pointer latest/2026-01.json"])
def test_killed_publish_recovers_to_the_uninterrupted_release(audited, uninterrupted, tmp_path, point):
    home = tmp_path / "qamtu"
    shutil.copytree(audited, home)
    killed = qamtu(home, "publish", "--period", PERIOD, QAMTU_KILL_AT=point)
    assert killed.returncode == -signal.SIGKILL
    again = qamtu(home, "publish", "--period", PERIOD)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip() == f"releases/{PERIOD}/v1/"
    recovered = release_of(home)
    assert recovered == uninterrupted
    assert recovered["on_disk"] == sorted([*recovered["files"], "manifest.json"])
    truth = json.loads((home / "truth" / "expected.json").read_text())["national"][PERIOD]
    published = national_figures(home)
    assert set(published) == set(truth)
    for indicator, expected in truth.items():
        assert published[indicator] == as_published(expected, indicator), indicator
    # And a third publish changes nothing.
    assert qamtu(home, "publish", "--period", PERIOD).returncode == 0
    assert release_of(home) == uninterrupted
