"""How many of the 32 real LJSpeech clips' transcripts each decoding cap would cut short: the official 5 L + 100
frames, ESPnet's 10 frames per token, and the recipe's 1.5 x the training data's largest frames per token (here the
32 clips themselves stand in for the train set). Characters and eSpeak NG phonemes; ``<eos>`` counted.

    SPEECHNAS_SHARED=../shared python benchmarks/tts/decode_cap.py
"""
from __future__ import annotations

import os
from pathlib import Path

import soundfile as sf

from speechnas.text.cleaners import english_cleaners
from speechnas.text.g2p import Phonemizer


def main() -> None:
    root = Path(os.environ.get("SPEECHNAS_SHARED", Path(__file__).resolve().parents[2].parent / "shared"))
    lj = root / "data" / "ljspeech_mini" / "LJSpeech-1.1"
    if not lj.is_dir():
        raise SystemExit(f"{lj} not found: set SPEECHNAS_SHARED to the shared data folder")
    g2p = Phonemizer()
    rows = [line.split("|") for line in (lj / "metadata.csv").read_text(encoding="utf-8").splitlines()]
    frames = [sf.info(str(lj / "wavs" / f"{r[0]}.wav")).frames // 256 + 1 for r in rows]
    texts = [english_cleaners(r[2]) for r in rows]
    for name, lengths in (("char", [len(t) + 1 for t in texts]), ("phn", [len(g2p(t)) + 1 for t in texts])):
        fpt = [f / n for f, n in zip(frames, lengths)]
        caps = {"5 L + 100 (official)": lambda n: 5 * n + 100, "10 L (ESPnet)": lambda n: 10 * n,
                f"1.5 x max {max(fpt):.2f} L (data)": lambda n, m=1.5 * max(fpt): int(-(-m * n // 1))}
        print(f"{name}: frames per token mean {sum(fpt) / len(fpt):.2f}, max {max(fpt):.2f}")
        for cap_name, cap in caps.items():
            cut = sum(f > cap(n) for f, n in zip(frames, lengths))
            print(f"  {cap_name:28s} cuts {cut:2d} of {len(frames)}")


if __name__ == "__main__":
    main()
