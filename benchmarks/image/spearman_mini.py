"""How well the supernet ranks architectures on the mini set: Spearman between the supernet score (held-out top-1,
with and without batch-norm recalibration) and the accuracy of the same architectures trained standalone.

The supernet trains single-path, uniformly over ``--archs`` random architectures under the 600M limit (as stage 1
does with the search's initial pool); each architecture is then scored both ways on the held-out images, and trained
from scratch at the same widths for ``--standalone-steps`` steps and evaluated on ``val/``. Resumable: the supernet
checkpoint and each finished architecture's row (``<work-dir>/rows.jsonl``) are kept; a re-run does only the rest.

    nice -n 10 .venv/bin/python benchmarks/image/spearman_mini.py [--archs 12] [--supernet-steps 600] \\
        [--standalone-steps 300] [--work-dir /tmp/spearman_mini]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_args import add_runtime_args, report, runtime_device  # noqa: E402

from speechnas.image.data import DataConfig, fixed_batches, load_split, make_split, train_loader  # noqa: E402
from speechnas.image.evaluate import evaluate, score_path  # noqa: E402
from speechnas.image.layout import Widths  # noqa: E402
from speechnas.image.mini import MiniSetConfig, make_mini_set  # noqa: E402
from speechnas.image.model import ImageNet, NetConfig  # noqa: E402
from speechnas.image.oneshot import PathSampler  # noqa: E402
from speechnas.image.recipe import recalibration_samples  # noqa: E402
from speechnas.image.space import ImageNetSpace  # noqa: E402
from speechnas.image.supernet import SuperNet  # noqa: E402
from speechnas.image.train import ImageTrainConfig, ImageTrainer  # noqa: E402

WIDTHS = Widths(stem=16, first=8, stages=(16, 24, 32, 48, 64, 96), head=256)  # recipes/imagenet/conf/mini.yaml


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archs", type=int, default=12)
    ap.add_argument("--supernet-steps", type=int, default=600)
    ap.add_argument("--standalone-steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/spearman_mini"))
    add_runtime_args(ap)
    args = ap.parse_args()
    device = runtime_device(args)
    t_start = time.perf_counter()
    data = DataConfig(image_size=64, crop_scale_min=0.35, workers=1)
    root = make_mini_set(args.work_dir / "images", MiniSetConfig(train_per_class=200, val_per_class=40))
    make_split(root, 150, 0, args.work_dir / "split.json")
    split = load_split(args.work_dir / "split.json")
    space = ImageNetSpace()
    rng = np.random.default_rng(args.seed)
    archs = []
    while len(archs) < args.archs:
        a = space.sample(rng)
        if space.key(a) not in {space.key(b) for b in archs}:
            archs.append(a)
    holdout = fixed_batches(split.holdout, data, 75, workers=0)
    recal = fixed_batches(recalibration_samples(split.train, 128, args.seed), data, 64, workers=0)
    val = fixed_batches(split.val, data, 80, workers=0)
    n_cls = len(split.classes)

    def cfg(steps: int, schedule: str) -> ImageTrainConfig:
        return ImageTrainConfig(batch_size=args.batch, lr=0.1, schedule=schedule, max_steps=steps, device=str(device),
                                log_every=100, save_every=10 ** 9, seed=args.seed)

    torch.manual_seed(args.seed)
    sup = ImageTrainer(SuperNet(NetConfig(WIDTHS, n_cls)), cfg(args.supernet_steps, "step"),
                       args.work_dir / "supernet", PathSampler(archs, args.seed))
    t0 = time.perf_counter()
    sup.resume()  # a finished supernet of an earlier run is kept; train() then has nothing left to do
    sup.train(train_loader(split.train, data, args.batch, args.seed))
    supernet_s = time.perf_counter() - t0
    rows_file = args.work_dir / "rows.jsonl"
    done = {r["arch"]: r for r in map(json.loads, rows_file.read_text().splitlines())} if rows_file.is_file() else {}
    rows = []
    for i, arch in enumerate(archs):
        if str(arch) in done:
            rows.append(done[str(arch)])
            continue
        with_bn = score_path(sup.model, arch, holdout, recal, device)
        without = score_path(sup.model, arch, holdout, None, device)
        torch.manual_seed(args.seed)
        alone = ImageTrainer(ImageNet(NetConfig(WIDTHS, n_cls), arch), cfg(args.standalone_steps, "cosine"),
                             args.work_dir / f"standalone_{i:02d}")
        t0 = time.perf_counter()
        alone.train(train_loader(split.train, data, args.batch, args.seed))
        acc = evaluate(alone.model, val, device)
        rows.append({"arch": str(arch), "madds": space.cost(arch).madds, "supernet_top1_recal": with_bn["top1"],
                     "supernet_loss_recal": with_bn["loss"], "supernet_top1_no_recal": without["top1"],
                     "supernet_loss_no_recal": without["loss"], "score_s_recal": round(with_bn["score_s"], 3),
                     "score_s_no_recal": round(without["score_s"], 3), "standalone_val_top1": acc["top1"],
                     "standalone_train_s": round(time.perf_counter() - t0, 1)})
        with open(rows_file, "a", encoding="utf-8") as f:
            f.write(json.dumps(rows[-1]) + "\n")
        print(rows[-1], flush=True)
    truth = [r["standalone_val_top1"] for r in rows]

    def rho(key: str, sign: float = 1.0) -> float:
        return round(float(spearmanr([sign * r[key] for r in rows], truth).statistic), 3)

    report({"archs": len(rows), "supernet_steps": args.supernet_steps, "standalone_steps": args.standalone_steps,
            "spearman": {"top1_recalibrated": rho("supernet_top1_recal"), "top1_no_recalibration": rho("supernet_top1_no_recal"),
                         "neg_loss_recalibrated": rho("supernet_loss_recal", -1), "neg_loss_no_recalibration":
                         rho("supernet_loss_no_recal", -1)},
            "standalone_val_top1": {"min": min(truth), "max": max(truth)}, "supernet_train_s": round(supernet_s, 1),
            "wall_s": round(time.perf_counter() - t_start, 1), "rows": rows}, args.out)


if __name__ == "__main__":
    main()
