"""Real Airflow services as processes on this machine (no containers): api-server, scheduler,
dag-processor and a Celery worker, with CeleryExecutor on the machine's Redis and PostgreSQL.

What the docker-compose deployment runs, minus the containers. Everything started here is stopped
by :meth:`AirflowCluster.stop`: the processes (each in its own process group), the metadata
database, and the Redis keys of the cluster's own Celery queue.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

VENV_BIN = Path(sys.executable).parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS_URL = "redis://127.0.0.1:6379"
# A database number of Redis that nothing else in the project uses; the queue name is unique per
# cluster on top of it, so two clusters never take each other's tasks.
REDIS_DB = 13


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_admin():
    connection = psycopg2.connect(dbname="postgres", **PG)
    connection.autocommit = True
    return connection


def create_database(name: str) -> None:
    admin = pg_admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{name}"')
    finally:
        admin.close()


def database_exists(name: str) -> bool:
    admin = pg_admin()
    try:
        with admin.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (name,))
            return cur.fetchone() is not None
    finally:
        admin.close()


def drop_database(name: str) -> None:
    admin = pg_admin()
    try:
        with admin.cursor() as cur:
            cur.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))
            cur.execute(f'drop database if exists "{name}"')
    finally:
        admin.close()


@dataclass
class AirflowCluster:
    """Start with :meth:`start`, always :meth:`stop` (in a ``finally`` or a fixture)."""

    home: Path
    dags_folder: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    def __post_init__(self) -> None:
        self.metadata_db = f"qamtu_af_{self.tag}"
        self.queue = f"qamtu_{self.tag}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.password = secrets.token_urlsafe(12)
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._token: str | None = None
        self._db_created = False

    # -- environment ------------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        airflow_home = self.home / "airflow"
        metadata = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.metadata_db}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CELERY__BROKER_URL": f"{REDIS_URL}/{REDIS_DB}",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata.replace("+psycopg2", ""),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__CORE__FERNET_KEY": self.fernet_key,
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self._worker_log_port),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self._trigger_log_port),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(self._health_port),
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(self.extra_env)
        return env

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, timeout: float = 240) -> AirflowCluster:
        from cryptography.fernet import Fernet

        self.home.mkdir(parents=True, exist_ok=True)
        self.jwt_secret = secrets.token_hex(32)
        self.fernet_key = Fernet.generate_key().decode()
        self._worker_log_port, self._trigger_log_port, self._health_port = (
            free_port(),
            free_port(),
            free_port(),
        )
        (self.home / "passwords.json").write_text(json.dumps({"admin": self.password}))
        create_database(self.metadata_db)
        self._db_created = True
        subprocess.run([str(VENV_BIN / "airflow"), "db", "migrate"], env=self.env, check=True,
                       capture_output=True, timeout=300)
        self._spawn("api-server", ["api-server", "--port", str(self.port), "--host", "127.0.0.1"])
        self._spawn("scheduler", ["scheduler"])
        self._spawn("dag-processor", ["dag-processor"])
        self._spawn("celery-worker", ["celery", "worker", "--queues", self.queue, "--concurrency", "2",
                                      "--celery-hostname", f"{self.queue}@%h", "--skip-serve-logs"])
        self._wait_healthy(timeout)
        return self

    def _spawn(self, name: str, args: list[str]) -> None:
        log_path = self.home / f"{name}.log"
        self.logs[name] = log_path
        handle = log_path.open("wb")
        self.processes[name] = subprocess.Popen(
            [str(VENV_BIN / "airflow"), *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            cwd=self.home, start_new_session=True,  # own process group: stop() ends its children too
        )

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_running()
            try:
                health = self._request("GET", "/api/v2/monitor/health", auth=False)
                if health.get("scheduler", {}).get("status") == "healthy" and \
                        health.get("dag_processor", {}).get("status") == "healthy":
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(2)
        raise TimeoutError(f"Airflow did not become healthy in {timeout} s\n{self.tail()}")

    def assert_running(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"Airflow processes exited: {dead}\n{self.tail()}")

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
        if self._db_created:
            drop_database(self.metadata_db)
        self._clear_redis()

    def _clear_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(f"{REDIS_URL}/{REDIS_DB}")
        try:
            keys = [k for k in client.scan_iter(match=f"*{self.queue}*")]
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def tail(self, lines: int = 40) -> str:
        out = []
        for name, path in self.logs.items():
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    # -- REST API (Airflow 3: /api/v2, JWT from /auth/token) ---------------------------------------
    def token(self) -> str:
        if self._token is None:
            body = self._request("POST", "/auth/token", {"username": "admin", "password": self.password},
                                 auth=False)
            self._token = body["access_token"]
        return self._token

    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return self._request(method, "/api/v2" + path, body)

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_running()
            try:
                return self.api("GET", f"/dags/{dag_id}")
            except urllib.error.HTTPError as error:
                if error.code != 404:
                    raise
            time.sleep(2)
        errors = self.api("GET", "/importErrors")
        raise TimeoutError(f"DAG {dag_id} not parsed in {timeout} s; import errors: {errors}\n{self.tail()}")

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict:
        from urllib.parse import quote

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_running()
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")
            if run["state"] in ("success", "failed"):
                return run
            time.sleep(2)
        raise TimeoutError(f"{dag_id} {run_id} not finished in {timeout} "
                           f"s\n{self.task_states(dag_id, run_id)}\n{self.tail()}")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        from urllib.parse import quote

        tis = self.api("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances?limit=1000")
        return {ti["task_id"] + (f"[{ti['map_index']}]" if ti.get("map_index", -1) >= 0 else ""): ti["state"]
                for ti in tis["task_instances"]}

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns?order_by=start_date&limit=100")["dag_runs"]


# --- tests ----------------------------------------------------------------------------------------------
import pytest  # noqa: E402
from release_precision import as_published  # noqa: E402

# Alone, after the rest (see the Makefile): beside another test the pipeline test took 737 s, alone 246–385 s.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.cluster]

TRIVIAL_DAG = '''
import datetime as dt
import os
import socket
from pathlib import Path

from airflow.sdk import dag, task


@dag(schedule=None, start_date=dt.datetime(2026, 1, 1), catchup=False, tags=["probe"])
def celery_probe():
    @task
    def where(params=None, dag_run=None):
        # Written by the Celery worker's task process: proves which process ran it.
        out = Path(os.environ["PROBE_OUT"])
        out.write_text(f"{os.getpid()} {socket.gethostname()} {dag_run.conf.get('token')}")
        return os.getpid()

    where()


celery_probe()
'''


def test_celery_cluster_runs_a_dag_triggered_through_the_rest_api(tmp_path):
    """The harness itself: services up, a run triggered by REST, executed by the Celery worker."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "celery_probe.py").write_text(TRIVIAL_DAG)
    out = tmp_path / "probe.txt"
    cluster = AirflowCluster(home=tmp_path / "cluster", dags_folder=dags, extra_env={"PROBE_OUT": str(out)})
    try:
        cluster.start()
        cluster.wait_for_dag("celery_probe")
        token = uuid.uuid4().hex
        run_id = cluster.trigger("celery_probe", {"token": token})
        run = cluster.wait_for_run("celery_probe", run_id, timeout=180)
        assert run["state"] == "success", cluster.task_states("celery_probe", run_id)
        pid, _, seen_token = out.read_text().split()
        assert seen_token == token
        # The task ran in a process the Celery worker forked, not in the scheduler.
        worker_pid = cluster.processes["celery-worker"].pid
        scheduler_pid = cluster.processes["scheduler"].pid
        assert int(pid) not in (worker_pid, scheduler_pid)
        assert "celery_probe" in cluster.logs["celery-worker"].read_text(errors="replace")
    finally:
        cluster.stop()
    assert all(p.poll() is not None for p in cluster.processes.values())
    assert not database_exists(cluster.metadata_db)


# --- the pipeline itself, distributed ------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]
PERIODS = ["2026-01", "2026-02"]
SCALE = 0.01
SEED = 5
CHAIN = ("ingest_submissions", "build_coverage_marts", "audit_and_publish")


def finished(runs: list[dict]) -> bool:
    return bool(runs) and all(r["state"] in ("success", "failed") for r in runs)


def test_pipeline_runs_distributed_on_celery_redis_and_postgresql(tmp_path):
    """The project's own dags/ on real Airflow services with CeleryExecutor: one REST trigger of
    ingest_submissions; the Assets then start build_coverage_marts (dbt through Cosmos, task by task
    on the Celery worker) and audit_and_publish; both months end up published with the truth's
    figures, from a PostgreSQL warehouse."""
    from qamtu.generate import generate_submissions
    from qamtu.settings import Settings
    from qamtu.storage import open_area

    home = tmp_path / "qamtu"
    summary = generate_submissions(out=home, periods=PERIODS, scale=SCALE, seed=SEED)
    assert summary["files"] > 200
    expected = json.loads((home / "truth" / "expected.json").read_text())
    warehouse_db = f"qamtu_wh_{uuid.uuid4().hex[:10]}"
    create_database(warehouse_db)
    settings = Settings(home=home, warehouse="postgres", pg_database=warehouse_db)
    cluster = AirflowCluster(home=tmp_path / "cluster", dags_folder=REPO / "dags", extra_env={
        "QAMTU_HOME": str(home), "QAMTU_WAREHOUSE": "postgres", "QAMTU_PG_HOST": "127.0.0.1",
        "QAMTU_PG_PORT": "5432", "QAMTU_PG_USER": "postgres", "QAMTU_PG_DATABASE": warehouse_db,
        "QAMTU_STORAGE": "local", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    })
    try:
        cluster.start()
        for dag_id in ("reference_data", *CHAIN):
            cluster.wait_for_dag(dag_id)
        # reference_data is @once: the scheduler runs it by itself as soon as it is unpaused.
        deadline = time.monotonic() + 240
        while not finished(cluster.runs("reference_data")):
            assert time.monotonic() < deadline, cluster.tail()
            time.sleep(3)
        assert [r["state"] for r in cluster.runs("reference_data")] == ["success"]
        for dag_id in CHAIN[1:]:
            cluster.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

        run_id = cluster.trigger("ingest_submissions")
        ingest = cluster.wait_for_run("ingest_submissions", run_id, timeout=600)
        assert ingest["state"] == "success", cluster.task_states("ingest_submissions", run_id)

        # From here only the Assets drive: wait until both months are published and nothing runs.
        area = open_area("publication", settings)
        deadline = time.monotonic() + 1200
        while True:
            cluster.assert_running()
            published = all(area.exists(f"latest/{p}.json") for p in PERIODS)
            runs = {dag_id: cluster.runs(dag_id) for dag_id in CHAIN[1:]}
            if published and all(finished(r) for r in runs.values()):
                break
            failed = [(d, r["dag_run_id"]) for d, rs in runs.items() for r in rs if r["state"] == "failed"]
            assert not failed, [cluster.task_states(d, r) for d, r in failed]
            assert time.monotonic() < deadline, f"{runs}\n{cluster.tail()}"
            time.sleep(5)

        for dag_id, dag_runs in runs.items():
            assert dag_runs and {r["state"] for r in dag_runs} == {"success"}, (dag_id, dag_runs)
        triggered = [r for r in runs["build_coverage_marts"] if r["run_type"] == "asset_triggered"]
        assert triggered, runs["build_coverage_marts"]
        assert all(r["run_type"] == "asset_triggered" for r in runs["audit_and_publish"])
        # The dbt models ran as Celery tasks (one per model), not inside the scheduler.
        states = cluster.task_states("build_coverage_marts", triggered[-1]["dag_run_id"])
        dbt_tasks = [t for t in states if t.startswith("dbt.")]
        assert len(dbt_tasks) > 40 and all(states[t] == "success" or t.endswith("_test") for t in dbt_tasks)
        worker_log = cluster.logs["celery-worker"].read_text(errors="replace")
        assert "build_coverage_marts" in worker_log and "audit_and_publish" in worker_log

        for period in PERIODS:
            pointer = json.loads(area.get_bytes(f"latest/{period}.json"))
            manifest = json.loads(area.get_bytes(pointer["manifest"]))
            (entry,) = [f for f in manifest["files"] if f["name"] == "parquet/fct_programme_progress.parquet"]
            import io

            import pyarrow.parquet as pq

            rows = pq.read_table(io.BytesIO(area.get_bytes(entry["key"]))).to_pylist()
            national = {
                r["indicator"]: r["actual"]
                for r in rows
                if r["period"] == period and r["region_code"] == "KZ"
            }
            truth = expected["national"][period]
            assert set(national) == set(truth)
            for code, value in truth.items():
                if value is None:
                    assert national[code] is None
                else:
                    assert national[code] == as_published(value, code), (period, code)
        # The marts are in the PostgreSQL warehouse database, not in a DuckDB file.
        assert not (home / "warehouse.duckdb").exists()
        connection = psycopg2.connect(dbname=warehouse_db, **PG)
        try:
            with connection.cursor() as cur:
                cur.execute("select count(distinct period) from marts.fct_programme_progress")
                assert cur.fetchone() == (len(PERIODS),)
        finally:
            connection.close()
    finally:
        cluster.stop()
        drop_database(warehouse_db)
    assert all(p.poll() is not None for p in cluster.processes.values())
    assert not database_exists(cluster.metadata_db) and not database_exists(warehouse_db)
