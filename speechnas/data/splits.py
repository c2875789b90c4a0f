"""Train/dev/eval splits of a corpus for the three settings, seeded and recorded.

* ``full`` (ESPnet): ids sorted; the last 500 form dev+eval (first 250 dev, last 250 eval), the rest train
  (12600/250/250 on LJSpeech).
* ``low_resource`` (SemiNAS ``generate_data_low_resource.py``): ids shuffled with the seed; the first 100 dev, the next
  100 eval, the next 1500 train.
* ``robustness`` (SemiNAS ``generate_data_robust.py``): train on every utterance; dev and eval are text-only sets of
  hard sentences the project ships (:func:`speechnas.data.corpus.hard_sentences`).

On a corpus smaller than the setting needs (the built-in corpus, the 32 test clips), the sizes scale down in
proportion, keeping at least ``min_heldout`` utterances in dev and in eval.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

SETTINGS = ("low_resource", "robustness", "full")

# Sizes on the real corpus (13,100 utterances).
FULL_SIZES = (12600, 250, 250)
LOW_RESOURCE_SIZES = (1500, 100, 100)


@dataclass
class Split:
    setting: str
    train: list[str]
    dev: list[str]
    eval: list[str]
    notes: dict = field(default_factory=dict)


def scaled_sizes(n: int, sizes: tuple[int, int, int], min_heldout: int = 2) -> tuple[int, int, int]:
    """``sizes`` when the corpus has enough utterances, else proportional ones (dev, eval >= ``min_heldout``)."""
    if n >= sum(sizes):
        return sizes
    total = sum(sizes)
    held = max(min_heldout, round(n * sizes[1] / total)), max(min_heldout, round(n * sizes[2] / total))
    if n - held[0] - held[1] < 1:
        raise ValueError(f"a corpus of {n} utterances is too small to split into train/dev/eval")
    return n - held[0] - held[1], held[0], held[1]


def make_split(utt_ids: list[str], setting: str, seed: int = 1) -> Split:
    """Split ``utt_ids`` for ``setting`` (robustness: every id is train; its dev/eval come from text files)."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting '{setting}'; choices: {list(SETTINGS)}")
    ids = sorted(set(utt_ids))
    if len(ids) != len(utt_ids):
        raise ValueError("duplicate utterance ids given to make_split")
    n = len(ids)
    if setting == "robustness":
        return Split(setting, ids, [], [], {"heldout": "text-only hard sentences"})
    if setting == "full":
        n_train, n_dev, n_eval = scaled_sizes(n, FULL_SIZES)
        heldout = ids[n - n_dev - n_eval:]
        return Split(setting, ids[: n - n_dev - n_eval], heldout[:n_dev], heldout[n_dev:],
                     {"method": "ESPnet: sorted ids, last dev+eval held out", "corpus_size": n})
    n_train, n_dev, n_eval = scaled_sizes(n, LOW_RESOURCE_SIZES)
    shuffled = list(ids)
    random.Random(seed).shuffle(shuffled)
    dev, rest = shuffled[:n_dev], shuffled[n_dev:]
    ev, rest = rest[:n_eval], rest[n_eval:]
    return Split(setting, sorted(rest[:n_train]), sorted(dev), sorted(ev),
                 {"method": "SemiNAS: seeded shuffle; dev, eval, then train", "corpus_size": n})
