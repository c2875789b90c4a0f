"""Stage 3: report.json, report.txt (regret against 94.32, rank in the whole space) and report.png over all runs."""
from __future__ import annotations

from speechnas.bin.nasbench101_common import parse, parser
from speechnas.nas.nasbench101.report import write_report


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--exp-dir", default=None, help="the experiment directory of stage 2")
    args, cfg = parse(p)
    if not args.exp_dir:
        p.error("--exp-dir is required")
    write_report(args.exp_dir, cfg)
    print(open(f"{args.exp_dir}/report.txt", encoding="utf-8").read(), end="")
    print(f"written: {args.exp_dir}/report.json, report.txt, report.png")


if __name__ == "__main__":
    main()
