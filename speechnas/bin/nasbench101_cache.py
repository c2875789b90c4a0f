"""Stage 1: read the benchmark file once into its binary cache (checking every CRC) and write a summary."""
from __future__ import annotations

import json
import time
from pathlib import Path

from speechnas.bin.nasbench101_common import parse, parser
from speechnas.nas.nasbench101.benchmark import NasBench101
from speechnas.nas.nasbench101.download import FILES
from speechnas.nas.nasbench101.tfrecord import RecordError
from speechnas.utils.io import atomic_write_json


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--out", default=None, help="write the summary JSON here (e.g. exp/benchmark.json)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the cache even when it is current")
    p.add_argument("--verify-hashes", action="store_true", help="recompute every cell's hash (about 1 min)")
    args, cfg = parse(p)
    start = time.perf_counter()
    try:
        bench = NasBench101.load(cfg.benchmark.file, cfg.benchmark.cache or None, rebuild=args.rebuild,
                                 verify_hashes=args.verify_hashes)
    except (RecordError, FileNotFoundError) as e:
        raise SystemExit(f"stage 1: {e}")
    published = {sha: name for name, (_, sha, _) in FILES.items()}
    summary = {**bench.summary(), "load_s": round(time.perf_counter() - start, 3),
               "published_file": published.get(bench.table.meta.get("source_sha256"))}  # None: not an official file
    if args.out:
        atomic_write_json(Path(args.out), summary)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
