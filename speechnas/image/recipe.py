"""Stages 0-5 of the ImageNet recipe as library calls (``recipes/imagenet/run.sh`` runs one bin per stage).

Layout: ``<data_dir>/split.json`` and ``data.json`` (stage 0; the built-in set's images in ``<data_dir>/images``);
under the experiment directory ``exp``: ``supernet/`` (stage 1: a trainer directory, ``pool.txt``, ``supernet.json``,
``done.json``), ``search/<method>/`` (stage 2: the one-shot loop's files, ``score_cache.jsonl``, ``summary.json``,
``best_archs.txt``, ``search.json``, and the supernet that goes on training, ``supernet/``), ``train/final/``
(stage 3: a trainer directory that is also a model directory, ``done.json`` once finished), ``eval/`` (stage 4:
``results.json``, ``results.txt``), ``export/`` (stage 5: ``model.pt``, ``model.yaml``). Every stage resumes where
an earlier call stopped and skips finished work; a re-run with settings the earlier work does not hold fails before
it writes anything.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from speechnas.image.data import eval_loader, fixed_batches, load_split, make_split, train_loader
from speechnas.image.evaluate import evaluate
from speechnas.image.export import export_model, load_model, model_meta
from speechnas.image.flops import CostTable
from speechnas.image.mini import make_mini_set
from speechnas.image.model import ImageNet
from speechnas.image.oneshot import ImageSupernetTask, PathSampler
from speechnas.image.search import run_image_search
from speechnas.image.recipe_config import ImageRecipeConfig
from speechnas.image.space import ImageArch, ImageNetSpace, parse_arch
from speechnas.image.supernet import SuperNet
from speechnas.image.train import ImageTrainer
from speechnas.nas.budget import Budget
from speechnas.nas.evaluator import FunctionalEvaluator
from speechnas.nas.strategy import Strategy
from speechnas.utils.config import to_dict
from speechnas.utils.device import resolve_device
from speechnas.utils.distributed import get_info
from speechnas.utils.io import atomic_write_json, atomic_write_text, atomic_write_yaml
from speechnas.utils.seed import seed_everything

log = logging.getLogger(__name__)


def check_record(path: Path, record: dict, what: str) -> None:
    """Write ``record`` to ``path``, or fail if an earlier run there used a different one (nothing is lost)."""
    record = json.loads(json.dumps(record))  # as it reads back (tuples become lists)
    if path.is_file():
        have = json.loads(path.read_text())
        if have != record:
            changed = sorted(k for k in set(have) | set(record) if have.get(k) != record.get(k))
            raise ValueError(f"{path}: {what} in {path.parent} was made with a different {', '.join(changed)}; "
                             f"remove {path.parent} or use another --exp-dir")
    elif get_info().is_main:
        atomic_write_json(path, record)


def search_space(cfg: ImageRecipeConfig) -> ImageNetSpace:
    """The space with the search's multiply-add limit (at ``limit_widths``, 224 x 224, 1000 classes)."""
    return ImageNetSpace(cfg.search.limit_madds, cfg.search.limit_widths, 224, 1000)


def initial_pool(cfg: ImageRecipeConfig, space: ImageNetSpace, method: str) -> list[ImageArch]:
    """The architectures a search queries first: the same draws as the strategy's first iteration (every method
    starts with ``sample_new`` on a fresh ``default_rng(seed)``), so the supernet trains on exactly them."""
    budget = Budget(space, FunctionalEvaluator(lambda archs: [], "top1"), max(cfg.search.budget, 1))
    return Strategy(space, None, cfg.search.seed).sample_new(budget, cfg.search.initial_count(method))


# ---- stage 0 -------------------------------------------------------------------------------------------------
def data_stage(cfg: ImageRecipeConfig, data_dir: str | Path, imagenet_dir: str | Path | None, mini: bool) -> dict:
    """Make the built-in set (``mini``) or check ``imagenet_dir``; carve the held-out split (``split.json``)."""
    data_dir = Path(data_dir)
    if mini:
        root = make_mini_set(data_dir / "images", cfg.mini)
    elif imagenet_dir:
        root = Path(imagenet_dir)
    else:
        raise ValueError("needs --imagenet-dir (a folder with train/<wnid>/*.JPEG and val/<wnid>/) or --mini true")
    split = make_split(root, cfg.split.holdout, cfg.split.seed, data_dir / "split.json")
    info = {"root": str(root), "classes": len(split["classes"]), "train_images": split["train_images"],
            "val_images": split["val_images"], "holdout": split["holdout"],
            "train_subset": split["train_images"] - split["holdout"]}
    atomic_write_json(data_dir / "data.json", info)
    log.info("stage 0: %d classes, %d training images (%d held out), %d validation images", info["classes"],
             info["train_images"], info["holdout"], info["val_images"])
    return info


# ---- stage 1 -------------------------------------------------------------------------------------------------
def _supernet(cfg: ImageRecipeConfig, classes: int) -> SuperNet:
    return SuperNet(replace(cfg.supernet.model, num_classes=classes))


def _loader(samples, cfg: ImageRecipeConfig, trainer: ImageTrainer, seed: int):
    info = get_info()
    return train_loader(samples, cfg.data, trainer.batch_per_rank, seed, info.rank, info.world_size)


def supernet_stage(cfg: ImageRecipeConfig, data_dir: str | Path, exp: str | Path) -> dict:
    """Stage 1: single-path training on the search's initial architectures (DDP under torchrun)."""
    out = Path(exp) / "supernet"
    split = load_split(Path(data_dir) / "split.json")
    space = search_space(cfg)
    pool = initial_pool(cfg, space, cfg.search.method)
    seed_everything(cfg.supernet.train.seed)  # initial weights independent of what ran before in this process
    model = _supernet(cfg, len(split.classes))
    check_record(out / "supernet.json", {"model": to_dict(model.cfg), "pool": [str(a) for a in pool],
                                         "classes": split.classes}, "the supernet")
    sampler = PathSampler(pool, cfg.search.seed)
    trainer = ImageTrainer(model, cfg.supernet.train, out, sampler, record_config=cfg)
    if get_info().is_main:
        atomic_write_text(out / "pool.txt", "".join(f"{a}\n" for a in pool))
    trainer.resume()
    loader = _loader(split.train, cfg, trainer, cfg.supernet.train.seed)
    total = trainer.total_steps(len(loader.batch_sampler))
    if trainer.step < total:
        log.info("stage 1: supernet of %d parameters, %d architectures, training to step %d",
                 sum(p.numel() for p in model.parameters()), len(pool), total)
        trainer.train(loader)
    else:
        log.info("stage 1: %s is complete (step %d), skipping", out, trainer.step)
    done = {"step": trainer.step, "checkpoint": f"ckpt_{trainer.step:08d}.pt"}
    if get_info().is_main:
        atomic_write_json(out / "done.json", done)
    return done


def finished_supernet(exp: str | Path) -> Path:
    done = Path(exp) / "supernet" / "done.json"
    if not done.is_file():
        raise FileNotFoundError(f"{done} not found: run stage 1 (supernet training) first")
    ckpt = done.parent / "checkpoints" / json.loads(done.read_text())["checkpoint"]
    if not ckpt.is_file():
        raise FileNotFoundError(f"{ckpt} (named in {done}) is missing; run stage 1 again")
    return ckpt


# ---- stage 2 -------------------------------------------------------------------------------------------------
def recalibration_samples(train: list, n: int, seed: int) -> list:
    """A fixed draw of ``n`` training images for batch-norm recalibration."""
    idx = np.random.default_rng([seed, 7]).choice(len(train), size=min(n, len(train)), replace=False)
    return [train[i] for i in idx]


def build_task(cfg: ImageRecipeConfig, data_dir: str | Path, trainer_dir: str | Path, pool: list[ImageArch]
               ) -> ImageSupernetTask:
    """The one-shot task over a fresh supernet trainer in ``trainer_dir`` (its weights come from a checkpoint)."""
    split = load_split(Path(data_dir) / "split.json")
    score = cfg.search.score
    holdout = fixed_batches(split.holdout[:score.holdout_images], cfg.data, score.batch_size)
    recal = None
    if score.recalibrate:
        recal = fixed_batches(recalibration_samples(split.train, score.recalibration_images, cfg.search.seed),
                              cfg.data, score.batch_size)
    sampler = PathSampler(pool, cfg.search.seed)
    trainer = ImageTrainer(_supernet(cfg, len(split.classes)), cfg.supernet.train, trainer_dir, sampler,
                           record_config=cfg)
    loader = _loader(split.train, cfg, trainer, cfg.supernet.train.seed)
    return ImageSupernetTask(trainer, sampler, loader, holdout, recal, search_space(cfg), cfg.supernet.train.amp)


def search_stage(cfg: ImageRecipeConfig, data_dir: str | Path, exp: str | Path, method: str) -> dict:
    """Stage 2 for one method: resumes ``search/<method>`` or starts it from the finished stage-1 supernet."""
    start = finished_supernet(exp)
    out = Path(exp) / "search" / method
    space = search_space(cfg)
    pool = [space.from_str(a) for a in (Path(exp) / "supernet" / "pool.txt").read_text().splitlines()]
    check_record(out / "search.json", {"score": to_dict(cfg.search.score), "start": start.name,
                                       "limit_madds": cfg.search.limit_madds,
                                       "limit_widths": to_dict(cfg.search.limit_widths),
                                       "oneshot": to_dict(cfg.search.oneshot)}, "the search")
    task = build_task(cfg, data_dir, out / "supernet", pool)
    task.start_from(start)  # a resumed search then restores its own state over it
    return run_image_search(space, task, method, cfg.search.method_config(method), cfg.search.budget,
                            cfg.search.seed, out, cfg.search.oneshot)


# ---- stage 3 -------------------------------------------------------------------------------------------------
def found_arch(cfg: ImageRecipeConfig, exp: str | Path) -> ImageArch:
    """``final.arch`` when set, else the best architecture of the finished search ``search.method``."""
    if cfg.final.arch:
        return parse_arch(cfg.final.arch)
    result = Path(exp) / "search" / cfg.search.method / "result.json"
    if not result.is_file() or not json.loads(result.read_text()).get("finished"):
        raise FileNotFoundError(f"{result} is missing or unfinished: run stage 2 first (or set final.arch)")
    return parse_arch(json.loads(result.read_text())["best"]["arch"])


def final_train_stage(cfg: ImageRecipeConfig, data_dir: str | Path, exp: str | Path) -> dict:
    """Stage 3: the found architecture from scratch on every ``train/`` image (DDP under torchrun)."""
    out = Path(exp) / "train" / "final"
    arch = found_arch(cfg, exp)
    split = load_split(Path(data_dir) / "split.json")
    seed_everything(cfg.final.train.seed)
    model = ImageNet(replace(cfg.final.model, num_classes=len(split.classes)), arch)
    check_record(out / "model.json", {"arch": str(arch), "model": to_dict(model.cfg), "classes": split.classes},
                 "the final network")
    trainer = ImageTrainer(model, cfg.final.train, out, record_config=cfg)
    cost = CostTable(model.cfg.widths, 224, model.cfg.num_classes).count(arch.ops)
    if get_info().is_main:
        atomic_write_yaml(out / "model.yaml", model_meta(arch, model.cfg, split.classes, cfg.data,
                                                         {"madds": cost.madds, "params": cost.params}))
    trainer.resume()
    loader = _loader(split.train + split.holdout, cfg, trainer, cfg.final.train.seed)
    total = trainer.total_steps(len(loader.batch_sampler))
    if trainer.step < total:
        log.info("stage 3: %s (%.1fM multiply-adds, %.2fM parameters at 224), training to step %d", arch,
                 cost.madds / 1e6, cost.params / 1e6, total)
        trainer.train(loader)
    else:
        log.info("stage 3: %s is complete (step %d), skipping", out, trainer.step)
    done = {"arch": str(arch), "steps": trainer.step, "madds": cost.madds, "params": cost.params}
    if get_info().is_main:
        atomic_write_json(out / "done.json", done)
    return done


# ---- stages 4 and 5 ------------------------------------------------------------------------------------------
def _trained(exp: str | Path) -> Path:
    out = Path(exp) / "train" / "final"
    if not (out / "done.json").is_file():
        raise FileNotFoundError(f"{out / 'done.json'} not found: run stage 3 (final training) first")
    return out


def evaluate_stage(cfg: ImageRecipeConfig, data_dir: str | Path, exp: str | Path) -> dict:
    """Stage 4: top-1 and top-5 of the trained network on ``val/``; ``eval/results.{json,txt}``."""
    trained = _trained(exp)
    done = json.loads((trained / "done.json").read_text())
    out = Path(exp) / "eval" / "results.json"
    if out.is_file() and json.loads(out.read_text()).get("steps") == done["steps"]:
        log.info("stage 4: %s holds the results of step %d, skipping", out, done["steps"])
        return json.loads(out.read_text())
    split = load_split(Path(data_dir) / "split.json")
    device = resolve_device(cfg.final.train.device)
    clf = load_model(trained, str(device))
    metrics = evaluate(clf.model, eval_loader(split.val, cfg.data, cfg.eval_batch_size), device, amp=cfg.final.train.amp)
    limit = search_space(cfg).cost(parse_arch(done["arch"]))
    res = {**done, **metrics, "madds_at_limit_widths": limit.madds, "limit_madds": cfg.search.limit_madds}
    atomic_write_json(out, res)
    atomic_write_text(out.with_suffix(".txt"), (
        f"architecture   {done['arch']}\n"
        f"top-1          {100 * metrics['top1']:.2f}%\n"
        f"top-5          {100 * metrics['top5']:.2f}%\n"
        f"images         {metrics['images']}\n"
        f"multiply-adds  {done['madds'] / 1e6:.1f}M at the trained widths, "
        f"{limit.madds / 1e6:.1f}M at the limit's (limit {cfg.search.limit_madds / 1e6:.0f}M), 224 x 224\n"
        f"parameters     {done['params'] / 1e6:.2f}M\n"))
    return res


def export_stage(cfg: ImageRecipeConfig, data_dir: str | Path, exp: str | Path) -> dict:
    """Stage 5: ``export/`` with the weights, architecture, classes and input settings (``load_model`` reads it)."""
    trained = _trained(exp)
    clf = load_model(trained)
    results = Path(exp) / "eval" / "results.json"
    extra = {k: v for k, v in json.loads(results.read_text()).items() if k in ("top1", "top5", "steps", "madds", "params")} \
        if results.is_file() else {}
    meta = export_model(Path(exp) / "export", clf.model, clf.classes, clf.data, extra)
    log.info("stage 5: exported %s to %s", meta["arch"], Path(exp) / "export")
    return meta

