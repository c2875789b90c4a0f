"""Speak text with a packed (or trained) speechnas model: ``speechnas-synthesize --model DIR --text "Hello."``.

``--text-file`` speaks every non-empty line (``<id> <text>`` lines with ``--with-ids``). Writes
``<out-dir>/<id>.wav`` (16-bit, 22050 Hz) and, with ``--attention-plots``, ``<out-dir>/attention/<id>.png``;
runs on the CPU or a GPU (``--device``). Characters the model cannot speak are an error naming them.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

from speechnas.bin._common import str2bool
from speechnas.tts.recipe.pack import ModelDirError, load_model
from speechnas.tts.decoding.synthesize import Synthesizer, UnspeakableTextError, write_speech
from speechnas.utils.logging import setup_logging


def read_texts(path: Path, with_ids: bool) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if with_ids:
            utt, _, text = line.strip().partition(" ")
            if not text.strip():
                raise UnspeakableTextError(f"{path} line {n}: expected '<id> <text>', got {line!r}")
        else:
            utt, text = f"{len(ids) + 1:04d}", line
        ids.append(utt)
        texts.append(text)
    if not texts:
        raise UnspeakableTextError(f"{path} holds no text")
    return ids, texts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a packed model directory (stage 8) or a trained one (stage 5)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text to speak")
    src.add_argument("--text-file", type=Path, help="one text per line")
    p.add_argument("--with-ids", type=str2bool, default=False, help="text-file lines are '<id> <text>'")
    p.add_argument("--out-dir", type=Path, default=Path("synthesized"), help="where the wav files go")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--batch-size", type=int, default=16, help="texts decoded together")
    p.add_argument("--attention-plots", type=str2bool, default=False)
    p.add_argument("--seed", type=int, default=None, help="pre-net dropout seed (default: the model's)")
    args = p.parse_args(argv)
    setup_logging(logging.WARNING)
    torch.set_num_threads(1)
    try:
        loaded = load_model(args.model, args.device)
        synth = Synthesizer(loaded)
        if args.seed is not None:
            synth.decode.seed = args.seed
        ids, texts = (["0001"], [args.text]) if args.text is not None else read_texts(args.text_file, args.with_ids)
        for utt, text in zip(ids, texts):  # fail on bad text before any audio is made
            synth.encode(text, where=f"text {utt}" if args.text is None else "")
        for start in range(0, len(texts), args.batch_size):
            for speech in synth.synthesize(texts[start: start + args.batch_size], ids[start: start + args.batch_size]):
                write_speech(speech, args.out_dir, synth.sample_rate, args.attention_plots, args.attention_plots)
                print(f"{args.out_dir / (speech.utt_id + '.wav')}\t{len(speech.wav) / synth.sample_rate:.2f} s"
                      f"{'' if speech.stopped else '  (no stop token: cut at the maximum length)'}")
    except (ModelDirError, UnspeakableTextError, OSError, RuntimeError) as e:
        print(f"speechnas-synthesize: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
