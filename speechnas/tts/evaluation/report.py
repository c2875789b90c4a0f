"""Stage 7: evaluate what stage 6 synthesized, per set and model, into tables shaped like the paper's Tables 3 and 4.

Per utterance (from ``synth/<set>/<model>/``): the search reward (stage 6 records it in ``synth.json``), skipped and
repeated words from the alignment path of the saved attention (counted per word, spaces and punctuation ignored,
when the set's token file is given; else per token), whether the stop token fired, and, where the set has audio,
MCD and the ratio of the synthesized length to the reference's. Per model: mean reward, sentences with repeats /
skips / either (error sentences) and their rate, mean MCD and length ratio. Written as ``results.json`` and
``results.txt``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from speechnas.audio.functional import MelConfig, log_mel_spectrogram
from speechnas.audio.io import load_wav
from speechnas.data.kaldi import read_scp
from speechnas.tts.evaluation.mcd import mel_cepstral_distortion
from speechnas.tts.evaluation.metrics import (alignment_path, detect_skips_repeats, detect_word_errors,
                                              robustness_counts)
from speechnas.tts.recipe.config import EvalConfig
from speechnas.utils.io import atomic_write_json, atomic_write_text


def evaluate_synthesis(synth_dir: str | Path, mel: MelConfig, cfg: EvalConfig,
                       ref_feats_scp: str | Path | None = None, symbols: dict[str, list[str]] | None = None) -> dict:
    """Metrics of one model's stage-6 output; ``ref_feats_scp`` (raw log-mel per utterance) enables MCD and the
    length ratio; ``symbols`` (each utterance's tokens) counts errors per word."""
    synth_dir = Path(synth_dir)
    summary_file = synth_dir / "synth.json"
    if not summary_file.is_file():
        raise FileNotFoundError(f"{summary_file} not found: run stage 6 for this model first")
    utts = json.loads(summary_file.read_text())["utterances"]
    refs = read_scp(ref_feats_scp) if ref_feats_scp is not None else {}
    per_utt, errors = {}, []
    for utt, info in sorted(utts.items()):
        if "dfr" not in info:
            raise ValueError(f"{summary_file}: utterance {utt} has no 'dfr' (written by an older version): "
                             f"remove {synth_dir} and run stage 6 again")
        attn = np.load(synth_dir / "attention" / f"{utt}.npy")
        frames, tl = int(info["frames"]), int(info["text_length"])
        # the path may reach EOS (index tl - 1, the furthest token): frames that attend to it after the last
        # token are not a jump back; skips are counted over the real tokens only
        path = alignment_path(attn, tl, frames)
        if symbols is not None:
            err = detect_word_errors(path, symbols[utt], cfg.min_repeat_frames)
        else:
            err = detect_skips_repeats(path, tl - 1, cfg.min_skip, cfg.min_repeat, cfg.min_repeat_frames)
        errors.append(err)
        row = {"dfr": float(info["dfr"]), "skips": [list(s) for s in err.skips],
               "repeats": [list(r) for r in err.repeats], "stopped": bool(info["stopped"]), "frames": frames}
        if utt in refs:
            wav, _ = load_wav(synth_dir / f"{utt}.wav", mel.sample_rate)
            syn = log_mel_spectrogram(wav, mel).numpy()
            reference = np.load(refs[utt])
            row["mcd"] = mel_cepstral_distortion(syn, reference, cfg.mcd_order)
            row["length_ratio"] = frames / reference.shape[0]
        per_utt[utt] = row
    n = len(per_utt)
    if n == 0:
        raise ValueError(f"{summary_file} lists no utterances")
    counts = robustness_counts(errors)
    mcds = [r["mcd"] for r in per_utt.values() if "mcd" in r]
    ratios = [r["length_ratio"] for r in per_utt.values() if "length_ratio" in r]
    return {
        "dfr": float(np.mean([r["dfr"] for r in per_utt.values()])), **counts,
        "error_rate": counts["error_sentences"] / n, "error_unit": "word" if symbols is not None else "token",
        "stop_rate": sum(r["stopped"] for r in per_utt.values()) / n,
        "mcd": float(np.mean(mcds)) if mcds else None, "mcd_sentences": len(mcds),
        "length_ratio": float(np.median(ratios)) if ratios else None, "utterances": per_utt,
    }


def _fmt(v, spec: str) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def results_table(results: dict[str, dict], title: str = "") -> str:
    """Model x DFR, repeats, skips, error sentences, error rate (the paper's Tables 3/4), plus MCD, length ratio
    and stop rate."""
    head = f"{'model':<12} {'DFR':>6} {'repeats':>8} {'skips':>6} {'errors':>7} {'error rate':>11} " \
           f"{'MCD dB':>7} {'length':>7} {'stopped':>8}  architecture"
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for name, r in results.items():
        n, unit = r["sentences"], r.get("error_unit", "token")
        lines.append(f"{name:<12} {r['dfr']:6.3f} {r['repeat_sentences']:>8d} {r['skip_sentences']:>6d} "
                     f"{r['error_sentences']:>7d} {100 * r['error_rate']:>10.1f}% {_fmt(r['mcd'], '7.2f'):>7} "
                     f"{_fmt(r.get('length_ratio'), '7.2f'):>7} {100 * r['stop_rate']:>7.0f}%  {r.get('arch', '')}")
    lines.append(f"({n} sentences; errors = sentences with a skipped or repeated {unit}; DFR = the search reward of "
                 f"free-running decoding to the stop token; MCD = DTW-aligned mel-cepstral distortion and length = "
                 f"median synthesized / reference frames, where a reference exists)")
    return "\n".join(lines) + "\n"


def write_results(out_dir: str | Path, per_set: dict[str, dict]) -> str:
    """``results.json`` (``{"sets": {set: {"title", "models"}}}``) and ``results.txt`` (a table per set)."""
    out = Path(out_dir)
    atomic_write_json(out / "results.json", {"sets": per_set})
    table = "\n".join(results_table(s["models"], s["title"]) for s in per_set.values())
    atomic_write_text(out / "results.txt", table)
    return table
