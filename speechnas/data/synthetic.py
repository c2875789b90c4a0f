"""The built-in corpus: synthetic speech-like audio, rendered symbol by symbol from the cleaned text.

Not speech, and not meant to sound like it: a corpus that every stage of the recipe can run on in minutes on a fresh
machine, with a real monotonic text-to-audio alignment for a TTS model to learn. Each symbol has its own sound and
duration: vowels and sonorants are a glottal pulse train through symbol-specific formant resonators (w and y glide),
fricatives are band-passed noise (voiced ones add voicing), stops are a closure followed by a burst in a
symbol-specific band, spaces and punctuation are pauses of different lengths. Pitch (declination, a rise before
"?") and timing vary a little per utterance and per symbol. Everything is drawn from ``numpy`` generators seeded with
``(seed, utterance index)``, so the same seed gives identical bytes, in any order and in any process.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

SAMPLE_RATE = 22050


@dataclass(frozen=True)
class SymbolSound:
    kind: str  # vowel | glide | fricative | stop | pause
    dur_ms: float
    formants: tuple = ()  # (F1, F2, F3) Hz; glides: ((start triple), (end triple))
    voice_amp: float = 0.0  # relative loudness of the voiced part
    noise_band: tuple = ()  # (low, high) Hz of the noise part (fricative noise or stop burst)
    noise_amp: float = 0.0
    closure_ms: float = 0.0  # stops: silent (or voiced murmur) closure before the burst
    aspiration_ms: float = 0.0


_V = "vowel"
SOUNDS: dict[str, SymbolSound] = {
    "a": SymbolSound(_V, 120, (750, 1250, 2600), 1.0),
    "e": SymbolSound(_V, 110, (500, 1850, 2550), 0.9),
    "i": SymbolSound(_V, 100, (300, 2300, 3000), 0.8),
    "o": SymbolSound(_V, 120, (500, 850, 2500), 1.0),
    "u": SymbolSound(_V, 110, (330, 750, 2300), 0.8),
    "l": SymbolSound(_V, 75, (380, 1000, 2900), 0.5),
    "r": SymbolSound(_V, 80, (450, 1250, 1650), 0.55),
    "m": SymbolSound(_V, 75, (280, 1050, 2250), 0.4),
    "n": SymbolSound(_V, 70, (280, 1650, 2600), 0.4),
    "w": SymbolSound("glide", 75, ((300, 620, 2200), (520, 1050, 2400)), 0.5),
    "y": SymbolSound("glide", 75, ((280, 2500, 3100), (440, 1850, 2600)), 0.5),
    "v": SymbolSound("fricative", 85, (300, 1200, 2400), 0.3, (1500, 4000), 0.25),
    "z": SymbolSound("fricative", 95, (300, 1400, 2500), 0.3, (4000, 7500), 0.35),
    "j": SymbolSound("fricative", 90, (300, 1900, 2600), 0.35, (1800, 3200), 0.45, closure_ms=30),
    "f": SymbolSound("fricative", 95, (), 0.0, (1200, 7000), 0.18),
    "s": SymbolSound("fricative", 110, (), 0.0, (5000, 8500), 0.45),
    "c": SymbolSound("fricative", 100, (), 0.0, (2200, 4200), 0.45),
    "h": SymbolSound("fricative", 70, (), 0.0, (500, 2500), 0.2),
    "x": SymbolSound("fricative", 115, (), 0.0, (5500, 9000), 0.35, closure_ms=35),
    "p": SymbolSound("stop", 75, (), 0.0, (500, 1500), 0.6, closure_ms=40, aspiration_ms=25),
    "t": SymbolSound("stop", 75, (), 0.0, (3500, 6000), 0.6, closure_ms=40, aspiration_ms=25),
    "k": SymbolSound("stop", 80, (), 0.0, (1800, 2800), 0.6, closure_ms=45, aspiration_ms=25),
    "b": SymbolSound("stop", 60, (250, 900, 2200), 0.25, (500, 1500), 0.4, closure_ms=40),
    "d": SymbolSound("stop", 60, (250, 1700, 2600), 0.25, (3500, 6000), 0.4, closure_ms=40),
    "g": SymbolSound("stop", 65, (250, 1300, 2300), 0.25, (1800, 2800), 0.4, closure_ms=45),
    "q": SymbolSound("stop", 110, ((300, 620, 2200), (520, 1050, 2400)), 0.45, (1200, 2200), 0.5, closure_ms=40),
    "'": SymbolSound("vowel", 40, (200, 600, 1800), 0.12),
    " ": SymbolSound("pause", 60),
    ",": SymbolSound("pause", 170),
    ".": SymbolSound("pause", 260),
    "?": SymbolSound("pause", 250),
    "!": SymbolSound("pause", 230),
}

_LEVEL = 0.08  # RMS of a symbol with loudness 1.0
_RAMP_MS = 6.0
_NOISE_FLOOR = 3e-4


@lru_cache(maxsize=None)
def _bandpass(low: float, high: float, sr: int) -> np.ndarray:
    high = min(high, 0.45 * sr)
    return signal.butter(4, [low, high], btype="band", fs=sr, output="sos")


def _resonate(x: np.ndarray, formants_start, formants_end, sr: int, blocks: int = 6) -> np.ndarray:
    """Cascade of 2-pole resonators; formants move linearly from start to end across ``blocks`` sub-blocks."""
    out = np.empty_like(x)
    edges = np.linspace(0, len(x), blocks + 1).astype(int)
    states = [np.zeros(2) for _ in formants_start]
    for b in range(blocks):
        seg = x[edges[b]:edges[b + 1]]
        t = (b + 0.5) / blocks
        for k, (f0, f1) in enumerate(zip(formants_start, formants_end)):
            freq = f0 + (f1 - f0) * t
            bw = 60.0 + 0.06 * freq
            r = np.exp(-np.pi * bw / sr)
            a = [1.0, -2 * r * np.cos(2 * np.pi * freq / sr), r * r]
            seg, states[k] = signal.lfilter([1.0 - r], a, seg, zi=states[k])
        out[edges[b]:edges[b + 1]] = seg
    return out


def _glottal(n: int, f0_start: float, f0_end: float, phase: float, sr: int) -> tuple[np.ndarray, float]:
    """Impulse train with a falling spectral tilt (one-pole low-pass); returns the carried phase too."""
    f0 = np.linspace(f0_start, f0_end, n)
    ph = phase + np.cumsum(f0 / sr)
    pulses = np.diff(np.floor(ph), prepend=np.floor(phase)).astype(np.float64)
    tilt = signal.lfilter([1.0], [1.0, -0.9], pulses)
    return tilt - tilt.mean(), float(ph[-1] % 1.0) if n else phase


def _rms_to(x: np.ndarray, level: float) -> np.ndarray:
    rms = np.sqrt(np.mean(x * x)) if len(x) else 0.0
    return x * (level / rms) if rms > 0 else x


def _ramp(x: np.ndarray, sr: int) -> np.ndarray:
    n = min(int(_RAMP_MS * sr / 1000), len(x) // 2)
    if n > 0:
        w = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))
        x[:n] *= w
        x[-n:] *= w[::-1]
    return x


def render_symbol(sym: str, n: int, f0: tuple[float, float], rng: np.random.Generator, phase: float = 0.0,
                  sr: int = SAMPLE_RATE) -> tuple[np.ndarray, float]:
    """``n`` samples of symbol ``sym`` with pitch moving from ``f0[0]`` to ``f0[1]``; returns (audio, phase)."""
    s = SOUNDS[sym]
    out = np.zeros(n)
    if s.kind == "pause" or n == 0:
        return out, phase
    ms = sr / 1000.0
    closure = min(int(s.closure_ms * ms), n // 2)
    body = n - closure
    if s.voice_amp > 0:
        src, phase = _glottal(n, f0[0], f0[1], phase, sr)
        start, end = (s.formants if s.kind == "glide" or sym == "q" else (s.formants, s.formants))
        voiced = _resonate(src, start, end, sr)
        if s.kind == "stop" and sym != "q":  # b d g: low murmur in the closure only
            voiced[closure:] *= 0.25
            voiced = signal.sosfilt(_bandpass(80, 600, sr), voiced)
        elif closure:  # j, q: voicing starts after the closure
            voiced[:closure] = 0.0
        out += _rms_to(voiced, _LEVEL * s.voice_amp)
    if s.noise_amp > 0:
        noise = np.zeros(n)
        if s.kind == "stop":
            burst = min(int(15 * ms), body)
            asp = min(int(s.aspiration_ms * ms), body - burst)
            b = signal.sosfilt(_bandpass(*s.noise_band, sr), rng.standard_normal(burst + asp))
            env = np.concatenate([np.exp(-np.linspace(0, 3, burst)), 0.3 * np.exp(-np.linspace(0, 2, asp))])
            noise[closure:closure + burst + asp] = _rms_to(b * env, _LEVEL * s.noise_amp * 2.5)
        else:
            band = signal.sosfilt(_bandpass(*s.noise_band, sr), rng.standard_normal(body))
            if closure:  # j, x: a short burst opens the fricative
                band[: int(10 * ms)] *= 3.0
            noise[closure:] = _rms_to(band, _LEVEL * s.noise_amp)
        out += noise
    return _ramp(out, sr), phase


@dataclass(frozen=True)
class Rendering:
    audio: np.ndarray  # float32 (samples,)
    boundaries: np.ndarray  # int (len(text) + 1,): sample where each symbol starts, then the end of the last one
    lead: int  # samples of silence before the first symbol


def render_text(text: str, seed: int, index: int = 0, sr: int = SAMPLE_RATE) -> Rendering:
    """Render cleaned ``text`` (symbols of :data:`SOUNDS`) deterministically from ``(seed, index)``."""
    missing = sorted({c for c in text if c not in SOUNDS})
    if missing:
        raise ValueError(f"the built-in corpus cannot render symbols {missing} in {text!r}")
    rng = np.random.default_rng([seed, index])
    base_f0 = 120.0 * float(np.exp(rng.normal(0.0, 0.08)))
    tempo = float(np.exp(rng.normal(0.0, 0.06)))
    durs = np.array([SOUNDS[c].dur_ms for c in text]) * tempo * np.exp(rng.normal(0.0, 0.08, len(text)))
    lens = np.maximum((durs * sr / 1000.0).astype(int), int(0.02 * sr))
    lead, tail = int(0.08 * sr), int(0.12 * sr)
    total = lead + int(lens.sum()) + tail
    pos = np.concatenate([[0], np.cumsum(lens)])
    # Pitch: declination over the utterance, a rise over the last word before "?", small per-symbol jitter.
    contour = lambda t: base_f0 * (1.1 - 0.2 * t)  # noqa: E731
    question_from = text.rfind(" ", 0, text.rfind("?")) if "?" in text else len(text)
    audio = np.zeros(total)
    phase = 0.0
    for i, c in enumerate(text):
        t0, t1 = pos[i] / max(pos[-1], 1), pos[i + 1] / max(pos[-1], 1)
        jitter = 1.0 + 0.02 * rng.standard_normal()
        f_start, f_end = contour(t0) * jitter, contour(t1) * jitter
        if i > question_from:
            f_start, f_end = f_start * (1 + 0.3 * t0), f_end * (1 + 0.3 * t1)
        seg, phase = render_symbol(c, int(lens[i]), (f_start, f_end), rng, phase, sr)
        audio[lead + pos[i]: lead + pos[i + 1]] = seg
    audio += _NOISE_FLOOR * rng.standard_normal(total)
    return Rendering(audio.astype(np.float32), (pos + lead).astype(np.int64), lead)
