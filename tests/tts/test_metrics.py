"""Alignment metrics on synthetic attention: DFR as defined, head/layer selection, FR, PCR, skips and repeats."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from speechnas.tts.evaluation.metrics import (
    alignment_path, attention_metrics, detect_skips_repeats, diagonal_focus_rate, focus_rate, head_focus,
    phoneme_coverage_rate, robustness_counts, select_attention,
)


def diagonal(t: int, s: int) -> torch.Tensor:
    """One-hot monotonic path over ``s`` real tokens, plus an (ignored) EOS column: ``(t, s + 1)``."""
    a = torch.zeros(t, s + 1)
    a[torch.arange(t), (torch.arange(t) * s) // t] = 1.0
    return a


def dfr_reference(a: np.ndarray, src: int, tgt: int) -> float:
    """The definition, cell by cell: k = src/tgt, w = min(tgt/5, 50), band k(x-w) <= y <= k(x+w)."""
    a = np.asarray(a, dtype=np.float64)
    k, w = src / tgt, min(tgt / 5, 50)
    inside = total = 0.0
    for x in range(tgt):
        for y in range(src):
            total += a[x, y]
            if k * (x - w) <= y <= k * (x + w):
                inside += a[x, y]
    return inside / total


@pytest.mark.parametrize("t,s", [(40, 10), (300, 60), (120, 150), (700, 90)])
def test_dfr_is_one_on_a_perfect_diagonal(t, s):
    a = diagonal(t, s)[None]
    assert float(diagonal_focus_rate(a, torch.tensor([s + 1]), torch.tensor([t]))) == pytest.approx(1.0)
    assert float(focus_rate(a, torch.tensor([s + 1]), torch.tensor([t]))) == pytest.approx(1.0)


@pytest.mark.parametrize("t,s", [(50, 20), (200, 40), (400, 80), (1000, 120)])
def test_dfr_of_uniform_attention_is_about_the_band_width(t, s):
    a = torch.full((1, t, s + 1), 1.0 / (s + 1))
    dfr = float(diagonal_focus_rate(a, torch.tensor([s + 1]), torch.tensor([t])))
    assert dfr == pytest.approx(dfr_reference(a[0].numpy(), s, t), abs=1e-5)
    w = min(t / 5, 50)
    assert abs(dfr - 2 * w / t) < 0.06 + 1.0 / s  # band of 2w frames out of T, less its clipped corners
    assert float(focus_rate(a, torch.tensor([s + 1]), torch.tensor([t]))) == pytest.approx(1.0 / s)


def test_dfr_matches_the_cell_by_cell_definition_on_random_maps():
    g = torch.Generator().manual_seed(0)
    for t, s in [(37, 11), (260, 33), (90, 120)]:
        a = torch.softmax(3 * torch.randn(1, t, s + 1, generator=g), dim=-1)
        got = float(diagonal_focus_rate(a, torch.tensor([s + 1]), torch.tensor([t])))
        assert got == pytest.approx(dfr_reference(a[0].numpy(), s, t), abs=1e-5)
    anti = diagonal(200, 50).flip(0)[None]
    assert float(diagonal_focus_rate(anti, torch.tensor([51]), torch.tensor([200]))) < 0.25


def test_padding_and_eos_do_not_change_the_metrics():
    g = torch.Generator().manual_seed(1)
    shapes = [(60, 14), (45, 9), (80, 20)]  # (frames, tokens incl. EOS)
    maps = [torch.softmax(2 * torch.randn(3, t, s, generator=g), -1) for t, s in shapes]  # 3 heads each
    layers_single = [[m[None]] for m in maps]
    t_max, s_max = max(t for t, _ in shapes), max(s for _, s in shapes)
    batch = torch.rand(3, 3, t_max, s_max, generator=g) * 5  # garbage everywhere in the padding
    for b, (m, (t, s)) in enumerate(zip(maps, shapes)):
        batch[b, :, :t, :s] = m
    tl, fl = torch.tensor([s for _, s in shapes]), torch.tensor([t for t, _ in shapes])
    text = torch.randint(2, 30, (3, s_max), generator=g)
    batched = attention_metrics([batch], tl, fl, text, exclude_ids=[5])
    for b, (t, s) in enumerate(shapes):
        single = attention_metrics(layers_single[b], tl[b: b + 1], fl[b: b + 1], text[b: b + 1, :s], exclude_ids=[5])
        for k in ("dfr", "fr", "pcr"):
            assert float(batched[k][b]) == pytest.approx(float(single[k][0]), abs=1e-6), k
    # moving mass onto EOS changes nothing that DFR measures, as long as the rest keeps its proportions
    a = diagonal(50, 12)[None] * 0.5
    a[0, :, -1] = 0.5
    assert float(diagonal_focus_rate(a, torch.tensor([13]), torch.tensor([50]))) == pytest.approx(1.0)


def test_select_attention_picks_the_most_focused_head_and_layer():
    t, s = 30, 8
    blur = torch.full((t, s + 1), 1.0 / (s + 1))
    sharp = diagonal(t, s)
    half = 0.5 * sharp + 0.5 * blur
    layer0 = torch.stack([blur, half])[None]  # (1, 2 heads, T, S)
    layer1 = torch.stack([blur, blur, sharp, half])[None]
    chosen = select_attention([layer0, layer1], torch.tensor([s + 1]), torch.tensor([t]))
    torch.testing.assert_close(chosen[0, :, :s], sharp[:, :s])
    assert float(chosen[0, :, s:].abs().sum()) == 0.0  # EOS column zeroed
    chosen = select_attention([layer0], torch.tensor([s + 1]), torch.tensor([t]))
    torch.testing.assert_close(chosen[0, :, :s], half[:, :s])


def test_phoneme_coverage_counts_attended_tokens():
    t, s = 40, 10
    a = diagonal(t, s)[None]
    tl, fl = torch.tensor([s + 1]), torch.tensor([t])
    assert float(phoneme_coverage_rate(a, tl, fl)) == pytest.approx(1.0)
    half = a.clone()
    half[0, :, 5:s] = 0.0
    half[0, t // 2:, 4] = 1.0  # tokens 5..9 are never attended
    assert float(phoneme_coverage_rate(half, tl, fl)) == pytest.approx(0.5)
    text = torch.tensor([[7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 1]])
    assert float(phoneme_coverage_rate(half, tl, fl, text, exclude_ids=[9])) == pytest.approx(1.0)


def _path_map(path, s):
    a = torch.full((len(path), s + 1), 0.01)
    a[torch.arange(len(path)), torch.tensor(path)] = 1.0
    return a / a.sum(-1, keepdim=True)


def test_planted_skips_and_repeats_are_found():
    s = 30
    clean = [i // 4 for i in range(4 * s)]  # 4 frames per token
    jitter = [max(0, p - 1) if i % 7 == 3 else p for i, p in enumerate(clean)]  # one-token jitter: no error
    skipped = [p for p in clean if not 12 <= p < 16]  # tokens 12..15 never read
    repeated = clean[: 4 * 20] + [p for p in clean if 14 <= p < 20] + clean[4 * 20:]  # re-reads 14..19
    end_cut = [p for p in clean if p < 26]  # stops before the last 4 tokens
    found = {}
    for name, path in [("clean", clean), ("jitter", jitter), ("skip", skipped), ("repeat", repeated), ("end", end_cut)]:
        a = _path_map(path, s)
        p = alignment_path(a, s, len(path))
        assert p.tolist() == path
        found[name] = detect_skips_repeats(p, s)
    assert not found["clean"].has_error and not found["jitter"].has_error
    assert found["skip"].skips == [(12, 16)] and not found["skip"].has_repeat
    assert not found["repeat"].has_skip and len(found["repeat"].repeats) == 1
    assert found["repeat"].repeats[0][:2] == (19, 14)
    assert found["end"].skips == [(26, 30)]
    two = repeated[: 4 * 25] + [p for p in clean if 22 <= p < 25] + repeated[4 * 25:]
    assert len(detect_skips_repeats(two, s).repeats) == 2
    counts = robustness_counts(list(found.values()))
    assert counts == {"sentences": 5, "skip_sentences": 2, "repeat_sentences": 1, "error_sentences": 3}


def test_robustness_counts_on_hand_made_maps_ending_on_eos():
    """Stage-7 scoring on (T, S) maps whose last frames attend to EOS: selected with the EOS column kept, the
    path over characters + EOS, skips counted over the characters only; exact counts per sentence."""
    s = 6  # characters; column s is EOS
    clean = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6]  # ends on EOS: no repeat, no skip
    back = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 1, 1, 1, 5, 6]  # jumps back from 4 to 1 for three frames: a repeat
    over = [0, 0, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6, 6, 6, 6]  # jumps from 1 over 2, 3 to 4: a skip
    errors = []
    for path in (clean, back, over):
        maps = _path_map(path, s)[None, None]  # (B=1, heads=1, T, S + 1)
        tl, fl = torch.tensor([s + 1]), torch.tensor([len(path)])
        attn = select_attention([maps], tl, fl, eos=False)[0]
        errors.append(detect_skips_repeats(alignment_path(attn, s + 1, len(path)), s))
    assert [(e.skips, e.repeats) for e in errors] == [([], []), ([], [(4, 1, 10)]), ([(2, 4)], [])]
    assert robustness_counts(errors) == {"sentences": 3, "skip_sentences": 1, "repeat_sentences": 1,
                                         "error_sentences": 2}
    # with the EOS column zeroed the final frames fall back to token 0: the clean map would show a false repeat
    zeroed = select_attention([_path_map(clean, s)[None, None]], torch.tensor([s + 1]), torch.tensor([len(clean)]))[0]
    assert detect_skips_repeats(alignment_path(zeroed, s + 1, len(clean)), s).has_repeat


def test_head_focus_sums_the_peak_over_real_frames_and_tokens():
    t, s = 10, 4  # 4 characters + EOS; utterance 1 has 6 frames and 3 characters
    sharp = diagonal(t, s)
    blur = torch.full((t, s + 1), 1.0 / (s + 1))
    att = torch.stack([torch.stack([sharp, blur]), torch.stack([sharp, blur])])  # (B=2, heads=2, T, S)
    att[1, :, 6:] = 7.0  # garbage in the padded frames of utterance 1
    att[1, :, :, 4] = 9.0  # garbage in the padded token column of utterance 1 (its tokens are 0..3, 3 = EOS)
    att[1, 1, :6, 3] = 5.0  # heavy weight on utterance 1's EOS column
    tl, fl = torch.tensor([s + 1, s]), torch.tensor([t, 6])
    got = head_focus(att, tl, fl)  # EOS kept: the blur head of utterance 1 peaks at 5 on each of its 6 frames
    torch.testing.assert_close(got, torch.tensor([[10.0, 10 / (s + 1)], [6.0, 6 * 5.0]]))
    no_eos = head_focus(att, tl, fl, eos=True)
    torch.testing.assert_close(no_eos[1, 1], torch.tensor(6 / (s + 1)))


def test_reward_traps_before_and_after():
    """The paper's DFR gives 1.0 to a path that stops after one frame, to attention parked on EOS and to endless
    output; the search reward gives each a low score and keeps a perfect (or 10% slower) reading near 1."""
    from speechnas.tts.evaluation.metrics import alignment_reward
    from speechnas.tts.evaluation.traps import trap_maps

    after, before = {}, {}
    for name, (att, text, out_len, ref) in trap_maps().items():
        after[name] = float(alignment_reward(att, text, out_len, ref))
        masked = select_attention([att[:, None]], text, out_len)  # the paper's: EOS zeroed, tgt = decoded frames
        before[name] = float(diagonal_focus_rate(masked, text, out_len))
    assert after["perfect monotonic path"] == pytest.approx(1.0) == before["perfect monotonic path"]
    assert after["reads 10% slower than expected"] > 0.95
    for trap in ("stops after one frame (text only)", "EOS sink (99% on EOS)"):
        assert before[trap] == pytest.approx(1.0) and after[trap] < 0.05, (trap, before[trap], after[trap])
    assert before["stops after two frames (text only)"] == pytest.approx(0.5)
    assert after["stops after two frames (text only)"] < 0.05
    for trap in ("never stops (10x the length)", "never stops, repeating the text"):
        assert after[trap] < 0.15 and after[trap] <= before[trap], (trap, before[trap], after[trap])
    assert after["right length, stuck on token 0"] < 0.25


def test_reward_equals_the_paper_dfr_when_nothing_is_gamed():
    """Audio set, no EOS attention, decoded length = reference: the two formulas agree, cell for cell."""
    from speechnas.tts.evaluation.metrics import alignment_reward

    g = torch.Generator().manual_seed(0)
    att = torch.softmax(torch.randn(2, 30, 9, generator=g) * 3, dim=-1)
    att[:, :, -1] = 0.0  # no attention on EOS (column 8 of the first, padding beyond 6 in the second)
    text, t = torch.tensor([9, 7]), torch.tensor([30, 22])
    att[1, :, 6:] = 0.0
    att[1, 22:] = 0.0
    att = att / att.sum(-1, keepdim=True).clamp(min=1e-9)
    att[1, 22:] = 0.0
    torch.testing.assert_close(alignment_reward(att, text, t), diagonal_focus_rate(att, text, t).float())


def test_text_blind_reward_is_one_on_uniform_speech_and_lower_on_uneven():
    from speechnas.tts.evaluation.metrics import text_blind_attention, text_blind_reward

    text, frames = torch.tensor([21, 11]), torch.tensor([100, 50])
    assert torch.allclose(text_blind_reward(text, frames, 5.0), torch.ones(2))  # 5 frames per token exactly
    att = text_blind_attention(text, frames, 5.0)
    assert att.shape == (2, 100, 21) and float(att[1, 50:].sum()) == 0.0 and int(att[0, 99].argmax()) == 19
    slow = text_blind_reward(torch.tensor([41]), torch.tensor([400]), 5.0)  # 10 frames per token: half as fast
    assert float(slow) < 0.6


def test_errors_counted_per_word():
    from speechnas.tts.evaluation.metrics import detect_word_errors, word_of_tokens

    symbols = ["ð", "ə", " ", "k", "ˈ", "æ", "t", ",", " ", "s", "ˈ", "æ", "t", "."]
    assert word_of_tokens(symbols) == [0, 0, None, 1, 1, 1, 1, None, None, 2, 2, 2, 2, None]
    clean = [0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 9, 10, 11, 12, 12, 13, 14]  # jumps over spaces and a stress mark
    err = detect_word_errors(clean, symbols)
    assert not err.has_error  # a token skipped inside a word or on a space is not an error
    skipped = [0, 1, 1, 2, 9, 10, 11, 12, 13]  # "cat" never visited
    assert detect_word_errors(skipped, symbols).skips == [(1, 2)]
    repeated = [0, 1, 3, 4, 5, 6, 9, 10, 0, 1, 0, 11, 12]  # back to "the" for 3 frames
    err = detect_word_errors(repeated, symbols)
    assert len(err.repeats) == 1 and not err.has_skip
