"""Named points of an ingestion run where a test can stop the process, to kill it there.

With ``QAMTU_TEST_PAUSE_AT=<point>`` (and ``QAMTU_TEST_PAUSE_FLAG=<file>``) the run writes the flag
file when it first reaches ``<point>`` and then waits; the crash tests (tests/integration/
test_ingest_crash.py) see the file and ``kill -9`` the process. Unset (always, outside those
tests), :func:`reached` is one dictionary look-up.

Points, in the order a file meets them: ``archive`` (the archive copy is about to be written),
``staged`` (an x-large file's rows are in raw, its submission not yet recorded), ``loaded``
(inside the load transaction: rows, quarantine and bookkeeping written, receipt not yet),
``receipt`` (receipt written, transaction not yet committed).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("archive", "staged", "loaded", "receipt")


def reached(point: str) -> None:
    if os.environ.get("QAMTU_TEST_PAUSE_AT") != point:
        return
    flag = os.environ.get("QAMTU_TEST_PAUSE_FLAG")
    if flag:
        Path(flag).write_text(str(os.getpid()))
    time.sleep(600)  # the test kills the process meanwhile
