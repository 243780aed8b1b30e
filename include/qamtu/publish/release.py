"""Releases in the publication area: write once, checksum, then move the pointers.

Layout of the area (a local folder or an S3 bucket; keys as below):

    releases/<YYYY-MM>/v<N>/...            the files of one release (immutable once its manifest exists)
    releases/<YYYY-MM>/v<N>/manifest.json  written last: every file of the release with its sha256
    latest/<YYYY-MM>.json                  pointer to the newest version of that period
    latest.json                            pointer to the newest release of the newest period, plus the
                                           newest version of every period

A pointer holds the release folder, its manifest key and the manifest's sha256, so a reader resolves
"the latest release" in one read (latest.json) and can verify it. A version folder without a manifest
is an unfinished publish: it is not a release, readers ignore it and the next publish removes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from qamtu.periods import parse_period
from qamtu.publish import formats, portal, privacy, report, revisions
from qamtu.publish.database import publish_latest_database, write_release_database
from qamtu.publish.i18n import LANGUAGES, README, UI
from qamtu.publish.tables import (
    NATION,
    PROGRESS_TABLE,
    MartTable,
    content_fingerprint,
    current_inputs,
    load_docs,
    load_marts,
    methodology_text,
)
from qamtu.records import ReadsAsMapping
from qamtu.settings import Settings, get_settings

AREA = "publication"
RELEASES = "releases"
LATEST = "latest.json"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
MANIFEST_FORMAT = "qamtu-release/1"
_VERSION_DIR = re.compile(r"^releases/(\d{4}-\d{2})/v(\d+)/(.+)$")

# Called after each step of a publish ("file <name>", "manifest", "pointer <key>"); raising in it
# simulates a publish killed at that point.
StepHook = Callable[[str], None]


@dataclass(frozen=True, eq=False)
class Release(ReadsAsMapping):
    """A published release version, as :func:`publish_release` returns it: where it is (``path``, its
    ``location``, ``manifest`` and ``report`` keys), its file names, content fingerprint, time of
    publication, the revision summary of its manifest and whether this publish ``created`` it (False:
    the newest version already held the same content). Built from its manifest
    (:meth:`from_manifest`); :meth:`to_dict` is its JSON form, and the record reads like it."""

    period: str
    version: int
    path: str
    location: str
    manifest: str
    report: str
    files: list[str]
    content_sha256: str
    published_at: str
    created: bool
    revision: dict[str, Any]

    @classmethod
    def from_manifest(cls, area, manifest: dict[str, Any], created: bool) -> Release:
        return cls(
            period=manifest["period"],
            version=manifest["version"],
            path=manifest["path"],
            location=area.uri(manifest["path"] + MANIFEST).removesuffix(MANIFEST),
            manifest=manifest["path"] + MANIFEST,
            report=manifest["path"] + "report.html",
            files=[f["name"] for f in manifest["files"]],
            content_sha256=manifest["content_sha256"],
            published_at=manifest["published_at"],
            created=created,
            revision=manifest["revision"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "version": self.version, "path": self.path, "location": self.location,
                "manifest": self.manifest, "report": self.report, "files": self.files,
                "content_sha256": self.content_sha256, "published_at": self.published_at,
                "created": self.created,
                "revision": self.revision}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def release_prefix(period: str, version: int) -> str:
    return f"{RELEASES}/{period}/v{version}/"


def period_pointer_key(period: str) -> str:
    return f"latest/{period}.json"


def open_publication(settings: Settings | None = None):
    from qamtu.storage import open_area

    return open_area(AREA, settings)


# --- reading the area ----------------------------------------------------------------------------
def _versions_on_storage(area, period: str) -> dict[int, set[str]]:
    """Version number → the names of the files stored under its folder."""
    versions: dict[int, set[str]] = {}
    for key in area.list(f"{RELEASES}/{period}/"):
        match = _VERSION_DIR.match(key)
        if match and match.group(1) == period:
            versions.setdefault(int(match.group(2)), set()).add(match.group(3))
    return versions


def read_json(area, key: str) -> dict[str, Any]:
    return json.loads(area.get_bytes(key).decode("utf-8"))


def complete_versions(area, period: str) -> dict[int, dict[str, Any]]:
    """The published versions of a period (those with a manifest) → their manifests."""
    return {
        version: read_json(area, release_prefix(period, version) + MANIFEST)
        for version, names in sorted(_versions_on_storage(area, period).items())
        if MANIFEST in names
    }


def read_latest(settings: Settings | None = None, period: str | None = None) -> dict[str, Any] | None:
    """The pointer to the newest release (of ``period`` when given), or ``None`` before the first."""
    area = open_publication(settings)
    key = LATEST if period is None else period_pointer_key(period)
    return read_json(area, key) if area.exists(key) else None


def read_manifest(settings: Settings | None = None, period: str | None = None,
                  version: int | None = None) -> dict[str, Any]:
    """The manifest of a release: the latest one, the latest of a period, or a given version."""
    area = open_publication(settings)
    if period is not None and version is not None:
        return read_json(area, release_prefix(period, version) + MANIFEST)
    pointer = read_latest(settings, period)
    if pointer is None:
        raise LookupError("nothing has been published yet" if period is None else f"{period} has no release")
    return read_json(area, pointer["manifest"])


def _previous_release(area, period: str) -> dict[str, Any] | None:
    """The release a new version is compared with: the newest version of the same period, else the
    newest release of the latest earlier period."""
    versions = complete_versions(area, period)
    if versions:
        return versions[max(versions)]
    earlier = sorted({
        match.group(1)
        for key in area.list("latest/")
        if (match := re.match(r"^latest/(\d{4}-\d{2})\.json$", key)) and match.group(1) < period
    })
    if not earlier:
        return None
    pointer = read_json(area, period_pointer_key(earlier[-1]))
    return read_json(area, pointer["manifest"])


def _file_of(manifest: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((f for f in manifest["files"] if f["name"] == name), None)


def _previous_progress(area, manifest: dict[str, Any] | None) -> pa.Table | None:
    if manifest is None:
        return None
    entry = _file_of(manifest, f"parquet/{PROGRESS_TABLE}.parquet")
    if entry is None:
        return None
    data = area.get_bytes(entry["key"])
    if _sha256(data) != entry["sha256"]:
        raise ValueError(f"{entry['key']}: checksum differs from its manifest; the release was altered")
    return pq.read_table(pa.BufferReader(data))


# --- cleaning up after an interrupted publish ----------------------------------------------------
def sweep_unfinished(area, period: str, echo=print) -> list[str]:
    """Delete the files of version folders that never got their manifest (a publish that died)."""
    removed = []
    for version, names in sorted(_versions_on_storage(area, period).items()):
        if MANIFEST in names:
            continue
        for name in sorted(names):
            key = release_prefix(period, version) + name
            area.delete(key)
            removed.append(key)
        echo(f"publish: removed the unfinished {release_prefix(period, version)} ({len(names)} file(s))")
    return removed


# --- pointers ------------------------------------------------------------------------------------
def _pointer(manifest: dict[str, Any], manifest_bytes: bytes) -> dict[str, Any]:
    prefix = manifest["path"]
    return {
        "format": MANIFEST_FORMAT,
        "period": manifest["period"],
        "version": manifest["version"],
        "path": prefix,
        "manifest": prefix + MANIFEST,
        "manifest_sha256": _sha256(manifest_bytes),
        "report": prefix + "report.html",
        "published_at": manifest["published_at"],
        "content_sha256": manifest["content_sha256"],
    }


def move_pointers(area, manifest: dict[str, Any], manifest_bytes: bytes, on_step: StepHook | None = None,
                  echo=print) -> bool:
    """Point ``latest/<period>.json`` at this release, then ``latest.json`` when its period is the newest.
    Returns whether latest.json now names this release."""
    pointer = _pointer(manifest, manifest_bytes)
    period_key = period_pointer_key(manifest["period"])
    current = read_json(area, period_key) if area.exists(period_key) else None
    if current is None or current.get("version", 0) <= manifest["version"]:
        area.put_bytes(period_key, formats.dumps_json(pointer))
    if on_step:
        on_step(f"pointer {period_key}")
    newest = read_json(area, LATEST) if area.exists(LATEST) else None
    periods = dict(newest.get("periods") or {}) if newest else {}
    periods[manifest["period"]] = {"version": manifest["version"], "manifest": pointer["manifest"],
                                   "manifest_sha256": pointer["manifest_sha256"]}
    moves = newest is None or (newest["period"], newest["version"]) <= (
        manifest["period"],
        manifest["version"],
    )
    document = (pointer if moves else {k: v for k, v in newest.items() if k != "periods"}) | {
        "periods": dict(sorted(periods.items()))}
    area.put_bytes(LATEST, formats.dumps_json(document))
    if on_step:
        on_step(f"pointer {LATEST}")
    if moves:
        publish_latest_database(area, manifest, echo=echo)
    echo(f"publish: latest/{manifest['period']}.json → v{manifest['version']}"
         + (f"; latest.json → {manifest['period']} v{manifest['version']}" if moves else ""))
    return moves


# --- building the files --------------------------------------------------------------------------
def _release_title(period: str, version: int) -> dict[str, str]:
    return {lang: f"{UI['title'][lang]} — {period} v{version}" for lang in LANGUAGES}


def _progress(marts: list[MartTable]) -> MartTable:
    return next(m for m in marts if m.name == PROGRESS_TABLE)


def build_files(folder: Path, marts: list[MartTable], period: str, version: int, published_at: str,
                methodology: str, changes: dict[str, Any], echo=print) -> list[str]:
    """Write every file of the release (all but the manifest) under ``folder``; return their names."""
    from qamtu.reference import region_names

    title = _release_title(period, version)
    for mart in marts:
        formats.write_csv(mart.data, folder / "csv" / f"{mart.name}.csv")
        formats.write_parquet(mart.data, folder / "parquet" / f"{mart.name}.parquet")
    xlsx_name = f"xlsx/qamtu-{period}-v{version}.xlsx"
    formats.write_xlsx(marts, folder / xlsx_name, title, echo=echo)

    indicators = report.indicator_names()
    observations = formats.headline_observations(_progress(marts).data)
    (folder / "sdmx").mkdir(parents=True, exist_ok=True)
    (folder / "sdmx" / "headline_indicators.csv").write_bytes(formats.sdmx_csv(observations))
    areas = {NATION: dict(UI["nation"])} | region_names()
    units = sorted({o["UNIT_MEASURE"] for o in observations} | set(report.indicator_units().values()))
    (folder / "sdmx" / "structure.xml").write_bytes(
        formats.sdmx_structure(areas, indicators, units,
                               header_id=f"QAMTU_{period.replace('-', '_')}_V{version}"))

    package = formats.datapackage(marts, period, version, title, published_at, [formats.sdmx_resource()])
    for resource in package["resources"]:
        if "x-alternatives" in resource:
            resource["x-alternatives"]["xlsx"] = f"{xlsx_name}#{resource['name'][:31]}"
    (folder / "datapackage.json").write_bytes(formats.dumps_json(package))
    (folder / "data_dictionary.csv").write_bytes(formats.data_dictionary_csv(marts))
    (folder / "data_dictionary.md").write_bytes(formats.data_dictionary_markdown(marts, period, version))
    (folder / "methodology.md").write_text(methodology, encoding="utf-8")
    readme = f"# Qamtu — {period} v{version}\n\n" + "\n".join(
        README[lang].format(period=period, version=version, xlsx=xlsx_name) for lang in LANGUAGES)
    (folder / "README.md").write_text(readme, encoding="utf-8")
    (folder / "revision_notes.json").write_bytes(formats.dumps_json(changes))
    (folder / "revision_notes.md").write_bytes(revisions.notes_markdown(changes, period, version, indicators))

    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    files_for_report = [{"name": n, "bytes": (folder / n).stat().st_size} for n in names]
    html = report.render(marts, period=period, version=version, published_at=published_at, changes=changes,
                         files=files_for_report + [{"name": "report.html", "bytes": None}])
    (folder / "report.html").write_text(html, encoding="utf-8")
    names.append("report.html")

    sums = "".join(f"{_sha256((folder / n).read_bytes())}  {n}\n" for n in sorted(names))
    (folder / CHECKSUMS).write_text(sums, encoding="utf-8")
    names.append(CHECKSUMS)
    return sorted(names)


_MEDIA_TYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet", ".json": "application/json",
                ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ".html": "text/html", ".md": "text/markdown", ".xml": "application/xml", "": "text/plain"}


def _role(name: str) -> str:
    if name.startswith(("csv/", "parquet/", "xlsx/")):
        return "data"
    if name.startswith("sdmx/"):
        return "sdmx"
    return {"report.html": "report", "datapackage.json": "datapackage", "methodology.md": "methodology",
            CHECKSUMS: "checksums"}.get(name, "documentation")


# --- publishing ----------------------------------------------------------------------------------
def _with_fault_points(on_step: StepHook | None) -> StepHook:
    """The caller's step hook behind the crash tests' fault point of each step (``publish:<step>``)."""
    from qamtu.faults import checkpoint

    def step(name: str) -> None:
        checkpoint(f"publish:{name}")
        if on_step:
            on_step(name)

    return step


def publish_release(period: str, settings: Settings | None = None, echo: Callable[[str], Any] = print,
                    notes: str | None = None, on_step: StepHook | None = None) -> Release:
    """Publish the promoted marts for ``period`` as a new release version, unless the newest version
    already says the same; then move the ``latest`` pointers. Returns the :class:`Release` (path,
    version, files, created, revision …). The same function serves the CLI and the Airflow DAG.

    ``notes`` is free text for the revision notes (why a revision was made). ``on_step`` is called
    after each file, the manifest and each pointer are written (tests raise in it to kill a publish).
    """
    from qamtu.warehouse import connect

    parse_period(period)
    settings = settings or get_settings()
    area = open_publication(settings)
    on_step = _with_fault_points(on_step)

    with connect(settings) as warehouse:
        docs = load_docs()
        marts = load_marts(warehouse, period, docs, echo=echo)
        inputs = current_inputs(warehouse, period)
    methodology = methodology_text()
    fingerprint = content_fingerprint(marts, methodology)

    sweep_unfinished(area, period, echo=echo)
    versions = complete_versions(area, period)
    if versions and versions[max(versions)]["content_sha256"] == fingerprint:
        manifest = versions[max(versions)]
        manifest_bytes = area.get_bytes(manifest["path"] + MANIFEST)
        pointer = (
            read_json(area, period_pointer_key(period)) if area.exists(period_pointer_key(period)) else None
        )
        newest = read_json(area, LATEST) if area.exists(LATEST) else {}
        listed = ((newest.get("periods") or {}).get(period) or {}).get("version")
        if pointer is None or pointer["version"] != manifest["version"] or listed != manifest["version"]:
            # A publish killed between its manifest and the last pointer: finish moving them.
            move_pointers(area, manifest, manifest_bytes, on_step=on_step, echo=echo)
        echo(f"publish: {period} v{manifest['version']} already holds this content; no new version")
        if not portal.is_current(area):
            portal.rebuild(area, echo=echo)  # a publish that died before its portal rebuild
        return Release.from_manifest(area, manifest, created=False)

    version = max(versions, default=0) + 1
    prefix = release_prefix(period, version)
    previous = _previous_release(area, period)
    challenges = next((m.data for m in marts if m.name == "fct_challenges"), None)
    changes = revisions.compare(previous, _previous_progress(area, previous),
                                _progress(marts).data, inputs, notes,
                                period=period,
                                challenges_upheld=revisions.challenges_taking_effect(challenges, period))
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    written: list[str] = []
    manifest_written = False
    try:
        with tempfile.TemporaryDirectory(prefix="qamtu-release-") as tmp:
            folder = Path(tmp)
            names = build_files(folder, marts, period, version, published_at, methodology, changes, echo=echo)
            names = sorted(names + write_release_database(folder, marts, period, version, published_at, area,
                                                          settings, echo=echo))
            privacy.refuse_private(folder, prefix=prefix, echo=echo)  # before any file is written
            files = []
            for index, name in enumerate(names, start=1):
                path = folder / name
                key = prefix + name
                area.put_file(key, path)
                written.append(key)
                files.append({"name": name, "key": key, "bytes": path.stat().st_size,
                              "sha256": _sha256(path.read_bytes()),
                              "media_type": _MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                              "role": _role(name)})
                echo(f"publish: ({index}/{len(names)}) {key}")
                if on_step:
                    on_step(f"file {name}")
        manifest = {
            "format": MANIFEST_FORMAT,
            "period": period,
            "version": version,
            "path": prefix,
            "published_at": published_at,
            "content_sha256": fingerprint,
            "previous": changes["previous"],
            "tables": [
                {"name": m.name, "rows": m.data.num_rows, "columns": m.data.column_names} for m in marts
            ],
            "files": files,
            "inputs": inputs,
            "revision": {k: changes[k] for k in ("notes", "new_periods", "new_figures")}
            | {
                "revised_figures": len(changes["revised_figures"]),
                "resubmissions": len(changes["resubmissions"]),
                "late_submissions": len(changes["late_submissions"]),
            },
        }
        manifest_bytes = formats.dumps_json(manifest)
        area.put_bytes(prefix + MANIFEST, manifest_bytes)
        manifest_written = True
        echo(f"publish: {prefix}{MANIFEST} ({len(files)} files, content {fingerprint[:12]})")
        if on_step:
            on_step("manifest")
    except BaseException:
        # Not a release until its manifest exists: take away what this attempt wrote, manifest first.
        if not manifest_written:
            for key in reversed(written):
                try:
                    area.delete(key)
                except Exception as error:  # the next publish sweeps what is left
                    echo(f"publish: could not remove {key} after the failure ({error})")
            echo(f"publish: {prefix} abandoned; latest is unchanged")
        raise
    # From here the release exists; a failure while moving the pointers is repaired by the next publish.
    move_pointers(area, manifest, manifest_bytes, on_step=on_step, echo=echo)
    portal.rebuild(area, echo=echo)  # portal and api/v1 of every release, entry page last
    return Release.from_manifest(area, manifest, created=True)

