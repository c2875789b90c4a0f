"""Estimate (not a measurement) of the GPU time of the real settings: counts the FLOPs and the aten ops (each
roughly one GPU kernel) of a training step and of a decoding step on the CPU, then converts them with stated
assumptions: a step costs max(FLOPs / throughput, ops x launch cost), as kernel launches overlap compute.

    .venv/bin/python benchmarks/tts/estimate_gpu_time.py [--tflops 100] [--launch-us 10] [--conf egs/ljspeech/conf/low_resource.yaml]

LJSpeech averages ~560 frames and ~100 characters per utterance; a 31250-frame batch holds ~50 of them.
"""
from __future__ import annotations

import argparse
from dataclasses import replace

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from speechnas.tts.model.arch import from_str
from speechnas.tts.decoding.decode import DecodeConfig, generate
from speechnas.tts.training.loss import tts_loss
from speechnas.tts.model.backbone import LOW_RESOURCE_ARCH, TTSModel
from speechnas.tts.recipe.config import load_recipe_config
from speechnas.tts.model.supernet import SuperNet

FRAMES, TOKENS = 560, 100


class OpCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops += 1
        return func(*args, **(kwargs or {}))


def batch(b: int, vocab: int) -> dict:
    g = torch.Generator().manual_seed(0)
    return {"text": torch.randint(2, vocab, (b, TOKENS), generator=g), "text_lengths": torch.full((b,), TOKENS),
            "feats": torch.randn(b, FRAMES, 80, generator=g), "feats_lengths": torch.full((b,), FRAMES)}


def train_step_cost(model, arch, b: int, loss_cfg) -> tuple[float, int]:
    """(FLOPs, ops) of forward + backward on ``b`` utterances."""
    data = batch(b, model.cfg.vocab_size)
    with FlopCounterMode(display=False) as fc, OpCounter() as oc:
        out = model(data, arch)
        loss, _ = tts_loss(out, data, loss_cfg)
        loss.backward()
    return float(fc.get_total_flops()), oc.ops


def decode_step_cost(model, arch, b: int, steps: int = 20) -> tuple[float, int]:
    """(FLOPs, ops) per decoded frame for ``b`` utterances at once (incremental state)."""
    data = batch(b, model.cfg.vocab_size)
    with torch.no_grad(), FlopCounterMode(display=False) as fc, OpCounter() as oc:
        generate(model, data["text"], data["text_lengths"], DecodeConfig(seed=0), arch,
                 lengths=torch.full((b,), steps))
    return float(fc.get_total_flops()) / steps, oc.ops // steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conf", default="egs/ljspeech/conf/low_resource.yaml")
    ap.add_argument("--tflops", type=float, default=100.0, help="sustained bf16 TFLOP/s assumed (H100 peak ~990)")
    ap.add_argument("--launch-us", type=float, default=10.0, help="microseconds per op (launch + small kernel)")
    ap.add_argument("--dev-utts", type=int, default=100)
    ap.add_argument("--decode-steps", type=int, default=2 * FRAMES,
                    help="decoder steps per scoring (the longest dev utterance; robustness: 5 L + 100 of the longest "
                         "hard sentence, 1435)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = load_recipe_config(args.conf)
    per_batch = cfg.supernet.batch_frames // FRAMES
    sn = SuperNet(replace(cfg.search_model, vocab_size=40))
    final = TTSModel(replace(cfg.final_model, vocab_size=40), from_str(LOW_RESOURCE_ARCH))

    def seconds(flops: float, ops: int) -> float:
        return max(flops / (args.tflops * 1e12), ops * args.launch_us * 1e-6)

    f, o = train_step_cost(sn, from_str(LOW_RESOURCE_ARCH), 2, cfg.supernet.loss)
    sn_step = seconds(f * per_batch / 2, o)
    print(f"supernet training step: {f * per_batch / 2 / 1e12:.2f} TFLOP, {o} ops")
    f, o = train_step_cost(final, None, 2, cfg.final_train.loss)
    final_step = seconds(f * per_batch / 2, o)
    print(f"final-model training step: {f * per_batch / 2 / 1e12:.2f} TFLOP, {o} ops")
    f, o = decode_step_cost(sn, from_str(LOW_RESOURCE_ARCH), args.dev_utts)
    score = seconds(f, o) * args.decode_steps  # the longest dev utterance sets the number of steps
    print(f"decoding step ({args.dev_utts} utterances): {f / 1e9:.2f} GFLOP, {o} ops")
    ev, sc = cfg.search.evaluator, cfg.search.seminas
    pools = [min(sc.initial + i * sc.new_per_iteration, cfg.search.budget) for i in range(sc.iterations + 1)]
    # the one-shot loop: each later iteration trains its new architectures, then the whole pool, and re-scores all
    new_steps = sum((b - a) * ev.steps_per_new_arch + b * ev.pool_steps_per_arch for a, b in zip(pools, pools[1:]))
    sn_steps = cfg.supernet.max_steps + new_steps
    scorings = sum(pools) * len(ev.seeds)
    rows = [("stage 3+4 supernet steps", sn_steps, sn_step),
            (f"stage 4 dev decodings ({len(ev.seeds)} seeds)", scorings, score),
            ("stage 5 one final model", cfg.final_train.max_steps, final_step)]
    print(f"assumptions: {args.tflops:g} TFLOP/s sustained, {args.launch_us:g} us per op, {per_batch} utterances "
          f"of {FRAMES} frames per batch, {args.dev_utts} dev utterances decoded together")
    total = 0.0
    for name, n, s in rows:
        total += n * s
        print(f"{name:<34} {n:>7} x {1000 * s:8.1f} ms = {n * s / 3600:6.2f} h")
    baselines = new_steps * sn_step + scorings * score + 2 * cfg.final_train.max_steps * final_step
    print(f"one search + one final model: {total / 3600:.1f} h; --baselines true adds the NAO search and two more "
          f"models: {(total + baselines) / 3600:.1f} h")


if __name__ == "__main__":
    main()
