"""How a trained model speaks a set when nothing guides it: free-running decoding to the stop token (several
pre-net dropout seeds), scored per utterance with the search reward against the reference (or expected) length and
with skipped and repeated words. Used to check a search's ranking against trained models
(``benchmarks/tts/oneshot_ranking.py``); stage 7 computes the same from stage 6's saved attention."""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import torch

from speechnas.tts.decoding.decode import DecodeConfig, generate
from speechnas.tts.evaluation.metrics import (alignment_path, alignment_reward, detect_word_errors,
                                              select_attention)
from speechnas.tts.evaluation.scoring import expected_lengths
from speechnas.tts.model.backbone import TTSBackbone
from speechnas.tts.training.trainer import batch_to


@torch.no_grad()
def free_running_report(model: TTSBackbone, batches: Sequence[dict], symbols: dict[str, Sequence[str]],
                        decode: DecodeConfig, seeds: Sequence[int] = (0,), frames_per_token: float | None = None,
                        min_repeat_frames: int = 2) -> dict:
    """Mean ``dfr`` (reward), ``error_rate`` (sentences with a skipped or repeated word), ``stop_rate`` over
    utterances and seeds, plus per-utterance rows. ``symbols``: each utterance's tokens (stage 2's token file)."""
    device = next(model.parameters()).device
    rows: dict[str, list[dict]] = {}
    for seed in seeds:
        cfg = replace(decode, seed=int(seed))
        for batch in batches:
            batch = batch_to(batch, device)
            out = generate(model, batch["text"], batch["text_lengths"], cfg)
            lengths = out["lengths"]
            ref = batch.get("feats_lengths")
            if ref is None:
                if frames_per_token is None:
                    raise ValueError("a text-only set needs frames_per_token for the reward's reference length")
                ref = expected_lengths(batch["text_lengths"], frames_per_token)
            att = select_attention(out["attentions"], batch["text_lengths"], lengths, keep_eos=True)
            reward = alignment_reward(att, batch["text_lengths"], lengths, ref)
            for i, utt in enumerate(batch["utt_ids"]):
                tl, n = int(batch["text_lengths"][i]), int(lengths[i])
                err = detect_word_errors(alignment_path(att[i], tl, n), symbols[utt], min_repeat_frames)
                rows.setdefault(utt, []).append({"dfr": float(reward[i]), "error": err.has_error,
                                                 "skip": err.has_skip, "repeat": err.has_repeat,
                                                 "stopped": bool(out["stopped"][i]), "frames": n})
    flat = [r for rs in rows.values() for r in rs]
    return {"dfr": float(np.mean([r["dfr"] for r in flat])),
            "error_rate": float(np.mean([r["error"] for r in flat])),
            "skip_rate": float(np.mean([r["skip"] for r in flat])),
            "repeat_rate": float(np.mean([r["repeat"] for r in flat])),
            "stop_rate": float(np.mean([r["stopped"] for r in flat])),
            "utterances": len(rows), "seeds": list(seeds), "per_utterance": rows}
