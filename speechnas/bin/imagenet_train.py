"""Stage 3 of the ImageNet recipe: train the found architecture (or ``--final.arch``) from scratch with the paper's
schedule. Resumable; multi-GPU with ``torchrun --nproc_per_node N -m speechnas.bin.imagenet_train ...``."""
from __future__ import annotations

from speechnas.bin._image_common import image_parser, parse, run_stage
from speechnas.image.recipe import final_train_stage


def main(argv: list[str] | None = None) -> None:
    args, cfg = parse(image_parser(__doc__), "stage 3", argv)
    run_stage("stage 3", lambda: final_train_stage(cfg, args.data_dir, args.exp_dir), cfg.final.train.device)


if __name__ == "__main__":
    main()
