"""End-to-end NAS-Bench-101 pipeline on the demo file (the 321 real cells available offline), timed.

Runs ``recipes/nasbench101/run.sh --demo true`` (stages 0-3: build the file, cache, every method x seed, report)
into a scratch directory and prints the report table and the wall time of each stage. The accuracies are those
of the small demo space (validation accuracy; only 30 cells have test accuracies): they check the pipeline and
say nothing about NAS-Bench-101. The paper's numbers need the real nasbench_only108.tfrecord.

    .venv/bin/python benchmarks/nasbench101/demo_pipeline.py [--dir /tmp/nb101_demo] [--seeds 10] [--nj 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "nasbench101" / "run.sh"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default="/tmp/nb101_demo", help="scratch directory (never the repository)")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--nj", type=int, default=2)
    args = p.parse_args()
    scratch = Path(args.dir)
    common = ["bash", str(RECIPE), "--demo", "true", "--nb101-file", str(scratch / "nb101_demo.tfrecord"),
              "--exp-dir", str(scratch / "exp"), "--nj", str(args.nj), "--overrides", f"--seeds {args.seeds}"]
    env = {**os.environ, "SPEECHNAS_PROGRESS": "0"}
    times = {}
    for stage in range(4):
        start = time.perf_counter()
        out = subprocess.run(common + ["--stage", str(stage), "--stop-stage", str(stage)], env=env,
                             capture_output=True, text=True)
        times[stage] = time.perf_counter() - start
        if out.returncode != 0:
            raise SystemExit(f"stage {stage} failed:\n{out.stdout}\n{out.stderr}")
    print((scratch / "exp" / "report.txt").read_text(), end="")
    print("wall time per stage: " + ", ".join(f"{s}: {t:.1f} s" for s, t in times.items()) + f" (--nj {args.nj})")


if __name__ == "__main__":
    main()
