"""Seconds per search run on NAS-Bench-201, per method, in one process with one torch thread (after a warm-up
that pays the one-time imports). Prints one line per method: mean / median / max seconds and the queries made.

    .venv/bin/python benchmarks/nas/nb201_timing.py --methods seminas,nao,seminas_re,re,random --seeds 0:3 --budget 300
"""
from __future__ import annotations

import sys
import time

import numpy as np
import torch

from speechnas.bin.nas_search import parse_seeds
from speechnas.nas.run import run_search

from nb201_args import nb201_parser, nb201_setup  # noqa: E402 (sibling script module)


def main() -> int:
    p = nb201_parser(__doc__, "seminas,nao,seminas_re,re,random")
    p.add_argument("--budget", type=int, default=300)
    args, cfg, space, evaluator = nb201_setup(p)
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
