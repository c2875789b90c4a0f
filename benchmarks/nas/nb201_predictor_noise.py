"""How the semi-supervised predictor's ranking degrades with a noisier search signal, and what helps.

On NAS-Bench-201 tables (CIFAR-10: validation/test Spearman 0.98; CIFAR-100 low fidelity: 0.82) and on the CIFAR-10
table with Gaussian noise added to the search signal, the predictor is fitted once (as in a search's first
iteration: the labelled phase, then labelled x upsample + pseudo-labelled) on ``n`` random labelled cells, with
variants: M pseudo-labelled cells (0 = NAO, 1000, all), an ensemble of 3 controllers, a pairwise ranking loss.
Printed per table, noise and variant (mean over seeds): Spearman of the prediction with the search signal and with
the test accuracy over all unqueried cells and over the unqueried cells whose signal is in the top 10%, and the mean
test accuracy of the 10 best-predicted unqueried cells. Writes ``predictor_noise.json``.

    .venv/bin/python benchmarks/nas/nb201_predictor_noise.py --seeds 0:3 --labelled 50,100 --out-dir exp/noise
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from speechnas.bin.nas_search import parse_seeds
from speechnas.nas.benchmarks import build_nasbench201
from speechnas.nas.semi_predictor import SemiSupervisedPredictor
from speechnas.nas.seminas import SemiNASConfig
from speechnas.utils.io import atomic_write_json

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SPEECHNAS_SHARED", ROOT.parent / "shared")) / "data" / "nasbench"

VARIANTS = {  # name -> changes to the default (fast) SemiNAS config
    "nao (M=0)": dict(unlabelled=0),
    "M=1000": dict(unlabelled=1000),
    "M=all": dict(unlabelled=-1),
    "M=1000, ensemble 3": dict(unlabelled=1000, ensemble=3),
    "M=1000, rank loss": dict(unlabelled=1000, rank_weight=1.0),
    "M=all, ensemble 3": dict(unlabelled=-1, ensemble=3),
    # the official December 2020 schedule's length and lr (1,000 labelled epochs, 500 labelled + pseudo-labelled),
    # instead of the fast one (300 and 1, lr 5e-3)
    "M=1000, paper schedule": dict(unlabelled=1000, pretrain_epochs=1000, semi_epochs=500, lr=1e-3),
}


def unique_cells(space, evaluator):
    """One cell per key (the first in table order), its signal and test accuracy."""
    seen, cells = set(), []
    for cell in evaluator.archs():
        k = space.key(cell)
        if k not in seen:
            seen.add(k)
            cells.append(cell)
    valid = np.array([evaluator.metric(c, "valid_acc") for c in cells])
    test = np.array([evaluator.metric(c, "test_acc") for c in cells])
    return cells, valid, test


def one_fit(space, cells, signal, valid, test, n, variant, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(cells))
    lab, rest = order[:n], order[n:]
    changes = dict(VARIANTS[variant])
    m = changes.pop("unlabelled")
    rank = changes.pop("rank_weight", 0.0)
    lr = changes.pop("lr", None)
    cfg = SemiNASConfig(**changes)
    cfg.train = replace(cfg.train, rank_weight=rank, lr=cfg.train.lr if lr is None else lr)
    torch.manual_seed(seed)
    pred = SemiSupervisedPredictor(space, cfg)
    unl = [] if m == 0 else [cells[i] for i in (rest if m < 0 else rng.choice(rest, size=m, replace=False))]
    pred.fit([cells[i] for i in lab], signal[lab].tolist(), unl)
    p = pred.predict([cells[i] for i in rest])
    top = rest[signal[rest] >= np.quantile(signal[rest], 0.9)]
    ptop = p[np.isin(rest, top)]
    best10 = rest[np.argsort(-p, kind="stable")[:10]]
    return {"spearman_signal": spearmanr(p, signal[rest]).correlation,
            "spearman_test": spearmanr(p, test[rest]).correlation,
            "spearman_valid": spearmanr(p, valid[rest]).correlation,
            "top10pct_spearman_test": spearmanr(ptop, test[top]).correlation,
            "best10_test": float(test[best10].mean())}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tables", default="nb201_cifar10.csv:0,nb201_cifar10.csv:1,nb201_cifar10.csv:2,nb201_cifar100_lowfi.csv:0",
                   help="table:noise pairs (noise = std of Gaussian noise added to valid_acc, in points)")
    p.add_argument("--variants", default=";".join(VARIANTS), help="semicolon-separated names")
    p.add_argument("--labelled", default="50,100")
    p.add_argument("--seeds", default="0:3")
    p.add_argument("--out-dir", required=True)
    args = p.parse_args()
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    rows = []
    for spec in args.tables.split(","):
        table, noise = spec.split(":")
        space, evaluator = build_nasbench201(SHARED / table)
        cells, valid, test = unique_cells(space, evaluator)
        for seed in parse_seeds(args.seeds):
            signal = valid + np.random.default_rng(1000 + seed).normal(0, float(noise), len(valid)) if float(noise) else valid
            if seed == parse_seeds(args.seeds)[0]:
                print(f"{table} noise {noise}: Spearman(signal, test) = {spearmanr(signal, test).correlation:.3f}", flush=True)
            for n in (int(x) for x in args.labelled.split(",")):
                for variant in args.variants.split(";"):
                    t = time.perf_counter()
                    r = one_fit(space, cells, signal, valid, test, n, variant, seed)
                    rows.append({"table": table, "noise": float(noise), "labelled": n, "variant": variant, "seed": seed,
                                 "seconds": time.perf_counter() - t, **r})
    atomic_write_json(Path(args.out_dir) / "predictor_noise.json", rows)
    keys = ("spearman_signal", "spearman_test", "top10pct_spearman_test", "best10_test", "seconds")
    print(f"{'table':<26} {'noise':>5} {'n':>4}  {'variant':<22} " + " ".join(f"{k:>22}" for k in keys))
    groups = {}
    for r in rows:
        groups.setdefault((r["table"], r["noise"], r["labelled"], r["variant"]), []).append(r)
    for (table, noise, n, variant), rs in groups.items():
        cells_ = " ".join(f"{np.mean([r[k] for r in rs]):>22.3f}" for k in keys)
        print(f"{table:<26} {noise:>5.1f} {n:>4}  {variant:<22} {cells_}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
