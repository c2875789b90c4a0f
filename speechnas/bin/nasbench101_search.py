"""Stage 2: run every method x seed of an experiment config on NAS-Bench-101, ``--nj`` runs at a time (resumable).

The core grid runner (:func:`speechnas.nas.grid.run_grid`) runs them: finished runs are skipped, interrupted ones
resume, and a run directory holding another method config, seed or budget is refused before anything runs.
"""
from __future__ import annotations

import sys
from functools import partial

from speechnas.bin.nasbench101_common import parse, parser
from speechnas.nas.grid import pending_jobs, run_grid
from speechnas.nas.nasbench101.experiment import build_run, cached_benchmark, write_run_json
from speechnas.utils.expdir import prepare_exp_dir


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--exp-dir", default=None, help="runs go to <exp-dir>/<method>/seed<k>/")
    p.add_argument("--nj", type=int, default=1, help="runs in parallel (one process and one thread each)")
    p.add_argument("--methods", default=None, help="comma-separated subset of the config's methods")
    args, cfg = parse(p)
    if not args.exp_dir:
        p.error("--exp-dir is required")
    if args.nj < 1:
        p.error(f"--nj must be at least 1, got {args.nj}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else cfg.methods
    seeds = cfg.seed_list()
    try:  # refuse unknown methods and runs made with other settings before config.yaml is overwritten
        pending_jobs(cfg, methods, seeds, args.exp_dir)
    except ValueError as e:
        print(f"nasbench101_search: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    prepare_exp_dir(args.exp_dir, cfg)
    cached_benchmark(cfg.benchmark)  # builds the binary cache once, before the workers read it
    runs = run_grid(partial(build_run, cfg.benchmark), cfg, methods, seeds, args.exp_dir, args.nj,
                    after=partial(write_run_json, cfg.benchmark))
    print(f"{len(runs)} runs done now, {len(methods) * len(seeds) - len(runs)} finished before, in {args.exp_dir}")


if __name__ == "__main__":
    main()
