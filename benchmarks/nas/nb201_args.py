"""Options and set-up shared by the NAS-Bench-201 benchmark scripts: table, search config, methods and seeds."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from speechnas.nas.benchmarks import build_nasbench201
from speechnas.nas.grid import SearchConfig
from speechnas.utils.config import load_config

_ROOT = Path(__file__).resolve().parents[2]


def nb201_parser(doc: str, methods: str) -> argparse.ArgumentParser:
    """A parser with --table (default: $SPEECHNAS_SHARED or ../shared), --config, --methods and --seeds."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    shared = Path(os.environ.get("SPEECHNAS_SHARED", _ROOT.parent / "shared"))
    p.add_argument("--table", default=str(shared / "data/nasbench/nb201_cifar10.csv"),
                   help="NAS-Bench-201 CSV (default: $SPEECHNAS_SHARED or ../shared, data/nasbench/nb201_cifar10.csv)")
    p.add_argument("--config", default=str(_ROOT / "recipes/nasbench201/conf/search.yaml"))
    p.add_argument("--methods", default=methods)
    p.add_argument("--seeds", default="0:3")
    return p


def nb201_setup(p: argparse.ArgumentParser):
    """Parse (unknown --dotted.keys override the search config), use one torch thread, load the table.

    Returns ``(args, config, space, evaluator)``."""
    args, overrides = p.parse_known_args()
    torch.set_num_threads(1)
    cfg = load_config(SearchConfig, args.config, overrides)
    space, evaluator = build_nasbench201(args.table)
    return args, cfg, space, evaluator
