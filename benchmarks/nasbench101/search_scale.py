"""The search loop at the real space's scale: SemiNAS / NAO / RE / random on a synthetic 100,000-cell file.

The file (:func:`~speechnas.nas.nasbench101.synthetic.write_searchable`) holds distinct valid cells under their
real hashes with a made-up accuracy landscape, so this measures cost (wall time per run at the paper's 300-query
setting, the cache, sampling and hashing over a large catalog) and that the predictor finds structure; it is not
NAS-Bench-101 and its accuracies mean nothing. Runs ``recipes/nasbench101/run.sh --stage 1`` with conf/q300.yaml
and ``benchmark.restrict: true`` (the file holds part of the space).

    .venv/bin/python benchmarks/nasbench101/search_scale.py [--dir /tmp/nb101_scale] [--cells 100000] [--seeds 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from speechnas.nas.nasbench101.synthetic import write_searchable

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "nasbench101"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default="/tmp/nb101_scale", help="scratch directory (never the repository)")
    p.add_argument("--cells", type=int, default=100_000)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--nj", type=int, default=2)
    p.add_argument("--methods", default="seminas,nao,re,random")
    args = p.parse_args()
    scratch = Path(args.dir)
    path = scratch / f"searchable_{args.cells}.tfrecord"
    if not path.exists():
        start = time.perf_counter()
        n = write_searchable(path, args.cells)
        print(f"wrote {path}: {n:,} records in {time.perf_counter() - start:.0f} s")
    cmd = ["bash", str(RECIPE / "run.sh"), "--stage", "1", "--nb101-file", str(path), "--conf",
           str(RECIPE / "conf" / "q300.yaml"), "--exp-dir", str(scratch / "exp"), "--nj", str(args.nj),
           "--methods", args.methods, "--overrides", f"--seeds {args.seeds} --report.reference 0 --benchmark.restrict true"]
    start = time.perf_counter()
    out = subprocess.run(cmd, env={**os.environ, "SPEECHNAS_PROGRESS": "0"}, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stdout + out.stderr)
    print((scratch / "exp" / "report.txt").read_text(), end="")
    exp = scratch / "exp"
    print(f"stages 1-3: {time.perf_counter() - start:.0f} s wall with --nj {args.nj}; wall time per run: "
          f"{exp / 'report.json'} (methods.<method>.wall_s_mean / _median / _max) and "
          f"{exp}/<method>/seed<k>/run.json (wall_s)")


if __name__ == "__main__":
    main()
