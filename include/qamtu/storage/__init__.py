"""Object storage: one small interface, two backends — a local folder per area, or S3 through boto3.

Storage knows keys and bytes, never report types. Keys are ``/``-separated relative paths
(``operator/kcell/2026-03/settlement_fiber.csv``); the same keys work on both backends.

Areas and where they live:

=============  ===================================  ==========================================
area           local (embedded default)             S3 (``settings.storage == "s3"``)
=============  ===================================  ==========================================
landing        ``QAMTU_HOME/landing/<key>``          ``s3://<bucket_landing>/<key>``
publication    ``QAMTU_HOME/publication/<key>``      ``s3://<bucket_publication>/<key>``
archive        ``QAMTU_HOME/archive/<key>``          ``s3://<bucket_archive>/archive/<key>``
receipts       ``QAMTU_HOME/receipts/<key>``         ``s3://<bucket_archive>/receipts/<key>``
audit          ``QAMTU_HOME/audit/<key>``            ``s3://<bucket_archive>/audit/<key>``
=============  ===================================  ==========================================

Landing and publication get their own buckets because other people touch them (submitters write
landing, the public reads publication); everything only the pipeline reads and writes shares the
private archive bucket, one top-level prefix per area, so listing one area never shows another's keys.
Any other area name is accepted and placed like ``receipts`` (its own folder / prefix).

``list(prefix)`` returns the keys in key order as :class:`StoredObject` — a ``str`` (the key itself,
so ``for key in area.list(...)`` works as plain strings) that also carries ``size``, ``etag`` and
``last_modified``. Local writes go through a temporary file renamed into place, so a reader never
sees half a file; temporary files are invisible to ``list``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from qamtu.settings import Settings, get_settings

AREAS = ("landing", "archive", "receipts", "publication", "audit")
# S3: the areas with a bucket of their own; every other area is a prefix in the archive bucket.
_OWN_BUCKET = {"landing": "bucket_landing", "publication": "bucket_publication"}
_TEMP_PREFIX = ".qamtu-tmp-"
_CHUNK = 8 * 1024 * 1024


class StoredObject(str):
    """A key as listed: the key itself (a ``str``) plus what the store says about the object."""

    size: int
    etag: str
    last_modified: dt.datetime

    def __new__(cls, key: str, size: int, etag: str, last_modified: dt.datetime) -> StoredObject:
        obj = super().__new__(cls, key)
        obj.size = int(size)
        obj.etag = etag
        obj.last_modified = last_modified
        return obj

    @property
    def key(self) -> str:
        return str(self)


def check_key(key: str) -> str:
    """A key is a relative ``/``-path without empty, ``.`` or ``..`` parts (no escaping the area)."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise ValueError(f"not a valid storage key: {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"not a valid storage key: {key!r}")
    return key


def _check_prefix(prefix: str) -> str:
    """A key or a prefix ending in ``/`` (or empty: the area itself); returns it without the slash."""
    stripped = prefix[:-1] if prefix.endswith("/") else prefix
    return check_key(stripped) if stripped else ""


class Storage:
    """The interface both backends implement (see the module docstring)."""

    area: str

    def list(self, prefix: str = "") -> list[StoredObject]:
        raise NotImplementedError

    def stat(self, key: str) -> StoredObject | None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as stream:
            return stream.read()

    def open_read(self, key: str) -> Any:
        """A binary stream of the object (a context manager)."""
        raise NotImplementedError

    def download_to(self, key: str, path: Path) -> Path:
        raise NotImplementedError

    def put_bytes(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def put_file(self, key: str, path: Path) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def uri(self, key: str = "") -> str:
        raise NotImplementedError

    def sha256(self, key: str) -> str:
        """The object's sha256, read as a stream (never the whole object in memory)."""
        digest = hashlib.sha256()
        with self.open_read(key) as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


class LocalStorage(Storage):
    """A folder per area; keys are paths below it."""

    def __init__(self, area: str, root: Path):
        self.area = area
        self.root = Path(root)

    def local_path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _object(self, key: str, path: Path) -> StoredObject:
        info = path.stat()
        return StoredObject(
            key, info.st_size, f"{info.st_size:x}-{info.st_mtime_ns:x}",
            dt.datetime.fromtimestamp(info.st_mtime, tz=dt.UTC),
        )

    def list(self, prefix: str = "") -> list[StoredObject]:
        if not self.root.is_dir():
            return []
        # Walk only below the deepest folder the prefix names.
        folder_part = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root.joinpath(*folder_part.split("/")) if folder_part else self.root
        if not start.is_dir():
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in filenames:
                if name.startswith(_TEMP_PREFIX):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(self._object(key, path))
        return sorted(found)

    def stat(self, key: str) -> StoredObject | None:
        path = self.local_path(key)
        return self._object(key, path) if path.is_file() else None

    def open_read(self, key: str) -> IO[bytes]:
        path = self.local_path(key)
        if not path.is_file():
            raise FileNotFoundError(f"{self.area}: no object {key!r}")
        return path.open("rb")

    def download_to(self, key: str, path: Path) -> Path:
        source = self.local_path(key)
        if not source.is_file():
            raise FileNotFoundError(f"{self.area}: no object {key!r}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return Path(path)

    @contextmanager
    def _atomic(self, key: str) -> Iterator[Path]:
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=target.parent)
        os.close(handle)
        try:
            yield Path(temp)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._atomic(key) as temp:
            temp.write_bytes(data)

    def put_file(self, key: str, path: Path) -> None:
        with self._atomic(key) as temp:
            shutil.copyfile(path, temp)

    def delete(self, key: str) -> None:
        self.local_path(key).unlink(missing_ok=True)

    def uri(self, key: str = "") -> str:
        """Where a key (or a folder-like prefix ending in ``/``) lives, as a path."""
        folder = _check_prefix(key)
        path = self.root.joinpath(*folder.split("/")) if folder else self.root
        return str(path.resolve()) + ("/" if key.endswith("/") else "")


class S3Storage(Storage):
    """An area in an S3 bucket (optionally under a prefix), through boto3."""

    def __init__(self, area: str, bucket: str, prefix: str, settings: Settings):
        import boto3
        from botocore.config import Config

        self.area = area
        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}),
        )

    def _full(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _object(self, full_key: str, size: int, etag: str, modified: dt.datetime) -> StoredObject:
        return StoredObject(full_key[len(self.prefix):], size, etag.strip('"'), modified)

    def list(self, prefix: str = "") -> list[StoredObject]:
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                found.append(self._object(item["Key"], item["Size"], item["ETag"], item["LastModified"]))
        return sorted(found)

    def stat(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return self._object(self._full(key), head["ContentLength"], head["ETag"], head["LastModified"])

    @contextmanager
    def open_read(self, key: str) -> Iterator[Any]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._full(key))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(f"{self.area}: no object {key!r}") from error
            raise
        try:
            yield body
        finally:
            body.close()

    def download_to(self, key: str, path: Path) -> Path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self._full(key), str(path))
        return Path(path)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._full(key), Body=data)

    def put_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._full(key))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._full(key))

    def uri(self, key: str = "") -> str:
        """Where a key (or a folder-like prefix ending in ``/``) lives, as an ``s3://`` URI."""
        _check_prefix(key)
        return f"s3://{self.bucket}/{self.prefix}{key}"


def _check_area(area: str) -> str:
    if not area or "/" in area or area.startswith("."):
        raise ValueError(f"not a storage area name: {area!r}")
    return area


def open_area(area: str, settings: Settings | None = None) -> Storage:
    """The storage area ``area`` on the configured backend (see the module docstring)."""
    settings = settings or get_settings()
    _check_area(area)
    if settings.storage == "s3":
        if area in _OWN_BUCKET:
            return S3Storage(area, getattr(settings, _OWN_BUCKET[area]), "", settings)
        return S3Storage(area, settings.bucket_archive, f"{area}/", settings)
    return LocalStorage(area, settings.area_path(area))
