"""Stage 7: evaluate what stage 6 synthesized, per model, into a table shaped like the paper's Tables 3 and 4.

Per utterance (from ``synth/<model>/``): DFR as the search scores it (stage 6 records it in ``synth.json``),
skipped and repeated tokens from the alignment path of the saved attention, whether the stop token fired, and
MCD against the reference features where the set has audio. Per model: mean DFR, sentences with repeats / skips / either (error
sentences) and their rate, mean MCD. Written as ``results.json`` and ``results.txt``.
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
from speechnas.tts.evaluation.metrics import alignment_path, detect_skips_repeats, robustness_counts
from speechnas.tts.recipe.config import EvalConfig
from speechnas.utils.io import atomic_write_json, atomic_write_text


def evaluate_synthesis(synth_dir: str | Path, mel: MelConfig, cfg: EvalConfig,
                       ref_feats_scp: str | Path | None = None) -> dict:
    """Metrics of one model's stage-6 output; ``ref_feats_scp`` (raw log-mel per utterance) enables MCD."""
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
        # character are not a jump back; skips are counted over the characters only
        err = detect_skips_repeats(alignment_path(attn, tl, frames), tl - 1, cfg.min_skip, cfg.min_repeat,
                                   cfg.min_repeat_frames)
        errors.append(err)
        row = {"dfr": float(info["dfr"]), "skips": [list(s) for s in err.skips],
               "repeats": [list(r) for r in err.repeats], "stopped": bool(info["stopped"]), "frames": frames}
        if utt in refs:
            wav, _ = load_wav(synth_dir / f"{utt}.wav", mel.sample_rate)
            syn = log_mel_spectrogram(wav, mel).numpy()
            row["mcd"] = mel_cepstral_distortion(syn, np.load(refs[utt]), cfg.mcd_order)
        per_utt[utt] = row
    n = len(per_utt)
    if n == 0:
        raise ValueError(f"{summary_file} lists no utterances")
    counts = robustness_counts(errors)
    mcds = [r["mcd"] for r in per_utt.values() if "mcd" in r]
    return {
        "dfr": float(np.mean([r["dfr"] for r in per_utt.values()])), **counts,
        "error_rate": counts["error_sentences"] / n,
        "stop_rate": sum(r["stopped"] for r in per_utt.values()) / n,
        "mcd": float(np.mean(mcds)) if mcds else None, "mcd_sentences": len(mcds), "utterances": per_utt,
    }


def _fmt(v, spec: str) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def results_table(results: dict[str, dict], title: str = "") -> str:
    """Model x DFR, repeats, skips, error sentences, error rate (the paper's Tables 3/4), plus MCD and stop rate."""
    head = f"{'model':<12} {'DFR':>6} {'repeats':>8} {'skips':>6} {'errors':>7} {'error rate':>11} " \
           f"{'MCD dB':>7} {'stopped':>8}  architecture"
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for name, r in results.items():
        n = r["sentences"]
        lines.append(f"{name:<12} {r['dfr']:6.3f} {r['repeat_sentences']:>8d} {r['skip_sentences']:>6d} "
                     f"{r['error_sentences']:>7d} {100 * r['error_rate']:>10.1f}% {_fmt(r['mcd'], '7.2f'):>7} "
                     f"{100 * r['stop_rate']:>7.0f}%  {r.get('arch', '')}")
    lines.append(f"({n} sentences; errors = sentences with a skip or a repeat; DFR of free-running decoding to the "
                 f"stop token; MCD = DTW-aligned mel-cepstral distortion against the reference, where it exists)")
    return "\n".join(lines) + "\n"


def write_results(out_dir: str | Path, results: dict[str, dict], title: str) -> str:
    out = Path(out_dir)
    atomic_write_json(out / "results.json", {"title": title, "models": results})
    table = results_table({k: v for k, v in results.items()}, title)
    atomic_write_text(out / "results.txt", table)
    return table
