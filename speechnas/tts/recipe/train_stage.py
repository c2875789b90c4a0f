"""Stage 5: train the found architecture (and the baselines) standalone at the final size.

Layout: ``train/<model>/`` (a trainer directory that is also a model directory, see :mod:`speechnas.tts.recipe.pack`,
with ``model.json`` (the model its checkpoints hold) and ``done.json`` once finished).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from speechnas.tts.evaluation.scoring import evaluate_batches
from speechnas.tts.model.arch import TTSArch, from_str, op_token
from speechnas.tts.model.backbone import TTSModel
from speechnas.tts.recipe.config import RecipeConfig
from speechnas.tts.recipe.data import RecipeData
from speechnas.tts.recipe.pack import read_model_meta, write_model_dir
from speechnas.tts.recipe.records import check_record
from speechnas.tts.recipe.search_stage import found_architecture
from speechnas.tts.recipe.supernet_stage import search_space
from speechnas.tts.training.trainer import Trainer
from speechnas.utils.config import to_dict
from speechnas.utils.distributed import get_info
from speechnas.utils.io import atomic_write_json
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


def model_names(method: str, baselines: bool) -> list[str]:
    """Models of stages 5-8: ``found``, plus ``transformer`` and ``nao`` (unless NAO found it) with baselines."""
    names = ["found"]
    if baselines:
        names += ["transformer"] + (["nao"] if method != "nao" else [])
    return names


def final_architectures(cfg: RecipeConfig, exp: str | Path, method: str, baselines: bool) -> dict[str, TTSArch]:
    """Stage 5's models (:func:`model_names`): ``found`` (the search's best), ``transformer`` (the hand-designed
    all-``baseline_op`` model) and ``nao`` (NAO's best)."""
    space = search_space(cfg)
    t = op_token(cfg.baseline_op)
    baseline = TTSArch((t,) * space.encoder_layers, (t,) * space.decoder_layers)
    return {name: baseline if name == "transformer" else found_architecture(exp, method if name == "found" else name,
                                                                            space)
            for name in model_names(method, baselines)}


def train_model_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, name: str, arch: TTSArch | str) -> dict:
    """Stage 5 for one model: train ``arch`` standalone at the final size into ``train/<name>``.

    ``model.json`` (model config and tokens) is checked before ``model.yaml`` is rewritten, so a changed model
    fails without leaving a ``model.yaml`` the checkpoints do not match; ``done.json`` goes whenever training is
    still to do (a raised ``final_train.max_steps``), so an interrupted re-run never looks finished.
    """
    out = Path(exp) / "train" / name
    arch = from_str(arch) if isinstance(arch, str) else arch
    model_cfg = replace(cfg.final_model, vocab_size=len(data.tokens), arch=str(arch))
    if (out / "model.yaml").is_file() and read_model_meta(out)["arch"] != str(arch):
        raise ValueError(f"{out} holds a model of another architecture ({read_model_meta(out)['arch']}); "
                         f"remove it or use another --exp-dir")
    check_record(out / "model.json", {"model": to_dict(model_cfg), "tokens": data.tokens.tokens}, "the model")
    if get_info().is_main:
        write_model_dir(out, arch, model_cfg, data.tokens_path, data.stats_path, data.mel_config(), data.token_type,
                        data.decode_config(cfg.synth.decode), cfg.synth.griffin_lim, {"name": name},
                        frames_per_token=data.frames_per_token)
    seed_everything(cfg.final_train.seed)  # identical initialisation for identical architectures
    model = TTSModel(model_cfg, arch)
    trainer = Trainer(model, cfg.final_train, out, record_config=cfg)
    trainer.resume()
    result: dict = {"step": trainer.step}
    if trainer.step < cfg.final_train.max_steps:
        if get_info().is_main:
            (out / "done.json").unlink(missing_ok=True)  # finished only once this training is
        log.info("stage 5: %s (%s), %d parameters, training to step %d", name, arch, model.num_parameters(),
                 cfg.final_train.max_steps)
        loader = data.train_loader(cfg.final_train.batch_frames, cfg.final_train.seed, cfg.loader.workers,
                                   cfg.loader.max_frames, distributed=get_info().is_distributed)
        result = trainer.train(loader)
    else:
        log.info("stage 5: %s is complete (step %d), skipping", out, trainer.step)
    if get_info().is_main and not (out / "done.json").is_file():
        done = {"name": name, "arch": str(arch), "steps": trainer.step, "parameters": model.num_parameters(),
                "train": {k: v for k, v in result.items() if isinstance(v, (int, float))}}
        if (data.data_dir("dev") / "wav.scp").is_file():  # teacher-forced dev loss and alignment
            dev = data.fixed_batches("dev", cfg.synth.batch_frames)
            done["dev_teacher_forced"] = evaluate_batches(trainer.model, dev, free_running=False)
        atomic_write_json(out / "done.json", done)
    return result


def link_duplicate_models(exp: str | Path, archs: dict[str, TTSArch], create: bool = True) -> dict[str, str]:
    """Models whose architecture an earlier one in ``archs`` already has are not trained twice: ``train/<name>``
    becomes a link to the first one's directory (same data, schedule and seed give the same model). A real
    directory left by an earlier run is kept and trained as usual. Returns ``{duplicate: original}``."""
    first: dict[TTSArch, str] = {}
    links = {}
    for name, arch in archs.items():
        path = Path(exp) / "train" / name
        if arch not in first:
            first[arch] = name
        elif path.is_symlink() or not path.exists():
            links[name] = first[arch]
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                path.symlink_to(first[arch], target_is_directory=True)
            log.info("stage 5: %s has the same architecture as %s: %s links to it", name, first[arch], path)
    return links


def trained_model_dir(exp: str | Path, name: str) -> Path:
    """``<exp>/train/<name>``, which stage 5 must have finished; else a clear error naming the missing path."""
    path = Path(exp) / "train" / name
    if not (path / "done.json").is_file():
        missing = path if not path.is_dir() else path / "done.json"
        raise FileNotFoundError(f"no trained model '{name}': {missing} not found (run stage 5 first)")
    return path
