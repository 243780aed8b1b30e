"""How fast the generator writes one month of speed tests at national scale (10 M rows), and with how
much memory — beside a bare baseline measured in the same run: the same number of rows serialised and
compressed from one pre-made chunk (CSV + gzip level 1, or Parquet), i.e. the cost of the file format
alone, without generating anything.

Each measurement runs in a fresh child process, so its peak RSS is its own.

    .venv/bin/python bench/bench_generate.py [--scale 1.0] [--ext csv.gz|parquet] [--period 2026-02]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

GENERATE = r"""
import json, resource, time
from pathlib import Path
from qamtu.generate.world import World
from qamtu.generate.speed import write_speed_tests
t0 = time.perf_counter()
world = World(SEED, SCALE)
t1 = time.perf_counter()
facts = write_speed_tests(world, PERIOD, Path(OUT), EXT)
t2 = time.perf_counter()
print("RESULT " + json.dumps({"world_s": t1 - t0, "write_s": t2 - t1, "rows": facts["rows"],
                              "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BASELINE = r"""
import gzip, json, resource, time
from pathlib import Path
import pyarrow as pa, pyarrow.csv as pacsv, pyarrow.parquet as pq
from qamtu.generate.world import World
from qamtu.generate.speed import CHUNK_ROWS, SpeedTestSource, rows_for_scale
source = SpeedTestSource(World(SEED, 0.05), PERIOD)
rows = rows_for_scale(SCALE)
chunk = source.chunk(0, text_times=EXT != "parquet")
t0 = time.perf_counter()
written = 0
if EXT == "parquet":
    with pq.ParquetWriter(OUT, chunk.schema, compression="zstd") as writer:
        while written < rows:
            part = chunk.slice(0, min(CHUNK_ROWS, rows - written))
            writer.write_table(part)
            written += part.num_rows
else:
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        while written < rows:
            part = chunk.slice(0, min(CHUNK_ROWS, rows - written))
            buffer = pa.BufferOutputStream()
            pacsv.write_csv(part, buffer,
                            pacsv.WriteOptions(include_header=written == 0, quoting_style="none"))
            gz.write(buffer.getvalue())
            written += part.num_rows
t1 = time.perf_counter()
print("RESULT " + json.dumps({"write_s": t1 - t0, "rows": written,
                              "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, **params: object) -> dict:
    prefix = "".join(f"{k} = {v!r}\n" for k, v in params.items())
    done = subprocess.run([sys.executable, "-c", prefix + code], capture_output=True, text=True, check=True)
    line = next(li for li in done.stdout.splitlines() if li.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(description="Speed tests of one month: generation vs bare file writing")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--ext", choices=("csv.gz", "parquet"), default="csv.gz")
    parser.add_argument("--period", default="2026-02")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qamtu-bench-generate-") as folder:
        out = Path(folder) / f"speed_tests.{args.ext}"
        params = {"SEED": args.seed, "SCALE": args.scale, "PERIOD": args.period, "EXT": args.ext}
        generated = child(GENERATE, OUT=str(out), **params)
        size = out.stat().st_size
        out.unlink()
        bare = child(BASELINE, OUT=str(out), **params)
        bare_size = out.stat().st_size
    rows = generated["rows"]
    print(f"speed_tests {args.period}, {rows:,} rows, {args.ext}")
    print(f"  generator: {generated['write_s']:.1f} s ({rows / generated['write_s']:,.0f} rows/s), "
          f"file {size / 2**20:,.0f} MiB, peak RSS {generated['peak_rss_mib']:,.0f} MiB "
          f"(+ {generated['world_s']:.1f} s to build the world)")
    print(f"  baseline (serialise + compress one repeated chunk, no generation): {bare['write_s']:.1f} s "
          f"({rows / bare['write_s']:,.0f} rows/s), file {bare_size / 2**20:,.0f} MiB, "
          f"peak RSS {bare['peak_rss_mib']:,.0f} MiB")
    print(f"  generation overhead: {generated['write_s'] / bare['write_s']:.2f}x the bare format cost")


if __name__ == "__main__":
    main()
