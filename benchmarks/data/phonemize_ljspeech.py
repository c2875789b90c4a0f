"""Phonemizing LJSpeech's 13,100 transcripts (shipped with speechnas) with eSpeak NG, as stage 2 does: seconds,
tokens per sentence, the phoneme inventory, and how many phonemes had to be split into known pieces.

    python benchmarks/data/phonemize_ljspeech.py
"""
from __future__ import annotations

import collections
import time

from speechnas.data.espeak_corpus import ljspeech_transcripts
from speechnas.text.espeak import engine
from speechnas.text.g2p import PHONEMES, STRESS, Phonemizer


def main() -> None:
    transcripts = ljspeech_transcripts()
    g2p = Phonemizer()
    t0, c0 = time.perf_counter(), time.process_time()
    tokens = [g2p(t.text, t.utt_id) for t in transcripts]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    inventory: collections.Counter = collections.Counter(s for toks in tokens for s in toks)
    raw: collections.Counter = collections.Counter()
    for t in transcripts:  # eSpeak's own phonemes, before the split into known pieces
        for clause in engine().phonemes(t.text):
            for word in clause.split():
                raw.update(p.lstrip("".join(STRESS)) for p in word.split("_") if p.lstrip("".join(STRESS)))
    split = {p: n for p, n in raw.items() if p not in PHONEMES}
    words = sum(len(t.text.split()) for t in transcripts)
    print(f"eSpeak NG {engine().version}: {len(transcripts)} sentences, {words} words in {wall:.1f} s "
          f"({cpu:.1f} s CPU, one process); {sum(map(len, tokens)) / len(tokens):.1f} tokens per sentence "
          f"(characters: {sum(len(t.text) for t in transcripts) / len(transcripts):.1f})")
    print("no dictionary: eSpeak's rules and its own lexicon read every word, numbers spelled out by the cleaners")
    print(f"{len([s for s in inventory if s not in ' ,.!?'])} phoneme and stress symbols in use of "
          f"{len(PHONEMES) + len(STRESS)} in the token list; split into known pieces: {split or 'none'}")
    print("most frequent:", ", ".join(f"{s!r} {n}" for s, n in inventory.most_common(12)))


if __name__ == "__main__":
    main()
