"""One utterance read by eSpeak NG in a voice drawn from ``(seed, utterance id)``: the unit of the offline corpus.

Torch-free on purpose: the corpus's render workers import only this module, so that forking a fresh eSpeak NG child
per utterance (:func:`speechnas.text.espeak.synthesize_fresh`, what makes renders reproducible) costs milliseconds.
"""
from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from speechnas.audio.io import write_wav
from speechnas.text.espeak import SAMPLE_RATE, Prosody

_CLAUSE = re.compile(r"[^,.!?]+[,.!?]*")


@dataclass
class ESpeakConfig:
    """How eSpeak NG reads the transcripts (``--corpus espeak``): a voice drawn per utterance from ``seed`` and
    the utterance id, so that durations vary as a reader's do, between utterances and within one (each clause its
    own rate, pauses of drawn length between clauses). Defaults chosen to match LJSpeech's 5.8 frames per
    character (eSpeak's fixed default voice: 4.75, coefficient of variation 0.08) and to leave a text-blind
    diagonal well below a perfect DFR, as real reading does (the 32 real clips: 0.81)."""
    seed: int = 1
    rate: float = 167.0  # median speaking rate, words per minute (eSpeak's default: 175)
    rate_sigma: float = 0.03  # log-normal spread of an utterance's rate around ``rate``
    clause_rate_sigma: float = 0.15  # each clause's rate around its utterance's (a reader speeds up and slows down)
    pitch: list[int] = field(default_factory=lambda: [35, 65])  # base pitch drawn from [lo, hi] (eSpeak 0-100)
    pitch_range: list[int] = field(default_factory=lambda: [30, 70])  # intonation range drawn from [lo, hi]
    word_gap: list[int] = field(default_factory=lambda: [0, 2])  # extra gap between words, 10 ms units
    edge_silence: list[float] = field(default_factory=lambda: [0.05, 0.3])  # seconds before and after, drawn
    pause: list[float] = field(default_factory=lambda: [0.15, 0.5])  # seconds between clauses, drawn
    noise_db: float = -70.0  # white noise floor in dB full scale (recordings are never digitally silent)
    num_utterances: int | None = None  # None: all 13,100; fewer: the first N ids (quick checks)


@dataclass(frozen=True)
class Voice:
    """One utterance's voice: eSpeak settings, one rate per clause, silences in samples, noise seed."""
    prosody: Prosody
    clause_rates: tuple[int, ...]
    lead: int
    trail: int
    pauses: tuple[int, ...]
    noise_seed: int


def clauses(text: str) -> list[str]:
    """Clauses of a cleaned text, each with its closing punctuation (eSpeak then speaks its intonation)."""
    return [c.strip() for c in _CLAUSE.findall(text) if c.strip()]


def draw_voice(utt_id: str, n_clauses: int, cfg: ESpeakConfig) -> Voice:
    """The voice of ``utt_id``: a pure function of ``(cfg, utt_id)``, whatever order utterances are rendered in."""
    rng = np.random.default_rng([cfg.seed, zlib.crc32(utt_id.encode("utf-8"))])
    rate = cfg.rate * float(np.exp(rng.normal(0.0, cfg.rate_sigma)))
    prosody = Prosody(rate=int(round(rate)), pitch=int(rng.integers(cfg.pitch[0], cfg.pitch[1] + 1)),
                      pitch_range=int(rng.integers(cfg.pitch_range[0], cfg.pitch_range[1] + 1)),
                      word_gap=int(rng.integers(cfg.word_gap[0], cfg.word_gap[1] + 1)))
    rates = tuple(int(round(rate * float(np.exp(rng.normal(0.0, cfg.clause_rate_sigma))))) for _ in range(n_clauses))
    sec = lambda lo_hi: int(rng.uniform(*lo_hi) * SAMPLE_RATE)  # noqa: E731
    lead, trail = sec(cfg.edge_silence), sec(cfg.edge_silence)
    pauses = tuple(sec(cfg.pause) for _ in range(max(n_clauses - 1, 0)))
    return Voice(prosody, rates, lead, trail, pauses, int(rng.integers(2**31)))


def render_utterance(text: str, utt_id: str, cfg: ESpeakConfig) -> np.ndarray:
    """float32 audio in [-1, 1] at 22,050 Hz: ``text`` read clause by clause in ``utt_id``'s voice."""
    from speechnas.text.espeak import synthesize_fresh

    parts = clauses(text)
    if not parts:
        raise ValueError(f"{utt_id}: nothing to speak in {text!r}")
    voice = draw_voice(utt_id, len(parts), cfg)
    p = voice.prosody
    audios = synthesize_fresh(parts, [Prosody(r, p.pitch, p.pitch_range, p.word_gap, p.volume)
                                      for r in voice.clause_rates])
    pieces = [np.zeros(voice.lead, np.float32)]
    for i, (clause, audio) in enumerate(zip(parts, audios)):
        if audio.size == 0:
            raise ValueError(f"{utt_id}: eSpeak NG produced no audio for {clause!r}")
        pieces.append(audio.astype(np.float32) / 32768.0)
        if i < len(voice.pauses):
            pieces.append(np.zeros(voice.pauses[i], np.float32))
    pieces.append(np.zeros(voice.trail, np.float32))
    wav = np.concatenate(pieces)
    noise = np.random.default_rng(voice.noise_seed).standard_normal(wav.size).astype(np.float32)
    return np.clip(wav + noise * np.float32(10 ** (cfg.noise_db / 20)), -1.0, 1.0)


def render_to_file(item: tuple[str, str, str, ESpeakConfig]) -> tuple[str, int]:
    """(utt, text, wav path, cfg) -> (utt, samples); an existing wav (atomic writes: complete) is kept."""
    utt, text, path, cfg = item
    if os.path.isfile(path):
        import soundfile as sf

        return utt, sf.info(path).frames
    wav = render_utterance(text, utt, cfg)
    write_wav(path, wav, SAMPLE_RATE, durable=False)  # the corpus builder syncs once before metadata.csv
    return utt, wav.size


def worker_main() -> None:
    """A render worker (``python -m speechnas.text.espeak_render JOBS.json``): renders every job of the file,
    printing ``{"utt", "samples"}`` per utterance as a JSON line, or ``{"utt", "error"}`` and exit status 1."""
    import json
    import sys

    with open(sys.argv[1], encoding="utf-8") as f:
        jobs = json.load(f)
    cfg = ESpeakConfig(**jobs["config"])
    for utt, text, path in jobs["items"]:
        try:
            _, samples = render_to_file((utt, text, path, cfg))
        except Exception as e:  # noqa: BLE001 - reported to the parent with the utterance named
            print(json.dumps({"utt": utt, "error": f"{type(e).__name__}: {e}"}), flush=True)
            sys.exit(1)
        print(json.dumps({"utt": utt, "samples": samples}), flush=True)


if __name__ == "__main__":
    worker_main()
