# Qamtu — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
VENV := .venv
PY := $(VENV)/bin/python
PERIODS ?= 2026-01..2026-03
SCALE ?= 0.05
SEED ?= 7
# `make test`: pytest-xdist workers, a test file per worker at a time (module fixtures run once; the costly
# pipeline states are built once per run for all workers: tests/shared_homes.py); beside them, the Airflow
# cluster test, whose services spend most of their time waiting on each other (its log follows the run's).
TEST_WORKERS ?= 2
PYTEST = $(VENV)/bin/python -m pytest -q -p no:cacheprovider --timeout=900 --durations=15
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export SCARF_ANALYTICS := false

.PHONY: setup run airflow test check lint unit bench clean help

help:
	@echo "make run    - install, generate a sample and run the pipeline through Airflow on the embedded default"
	@echo "make airflow - Airflow standalone on dags/ (UI on :8080) to watch and trigger the runs"
	@echo "make test   - install and run lint + the whole test suite"
	@echo "make check  - the daily loop: lint + unit + integration + DAG tests (no end-to-end runs)"
	@echo "make bench  - benchmarks at national scale (slow)"

$(UV):
	python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv

# Locked environment: uv.lock is the single source of versions.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --python 3.11 --compile-bytecode
	touch $@

setup: $(VENV)/.synced

# Through Airflow: each DAG with dag.test() on SQLite metadata under $QAMTU_HOME/airflow.
# (`qamtu run` does the same steps in process, without Airflow.)
run: setup
	$(PY) scripts/run_through_airflow.py --periods $(PERIODS) --scale $(SCALE) --seed $(SEED)

airflow: setup
	bash scripts/airflow_standalone.sh

# ruff (pyproject.toml, line length included) and sqlfluff (.sqlfluff: dbt models and tests with the jinja
# templater, offline, and the audit's check templates).
lint: setup
	$(VENV)/bin/ruff check include dags tests bench scripts
	PYTHONWARNINGS=ignore::UserWarning:multiprocessing.resource_tracker $(VENV)/bin/sqlfluff lint --processes 2 \
		--disable-progress-bar dbt_project/models dbt_project/tests expectations/checks

test: setup lint
	bash scripts/install_system_tools.sh
	bash scripts/ensure_services.sh
	status=0; cluster_log=$$(mktemp); \
	$(PYTEST) -m cluster tests > $$cluster_log 2>&1 & cluster=$$!; \
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not cluster" tests || status=1; \
	wait $$cluster || status=1; \
	echo "--- the Airflow cluster test (run beside the others) ---"; cat $$cluster_log; rm -f $$cluster_log; \
	exit $$status

# The daily loop: everything but the end-to-end runs (tests/e2e, the deployment tests, slow/cluster marks).
check: setup lint
	bash scripts/ensure_services.sh
	$(PYTEST) -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not slow and not cluster" \
		tests/unit tests/integration tests/dags

bench: setup
	$(VENV)/bin/python -m bench

clean:
	rm -rf .qamtu dbt_project/target dbt_project/logs
