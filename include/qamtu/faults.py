"""Fault points for crash tests: ``QAMTU_KILL_AT=<point>`` makes this process kill itself with SIGKILL
(what ``kill -9`` or the kernel's OOM killer does: no cleanup, no ``finally``) when it reaches the named
point, so tests can crash a real ``qamtu`` process at an exact step and check that the next run
recovers to exactly the uninterrupted result. Unset (always, outside tests), a point costs one
environment lookup."""

from __future__ import annotations

import os
import signal


def checkpoint(point: str) -> None:
    """Die here, hard, when the environment names this point (``publish:manifest``, ``publish:file …``)."""
    wanted = os.environ.get("QAMTU_KILL_AT")
    if wanted and wanted == point:
        os.kill(os.getpid(), signal.SIGKILL)
