"""Claims against measurements, worklists and challenges (issue 15) on DuckDB and PostgreSQL: a generated
sample of three months (the claims defects in the third) is ingested once, its raw layer copied into a
new PostgreSQL database, and both warehouses are built by dbt. Every figure is compared with the
generator's own truth (truth/claims.json: computed from its schedules and the speed tests' values,
never from the warehouse); the struck-out claims are checked against the raw rows; the audit's new
checks pass on the clean figures, warn on the injected defects and block a corrupted candidate; the
published release names the upheld challenges that take effect, and each akimat gets its worklist in
its own area."""

from __future__ import annotations

import csv
import io
import json
import uuid

import psycopg2
import pytest
from dbt_fixtures import copy_raw_layer
from qamtu.generate import generate_submissions
from qamtu.pipeline import ingest, load_reference
from qamtu.quality import build_candidate, run_audit
from qamtu.settings import Settings, reload_settings
from qamtu.warehouse import connect

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

PERIODS = ("2026-01", "2026-02", "2026-03")
LAST = PERIODS[-1]
CLAIM_DEFECTS = ("challenge_unknown_settlement", "response_unknown_challenge", "response_after_deadline")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
CANDIDATE = "marts_candidate"
ENGINES = ("duckdb", "postgres")


def quiet(*_args, **_kwargs) -> None:
    return None


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    database = f"qamtu_test_claims_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    home = tmp_path_factory.mktemp("claims") / "qamtu"
    duck = Settings(home=home, warehouse="duckdb", storage="local")
    pg = Settings(home=home, warehouse="postgres", storage="local", pg_host=PG["host"], pg_port=PG["port"],
                  pg_user=PG["user"], pg_database=database)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("QAMTU_HOME", str(home))
            reload_settings()
            generate_submissions(out=home, periods=list(PERIODS), scale=0.01, seed=7,
                                 defects=[f"{name}@{LAST}" for name in CLAIM_DEFECTS])
            load_reference(duck, echo=quiet)
            ingest(duck)
            copy_raw_layer(duck, pg)
            load_reference(pg, echo=quiet)
            build_candidate(None, duck, echo=quiet)
            build_candidate(None, pg, echo=quiet)
            audits = {"duckdb": run_audit(LAST, settings=duck, echo=quiet),
                      "postgres": run_audit(LAST, settings=pg, echo=quiet)}
        reload_settings()
        truth = json.loads((home / "truth" / "claims.json").read_text(encoding="utf-8"))
        defects = json.loads((home / "truth" / "defects.json").read_text(encoding="utf-8"))
        yield {"home": home, "settings": {"duckdb": duck, "postgres": pg}, "truth": truth, "defects": defects,
               "audits": audits}
    finally:
        reload_settings()
        with admin.cursor() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (database,)
            )
            cur.execute(f'drop database if exists "{database}"')
        admin.close()


def _rows(sample, engine: str, sql: str, params=None) -> list[tuple]:
    with connect(sample["settings"][engine]) as warehouse:
        return warehouse.rows(sql, params)


def _truth(sample, period: str) -> dict:
    return sample["truth"]["periods"][period]


def test_the_sample_has_every_kind_of_verdict_and_challenge(sample):
    """The comparisons below mean something: the truth holds each verdict and each challenge status."""
    verdicts = {c["verdict"] for p in PERIODS for c in _truth(sample, p)["claims"]}
    assert verdicts == {"confirmed", "contradicted", "disputed", "unverified"}
    statuses = {c["status"] for p in PERIODS for c in _truth(sample, p)["challenges"]}
    assert statuses == {"open", "answered", "upheld", "rejected"}
    assert _truth(sample, LAST)["voided_from_this_period"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("period", PERIODS)
def test_verdicts_equal_the_truth(sample, engine, period):
    got = {(r[0], r[1], r[2]): r[3:] for r in _rows(
        sample, engine,
        f"select kato_code, operator, claim, verdict, tests, median_download_mbps, p10_download_mbps "
                        f"from {CANDIDATE}.fct_claim_verdicts where period = ?", [period])}
    expected = {(c["kato_code"], c["operator"], c["claim"]): c for c in _truth(sample, period)["claims"]}
    assert set(got) == set(expected)
    wrong = [(key, got[key][:2], (c["verdict"], c["tests"])) for key, c in expected.items()
             if (got[key][0], got[key][1]) != (c["verdict"], c["tests"])]
    assert wrong == []
    for key, c in expected.items():
        for value, truth in zip(got[key][2:],
                                (c["median_download_mbps"], c["p10_download_mbps"]), strict=True):
            assert (
                value == pytest.approx(truth, rel=1e-9, abs=1e-9) if truth is not None else value is None
            ), key


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("period", PERIODS)
def test_verdict_counts_and_disputed_settlements_equal_the_truth(sample, engine, period):
    truth = _truth(sample, period)
    rows = _rows(sample, engine,
                 f"select region_code, operator, claims_confirmed, claims_contradicted, claims_disputed, "
                                 f"claims_unverified, claims, settlements_disputed, confirmed_share "
                                 f"from {CANDIDATE}.fct_claim_statistics where period = ?", [period])
    national = {r[1]: dict(zip(("confirmed", "contradicted", "disputed", "unverified"), r[2:6], strict=True))
                for r in rows if r[0] == "KZ"}
    assert national == truth["verdict_counts"]
    for r in rows:
        if r[0] == "KZ" and r[1] in truth["verdict_counts"]:
            counts = truth["verdict_counts"][r[1]]
            assert r[8] == pytest.approx(100 * counts["confirmed"] / sum(counts.values()), rel=1e-12)
    disputed = {r[0]: r[7] for r in rows if r[0] != "KZ" and r[1] == "all" and r[7]}
    assert disputed == truth["disputed_settlements"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("period", PERIODS)
def test_worklists_equal_the_truth(sample, engine, period):
    worklists: dict[str, list[str]] = {}
    for region, kato in _rows(sample, engine,
                              f"select region_code, kato_code from {CANDIDATE}.wrk_inspection_worklist "
                                              "where period = ? order by region_code, "
                                              "worklist_rank", [period]):
        worklists.setdefault(region, []).append(kato)
    assert worklists == _truth(sample, period)["worklists"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("period", PERIODS)
def test_challenges_and_their_statistics_equal_the_truth(sample, engine, period):
    truth = _truth(sample, period)
    got = {r[0]: (r[1], None if r[2] is None else str(r[2])[:10], r[3]) for r in _rows(
        sample, engine,
        f"select challenge_id, status, decided_on, days_to_resolve from {CANDIDATE}.fct_challenges "
                        f"where period = ?", [period])}
    assert got == {
        c["challenge_id"]: (c["status"], c["decided_on"], c["days_to_resolve"]) for c in truth["challenges"]
    }
    names = ("received", "open", "answered", "upheld", "rejected", "complaints", "median_days_to_resolve")
    statistics = {
        (r[0], r[1]): dict(zip(names, r[2:], strict=True))
        for r in _rows(
            sample,
            engine,
            "select region_code, operator, received, open_challenges, answered, upheld, rejected, "
            f"complaints, median_days_to_resolve from {CANDIDATE}.fct_challenge_statistics where period = ?",
            [period],
        )
    }
    assert statistics == {(region, op): values for region, ops in truth["statistics"].items()
                          for op, values in ops.items()}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_upheld_challenge_strikes_the_claim_out_from_the_next_period(sample, engine):
    """The settlement's mobile sites in the marts leave out the challenged operator's 4G sites from the period
    after the decision (counted here from the raw rows), and not before; a rejected challenge strikes
    nothing out."""
    truth = {p: _truth(sample, p) for p in PERIODS}
    by_id = {c["challenge_id"]: c for c in truth[LAST]["challenges"]}

    def raw_broadband_sites(period: str, kato: str, leave_out: str | None) -> int:
        [(count,)] = _rows(sample, engine,
                           "select count(distinct b.submitter || b.site_id) from raw.base_stations as b "
                                           "join raw.submissions as s on s.submission_id = b.submission_id "
                                           "where s.is_current and b.period = ? and b.kato_code = ? "
                                           "and b.status = 'active' and b.technology in ('4G', '5G') "
                                           "and b.submitter <> ?", [period, kato, leave_out or ""])
        return count

    def mart_sites(period: str, kato: str) -> int:
        [(count,)] = _rows(sample, engine,
                           f"select active_broadband_sites from {CANDIDATE}.fct_settlement_connectivity "
                                           f"where period = ? and kato_code = ?", [period, kato])
        return count

    assert truth[LAST]["voided_from_this_period"]
    for challenge_id in truth[LAST]["voided_from_this_period"]:
        c = by_id[challenge_id]
        [(struck,)] = _rows(
            sample,
            engine,
            f"select struck_out_by_challenge from {CANDIDATE}.fct_claim_verdicts "
            f"where period = ? and kato_code = ? and operator = ? and claim = ?",
            [LAST, c["kato_code"], c["operator"], c["claim"]],
        )
        assert struck == challenge_id
        assert mart_sites(LAST, c["kato_code"]) == raw_broadband_sites(LAST, c["kato_code"], c["operator"])
        before = PERIODS[-2]
        assert mart_sites(before, c["kato_code"]) == raw_broadband_sites(before, c["kato_code"], None)
    rejected = [c for c in truth[LAST]["challenges"] if c["status"] == "rejected"]
    assert rejected
    for c in rejected:
        assert mart_sites(LAST, c["kato_code"]) == raw_broadband_sites(LAST, c["kato_code"], None)
    [(struck_total,)] = _rows(
        sample,
        engine,
        f"select count(*) from {CANDIDATE}.fct_claim_verdicts "
        f"where period = ? and struck_out_by_challenge is not null",
        [LAST],
    )
    assert struck_total == len(truth[LAST]["claims_voided"])


@pytest.mark.parametrize("engine", ENGINES)
def test_audit_passes_the_clean_figures_and_warns_on_the_challenge_defects(sample, engine):
    audit = sample["audits"][engine]
    new_rules = {"challenge_upheld_with_cause", "challenge_rejected_after_contest",
                 "challenge_decided_after_submission",
                 "claim_verdicts_add_up", "challenge_response_known", "challenge_response_in_time"}
    assert [f["rule"] for f in audit["failures"] if f["rule"] in new_rules] == []
    assert audit["publishable"] is True
    defects = {d["name"]: d for d in sample["defects"]}
    unknown = defects["response_unknown_challenge"]
    late = defects["response_after_deadline"]
    warned = {(w["rule"], w["operator"]) for w in audit["warnings"]}
    assert ("challenge_response_known", unknown["operator"]) in warned
    assert ("challenge_response_in_time", late["operator"]) in warned
    messages = " ".join(w["message"] for w in audit["warnings"] if w["rule"].startswith("challenge_response"))
    assert unknown["value"] in messages and late["details"]["challenge_id"] in messages


def test_a_challenge_for_an_unknown_settlement_is_quarantined_at_ingest(sample):
    defect = {d["name"]: d for d in sample["defects"]}["challenge_unknown_settlement"]
    assert defect["stage"] == "ingest" and defect["rule"] == "reference"
    rows = _rows(sample, "duckdb", "select count(*) from raw.challenges where kato_code = ?",
                 [defect["kato_code"]])
    assert rows == [(0,)]
    [(status,)] = _rows(sample, "duckdb",
                        "select status from raw.submissions where source_key = ? and is_current",
                        [defect["file"]])
    assert status == "accepted_with_warnings" or status == "accepted"


def test_the_release_names_the_upheld_challenges_and_each_akimat_gets_its_worklist(sample, tmp_path):
    """Promote and publish the three months on DuckDB: the third release's revision notes name exactly the
    challenges upheld in the month before; its published tables hold the challenge statistics and not the
    worklist; the akimats' worklists land in their own area, as the truth ranks them."""
    from qamtu.pipeline import publish
    from qamtu.quality import promote
    from qamtu.storage import open_area

    settings = sample["settings"]["duckdb"]
    for period in PERIODS[:-1]:
        assert run_audit(period, settings=settings, echo=quiet)["publishable"]
    promote(settings=settings, echo=quiet)
    releases = {period: publish(period, settings, echo=quiet) for period in PERIODS}
    publication = open_area("publication", settings)
    notes = json.loads(publication.get_bytes(releases[LAST]["path"] + "revision_notes.json"))
    assert (
        sorted(c["challenge_id"] for c in notes["challenges_upheld"])
        == _truth(sample, LAST)["voided_from_this_period"]
    )
    markdown = publication.get_bytes(releases[LAST]["path"] + "revision_notes.md").decode("utf-8")
    assert all(i in markdown for i in _truth(sample, LAST)["voided_from_this_period"])
    files = releases[LAST]["files"]
    assert any("fct_challenge_statistics" in name for name in files)
    assert any("fct_claim_statistics" in name for name in files)
    assert not any("worklist" in name for name in files)
    report = publication.get_bytes(releases[LAST]["report"]).decode("utf-8")
    assert 'id="claims"' in report and all(
        i in report for i in _truth(sample, LAST)["voided_from_this_period"]
    )
    akimat = open_area("akimat", settings)
    for region, katos in _truth(sample, LAST)["worklists"].items():
        text = akimat.get_bytes(f"{region}/{LAST}/worklist.csv").decode("utf-8")
        assert [row["kato_code"] for row in csv.DictReader(io.StringIO(text))] == katos
    assert not any("worklist" in key for key in publication.list(""))


def test_corrupted_challenge_and_verdict_figures_block_the_period(sample):
    """Runs last (it changes the PostgreSQL candidate): an upheld challenge with neither an answer nor a
    passed deadline, and verdicts that do not add up, are critical findings."""
    settings = sample["settings"]["postgres"]
    truth = _truth(sample, LAST)
    open_ids = [c["challenge_id"] for c in truth["challenges"] if c["status"] == "open"]
    assert open_ids
    with connect(settings) as warehouse:
        warehouse.execute(f"update {CANDIDATE}.fct_challenges set status = 'upheld', decided_on = "
                          f"submitted_on where period = ? and challenge_id = ?", [LAST, open_ids[0]])
        warehouse.execute(
            f"update {CANDIDATE}.fct_claim_statistics set claims_confirmed = claims_confirmed + 1 "
            f"where period = ? and region_code = 'KZ' and operator = 'all'",
            [LAST],
        )
    audit = run_audit(LAST, settings=settings, echo=quiet)
    assert audit["publishable"] is False
    critical = {f["rule"] for f in audit["failures"]}
    assert {"challenge_upheld_with_cause", "claim_verdicts_add_up"} <= critical
    upheld = [f for f in audit["failures"] if f["rule"] == "challenge_upheld_with_cause"]
    assert len(upheld) == 1 and open_ids[0] in upheld[0]["message"]
