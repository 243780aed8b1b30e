# Qamtu: one image for every Airflow service (api-server, scheduler, dag-processor, triggerer,
# Celery worker). The Python environment is exactly uv.lock; the project is installed into it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/qamtu/.venv

# uv at the version that wrote uv.lock.
RUN pip install --no-cache-dir uv==0.13.9

RUN useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home --shell /bin/bash airflow \
    && mkdir -p /opt/qamtu /opt/airflow/logs /opt/airflow/auth /opt/airflow/qamtu \
    && chown -R airflow:0 /opt/qamtu /opt/airflow
WORKDIR /opt/qamtu
USER airflow

# Dependencies first (cached until the lock changes): the locked set, no dev extras.
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache

# Then the project itself, laid out as in the repository so relative paths hold.
COPY --chown=airflow:0 include/ include/
COPY --chown=airflow:0 dags/ dags/
COPY --chown=airflow:0 dbt_project/ dbt_project/
COPY --chown=airflow:0 expectations/ expectations/
COPY --chown=airflow:0 deploy/airflow/ deploy/airflow/
RUN uv sync --frozen --no-dev --no-cache

ENV PATH=/opt/qamtu/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/qamtu/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    QAMTU_HOME=/opt/airflow/qamtu \
    DO_NOT_TRACK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    SCARF_ANALYTICS=false \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False

EXPOSE 8080
CMD ["airflow", "version"]
