"""Clients for the moto S3 server the tests start (imported by conftest and by tests)."""

from __future__ import annotations

# Credentials for moto's server only (it accepts any); never real ones.
S3_TEST_KEY = "testing"


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=S3_TEST_KEY, aws_secret_access_key=S3_TEST_KEY)


def empty_and_delete_bucket(client, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
