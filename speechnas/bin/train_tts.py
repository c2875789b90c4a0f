"""Stage 5: train the found architecture standalone at the final size, and with ``--baselines true`` also the
hand-designed all-Transformer model and NAO's result, with identical data and schedule.

Models go to ``<exp>/train/{found,transformer,nao}`` (``--nj`` at a time); each resumes from its newest
checkpoint. Under ``torchrun`` the models train one after another, each with DDP.
"""
from __future__ import annotations

import logging
import sys

import torch

from speechnas.bin._tts_common import model_names, parse_recipe, recipe_parser
from speechnas.tts.jobs import run_jobs
from speechnas.tts.recipe_train import final_architectures, link_duplicate_models, train_model_stage
from speechnas.utils.distributed import cleanup, init_distributed
from speechnas.utils.logging import setup_logging

log = logging.getLogger("train_tts")


def main() -> None:
    p = recipe_parser(__doc__, models=True)
    p.add_argument("--nj", type=int, default=1, help="models trained in parallel (one CPU process each)")
    args, cfg, data = parse_recipe(p, "stage 5")
    device = "cuda" if cfg.final_train.device != "cpu" and torch.cuda.is_available() else "cpu"
    info = init_distributed(device)
    setup_logging(logging.INFO)  # again, now that the rank is known: other ranks only warn
    try:
        archs = final_architectures(cfg, args.exp_dir, cfg.search.method, args.baselines)
        names = model_names(cfg.search.method, args.baselines)
        links = link_duplicate_models(args.exp_dir, {n: archs[n] for n in names}, create=info.is_main)
        todo = [n for n in names if n not in links]
        jobs = [(cfg, data, args.exp_dir, n, str(archs[n])) for n in todo]
        run_jobs(train_model_stage, jobs, 1 if info.is_distributed else args.nj, todo)
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        sys.exit(f"stage 5: {e}")
    finally:
        cleanup()
    for n in names:
        log.info("stage 5: %-11s %s -> %s/train/%s", n, archs[n], args.exp_dir, n)


if __name__ == "__main__":
    main()
