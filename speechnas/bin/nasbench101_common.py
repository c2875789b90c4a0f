"""Argument handling shared by the NAS-Bench-101 stage entry points: ``--conf`` YAML plus dotted overrides."""
from __future__ import annotations

import argparse
import logging

from speechnas.nas.nasbench101.experiment import ExperimentConfig
from speechnas.utils.config import config_to_yaml, load_config
from speechnas.utils.logging import setup_logging


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description,
                                epilog="Unknown --dotted.keys override the experiment config, e.g. "
                                       "--budget 150 --seminas.top_k 50 --benchmark.file PATH")
    p.add_argument("--conf", default=None, help="experiment YAML (speechnas.nas.nasbench101.experiment)")
    p.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    return p


def parse(p: argparse.ArgumentParser) -> tuple[argparse.Namespace, ExperimentConfig]:
    args, overrides = p.parse_known_args()
    setup_logging(logging.INFO)
    cfg = load_config(ExperimentConfig, args.conf, overrides)
    if args.print_config:
        print(config_to_yaml(cfg), end="")
        raise SystemExit(0)
    return args, cfg
