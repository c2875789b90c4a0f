"""Argument helpers shared by the data-stage entry points."""
from __future__ import annotations

import argparse
import logging

import torch

from speechnas.data.config import DataConfig
from speechnas.utils.config import load_config
from speechnas.utils.logging import setup_logging


def str2bool(v: str) -> bool:
    if v.lower() in ("true", "1", "yes"):
        return True
    if v.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {v!r}")


def data_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description,
                                epilog="Unknown --dotted.keys override the data config, e.g. --features.fmax 7600")
    p.add_argument("--conf", default=None, help="data config YAML (speechnas.data.config.DataConfig)")
    p.add_argument("--skip-bad", type=str2bool, default=False, help="list bad utterances instead of failing")
    return p


def parse(p: argparse.ArgumentParser) -> tuple[argparse.Namespace, DataConfig]:
    args, overrides = p.parse_known_args()
    setup_logging(logging.INFO)
    torch.set_num_threads(1)
    return args, load_config(DataConfig, args.conf, overrides)
