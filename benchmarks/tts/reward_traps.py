"""The search reward on hand-made attention maps for each way it could be gamed, before (the paper's DFR) and after
(:func:`speechnas.tts.evaluation.metrics.alignment_reward`). Prints a table; no data needed.

    python benchmarks/tts/reward_traps.py
"""
from __future__ import annotations

from speechnas.tts.evaluation.metrics import alignment_reward, diagonal_focus_rate, select_attention
from speechnas.tts.evaluation.traps import REAL_TOKENS, REF_FRAMES, trap_maps


def main() -> None:
    print(f"# {REAL_TOKENS} real tokens + <eos>; reference length {REF_FRAMES} frames (true, or expected from text)")
    print(f"{'map':36s} {'frames':>6s} {'paper DFR':>9s} {'reward':>7s}")
    for name, (att, text, out_len, ref) in trap_maps().items():
        paper = float(diagonal_focus_rate(select_attention([att[:, None]], text, out_len), text, out_len))
        reward = float(alignment_reward(att, text, out_len, ref))
        print(f"{name:36s} {int(out_len):6d} {paper:9.3f} {reward:7.3f}")


if __name__ == "__main__":
    main()
