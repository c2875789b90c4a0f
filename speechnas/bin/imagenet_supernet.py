"""Stage 1 of the ImageNet recipe: train the one-shot supernet, single path sampled from the search's initial
architectures. Resumable; multi-GPU with ``torchrun --nproc_per_node N -m speechnas.bin.imagenet_supernet ...``."""
from __future__ import annotations

from speechnas.bin._image_common import image_parser, parse, run_stage
from speechnas.image.recipe import supernet_stage


def main(argv: list[str] | None = None) -> None:
    args, cfg = parse(image_parser(__doc__), "stage 1", argv)
    run_stage("stage 1", lambda: supernet_stage(cfg, args.data_dir, args.exp_dir), cfg.supernet.train.device)


if __name__ == "__main__":
    main()
