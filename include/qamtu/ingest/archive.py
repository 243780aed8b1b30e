"""The archive step: the bytes of every submission, kept under their archive key
(:func:`qamtu.ingest.landing.archive_key`: one key per content, written once, never overwritten or
deleted)."""

from __future__ import annotations

import os
from pathlib import Path

from qamtu.ingest import crashpoints


def keep(area, key: str, scratch: Path) -> None:
    """Keep the scratch copy under its archive key unless that key exists. In a local archive on the
    scratch copy's file system it becomes a hard link: the bytes were just written once, and at
    10 M rows copying them again costs about a second."""
    from qamtu.storage import LocalStorage

    if area.exists(key):
        return
    crashpoints.reached("archive")
    if isinstance(area, LocalStorage):
        target = area.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(scratch, target)
            return
        except FileExistsError:
            return
        except OSError:  # another file system, or links not supported: copy
            pass
    area.put_file(key, scratch)
