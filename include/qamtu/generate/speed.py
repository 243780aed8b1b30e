"""Speed tests of the measurement platform: 10 million rows a month at scale 1.0, generated in
fixed-size chunks with numpy (each chunk has its own random stream, so the file does not depend on
the chunk being written alone or after others) and streamed to csv.gz (gzip level 1, mtime 0) or
Parquet (one row group per chunk). Memory stays bounded by one chunk."""

from __future__ import annotations

import gzip
from calendar import monthrange
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from qamtu.generate.claims import THROTTLE, ClaimStats, plan, speed_key
from qamtu.generate.world import LAT_RANGE, LON_RANGE, STREAM, World, month_index, rng_for

ROWS_PER_MONTH = 10_000_000
CHUNK_ROWS = 500_000
GZIP_LEVEL = 1
OPERATOR_SHARE = {"kazakhtelecom": 0.35, "kcell": 0.25, "beeline": 0.22, "tele2": 0.18}
TECHNOLOGIES = ("fixed", "2G", "3G", "4G", "5G")
# Median download (Mbit/s) and latency (ms) by technology, lognormal around them.
MEDIAN_DOWNLOAD = np.array([85.0, 0.15, 4.0, 25.0, 180.0])
MEDIAN_LATENCY = np.array([12.0, 400.0, 80.0, 38.0, 18.0])
SCHEMA = pa.schema([
    ("test_id", pa.string()), ("measured_at", pa.timestamp("s", tz="UTC")), ("latitude", pa.float64()),
    ("longitude", pa.float64()), ("kato_code", pa.string()), ("operator", pa.string()),
    ("technology", pa.string()), ("download_mbps", pa.float64()), ("upload_mbps", pa.float64()),
    ("latency_ms", pa.float64()),
])
CSV_SCHEMA = SCHEMA.set(1, pa.field("measured_at", pa.string()))


@cache
def _times_of_day() -> pa.Array:
    return pa.array([f"{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z" for t in range(86400)], pa.string())


def rows_for_scale(scale: float) -> int:
    return max(1, int(round(ROWS_PER_MONTH * scale)))


class SpeedTestSource:
    """Chunks of one month's speed tests."""

    def __init__(self, world: World, period: str):
        self.world = world
        self.period = period
        self.m = month_index(period)
        self.rows = rows_for_scale(world.scale)
        weights = world.population.astype(float)
        self.cdf = np.cumsum(weights / weights.sum())
        self.codes = pa.array(world.codes, pa.string())
        self.is_city = np.array([k == "city" for k in world.kind])
        self.operators = pa.array(list(OPERATOR_SHARE), pa.string())
        self.op_cdf = np.cumsum(list(OPERATOR_SHARE.values()))
        self.technologies = pa.array(TECHNOLOGIES, pa.string())
        year, month = int(period[:4]), int(period[5:7])
        self.start = int(datetime(year, month, 1, tzinfo=UTC).timestamp())
        self.seconds = monthrange(year, month)[1] * 86400
        self.prefix = f"QOS{year}{month:02d}-"
        self.throttled = plan(world).throttled
        # Timestamps as text, assembled from two small lookup arrays (much faster than strftime).
        days = monthrange(year, month)[1]
        self.day_text = pa.array([f"{year}-{month:02d}-{d + 1:02d}T" for d in range(days)], pa.string())
        self.time_text = _times_of_day()

    def chunks(self) -> int:
        return (self.rows + CHUNK_ROWS - 1) // CHUNK_ROWS

    def chunk(self, c: int, negative_download_at: int | None = None, text_times: bool = False,
              sink: Callable[[np.ndarray, np.ndarray], None] | None = None) -> pa.Table:
        """Rows ``c * CHUNK_ROWS`` … of the month; ``text_times`` gives ``measured_at`` as ISO 8601 text
        (``2026-03-01T08:15:00Z``) for CSV, else a UTC timestamp column (Parquet). ``sink`` receives each
        row's claim group (``claims.speed_key``) and download, the defect's negative row left out."""
        first = c * CHUNK_ROWS
        n = min(CHUNK_ROWS, self.rows - first)
        rng = rng_for(self.world.seed, STREAM["speed"], self.m + 1000, c)
        place = np.minimum(np.searchsorted(self.cdf, rng.random(n), side="right"), len(self.cdf) - 1)
        op = np.minimum(np.searchsorted(self.op_cdf, rng.random(n) * self.op_cdf[-1], side="right"), 3)
        u = rng.random(n)
        mobile_tech = np.where(u < 0.04, 1, np.where(u < 0.16, 2, np.where(u < 0.86, 3, 4)))
        mobile_tech = np.where((mobile_tech == 4) & ~self.is_city[place], 3, mobile_tech)
        fixed_tech = np.where(u < 0.92, 0, 3)
        tech = np.where(op == 0, fixed_tech, mobile_tech)
        spread = np.where(self.is_city[place], 0.05, 0.01)
        lat = np.clip(self.world.lat[place] + rng.standard_normal(n) * spread, *LAT_RANGE).round(5)
        lon = np.clip(self.world.lon[place] + rng.standard_normal(n) * spread * 1.4, *LON_RANGE).round(5)
        download = MEDIAN_DOWNLOAD[tech] * np.exp(rng.standard_normal(n) * 0.6)
        # Overstated claims (claims.py): that operator's tests of that technology there run slow.
        keys = speed_key(place, op, tech)
        download = np.where(self.throttled[keys], download * THROTTLE, download).round(2)
        upload = (download * rng.uniform(0.15, 0.6, n)).round(2)
        latency = (MEDIAN_LATENCY[tech] * np.exp(rng.standard_normal(n) * 0.4)).round(1)
        if sink is not None:
            keep = np.ones(n, dtype=bool)
            if negative_download_at is not None and first <= negative_download_at < first + n:
                keep[negative_download_at - first] = False
            sink(keys[keep], download[keep])
        if negative_download_at is not None and first <= negative_download_at < first + n:
            download[negative_download_at - first] = -12.5
        offset = rng.integers(0, self.seconds, n)
        if text_times:
            when = pc.binary_join_element_wise(self.day_text.take(pa.array(offset // 86400)),
                                               self.time_text.take(pa.array(offset % 86400)), "")
        else:
            when = pa.array(self.start + offset, pa.int64()).cast(pa.timestamp("s", tz="UTC"))
        numbers = pa.array(np.arange(first + 1, first + n + 1), pa.int64())
        ids = pc.binary_join_element_wise(self.prefix,
                                          pc.utf8_lpad(pc.cast(numbers, pa.string()), 9, "0"), "")
        schema = CSV_SCHEMA if text_times else SCHEMA
        return pa.table([
            ids, when, pa.array(lat), pa.array(lon),
            self.codes.take(pa.array(place)), self.operators.take(pa.array(op)),
            self.technologies.take(pa.array(tech)), pa.array(download), pa.array(upload), pa.array(latency),
        ], schema=schema)


def write_speed_tests(world: World, period: str, path: Path, ext: str,
                      negative_download_at: int | None = None, progress: Any = None,
                      claim_stats: list[ClaimStats] | None = None) -> dict[str, Any]:
    """Write one month's file; returns its facts (rows, counts by operator and technology). With
    ``claim_stats`` (a list), appends the month's ``ClaimStats`` of the groups with a claim."""
    source = SpeedTestSource(world, period)
    sink = None
    kept_keys: list[np.ndarray] = []
    kept_downloads: list[np.ndarray] = []
    if claim_stats is not None:
        mask = plan(world).claim_mask(source.m)

        def sink(keys: np.ndarray, downloads: np.ndarray) -> None:
            wanted = mask[keys]
            kept_keys.append(keys[wanted].astype(np.int64))
            kept_downloads.append(downloads[wanted])
    by_operator = dict.fromkeys(OPERATOR_SHARE, 0)
    by_technology = dict.fromkeys(TECHNOLOGIES, 0)
    path.parent.mkdir(parents=True, exist_ok=True)

    def tally(table: pa.Table) -> None:
        for key, counts in ((("operator"), by_operator), (("technology"), by_technology)):
            for item in table.column(key).value_counts().to_pylist():
                counts[item["values"]] += item["counts"]

    if ext == "parquet":
        with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
            for c in range(source.chunks()):
                table = source.chunk(c, negative_download_at, sink=sink)
                writer.write_table(table)
                tally(table)
                if progress:
                    progress(c + 1, source.chunks())
    else:
        # CSV text of chunk k+1 is made while chunk k is compressed (zlib releases the GIL).
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL,
                                                    mtime=0, filename="") as gz, \
                ThreadPoolExecutor(max_workers=1) as pool:
            pending = None
            for c in range(source.chunks()):
                table = source.chunk(c, negative_download_at, text_times=True, sink=sink)
                buffer = pa.BufferOutputStream()
                pacsv.write_csv(table, buffer,
                                pacsv.WriteOptions(include_header=c == 0, quoting_style="none"))
                tally(table)
                if pending is not None:
                    pending.result()
                pending = pool.submit(gz.write, buffer.getvalue())
                if progress:
                    progress(c + 1, source.chunks())
            if pending is not None:
                pending.result()
    if claim_stats is not None:
        claim_stats.append(ClaimStats.from_arrays(
            np.concatenate(kept_keys) if kept_keys else np.array([], np.int64),
            np.concatenate(kept_downloads) if kept_downloads else np.array([], float)))
    return {"rows": source.rows, "by_operator": by_operator, "by_technology": by_technology}
