"""Summarise finished searches into report.json, report.txt (mean ± std table) and report.png.

    python -m speechnas.bin.nas_report --exp-dir recipes/nasbench201/exp/search --out-dir recipes/nasbench201/exp/report
"""
from __future__ import annotations

import argparse
import sys

from speechnas.nas.report import format_table, write_report
from speechnas.utils.logging import setup_logging


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exp-dir", required=True, help="directory holding <method>/seed<k>/ runs")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--budgets", default="100,150,300", help="comma-separated query budgets")
    p.add_argument("--report-metric", default="test_acc", help="metric reported for the best-by-search-metric architecture")
    args = p.parse_args(argv)
    setup_logging()
    budgets = [int(b) for b in args.budgets.split(",") if b]
    try:
        summary = write_report(args.exp_dir, args.out_dir, budgets, args.report_metric)
    except (FileNotFoundError, ValueError, KeyError) as e:
        print(f"nas_report: {e}", file=sys.stderr)
        return 2
    print(format_table(summary), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
