"""Stage 0 of the ImageNet recipe: make the built-in mini set (``--mini true``) or check ``--imagenet-dir``
(``train/<wnid>/*.JPEG``, ``val/<wnid>/``), then carve the held-out split from ``train`` (``<data-dir>/split.json``)."""
from __future__ import annotations

from speechnas.bin._image_common import image_parser, parse, run_stage, str2bool
from speechnas.image.recipe import data_stage


def main(argv: list[str] | None = None) -> None:
    p = image_parser(__doc__, exp=False)
    p.add_argument("--mini", type=str2bool, default=False, help="the built-in set instead of ImageNet")
    p.add_argument("--imagenet-dir", default="", help="ImageNet folder with train/ and val/")
    args, cfg = parse(p, "stage 0", argv)
    run_stage("stage 0", lambda: data_stage(cfg, args.data_dir, args.imagenet_dir or None, args.mini))


if __name__ == "__main__":
    main()
