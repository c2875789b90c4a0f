"""Stage 2: run every method x seed of an experiment config on NAS-Bench-101, ``--nj`` runs at a time (resumable)."""
from __future__ import annotations

from speechnas.bin.nasbench101_common import parse, parser
from speechnas.nas.nasbench101.experiment import run_all
from speechnas.utils.expdir import prepare_exp_dir


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--exp-dir", default=None, help="runs go to <exp-dir>/<method>/seed<k>/")
    p.add_argument("--nj", type=int, default=1, help="runs in parallel (one process and one thread each)")
    p.add_argument("--methods", default=None, help="comma-separated subset of the config's methods")
    args, cfg = parse(p)
    if not args.exp_dir:
        p.error("--exp-dir is required")
    methods = args.methods.split(",") if args.methods else None
    prepare_exp_dir(args.exp_dir, cfg)
    runs = run_all(cfg, args.exp_dir, nj=args.nj, methods=methods)
    print(f"{len(runs)} runs finished in {args.exp_dir}")


if __name__ == "__main__":
    main()
