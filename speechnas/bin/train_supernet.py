"""Stage 3: train the weight-sharing TTS supernet with single-path sampling from the search's initial pool.

Resumable (re-running continues from the newest checkpoint; a finished supernet is skipped); multi-GPU with
``torchrun --nproc_per_node N -m speechnas.bin.train_supernet ...`` (run.sh --ngpu N does that).
"""
from __future__ import annotations

import logging
import sys

import torch

from speechnas.bin._tts_common import parse_recipe, recipe_parser
from speechnas.tts.recipe_train import train_supernet_stage
from speechnas.utils.distributed import cleanup, init_distributed
from speechnas.utils.logging import setup_logging

log = logging.getLogger("train_supernet")


def main() -> None:
    args, cfg, data = parse_recipe(recipe_parser(__doc__), "stage 3")
    device = "cuda" if cfg.supernet.device != "cpu" and torch.cuda.is_available() else "cpu"
    init_distributed(device)
    setup_logging(logging.INFO)  # again, now that the rank is known: other ranks only warn
    try:
        result = train_supernet_stage(cfg, data, args.exp_dir)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"stage 3: {e}")
    finally:
        cleanup()
    log.info("stage 3: supernet at step %d in %s/supernet", result["step"], args.exp_dir)


if __name__ == "__main__":
    main()
