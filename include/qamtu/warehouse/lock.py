"""One process at a time on the embedded DuckDB warehouse.

DuckDB lets one process open a database file for writing. A second ``qamtu`` process used to die on
DuckDB's lock error with a long traceback; now every process that opens the warehouse (``connect``,
an in-process dbt build) first takes an advisory lock on ``<warehouse>.lock`` beside the file:

- it waits up to ``QAMTU_LOCK_TIMEOUT_SECONDS`` for the holder to finish, then raises
  :class:`WarehouseBusy`, whose message is one sentence naming the holder's command and PID;
- the lock is re-entrant within a process (nested ``connect`` blocks, a build inside a command), and
  released when the outermost holder leaves — or by the kernel when the process dies, even by
  ``kill -9``, so a crashed run never leaves a stale lock behind.

The holder writes who it is (PID, command, since when) into the lock file for the waiters' message.
PostgreSQL needs none of this (its own MVCC and locks).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qamtu.settings import Settings, get_settings

_POLL_SECONDS = 0.2


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse longer than the configured timeout."""


class _Held:
    """This process's hold on one lock file: the open descriptor and how many times it is entered."""

    def __init__(self, fd: int):
        self.fd = fd
        self.depth = 0


_HELD: dict[str, _Held] = {}
_GUARD = threading.RLock()


def lock_path(settings: Settings) -> Path:
    return Path(str(Path(settings.duckdb_file).resolve()) + ".lock")


def _command() -> str:
    """What this process is, for the waiters' message: ``qamtu build --period 2026-01``, ``python -c …``,
    an Airflow task… (the kernel's command line; program paths shortened to their names)."""
    try:
        argv = [
            a.decode("utf-8", "replace") for a in Path("/proc/self/cmdline").read_bytes().split(b"\0") if a
        ]
    except OSError:
        argv = [sys.executable, *sys.argv]
    words = [os.path.basename(word) if index < 2 and "/" in word else word for index, word in enumerate(argv)]
    if len(words) > 1 and words[0].startswith("python") and words[1] in ("qamtu", "airflow"):
        words = words[1:]  # the console script: `qamtu build`, not `python qamtu build`
    return " ".join(words)[:200]


def holder(settings: Settings) -> dict | None:
    """Who holds (or last held) the warehouse lock, as written in the lock file."""
    try:
        text = lock_path(settings).read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None


def busy_message(settings: Settings, waited: float, detail: str | None = None) -> str:
    who = {} if detail else (holder(settings) or {})
    name = f"`{who['command']}` (PID {who['pid']}, since {who.get('since', '?')})" if who.get("pid") else \
        (detail or "another process")
    return (f"The warehouse {settings.duckdb_file} is in use by {name}; waited {waited:.0f} s "
            f"(QAMTU_LOCK_TIMEOUT_SECONDS={settings.lock_timeout_seconds:g}): try again when it has "
            "finished.")


@contextmanager
def warehouse_lock(settings: Settings | None = None, timeout: float | None = None) -> Iterator[None]:
    """Hold the DuckDB warehouse for this process (no-op on PostgreSQL). Re-entrant."""
    settings = settings or get_settings()
    if settings.warehouse != "duckdb":
        yield
        return
    path = lock_path(settings)
    key = str(path)
    timeout = settings.lock_timeout_seconds if timeout is None else timeout
    with _GUARD:
        held = _HELD.get(key)
        if held is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            started = time.monotonic()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    waited = time.monotonic() - started
                    if waited >= timeout:
                        os.close(fd)
                        raise WarehouseBusy(busy_message(settings, waited)) from None
                    time.sleep(_POLL_SECONDS)
            stamp = json.dumps({"pid": os.getpid(), "command": _command(),
                                "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
            os.ftruncate(fd, 0)
            os.pwrite(fd, stamp.encode("utf-8"), 0)
            held = _HELD[key] = _Held(fd)
        held.depth += 1
    try:
        yield
    finally:
        with _GUARD:
            held.depth -= 1
            if held.depth == 0:
                del _HELD[key]
                fcntl.flock(held.fd, fcntl.LOCK_UN)
                os.close(held.fd)
