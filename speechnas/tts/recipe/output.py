"""Stages 6, 7 and 8 as library calls: synthesize the eval set with each trained model, evaluate what was
synthesized, pack the models.

Layout under the experiment directory ``exp``: ``synth/<model>/`` (stage 6, see :mod:`speechnas.tts.decoding.synthesize`),
``eval/results.{json,txt}`` (stage 7), ``packed/<model>/`` (stage 8, see :mod:`speechnas.tts.recipe.pack`).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from speechnas.tts.recipe.pack import load_model, pack_model, read_model_meta
from speechnas.tts.recipe.config import RecipeConfig
from speechnas.tts.recipe.data import RecipeData
from speechnas.tts.recipe.train_stage import trained_model_dir
from speechnas.tts.evaluation.report import evaluate_synthesis, write_results
from speechnas.tts.decoding.synthesize import Synthesizer, synthesize_set
from speechnas.utils.config import to_dict

log = logging.getLogger(__name__)
EVAL_SET = "eval"


def synthesize_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, name: str, device: str = "auto") -> dict:
    """Stage 6 for one model: ``<prefix>_eval`` (the hard sentences in the robustness setting) into ``synth/<name>``."""
    model_dir = trained_model_dir(exp, name)
    loaded = load_model(model_dir, device)
    synth = Synthesizer(loaded, cfg.synth.decode, cfg.synth.griffin_lim)
    record = {"model": str(model_dir), "weights": loaded.weights.name,
              "steps": json.loads((model_dir / "done.json").read_text())["steps"],
              "set": str(data.data_dir(EVAL_SET)), "decode": to_dict(cfg.synth.decode),
              "griffin_lim": to_dict(cfg.synth.griffin_lim)}
    batches = data.fixed_batches(EVAL_SET, cfg.synth.batch_frames, decode=cfg.synth.decode)
    summary = synthesize_set(synth, batches, Path(exp) / "synth" / name, cfg.synth.attention_plots, record)
    stopped = sum(u["stopped"] for u in summary["utterances"].values())
    log.info("stage 6: %s: %d utterances in %s/synth/%s (stop token fired in %d)", name, len(summary["utterances"]),
             exp, name, stopped)
    return summary


def evaluate_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, names: list[str]) -> str:
    """Stage 7: one row per model; MCD where the eval set has reference audio. Returns the text table."""
    ref = data.dump / EVAL_SET / "feats.scp"
    results = {}
    for name in names:
        model_dir = trained_model_dir(exp, name)
        res = evaluate_synthesis(Path(exp) / "synth" / name, data.mel_config(), cfg.evaluation,
                                 ref if ref.is_file() else None)
        results[name] = {"arch": read_model_meta(model_dir)["arch"], **res}
    title = f"{data.prefix}: {EVAL_SET} set ({data.data_dir(EVAL_SET)})"
    return write_results(Path(exp) / "eval", results, title)


def pack_stage(exp: str | Path, name: str) -> Path:
    """Stage 8 for one model: ``train/<name>`` packed into ``packed/<name>``."""
    out = pack_model(trained_model_dir(exp, name), Path(exp) / "packed" / name)
    log.info("stage 8: %s packed into %s", name, out)
    return out
