"""Stage 4 of the ImageNet recipe: top-1 and top-5 of the trained network on ``val/`` (``eval/results.{json,txt}``)."""
from __future__ import annotations

from speechnas.bin._image_common import image_parser, parse, run_stage
from speechnas.image.recipe import evaluate_stage


def main(argv: list[str] | None = None) -> None:
    args, cfg = parse(image_parser(__doc__), "stage 4", argv)
    run_stage("stage 4", lambda: evaluate_stage(cfg, args.data_dir, args.exp_dir))


if __name__ == "__main__":
    main()
