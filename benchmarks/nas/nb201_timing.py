"""Seconds per search run on NAS-Bench-201, per method, in one process with one torch thread (after a warm-up
that pays the one-time imports). Prints one line per method: mean / median / max wall seconds, the median CPU
seconds of the process (what the run itself used: on a busy machine wall time grows, CPU time much less) and the
queries made.

    .venv/bin/python benchmarks/nas/nb201_timing.py --seeds 0:3 --budget 300     # every registered method
"""
from __future__ import annotations

import sys
import time

import numpy as np
import torch

from speechnas.bin.nas_search import parse_seeds
from speechnas.nas.methods import METHODS
from speechnas.nas.run import run_search

from nb201_args import nb201_parser, nb201_setup  # noqa: E402 (sibling script module)


def main() -> int:
    p = nb201_parser(__doc__, ",".join(METHODS))
    p.add_argument("--budget", type=int, default=300)
    args, cfg, space, evaluator = nb201_setup(p)
    run_search(space, evaluator, "seminas", cfg.seminas, 35, 0, None)  # warm-up: lazy imports, first optimizer
    print(f"budget {args.budget}, seeds {args.seeds}, torch threads {torch.get_num_threads()}")
    for method in args.methods.split(","):
        walls, cpus, used = [], [], []
        for seed in parse_seeds(args.seeds):
            t, c = time.perf_counter(), time.process_time()
            res = run_search(space, evaluator, method, getattr(cfg, method), args.budget, seed, None)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            used.append(res.budget.used)
        print(f"{method:<15} s/run mean {np.mean(walls):6.1f}  median {np.median(walls):6.1f}  max {np.max(walls):6.1f}"
              f"  CPU median {np.median(cpus):6.1f}  ({len(walls)} runs, {min(used)}-{max(used)} queries)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
