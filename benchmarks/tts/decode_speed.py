"""Decoding speed: frames per second with the incremental state vs recomputing the whole prefix every step.

One utterance (``--tokens`` input tokens) decoded for exactly 200, 400 and 800 frames (stop ignored) by a
standalone model of the low-resource architecture; pre-net dropout on (seeded), attention kept. Goals: the
incremental time grows about linearly with the length and beats recomputation at least 5x at 800 frames.

    .venv/bin/python benchmarks/tts/decode_speed.py [--hidden 256] [--lengths 200 400 800] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from speechnas.tts.decoding.decode import DecodeConfig, generate
from speechnas.tts.model.backbone import LOW_RESOURCE_ARCH, TTSModel, TTSModelConfig
from bench_args import add_runtime_args, runtime_device


def run(model, text, tl, frames: int, incremental: bool, device) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process); on a shared machine the CPU time is the steadier one."""
    cfg = DecodeConfig(seed=0, max_len=frames)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0, c0 = time.perf_counter(), time.process_time()
    out = generate(model, text, tl, cfg, lengths=torch.tensor([frames], device=device), incremental=incremental)
    if device.type == "cuda":
        torch.cuda.synchronize()
    assert int(out["lengths"][0]) == frames
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--arch", default=LOW_RESOURCE_ARCH)
    ap.add_argument("--tokens", type=int, default=120)
    ap.add_argument("--lengths", type=int, nargs="+", default=[200, 400, 800])
    add_runtime_args(ap)
    args = ap.parse_args()
    device = runtime_device(args)
    torch.manual_seed(0)
    model = TTSModel(TTSModelConfig(vocab_size=40, hidden_size=args.hidden, arch=args.arch)).to(device).eval()
    text = torch.randint(2, 40, (1, args.tokens), device=device)
    text[0, -1] = 1
    tl = torch.tensor([args.tokens], device=device)
    run(model, text, tl, 50, True, device)  # warm-up
    run(model, text, tl, 20, False, device)
    print(f"device={device} threads={args.threads} hidden={args.hidden} tokens={args.tokens} arch: {args.arch}")
    print(f"{'frames':>7} {'incremental s':>14} {'frames/s':>9} {'recompute s':>12} {'frames/s':>9} {'speed-up':>9}"
          f" {'(CPU s: incr.':>14} {'recomp.':>8} {'speed-up)':>9}")
    rows = []
    for n in args.lengths:
        inc, inc_cpu = run(model, text, tl, n, True, device)
        rec, rec_cpu = run(model, text, tl, n, False, device)
        rows.append({"frames": n, "incremental_s": inc, "recompute_s": rec, "incremental_fps": n / inc,
                     "recompute_fps": n / rec, "speedup": rec / inc, "incremental_cpu_s": inc_cpu,
                     "recompute_cpu_s": rec_cpu, "speedup_cpu": rec_cpu / inc_cpu})
        print(f"{n:7d} {inc:14.2f} {n / inc:9.1f} {rec:12.2f} {n / rec:9.1f} {rec / inc:8.1f}x"
              f" {inc_cpu:14.2f} {rec_cpu:8.2f} {rec_cpu / inc_cpu:8.1f}x")
    first, last = rows[0], rows[-1]
    print(f"incremental time x{last['incremental_s'] / first['incremental_s']:.2f} for x{last['frames'] / first['frames']:.0f} "
          f"frames (linear = x{last['frames'] / first['frames']:.0f}); speed-up at {last['frames']}: {last['speedup']:.1f}x (goal >= 5x)")
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
