"""Weight-sharing overhead: training-step time of a supernet path / the same architecture built standalone.

A step is forward + loss (with guided attention) + backward + clip + AdamW, on one synthetic batch of the
given size; both models hold the same weights (the standalone one is copied from the supernet path). Times are
medians over ``--steps`` steps after ``--warmup`` steps, alternating the two models step by step so that load
on a shared machine hits both alike. Goal: ratio <= 1.10.

    .venv/bin/python benchmarks/tts/weight_sharing.py [--hidden 64] [--archs 5] [--steps 20] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "tts"))
from tts_testdata import VOCAB_SIZE, random_batch  # noqa: E402

from speechnas.tts.model.arch import TTSSearchSpace, from_str  # noqa: E402
from speechnas.tts.training.loss import LossConfig, tts_loss  # noqa: E402
from speechnas.tts.model.backbone import LOW_RESOURCE_ARCH, TTSModelConfig  # noqa: E402
from speechnas.tts.model.supernet import SuperNet  # noqa: E402
from speechnas.tts.training.trainer import batch_to  # noqa: E402
from bench_args import add_runtime_args, runtime_device  # noqa: E402


def make_step(model, arch, batch, loss_cfg):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.98))

    def step():
        out = model(batch, arch)
        loss, _ = tts_loss(out, batch, loss_cfg)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step


def timed(fn, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--archs", type=int, default=5, help="random architectures besides the low-resource one")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--tokens", type=int, default=60)
    add_runtime_args(ap)
    args = ap.parse_args()
    device = runtime_device(args)
    torch.manual_seed(0)
    cfg = TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=args.hidden)
    supernet = SuperNet(cfg).to(device)
    rng = np.random.default_rng(0)
    archs = [from_str(LOW_RESOURCE_ARCH)] + [TTSSearchSpace().sample(rng) for _ in range(args.archs)]
    lt = [args.tokens - 5 * (i % 3) for i in range(args.batch)]
    lf = [args.frames - 20 * (i % 4) for i in range(args.batch)]
    batch = batch_to(random_batch(lt, lf, seed=1), device)
    loss_cfg = LossConfig()
    print(f"device={device} threads={args.threads} hidden={args.hidden} batch={args.batch}x~{args.frames} frames "
          f"supernet params={supernet.num_parameters():,}")
    rows = []
    for arch in archs:
        standalone = supernet.standalone(arch)
        steps = {"supernet": make_step(supernet, arch, batch, loss_cfg), "standalone": make_step(standalone, None, batch, loss_cfg)}
        times = {k: [] for k in steps}
        for i in range(args.warmup + args.steps):
            for name, fn in steps.items():
                t = timed(fn, device)
                if i >= args.warmup:
                    times[name].append(t)
        sup, std = statistics.median(times["supernet"]), statistics.median(times["standalone"])
        rows.append({"arch": str(arch), "supernet_s": sup, "standalone_s": std, "ratio": sup / std})
        print(f"{sup * 1e3:8.1f} ms  {std * 1e3:8.1f} ms  ratio {sup / std:5.3f}  {arch}")
    worst = max(r["ratio"] for r in rows)
    print(f"median ratio {statistics.median(r['ratio'] for r in rows):.3f}, worst {worst:.3f} (goal <= 1.10)")
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
