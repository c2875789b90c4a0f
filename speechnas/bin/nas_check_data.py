"""Check a tabular NAS benchmark before searching: it loads, has every architecture, and its numbers look sane.

    python -m speechnas.bin.nas_check_data --benchmark nasbench201 --table ../shared/data/nasbench/nb201_cifar10.csv
"""
from __future__ import annotations

import argparse
import json
import sys

from speechnas.nas.benchmarks import BENCHMARKS, build_benchmark
from speechnas.nas.evaluators.tabular import TableError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", default="nasbench201", choices=sorted(BENCHMARKS))
    p.add_argument("--table", required=True)
    args = p.parse_args(argv)
    try:
        space, evaluator = build_benchmark(args.benchmark, args.table)
    except TableError as e:
        print(f"nas_check_data: {e}", file=sys.stderr)
        return 2
    archs = evaluator.archs()
    metric = evaluator.search_metric
    best = max(archs, key=lambda a: evaluator.metric(a, metric))
    summary = {
        "table": str(args.table), "architectures": len(archs), "unique_keys": len({space.key(a) for a in archs}),
        "search_metric": metric, "best_by_search_metric": space.to_str(best),
        "its_metrics": {name: evaluator.metric(best, name) for name in evaluator.metric_names},
        "max": {name: max(evaluator.metric(a, name) for a in archs) for name in evaluator.metric_names},
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
