"""Build the demo benchmark file (321 real cells available offline) in the official format, for a pipeline check."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from speechnas.nas.nasbench101.demo import build_demo


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shared", default=os.environ.get("SPEECHNAS_SHARED", "../shared"),
                   help="the shared data folder (holds data/nasbench/)")
    p.add_argument("--out", required=True, help="output .tfrecord path")
    args = p.parse_args()
    src = Path(args.shared) / "data" / "nasbench"
    if not (src / "nb101_500_val_and_zc.csv").is_file():
        raise SystemExit(f"{src}: the NAS-Bench-101 test data is not there (set --shared or SPEECHNAS_SHARED)")
    counts = build_demo(src, args.out)
    print(f"{args.out}: {counts['cells']} cells, {counts['records']} records "
          f"({counts['fixture_cells']} with every field, {counts['csv_only_cells']} with validation accuracy only)")


if __name__ == "__main__":
    main()
