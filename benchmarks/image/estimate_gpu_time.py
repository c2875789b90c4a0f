"""Estimate, from multiply-add counts, the GPU time of the paper-size ImageNet search and final training.

Training costs 3x a forward pass (forward, input and weight gradients), 2 FLOPs per multiply-add. Supernet paths are
uniform draws under the 600M limit (their mean multiply-adds at the supernet widths, measured here); scoring is a
forward pass over the held-out subset plus the recalibration images per architecture. ``--tflops`` are assumed
*achieved* rates per GPU for these depthwise-heavy networks with AMP (not peaks, not measured here); the data loader
must keep up too: ``data_loading_bound`` is the time ``--cores`` cores at ``--core-rate`` images/s need. Not a measurement: an order-of-magnitude plan.

    .venv/bin/python benchmarks/image/estimate_gpu_time.py [--gpus 4] [--tflops 8,15]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_args import report  # noqa: E402

from speechnas.image.flops import CostTable  # noqa: E402
from speechnas.image.layout import width_preset  # noqa: E402
from speechnas.image.recipe_config import ImageRecipeConfig  # noqa: E402
from speechnas.image.space import ImageNetSpace, parse_arch  # noqa: E402

IMAGENET_TRAIN = 1_281_167
SEMINASNET = "6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gpus", type=int, default=4)
    ap.add_argument("--tflops", default="8,15", help="assumed achieved TFLOP/s per GPU")
    ap.add_argument("--cores", type=int, default=32, help="CPU cores decoding images for all GPUs together")
    ap.add_argument("--core-rate", type=float, default=127.0, help="training-transform images/s per core "
                    "(loading_speed.py)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    cfg = ImageRecipeConfig()
    space, sup = ImageNetSpace(), CostTable(width_preset("supernet"))
    rng = np.random.default_rng(0)
    path_madds = float(np.mean([sup.count(space.sample(rng).ops).madds for _ in range(5000)]))
    s = cfg.search
    iterations = s.seminas.iterations
    steps = cfg.supernet.train.max_steps + iterations * s.seminas.new_per_iteration * s.oneshot.steps_per_new_arch
    supernet_flop = steps * cfg.supernet.train.batch_size * 3 * 2 * path_madds
    # the whole pool is re-scored every iteration: N, N + new, ..., N + L x new scores
    n_scores = sum(s.seminas.initial + i * s.seminas.new_per_iteration for i in range(iterations + 1))
    score_flop = n_scores * (s.score.holdout_images + s.score.recalibration_images) * 2 * path_madds
    final_madds = CostTable(width_preset("final")).count(parse_arch(SEMINASNET).ops).madds
    final_images = cfg.final.train.epochs * (IMAGENET_TRAIN)
    final_flop = final_images * 3 * 2 * final_madds
    search_images = steps * cfg.supernet.train.batch_size
    loader = args.cores * args.core_rate
    hours = {"data_loading_bound": {"search_h": round(search_images / loader / 3600, 1),
                                    "final_training_h": round(final_images / loader / 3600, 1)}}
    for tf in (float(v) for v in args.tflops.split(",")):
        rate = tf * 1e12 * args.gpus
        hours[f"{tf:g} TFLOP/s per GPU"] = {"search_h": round((supernet_flop + score_flop) / rate / 3600, 1),
                                           "final_training_h": round(final_flop / rate / 3600, 1),
                                           "final_images_per_s_per_gpu": round(tf * 1e12 / (6 * final_madds))}
    report({"gpus": args.gpus, "supernet_steps": steps, "supernet_batch": cfg.supernet.train.batch_size,
            "mean_path_madds_supernet_widths_M": round(path_madds / 1e6, 1), "supernet_PFLOP": round(supernet_flop / 1e15),
            "scoring_PFLOP": round(score_flop / 1e15, 1), "final_madds_M": round(final_madds / 1e6, 1),
            "final_epochs": cfg.final.train.epochs, "final_PFLOP": round(final_flop / 1e15), "hours": hours}, args.out)


if __name__ == "__main__":
    main()
