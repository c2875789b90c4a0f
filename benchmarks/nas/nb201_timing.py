"""Seconds per search run on NAS-Bench-201, per method, in one process with one torch thread (after a warm-up
that pays the one-time imports). Prints one line per method: mean / median / max seconds and the queries made.

    .venv/bin/python benchmarks/nas/nb201_timing.py --methods seminas,nao,seminas_re,re,random --seeds 0:3 --budget 300
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from speechnas.bin.nas_search import parse_seeds
from speechnas.nas.benchmarks import build_nasbench201
from speechnas.nas.grid import SearchConfig
from speechnas.nas.run import run_search
from speechnas.utils.config import load_config


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shared = Path(os.environ.get("SPEECHNAS_SHARED", Path(__file__).resolve().parents[3] / "shared"))
    p.add_argument("--table", default=str(shared / "data/nasbench/nb201_cifar10.csv"),
                   help="NAS-Bench-201 CSV (default: $SPEECHNAS_SHARED or ../shared, data/nasbench/nb201_cifar10.csv)")
    p.add_argument("--config", default=str(Path(__file__).resolve().parents[2] / "recipes/nasbench201/conf/search.yaml"))
    p.add_argument("--methods", default="seminas,nao,seminas_re,re,random")
    p.add_argument("--seeds", default="0:3")
    p.add_argument("--budget", type=int, default=300)
    args, overrides = p.parse_known_args()
    torch.set_num_threads(1)
    cfg = load_config(SearchConfig, args.config, overrides)
    space, evaluator = build_nasbench201(args.table)
    run_search(space, evaluator, "seminas", cfg.seminas, 35, 0, None)  # warm-up: lazy imports, first optimizer
    print(f"budget {args.budget}, seeds {args.seeds}, torch threads {torch.get_num_threads()}")
    for method in args.methods.split(","):
        walls, used = [], []
        for seed in parse_seeds(args.seeds):
            t = time.perf_counter()
            res = run_search(space, evaluator, method, getattr(cfg, method), args.budget, seed, None)
            walls.append(time.perf_counter() - t)
            used.append(res.budget.used)
        print(f"{method:<11} s/run mean {np.mean(walls):6.1f}  median {np.median(walls):6.1f}  max {np.max(walls):6.1f}"
              f"  ({len(walls)} runs, {min(used)}-{max(used)} queries)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
