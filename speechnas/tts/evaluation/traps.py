"""Hand-made attention maps for each way a search reward can be gamed, shared by the tests and
``benchmarks/tts/reward_traps.py``: the paper's DFR scores most of them 1.0, :func:`alignment_reward` does not.

Each trap is ``(attention (1, T, S) with the EOS column last, text_lengths, decoded frames, reference frames)``:
the reference is what the reward judges the length by (the true length with audio, the expected one without).
"""
from __future__ import annotations

import torch

REAL_TOKENS = 10  # plus <eos>
REF_FRAMES = 60


def _path(frames: int, tokens: int) -> torch.Tensor:
    """One-hot monotonic path through ``tokens`` real tokens in ``frames`` frames, EOS column zero: (frames, S)."""
    a = torch.zeros(frames, tokens + 1)
    a[torch.arange(frames), (torch.arange(frames) * tokens) // frames] = 1.0
    return a


def trap_maps() -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    s = REAL_TOKENS + 1
    text = torch.tensor([s])
    out = {}
    perfect = _path(REF_FRAMES, REAL_TOKENS)
    out["perfect monotonic path"] = (perfect[None], text, torch.tensor([REF_FRAMES]), torch.tensor([REF_FRAMES]))
    one = torch.zeros(1, s)
    one[0, 0] = 1.0  # stops after one frame, attending the first token
    out["stops after one frame (text only)"] = (one[None], text, torch.tensor([1]), torch.tensor([REF_FRAMES]))
    two = torch.zeros(2, s)
    two[:, 0] = 1.0
    out["stops after two frames (text only)"] = (two[None], text, torch.tensor([2]), torch.tensor([REF_FRAMES]))
    sink = 0.01 * perfect
    sink[:, -1] = 0.99  # 99% of every frame's attention parked on <eos>
    out["EOS sink (99% on EOS)"] = (sink[None], text, torch.tensor([REF_FRAMES]), torch.tensor([REF_FRAMES]))
    endless = torch.zeros(10 * REF_FRAMES, s)
    endless[:REF_FRAMES] = perfect
    endless[REF_FRAMES:, REAL_TOKENS - 1] = 1.0  # reads the text, then never stops: stuck on the last token
    out["never stops (10x the length)"] = (endless[None], text, torch.tensor([10 * REF_FRAMES]),
                                           torch.tensor([REF_FRAMES]))
    looping = torch.zeros(10 * REF_FRAMES, s)
    for k in range(10):  # never stops: reads the text again and again
        looping[k * REF_FRAMES:(k + 1) * REF_FRAMES] = perfect
    out["never stops, repeating the text"] = (looping[None], text, torch.tensor([10 * REF_FRAMES]),
                                              torch.tensor([REF_FRAMES]))
    stuck = torch.zeros(REF_FRAMES, s)
    stuck[:, 0] = 1.0  # the right length, but stays on the first token
    out["right length, stuck on token 0"] = (stuck[None], text, torch.tensor([REF_FRAMES]), torch.tensor([REF_FRAMES]))
    slow = _path(int(REF_FRAMES * 1.1), REAL_TOKENS)  # a real reading, 10% slower than expected (text only)
    out["reads 10% slower than expected"] = (slow[None], text, torch.tensor([slow.shape[0]]),
                                             torch.tensor([REF_FRAMES]))
    return out
