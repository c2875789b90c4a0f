"""Weight-sharing overhead: training-step time of a supernet path / the same architecture built standalone.

A step is forward + label-smoothed cross-entropy + backward + SGD (Nesterov, weight decay groups) on one random
batch, with AMP and channels-last on CUDA as the trainer uses them; the standalone network holds the path's weights.
Times are medians over ``--steps`` steps after ``--warmup``, alternating the two models step by step so that load on
a shared machine hits both alike. Goal: ratio <= 1.10.

    .venv/bin/python benchmarks/image/step_ratio.py [--widths supernet] [--resolution 224] [--batch 32] [--device cpu]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_args import add_runtime_args, report, runtime_device  # noqa: E402

from speechnas.image.layout import width_preset  # noqa: E402
from speechnas.image.model import NetConfig  # noqa: E402
from speechnas.image.space import ImageNetSpace, parse_arch  # noqa: E402
from speechnas.image.supernet import SuperNet  # noqa: E402
from speechnas.image.train import param_groups  # noqa: E402
from speechnas.utils.device import autocast  # noqa: E402

SEMINASNET = "6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6"


def make_step(model, arch, x, y, device):
    opt = torch.optim.SGD(param_groups(model, 4e-5), lr=0.01, momentum=0.9, nesterov=True)

    def step():
        with autocast(device, True):
            logits = model(x) if arch is None else model(x, arch)
        F.cross_entropy(logits.float(), y, label_smoothing=0.1).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step


def timed(fn, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="supernet", help="supernet | final")
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--archs", type=int, default=2, help="random architectures besides SemiNASNet")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    add_runtime_args(ap)
    args = ap.parse_args()
    device = runtime_device(args)
    torch.manual_seed(0)
    net = SuperNet(NetConfig(width_preset(args.widths), 1000)).to(device)
    cl = device.type == "cuda"
    if cl:
        net = net.to(memory_format=torch.channels_last)
    x = torch.randn(args.batch, 3, args.resolution, args.resolution, device=device)
    x = x.contiguous(memory_format=torch.channels_last) if cl else x
    y = torch.randint(0, 1000, (args.batch,), device=device)
    space = ImageNetSpace()
    rng = np.random.default_rng(0)
    rows = []
    for arch in [parse_arch(SEMINASNET)] + [space.sample(rng) for _ in range(args.archs)]:
        alone = net.standalone(arch)
        if cl:
            alone = alone.to(memory_format=torch.channels_last)
        steps = {"supernet": make_step(net, arch, x, y, device), "standalone": make_step(alone, None, x, y, device)}
        times = {k: [] for k in steps}
        for i in range(args.warmup + args.steps):
            for k, fn in steps.items():
                t = timed(fn, device)
                if i >= args.warmup:
                    times[k].append(t)
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append({"arch": str(arch), "supernet_s": round(med["supernet"], 4),
                     "standalone_s": round(med["standalone"], 4), "ratio": round(med["supernet"] / med["standalone"], 3)})
    report({"device": str(device), "threads": args.threads, "widths": args.widths, "resolution": args.resolution,
            "batch": args.batch, "steps": args.steps, "archs": rows,
            "median_ratio": statistics.median(r["ratio"] for r in rows)}, args.out)


if __name__ == "__main__":
    main()
