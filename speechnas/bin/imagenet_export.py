"""Stage 5 of the ImageNet recipe: export the trained network (``<exp-dir>/export``: ``model.pt``, ``model.yaml``),
which ``speechnas.image.load_model`` and ``python -m speechnas.bin.imagenet_predict`` load."""
from __future__ import annotations

from speechnas.bin._image_common import image_parser, parse, run_stage
from speechnas.image.recipe import export_stage


def main(argv: list[str] | None = None) -> None:
    args, cfg = parse(image_parser(__doc__), "stage 5", argv)
    run_stage("stage 5", lambda: export_stage(cfg, args.data_dir, args.exp_dir))


if __name__ == "__main__":
    main()
