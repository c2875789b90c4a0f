"""Stage 2 of the ImageNet recipe: the one-shot search (SemiNAS, NAO or random) with the supernet of stage 1,
every queried architecture under the multiply-add limit. Resumable (a killed search keeps every score)."""
from __future__ import annotations

from speechnas.bin._image_common import image_parser, parse, run_stage
from speechnas.image.recipe import search_stage


def main(argv: list[str] | None = None) -> None:
    p = image_parser(__doc__)
    p.add_argument("--methods", default="", help="comma-separated methods (default: search.method)")
    args, cfg = parse(p, "stage 2", argv)
    for method in [m for m in args.methods.split(",") if m] or [cfg.search.method]:
        run_stage("stage 2", lambda: search_stage(cfg, args.data_dir, args.exp_dir, method))


if __name__ == "__main__":
    main()
