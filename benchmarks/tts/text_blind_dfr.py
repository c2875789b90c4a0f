"""What a model that ignores the text scores: the search reward of the text-blind diagonal (one global slope, the
train set's mean frames per token) on each set with audio of a prepared recipe prefix. A search reward near this
number says nothing about reading the text (the 32 real LJSpeech clips: 0.81 with the paper's DFR).

    python benchmarks/tts/text_blind_dfr.py --recipe egs/ljspeech --prefix mini_low_resource
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from speechnas.data.kaldi import read_scp
from speechnas.text.tokens import read_token_file
from speechnas.tts.evaluation.metrics import text_blind_reward


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=Path("egs/ljspeech"))
    ap.add_argument("--prefix", required=True)
    args = ap.parse_args()
    dump = args.recipe / "dump" / args.prefix
    fpt = json.loads((dump / "length_stats.json").read_text())["frames_per_token"]["train"]["mean"]
    print(f"{args.prefix}: train frames per token {fpt:.3f}")
    for s in ("train", "dev", "eval", "hard"):
        if not (dump / s / "feats_shape").is_file():
            continue
        frames = {u: int(n) for u, n in read_scp(dump / s / "feats_shape").items()}
        tokens = read_token_file(dump / s / "token")
        utts = sorted(frames, key=lambda u: frames[u])  # length-sorted chunks: little padding, bounded memory
        reward = torch.cat([text_blind_reward(torch.tensor([len(tokens[u]) + 1 for u in chunk]),
                                              torch.tensor([frames[u] for u in chunk]), fpt)
                            for chunk in (utts[i:i + 64] for i in range(0, len(utts), 64))])
        print(f"  {s:5s} {len(utts):5d} utterances: text-blind DFR mean {float(reward.mean()):.3f}, "
              f"min {float(reward.min()):.3f}, below 0.9 in {int((reward < 0.9).sum())}")


if __name__ == "__main__":
    main()
