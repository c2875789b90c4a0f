"""NAS-Bench-101 reader speed and memory at the real file's scale (423,624 cells x 3 repeats, ~500 MB).

Writes a synthetic file in the exact ``nasbench_only108.tfrecord`` layout (reused when it already exists), then
times, each in a fresh single-threaded process: the first load (read, CRC checks, decode, SHA-256, cache write)
with its peak resident memory, and the cached load. Prints a table and writes JSON next to the file.

    .venv/bin/python benchmarks/nasbench101/bench_reader.py [--dir /tmp/nb101_bench] [--cells 423624]
    .venv/bin/python benchmarks/nasbench101/bench_reader.py --file /path/to/nasbench_only108.tfrecord   # a real file
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from speechnas.nas.nasbench101.cache import default_cache_path
from speechnas.nas.nasbench101.synthetic import REAL_ONLY108_CELLS, write_synthetic
from speechnas.utils.io import atomic_write_json

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from speechnas.nas.nasbench101 import NasBench101
t1 = time.perf_counter()
bench = NasBench101.load(sys.argv[1], rebuild=sys.argv[2] == "rebuild")
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "cpu_s": time.process_time(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cells": len(bench), "records": bench.table.num_records}))
"""


def run_child(path: Path, mode: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "SPEECHNAS_PROGRESS": "0"}
    cmd = [sys.executable, "-c", _CHILD, str(path), mode]
    if hasattr(os, "sched_setaffinity"):  # pin to one core
        cmd = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] + cmd
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"loader failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default="/tmp/nb101_bench", help="where the synthetic file goes (never the repository)")
    p.add_argument("--cells", type=int, default=REAL_ONLY108_CELLS, help="unique cells (3 records each)")
    p.add_argument("--file", default=None, help="benchmark an existing file instead of a synthetic one")
    p.add_argument("--cached-runs", type=int, default=3, help="cached loads to time (the best is reported)")
    args = p.parse_args()

    if args.file:
        path = Path(args.file)
    else:
        path = Path(args.dir) / f"synthetic_only108_{args.cells}.tfrecord"
        if not path.exists():
            t = time.perf_counter()
            write_synthetic(path, num_cells=args.cells)
            print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    first = run_child(path, "rebuild")
    cached = min((run_child(path, "cached") for _ in range(args.cached_runs)), key=lambda r: r["load_s"])
    result = {
        "file": str(path), "file_mb": path.stat().st_size / 1e6, "records": first["records"], "cells": first["cells"],
        "first_load_s": first["load_s"], "first_load_cpu_s": first["cpu_s"], "first_load_peak_rss_mb": first["peak_rss_mb"],
        "cached_load_s": cached["load_s"], "cached_peak_rss_mb": cached["peak_rss_mb"], "import_s": cached["import_s"],
        "cache_mb": default_cache_path(path).stat().st_size / 1e6,
        "goals": {"first_load_s": 60, "first_load_peak_rss_mb": 2048, "cached_load_s": 2},
    }
    print(f"{'file':<28}{result['file_mb']:10.1f} MB  ({result['records']:,} records, {result['cells']:,} cells)")
    print(f"{'first load (builds cache)':<28}{result['first_load_s']:10.1f} s   (cpu {result['first_load_cpu_s']:.1f} s, "
          f"peak RSS {result['first_load_peak_rss_mb']:.0f} MB; goals 60 s, 2048 MB)")
    print(f"{'cached load':<28}{result['cached_load_s']:10.2f} s   (peak RSS {result['cached_peak_rss_mb']:.0f} MB, "
          f"+{result['import_s']:.2f} s imports; goal 2 s)")
    print(f"{'cache size':<28}{result['cache_mb']:10.1f} MB")
    atomic_write_json(path.with_suffix(".bench.json"), result)


if __name__ == "__main__":
    main()
