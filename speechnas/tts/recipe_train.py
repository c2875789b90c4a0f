"""Stages 3, 4 and 5 as library calls: train the supernet, search with it, train the chosen architectures.

Layout under the experiment directory ``exp``: ``supernet/`` (stage 3: a trainer directory plus ``pool.txt``,
the architectures it trains on, and ``supernet.json``, what it was built from), ``search/<method>/`` (stage 4:
the runner's files, ``scores.jsonl``, ``summary.json``, ``best_archs.txt``, ``search.json`` (the evaluator
settings, start checkpoint and dev utterances its scores hold for) and the supernet that goes on training,
``supernet/``), ``train/<model>/`` (stage 5: a trainer directory that is also a model directory, see
:mod:`speechnas.tts.pack`, with ``model.json`` (the model its checkpoints hold) and ``done.json`` once
finished). Every function resumes where an earlier call stopped and skips finished work; a re-run with settings
the earlier work does not hold fails before it writes anything.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

from speechnas.tts.arch import TTSArch, TTSSearchSpace, from_str, op_token
from speechnas.tts.evaluate import evaluate_batches
from speechnas.tts.model import TTSModel
from speechnas.tts.pack import read_model_meta, write_model_dir
from speechnas.tts.recipe_config import RecipeConfig
from speechnas.tts.recipe_data import RecipeData
from speechnas.tts.search import architecture_pool, run_tts_search
from speechnas.tts.supernet import ArchSampler, SuperNet
from speechnas.tts.train import Trainer
from speechnas.utils.checkpoint import checkpoint_step, find_latest_checkpoint
from speechnas.utils.config import to_dict
from speechnas.utils.distributed import get_info
from speechnas.utils.io import atomic_write_json, atomic_write_text
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


def search_space(cfg: RecipeConfig) -> TTSSearchSpace:
    return TTSSearchSpace(cfg.search_model.encoder_layers, cfg.search_model.decoder_layers)


def _supernet(cfg: RecipeConfig, data: RecipeData) -> SuperNet:
    return SuperNet(replace(cfg.search_model, vocab_size=len(data.tokens)))


def _changed(have: dict, want: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ, with both values when they are short: ``a.b (0, now 100)``."""
    out = []
    for k in sorted(set(have) | set(want)):
        old, new = have.get(k), want.get(k)
        if isinstance(old, dict) and isinstance(new, dict):
            out += _changed(old, new, f"{prefix}{k}.")
        elif old != new:
            values = f" ({old!r}, now {new!r})" if len(repr(old)) + len(repr(new)) <= 60 else ""
            out.append(f"{prefix}{k}{values}")
    return out


def _check_record(path: Path, record: dict, what: str) -> None:
    """Write ``record`` to ``path``, or fail if an earlier run there used a different one (nothing is lost)."""
    record = json.loads(json.dumps(record))  # as it reads back (tuples become lists)
    if path.is_file():
        have = json.loads(path.read_text())
        if have != record:
            raise ValueError(f"{path}: {what} in {path.parent} was made with a different "
                             f"{', '.join(_changed(have, record))}; remove {path.parent} or use another --exp-dir")
    elif get_info().is_main:
        atomic_write_json(path, record)


def supernet_checkpoint(cfg: RecipeConfig, exp: str | Path) -> Path:
    """The finished stage-3 checkpoint; a clear error when stage 3 has not finished."""
    ckpt_dir = Path(exp) / "supernet" / "checkpoints"
    ckpt = find_latest_checkpoint(ckpt_dir)
    if ckpt is None or checkpoint_step(ckpt) < cfg.supernet.max_steps:
        raise FileNotFoundError(f"no finished supernet checkpoint (step {cfg.supernet.max_steps}) in {ckpt_dir}: "
                                f"run stage 3 first")
    return ckpt


def train_supernet_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path) -> dict:
    """Stage 3: single-path training on the search's initial architectures (DDP when under torchrun)."""
    out = Path(exp) / "supernet"
    space = search_space(cfg)
    pool = architecture_pool(space, cfg.search)
    seed_everything(cfg.supernet.seed)  # the initial weights do not depend on what ran before in this process
    model = _supernet(cfg, data)
    _check_record(out / "supernet.json", {"model": to_dict(model.cfg), "pool": [space.key(a) for a in pool],
                                          "tokens": data.tokens.tokens}, "the supernet")
    trainer = Trainer(model, cfg.supernet, out, ArchSampler(space, pool, cfg.search.seed), record_config=cfg)
    if get_info().is_main:
        atomic_write_text(out / "pool.txt", "".join(f"{space.to_str(a)}\n" for a in pool))
    trainer.resume()
    if trainer.step >= cfg.supernet.max_steps:
        log.info("stage 3: %s is complete (step %d), skipping", out, trainer.step)
        return {"step": trainer.step, "skipped": True}
    log.info("stage 3: supernet of %d parameters, %d architectures in the pool, training to step %d",
             model.num_parameters(), len(pool), cfg.supernet.max_steps)
    loader = data.train_loader(cfg.supernet.batch_frames, cfg.supernet.seed, cfg.loader.workers,
                               cfg.loader.max_frames, distributed=get_info().is_distributed)
    return trainer.train(loader)


def search_stage(cfg: RecipeConfig, data: RecipeData, exp: str | Path, method: str) -> dict:
    """Stage 4 for one method: resumes ``search/<method>`` or starts it from the finished stage-3 supernet.

    Kept scores hold only for the evaluator settings, start checkpoint and dev utterances they were made with
    (``search.json``): a re-run with others fails, naming what changed, instead of mixing rewards.
    """
    start = supernet_checkpoint(cfg, exp)
    out = Path(exp) / "search" / method
    space = search_space(cfg)
    ev = cfg.search.evaluator
    dev = data.fixed_batches("dev", ev.batch_frames, ev.dev_utterances, ev.decode)
    _check_record(out / "search.json", {"evaluator": to_dict(ev), "start": start.name,
                                        "dev": sorted(u for b in dev for u in b["utt_ids"])}, "the search")
    pool_file = Path(exp) / "supernet" / "pool.txt"  # what stage 3 trained on
    sampler = ArchSampler(space, [space.from_str(a) for a in pool_file.read_text().splitlines()], cfg.search.seed)
    trainer = Trainer(_supernet(cfg, data), cfg.supernet, out / "supernet", sampler, record_config=cfg)
    trainer.resume(start)
    loader = data.train_loader(cfg.supernet.batch_frames, cfg.supernet.seed, cfg.loader.workers, cfg.loader.max_frames)
    summary = run_tts_search(cfg.search, method, trainer, sampler, dev, loader, out, start)
    log.info("stage 4: %s: best DFR %.4f, median %.4f over %d architectures (%.2f s each): %s", method,
             summary["best_dfr"], summary["median_dfr"], summary["queries"], summary["seconds_per_arch"],
             summary["best_arch"])
    return summary


def found_architecture(exp: str | Path, method: str, space: TTSSearchSpace) -> TTSArch:
    """The best architecture of the finished search of ``method`` (from its ``result.json``)."""
    path = Path(exp) / "search" / method / "result.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run stage 4 for {method} first (run.sh --search-method {method}, "
                                f"or search_tts --methods {method})")
    res = json.loads(path.read_text())
    if not res.get("finished") or not res.get("best"):
        raise FileNotFoundError(f"{path}: the {method} search has not finished: run stage 4 again to complete it")
    return space.from_str(res["best"]["arch"])


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
    _check_record(out / "model.json", {"model": to_dict(model_cfg), "tokens": data.tokens.tokens}, "the model")
    if get_info().is_main:
        write_model_dir(out, arch, model_cfg, data.tokens_path, data.stats_path, data.mel_config(), data.token_type,
                        cfg.synth.decode, cfg.synth.griffin_lim, {"name": name})
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
