"""Cost of scoring one architecture in stage 4: free-running decoding of a dev set with the supernet's weights
for the architecture's path, every utterance for its true length (the official search validation), DFR.

Dev set: the 32 real LJSpeech clips in ../shared (221.75 s of speech), all decoded together in one batch (or
in batches under ``--batch-frames``). The cost does not depend on the weights (lengths are fixed), so an
untrained supernet is used. Prints seconds per architecture (wall and this process's CPU time, the steadier
one on a shared machine) for random architectures of the space.

    .venv/bin/python benchmarks/tts/score_arch_cost.py [--hidden 64] [--layers 6] [--archs 5] [--device cpu]
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram
from speechnas.data import collate_tts
from speechnas.data.sampler import bucket_batches
from speechnas.text.tokens import TextFrontend
from speechnas.tts.model.arch import TTSSearchSpace
from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.evaluation.scoring import evaluate_batches
from speechnas.tts.model.backbone import TTSModelConfig
from speechnas.tts.model.supernet import SuperNet
from bench_args import SHARED, add_runtime_args, runtime_device


def load_clips(root: Path) -> list[dict]:
    """Contract items (token ids, features normalised with the clips' own statistics) of every clip."""
    frontend = TextFrontend("char", "english")
    with open(root / "metadata.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))
    cfg = MelConfig()
    feats = []
    for utt, _, text in rows:
        wav, sr = sf.read(str(root / "wavs" / f"{utt}.wav"), dtype="float32")
        assert sr == cfg.sample_rate, f"{utt}: {sr} Hz"
        feats.append((utt, frontend(text), log_mel_spectrogram(torch.from_numpy(wav), cfg).numpy()))
    stacked = np.concatenate([x for _, _, x in feats])
    mean, std = stacked.mean(0), stacked.std(0)
    return [{"utt_id": u, "text": torch.tensor(t), "feats": torch.from_numpy((x - mean) / std)} for u, t, x in feats]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, default=SHARED / "data" / "ljspeech_mini" / "LJSpeech-1.1")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=6, help="encoder and decoder layers each")
    ap.add_argument("--archs", type=int, default=5)
    ap.add_argument("--batch-frames", type=int, default=40000)
    add_runtime_args(ap)
    args = ap.parse_args()
    device = runtime_device(args)
    items = load_clips(args.clips)
    lengths = [it["feats"].shape[0] for it in items]
    batches = [collate_tts([items[i] for i in b]) for b in
               bucket_batches(lengths, max(args.batch_frames, max(lengths)), shuffle=False)]
    torch.manual_seed(0)
    cfg = TTSModelConfig(vocab_size=64, hidden_size=args.hidden, encoder_layers=args.layers, decoder_layers=args.layers)
    net = SuperNet(cfg).to(device)
    space = TTSSearchSpace(args.layers, args.layers)
    rng = np.random.default_rng(0)
    decode = DecodeConfig(seed=0)
    evaluate_batches(net, batches[:1], space.sample(rng), decode_cfg=decode)  # warm-up
    print(f"device={device} threads={args.threads} hidden={args.hidden} layers={args.layers}+{args.layers} "
          f"clips={len(items)} frames={sum(lengths)} (longest {max(lengths)}) batches={len(batches)}")
    rows = []
    for _ in range(args.archs):
        arch = space.sample(rng)
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.process_time()
        m = evaluate_batches(net, batches, arch, decode_cfg=decode)
        if device.type == "cuda":
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append({"arch": str(arch), "wall_s": wall, "cpu_s": cpu, "dfr": m["dfr"]})
        print(f"  {wall:7.2f} s wall  {cpu:7.2f} s CPU  dfr {m['dfr']:.3f}  {arch}")
    wall, cpu = np.median([r["wall_s"] for r in rows]), np.median([r["cpu_s"] for r in rows])
    print(f"median per architecture: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({max(lengths) / wall:.0f} decoder steps/s over {sum(lengths) / wall:.0f} frames/s)")
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows,
                                        "median_wall_s": wall, "median_cpu_s": cpu}, indent=2))


if __name__ == "__main__":
    main()
