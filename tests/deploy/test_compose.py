"""The container deployment, checked without a Docker engine.

`docker-compose config` (Debian's docker-compose) renders docker-compose.yml with an env file made from
.env.example; the tests then assert the wiring on the rendered YAML, parse the Dockerfile and the MinIO
bootstrap, check the Airflow option names against Airflow's own configuration schema, and run the
PostgreSQL and Airflow init scripts for real against the local PostgreSQL, then log in to a real
api-server with the admin password from the env file.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import yaml
from cryptography.fernet import Fernet
from qamtu.settings import Settings
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
# The venv's executables (airflow, python) first, as inside the image.
VENV_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"
BOOTSTRAP = REPO / "deploy" / "minio" / "bootstrap.sh"
PG_INIT = REPO / "deploy" / "postgres" / "10-create-databases.sh"
AIRFLOW_INIT = REPO / "deploy" / "airflow" / "init.sh"

AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
LONG_RUNNING_AIRFLOW = AIRFLOW_SERVICES[1:]
EXPECTED_SERVICES = {"postgres", "minio", "minio-bootstrap", "redis", *AIRFLOW_SERVICES}
# Secrets the deployment must never default: each is a required variable.
EXPECTED_SECRETS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "QAMTU_PG_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "QAMTU_S3_ACCESS_KEY_ID",
    "QAMTU_S3_SECRET_ACCESS_KEY",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_ADMIN_PASSWORD",
    "AIRFLOW_ENGINEER_PASSWORD",
    "AIRFLOW_VIEWER_PASSWORD",
    "AIRFLOW_API_SECRET_KEY",
    "QAMTU_PG_READER_PASSWORD",
    "REDIS_PASSWORD",
}
SECRET_NAME = re.compile(
    r"PASSWORD(?!S?_FILE)|SECRET(?!S?_FILE)|FERNET|TOKEN|ACCESS_KEY|REDISCLI_AUTH|REQUIREPASS", re.IGNORECASE
)
REQUIRED_REFERENCE = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]*\}$")
# `$${X}` is compose's escape for a literal `${X}` inside the container, not a compose variable.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}")


# --- helpers -------------------------------------------------------------------------------------------


def compose_text() -> str:
    """docker-compose.yml without its comment lines (which may quote `${VAR:?...}` as an example)."""
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def referenced_variables() -> set[str]:
    return {m.group(1) for m in VARIABLE.finditer(compose_text())}


def required_variables() -> set[str]:
    return {m.group(1) for m in VARIABLE.finditer(compose_text()) if (m.group(2) or "").startswith(":?")}


def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            assert key not in values, f".env.example sets {key} twice"
            values[key.strip()] = value.strip()
    return values


def filled_env(**overrides: str) -> dict[str, str]:
    """.env.example with every empty required value replaced by a distinct, valid-looking secret."""
    env = env_example()
    for name in required_variables():
        if not env.get(name):
            env[name] = (
                Fernet.generate_key().decode() if name == "AIRFLOW_FERNET_KEY" else f"t{uuid.uuid4().hex}"
            )
    env.update(overrides)
    return env


def docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed: run `bash scripts/install_system_tools.sh`")
    return binary


def run_compose(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    # A clean process environment: variables of the shell would override the env file.
    return subprocess.run(
        [
            docker_compose(),
            "--env-file",
            str(env_file),
            "--project-directory",
            str(REPO),
            "-f",
            str(COMPOSE),
            *args,
        ],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def render(env: dict[str, str], tmp_path: Path) -> dict:
    result = run_compose(env, tmp_path, "config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def service_env(config: dict, service: str) -> dict[str, str]:
    return {
        k: ("" if v is None else str(v))
        for k, v in (config["services"][service].get("environment") or {}).items()
    }


def secret_offences(document: object, path: str = "") -> list[str]:
    """Places in an un-interpolated compose document where a secret is written literally or defaulted."""
    offences: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}"
            if (
                SECRET_NAME.search(str(key))
                and isinstance(value, str | int)
                and not REQUIRED_REFERENCE.match(str(value))
            ):
                offences.append(f"{where}: {value!r}")
            offences += secret_offences(value, where)
    elif isinstance(document, list):
        for index, item in enumerate(document):
            offences += secret_offences(item, f"{path}[{index}]")
            previous = document[index - 1] if index else ""
            is_secret_flag = (
                isinstance(previous, str) and previous.startswith("-") and SECRET_NAME.search(previous)
            )
            if is_secret_flag and not REQUIRED_REFERENCE.match(str(item)):
                offences.append(f"{path}[{index}] after {previous}: {item!r}")
    elif isinstance(document, str):
        for match in VARIABLE.finditer(document):
            if SECRET_NAME.search(match.group(1)) and (match.group(2) or "").startswith((":-", "-")):
                offences.append(f"{path}: {match.group(0)} has a default")
        for password in re.findall(r"://[^/@\s:]*:([^@/\s]+)@", document):
            if not REQUIRED_REFERENCE.match(password):
                offences.append(f"{path}: URL password {password!r}")
    return offences


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_copies() -> list[tuple[list[str], str]]:
    copies = []
    for keyword, rest in dockerfile_instructions():
        if keyword in ("COPY", "ADD"):
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            assert "--from" not in rest, "multi-stage copies are not expected here"
            copies.append((words[:-1], words[-1]))
    return copies


def dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over slash paths (`**` spans directories, `*` does not)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matches a path or any of its parents."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = dockerignore_regex(pattern.removeprefix("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def bootstrap_commands(env: dict[str, str]) -> list[list[str]]:
    """The bootstrap script's commands, with the container's environment substituted."""
    commands = []
    for raw in BOOTSTRAP.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.startswith(("set ", ": ")):
            continue
        expanded = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env[m.group(1)], line)
        words = shlex.split(expanded, comments=True)
        commands.append(words[: words.index("||")] if "||" in words else words)
    return commands


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[dict[str, str], dict]:
    env = filled_env()
    return env, render(env, tmp_path_factory.mktemp("compose"))


# --- docker-compose config and the required variables -------------------------------------------------


def test_compose_renders_every_service_with_a_filled_env(rendered):
    _, config = rendered
    assert EXPECTED_SERVICES <= set(config["services"])
    assert {"postgres-data", "minio-data"} <= set(config["volumes"])
    assert any(
        v.startswith("postgres-data:/var/lib/postgresql/data")
        for v in config["services"]["postgres"]["volumes"]
    )
    assert any(v.startswith("minio-data:/data") for v in config["services"]["minio"]["volumes"])


def test_env_example_as_shipped_is_refused(tmp_path):
    result = run_compose(env_example(), tmp_path, "config")
    assert result.returncode != 0
    named = re.findall(r"set ([A-Z0-9_]+) in \.env", result.stderr)
    assert named and set(named) <= required_variables(), result.stderr


@pytest.mark.parametrize("missing", sorted(required_variables()))
def test_each_missing_secret_is_refused_by_name(missing, tmp_path):
    env = filled_env()
    env[missing] = ""
    result = run_compose(env, tmp_path, "config")
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


def test_every_secret_is_required_and_blank_in_env_example():
    required = required_variables()
    assert EXPECTED_SECRETS <= required
    secret_like = {name for name in referenced_variables() if SECRET_NAME.search(name)}
    assert secret_like <= required, f"secrets with defaults: {sorted(secret_like - required)}"
    example = env_example()
    assert {name: example.get(name) for name in required} == dict.fromkeys(required, "")


def test_env_example_documents_every_variable():
    example = env_example()
    assert referenced_variables() <= set(example), sorted(referenced_variables() - set(example))
    # Each variable sits in a paragraph that starts with a comment saying what it is.
    paragraph_has_comment = False
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            paragraph_has_comment = False
        elif line.lstrip().startswith("#"):
            paragraph_has_comment = True
        else:
            assert paragraph_has_comment, f"no comment above {line.split('=')[0]}"


def test_no_literal_secret_in_compose_file():
    document = yaml.safe_load(compose_text())
    assert secret_offences(document) == []
    # The scan itself finds the three ways a password sneaks in.
    sample = {
        "environment": {"POSTGRES_PASSWORD": "airflow", "X": "${DB_PASSWORD:-airflow}"},
        "url": "postgresql://airflow:airflow@postgres/airflow",
        "command": ["redis-server", "--requirepass", "hunter2"],
    }
    assert len(secret_offences(sample)) == 4


# --- wiring --------------------------------------------------------------------------------------------


def test_airflow_services_share_one_image_and_the_metadata_database(rendered):
    env, config = rendered
    services = config["services"]
    images = {services[s]["image"] for s in AIRFLOW_SERVICES}
    builds = {json.dumps(services[s]["build"], sort_keys=True) for s in AIRFLOW_SERVICES}
    assert len(images) == 1 and len(builds) == 1
    assert Path(services["airflow-init"]["build"]["context"]).resolve() == REPO

    postgres_env = service_env(config, "postgres")
    connections = {service_env(config, s)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] for s in AIRFLOW_SERVICES}
    assert len(connections) == 1
    url = make_url(connections.pop())
    assert url.drivername == "postgresql+psycopg2"
    assert (url.host, url.port) == ("postgres", 5432)
    # The role and database the postgres init script creates, with the password it sets.
    assert (url.username, url.password, url.database) == (
        postgres_env["AIRFLOW_DB_USER"],
        env["AIRFLOW_DB_PASSWORD"],
        postgres_env["AIRFLOW_DB_NAME"],
    )
    assert postgres_env["AIRFLOW_DB_PASSWORD"] == env["AIRFLOW_DB_PASSWORD"]

    # One shared environment; the only differences are the worker's executor and the init's admin.
    common = service_env(config, "airflow-scheduler")
    allowed_extras = {"airflow-init": {f"AIRFLOW_{who}_{what}" for who in ("ADMIN", "ENGINEER", "VIEWER")
                                       for what in ("USERNAME", "PASSWORD")}}
    for service in AIRFLOW_SERVICES:
        own = service_env(config, service)
        differing = {k for k in own.keys() | common.keys() if own.get(k) != common.get(k)}
        expected = allowed_extras.get(service, set()) | (
            {"AIRFLOW__CORE__EXECUTOR"} if service == "airflow-worker" else set()
        )
        assert differing == expected, (service, differing)
    assert common["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert common["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW_JWT_SECRET"]
    assert common["AIRFLOW__CORE__FERNET_KEY"] == env["AIRFLOW_FERNET_KEY"]
    api = urlsplit(common["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (api.hostname, api.port, api.path) == ("airflow-apiserver", 8080, "/execution/")
    assert services["airflow-apiserver"]["command"][-2:] == ["--port", "8080"]


def test_depends_on_conditions(rendered):
    _, config = rendered
    services = config["services"]

    def needs(service: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in (services[service].get("depends_on") or {}).items()}

    assert needs("minio-bootstrap") == {"minio": "service_healthy"}
    assert needs("airflow-init") == {"postgres": "service_healthy"}
    for service in LONG_RUNNING_AIRFLOW:
        assert needs(service).items() >= {
            ("postgres", "service_healthy"),
            ("minio-bootstrap", "service_completed_successfully"),
            ("airflow-init", "service_completed_successfully"),
        }, service
    assert needs("airflow-worker").items() >= {
        ("redis", "service_healthy"),
        ("airflow-apiserver", "service_healthy"),
    }

    for service, spec in services.items():
        for target, condition in needs(service).items():
            if condition == "service_healthy":
                assert services[target].get("healthcheck", {}).get("test"), (
                    f"{service} waits on {target}'s health"
                )
            if condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", f"{target} is a one-shot"
            # A default `up` must not wait on a service that only a profile starts.
            if not spec.get("profiles"):
                assert not services[target].get("profiles"), f"{service} depends on profiled {target}"


def test_healthchecks(rendered):
    _, config = rendered
    for service in ("postgres", "minio", "redis", *LONG_RUNNING_AIRFLOW):
        check = config["services"][service].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), service
    # PostgreSQL over TCP: the init scripts run on a socket-only server, so health means "initialised".
    assert "-h" in config["services"]["postgres"]["healthcheck"]["test"]
    assert any(
        "/api/v2/monitor/health" in part
        for part in config["services"]["airflow-apiserver"]["healthcheck"]["test"]
    )


def test_bucket_bootstrap_creates_three_buckets_and_only_publication_is_public(rendered):
    env, config = rendered
    bootstrap = config["services"]["minio-bootstrap"]
    assert bootstrap["entrypoint"] == ["/bin/sh", "/bootstrap.sh"]
    assert f"{BOOTSTRAP}:/bootstrap.sh:ro" in bootstrap["volumes"]
    assert bootstrap["restart"] == "no"
    assert "set -eu" in BOOTSTRAP.read_text(encoding="utf-8")  # any failing step fails the one-shot

    commands = bootstrap_commands(service_env(config, "minio-bootstrap"))
    assert all(c[0] == "mc" for c in commands)
    alias = next(c for c in commands if c[1:3] == ["alias", "set"])
    assert alias[3:5] == ["qamtu", "http://minio:9000"]
    assert alias[5:] == [env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"]]

    airflow_env = service_env(config, "airflow-scheduler")
    buckets = {
        area: airflow_env[f"QAMTU_BUCKET_{area.upper()}"] for area in ("landing", "archive", "publication")
    }
    assert len(set(buckets.values())) == 3
    created = [c[-1] for c in commands if c[1] == "mb"]
    assert sorted(created) == sorted(f"qamtu/{b}" for b in buckets.values())

    anonymous = {c[-1]: c[-2] for c in commands if c[1:3] == ["anonymous", "set"]}
    assert anonymous == {
        f"qamtu/{buckets['landing']}": "none",
        f"qamtu/{buckets['archive']}": "none",
        f"qamtu/{buckets['publication']}": "download",
    }
    # The pipeline's own account is the one Airflow uses.
    user_add = next(c for c in commands if c[1:4] == ["admin", "user", "add"])
    assert user_add[4:] == [
        "qamtu",
        airflow_env["QAMTU_S3_ACCESS_KEY_ID"],
        airflow_env["QAMTU_S3_SECRET_ACCESS_KEY"],
    ]
    assert [
        "mc",
        "admin",
        "policy",
        "attach",
        "qamtu",
        "readwrite",
        "--user",
        airflow_env["QAMTU_S3_ACCESS_KEY_ID"],
    ] in commands


def test_qamtu_settings_point_at_minio_and_postgres(rendered, monkeypatch):
    env, config = rendered
    for name in [k for k in os.environ if k.startswith("QAMTU_")]:
        monkeypatch.delenv(name)
    airflow_env = service_env(config, "airflow-scheduler")
    qamtu_env = {k: v for k, v in airflow_env.items() if k.startswith("QAMTU_")}
    unknown = {k for k in qamtu_env if k.removeprefix("QAMTU_").lower() not in Settings.model_fields}
    assert not unknown, f"not Settings fields (silently ignored): {unknown}"
    for key, value in qamtu_env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()

    postgres_env = service_env(config, "postgres")
    assert settings.warehouse == "postgres"
    assert settings.pg_host == "postgres" and settings.pg_port == 5432
    assert (settings.pg_user, settings.pg_password, settings.pg_database) == (
        postgres_env["QAMTU_PG_USER"],
        postgres_env["QAMTU_PG_PASSWORD"],
        postgres_env["QAMTU_PG_DATABASE"],
    )
    assert settings.pg_password == env["QAMTU_PG_PASSWORD"]
    assert settings.storage == "s3"
    endpoint = urlsplit(settings.s3_endpoint_url)
    assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "minio", 9000)
    bootstrap_env = service_env(config, "minio-bootstrap")
    assert settings.s3_access_key_id == bootstrap_env["QAMTU_S3_ACCESS_KEY_ID"] != env["MINIO_ROOT_USER"]
    assert settings.s3_secret_access_key == bootstrap_env["QAMTU_S3_SECRET_ACCESS_KEY"]
    assert (settings.bucket_landing, settings.bucket_archive, settings.bucket_publication) == (
        bootstrap_env["QAMTU_BUCKET_LANDING"],
        bootstrap_env["QAMTU_BUCKET_ARCHIVE"],
        bootstrap_env["QAMTU_BUCKET_PUBLICATION"],
    )


def test_celery_profile_worker_uses_celery_with_redis(rendered, tmp_path):
    env, config = rendered
    services = config["services"]
    worker_env = service_env(config, "airflow-worker")
    assert services["airflow-worker"]["profiles"] == ["celery"]
    assert services["redis"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["command"] == ["airflow", "celery", "worker"]
    assert worker_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = urlsplit(worker_env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    redis_command = services["redis"]["command"]
    assert broker.password == redis_command[redis_command.index("--requirepass") + 1] == env["REDIS_PASSWORD"]
    assert service_env(config, "redis")["REDISCLI_AUTH"] == env["REDIS_PASSWORD"]  # for the healthcheck
    backend = make_url(worker_env["AIRFLOW__CELERY__RESULT_BACKEND"].removeprefix("db+"))
    assert (backend.host, backend.password) == ("postgres", env["AIRFLOW_DB_PASSWORD"])

    # Default: LocalExecutor everywhere but the (profiled) worker; switched by configuration only.
    assert service_env(config, "airflow-scheduler")["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    celery = render(filled_env(AIRFLOW_EXECUTOR="CeleryExecutor"), tmp_path)
    assert {service_env(celery, s)["AIRFLOW__CORE__EXECUTOR"] for s in AIRFLOW_SERVICES} == {"CeleryExecutor"}


def is_real_airflow_option(section: str, option: str) -> bool:
    """Declared in Airflow's configuration schema (core + installed providers), or read by Cosmos."""
    from airflow.configuration import conf

    if option in conf.configuration_description.get(section, {}).get("options", {}):
        return True
    if section == "cosmos":
        import cosmos.settings

        source = Path(cosmos.settings.__file__).read_text(encoding="utf-8")
        return re.search(rf"""conf\.get\w*\(\s*["']cosmos["'],\s*["']{option}["']""", source) is not None
    return False


def test_airflow_env_names_are_real_options(rendered):
    _, config = rendered
    names = {k for s in config["services"] for k in service_env(config, s) if k.startswith("AIRFLOW__")}
    assert len(names) >= 12
    unknown = []
    for name in sorted(names):
        section, option = name.removeprefix("AIRFLOW__").lower().split("__", 1)
        if not is_real_airflow_option(section, option):
            unknown.append(name)
    assert unknown == []
    # ... and the check rejects a plausible-looking name that Airflow does not have.
    assert not is_real_airflow_option("core", "execution_api_url")
    assert not is_real_airflow_option("cosmos", "enable_telemetrics")

    from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager

    common = service_env(config, "airflow-scheduler")
    module, _, name = common["AIRFLOW__CORE__AUTH_MANAGER"].rpartition(".")
    assert getattr(importlib.import_module(module), name) is FabAuthManager
    assert not any(key.startswith("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER") for key in common)


def test_celery_executor_imports_in_the_locked_environment():
    """The `celery` profile's executor must load with the locked celery (5.7.0 dropped
    `celery.backends.database.retry`, which the Celery provider imports)."""
    from airflow.providers.celery.executors.celery_executor import CeleryExecutor

    assert CeleryExecutor.__name__ == "CeleryExecutor"


# --- Dockerfile -----------------------------------------------------------------------------------------


def test_dockerfile_installs_the_locked_environment():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = [rest for keyword, rest in instructions if keyword == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs and all("--frozen" in r and "--no-dev" in r for r in syncs)
    assert not any("--extra" in r or "--all-extras" in r for r in syncs)
    assert any(re.search(r"pip install .*\buv\b", r) for r in runs)
    # uv.lock is in the image before the first sync reads it.
    first_sync = next(i for i, (k, rest) in enumerate(instructions) if k == "RUN" and "uv sync" in rest)
    first_copy = next(i for i, (k, _) in enumerate(instructions) if k == "COPY")
    assert {"pyproject.toml", "uv.lock"} <= set(dockerfile_copies()[0][0])
    assert first_copy < first_sync

    env = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            env.update(dict(word.split("=", 1) for word in shlex.split(rest)))
    assert env["DO_NOT_TRACK"] == "1"
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    assert env["AIRFLOW_HOME"] == "/opt/airflow"
    assert env["PATH"].startswith(env["UV_PROJECT_ENVIRONMENT"] + "/bin:")
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_copies_exist_and_survive_dockerignore():
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    copies = dockerfile_copies()
    for sources, _ in copies:
        for source in sources:
            # Tracked in git, not merely present here: the image is built from a clone (an empty folder
            # is not in git, and COPY of a missing path fails the build).
            under = [f for f in tracked if f == source.rstrip("/") or f.startswith(source.rstrip("/") + "/")]
            assert under, f"Dockerfile copies {source}, which has no committed file"
            excluded = [f for f in under if dockerignored(f, patterns)]
            assert not excluded, f".dockerignore drops files the image needs: {excluded[:5]}"
    assert {"include/", "dags/", "dbt_project/", "expectations/"} <= {
        s for sources, _ in copies for s in sources
    }
    # Secrets and local state never reach the build context; the committed manifest does.
    for path in (
        ".env",
        ".venv/bin/python",
        ".qamtu/warehouse.duckdb",
        "dbt_project/target/run_results.json",
    ):
        assert dockerignored(path, patterns), path
    assert not dockerignored("dbt_project/target/manifest.json", patterns)
    assert not dockerignored(".env.example", patterns)


def test_compose_files_and_scripts_exist(rendered):
    _, config = rendered
    for service, spec in config["services"].items():
        for volume in spec.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source.startswith("/"):
                assert Path(source).exists() and Path(source).is_relative_to(REPO), (service, source)
    # airflow-init runs a script the Dockerfile copies (WORKDIR /opt/qamtu mirrors the repository).
    script = config["services"]["airflow-init"]["command"][-1]
    relative = Path(script).relative_to("/opt/qamtu")
    assert (REPO / relative).is_file()
    assert any(str(relative).startswith(dest.rstrip("/")) for _, dest in dockerfile_copies())


# --- the init scripts, run for real ---------------------------------------------------------------------


PROBE_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, tags=["probe"])
def probe():
    @task
    def say() -> str:
        return "ok"

    say()


probe()
"""


def api_call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    """(status, JSON body) of an Airflow REST call."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def api_token(base: str, username: str, password: str) -> str:
    status, body = api_call(base, "POST", "/auth/token", body={"username": username, "password": password})
    assert status == 201, (username, status)
    return body["access_token"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.postgres
def test_init_scripts_create_databases_migrate_and_admin_logs_in(tmp_path):
    """deploy/postgres then deploy/airflow/init.sh on the local server, then an api-server with the
    rendered compose environment accepts the admin password from the env file (and nothing else)."""
    suffix = uuid.uuid4().hex[:8]
    names = {
        "AIRFLOW_DB_USER": f"qd_af_{suffix}",
        "AIRFLOW_DB_NAME": f"qd_afdb_{suffix}",
        "QAMTU_PG_USER": f"qd_wh_{suffix}",
        "QAMTU_PG_DATABASE": f"qd_whdb_{suffix}",
    }
    people = {"AIRFLOW_ADMIN_USERNAME": f"ops{suffix}", "AIRFLOW_ADMIN_PASSWORD": 'pa"ss wörd',
              "AIRFLOW_ENGINEER_USERNAME": f"eng{suffix}",
              "AIRFLOW_ENGINEER_PASSWORD": f"e-{uuid.uuid4().hex}",
              "AIRFLOW_VIEWER_USERNAME": f"stat{suffix}", "AIRFLOW_VIEWER_PASSWORD": f"v-{uuid.uuid4().hex}"}
    env = filled_env(**names, **people)
    config = render(env, tmp_path)
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    api = None
    try:
        init_env = {"PATH": VENV_PATH, "PGHOST": "127.0.0.1", **service_env(config, "postgres")}
        subprocess.run(["bash", str(PG_INIT)], env=init_env, check=True, capture_output=True, timeout=60)
        with admin.cursor() as cur:
            cur.execute(
                "select datname, pg_get_userbyid(datdba), has_database_privilege('public', datname, "
                "'CONNECT') from pg_database where datname = any(%s) order by datname",
                ([names["AIRFLOW_DB_NAME"], names["QAMTU_PG_DATABASE"]],),
            )
            assert cur.fetchall() == [
                (names["AIRFLOW_DB_NAME"], names["AIRFLOW_DB_USER"], False),
                (names["QAMTU_PG_DATABASE"], names["QAMTU_PG_USER"], False),
            ]
            cur.execute(
                "select has_database_privilege(%s, %s, 'CONNECT')",
                (names["QAMTU_PG_USER"], names["AIRFLOW_DB_NAME"]),
            )
            assert cur.fetchone() == (False,)
        with psycopg2.connect(
            host="127.0.0.1", user=names["QAMTU_PG_USER"], dbname=names["QAMTU_PG_DATABASE"]
        ) as wh:
            wh.cursor().execute(
                "create schema raw; create table raw.probe (x int)"
            )  # the warehouse role owns its DB

        # airflow-init with the compose environment, hosts and container paths mapped to this machine.
        airflow_env = service_env(config, "airflow-init")
        airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = airflow_env[
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
        ].replace("@postgres:5432/", "@127.0.0.1:5432/")
        dags = tmp_path / "dags"
        dags.mkdir()
        (dags / "probe.py").write_text(PROBE_DAG, encoding="utf-8")
        process_env = {
            "PATH": VENV_PATH,
            "HOME": str(tmp_path),
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            **airflow_env,
        }
        init = subprocess.run(
            ["bash", str(AIRFLOW_INIT)], env=process_env, capture_output=True, text=True, timeout=300
        )
        assert init.returncode == 0, init.stderr[-2000:]
        for secret in ("AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_ENGINEER_PASSWORD", "AIRFLOW_VIEWER_PASSWORD"):
            assert env[secret] not in init.stdout + init.stderr
        # A run with a task that ran, for the people below to look at (the scheduler's part, in process).
        for command in (["airflow", "dags", "reserialize"], ["airflow", "dags", "test", "probe"]):
            done = subprocess.run(command, env=process_env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr[-2000:]
        with psycopg2.connect(host="127.0.0.1", user="postgres", dbname=names["AIRFLOW_DB_NAME"]) as meta:
            cur = meta.cursor()
            cur.execute("select tableowner from pg_tables where tablename = 'dag_run'")
            assert cur.fetchone() == (names["AIRFLOW_DB_USER"],)

        # The api-server as compose runs it (same env minus the init-only admin password).
        server_env = {k: v for k, v in process_env.items() if k != "AIRFLOW_ADMIN_PASSWORD"}
        port = free_port()
        api = subprocess.Popen(
            ["airflow", "api-server", "--port", str(port)],
            env=server_env,
            start_new_session=True,
            stdout=open(tmp_path / "api.log", "wb"),
            stderr=subprocess.STDOUT,
        )
        health_test = " ".join(config["services"]["airflow-apiserver"]["healthcheck"]["test"])
        health_url = re.search(r"http://localhost:8080(\S+?)'", health_test).group(1)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{health_url}", timeout=2)
                break
            except OSError:
                assert api.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()[
                    -3000:
                ]
                time.sleep(1)

        def login(password: str) -> int:
            body = json.dumps({"username": env["AIRFLOW_ADMIN_USERNAME"], "password": password}).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/auth/token", data=body, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert json.load(response)["access_token"]
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        assert login(env["AIRFLOW_ADMIN_PASSWORD"]) == 201
        assert login("admin") == 401
        # No generated password was printed: the one from .env was already there.
        assert "Password for user" not in (tmp_path / "api.log").read_text(errors="replace")

        # The FAB roles: the viewer reads runs, task instances and logs and is refused every change;
        # the data engineer triggers and clears; only the admin manages users.
        base = f"http://127.0.0.1:{port}"
        viewer = api_token(base, env["AIRFLOW_VIEWER_USERNAME"], env["AIRFLOW_VIEWER_PASSWORD"])
        engineer = api_token(base, env["AIRFLOW_ENGINEER_USERNAME"], env["AIRFLOW_ENGINEER_PASSWORD"])
        administrator = api_token(base, env["AIRFLOW_ADMIN_USERNAME"], env["AIRFLOW_ADMIN_PASSWORD"])
        status, runs = api_call(base, "GET", "/api/v2/dags/probe/dagRuns", viewer)
        assert status == 200 and [r["state"] for r in runs["dag_runs"]] == ["success"]
        run_id = runs["dag_runs"][0]["dag_run_id"]
        status, instances = api_call(base, "GET",
                                     f"/api/v2/dags/probe/dagRuns/{run_id}/taskInstances", viewer)
        assert status == 200 and [(t["task_id"], t["state"]) for t in instances["task_instances"]] == [
            ("say", "success")]
        # The task's log where a worker writes it (logs volume); the api-server serves it to the viewer.
        log_file = (
            tmp_path
            / "airflow"
            / "logs"
            / "dag_id=probe"
            / f"run_id={run_id}"
            / "task_id=say"
            / "attempt=1.log"
        )
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text(json.dumps({"event": f"probe said {suffix}", "level": "info",
                                        "timestamp": "2026-01-01T00:00:00Z"}) + "\n", encoding="utf-8")
        status, log = api_call(base, "GET", f"/api/v2/dags/probe/dagRuns/{run_id}/taskInstances/say/logs/1"
                                       "?full_content=true", viewer)
        assert status == 200 and f"probe said {suffix}" in json.dumps(log)
        changes = [("POST", "/api/v2/dags/probe/dagRuns", {"logical_date": None}),
                   ("POST", "/api/v2/dags/probe/clearTaskInstances", {"dry_run": True}),
                   ("PATCH", "/api/v2/dags/probe", {"is_paused": True}),
                   ("POST", "/api/v2/backfills", {"dag_id": "probe", "from_date": "2026-01-01T00:00:00Z",
                                                  "to_date": "2026-01-02T00:00:00Z"})]
        for method, path, body in changes:
            assert api_call(base, method, path, viewer, body)[0] == 403, (method, path)
        assert (
            api_call(base, "POST", "/api/v2/dags/probe/dagRuns", engineer, {"logical_date": None})[0] == 200
        )
        assert (
            api_call(base, "POST", "/api/v2/dags/probe/clearTaskInstances", engineer, {"dry_run": True})[0]
            == 200
        )
        assert api_call(base, "GET", "/auth/fab/v1/users", engineer)[0] == 403
        assert api_call(base, "GET", "/auth/fab/v1/users", administrator)[0] == 200
    finally:
        if api is not None and api.poll() is None:
            os.killpg(api.pid, signal.SIGTERM)
            try:
                api.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(api.pid, signal.SIGKILL)
                api.wait()
        with admin.cursor() as cur:
            for database in (names["AIRFLOW_DB_NAME"], names["QAMTU_PG_DATABASE"]):
                cur.execute(f'drop database if exists "{database}" with (force)')
            for role in (names["AIRFLOW_DB_USER"], names["QAMTU_PG_USER"]):
                cur.execute(f'drop role if exists "{role}"')
        admin.close()
