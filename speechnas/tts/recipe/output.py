"""Stages 6, 7 and 8 as library calls: synthesize the eval set with each trained model, evaluate what was
synthesized, pack the models.

Layout under the experiment directory ``exp``: ``synth/<set>/<model>/`` (stage 6, one per set of ``synth.sets``: the
eval set and the hard sentences; see :mod:`speechnas.tts.decoding.synthesize`), ``eval/results.{json,txt}`` (stage
7, a table per set), ``packed/<model>/`` (stage 8, see :mod:`speechnas.tts.recipe.pack`).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

from speechnas.text.tokens import read_token_file
from speechnas.tts.recipe.pack import load_model, pack_model, read_model_meta
from speechnas.tts.recipe.config import RecipeConfig
from speechnas.tts.recipe.data import RecipeData
from speechnas.tts.recipe.train_stage import trained_model_dir
from speechnas.tts.evaluation.report import evaluate_synthesis, write_results
from speechnas.tts.decoding.synthesize import Synthesizer, synthesize_set
from speechnas.utils.config import to_dict

log = logging.getLogger(__name__)


def synth_dir(exp: str | Path, set_name: str, model: str) -> Path:
    return Path(exp) / "synth" / set_name / model


def synthesize_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, name: str, device: str = "auto") -> dict:
    """Stage 6 for one model: every set of ``synth.sets`` (``<prefix>_<set>``) into ``synth/<set>/<name>``."""
    model_dir = trained_model_dir(exp, name)
    loaded = load_model(model_dir, device)
    synth = Synthesizer(loaded, cfg.synth.decode, cfg.synth.griffin_lim)
    summaries = {}
    for set_name in cfg.synth.sets:
        record = {"model": str(model_dir), "weights": loaded.weights.name,
                  "steps": json.loads((model_dir / "done.json").read_text())["steps"],
                  "set": str(data.data_dir(set_name)), "decode": to_dict(cfg.synth.decode),
                  "griffin_lim": to_dict(cfg.synth.griffin_lim)}
        batches = data.fixed_batches(set_name, cfg.synth.batch_frames, decode=cfg.synth.decode)
        out = synth_dir(exp, set_name, name)
        summary = synthesize_set(synth, batches, out, cfg.synth.attention_plots, record)
        stopped = sum(u["stopped"] for u in summary["utterances"].values())
        log.info("stage 6: %s: %d utterances of %s in %s (stop token fired in %d)", name,
                 len(summary["utterances"]), set_name, out, stopped)
        summaries[set_name] = summary
    return summaries


def evaluate_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, names: list[str]) -> str:
    """Stage 7: per set of ``synth.sets``, one row per model; errors counted per word (stage 2's token file);
    MCD and length against the reference audio where the set has it. Returns the text tables."""
    per_set = {}
    for set_name in cfg.synth.sets:
        ref = data.dump / set_name / "feats.scp"
        symbols = read_token_file(data.dump / set_name / "token")
        results = {}
        for name in names:
            model_dir = trained_model_dir(exp, name)
            res = evaluate_synthesis(synth_dir(exp, set_name, name), data.mel_config(), cfg.evaluation,
                                     ref if ref.is_file() else None, symbols)
            results[name] = {"arch": read_model_meta(model_dir)["arch"], **res}
        per_set[set_name] = {"title": f"{data.prefix}: {set_name} set ({data.data_dir(set_name)})",
                             "models": results}
    return write_results(Path(exp) / "eval", per_set)


def pack_stage(exp: str | Path, name: str) -> Path:
    """Stage 8 for one model: ``train/<name>`` packed into ``packed/<name>``."""
    out = pack_model(trained_model_dir(exp, name), Path(exp) / "packed" / name)
    log.info("stage 8: %s packed into %s", name, out)
    return out
