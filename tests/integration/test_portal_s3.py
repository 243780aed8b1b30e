"""The portal served from S3 (moto's server on loopback, the same boto3 code as MinIO): every relative
link of every page, resolved as a static website resolves it (against the page's key), names an object
in the bucket; a second publish switches the entry page to a new build and keeps the previous one."""

from __future__ import annotations

import hashlib
import importlib.util
import posixpath
import re
from pathlib import Path

import pytest

# Builds whole pipelines or dbt projects (minutes): `make test` runs it; the daily `make check` does not.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
HREF = re.compile(r'(?:href|src)="([^"]+)"')


def _publish_helpers():
    spec = importlib.util.spec_from_file_location("publish_helpers",
                                                  REPO / "tests" / "integration" / "test_publish.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def s3_marts(tmp_path, tmp_path_factory, s3_endpoint, monkeypatch):
    import boto3
    from shared_homes import copy_home, revised_months

    helpers = _publish_helpers()
    marts = helpers.PipelineMarts(copy_home(revised_months(tmp_path_factory), tmp_path / "home"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = "qamtu-portal-" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:10]
    marts.settings = marts.settings.model_copy(update={
        "storage": "s3", "s3_endpoint_url": s3_endpoint, "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing", "bucket_publication": bucket})
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    yield helpers, marts, client, bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def _keys(client, bucket) -> set[str]:
    return {item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])}


def _build_of(client, bucket) -> str:
    entry = client.get_object(Bucket=bucket, Key="index.html")["Body"].read().decode()
    return re.search(r'href="(site/b[0-9a-f]+)/kk/index.html"', entry).group(1)


def test_portal_links_resolve_inside_the_bucket_and_a_publish_switches_builds(s3_marts):
    helpers, marts, client, bucket = s3_marts
    helpers.publish(marts)
    keys = _keys(client, bucket)
    first = _build_of(client, bucket)
    pages = sorted(k for k in keys if k.endswith(".html") and (k.startswith(first) or k == "index.html"))
    assert len(pages) > 3 * 20, "a page per region in each language, at least"
    resolved = 0
    for key in pages:
        text = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        for href in HREF.findall(text):
            if href.startswith("#"):
                continue  # a place in the same page (the skip link)
            assert not re.match(r"^[a-z]+:|^/", href), f"{key}: {href} is not relative"
            target = posixpath.normpath(posixpath.join(posixpath.dirname(key), href.split("#")[0]))
            assert target in keys, f"{key} links to {href} → {target}, not in the bucket"
            resolved += 1
    assert resolved > 1000
    assert "api/v1/index.json" in keys and "api/v1/schemas/indicator.schema.json" in keys

    marts.revise(helpers.PERIOD)
    second, _ = helpers.publish(marts, notes="kcell corrected its report")
    assert second["version"] == 2
    keys = _keys(client, bucket)
    current = _build_of(client, bucket)
    assert current != first
    assert any(k.startswith(first + "/") for k in keys), "the build before stays for readers walking it"
    catalogue = client.get_object(Bucket=bucket, Key=f"{current}/en/index.html")["Body"].read().decode()
    assert "kcell corrected its report" in catalogue
