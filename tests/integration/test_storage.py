"""One test body, both storage backends: the local folder and S3 on a real HTTP endpoint (moto's server
on loopback, started by the fixtures)."""

from __future__ import annotations

import hashlib
import os

import pytest


@pytest.fixture(params=["local", "s3"])
def settings(request):
    return request.getfixturevalue(f"{request.param}_settings")


def test_put_get_list_stat_delete(settings, tmp_path):
    from qamtu.storage import open_area

    area = open_area("landing", settings)
    assert area.list() == []
    payload = "kato_code;статус\n101010100;подключен\n".encode()
    area.put_bytes("operator/kcell/2026-03/settlement_fiber.csv", payload)
    big = os.urandom(9 * 1024 * 1024 + 17)  # above boto3's multipart threshold
    source = tmp_path / "speed.csv.gz"
    source.write_bytes(big)
    area.put_file("measurement/qos/2026-03/speed_tests.csv.gz", source)

    listed = area.list()
    assert [str(o) for o in listed] == ["measurement/qos/2026-03/speed_tests.csv.gz",
                                        "operator/kcell/2026-03/settlement_fiber.csv"]
    assert [o.size for o in listed] == [len(big), len(payload)]
    assert all(o.etag and o.last_modified.tzinfo is not None for o in listed)
    assert area.list("operator/") == ["operator/kcell/2026-03/settlement_fiber.csv"]
    assert area.list("operator/kc") == ["operator/kcell/2026-03/settlement_fiber.csv"]
    assert area.list("akimat/") == []

    assert area.get_bytes("operator/kcell/2026-03/settlement_fiber.csv") == payload
    with area.open_read("measurement/qos/2026-03/speed_tests.csv.gz") as stream:
        head = stream.read(1000)
        rest = stream.read()
    assert head + rest == big
    assert area.sha256("measurement/qos/2026-03/speed_tests.csv.gz") == hashlib.sha256(big).hexdigest()
    copy = area.download_to("measurement/qos/2026-03/speed_tests.csv.gz", tmp_path / "out" / "copy.gz")
    assert copy.read_bytes() == big

    assert area.exists("operator/kcell/2026-03/settlement_fiber.csv")
    assert not area.exists("operator/kcell/2026-03/base_stations.csv")
    assert area.stat("operator/kcell/2026-03/settlement_fiber.csv").size == len(payload)
    area.put_bytes("operator/kcell/2026-03/settlement_fiber.csv", b"replaced")
    assert area.get_bytes("operator/kcell/2026-03/settlement_fiber.csv") == b"replaced"
    area.delete("operator/kcell/2026-03/settlement_fiber.csv")
    area.delete("operator/kcell/2026-03/settlement_fiber.csv")  # deleting what is gone is fine
    assert area.list() == ["measurement/qos/2026-03/speed_tests.csv.gz"]
    with pytest.raises(FileNotFoundError):
        area.get_bytes("operator/kcell/2026-03/settlement_fiber.csv")


def test_areas_do_not_see_each_other(settings):
    from qamtu.storage import AREAS, open_area

    for area_name in AREAS:
        open_area(area_name, settings).put_bytes(f"{area_name}/only-here.txt", area_name.encode())
    for area_name in AREAS:
        area = open_area(area_name, settings)
        assert area.list() == [f"{area_name}/only-here.txt"], area_name
        assert area.get_bytes(f"{area_name}/only-here.txt") == area_name.encode()


def test_where_each_area_lives(settings):
    from qamtu.storage import open_area

    key = "operator/kcell/2026-03/x.json"
    if settings.storage == "local":
        assert open_area("receipts", settings).uri(key) == str((settings.home / "receipts" / key).resolve())
        assert open_area("landing", settings).local_path(key) == settings.home / "landing" / key
        assert open_area("publication", settings).uri("releases/v1/") == \
            str((settings.home / "publication" / "releases" / "v1").resolve()) + "/"
    else:
        assert open_area("landing", settings).uri(key) == f"s3://{settings.bucket_landing}/{key}"
        assert open_area("publication", settings).uri(key) == f"s3://{settings.bucket_publication}/{key}"
        assert open_area("archive", settings).uri(key) == f"s3://{settings.bucket_archive}/archive/{key}"
        assert open_area("receipts", settings).uri(key) == f"s3://{settings.bucket_archive}/receipts/{key}"
        assert open_area("audit", settings).uri(key) == f"s3://{settings.bucket_archive}/audit/{key}"
        assert open_area("publication", settings).uri("releases/v1/") == \
            f"s3://{settings.bucket_publication}/releases/v1/"
        assert not (settings.home / "landing").exists()


@pytest.mark.parametrize("bad", ["", "/abs", "a/../b", "a//b", "a\\b", "./a"])
def test_keys_cannot_escape_the_area(settings, bad):
    from qamtu.storage import open_area

    with pytest.raises(ValueError):
        open_area("landing", settings).put_bytes(bad, b"x")
