#!/bin/sh
# One-shot MinIO bootstrap (run by the minio/mc image, idempotent):
#  - the three storage areas as buckets;
#  - only the publication bucket readable anonymously (download = GetObject, no listing of others,
#    no writes); landing and archive explicitly private;
#  - a service account for the pipeline, so Airflow never holds the MinIO root credentials.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
: "${QAMTU_S3_ACCESS_KEY_ID:?}" "${QAMTU_S3_SECRET_ACCESS_KEY:?}"
: "${QAMTU_BUCKET_LANDING:?}" "${QAMTU_BUCKET_ARCHIVE:?}" "${QAMTU_BUCKET_PUBLICATION:?}"

mc alias set qamtu http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"

mc mb --ignore-existing "qamtu/$QAMTU_BUCKET_LANDING"
mc mb --ignore-existing "qamtu/$QAMTU_BUCKET_ARCHIVE"
mc mb --ignore-existing "qamtu/$QAMTU_BUCKET_PUBLICATION"

mc anonymous set none "qamtu/$QAMTU_BUCKET_LANDING"
mc anonymous set none "qamtu/$QAMTU_BUCKET_ARCHIVE"
mc anonymous set download "qamtu/$QAMTU_BUCKET_PUBLICATION"

mc admin user add qamtu "$QAMTU_S3_ACCESS_KEY_ID" "$QAMTU_S3_SECRET_ACCESS_KEY"
mc admin policy attach qamtu readwrite --user "$QAMTU_S3_ACCESS_KEY_ID" || true  # fails when already attached (re-run)
