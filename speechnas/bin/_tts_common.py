"""Helpers shared by the TTS recipe's stage 3-8 entry points: options, config, and running one stage."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, TypeVar

import torch

from speechnas.bin._common import str2bool
from speechnas.utils.jobs import JobError
from speechnas.tts.recipe.config import RecipeConfig, load_recipe_config
from speechnas.tts.recipe.data import RecipeData
from speechnas.utils.config import ConfigError, config_to_yaml
from speechnas.utils.distributed import cleanup, init_distributed
from speechnas.utils.logging import setup_logging

T = TypeVar("T")


def recipe_parser(description: str, models: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description,
                                epilog="Unknown --dotted.keys override the recipe config, e.g. --supernet.max_steps "
                                       "100 or --search.method nao (the search whose best architecture is 'found')")
    p.add_argument("--conf", default=None, help="recipe config YAML (speechnas.tts.recipe.config.RecipeConfig)")
    p.add_argument("--data-dir", default="data", help="where the data directories of stage 1 are")
    p.add_argument("--dump-dir", default="dump", help="where the features and tokens of stage 2 are")
    p.add_argument("--prefix", required=True, help="setting prefix, e.g. low_resource or mini_low_resource")
    p.add_argument("--exp-dir", required=True, help="experiment directory of stages 3-8")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    if models:
        p.add_argument("--baselines", type=str2bool, default=False,
                       help="also the all-Transformer model and the NAO result")
    return p


def parse_recipe(p: argparse.ArgumentParser, stage: str,
                 need_data: bool = True) -> tuple[argparse.Namespace, RecipeConfig, RecipeData | None]:
    """Parse options and config overrides; set up logging and one torch thread; load stage 1-2 outputs
    (``None`` without ``need_data``: a stage that reads only ``exp``)."""
    args, overrides = p.parse_known_args()
    setup_logging(logging.INFO)
    torch.set_num_threads(1)
    try:
        cfg = load_recipe_config(args.conf, overrides)
        if args.print_config:
            print(config_to_yaml(cfg), end="")
            sys.exit(0)
        data = RecipeData(args.data_dir, args.dump_dir, args.prefix) if need_data else None
        if data is not None:
            data.resolve(cfg)  # decoding lengths from the training data
    except (ConfigError, ValueError, FileNotFoundError) as e:
        sys.exit(f"{stage}: {e}")
    return args, cfg, data


def run_stage(stage: str, fn: Callable[[], T], train_device: str | None = None) -> T:
    """``fn()``, with a problem the user can fix (missing input, mismatched settings, a failed parallel job)
    ending the process as ``<stage>: <message>``; with ``train_device`` (a config's ``device``, for stages 3 and
    5) the torchrun process group is set up around it on CUDA when asked for and present, else on the CPU."""
    distributed = train_device is not None
    try:
        if distributed:
            init_distributed("cuda" if train_device != "cpu" and torch.cuda.is_available() else "cpu")
            setup_logging(logging.INFO)  # again, now that the rank is known: other ranks only warn
        return fn()
    except (FileNotFoundError, ValueError, JobError) as e:
        sys.exit(f"{stage}: {e}")
    finally:
        if distributed:
            cleanup()
