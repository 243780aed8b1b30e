"""Alerts: a task that finally fails in a real Airflow run writes one alert (log line, JSON file,
webhook POST) naming the DAG, task, period, try and error; a dead webhook never hides the alert."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from airflow_harness import run_in_fresh_airflow

FAILING_DAG = '''
import datetime as dt

from airflow.sdk import dag, task
from qamtu.orchestration import task_defaults


@dag(schedule=None, start_date=dt.datetime(2026, 1, 1), catchup=False, tags=["qamtu"],
     default_args={**task_defaults(), "retries": 1, "retry_delay": dt.timedelta(seconds=1),
                   "retry_exponential_backoff": 0})
def failing_probe():
    @task
    def ingest_one(params=None):
        raise ValueError("landing/operator/kcell/2026-02/settlement_fiber.csv: line 7, field status: 'maybe'")

    @task
    def after(value):
        return value

    after(ingest_one())


failing_probe()
'''


class Webhook:
    """A real HTTP endpoint on loopback that records what is POSTed to it."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers["Content-Length"])
                received.append({"content_type": self.headers["Content-Type"],
                                 "body": json.loads(self.rfile.read(length))})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/qamtu"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def alerts_in(home):
    folder = home / "alerts"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


@pytest.mark.slow  # a DAG run under dag.test() in a fresh Airflow process
def test_failed_task_writes_one_alert_after_its_retries_and_posts_the_webhook(tmp_path):
    with Webhook() as hook:
        done = run_in_fresh_airflow(tmp_path, {"failing_probe.py": FAILING_DAG}, "failing_probe",
                                    conf={"period": "2026-02"}, env={"QAMTU_ALERT_WEBHOOK_URL": hook.url})
    assert "RUN_STATE=failed" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    alerts = alerts_in(tmp_path / "qamtu")
    # One alert: the first try's failure is retried (no alert), the second is final.
    assert len(alerts) == 1, alerts
    alert = alerts[0]
    assert (alert["dag_id"], alert["task_id"], alert["period"], alert["try_number"]) == \
        ("failing_probe", "ingest_one", "2026-02", 2)
    assert alert["kind"] == "task_failed" and alert["severity"] == "error"
    assert alert["error"].startswith(
        "ValueError: landing/operator/kcell/2026-02/settlement_fiber.csv: line 7"
    )
    assert alert["run_id"].startswith("manual__")
    assert alert["webhook"]["status"] == 204
    # The log line says the same in one line.
    log_text = done.stdout + done.stderr
    assert (
        "QAMTU ALERT [ERROR] Airflow task failed | task failing_probe.ingest_one | period 2026-02" in log_text
    )
    # The webhook got the record and a chat-friendly text.
    assert len(hook.received) == 1
    posted = hook.received[0]
    assert posted["content_type"].startswith("application/json")
    assert posted["body"]["alert"]["id"] == alert["id"]
    assert "failing_probe.ingest_one" in posted["body"]["text"] and "2026-02" in posted["body"]["text"]


def test_dead_webhook_is_recorded_and_the_alert_file_still_written(tmp_path):
    from qamtu.alerts import list_alerts, raise_alert
    from qamtu.settings import Settings

    closed = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{closed.server_port}/"
    closed.server_close()  # nothing listens there any more
    settings = Settings(home=tmp_path, alert_webhook_url=url)
    record = raise_alert("Audit failed for 2026-03", kind="audit_failed", period="2026-03", settings=settings,
                         details={"failures": [{"expectation": "households_connected_le_passed"}]})
    assert "error" in record["webhook"] and record["webhook"]["url"] == url
    (stored,) = list_alerts(settings, period="2026-03")
    assert stored["id"] == record["id"]
    assert stored["details"]["failures"][0]["expectation"] == "households_connected_le_passed"


def test_alert_severity_is_checked(tmp_path):
    from qamtu.alerts import raise_alert
    from qamtu.settings import Settings

    with pytest.raises(ValueError, match="severity"):
        raise_alert("x", severity="panic", settings=Settings(home=tmp_path))


@pytest.mark.slow  # a DAG run under dag.test() in a fresh Airflow process
def test_build_with_no_data_yet_is_skipped_not_failed(tmp_path):
    """The reference Asset can trigger build_coverage_marts before any submission is loaded: the plan
    skips, and so does everything after it; the run succeeds and writes no alert (it once failed
    `candidate_ready` on the skipped plan's missing result, three tries and an alert)."""
    from airflow_harness import DAGS_FOLDER

    source = (DAGS_FOLDER / "build_coverage_marts.py").read_text(encoding="utf-8")
    done = run_in_fresh_airflow(tmp_path, {"build_coverage_marts.py": source}, "build_coverage_marts")
    assert "RUN_STATE=success" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    assert alerts_in(tmp_path / "qamtu") == []
