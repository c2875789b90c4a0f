"""LJSpeech read by eSpeak NG: a corpus of real English speech that needs no download (stage 0, ``--corpus espeak``).

The 13,100 LJSpeech-1.1 transcripts (public domain) ship with speechnas (``resources/ljspeech_metadata.csv.xz``,
checked against the published ``metadata.csv`` sha256). :func:`build_espeak_corpus` renders the cleaned
normalised transcript of each one into a folder of LJSpeech-1.1's shape: ``metadata.csv`` (the original lines of
the rendered ids) and ``wavs/<id>.wav`` (22,050 Hz mono 16-bit), so stages 1-8 and every setting run on it
unchanged. Each utterance gets its own voice, drawn from ``(seed, utterance id)`` (:func:`draw_voice`): speaking
rate, pitch, intonation range, word gap, pauses between clauses, silence at the edges and a noise floor, so that
durations vary as a reader's do. The robustness setting's hard sentences get rendered references under
``hard/wavs/`` (stage 1 gives the eval set that audio, for MCD and length checks).

The same settings give identical files whatever ``nj`` is. ``corpus.json`` (settings, eSpeak NG version, ids) is
written first; wavs are written atomically and kept on a re-run with the same settings (other settings remove
``wavs/`` first); ``metadata.csv`` is written last, so its presence with a matching ``corpus.json`` means the
corpus is complete. ``corpus_stats.json`` records hours, seconds per utterance and frames per character.
"""
from __future__ import annotations

import hashlib
import json
import lzma
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from speechnas.data.config import MiniCorpusConfig
from speechnas.text.cleaners import english_cleaners
from speechnas.text.espeak import SAMPLE_RATE
from speechnas.text.espeak_render import ESpeakConfig, render_to_file
from speechnas.utils.config import to_dict
from speechnas.utils.io import atomic_write_json, atomic_write_text
from speechnas.utils.progress import progress

RESOURCES = Path(__file__).resolve().parent / "resources"
LJSPEECH_METADATA = RESOURCES / "ljspeech_metadata.csv.xz"
LJSPEECH_METADATA_SHA256 = "852bce5c79e5184ba5bf2ea98aad4bcf49a5d787def5fd1f04fa2ab8aa6dc535"  # LJSpeech-1.1
HOP = 256  # frames per character are counted at the feature hop (stage 2's default)


@dataclass(frozen=True)
class Transcript:
    utt_id: str
    line: str  # the original metadata.csv line (id|raw|normalised)
    text: str  # the cleaned normalised transcript: what is spoken and what stage 1 writes


def ljspeech_transcripts() -> list[Transcript]:
    """The shipped LJSpeech-1.1 transcripts, in file order, checked against the published sha256."""
    data = lzma.decompress(LJSPEECH_METADATA.read_bytes())
    digest = hashlib.sha256(data).hexdigest()
    if digest != LJSPEECH_METADATA_SHA256:
        raise ValueError(f"{LJSPEECH_METADATA}: sha256 {digest} is not LJSpeech-1.1's metadata.csv "
                         f"({LJSPEECH_METADATA_SHA256}); reinstall speechnas")
    out = []
    for line in data.decode("utf-8").splitlines():
        utt, raw, norm = line.split("|")
        out.append(Transcript(utt, line, english_cleaners(norm or raw)))
    return out


def select_mini(transcripts: list[Transcript], cfg: MiniCorpusConfig) -> list[Transcript]:
    """``cfg.num_utterances`` transcripts of ``min_chars..max_chars`` cleaned characters, drawn with ``cfg.seed``."""
    fit = [t for t in transcripts if cfg.min_chars <= len(t.text) <= cfg.max_chars]
    n = len(fit) if cfg.num_utterances is None else min(cfg.num_utterances, len(fit))
    pick = np.random.default_rng(cfg.seed).choice(len(fit), size=n, replace=False)
    return sorted((fit[i] for i in pick), key=lambda t: t.utt_id)


def _render_all(items: list[tuple[str, str, str, ESpeakConfig]], nj: int, desc: str) -> dict[str, int]:
    """Render ``items`` in ``nj`` worker interpreters (``python -m speechnas.text.espeak_render``, free of torch:
    each forks a fresh eSpeak NG child per utterance, which must be cheap); returns samples per utterance."""
    if not items:
        return {}
    cfg = items[0][3]
    nj = max(1, min(nj, len(items)))
    workers, sel = [], selectors.DefaultSelector()
    with tempfile.TemporaryDirectory(prefix="speechnas_render_") as tmp:
        for k in range(nj):
            job_file = Path(tmp) / f"jobs{k}.json"
            job_file.write_text(json.dumps({"config": to_dict(cfg), "items": [it[:3] for it in items[k::nj]]}))
            proc = subprocess.Popen([sys.executable, "-m", "speechnas.text.espeak_render", str(job_file)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            workers.append(proc)
            sel.register(proc.stdout, selectors.EVENT_READ, proc)
        samples: dict[str, int] = {}
        bar = progress(total=len(items), desc=desc, unit="utt")
        try:
            open_pipes = nj
            while open_pipes:
                for key, _ in sel.select():
                    line = key.fileobj.readline()
                    if not line:
                        sel.unregister(key.fileobj)
                        open_pipes -= 1
                        continue
                    rec = json.loads(line)
                    if "error" in rec:
                        raise RuntimeError(f"eSpeak NG could not render {rec['utt']}: {rec['error']}")
                    samples[rec["utt"]] = int(rec["samples"])
                    bar.update(1)
            for proc in workers:
                if proc.wait() != 0:
                    raise RuntimeError(f"an eSpeak NG render worker failed: {proc.stderr.read()[-2000:]}")
        finally:
            bar.close()
            for proc in workers:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    missing = [it[0] for it in items if it[0] not in samples]
    if missing:
        raise RuntimeError(f"eSpeak NG render workers returned no audio for {missing[:5]}")
    return samples


def _settings(cfg: ESpeakConfig, chosen: list[Transcript], hard: list[tuple[str, str]]) -> dict:
    from speechnas.text.espeak import engine

    ids = "\n".join(t.utt_id for t in chosen) + "\n" + "\n".join(f"{u}|{s}" for u, s in hard)
    return {"generator": "speechnas.data.espeak_corpus v1", "espeak_ng": engine().version,
            "voice": engine().voice, "sample_rate": SAMPLE_RATE, "config": to_dict(cfg),
            "num_utterances": len(chosen), "ids_sha256": hashlib.sha256(ids.encode()).hexdigest()}


def build_espeak_corpus(out_dir: str | os.PathLike, cfg: ESpeakConfig = ESpeakConfig(), nj: int = 1,
                        mini: MiniCorpusConfig | None = None, hard_references: bool = True) -> Path:
    """Render LJSpeech's transcripts (or, with ``mini``, a draw of short ones) into ``out_dir``; resumable.

    ``hard_references``: also render the hard sentences (``hard/wavs/``). A complete corpus with the same settings
    is left as it is. Returns ``out_dir``.
    """
    from speechnas.data.corpus import hard_sentences

    out_dir = Path(out_dir)
    transcripts = ljspeech_transcripts()
    if mini is not None:
        chosen = select_mini(transcripts, mini)
    else:
        chosen = transcripts[: cfg.num_utterances] if cfg.num_utterances is not None else transcripts
    hard = [(u.utt_id, u.text) for part in ("dev", "eval") for u in hard_sentences(part)] if hard_references else []
    settings = _settings(cfg, chosen, hard)
    record = out_dir / "corpus.json"
    same = record.is_file() and json.loads(record.read_text()) == settings
    if same and (out_dir / "metadata.csv").is_file():
        return out_dir
    (out_dir / "metadata.csv").unlink(missing_ok=True)
    if not same:  # other settings: no existing wav belongs to this corpus
        shutil.rmtree(out_dir / "wavs", ignore_errors=True)
        shutil.rmtree(out_dir / "hard", ignore_errors=True)
        atomic_write_json(record, settings)
    (out_dir / "wavs").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    items = [(t.utt_id, t.text, str(out_dir / "wavs" / f"{t.utt_id}.wav"), cfg) for t in chosen]
    samples = _render_all(items, nj, "eSpeak NG corpus")
    hard_items = [(u, text, str(out_dir / "hard" / "wavs" / f"{u}.wav"), cfg) for u, text in hard]
    hard_samples = _render_all(hard_items, nj, "hard-sentence references")
    wall = time.perf_counter() - t0
    stats = corpus_stats({t.utt_id: len(t.text) for t in chosen}, samples)
    stats.update({"render_wall_s": round(wall, 1), "nj": nj})
    if hard:
        stats["hard_references"] = corpus_stats({u: len(text) for u, text in hard}, hard_samples)
    atomic_write_json(out_dir / "corpus_stats.json", stats)
    os.sync()  # the wavs were written without an fsync each
    atomic_write_text(out_dir / "metadata.csv", "".join(t.line + "\n" for t in chosen))  # last: complete
    return out_dir


def corpus_stats(chars: dict[str, int], samples: dict[str, int], hop: int = HOP) -> dict:
    """Hours, seconds per utterance and frames (hop ``hop``) per character of a rendered or recorded corpus."""
    ids = sorted(chars)
    sec = np.array([samples[u] / SAMPLE_RATE for u in ids])
    fpc = np.array([samples[u] / hop / chars[u] for u in ids])
    q = lambda x: {k: round(float(np.percentile(x, p)), 3) for k, p in  # noqa: E731
                   (("min", 0), ("p5", 5), ("median", 50), ("p95", 95), ("max", 100))}
    return {"utterances": len(ids), "hours": round(float(sec.sum()) / 3600, 3),
            "seconds": {"mean": round(float(sec.mean()), 3), **q(sec)},
            "frames_per_char": {"mean": round(float(fpc.mean()), 3), "cv": round(float(fpc.std() / fpc.mean()), 4),
                                **q(fpc)}}
