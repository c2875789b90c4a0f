"""Argument helpers shared by the TTS recipe's stage 3-8 entry points: paths, config, model names."""
from __future__ import annotations

import argparse
import logging
import sys
import torch

from speechnas.bin._common import str2bool
from speechnas.tts.recipe_config import SEARCH_METHODS, RecipeConfig, load_recipe_config
from speechnas.tts.recipe_data import RecipeData
from speechnas.utils.config import ConfigError, config_to_yaml
from speechnas.utils.logging import setup_logging


def recipe_parser(description: str, models: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description,
                                epilog="Unknown --dotted.keys override the recipe config, e.g. --supernet.max_steps 100")
    p.add_argument("--conf", default=None, help="recipe config YAML (speechnas.tts.recipe_config.RecipeConfig)")
    p.add_argument("--data-dir", default="data", help="where the data directories of stage 1 are")
    p.add_argument("--dump-dir", default="dump", help="where the features and tokens of stage 2 are")
    p.add_argument("--prefix", required=True, help="setting prefix, e.g. low_resource or mini_low_resource")
    p.add_argument("--exp-dir", required=True, help="experiment directory of stages 3-8")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    if models:
        p.add_argument("--search-method", default=None, choices=SEARCH_METHODS,
                       help="the search whose best architecture is 'found' (default: search.method of the config)")
        p.add_argument("--baselines", type=str2bool, default=False,
                       help="also the all-Transformer model and the NAO result")
    return p


def parse_recipe(p: argparse.ArgumentParser, stage: str) -> tuple[argparse.Namespace, RecipeConfig, RecipeData]:
    """Parse options and config overrides; set up logging and one torch thread; load stage 1-2 outputs."""
    args, overrides = p.parse_known_args()
    setup_logging(logging.INFO)
    torch.set_num_threads(1)
    try:
        cfg = load_recipe_config(args.conf, overrides)
        if getattr(args, "search_method", None):
            cfg.search.method = args.search_method
        if args.print_config:
            print(config_to_yaml(cfg), end="")
            sys.exit(0)
        data = RecipeData(args.data_dir, args.dump_dir, args.prefix)
    except (ConfigError, ValueError, FileNotFoundError) as e:
        sys.exit(f"{stage}: {e}")
    return args, cfg, data


def model_names(method: str, baselines: bool) -> list[str]:
    """Models of stages 5-8: ``found``, plus ``transformer`` and ``nao`` (unless NAO found it) with baselines."""
    names = ["found"]
    if baselines:
        names += ["transformer"] + (["nao"] if method != "nao" else [])
    return names
