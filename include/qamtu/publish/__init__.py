"""Publication: a release per period in the publication area (local folder or S3), immutable once
written, with a ``latest`` pointer moved only after the whole release and its manifest are in place.

``publish_release`` is the one entry point; the ``qamtu publish`` command and the Airflow DAG call it.
The layout of the area and how a reader finds the latest release: see ``release.py``."""

from qamtu.publish.release import (
    LATEST,
    MANIFEST,
    complete_versions,
    publish_release,
    read_latest,
    read_manifest,
    release_prefix,
)

__all__ = ["LATEST", "MANIFEST", "complete_versions", "publish_release", "read_latest", "read_manifest",
           "release_prefix"]
