"""Stage 5: train the found architecture standalone at the final size, and with ``--baselines true`` also the
hand-designed all-Transformer model and NAO's result, with identical data and schedule.

Models go to ``<exp>/train/{found,transformer,nao}`` (``--nj`` at a time); each resumes from its newest
checkpoint. Under ``torchrun`` the models train one after another, each with DDP.
"""
from __future__ import annotations

import logging

from speechnas.bin._tts_common import parse_recipe, recipe_parser, run_stage
from speechnas.utils.jobs import run_jobs
from speechnas.tts.recipe.train_stage import final_architectures, link_duplicate_models, train_model_stage
from speechnas.utils.distributed import get_info

log = logging.getLogger("train_tts")


def main() -> None:
    p = recipe_parser(__doc__, models=True)
    p.add_argument("--nj", type=int, default=1, help="models trained in parallel (one CPU process each)")
    args, cfg, data = parse_recipe(p, "stage 5")

    def train() -> dict:
        info = get_info()
        archs = final_architectures(cfg, args.exp_dir, cfg.search.method, args.baselines)
        links = link_duplicate_models(args.exp_dir, archs, create=info.is_main)
        todo = [n for n in archs if n not in links]
        jobs = [(cfg, data, args.exp_dir, n, str(archs[n])) for n in todo]
        run_jobs(train_model_stage, jobs, 1 if info.is_distributed else args.nj, todo)
        return archs

    for n, arch in run_stage("stage 5", train, cfg.final_train.device).items():
        log.info("stage 5: %-11s %s -> %s/train/%s", n, arch, args.exp_dir, n)


if __name__ == "__main__":
    main()
