"""LJSpeech read by eSpeak NG: shipped transcripts, seeded voices, LJSpeech-1.1 layout, determinism across --nj,
resume, and durations that vary as a reader's do."""
import json

import numpy as np
import pytest
import soundfile as sf

from speechnas.data.config import MiniCorpusConfig
from speechnas.data.espeak_corpus import build_espeak_corpus, ljspeech_transcripts, select_mini
from speechnas.text.espeak_render import ESpeakConfig, clauses, draw_voice, render_utterance
from speechnas.data.ljspeech import load_corpus


@pytest.fixture(scope="module")
def transcripts():
    return ljspeech_transcripts()


def test_shipped_transcripts_are_ljspeech(transcripts):
    assert len(transcripts) == 13100 and transcripts[0].utt_id == "LJ001-0001"
    assert transcripts[-1].utt_id == "LJ050-0278"
    t7 = next(t for t in transcripts if t.utt_id == "LJ001-0007")
    assert "fourteen fifty five" in t7.text and t7.line.count("|") == 2


def test_voice_is_a_function_of_seed_and_id():
    cfg = ESpeakConfig()
    a, b = draw_voice("LJ001-0001", 3, cfg), draw_voice("LJ001-0001", 3, cfg)
    assert a == b and len(a.clause_rates) == 3 and len(a.pauses) == 2
    others = {draw_voice(f"LJ001-{i:04d}", 3, cfg).prosody.rate for i in range(1, 40)}
    assert len(others) > 10  # rates differ between utterances
    assert draw_voice("LJ001-0001", 3, ESpeakConfig(seed=2)) != a
    rates = np.array([draw_voice(f"X{i}", 1, cfg).prosody.rate for i in range(2000)])
    assert abs(np.median(rates) - cfg.rate) < 2 and 0.02 < np.std(np.log(rates)) < 0.04


def test_clauses_keep_their_punctuation():
    assert clauses("one, two. three") == ["one,", "two.", "three"]


def test_render_is_deterministic_and_sized():
    cfg = ESpeakConfig()
    a = render_utterance("the cat sat on the mat, and then it slept.", "U1", cfg)
    assert np.array_equal(a, render_utterance("the cat sat on the mat, and then it slept.", "U1", cfg))
    assert a.dtype == np.float32 and np.abs(a).max() <= 1.0 and 1.5 < a.size / 22050 < 5.0
    assert not np.array_equal(a[:1000], render_utterance("the cat sat on the mat, and then it slept.", "U2", cfg)[:1000])


def test_frames_per_character_match_ljspeech(transcripts):
    """LJSpeech's 32 real clips: 5.8 frames per cleaned character, coefficient of variation 0.12."""
    cfg = ESpeakConfig()
    pick = np.random.default_rng(0).choice(len(transcripts), 80, replace=False)
    fpc = np.array([render_utterance(transcripts[i].text, transcripts[i].utt_id, cfg).size / 256
                    / len(transcripts[i].text) for i in pick])
    assert 5.4 < fpc.mean() < 6.2, fpc.mean()
    assert 0.09 < fpc.std() / fpc.mean() < 0.18, fpc.std() / fpc.mean()


def test_mini_selection(transcripts):
    cfg = MiniCorpusConfig(num_utterances=50, min_chars=20, max_chars=40)
    a = select_mini(transcripts, cfg)
    assert len(a) == 50 and a == select_mini(transcripts, cfg)
    assert all(20 <= len(t.text) <= 40 for t in a) and [t.utt_id for t in a] == sorted(t.utt_id for t in a)
    assert select_mini(transcripts, MiniCorpusConfig(num_utterances=50, seed=2, min_chars=20, max_chars=40)) != a


def test_corpus_layout_nj_independent_and_resumable(tmp_path, transcripts):
    cfg = ESpeakConfig(num_utterances=6)
    a = build_espeak_corpus(tmp_path / "a", cfg, nj=1)
    b = build_espeak_corpus(tmp_path / "b", cfg, nj=2, hard_references=False)
    wavs = sorted(p.name for p in (a / "wavs").iterdir())
    assert wavs == [f"{t.utt_id}.wav" for t in transcripts[:6]]
    assert all((a / "wavs" / w).read_bytes() == (b / "wavs" / w).read_bytes() for w in wavs)
    assert (a / "metadata.csv").read_text() == "".join(t.line + "\n" for t in transcripts[:6])
    info = sf.info(str(a / "wavs" / wavs[0]))
    assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
    hard = sorted((a / "hard" / "wavs").iterdir())
    assert len(hard) > 100 and hard[0].name.startswith("hard_dev_")
    stats = json.loads((a / "corpus_stats.json").read_text())
    assert stats["utterances"] == 6 and stats["hours"] > 0
    utts, skipped = load_corpus(a)  # stage 1 reads it as LJSpeech
    assert [u.utt_id for u in utts] == [t.utt_id for t in transcripts[:6]] and not skipped
    mtime = (a / "wavs" / wavs[0]).stat().st_mtime_ns
    (a / "wavs" / wavs[-1]).unlink()
    (a / "metadata.csv").unlink()  # interrupted: only the missing wav is rendered again
    build_espeak_corpus(tmp_path / "a", cfg, nj=1)
    assert len(list((a / "hard" / "wavs").iterdir())) == len(hard)
    assert (a / "wavs" / wavs[-1]).read_bytes() == (b / "wavs" / wavs[-1]).read_bytes()
    assert (a / "wavs" / wavs[0]).stat().st_mtime_ns == mtime
    build_espeak_corpus(tmp_path / "a", ESpeakConfig(num_utterances=6, seed=3), nj=1, hard_references=False)
    assert (a / "wavs" / wavs[0]).read_bytes() != (b / "wavs" / wavs[0]).read_bytes()  # other voices: all anew
    assert not (a / "hard").exists()
