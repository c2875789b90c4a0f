"""Helpers shared by the ImageNet recipe's entry points: options, config, and running one stage."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, TypeVar

import torch

from speechnas.image.recipe_config import ImageRecipeConfig, load_recipe_config
from speechnas.utils.config import ConfigError, config_to_yaml
from speechnas.utils.distributed import cleanup, init_distributed
from speechnas.utils.logging import setup_logging

T = TypeVar("T")


def str2bool(v: str) -> bool:
    if v.lower() in ("true", "1", "yes"):
        return True
    if v.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {v!r}")


def image_parser(description: str, exp: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Unknown --dotted.keys override the recipe config, e.g. --supernet.train.max_steps "
                                       "100 or --search.method nao")
    p.add_argument("--conf", default=None, help="recipe config YAML (speechnas.image.recipe_config.ImageRecipeConfig)")
    p.add_argument("--data-dir", required=True, help="where stage 0 writes split.json (and the built-in set)")
    if exp:
        p.add_argument("--exp-dir", required=True, help="experiment directory of stages 1-5")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    return p


def parse(p: argparse.ArgumentParser, stage: str, argv: list[str] | None = None
          ) -> tuple[argparse.Namespace, ImageRecipeConfig]:
    """Options and config overrides; logging; one torch thread per process (the loader workers are the others)."""
    args, overrides = p.parse_known_args(argv)
    setup_logging(logging.INFO)
    torch.set_num_threads(1)
    try:
        cfg = load_recipe_config(args.conf, overrides)
    except (ConfigError, ValueError) as e:
        sys.exit(f"{stage}: {e}")
    if args.print_config:
        print(config_to_yaml(cfg), end="")
        sys.exit(0)
    return args, cfg


def run_stage(stage: str, fn: Callable[[], T], train_device: str | None = None) -> T:
    """``fn()``, ending the process as ``<stage>: <message>`` on a problem the user can fix; with ``train_device``
    the torchrun process group is set up around it (NCCL on CUDA when asked for and present, else gloo)."""
    try:
        if train_device is not None:
            init_distributed("cuda" if train_device != "cpu" and torch.cuda.is_available() else "cpu")
            setup_logging(logging.INFO)  # again, now that the rank is known: other ranks only warn
        return fn()
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"{stage}: {e}")
    finally:
        if train_device is not None:
            cleanup()
