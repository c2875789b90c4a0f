"""Stage 3: train the weight-sharing TTS supernet with single-path sampling from the search's initial pool.

Resumable (re-running continues from the newest checkpoint; a finished supernet is skipped); multi-GPU with
``torchrun --nproc_per_node N -m speechnas.bin.train_supernet ...`` (run.sh --ngpu N does that).
"""
from __future__ import annotations

import logging

from speechnas.bin._tts_common import parse_recipe, recipe_parser, run_stage
from speechnas.tts.recipe.supernet_stage import train_supernet_stage

log = logging.getLogger("train_supernet")


def main() -> None:
    args, cfg, data = parse_recipe(recipe_parser(__doc__), "stage 3")
    result = run_stage("stage 3", lambda: train_supernet_stage(cfg, data, args.exp_dir), cfg.supernet.device)
    log.info("stage 3: supernet at step %d in %s/supernet", result["step"], args.exp_dir)


if __name__ == "__main__":
    main()
