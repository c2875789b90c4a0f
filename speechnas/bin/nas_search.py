"""Run NAS searches on a tabular benchmark: methods x seeds, ``--nj`` parallel jobs, resumable.

    python -m speechnas.bin.nas_search --benchmark nasbench201 --table ../shared/data/nasbench/nb201_cifar10.csv \\
        --config recipes/nasbench201/conf/search.yaml --methods seminas,re --seeds 0:100 --nj 2 \\
        --exp-dir recipes/nasbench201/exp/search [--seminas.initial 20 ...]
"""
from __future__ import annotations

import argparse
import sys

from speechnas.nas.benchmarks import BENCHMARKS, grid_builder
from speechnas.nas.grid import SearchConfig, pending_jobs, run_grid
from speechnas.nas.methods import METHODS
from speechnas.utils.config import ConfigError, config_to_yaml, load_config
from speechnas.utils.expdir import prepare_exp_dir
from speechnas.utils.logging import setup_logging


def parse_seeds(text: str) -> list[int]:
    """``0:100`` (a range), ``3`` or ``1,5,9``."""
    if ":" in text:
        lo, hi = text.split(":")
        return list(range(int(lo), int(hi)))
    return [int(s) for s in text.split(",") if s]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--benchmark", default="nasbench201", choices=sorted(BENCHMARKS))
    p.add_argument("--table", help="benchmark table (CSV)")
    p.add_argument("--config", default=None, help="YAML with one section per method (SearchConfig)")
    p.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, from {', '.join(METHODS)}")
    p.add_argument("--seeds", default="0:10", help="range lo:hi, or comma-separated list")
    p.add_argument("--nj", type=int, default=1, help="parallel worker processes (one torch thread each)")
    p.add_argument("--exp-dir")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    args, overrides = p.parse_known_args(argv)
    setup_logging()
    try:
        cfg = load_config(SearchConfig, args.config, overrides)
    except ConfigError as e:
        print(f"nas_search: {e}", file=sys.stderr)
        return 2
    if args.print_config:
        print(config_to_yaml(cfg), end="")
        return 0
    if not args.table or not args.exp_dir:
        p.error("--table and --exp-dir are required")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    seeds = parse_seeds(args.seeds)
    if args.nj < 1:
        p.error(f"--nj must be at least 1, got {args.nj}")
    try:  # refuse unknown methods and runs made with other settings before config.yaml is overwritten
        pending_jobs(cfg, methods, seeds, args.exp_dir)
    except ValueError as e:
        print(f"nas_search: {e}", file=sys.stderr)
        return 2
    prepare_exp_dir(args.exp_dir, cfg)
    run_grid(grid_builder(args.benchmark, args.table), cfg, methods, seeds, args.exp_dir, args.nj)
    return 0


if __name__ == "__main__":
    sys.exit(main())
